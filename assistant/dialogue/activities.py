"""Multi-turn activities: the check-in walk-through and the love-language quiz.

Each activity is a small state object; the dialogue routes "next", "repeat" and answers to it
while it is active and drops it on "stop".
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

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
    """Steps through a check-in script one "next" at a time."""

    script: CheckInScript
    """The daily or weekly script."""
    first: str
    """Name of the partner who speaks first this time."""
    second: str
    """Name of the other partner."""
    index: int = 0
    """The step being spoken."""

    @property
    def step(self) -> CheckInStep:
        return self.script.steps[self.index]

    @property
    def finished(self) -> bool:
        return self.index >= len(self.script.steps) - 1

    def say_step(self) -> Reply:
        step = self.step
        text = fill_names(step.text, self.first, self.second)
        if step.role == "turn":
            minutes = step.seconds // 60
            span = f"{minutes} minutes" if minutes > 1 else f"{step.seconds} seconds"
            text += f" Take about {span}, and say next when you are done."
        elif not self.finished:
            text += " Say next when you are ready."
        return Reply(text, expects_answer=not self.finished)

    def advance(self) -> Reply | None:
        """The next step's reply, or None when the script is over."""
        if self.finished:
            return None
        self.index += 1
        return self.say_step()


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
