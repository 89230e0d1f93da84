"""Endpointing: cutting a stream of 16 kHz frames into utterances by energy.

The noise floor adapts to the room, so a fridge hum or a quiet TV does not count as speech;
an utterance starts after a few loud frames (with a little audio kept from before, so the
first consonant is not clipped) and ends after `end_silence` seconds under the threshold.
Each frame fed says what it did (`EndpointEvent`): which audio joined an utterance, and whether
one started or ended, so a recogniser can decode while the person is still talking.
Pure Python on purpose: the loop runs it on every 30 ms frame and it must not need numpy.
"""

from __future__ import annotations

import math
import sys
from array import array
from collections import deque
from dataclasses import dataclass

SAMPLE_RATE = 16000
FRAME_MS = 30
FRAME_BYTES = SAMPLE_RATE * FRAME_MS // 1000 * 2


@dataclass(frozen=True)
class EndpointSettings:
    end_silence: float = 0.6
    """Seconds of quiet that end an utterance."""
    start_frames: int = 3
    """Consecutive loud frames that start one."""
    pre_roll: float = 0.3
    """Seconds of audio kept from before the start."""
    max_utterance: float = 15.0
    """Longest utterance; a longer one is cut here."""
    min_utterance: float = 0.15
    """Shorter bursts (a cough, a click) are dropped."""
    ratio: float = 3.0
    """How far over the noise floor (in RMS) counts as speech."""
    min_level: float = 300.0
    """RMS below this is never speech, however quiet the room (int16 scale)."""


@dataclass(frozen=True)
class Utterance:
    pcm: bytes
    """16 kHz mono int16 audio of the utterance, pre-roll included."""
    start: float
    """Stream seconds where speech began."""
    end: float
    """Stream seconds where speech ended (before the trailing silence)."""


@dataclass(frozen=True)
class EndpointEvent:
    """What one call to `Endpointer.feed` or `flush` did; most frames do nothing (all defaults)."""

    audio: tuple[bytes, ...] = ()
    """Frames that joined the utterance in progress, in stream order: the pre-roll (this frame last)
    when speech starts, then each frame alone. Everything since `started`, joined, is exactly the
    ended `Utterance.pcm`."""
    started: bool = False
    """Speech began with this frame."""
    utterance: Utterance | None = None
    """The utterance that ended here."""
    dropped: bool = False
    """The speech in progress ended too short to count (a cough, a click) and was thrown away."""


NOTHING = EndpointEvent()
"""No speech in progress; shared because it is the answer for nearly every frame."""


def rms(frame: bytes) -> float:
    samples = array("h")
    samples.frombytes(frame[: len(frame) // 2 * 2])
    if sys.byteorder == "big":
        samples.byteswap()
    if not samples:
        return 0.0
    return math.sqrt(sum(s * s for s in samples) / len(samples))


class Endpointer:
    """Feed frames in stream order; each `feed` says what the frame did to the utterance in progress."""

    def __init__(self, settings: EndpointSettings | None = None) -> None:
        self.settings = settings or EndpointSettings()
        self._floor = 0.0
        self.reset()

    def reset(self) -> None:
        """Forget any speech in progress (used after the assistant spoke: half-duplex)."""
        s = self.settings
        self._pre: deque[bytes] = deque(maxlen=max(1, int(s.pre_roll * 1000 / FRAME_MS)))
        self._voiced: list[bytes] = []
        self._loud_run = 0
        self._quiet_run = 0
        self._in_speech = False
        self._start = 0.0

    @property
    def in_speech(self) -> bool:
        return self._in_speech

    def feed(self, frame: bytes, t: float) -> EndpointEvent:
        """`t` is the stream time (seconds) at the start of `frame`."""
        s = self.settings
        level = rms(frame)
        threshold = max(s.min_level, self._floor * s.ratio)
        loud = level >= threshold
        seconds = len(frame) / 2 / SAMPLE_RATE
        if not self._in_speech:
            # the floor follows quiet frames quickly and loud ones slowly
            rate = 0.05 if level < self._floor or self._floor == 0.0 else 0.005
            self._floor = level if self._floor == 0.0 else self._floor + rate * (level - self._floor)
            self._pre.append(frame)
            self._loud_run = self._loud_run + 1 if loud else 0
            if self._loud_run >= s.start_frames:
                self._in_speech = True
                self._voiced = list(self._pre)
                self._start = t - (s.start_frames - 1) * seconds
                self._quiet_run = 0
                return EndpointEvent(audio=tuple(self._voiced), started=True)
            return NOTHING
        self._voiced.append(frame)
        self._quiet_run = 0 if loud else self._quiet_run + 1
        quiet_for = self._quiet_run * seconds
        length = len(self._voiced) * seconds
        if quiet_for >= s.end_silence or length >= s.max_utterance:
            # the trailing quiet stays in the pcm (a recogniser wants it), but not in `end`
            return self._end(t + seconds - quiet_for, (frame,))
        return EndpointEvent(audio=(frame,))

    def flush(self, t: float) -> EndpointEvent:
        """End of stream: whatever speech is in progress ends here."""
        if not self._in_speech:
            return NOTHING
        return self._end(t, ())

    def _end(self, end: float, audio: tuple[bytes, ...]) -> EndpointEvent:
        pcm = b"".join(self._voiced)
        start = self._start
        self.reset()
        if end - start < self.settings.min_utterance:
            return EndpointEvent(audio=audio, dropped=True)
        return EndpointEvent(audio=audio, utterance=Utterance(pcm, start, end))
