"""Typed messages that flow between the stages of the assistant."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Transcript:
    """What a recogniser heard."""

    text: str
    """The words, lowercase, as recognised."""
    confidence: float = 1.0
    """0..1; typed text is 1.0."""
    engine: str = "text"
    """Which recogniser produced it (text, pocketsphinx, vosk, whisper)."""
    start: float = 0.0
    """Seconds from the start of the stream to the first word."""
    end: float = 0.0
    """Seconds from the start of the stream to the end of the last word."""
    guess: str = ""
    """What a closed grammar would have said when it refused the utterance (`text` is then ""):
    its nearest command, to compare with an open engine's words (see speech/rescue.py)."""
    alternatives: tuple[str, ...] = ()
    """Other readings an open engine found nearly as likely as `text`, most likely first."""


@dataclass(frozen=True)
class IntentMatch:
    """The matcher's reading of one utterance."""

    intent: str
    """Intent name from the contract, or `unknown`."""
    slots: dict[str, str] = field(default_factory=dict)
    """Normalised slot values; read-only by convention."""
    score: float = 0.0
    """0..1 confidence of the match."""
    text: str = ""
    """The utterance as given."""
    template: str | None = None
    """The template that matched exactly, when one did."""

    def to_json(self) -> dict[str, object]:
        """The `reconnect parse` output object."""
        return {"text": self.text, "intent": self.intent, "slots": dict(self.slots),
                "score": round(self.score, 3)}


@dataclass(frozen=True)
class Reply:
    """One thing the assistant says."""

    text: str
    """The words to speak or print."""
    expects_answer: bool = False
    """True when the assistant asked something and keeps listening for the answer."""
    item_id: str | None = None
    """Catalogue item spoken, if any."""
    chime: bool = False
    """Play a short soft chime before the words (reminders)."""
    clip: str | None = None
    """A recording of the couple's own words to play after the text, if one was kept."""


@dataclass(frozen=True)
class Reminder:
    """A stored reminder."""

    id: int
    """Row id in the reminders table."""
    when: str
    """Next due time, ISO 8601 local wall-clock time."""
    rrule: str | None
    """RFC 5545 recurrence rule, or None for a one-off."""
    message: str
    """What to say when it is due."""
    created: str = ""
    """When it was made, ISO 8601."""
    kind: str = "say"
    """say: speak the message; gratitude: speak a fresh gratitude prompt (the daily ritual)."""
    clip: str | None = None
    """File name of the speaker's own recorded words, in the data dir's clips folder."""
