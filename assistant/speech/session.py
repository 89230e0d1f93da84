"""Wiring for the spoken commands: recognisers, voice and loop built from settings and flags.

The CLI calls these; tests call them too. Engines load once here, never at import.
"""

from __future__ import annotations

import functools
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

from assistant.app import App
from assistant.matching.normalize import normalize
from assistant.messages import IntentMatch, Transcript
from assistant.speech.audio import load_wav, stream_frames, stream_wav
from assistant.speech.endpoint import EndpointSettings
from assistant.speech.loop import EventLog, LoopSettings, Recognizer, Voice, VoiceLoop, split_wake
from assistant.speech.rescue import understood

ENGINES = ("pocketsphinx", "vosk", "whisper")
IMPORTED_AT = time.monotonic()


def seconds_since_process_start() -> float:
    """How long this process has run (Linux: from /proc; elsewhere: since this module was imported)."""
    import os

    try:
        with open("/proc/self/stat", encoding="ascii") as stat, open("/proc/uptime", encoding="ascii") as up:
            started_ticks = int(stat.read().rsplit(")", 1)[1].split()[19])
            uptime = float(up.read().split()[0])
        return uptime - started_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return time.monotonic() - IMPORTED_AT
TICK_SECONDS = 1.0


class SpeechSetupError(RuntimeError):
    """An engine or device the user asked for cannot run here; the message says what to do."""


@dataclass(frozen=True)
class SpeechOptions:
    engine: str = "pocketsphinx"
    """pocketsphinx (grammar), vosk (grammar, needs a model) or whisper (open); auto: the best for the job."""
    model: Path | None = None
    """A vosk model folder, overriding the store and VOSK_MODEL_PATH."""
    out_wav: Path | None = None
    """Write replies to this wav instead of the sound device."""
    voice_engine: str = "auto"
    """Text-to-speech: auto, pyttsx3, piper or print."""


def command_recognizer(options: SpeechOptions, app: App) -> Recognizer:
    from assistant.speech import recognizers

    if options.engine == "auto":
        options = SpeechOptions("pocketsphinx", options.model, options.out_wav, options.voice_engine)
    if options.engine not in ENGINES:
        raise SpeechSetupError(f"unknown engine {options.engine!r}; choose one of {', '.join(ENGINES)}")
    try:
        return recognizers.make_recognizer(options.engine, app.matcher.grammar, model=options.model,
                                           data_dir=app.settings.data_dir,
                                           wake_phrase=app.settings.wake_phrase)
    except recognizers.RecognizerError as exc:
        raise SpeechSetupError(str(exc)) from exc


class LazyRecognizer:
    """Loads a big engine the first time it is needed: the open-vocabulary model costs hundreds of
    megabytes and is only wanted for a reminder's message, so listening starts without it."""

    def __init__(self, load: Callable[[], Recognizer | None], name: str) -> None:
        self.name = name
        self._load = load
        self._engine: Recognizer | None = None
        self._tried = False
        self._lock = threading.Lock()

    def transcribe(self, pcm: bytes) -> Transcript:
        with self._lock:
            if not self._tried:
                self._tried = True
                try:
                    self._engine = self._load()
                except Exception as exc:  # noqa: BLE001 - free words are a bonus; commands still work
                    print(f"reconnect: no open-vocabulary recogniser ({exc}); reminders keep the grammar's words",
                          file=sys.stderr)
        if self._engine is None:
            return Transcript("", 0.0, "none")
        return self._engine.transcribe(pcm)


def free_recognizer(options: SpeechOptions, app: App) -> Recognizer:
    from assistant.speech import recognizers

    if recognizers.WhisperRecognizer.is_available():
        # Whisper needs ~250 MB once loaded: it lives in a child process that starts when free
        # words are first needed and exits when idle, so listening for commands stays small.
        from assistant.dialogue.engine import HELP_TEXT
        from assistant.speech.worker import WorkerRecognizer, WorkerSettings

        return WorkerRecognizer(WorkerSettings(prompt=HELP_TEXT))
    return LazyRecognizer(lambda: recognizers.best_free_recognizer(model=options.model,
                                                                   data_dir=app.settings.data_dir), "free")


def speaker_for(voice: str | None, rate: int, out_wav: Path | None, engine: str = "auto") -> Voice:
    """The speaker for the configured voice; `voice = "piper"` or `"espeak"` picks the engine itself."""
    from assistant.speech.voice import make_speaker

    if voice in ("piper", "espeak", "pyttsx3"):
        engine, voice = ("piper" if voice == "piper" else "pyttsx3"), None
    return make_speaker(voice, rate, out_wav, engine)


def make_loop(app: App, options: SpeechOptions, events: EventLog, live_clock: Callable[[], float] | None = None,
              report: Callable[[str], None] = print) -> tuple[VoiceLoop, Callable[[], None]]:
    """The loop and a function that finishes the output (closes a reply wav)."""
    from assistant.speech.voice import VoiceError, VoiceOut, chime

    try:
        voice = speaker_for(app.settings.voice, app.settings.rate, options.out_wav, options.voice_engine)
    except VoiceError as exc:
        raise SpeechSetupError(str(exc)) from exc
    if live_clock is not None and options.out_wav is None and not isinstance(voice, VoiceOut):
        report(f"Speaking by printing: {getattr(voice, 'description', 'no sound output')}.")
    render = voice.render if isinstance(voice, VoiceOut) else None
    commands = command_recognizer(options, app)
    load = getattr(commands, "load", None)
    if callable(load):
        load()  # now, not at the first command: its latency must not include loading
    loop = VoiceLoop(app.dialogue, commands, voice,
                     LoopSettings(wake_phrase=app.settings.wake_phrase,
                                  follow_up_seconds=app.settings.follow_up_seconds,
                                  endpoint=EndpointSettings(end_silence=app.settings.end_silence)),
                     events, free_recognizer(options, app), app.settings.data_dir / "clips", render,
                     chime() if render is not None else None, live_clock)
    close = getattr(voice, "close", None)
    return loop, (close if callable(close) else (lambda: None))


def listen_file(app: App, options: SpeechOptions, audio: Path, events_out: IO[str] | None) -> None:
    """Run the loop over a wav as if it came from the microphone, then stop."""
    blocks = stream_wav(audio)  # read as the loop takes it, as a microphone would deliver it
    loop, close = make_loop(app, options, EventLog(events_out))
    loop.events.emit("listening", seconds_since_start=round(seconds_since_process_start(), 3))
    try:
        for reply in app.dialogue.greeting():
            loop.events.emit("greeting", text=reply.text)
        loop.run(stream_frames(blocks))
    finally:
        close()


def listen_live(app: App, options: SpeechOptions, events_out: IO[str] | None,
                report: Callable[[str], None] = print) -> None:
    """The live loop on the default microphone, until Ctrl-C."""
    from assistant.speech.mic import Microphone

    events = EventLog(events_out)
    loop, close = make_loop(app, options, events, time.monotonic, report)
    mic = Microphone(report=report)
    events.emit("listening", seconds_since_start=round(seconds_since_process_start(), 3))
    wake = app.settings.wake_phrase
    report(f"Listening. Say \"{wake}\" and then what you'd like." if wake else "Listening.")
    last_tick = time.monotonic()
    try:
        for frame in mic.frames():
            if frame.pcm:
                loop.feed(frame.pcm, frame.t)
            now = time.monotonic()
            if now - last_tick >= TICK_SECONDS:
                loop.tick(now)
                last_tick = now
    except KeyboardInterrupt:
        report("Goodbye. Look after each other.")
    finally:
        mic.stop()
        close()


def transcribe(app: App, path: Path, options: SpeechOptions, free: bool) -> dict[str, object]:
    """The `reconnect transcribe` result for one file."""
    from assistant.speech import recognizers

    pcm = load_wav(path).pcm
    engine: Recognizer
    if not free:
        engine = command_recognizer(options, app)
    elif options.engine == "auto":
        engine = recognizers.best_free_recognizer(model=options.model, data_dir=app.settings.data_dir)
    elif options.engine == "pocketsphinx":
        engine = recognizers.PocketsphinxFreeRecognizer()
    elif options.engine == "vosk":
        model = recognizers._vosk_model(options.model, app.settings.data_dir)
        if model is None:
            raise SpeechSetupError("no vosk model found: give one with --model, set VOSK_MODEL_PATH, "
                                   "or run `reconnect models download`")
        engine = recognizers.VoskRecognizer(model)
    else:
        engine = command_recognizer(options, app)
    started = time.perf_counter()
    result = engine.transcribe(pcm)
    return {"text": result.text, "confidence": round(result.confidence, 3), "engine": result.engine,
            "seconds": round(time.perf_counter() - started, 3)}


def stderr_report(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class AudioParser:
    """`reconnect parse --audio`: wav -> words -> intent, engines loaded once for many files."""

    def __init__(self, app: App, options: SpeechOptions) -> None:
        self.app = app
        self.commands = command_recognizer(options, app)
        self.free = free_recognizer(options, app)

    def parse(self, path: Path) -> dict[str, object]:
        return self.parse_pcm(load_wav(path).pcm)

    def parse_pcm(self, pcm: bytes, now: datetime | None = None) -> dict[str, object]:
        heard = self.commands.transcribe(pcm)
        now = now or self.app.clock.now()
        words = strip_wake(heard.text, self.app.settings.wake_phrase)
        match = self.app.matcher.recognize_best(words, now)
        if match.intent in ("set_reminder", "unknown"):
            # A reminder's message is outside the grammar, and so is a command phrased in a way the
            # grammar does not know: hear it again with an open vocabulary and let the text matcher,
            # which refuses rather than guesses, decide.
            free = self.free.transcribe(pcm)
            recognize = functools.cache(lambda words: self._recognize(words, now))  # chosen words: matched once
            chosen = understood(free, heard.guess, lambda words: recognize(words).intent != "unknown")
            freer = recognize(chosen.words)
            if freer.intent != "unknown" and (match.intent == "unknown" or freer.intent == "set_reminder"):
                match = freer
        result = match.to_json()
        result["transcript"] = heard.text
        return result

    def _recognize(self, words: str, now: datetime) -> IntentMatch:
        return self.app.matcher.recognize_best(strip_wake(words, self.app.settings.wake_phrase), now)


def strip_wake(text: str, wake_phrase: str) -> str:
    called, rest = split_wake(normalize(text, strip_courtesy=False), normalize(wake_phrase, strip_courtesy=False))
    return rest if called else text
