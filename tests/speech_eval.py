"""Spoken golden sentences: synthesise each with a voice, decode, match, and score.

Shared by the end-to-end test (a sample) and `make bench` (all of them).
"""

from __future__ import annotations

import random
import statistics
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from assistant.speech.session import AudioParser
from speech_fixtures import silence, synth
from test_sentences import SENTENCE_DIR, load_cases

ZONE = ZoneInfo("Europe/London")


@dataclass
class SpokenScore:
    voice: str
    """piper or espeak."""
    in_scope: int = 0
    correct: int = 0
    out_scope: int = 0
    rejected: int = 0
    audio_seconds: float = 0.0
    decode_seconds: list[float] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.correct / max(self.in_scope, 1)

    @property
    def rejection(self) -> float:
        return self.rejected / max(self.out_scope, 1)

    @property
    def real_time_factor(self) -> float:
        return sum(self.decode_seconds) / max(self.audio_seconds, 1e-9)

    @property
    def decode_p50_ms(self) -> float:
        return 1000 * statistics.median(self.decode_seconds) if self.decode_seconds else 0.0


def speakable(text: str) -> bool:
    # Typed-only sentences (digits with colons, symbols) are not what anyone says aloud.
    return not any(c in text for c in ":/&%#@") and len(text.strip()) > 1


def score_spoken(parser: AudioParser, voice: str, sample: int | None = None, seed: int = 3,
                 directories: tuple[Path, ...] = (SENTENCE_DIR,)) -> SpokenScore:
    """Every speakable sentence of `directories` (golden by default), or a sample, spoken by `voice`,
    through the full audio path."""
    cases = [c for d in directories for c in load_cases(d) if speakable(c.values[0])]
    if sample is not None and sample < len(cases):
        cases = random.Random(seed).sample(cases, sample)
    result = SpokenScore(voice)
    for case in cases:
        text, intent, _, now = case.values
        pcm = silence(0.3) + synth(text, voice) + silence(0.4)
        started = time.perf_counter()
        parsed = parser.parse_pcm(pcm, datetime.fromisoformat(now).replace(tzinfo=ZONE))
        result.decode_seconds.append(time.perf_counter() - started)
        result.audio_seconds += len(pcm) / 32000
        got = parsed["intent"]
        if intent == "unknown":
            result.out_scope += 1
            result.rejected += got == "unknown"
            if got != "unknown":
                result.misses.append(f"  {voice} accepted: {text!r} heard {parsed['text']!r} -> {got}")
        else:
            result.in_scope += 1
            result.correct += got == intent
            if got != intent:
                result.misses.append(f"  {voice} missed: {text!r} heard {parsed['text']!r} -> {got} (want {intent})")
    return result


def cache_note() -> str:
    from speech_fixtures import cache_dir

    return str(Path(cache_dir()))
