"""The voice loop: frames -> utterances -> words -> dialogue -> spoken replies.

Half-duplex: while the assistant speaks, what the microphone hears is thrown away, so it
never answers itself. After it asks something (or while a check-in or quiz runs) the mic
stays open without the wake phrase for a while. Everything that happens is stamped on one
monotonic clock in an optional JSON-lines event log.

Latency from the end of speech to the first reply sample is what a person feels, so a streaming
recogniser decodes each frame while the person talks (only its final result waits for the end),
and a rendered reply is spoken a sentence at a time (only the first sentence waits for the renderer).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Protocol

from assistant.dialogue.engine import Dialogue
from assistant.matching.normalize import normalize
from assistant.messages import Reply, Transcript
from assistant.speech.endpoint import (
    FRAME_BYTES,
    SAMPLE_RATE,
    EndpointEvent,
    Endpointer,
    EndpointSettings,
    Utterance,
)
from assistant.speech.recognizers import StreamingRecognizer
from assistant.speech.rescue import understood

ECHO_TAIL_SECONDS = 0.2
WORDS_PER_SECOND = 2.7
"""How fast printed replies would have been spoken, for half-duplex timing without audio."""
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


class Recognizer(Protocol):
    name: str

    def transcribe(self, pcm: bytes) -> Transcript:
        """Words in one utterance of 16 kHz mono int16 audio; empty text when nothing was understood."""
        ...


class Voice(Protocol):
    def speak(self, text: str) -> None: ...

    def play(self, pcm: bytes, rate: int) -> None: ...


@dataclass(frozen=True)
class LoopSettings:
    wake_phrase: str = "hey reconnect"
    """Said before a command; empty means every utterance is for the assistant."""
    follow_up_seconds: float = 8.0
    """How long the mic stays open without the wake phrase after a question."""
    endpoint: EndpointSettings = field(default_factory=EndpointSettings)
    """Where utterances start and end."""
    min_piece_words: int = 4
    """A rendered reply is spoken sentence by sentence; shorter sentences join a neighbour."""


class EventLog:
    """One JSON object per line: {"event": ..., "t": monotonic seconds, ...}."""

    def __init__(self, stream: IO[str] | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self._stream = stream
        self.clock = clock
        self.events: list[dict[str, object]] = []

    def emit(self, event: str, **fields: object) -> None:
        record: dict[str, object] = {"event": event, "t": round(self.clock(), 6), **fields}
        self.events.append(record)
        if self._stream is not None:
            self._stream.write(json.dumps(record, ensure_ascii=False) + "\n")
            self._stream.flush()


class VoiceLoop:
    """Runs the conversation over audio frames; the source decides where frames come from."""

    def __init__(self, dialogue: Dialogue, recognizer: Recognizer, voice: Voice, settings: LoopSettings,
                 events: EventLog | None = None, free_recognizer: Recognizer | None = None,
                 clips_dir: Path | None = None, render: Callable[[str], tuple[bytes, int]] | None = None,
                 chime: tuple[bytes, int] | None = None, live_clock: Callable[[], float] | None = None) -> None:
        self.dialogue = dialogue
        self.recognizer = recognizer
        self.free_recognizer = free_recognizer
        self.voice = voice
        self.settings = settings
        self.events = events or EventLog()
        self.clips_dir = clips_dir
        self.render = render
        self.chime = chime
        self.live_clock = live_clock
        """For a live microphone: frames are stamped on this clock, and playback blocks in real time."""
        self.endpointer = Endpointer(settings.endpoint)
        self.wake = normalize(settings.wake_phrase, strip_courtesy=False)
        self.open_until = -1.0
        """Stream time until which no wake phrase is needed."""
        self.deaf_until = -1.0
        """Stream time until which input is ignored because the assistant was speaking."""
        self._streaming: StreamingRecognizer | None = None
        """The recogniser hearing the utterance in progress, if it streams."""

    # input --------------------------------------------------------------------------------
    def run(self, frames: Iterable[bytes], start: float = 0.0) -> float:
        """Process a stream of 30 ms frames; returns the stream time at the end."""
        t = start
        seconds = FRAME_BYTES / 2 / SAMPLE_RATE
        next_tick = start + 1.0
        for frame in frames:
            self.feed(frame, t)
            t += len(frame) / 2 / SAMPLE_RATE or seconds
            if t >= next_tick:
                self.tick(t)
                next_tick = t + 1.0
        self._step(self.endpointer.flush(t), t)
        return t

    def feed(self, frame: bytes, t: float) -> None:
        if t < self.deaf_until:
            return
        self._step(self.endpointer.feed(frame, t), t)

    def _step(self, event: EndpointEvent, t: float) -> None:
        if event.started:
            self._abandon()  # whatever was left open belongs to no utterance now
            if isinstance(self.recognizer, StreamingRecognizer):
                self._streaming = self.recognizer
                self._streaming.start()
        if self._streaming is not None:
            partial = ""
            for frame in event.audio:
                partial = self._streaming.feed(frame)
            if "remind" in partial:
                self._warm_free_words()
        if event.dropped:
            self._abandon()
        if event.utterance is not None:
            utterance = event.utterance
            self.events.emit("end_of_speech", start=round(utterance.start, 3), end=round(utterance.end, 3))
            self.on_utterance(utterance, t)

    def _warm_free_words(self) -> None:
        # A reminder's message needs the open-vocabulary engine; start it while they are still
        # talking, so its loading is not added to the wait for the answer.
        warm = getattr(self.free_recognizer, "warm", None)
        if callable(warm):
            warm()

    def _abandon(self) -> None:
        """Close a streamed utterance that will never be used, so the engine starts clean."""
        if self._streaming is not None:
            streaming, self._streaming = self._streaming, None
            streaming.finish()

    def tick(self, t: float) -> None:
        """Time passing with nobody talking: reminders, check-in timers, nudges."""
        self.dialogue.tick(lambda reply: self._say([reply], t))

    # understanding ------------------------------------------------------------------------
    def on_utterance(self, utterance: Utterance, t: float) -> None:
        transcript = self._transcribe(utterance)
        self.events.emit("transcript", text=transcript.text, confidence=round(transcript.confidence, 3),
                         engine=transcript.engine)
        free: Transcript | None = None
        words = normalize(transcript.text, strip_courtesy=False)
        awake = t <= self.open_until or not self.wake or self.dialogue.activity is not None
        if not words and self.free_recognizer is not None and (awake or utterance.end - utterance.start > 1.0):
            # not a phrasing the grammar knows: an open-vocabulary pass, judged by the text matcher
            free = self.free_recognizer.transcribe(utterance.pcm)
            self.events.emit("free_transcript", text=free.text, engine=free.engine)
            if self.dialogue.pending is not None:
                words = normalize(free.text, strip_courtesy=False)  # the answer to a question is free words
            else:
                chosen = understood(free, transcript.guess, self._understands)
                if chosen.source not in ("free", ""):
                    self.events.emit("understood", text=chosen.words, source=chosen.source)
                words = chosen.words
        called, words = split_wake(words, self.wake)
        if called:
            awake = True
            if not words:
                self._say([Reply("Yes?", expects_answer=True)], t)
                return
        if not awake or not words:
            return  # not for us, or nothing understood: a room is full of talk
        text, clip = words, None
        if self._needs_free_words(words):
            text, clip = self._free_words(utterance, words, free is not None)
        self._say(self.dialogue.handle(text, clip), t)

    def _understands(self, words: str) -> bool:
        _, bare = split_wake(words, self.wake)
        return self.dialogue.matcher.recognize_best(bare).intent != "unknown"

    def _transcribe(self, utterance: Utterance) -> Transcript:
        streaming, self._streaming = self._streaming, None
        if streaming is not None:
            return streaming.finish()  # it has heard every frame of `utterance.pcm` already
        return self.recognizer.transcribe(utterance.pcm)

    def _needs_free_words(self, words: str) -> bool:
        if self.free_recognizer is None:
            return False
        match = self.dialogue.matcher.recognize_best(words)
        return match.intent == "set_reminder"

    def _free_words(self, utterance: Utterance, words: str, heard: bool) -> tuple[str, str | None]:
        # A reminder's message is outside any grammar: hear it with an open vocabulary (unless
        # `words` already came from that pass), and keep the recording to replay in the speaker's
        # own voice.
        assert self.free_recognizer is not None
        text = words
        if not heard:
            free = self.free_recognizer.transcribe(utterance.pcm)
            self.events.emit("free_transcript", text=free.text, engine=free.engine)
            _, text = split_wake(normalize(free.text, strip_courtesy=False), self.wake)
        clip = None
        if self.clips_dir is not None:
            from assistant.speech.audio import write_wav

            self.clips_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            clip = f"{uuid.uuid4().hex}.wav"
            write_wav(self.clips_dir / clip, utterance.pcm)
        return (text or words), clip

    # speaking -----------------------------------------------------------------------------
    def _say(self, replies: list[Reply], t: float) -> None:
        spoken = 0.0
        for reply in replies:
            if reply.chime and self.chime is not None:
                self._emit_first_audio()
                self.voice.play(*self.chime)
                spoken += len(self.chime[0]) / 2 / self.chime[1]
            spoken += self._speak(reply.text)
            if reply.clip and self.clips_dir is not None and (self.clips_dir / reply.clip).exists():
                from assistant.speech.audio import read_wav

                pcm = read_wav(self.clips_dir / reply.clip)
                self.voice.play(pcm, SAMPLE_RATE)
                spoken += len(pcm) / 2 / SAMPLE_RATE
        if replies:
            self.events.emit("reply_end", text=" ".join(r.text for r in replies))
            # half-duplex: what the mic picked up while we spoke is our own voice
            self.deaf_until = t + spoken
            if self.live_clock is not None:
                # playback blocked in real time; ignore what was captured meanwhile, plus the room's echo
                self.deaf_until = max(self.deaf_until, self.live_clock() + ECHO_TAIL_SECONDS)
            self.endpointer.reset()
            self._abandon()  # a reminder may have cut into someone talking: that utterance is gone
            if replies[-1].expects_answer or self.dialogue.pending is not None:
                self.open_until = self.deaf_until + self.settings.follow_up_seconds

    def _speak(self, text: str) -> float:
        if self.render is None:
            self._emit_first_audio()
            self.voice.speak(text)
            return len(text.split()) / WORDS_PER_SECOND
        spoken = 0.0
        for n, piece in enumerate(speech_pieces(text, self.settings.min_piece_words)):
            # only the first sentence is rendered before the first sample goes out
            pcm, rate = self.render(piece)
            if n == 0:
                self._emit_first_audio()
            self.voice.play(pcm, rate)
            spoken += len(pcm) / 2 / rate
        return spoken

    def _emit_first_audio(self) -> None:
        self.events.emit("reply_audio_start")


def split_wake(words: str, wake: str) -> tuple[bool, str]:
    """Whether normalised `words` begin with the (normalised) wake phrase, and the words after it."""
    if wake and (words == wake or words.startswith(wake + " ")):
        return True, words[len(wake):].strip()
    return False, words


def speech_pieces(text: str, min_words: int = 4) -> list[str]:
    """`text` cut at sentence ends, each piece at least `min_words` words where the text allows.

    A one-word sentence ("Done.") rendered alone sounds clipped, and a lower-case word after a
    full stop ("8 a.m. tomorrow") is an abbreviation, not a new sentence: both stay joined.
    """
    pieces: list[str] = []
    for sentence in _SENTENCE_END.split(text.strip()):
        if pieces and (len(pieces[-1].split()) < min_words or sentence[:1].islower()):
            pieces[-1] = f"{pieces[-1]} {sentence}"
        else:
            pieces.append(sentence)
    if len(pieces) > 1 and len(pieces[-1].split()) < min_words:
        last = pieces.pop()
        pieces[-1] = f"{pieces[-1]} {last}"
    return pieces if pieces and pieces[0] else [text]
