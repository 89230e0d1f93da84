"""Conversations with the pure dialogue: a fake clock, a temp database, the real catalogue."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

from assistant.catalogue.model import Catalogue
from assistant.clock import FakeClock
from assistant.dialogue.engine import HELP_TEXT, Dialogue
from assistant.matching.matcher import Matcher
from assistant.storage.database import Store


def say(dialogue: Dialogue, text: str) -> str:
    return " ".join(reply.text for reply in dialogue.handle(text))


def item_ids(dialogue: Dialogue, text: str) -> list[str]:
    return [reply.item_id for reply in dialogue.handle(text) if reply.item_id]


def test_repeat_says_the_last_thing_word_for_word(dialogue: Dialogue) -> None:
    first = say(dialogue, "give us a deep question about our dreams")
    assert say(dialogue, "sorry, could you say that again") == first
    assert say(dialogue, "repeat") == first


def test_question_filters_and_names(dialogue: Dialogue, catalogue: Catalogue) -> None:
    replies = dialogue.handle("give us a deep question about our dreams")
    item = next(i for i in catalogue.items if i.id == replies[0].item_id)
    assert (item.attrs["category"], item.attrs["depth"]) == ("dreams", "deep")
    assert replies[0].text.endswith("Sam, you go first.")
    assert say(dialogue, "next one").endswith("Alex, you go first.")


def test_another_one_keeps_the_filters(dialogue: Dialogue, catalogue: Catalogue) -> None:
    by_id = {i.id: i for i in catalogue.items}
    ids = item_ids(dialogue, "suggest a free date outdoors")
    for _ in range(5):
        ids += item_ids(dialogue, "another one")
    assert len(set(ids)) == 6
    assert {(by_id[i].attrs["budget"], by_id[i].attrs["setting"]) for i in ids} == {("free", "outdoors")}


def test_yes_to_another_idea_gives_a_different_date(dialogue: Dialogue) -> None:
    replies = dialogue.handle("suggest a cheap date at home")
    assert replies[-1].text == "Want another idea?" and replies[-1].expects_answer
    second = dialogue.handle("yes please")
    assert second[0].item_id and second[0].item_id != replies[0].item_id


def test_no_item_repeats_until_the_pool_is_used_up(dialogue: Dialogue, catalogue: Catalogue) -> None:
    pool = {i.id for i in catalogue.pool("question", category="fun", depth="light")}
    seen = []
    for _ in range(len(pool)):
        seen += item_ids(dialogue, "a light fun question")
    assert set(seen) == pool and len(seen) == len(pool)
    # a new round starts, and not with the item just said
    again = item_ids(dialogue, "a light fun question")
    assert again[0] in pool and again[0] != seen[-1]


def test_no_repeats_across_a_restart(tmp_path: Path, matcher: Matcher, catalogue: Catalogue,
                                     clock: FakeClock) -> None:
    pool = {i.id for i in catalogue.pool("question", category="values", depth="deep")}
    seen: list[str] = []
    for session in range(3):
        store = Store.open(tmp_path / "reconnect.db")
        dialogue = Dialogue(matcher, catalogue, store, clock, ("Sam", "Alex"), random.Random(session))
        for _ in range(8):
            seen += item_ids(dialogue, "ask us a deep question about our values")
        store.close()
    assert len(seen) == len(pool) == len(set(seen))


def test_stop_ends_the_activity(dialogue: Dialogue) -> None:
    assert "welcome" in say(dialogue, "start our weekly check-in").lower()
    assert "stop the check-in" in say(dialogue, "stop")
    assert say(dialogue, "next") .startswith("Next what?")


def test_help_lists_what_it_can_do(dialogue: Dialogue) -> None:
    text = say(dialogue, "what can you do")
    assert text == HELP_TEXT
    for phrase in ("question", "date", "gratitude", "check-in", "remind", "love language", "repeat"):
        assert phrase in text


def test_unknown_gives_examples_then_offers_help(dialogue: Dialogue) -> None:
    first = say(dialogue, "play some jazz")
    assert first.startswith("Sorry") and first.count(":") == 2
    second = dialogue.handle("turn on the lights")
    assert second[-1].expects_answer and "what I can do" in second[-1].text
    assert say(dialogue, "yes") == HELP_TEXT


def test_an_understood_request_resets_the_misunderstanding_count(dialogue: Dialogue) -> None:
    say(dialogue, "play some jazz")
    say(dialogue, "give us a question")
    assert say(dialogue, "turn on the lights").startswith("Sorry")


def test_reminder_is_read_back_and_saved_on_yes(dialogue: Dialogue, store: Store) -> None:
    text = say(dialogue, "remind me every evening at eight to thank her")
    assert text == "Every day at 8 pm: thank her. Shall I set it?"
    assert say(dialogue, "yes") == "Done. I'll remind you."
    [reminder] = store.reminders()
    assert (reminder.when, reminder.rrule, reminder.message) == ("2026-11-23T20:00:00", "FREQ=DAILY", "thank her")


def test_reminder_not_saved_on_no(dialogue: Dialogue, store: Store) -> None:
    say(dialogue, "remind us to go on a date friday at seven")
    assert say(dialogue, "no") == "Okay, I won't set it."
    assert store.reminders() == []


def test_reminder_without_a_time_asks_for_one(dialogue: Dialogue, store: Store) -> None:
    assert say(dialogue, "remind me to call my sister") == "When should I remind you?"
    assert "didn't get a time" in say(dialogue, "whenever really")
    assert say(dialogue, "tomorrow at nine am") == "Tomorrow at 9 am: call my sister. Shall I set it?"
    say(dialogue, "yes")
    assert store.reminders()[0].when == "2026-11-24T09:00:00"


def test_reminder_in_the_past_asks_again(dialogue: Dialogue) -> None:
    text = say(dialogue, "remind me today at 9 am to water the plants")
    assert text == "That time has already passed. When should I remind you?"
    assert say(dialogue, "at 6 pm").startswith("Today at 6 pm: water the plants.")


def test_reminder_without_a_message_asks_for_one(dialogue: Dialogue, store: Store) -> None:
    assert say(dialogue, "set a reminder for tomorrow at 8 am") == "What should I remind you about?"
    assert say(dialogue, "to kiss her before work") == "Tomorrow at 8 am: kiss her before work. Shall I set it?"


def test_list_reminders_soonest_first(dialogue: Dialogue, store: Store, clock: FakeClock) -> None:
    assert "don't have any reminders" in say(dialogue, "what reminders do we have")
    store.add_reminder("2026-11-27T19:00:00", None, "plan the weekend", clock.now())
    store.add_reminder("2026-11-23T20:00:00", "FREQ=DAILY", "thank her", clock.now())
    text = say(dialogue, "what reminders do we have")
    assert text == "You have 2 reminders. Every day at 8 pm: thank her. Friday at 7 pm: plan the weekend."


def test_cancel_all_needs_confirmation(dialogue: Dialogue, store: Store, clock: FakeClock) -> None:
    for message in ("thank her", "plan a date"):
        store.add_reminder("2026-11-24T20:00:00", None, message, clock.now())
    assert say(dialogue, "cancel all my reminders") == "Cancel all 2 reminders?"
    assert say(dialogue, "no") == "Okay, I'll keep them."
    assert len(store.reminders()) == 2
    say(dialogue, "delete all reminders")
    assert say(dialogue, "yes") == "Cancelled 2 reminders."
    assert store.reminders() == []


def test_cancel_one_by_description(dialogue: Dialogue, store: Store, clock: FakeClock) -> None:
    store.add_reminder("2026-11-24T20:00:00", None, "thank her", clock.now())
    store.add_reminder("2026-11-24T21:00:00", None, "book the babysitter", clock.now())
    assert say(dialogue, "cancel the reminder about the babysitter").startswith("Cancel this one? Tomorrow at 9 pm")
    assert say(dialogue, "yes") == "Cancelled."
    assert [r.message for r in store.reminders()] == ["thank her"]


def test_daily_check_in_walks_through_every_step(dialogue: Dialogue, catalogue: Catalogue, store: Store) -> None:
    script = catalogue.scripts["daily"]
    spoken = [say(dialogue, "start our daily check-in")]
    while len(spoken) < len(script.steps):
        spoken.append(say(dialogue, "next"))
    assert "Sam" in spoken[0] and "Alex" in spoken[0]
    assert not any("{" in text for text in spoken)
    turns = [text for text, step in zip(spoken, script.steps) if step.role == "turn"]
    assert turns and all("Take about 2 minutes" in text for text in turns)
    assert "end of your check-in" in spoken[-1]
    assert [e.detail for e in store.events(["check_in"])] == ["daily"]


def test_check_in_kind_is_asked_when_unsaid_and_first_speaker_alternates(dialogue: Dialogue,
                                                                         catalogue: Catalogue) -> None:
    first_turn = next(s for s in catalogue.scripts["weekly"].steps if s.role == "turn" and s.speaker == "first")
    question = dialogue.handle("let's do a check in")
    assert question[-1].expects_answer and "weekly" in question[-1].text
    texts = [say(dialogue, "the weekly one")]
    for _ in catalogue.scripts["weekly"].steps[1:]:
        texts.append(say(dialogue, "next"))
    index = catalogue.scripts["weekly"].steps.index(first_turn)
    assert texts[index].startswith(first_turn.text.replace("{first}", "Sam").replace("{second}", "Alex")[:20])
    again = [say(dialogue, "start our weekly check in")]
    for _ in catalogue.scripts["weekly"].steps[1:index + 1]:
        again.append(say(dialogue, "next"))
    assert again[index].startswith(first_turn.text.replace("{first}", "Alex").replace("{second}", "Sam")[:20])


def test_love_language_quiz_gives_each_partner_a_result(dialogue: Dialogue, catalogue: Catalogue) -> None:
    opening = say(dialogue, "let's take the love language quiz")
    assert "Number 1 of 20" in opening and "Sam, first or second?" in opening
    replies = []
    for _ in catalogue.quiz:
        say(dialogue, "first")
        replies = dialogue.handle("b")
    results = " ".join(r.text for r in replies)

    def top(side: str) -> str:
        tally = Counter(getattr(item, side).language for item in catalogue.quiz)
        best = max(tally.values())
        return " and ".join(catalogue.language(k).name for k in sorted(k for k, n in tally.items() if n == best))

    assert f"Sam, your main love language is {top('first')}." in results
    assert f"Alex, your main love language is {top('second')}." in results
    assert "Alex, one way to speak it this week" in results and "Sam, one way to speak it this week" in results


def test_love_languages_explained_then_quiz_offered(dialogue: Dialogue) -> None:
    replies = dialogue.handle("what are the five love languages")
    assert "words of affirmation" in " ".join(r.text for r in replies)
    assert replies[-1].expects_answer
    assert "Number 1 of 20" in say(dialogue, "yes")


def test_log_date_and_progress(dialogue: Dialogue, clock: FakeClock) -> None:
    assert "No date logged yet" in say(dialogue, "how are we doing")
    assert say(dialogue, "we went on a date last night") == "Lovely. I've logged your date. That's the first this month."
    assert "Last date yesterday, on track." in say(dialogue, "how are we doing")
    clock.advance(days=9)
    text = say(dialogue, "how are we doing")
    assert "Last date 10 days ago, overdue." in text and "no check-ins this month" in text


def test_counsellor_suggested_after_repeated_hard_topics(dialogue: Dialogue) -> None:
    for ask in ("how can we rebuild trust", "any advice on forgiveness"):
        assert "counsellor can really help" not in say(dialogue, ask)
    assert "counsellor can really help" in say(dialogue, "how do we stop arguing so much")


def test_gratitude_prompt_is_counted(dialogue: Dialogue) -> None:
    assert say(dialogue, "give us a gratitude prompt")
    assert "1 gratitude prompt this week" in say(dialogue, "how are we doing")


def test_tip_on_the_seven_seven_seven_rhythm(dialogue: Dialogue, catalogue: Catalogue) -> None:
    ids = item_ids(dialogue, "what is the seven seven seven rule")
    item = next(i for i in catalogue.items if i.id == ids[0])
    assert item.attrs["topic"] == "quality_time"
