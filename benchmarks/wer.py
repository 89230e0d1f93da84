"""`make bench`, free-form words: word error rate on real recorded speech.

A reminder's message ("... to call my sister") is heard by the open-vocabulary engine, so its
words are measured on people, not synthesis: the recorded prompts of Debian's
asterisk-core-sounds-en-wav (a woman's voice, 8 kHz telephone quality, transcripts in
asterisk-core-sounds-en). A seeded sample of prompts of three words or more goes through
each open engine installed, as the assistant runs it (Whisper with the help text as prompt).

Usage: benchmarks/wer.py [--sample N] [-v]
"""

from __future__ import annotations

import gzip
import random
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SOUNDS = Path("/usr/share/asterisk/sounds/en")
TRANSCRIPTS = Path("/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz")
PACKAGES = "asterisk-core-sounds-en asterisk-core-sounds-en-wav"


def prompts() -> list[tuple[Path, str]]:
    """(wav, transcript) for every recorded prompt with real words and a wav on disk."""
    found = []
    with gzip.open(TRANSCRIPTS, "rt", encoding="utf-8", errors="replace") as lines:
        for line in lines:
            name, sep, text = line.partition(":")
            if not sep or line.startswith(";") or "[" in text or "seconds of silence" in text:
                continue  # comments, tones described in brackets, recorded silences
            wav = SOUNDS / f"{name.strip()}.wav"
            if wav.is_file():
                found.append((wav, text.strip()))
    return found


def words(text: str) -> list[str]:
    """Lower-case words, digits spelt out, punctuation gone: how both sides are compared."""
    from assistant.speech.jsgf import number_to_words

    text = re.sub(r"\d+", lambda m: f" {number_to_words(int(m.group()))} " if int(m.group()) < 1000 else m.group(),
                  text.lower().replace("-", " "))
    return re.sub(r"[^a-z0-9' ]+", " ", text).replace("'", "").split()


def engines() -> list[tuple[str, object]]:
    from assistant.dialogue.engine import HELP_TEXT
    from assistant.speech.recognizers import PocketsphinxFreeRecognizer, WhisperRecognizer

    found: list[tuple[str, object]] = []
    if WhisperRecognizer.is_available():
        prompted = WhisperRecognizer(prompt=HELP_TEXT)
        prompted.prime()
        plain = WhisperRecognizer()
        plain.prime()
        found += [("whisper tiny.en, help text as prompt (as the assistant runs it)", prompted),
                  ("whisper tiny.en, no prompt", plain)]
    if PocketsphinxFreeRecognizer.is_available():
        found.append(("pocketsphinx, general language model", PocketsphinxFreeRecognizer()))
    return found


def main() -> int:
    from rapidfuzz.distance import Levenshtein

    from assistant.speech.audio import load_wav

    if not TRANSCRIPTS.is_file() or not SOUNDS.is_dir():
        print(f"word error rate: skipped, the recordings are not installed (apt-get install {PACKAGES})")
        return 0
    sample = int(sys.argv[sys.argv.index("--sample") + 1]) if "--sample" in sys.argv else 80
    chosen = [p for p in prompts() if len(words(p[1])) >= 3]
    chosen = random.Random(7).sample(chosen, min(sample, len(chosen)))
    audio = [(load_wav(wav).pcm, text) for wav, text in chosen]
    rows = []
    for label, engine in engines():
        errors = total = 0
        seconds = []
        misses = []
        for pcm, text in audio:
            started = time.perf_counter()
            heard = engine.transcribe(pcm).text  # type: ignore[attr-defined]
            seconds.append(time.perf_counter() - started)
            ref, hyp = words(text), words(heard)
            wrong = Levenshtein.distance(ref, hyp)  # word substitutions, insertions and deletions
            errors += wrong
            total += len(ref)
            if wrong:
                misses.append(f"  {label[:14]}: {' '.join(ref)!r} heard {' '.join(hyp)!r}")
        rows.append((label, f"{100 * errors / total:.1f} %", f"{1000 * statistics.median(seconds):.0f} ms"))
        if "-v" in sys.argv:
            print("\n".join(misses))
    print(f"Reconnect free-form words - {len(audio)} recorded prompts ({sum(len(words(t)) for _, t in audio)} words), "
          "asterisk-core-sounds-en, 8 kHz")
    width = max(len(r[0]) for r in rows)
    print(f"| {'engine':<{width}} | word error rate | per prompt p50 | target   |")
    print(f"|{'-' * (width + 2)}|-----------------|----------------|----------|")
    for label, wer, p50 in rows:
        print(f"| {label:<{width}} | {wer:<15} | {p50:<14} | {'<= 10 %' if 'assistant' in label else '':<8} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
