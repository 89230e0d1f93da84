"""A real microphone path: PulseAudio with a null sink stands in for the room.

Commands are played into the sink with paplay; `reconnect listen` records from the sink's
monitor as its default microphone, and plays its replies into the same sink, so it would
hear itself if half-duplex failed.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from speech_fixtures import silence, synth, write_wav

pytestmark = pytest.mark.skipif(shutil.which("pulseaudio") is None or shutil.which("paplay") is None,
                                reason="PulseAudio is installed by `make test` (scripts/system-packages.txt)")


@pytest.fixture
def pulse(tmp_path: Path) -> Iterator[dict[str, str]]:
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "HOME": str(tmp_path)}
    subprocess.run(["pulseaudio", "--daemonize=yes", "--exit-idle-time=-1", "-n",
                    "--load=module-native-protocol-unix", "--load=module-null-sink sink_name=vsink"],
                   env=env, check=True, capture_output=True, timeout=30)
    try:
        deadline = time.monotonic() + 10
        while subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode != 0:
            assert time.monotonic() < deadline, "PulseAudio did not start"
            time.sleep(0.1)
        yield env
    finally:
        subprocess.run(["pulseaudio", "--kill"], env=env, capture_output=True, timeout=30)


def wait_for(path: Path, predicate: object, timeout: float = 60.0) -> list[dict[str, object]]:
    deadline = time.monotonic() + timeout
    while True:
        events = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
        if predicate(events):  # type: ignore[operator]
            return events
        assert time.monotonic() < deadline, f"timed out; events so far: {events}"
        time.sleep(0.2)


def test_listen_hears_commands_answers_and_not_itself(pulse: dict[str, str], tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('partners = ["Sam", "Alex"]\nwake_phrase = ""\n', encoding="utf-8")
    events = tmp_path / "events.jsonl"
    commands = ["give us a gratitude prompt", "what reminders do we have"]
    clips = [write_wav(tmp_path / f"cmd{n}.wav", silence(0.3) + synth(text) + silence(0.6))
             for n, text in enumerate(commands)]
    proc = subprocess.Popen([sys.executable, "-m", "assistant", "--data-dir", str(tmp_path / "data"),
                             "--config", str(config), "listen", "--events", str(events)],
                            env=pulse, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(events, lambda ev: any(e["event"] == "listening" for e in ev))
        time.sleep(1.5)  # the input stream opens just after "listening"
        for n, clip in enumerate(clips):
            subprocess.run(["paplay", str(clip)], env=pulse, check=True, timeout=30)
            wait_for(events, lambda ev, n=n: sum(e["event"] == "reply_end" for e in ev) >= n + 1)
            time.sleep(1.0)
        time.sleep(3.0)  # long enough to hear its own last reply, if it could
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    got = [json.loads(line) for line in events.read_text().splitlines()]
    transcripts = [e["text"] for e in got if e["event"] == "transcript"]
    replies = [e["text"] for e in got if e["event"] == "reply_end"]
    assert len(transcripts) == len(commands), (transcripts, err)
    assert len(replies) == len(commands)
    assert "reminders" in replies[1].lower()
