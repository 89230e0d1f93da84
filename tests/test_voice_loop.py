"""The voice loop with fake ears and mouth: endpointing, wake phrase, follow-up, half-duplex, events."""

from __future__ import annotations

import io
import json
import math
from array import array
from pathlib import Path

from assistant.dialogue.engine import Dialogue
from assistant.messages import Transcript
from assistant.speech.endpoint import FRAME_BYTES, SAMPLE_RATE, Endpointer, Utterance
from assistant.speech.loop import EventLog, LoopSettings, VoiceLoop


def tone(seconds: float, amplitude: int = 8000, hz: float = 220.0) -> bytes:
    n = int(seconds * SAMPLE_RATE)
    return array("h", (int(amplitude * math.sin(2 * math.pi * hz * i / SAMPLE_RATE)) for i in range(n))).tobytes()


def silence(seconds: float, level: int = 40) -> bytes:
    n = int(seconds * SAMPLE_RATE)
    return array("h", ((level if i % 2 else -level) for i in range(n))).tobytes()


def frames(pcm: bytes) -> list[bytes]:
    return [pcm[i:i + FRAME_BYTES] for i in range(0, len(pcm) - FRAME_BYTES + 1, FRAME_BYTES)]


class ScriptedEars:
    """Hears the scripted words for each utterance in turn, and notes the audio lengths."""

    name = "scripted"

    def __init__(self, *said: str) -> None:
        self.said = list(said)
        self.lengths: list[float] = []

    def transcribe(self, pcm: bytes) -> Transcript:
        self.lengths.append(len(pcm) / 2 / SAMPLE_RATE)
        return Transcript(self.said.pop(0) if self.said else "", 0.9, self.name)


class Mouth:
    def __init__(self) -> None:
        self.spoken: list[str] = []

    def speak(self, text: str) -> None:
        self.spoken.append(text)

    def play(self, pcm: bytes, rate: int) -> None:
        self.spoken.append(f"<{len(pcm) / 2 / rate:.1f} s of audio>")


def make_loop(dialogue: Dialogue, ears: ScriptedEars, wake: str = "hey reconnect",
              stream: io.StringIO | None = None) -> tuple[VoiceLoop, Mouth]:
    mouth = Mouth()
    return VoiceLoop(dialogue, ears, mouth, LoopSettings(wake_phrase=wake), EventLog(stream)), mouth


def test_endpointer_finds_each_utterance_and_its_edges() -> None:
    audio = silence(1.0) + tone(0.8) + silence(1.0) + tone(1.2) + silence(1.0)
    endpointer = Endpointer()
    found = []
    for n, frame in enumerate(frames(audio)):
        utterance = endpointer.feed(frame, n * 0.03).utterance
        if utterance:
            found.append((round(utterance.start, 2), round(utterance.end, 2)))
    assert len(found) == 2
    (s1, e1), (s2, e2) = found
    assert abs(s1 - 1.0) <= 0.1 and abs(e1 - 1.8) <= 0.1
    assert abs(s2 - 2.8) <= 0.1 and abs(e2 - 4.0) <= 0.1


def test_endpointer_ignores_clicks_and_steady_noise() -> None:
    noise = silence(3.0, level=900)  # a loud, steady hum: the floor rises to meet it
    click = tone(0.09)
    endpointer = Endpointer()
    audio = noise + click + noise
    assert [u for n, f in enumerate(frames(audio)) if (u := endpointer.feed(f, n * 0.03).utterance)] == []


def test_wake_phrase_then_command(dialogue: Dialogue) -> None:
    ears = ScriptedEars("give us a question", "hey reconnect give us a deep question about our dreams")
    loop, mouth = make_loop(dialogue, ears)
    loop.run(frames(silence(0.5) + tone(1.0) + silence(1.0) + tone(1.5) + silence(1.0)))
    assert len(mouth.spoken) == 1 and mouth.spoken[0].endswith("Sam, you go first.")


def test_wake_phrase_alone_opens_the_mic(dialogue: Dialogue) -> None:
    ears = ScriptedEars("hey reconnect", "what reminders do we have")
    loop, mouth = make_loop(dialogue, ears)
    loop.run(frames(silence(0.5) + tone(0.8) + silence(1.5) + tone(1.2) + silence(1.0)))
    assert mouth.spoken[0] == "Yes?"
    assert mouth.spoken[1].startswith("You don't have any reminders")


def test_follow_up_needs_no_wake_phrase_until_the_window_closes(dialogue: Dialogue) -> None:
    ears = ScriptedEars("hey reconnect remind me every evening at eight to thank her", "yes",
                       "what reminders do we have")
    loop, mouth = make_loop(dialogue, ears)
    audio = silence(0.5) + tone(2.0) + silence(6.0) + tone(0.5) + silence(20.0) + tone(1.0) + silence(1.0)
    loop.run(frames(audio))
    assert mouth.spoken == ["Every day at 8 pm: thank her. Shall I set it?", "Done. I'll remind you."]


def test_half_duplex_ignores_what_is_heard_while_speaking(dialogue: Dialogue) -> None:
    ears = ScriptedEars("hey reconnect suggest a cheap date at home", "no", "stop")
    loop, mouth = make_loop(dialogue, ears)
    # the reply is several seconds long; a burst 1 s after the command falls inside it
    audio = silence(0.5) + tone(1.5) + silence(0.7) + tone(0.6) + silence(30.0)
    loop.run(frames(audio))
    assert len(ears.lengths) == 1
    assert mouth.spoken[0].startswith("How about this:")


def test_no_wake_phrase_mode_and_rejected_speech(dialogue: Dialogue) -> None:
    ears = ScriptedEars("", "how are we doing")
    loop, mouth = make_loop(dialogue, ears, wake="")
    loop.run(frames(silence(0.5) + tone(1.0) + silence(1.0) + tone(1.0) + silence(1.0)))
    assert len(mouth.spoken) == 1 and "No date logged yet" in mouth.spoken[0]


def test_events_are_written_in_order_on_one_clock(dialogue: Dialogue) -> None:
    stream = io.StringIO()
    ears = ScriptedEars("hey reconnect give us a gratitude prompt")
    loop, _ = make_loop(dialogue, ears, stream=stream)
    loop.run(frames(silence(0.5) + tone(1.5) + silence(1.0)))
    events = [json.loads(line) for line in stream.getvalue().splitlines()]
    names = [e["event"] for e in events]
    assert names[:2] == ["end_of_speech", "transcript"] and "reply_audio_start" in names
    times = [e["t"] for e in events]
    assert times == sorted(times)


def test_check_in_keeps_the_mic_open_and_ignores_partners(dialogue: Dialogue, tmp_path: Path) -> None:
    ears = ScriptedEars("hey reconnect start our daily check in", "next",
                        "i had a long day and i miss you", "next")
    loop, mouth = make_loop(dialogue, ears)
    gap = silence(40.0)
    loop.run(frames(silence(0.5) + tone(1.0) + gap + tone(0.5) + gap + tone(2.0) + gap + tone(0.5) + gap))
    assert len(ears.lengths) == 4
    assert len(mouth.spoken) == 3  # the opening, and one step per "next"; nothing for the partner


def test_short_commands_are_long_enough_to_count() -> None:
    # "help" in a brisk voice has about 0.2 s above the noise: it must still be an utterance
    audio = silence(1.0) + tone(0.2) + silence(1.0)
    endpointer = Endpointer()
    assert [u for n, f in enumerate(frames(audio)) if (u := endpointer.feed(f, n * 0.03).utterance)]


def test_endpointer_events_carry_exactly_the_utterance_audio() -> None:
    # what a streaming recogniser is fed must be the very bytes the utterance ends up with
    audio = silence(1.0) + tone(0.8) + silence(1.0) + tone(16.0) + silence(1.0)
    endpointer = Endpointer()
    taken: list[bytes] = []
    utterances: list[Utterance] = []
    for n, frame in enumerate(frames(audio)):
        event = endpointer.feed(frame, n * 0.03)
        if event.started:
            assert not taken and event.audio[-1] == frame
            # 0.3 s of pre-roll; after a cut the rest of the speech starts with what came since
            assert len(event.audio) == (3 if len(utterances) == 2 else 10)
            assert endpointer.in_speech
        taken += event.audio
        if event.utterance is not None:
            utterances.append(event.utterance)
            assert b"".join(taken) == event.utterance.pcm
            taken = []
    assert len(utterances) == 3  # the long one is cut at max_utterance
    assert 14.9 <= len(utterances[1].pcm) / 2 / SAMPLE_RATE <= 15.1


def test_endpointer_says_when_a_burst_is_dropped_or_flushed() -> None:
    endpointer = Endpointer()
    events = [endpointer.feed(f, n * 0.03) for n, f in enumerate(frames(silence(1.0) + tone(0.1) + silence(1.0)))]
    assert sum(e.started for e in events) == 1 and sum(e.dropped for e in events) == 1
    assert all(e.utterance is None for e in events)
    assert not endpointer.in_speech and endpointer.flush(2.1).utterance is None

    audio = silence(1.0) + tone(1.0)
    taken: list[bytes] = []
    for n, frame in enumerate(frames(audio)):
        taken += endpointer.feed(frame, n * 0.03).audio
    last = endpointer.flush(2.0)
    assert last.utterance is not None and last.audio == () and b"".join(taken) == last.utterance.pcm
    assert endpointer.flush(2.0).utterance is None  # nothing is left in progress


def test_wake_phrase_is_split_off_only_as_whole_words() -> None:
    from assistant.speech.loop import split_wake

    assert split_wake("hey reconnect give us a question", "hey reconnect") == (True, "give us a question")
    assert split_wake("hey reconnect", "hey reconnect") == (True, "")
    assert split_wake("hey reconnected give us a question", "hey reconnect") == \
        (False, "hey reconnected give us a question")
    assert split_wake("give us a question", "") == (False, "give us a question")


class RefusingEars(ScriptedEars):
    """A command grammar that refuses every utterance, saying only what its nearest command was."""

    def transcribe(self, pcm: bytes) -> Transcript:
        self.lengths.append(len(pcm) / 2 / SAMPLE_RATE)
        return Transcript("", 0.2, self.name, guess=self.said.pop(0) if self.said else "")


def test_a_refused_command_the_open_engine_nearly_heard_is_taken(dialogue: Dialogue) -> None:
    stream = io.StringIO()
    loop, mouth = make_loop(dialogue, RefusingEars("give us a relationship tip", "check in for us"), wake="",
                            stream=stream)
    loop.free_recognizer = ScriptedEars("give us a relationship too", "check in for my flight")
    loop.run(frames(silence(0.5) + tone(1.5) + silence(1.0) + tone(1.5) + silence(1.0)))
    events = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(e["text"], e["source"]) for e in events if e["event"] == "understood"] \
        == [("give us a relationship tip", "guess")]
    tips = [item.text for item in dialogue.catalogue.pool("tip")]
    assert len(mouth.spoken) == 1  # the tip; the flight was somebody else's business
    assert any(tip in mouth.spoken[0] for tip in tips)


class AlternativeEars(ScriptedEars):
    """An open engine whose best reading is misheard, with the right one just behind it."""

    def transcribe(self, pcm: bytes) -> Transcript:
        best, *others = self.said.pop(0).split(" | ")
        return Transcript(best, 0.5, self.name, alternatives=tuple(others))


def test_a_near_best_reading_is_understood_when_the_best_is_not(dialogue: Dialogue) -> None:
    stream = io.StringIO()
    loop, mouth = make_loop(dialogue, RefusingEars("", ""), wake="", stream=stream)
    loop.free_recognizer = AlternativeEars("date that again | say that again",
                                           "what's the weather like | what is the weather like")
    loop.run(frames(silence(0.5) + tone(1.5) + silence(1.0) + tone(1.5) + silence(1.0)))
    events = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(e["text"], e["source"]) for e in events if e["event"] == "understood"] \
        == [("say that again", "alternative")]
    assert len(mouth.spoken) == 1  # "say that again", with nothing said yet; the weather is not ours
