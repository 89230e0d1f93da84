"""Multi-turn activities: the check-in walk-through and the love-language quiz.

Each activity is a small state object; the dialogue routes "next", "repeat" and answers to it
while it is active and drops it on "stop".
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from assistant.catalogue.model import Catalogue, CheckInScript, CheckInStep, QuizItem
from assistant.messages import Reply

FIRST_ANSWERS = frozenset({"1st", "1", "a", "the 1st", "1st 1", "the 1st 1", "first", "option a", "option 1",
                           "answer a", "the 1st option", "1st option", "number 1", "the former", "former"})
SECOND_ANSWERS = frozenset({"2nd", "2", "b", "the 2nd", "2nd 1", "the 2nd 1", "second", "option b", "option 2",
                            "answer b", "the 2nd option", "2nd option", "number 2", "the latter", "latter",
                            "be", "bee"})


def fill_names(text: str, first: str, second: str) -> str:
    """Put the partners' names into a script line."""
    return text.replace("{first}", first).replace("{second}", second)


@dataclass
class CheckInWalkthrough:
    """Steps through a check-in script, timing each speaker's turn.

    Only positions and times are kept here; nothing the partners say is ever stored.
    """

    script: CheckInScript
    """The daily or weekly script."""
    first: str
    """Name of the partner who speaks first this time."""
    second: str
    """Name of the other partner."""
    index: int = 0
    """The step being spoken."""
    turn_seconds: int | None = None
    """Overrides the script's turn length when set (from config)."""
    started: datetime | None = None
    """When the current timed turn began; None when the step is not a turn."""
    paused_at: datetime | None = None
    """When the couple said pause; None while running."""
    extra_seconds: int = 0
    """Time added to this turn by "more time"."""
    warned: bool = False
    """Whether "thirty seconds left" was said for this turn."""

    @property
    def step(self) -> CheckInStep:
        return self.script.steps[self.index]

    @property
    def finished(self) -> bool:
        return self.index >= len(self.script.steps) - 1

    def turn_length(self) -> int:
        """Seconds the current turn lasts, with any time added; 0 for an untimed step."""
        if self.step.role != "turn":
            return 0
        return (self.turn_seconds or self.step.seconds) + self.extra_seconds

    def say_step(self, now: datetime | None = None) -> Reply:
        """The current step's words; starts its timer when it is a turn."""
        step = self.step
        text = fill_names(step.text, self.first, self.second)
        self.started = now if step.role == "turn" else None
        self.paused_at, self.extra_seconds, self.warned = None, 0, False
        if step.role == "turn":
            seconds = self.turn_length()
            span = f"{seconds // 60} minutes" if seconds >= 120 else (
                "a minute" if seconds >= 60 else f"{seconds} seconds")
            text += f" Take about {span}, and say next when you are done."
        elif not self.finished:
            text += " Say next when you are ready."
        return Reply(text, expects_answer=not self.finished)

    def advance(self, now: datetime | None = None) -> Reply | None:
        """The next step's reply, or None when the script is over."""
        if self.finished:
            return None
        self.index += 1
        return self.say_step(now)

    def remaining(self, now: datetime) -> float | None:
        """Seconds left in a running turn; None when no turn is being timed."""
        if self.started is None:
            return None
        end = self.paused_at or now
        return self.turn_length() - (end - self.started).total_seconds()

    def pause(self, now: datetime) -> None:
        if self.paused_at is None:
            self.paused_at = now

    def resume(self, now: datetime) -> None:
        if self.paused_at is not None and self.started is not None:
            self.started += now - self.paused_at
        self.paused_at = None

    def more_time(self, seconds: int) -> None:
        self.extra_seconds += seconds
        self.warned = False


@dataclass
class LoveQuiz:
    """Reads forced-choice items and asks each partner "first or second?"."""

    catalogue: Catalogue
    """Where the items and languages come from."""
    names: tuple[str, str]
    """Both partners, in answering order."""
    index: int = 0
    """Current quiz item."""
    answerer: int = 0
    """Which partner answers next (0 or 1)."""
    tallies: tuple[Counter[str], Counter[str]] = field(default_factory=lambda: (Counter(), Counter()))
    """Answers per language, per partner."""

    @property
    def item(self) -> QuizItem:
        return self.catalogue.quiz[self.index]

    def ask(self) -> Reply:
        item = self.item
        name = self.names[self.answerer]
        if self.answerer == 0:
            text = (f"Number {self.index + 1} of {len(self.catalogue.quiz)}. First: {item.first.text} "
                    f"Second: {item.second.text} {name}, first or second?")
        else:
            text = f"{name}, first or second?"
        return Reply(text, expects_answer=True)

    def read_again(self) -> Reply:
        item = self.item
        return Reply(f"First: {item.first.text} Second: {item.second.text} "
                     f"{self.names[self.answerer]}, first or second?", expects_answer=True)

    @staticmethod
    def parse_answer(normalized: str) -> int | None:
        """0 for first, 1 for second, None when the words are not an answer."""
        words = normalized.removeprefix("i say ").removeprefix("i pick ").removeprefix("i choose ")
        if words in FIRST_ANSWERS:
            return 0
        if words in SECOND_ANSWERS:
            return 1
        return None

    def answer(self, choice: int) -> list[Reply]:
        """Record an answer and return what to say next (the next question or the results)."""
        picked = self.item.first if choice == 0 else self.item.second
        self.tallies[self.answerer][picked.language] += 1
        if self.answerer == 0:
            self.answerer = 1
            return [self.ask()]
        self.answerer = 0
        if self.index + 1 < len(self.catalogue.quiz):
            self.index += 1
            return [self.ask()]
        return self.results()

    def skip(self) -> list[Reply]:
        self.answerer = 0
        if self.index + 1 < len(self.catalogue.quiz):
            self.index += 1
            return [self.ask()]
        return self.results()

    def primary(self, partner: int) -> list[str]:
        """The love language(s) with the most answers for a partner (several on a tie)."""
        tally = self.tallies[partner]
        if not tally:
            return []
        top = max(tally.values())
        return sorted(lang for lang, n in tally.items() if n == top)

    def results(self) -> list[Reply]:
        replies = [Reply("That's the whole quiz. Here are your results.")]
        for partner in (0, 1):
            other = self.names[1 - partner]
            langs = [self.catalogue.language(lang) for lang in self.primary(partner)]
            if not langs:
                continue
            names = " and ".join(lang.name for lang in langs)
            lead = langs[0]
            replies.append(Reply(
                f"{self.names[partner]}, your main love language is {names}. "
                f"{other}, one way to speak it this week: {lead.ideas[0]}"))
        return replies
