"""Low latency in the voice loop: recognition streams while people talk, replies play a sentence at a time."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.dialogue.engine import Dialogue
from assistant.messages import Reply, Transcript
from assistant.speech.endpoint import FRAME_BYTES, SAMPLE_RATE, Utterance
from assistant.speech.loop import EventLog, LoopSettings, VoiceLoop, speech_pieces
from test_voice_loop import Mouth, ScriptedEars, frames, silence, tone

FRAME_SECONDS = FRAME_BYTES / 2 / SAMPLE_RATE


class StreamingEars:
    """A streaming recogniser as strict as a real decoder: no feed outside start..finish, no second start."""

    name = "streaming"

    def __init__(self, *said: str) -> None:
        self.said = list(said)
        self.calls: list[str] = []
        """`start`, `feed` and `finish` in the order they came."""
        self.fed: list[bytes] = []
        """Audio of the utterance in progress."""
        self.finished: list[bytes] = []
        """All the audio each finished utterance was fed."""
        self._open = False

    def start(self) -> None:
        assert not self._open, "start() while an utterance is still open"
        self.calls.append("start")
        self._open, self.fed = True, []

    def feed(self, frame: bytes) -> str:
        assert self._open, "feed() outside an utterance"
        self.calls.append("feed")
        self.fed.append(frame)
        return ""

    def finish(self) -> Transcript:
        assert self._open, "finish() without start()"
        self.calls.append("finish")
        self._open = False
        self.finished.append(b"".join(self.fed))
        return Transcript(self.said.pop(0) if self.said else "", 0.9, self.name)

    def transcribe(self, pcm: bytes) -> Transcript:
        raise AssertionError("a streaming recogniser has heard the audio already")


def make_loop(dialogue: Dialogue, ears: StreamingEars | ScriptedEars,
              render: Callable[[str], tuple[bytes, int]] | None = None,
              ) -> tuple[VoiceLoop, Mouth, list[tuple[Utterance, bytes]]]:
    """The loop, its mouth, and each utterance it ended with the audio the recogniser had by then."""
    mouth = Mouth()
    loop = VoiceLoop(dialogue, ears, mouth, LoopSettings(wake_phrase=""), EventLog(), render=render)
    heard: list[tuple[Utterance, bytes]] = []
    on_utterance = loop.on_utterance

    def spy(utterance: Utterance, t: float) -> None:
        heard.append((utterance, b"".join(getattr(ears, "fed", []))))
        on_utterance(utterance, t)

    loop.on_utterance = spy  # type: ignore[method-assign]
    return loop, mouth, heard


def test_recogniser_hears_each_utterance_while_it_is_spoken(dialogue: Dialogue) -> None:
    ears = StreamingEars("how are we doing", "what reminders do we have")
    loop, mouth, heard = make_loop(dialogue, ears)
    loop.run(frames(silence(0.5) + tone(1.0) + silence(12.0) + tone(1.2) + silence(8.0)))
    assert len(heard) == 2
    for (utterance, by_the_end), audio in zip(heard, ears.finished):
        # every byte, pre-roll and trailing quiet included, was fed before the end was declared
        assert by_the_end == utterance.pcm == audio
    assert ears.calls[0] == "start" and ears.calls.count("start") == ears.calls.count("finish") == 2
    assert ears.calls[-1] == "finish" and ears.calls[ears.calls.index("finish") + 1] == "start"
    transcripts = [e["text"] for e in loop.events.events if e["event"] == "transcript"]
    assert transcripts == ["how are we doing", "what reminders do we have"]
    assert "No date logged yet" in mouth.spoken[0] and mouth.spoken[1].startswith("You don't have any reminders")


def test_a_dropped_burst_leaks_nothing_into_the_next_utterance(dialogue: Dialogue) -> None:
    ears = StreamingEars("", "how are we doing")  # the first finish() closes the dropped click
    loop, mouth, heard = make_loop(dialogue, ears)
    loop.run(frames(silence(1.0) + tone(0.1) + silence(1.0) + tone(1.0) + silence(1.0)))
    assert ears.calls.count("start") == 2 and len(heard) == 1
    assert ears.finished[-1] == heard[0][0].pcm
    assert "No date logged yet" in mouth.spoken[0]


def test_speaking_over_someone_drops_their_half_utterance(dialogue: Dialogue) -> None:
    # a reminder falls due while someone talks: half-duplex resets the endpointer mid-utterance
    ears = StreamingEars("", "how are we doing")
    loop, mouth, heard = make_loop(dialogue, ears)
    first = frames(silence(0.5) + tone(0.6))
    t = 0.0
    for frame in first:
        loop.feed(frame, t)
        t += FRAME_SECONDS
    assert loop.endpointer.in_speech and ears.fed
    loop._say([Reply("Time to thank her.")], t)
    loop.run(frames(tone(0.4) + silence(2.0) + tone(1.0) + silence(1.0)), start=t)
    assert len(heard) == 1 and ears.calls.count("start") == 2
    assert ears.finished[-1] == heard[0][0].pcm
    assert mouth.spoken[0] == "Time to thank her." and "No date logged yet" in mouth.spoken[1]


def test_end_of_stream_finishes_a_streamed_utterance(dialogue: Dialogue) -> None:
    ears = StreamingEars("how are we doing")
    loop, mouth, heard = make_loop(dialogue, ears)
    loop.run(frames(silence(0.5) + tone(1.0)))  # the file stops mid-speech
    assert ears.calls[-1] == "finish" and len(heard) == 1
    assert ears.finished == [heard[0][0].pcm]
    assert "No date logged yet" in mouth.spoken[0]


def test_a_recogniser_that_does_not_stream_gets_the_whole_utterance(dialogue: Dialogue) -> None:
    ears = ScriptedEars("how are we doing")
    loop, mouth, heard = make_loop(dialogue, ears)
    loop.run(frames(silence(0.5) + tone(1.0) + silence(1.0)))
    assert len(heard) == 1 and ears.lengths == [len(heard[0][0].pcm) / 2 / SAMPLE_RATE]
    assert "No date logged yet" in mouth.spoken[0]


class Renderer:
    """Renders 0.1 s of audio per word, noting how many replies had started playing at each call."""

    def __init__(self, events: EventLog) -> None:
        self.events = events
        self.calls: list[tuple[str, int]] = []

    def __call__(self, text: str) -> tuple[bytes, int]:
        started = sum(e["event"] == "reply_audio_start" for e in self.events.events)
        self.calls.append((text, started))
        return bytes(2 * int(0.1 * len(text.split()) * 22050)), 22050


def test_first_sentence_plays_before_the_rest_is_rendered(dialogue: Dialogue) -> None:
    loop, mouth, _ = make_loop(dialogue, ScriptedEars())
    render = Renderer(loop.events)
    loop.render = render
    text = "That is a lovely idea. Put your phones away for an hour. Then cook something new together. Enjoy!"
    loop._say([Reply(text)], 10.0)
    assert render.calls == [("That is a lovely idea.", 0), ("Put your phones away for an hour.", 1),
                            ("Then cook something new together. Enjoy!", 1)]
    assert mouth.spoken == ["<0.5 s of audio>", "<0.7 s of audio>", "<0.6 s of audio>"]
    assert loop.deaf_until == pytest.approx(10.0 + 1.8, abs=0.01)
    names = [e["event"] for e in loop.events.events]
    assert names == ["reply_audio_start", "reply_end"]


def test_chime_and_clip_still_frame_a_sentence_by_sentence_reply(dialogue: Dialogue, tmp_path: Path) -> None:
    from assistant.speech.audio import write_wav

    clips = tmp_path
    write_wav(clips / "own.wav", bytes(2 * SAMPLE_RATE))  # 1 s of the couple's own voice
    mouth = Mouth()
    events = EventLog()
    render = Renderer(events)
    loop = VoiceLoop(dialogue, ScriptedEars(), mouth, LoopSettings(), events, clips_dir=clips,
                     render=render, chime=(bytes(2 * SAMPLE_RATE // 5), SAMPLE_RATE))
    loop._say([Reply("Reminder time for you two. Thank her for the flowers today.", chime=True,
                     clip="own.wav")], 0.0)
    assert mouth.spoken == ["<0.2 s of audio>", "<0.5 s of audio>", "<0.6 s of audio>", "<1.0 s of audio>"]
    assert loop.deaf_until == pytest.approx(0.2 + 0.5 + 0.6 + 1.0, abs=0.01)


@pytest.mark.parametrize("text, pieces", [
    ("Yes?", ["Yes?"]),
    ("Done. I'll remind you.", ["Done. I'll remind you."]),
    ("Every day at 8 pm: thank her. Shall I set it?", ["Every day at 8 pm: thank her.", "Shall I set it?"]),
    ("We meet at 8 a.m. tomorrow by the lake. Bring coffee for both of you.",
     ["We meet at 8 a.m. tomorrow by the lake.", "Bring coffee for both of you."]),
    ("It costs 3.50 pounds, which is cheap! Okay.", ["It costs 3.50 pounds, which is cheap! Okay."]),
    ("", [""]),
])
def test_replies_are_cut_into_sentences_that_are_not_choppy(text: str, pieces: list[str]) -> None:
    assert speech_pieces(text) == pieces


def test_pieces_keep_every_word() -> None:
    text = "How about this: a picnic on the floor. Lay a blanket down. Eat with your hands! Is that fun?"
    assert speech_pieces(text) == ["How about this: a picnic on the floor.", "Lay a blanket down.",
                                   "Eat with your hands! Is that fun?"]
    assert " ".join(speech_pieces(text)) == text
