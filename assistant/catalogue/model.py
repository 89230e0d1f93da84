"""What the content catalogue holds: typed, immutable records loaded from `assistant/content/`."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Item:
    """One speakable piece of content: a question, date idea, gratitude prompt or tip."""

    id: str
    """Unique across the catalogue, e.g. q-fun-light-001."""
    kind: str
    """question, date, gratitude or tip."""
    text: str
    """The words to say; may hold {first} and {second} for the partners' names."""
    theme: str
    """One of the fixed themes (quality_time, trust, ...)."""
    tags: tuple[str, ...] = ()
    """Free-form lowercase tags."""
    attrs: dict[str, str] = field(default_factory=dict)
    """Filterable attributes: category, depth, budget, setting, duration, energy, topic."""


@dataclass(frozen=True)
class LoveLanguage:
    id: str
    """words_of_affirmation, quality_time, acts_of_service, receiving_gifts or physical_touch."""
    name: str
    """How it is said aloud."""
    text: str
    """A spoken explanation."""
    ideas: tuple[str, ...]
    """Concrete ways a partner can speak it this week."""


@dataclass(frozen=True)
class QuizChoice:
    text: str
    """The statement read aloud."""
    language: str
    """The love language id this answer counts towards."""


@dataclass(frozen=True)
class QuizItem:
    id: str
    """llq-01 ..."""
    first: QuizChoice
    """Read as "First: ..."."""
    second: QuizChoice
    """Read as "Second: ..."."""


@dataclass(frozen=True)
class CheckInStep:
    id: str
    """daily-01 ..."""
    role: str
    """intro, rules, prompt, turn, paraphrase, swap or close."""
    speaker: str
    """Who talks: none, first, second or both."""
    seconds: int
    """Length of a timed turn; 0 when the step is not timed."""
    text: str
    """What the assistant says; may hold {first} and {second}."""


@dataclass(frozen=True)
class CheckInScript:
    id: str
    """daily or weekly."""
    title: str
    """Spoken title."""
    minutes: int
    """Rough length."""
    steps: tuple[CheckInStep, ...]
    """In order."""


@dataclass(frozen=True)
class Catalogue:
    items: tuple[Item, ...]
    """All questions, date ideas, gratitude prompts and tips."""
    love_intro: str
    """Introduction to the five love languages."""
    languages: tuple[LoveLanguage, ...]
    """The five love languages."""
    quiz_intro: str
    """How the quiz works."""
    quiz: tuple[QuizItem, ...]
    """Forced-choice quiz items."""
    scripts: dict[str, CheckInScript]
    """Check-in scripts by id."""

    def pool(self, kind: str, **filters: str | None) -> list[Item]:
        """Items of `kind` whose attributes equal every filter that is not None."""
        wanted = {k: v for k, v in filters.items() if v is not None}
        return [i for i in self.items if i.kind == kind and all(i.attrs.get(k) == v for k, v in wanted.items())]

    def language(self, language_id: str) -> LoveLanguage:
        """The love language with this id."""
        return next(lang for lang in self.languages if lang.id == language_id)
