"""The dialogue: a pure state machine from utterances to replies.

`Dialogue.handle(text)` matches the utterance, lets an active activity or a pending
question claim it, and otherwise dispatches the intent through `self._handlers`. It never
touches audio; time comes from the injected clock and randomness from the injected RNG.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from rapidfuzz import fuzz

from assistant.catalogue.model import Catalogue, Item
from assistant.clock import Clock
from assistant.dialogue.activities import CheckInWalkthrough, LoveQuiz, fill_names
from assistant.dialogue.phrasing import count_phrase, ensure_sentence, join_words, schedule_phrase
from assistant.dialogue.picker import ItemPicker
from assistant.matching.matcher import UNKNOWN, Matcher
from assistant.matching.normalize import normalize
from assistant.matching.times import find_past_day, find_time
from assistant.messages import IntentMatch, Reminder, Reply
from assistant.reminders.delivery import ReminderDesk
from assistant.reminders.from_text import reminder_kind
from assistant.reminders.schedule import RecurrenceError, check_rrule
from assistant.settings import QuietHours
from assistant.storage.database import Store

Handler = Callable[[IntentMatch], list[Reply]]

DEFAULT_NAMES = ("Partner one", "Partner two")
# 7-7-7: a date every 7 days, a night away every 7 weeks, a trip every 7 months.
RHYTHM_DAYS = {"date": 7, "night_away": 49, "trip": 213}
RHYTHM_WORDS = {"date": "date", "night_away": "night away", "trip": "trip"}
HARD_TOPICS = frozenset({"trust", "apology", "forgiveness", "communication", "counseling"})
EXAMPLE_PAIRS = (
    ("give us a question", "suggest a cheap date at home"),
    ("start our weekly check-in", "remind me every evening at eight to thank her"),
    ("give us a gratitude prompt", "any tips on listening"),
    ("what's my love language", "how are we doing"),
)
MORE_TIME_SECONDS = 60
WARN_AT_SECONDS = 30
CHECK_IN_STATE = "check_in_progress"
# Said during a check-in without an intent of their own; everything else partners say in a
# turn is theirs, and is neither answered nor kept.
MORE_TIME = re.compile(r"\b(more time|another minute|1 more minute|a bit longer|a little longer|extra time|"
                       r"more minutes?)\b")
PAUSE = re.compile(r"^(pause|pause it|pause the (check in|timer)|hold on|hang on|wait|wait a (minute|second|sec))$")
RESUME = re.compile(r"^(resume|unpause|carry on|continue|go on|we are back|i am back|ok we are back|start again)$")
RESUME_WORDS = re.compile(r"\b(resume|continue|pick up|picking up|carry on|get back to|go back to|finish)\b")
UNCLEAR_REPEAT = ("I can't work out how often that should repeat. Try every day, every Sunday, "
                  "or every evening at eight.")
REPEATING = re.compile(r"\b(every|each)\b")
REMINDER_START = re.compile(r"^(remind (me|us)|set (a|an) reminder|add a reminder|make a reminder)\b")
HELP_TEXT = (
    "Here's what I can do. Conversation questions: say give us a deep question about our dreams. "
    "Date ideas: suggest a cheap date at home. Gratitude: give us a gratitude prompt. "
    "Check-ins: start our weekly check-in. Reminders: remind me every evening at eight to thank her, "
    "what reminders do I have, or cancel a reminder. Love languages: let's take the love language quiz. "
    "Tips: any advice on apologising. Rituals: we went on a date tonight, and how are we doing. "
    "Any time you can say repeat, next or stop."
)


@dataclass
class Pending:
    """A question the assistant asked and is waiting for the couple to answer."""

    on_yes: Callable[[], list[Reply]]
    """What to do on yes."""
    on_no: Callable[[], list[Reply]]
    """What to do on no."""
    on_text: Callable[[str, IntentMatch], list[Reply] | None] | None = None
    """Handles a free answer (a time, a message, a choice); None when it is not one."""


@dataclass
class DraftReminder:
    """A reminder being put together over several turns."""

    message: str | None = None
    """What to say when it is due."""
    when: datetime | None = None
    """First occurrence."""
    rrule: str | None = None
    """Recurrence, if any."""
    clip: str | None = None
    """The recorded request, when it was spoken."""


@dataclass
class _Offer:
    """The last kind of thing offered, so "another one" keeps the same filters."""

    kind: str
    filters: dict[str, str | None] = field(default_factory=dict)
    last_id: str | None = None


class Dialogue:
    """One conversation with the couple. Not thread-safe; one instance per session."""

    def __init__(self, matcher: Matcher, catalogue: Catalogue, store: Store, clock: Clock,
                 partners: tuple[str, ...] = (), rng: random.Random | None = None,
                 quiet_hours: QuietHours | None = None, turn_seconds: int | None = None) -> None:
        self.matcher = matcher
        self.catalogue = catalogue
        self.store = store
        self.clock = clock
        self.names = (tuple(partners) + DEFAULT_NAMES[len(partners):])[:2]
        self.rng = rng or random.Random()
        self.picker = ItemPicker(store, self.rng)
        self.pending: Pending | None = None
        self.activity: CheckInWalkthrough | LoveQuiz | None = None
        self.offer: _Offer | None = None
        self.last_replies: list[Reply] = []
        self.misunderstood = 0
        self.turn = 0
        self.turn_seconds = turn_seconds
        self._clip: str | None = None
        self.desk = ReminderDesk(store, clock, quiet_hours, self._fresh_gratitude_text)
        self._handlers: dict[str, Handler] = {
            "ask_question": self._ask_question,
            "suggest_date": self._suggest_date,
            "gratitude_prompt": self._gratitude,
            "relationship_tip": self._tip,
            "start_check_in": self._start_check_in,
            "set_reminder": self._set_reminder,
            "list_reminders": self._list_reminders,
            "cancel_reminder": self._cancel_reminder,
            "love_languages": self._love_languages,
            "log_date": self._log_date,
            "progress": self._progress,
            "repeat": self._repeat,
            "next": self._next,
            "stop": self._stop,
            "help": self._help,
            "yes": self._yes,
            "no": self._no,
            UNKNOWN: self._unknown,
        }

    # entry points ---------------------------------------------------------------------
    def greeting(self) -> list[Reply]:
        """What to say when the session starts."""
        who = f"Hi {self.names[0]} and {self.names[1]}." if self.names != DEFAULT_NAMES else "Hi, you two."
        return self._remember([Reply(f"{who} I'm here whenever you want a question, a date idea or a "
                                     "check-in. Say help to hear everything I can do.")])

    def tick(self, say: Callable[[Reply], None]) -> None:
        """Time passing: due reminders, check-in turn timers, and a gentle nudge when a date is
        overdue. Call it every second or so; `say` must return once the words are out."""
        def said(reply: Reply) -> None:
            say(reply)
            self._remember([reply])
        self.desk.run(said)
        if isinstance(self.activity, CheckInWalkthrough):
            for reply in self._time_turn():
                said(reply)
        elif self.activity is None and self.pending is None:
            for reply in self._nudge():
                said(reply)

    def handle(self, text: str, clip: str | None = None) -> list[Reply]:
        """Everything the assistant says in answer to one utterance.

        `clip` names a recording of the utterance (voice only), kept with a reminder so it can
        be replayed in the speaker's own voice."""
        now = self.clock.now()
        match = self.matcher.recognize_best(text, now)
        self._clip = clip
        replies = self._claimed_by_activity(text, match)
        if replies is None:
            replies = self._claimed_by_pending(text, match)
        if replies is None:
            if match.intent not in ("yes", "no"):
                self.pending = None
            replies = self._handlers[match.intent](match)
        if match.intent != UNKNOWN:
            self.misunderstood = 0
        if match.intent != "repeat":
            self._remember(replies)
        return replies

    # routing ---------------------------------------------------------------------------
    def _claimed_by_activity(self, text: str, match: IntentMatch) -> list[Reply] | None:
        if isinstance(self.activity, LoveQuiz):
            choice = LoveQuiz.parse_answer(normalize(text))
            if choice is not None:
                replies = self.activity.answer(choice)
                if len(replies) > 1:
                    self.store.add_event("quiz", self.clock.now())
                    self.activity = None
                return replies
            if match.intent == "next":
                replies = self.activity.skip()
                if len(replies) > 1:
                    self.activity = None
                return replies
            if match.intent == "repeat":
                return [self.activity.read_again()]
        if isinstance(self.activity, CheckInWalkthrough):
            return self._check_in_control(normalize(text), match)
        return None

    def _check_in_control(self, words: str, match: IntentMatch) -> list[Reply] | None:
        walk = self.activity
        assert isinstance(walk, CheckInWalkthrough)
        now = self.clock.now()
        if walk.paused_at is not None and RESUME.match(words):
            walk.resume(now)
            return [Reply("Carrying on.", expects_answer=True)]
        if PAUSE.match(words):
            walk.pause(now)
            return [Reply("Paused. Say resume when you're ready.", expects_answer=True)]
        if match.intent in ("next", "yes") or words in ("skip", "skip it", "skip this", "skip this one"):
            return self._advance_check_in()
        if match.intent == "repeat":
            return list(self.last_replies)
        if MORE_TIME.search(words):
            walk.more_time(MORE_TIME_SECONDS)
            return [Reply("Okay, one more minute.", expects_answer=True)]
        if match.intent == "stop":
            return None
        return []

    def _advance_check_in(self) -> list[Reply]:
        walk = self.activity
        assert isinstance(walk, CheckInWalkthrough)
        reply = walk.advance(self.clock.now())
        self._save_check_in_progress()
        if reply is None:
            return self._finish_check_in()
        if walk.finished:
            return [reply, *self._finish_check_in()]
        return [reply]

    def _time_turn(self) -> list[Reply]:
        walk = self.activity
        assert isinstance(walk, CheckInWalkthrough)
        now = self.clock.now()
        left = walk.remaining(now)
        if left is None or walk.paused_at is not None:
            return []
        if left <= 0:
            speaker = walk.first if walk.step.speaker == "first" else (
                walk.second if walk.step.speaker == "second" else "you two")
            return [Reply(f"Time's up. Thank you, {speaker}.", chime=True), *self._advance_check_in()]
        if left <= WARN_AT_SECONDS and not walk.warned and walk.turn_length() > WARN_AT_SECONDS:
            walk.warned = True
            return [Reply("Thirty seconds left.", chime=True, expects_answer=True)]
        return []

    def _nudge(self) -> list[Reply]:
        now = self.clock.now()
        if self.desk.quiet_now() or self.store.get_state("nudge_day") == now.date().isoformat():
            return []
        dates = self.store.events(["date"])
        first_seen = self.store.get_state("first_seen")
        if first_seen is None:
            # the rhythm is counted from the first day the couple used it, not from the epoch
            self.store.set_state("first_seen", now.isoformat())
            first_seen = now.isoformat()
        since = dates[-1].at if dates else datetime.fromisoformat(first_seen)
        days = (now.date() - since.astimezone(now.tzinfo).date()).days
        if days <= RHYTHM_DAYS["date"]:
            return []
        self.store.set_state("nudge_day", now.date().isoformat())
        said = f"It's been {days} days since your last date" if dates else "You haven't logged a date yet"
        return [self._ask(f"{said}. A date every week keeps you close. Would you like an idea?",
                          lambda: self._offer_item("date", {}))]

    def _claimed_by_pending(self, text: str, match: IntentMatch) -> list[Reply] | None:
        pending = self.pending
        if pending is None:
            return None
        if match.intent == "yes":
            self.pending = None
            return pending.on_yes()
        if match.intent == "no":
            self.pending = None
            return pending.on_no()
        if match.intent == "stop":
            self.pending = None
            return [Reply("Okay, never mind.")]
        if pending.on_text is not None and match.intent in (UNKNOWN, "set_reminder", "start_check_in",
                                                             "log_date", "cancel_reminder"):
            return pending.on_text(text, match)
        return None

    def _remember(self, replies: list[Reply]) -> list[Reply]:
        if replies:
            self.last_replies = list(replies)
        return replies

    def _ask(self, reply_text: str, on_yes: Callable[[], list[Reply]],
             on_no: Callable[[], list[Reply]] | None = None,
             on_text: Callable[[str, IntentMatch], list[Reply] | None] | None = None) -> Reply:
        self.pending = Pending(on_yes, on_no or (lambda: [Reply("Okay.")]), on_text)
        return Reply(reply_text, expects_answer=True)

    # catalogue items -------------------------------------------------------------------
    def _pick(self, kind: str, filters: dict[str, str | None]) -> tuple[Item | None, dict[str, str | None]]:
        """An unused item matching the filters, relaxing them one at a time if none exists."""
        now = self.clock.now()
        avoid = self.offer.last_id if self.offer else None
        tried = dict(filters)
        while True:
            item = self.picker.pick(self.catalogue.pool(kind, **tried), now, avoid)
            if item is not None or not any(v is not None for v in tried.values()):
                return item, tried
            last = [k for k, v in tried.items() if v is not None][-1]
            tried[last] = None

    def _offer_item(self, kind: str, filters: dict[str, str | None]) -> list[Reply]:
        item, used = self._pick(kind, filters)
        if item is None:
            return [Reply("I'm out of ideas for that right now.")]
        self.offer = _Offer(kind, filters, item.id)
        text = fill_names(item.text, *self._speaking_order())
        relaxed = "" if used == filters else "I don't have one quite like that, so here's a close one. "
        if kind == "question":
            starter = self._speaking_order()[0]
            self.turn += 1
            return [Reply(f"{relaxed}{text} {starter}, you go first.", expects_answer=False, item_id=item.id)]
        if kind == "date":
            return [Reply(f"{relaxed}How about this: {text}", item_id=item.id),
                    self._ask("Want another idea?", lambda: self._offer_item("date", filters))]
        if kind == "gratitude":
            self.store.add_event("gratitude", self.clock.now(), item.id)
            return [Reply(f"{relaxed}{text}", item_id=item.id)]
        return [Reply(f"{relaxed}{text}", item_id=item.id)]

    def _speaking_order(self) -> tuple[str, str]:
        first = self.turn % 2
        return self.names[first], self.names[1 - first]

    def _ask_question(self, match: IntentMatch) -> list[Reply]:
        return self._offer_item("question", {"category": match.slots.get("category"),
                                             "depth": match.slots.get("depth")})

    def _suggest_date(self, match: IntentMatch) -> list[Reply]:
        return self._offer_item("date", {"budget": match.slots.get("budget"),
                                         "setting": match.slots.get("setting")})

    def _gratitude(self, match: IntentMatch) -> list[Reply]:
        return self._offer_item("gratitude", {})

    def _tip(self, match: IntentMatch) -> list[Reply]:
        topic = match.slots.get("topic")
        now = self.clock.now()
        replies = self._offer_item("tip", {"topic": topic})
        self.store.add_event("tip", now, topic or "")
        recent = [e for e in self.store.events(["tip"], now - timedelta(days=14)) if e.detail in HARD_TOPICS]
        if topic != "counseling" and topic in HARD_TOPICS and len(recent) >= 3:
            replies.append(Reply("You've asked about some hard things lately. That takes courage. If it keeps "
                                 "feeling heavy, a couples counsellor can really help, and going early is a "
                                 "sign of strength, not failure."))
        return replies

    # check-ins and quiz ------------------------------------------------------------------
    def _start_check_in(self, match: IntentMatch) -> list[Reply]:
        if RESUME_WORDS.search(normalize(match.text)):
            return self._resume_check_in()
        kind = match.slots.get("kind")
        if kind is None:
            def choose(text: str, m: IntentMatch) -> list[Reply] | None:
                chosen = m.slots.get("kind") or self._check_in_kind(text)
                return self._begin_check_in(chosen) if chosen else None
            return [self._ask("Would you like the quick daily check-in, or the longer weekly one?",
                              on_yes=lambda: self._begin_check_in("daily"), on_text=choose)]
        return self._begin_check_in(kind)

    def _check_in_kind(self, text: str) -> str | None:
        slot_list = self.matcher.grammar.lists["check_in_kind"].values
        words = normalize(text)
        for phrase, value in sorted(slot_list.items(), key=lambda kv: -len(kv[0])):
            if f" {phrase} " in f" {words} ":
                return value
        return None

    def _begin_check_in(self, kind: str) -> list[Reply]:
        script = self.catalogue.scripts[kind]
        done = len(self.store.events(["check_in"]))
        first, second = self.names if done % 2 == 0 else self.names[::-1]
        self.activity = CheckInWalkthrough(script, first, second, turn_seconds=self.turn_seconds)
        self._save_check_in_progress()
        return [self.activity.say_step(self.clock.now())]

    def _save_check_in_progress(self) -> None:
        # where the couple got to, never what they said: enough to pick up later today
        walk = self.activity
        if not isinstance(walk, CheckInWalkthrough):
            return
        self.store.set_state(CHECK_IN_STATE, json.dumps({
            "script": walk.script.id, "index": walk.index, "first": walk.first, "second": walk.second,
            "day": self.clock.now().date().isoformat()}))

    def _resume_check_in(self) -> list[Reply]:
        raw = self.store.get_state(CHECK_IN_STATE)
        saved = json.loads(raw) if raw else None
        if not saved or saved.get("day") != self.clock.now().date().isoformat() \
                or saved.get("script") not in self.catalogue.scripts:
            return [self._ask("There's no check-in to pick up today. Would you like to start a new one?",
                              lambda: self._start_check_in(IntentMatch("start_check_in", {}, 1.0, "")))]
        script = self.catalogue.scripts[saved["script"]]
        index = min(int(saved.get("index", 0)), len(script.steps) - 1)
        self.activity = CheckInWalkthrough(script, str(saved["first"]), str(saved["second"]), index,
                                           turn_seconds=self.turn_seconds)
        return [Reply("Welcome back. Picking up where you left off."),
                self.activity.say_step(self.clock.now())]

    def _finish_check_in(self) -> list[Reply]:
        assert isinstance(self.activity, CheckInWalkthrough)
        self.store.add_event("check_in", self.clock.now(), self.activity.script.id)
        self.store.set_state(CHECK_IN_STATE, None)
        self.activity = None
        return [Reply("That's the end of your check-in. Thank you both for showing up for each other.")]

    def _love_languages(self, match: IntentMatch) -> list[Reply]:
        words = set(normalize(match.text).split())
        if words & {"quiz", "test", "find", "figure", "discover", "work", "my", "his", "her", "each"}:
            return self._start_quiz()
        names = join_words([lang.name for lang in self.catalogue.languages])
        return [Reply(self.catalogue.love_intro), Reply(f"The five are {names}."),
                self._ask("Would you like to take the quiz together to find your own?", self._start_quiz)]

    def _start_quiz(self) -> list[Reply]:
        self.activity = LoveQuiz(self.catalogue, (self.names[0], self.names[1]))
        return [Reply(self.catalogue.quiz_intro), self.activity.ask()]

    # reminders ---------------------------------------------------------------------------
    def _set_reminder(self, match: IntentMatch) -> list[Reply]:
        draft = DraftReminder(message=match.slots.get("message"), rrule=match.slots.get("rrule"),
                              clip=self._clip)
        if "when" in match.slots:
            draft.when = datetime.fromisoformat(match.slots["when"]).replace(tzinfo=self.clock.now().tzinfo)
        if draft.rrule is None and REPEATING.search(normalize(match.text).replace(draft.message or "\0", "")):
            return [Reply(UNCLEAR_REPEAT)]
        return self._continue_reminder(draft)

    def _continue_reminder(self, draft: DraftReminder) -> list[Reply]:
        now = self.clock.now()
        if draft.when is None:
            def take_time(text: str, m: IntentMatch) -> list[Reply] | None:
                found = find_time(normalize(text), self.clock.now())
                if found is None:
                    return [self._ask("Sorry, I didn't get a time. When should I remind you? "
                                      "For example, tomorrow at nine am.", on_yes=lambda: [], on_text=take_time)]
                draft.when, draft.rrule = found.when, found.rrule or draft.rrule
                return self._continue_reminder(draft)
            return [self._ask("When should I remind you?", on_yes=lambda: [], on_text=take_time)]
        if draft.when <= now and draft.rrule is None:
            draft.when = None
            return [Reply("That time has already passed."), *self._continue_reminder(draft)]
        if not draft.message:
            def take_message(text: str, m: IntentMatch) -> list[Reply] | None:
                words = normalize(text).removeprefix("to ").strip()
                if not words:
                    return None
                draft.message = words
                return self._continue_reminder(draft)
            return [self._ask("What should I remind you about?", on_yes=lambda: [], on_text=take_message)]
        phrase = schedule_phrase(draft.when, draft.rrule, now)
        return [self._ask(f"{phrase}: {ensure_sentence(draft.message)} Shall I set it?",
                          on_yes=lambda: self._save_reminder(draft),
                          on_no=lambda: [Reply("Okay, I won't set it.")])]

    def _save_reminder(self, draft: DraftReminder) -> list[Reply]:
        assert draft.when is not None and draft.message
        if draft.rrule:
            try:
                check_rrule(draft.rrule, draft.when)
            except RecurrenceError as exc:
                return [Reply(str(exc))]
        kind = reminder_kind(draft.message)
        self.store.add_reminder(draft.when.replace(tzinfo=None).isoformat(timespec="seconds"),
                                draft.rrule, draft.message, self.clock.now(), kind, draft.clip)
        if kind == "gratitude":
            return [Reply("Done. At that time I'll give you a fresh gratitude prompt.")]
        return [Reply("Done. I'll remind you.")]

    def _fresh_gratitude_text(self) -> str:
        item = self.picker.pick(self.catalogue.pool("gratitude"), self.clock.now())
        if item is None:
            return "Tell each other one thing you are grateful for today."
        self.store.add_event("gratitude", self.clock.now(), item.id)
        return fill_names(item.text, *self.names)

    def _describe(self, reminder: Reminder) -> str:
        when = datetime.fromisoformat(reminder.when).replace(tzinfo=self.clock.now().tzinfo)
        return f"{schedule_phrase(when, reminder.rrule, self.clock.now())}: {ensure_sentence(reminder.message)}"

    def _list_reminders(self, match: IntentMatch) -> list[Reply]:
        reminders = self.store.reminders()
        if not reminders:
            return [Reply("You don't have any reminders. Try: remind me every evening at eight to thank her.")]
        count = "one reminder" if len(reminders) == 1 else f"{len(reminders)} reminders"
        spoken = " ".join(self._describe(r) for r in reminders[:5])
        more = f" And {len(reminders) - 5} more." if len(reminders) > 5 else ""
        return [Reply(f"You have {count}. {spoken}{more}")]

    def _cancel_reminder(self, match: IntentMatch) -> list[Reply]:
        reminders = self.store.reminders()
        if not reminders:
            return [Reply("There are no reminders to cancel.")]
        which = match.slots.get("which")
        if which == "all":
            count = "your only reminder" if len(reminders) == 1 else f"all {len(reminders)} reminders"
            return [self._ask(f"Cancel {count}?", on_yes=lambda: self._cancel(reminders),
                              on_no=lambda: [Reply("Okay, I'll keep them.")])]
        if which:
            scored = sorted(((fuzz.token_set_ratio(which, r.message), r) for r in reminders),
                            key=lambda pair: -pair[0])
            if scored[0][0] >= 60:
                target = scored[0][1]
                return [self._ask(f"Cancel this one? {self._describe(target)}",
                                  on_yes=lambda: self._cancel([target]),
                                  on_no=lambda: [Reply("Okay, I'll keep it.")])]
            return [Reply(f"I couldn't find a reminder about {which}."), *self._list_reminders(match)]
        if len(reminders) == 1:
            only = reminders[0]
            return [self._ask(f"Cancel this one? {self._describe(only)}", on_yes=lambda: self._cancel([only]))]

        def choose(text: str, m: IntentMatch) -> list[Reply] | None:
            words = m.slots.get("which") or normalize(text)
            return self._cancel_reminder(IntentMatch("cancel_reminder", {"which": words}, 1.0, text))
        listing = self._list_reminders(match)[0].text
        return [self._ask(f"{listing} Which one should I cancel?", on_yes=lambda: [], on_text=choose)]

    def _cancel(self, reminders: list[Reminder]) -> list[Reply]:
        count = self.store.cancel_reminders(r.id for r in reminders)
        return [Reply("Cancelled." if count == 1 else f"Cancelled {count} reminders.")]

    # rituals ----------------------------------------------------------------------------
    def _log_date(self, match: IntentMatch) -> list[Reply]:
        kind = match.slots.get("kind", "date")
        now = self.clock.now()
        # "we went out last night" counts from when it happened, not from when it was said
        self.store.add_event(kind, find_past_day(normalize(match.text), now) or now)
        month = [e for e in self.store.events([kind]) if (e.at.year, e.at.month) == (now.year, now.month)]
        word = RHYTHM_WORDS[kind]
        times = "the first" if len(month) == 1 else f"number {len(month)}"
        return [Reply(f"Lovely. I've logged your {word}. That's {times} this month.")]

    def _progress(self, match: IntentMatch) -> list[Reply]:
        now = self.clock.now()
        parts: list[str] = []
        for kind, every in RHYTHM_DAYS.items():
            events = self.store.events([kind])
            word = RHYTHM_WORDS[kind]
            if not events:
                parts.append(f"No {word} logged yet.")
                continue
            days = (now.date() - events[-1].at.astimezone(now.tzinfo).date()).days
            ago = "today" if days == 0 else ("yesterday" if days == 1 else f"{days} days ago")
            status = "on track" if days <= every else "overdue"
            parts.append(f"Last {word} {ago}, {status}.")
        month_start = now.replace(day=1, hour=0, minute=0, second=0)
        check_ins = len(self.store.events(["check_in"], month_start))
        week = len(self.store.events(["gratitude"], now - timedelta(days=7)))
        parts.append(f"{count_phrase(check_ins, 'check-in')} this month, and "
                     f"{count_phrase(week, 'gratitude prompt')} this week.")
        return [Reply(" ".join(parts))]

    # controls ---------------------------------------------------------------------------
    def _repeat(self, match: IntentMatch) -> list[Reply]:
        return list(self.last_replies) or [Reply("I haven't said anything yet.")]

    def _next(self, match: IntentMatch) -> list[Reply]:
        if self.offer is None:
            return [Reply("Next what? Try: give us a question, or suggest a date.")]
        return self._offer_item(self.offer.kind, self.offer.filters)

    def _stop(self, match: IntentMatch) -> list[Reply]:
        if isinstance(self.activity, CheckInWalkthrough):
            self.activity = None
            return [Reply("Okay, we'll stop the check-in here. Say resume our check-in to pick it up "
                          "later today.")]
        if isinstance(self.activity, LoveQuiz):
            self.activity = None
            return [Reply("Okay, quiz stopped.")]
        self.offer = None
        return [Reply("Okay.")]

    def _help(self, match: IntentMatch) -> list[Reply]:
        return [Reply(HELP_TEXT)]

    def _yes(self, match: IntentMatch) -> list[Reply]:
        return [Reply("Great. What would you like? You can say help to hear the options.")]

    def _no(self, match: IntentMatch) -> list[Reply]:
        return [Reply("Okay.")]

    def _unknown(self, match: IntentMatch) -> list[Reply]:
        words = normalize(match.text)
        if REMINDER_START.match(words):
            # clearly a reminder, with a timing the time parser could not follow
            if REPEATING.search(words):
                return [Reply(UNCLEAR_REPEAT)]
            return [Reply("I couldn't follow when. Try: remind me tomorrow at nine to call my sister.")]
        self.misunderstood += 1
        if self.misunderstood >= 2:
            self.misunderstood = 0
            return [self._ask("I'm not getting it, sorry. Would you like to hear what I can do?",
                              on_yes=lambda: [Reply(HELP_TEXT)])]
        first, second = EXAMPLE_PAIRS[self.rng.randrange(len(EXAMPLE_PAIRS))]
        return [Reply(f"Sorry, I didn't catch that. You could say: {first}, or: {second}.")]
