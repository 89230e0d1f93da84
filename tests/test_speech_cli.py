"""The spoken commands end to end on real synthesised audio: listen --audio, transcribe, parse --audio, say."""

from __future__ import annotations

import json
import socket
import sys
import wave
from pathlib import Path

import pytest

from assistant.cli import main
from speech_fixtures import silence, synth, white_noise, write_wav

NOW = "2026-11-23T10:00:00"


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("clips")
    texts = {
        "question": "hey reconnect give us a deep question about our dreams",
        "reminder": "remind me every evening at eight to thank her",
        "jazz": "play some jazz",
    }
    made = {name: write_wav(folder / f"{name}.wav", silence(0.4) + synth(text) + silence(0.8))
            for name, text in texts.items()}
    made["conversation"] = write_wav(
        folder / "conversation.wav",
        silence(0.5) + synth("hey reconnect suggest a cheap date at home") + silence(14.0)
        + synth("no thanks") + silence(4.0))
    made["noise"] = write_wav(folder / "noise.wav", white_noise(3.0))
    return made


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_parse_audio_gives_one_json_line_per_file_in_order(tmp_path: Path, clips: dict[str, Path],
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--data-dir", str(tmp_path), "parse", "--now", NOW,
                       "--audio", str(clips["question"]), "--audio", str(clips["reminder"]),
                       "--audio", str(clips["jazz"]))
    assert code == 0
    question, reminder, jazz = (json.loads(line) for line in out.splitlines())
    assert (question["intent"], question["slots"]) == ("ask_question", {"depth": "deep", "category": "dreams"})
    assert reminder["intent"] == "set_reminder"
    assert (reminder["slots"]["when"], reminder["slots"]["rrule"]) == ("2026-11-23T20:00:00", "FREQ=DAILY")
    assert "thank" in reminder["slots"]["message"]
    assert jazz["intent"] == "unknown"
    assert all("transcript" in r for r in (question, reminder, jazz))


def test_transcribe_grammar_and_free(tmp_path: Path, clips: dict[str, Path],
                                     capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "--data-dir", str(tmp_path), "transcribe", str(clips["question"]))
    heard = json.loads(out)
    assert heard["engine"] == "pocketsphinx" and "deep question" in heard["text"]
    assert set(heard) == {"text", "confidence", "engine", "seconds"}
    _, out, _ = run(capsys, "--data-dir", str(tmp_path), "transcribe", "--free", str(clips["jazz"]))
    free = json.loads(out)
    assert free["engine"] == "whisper" and "jazz" in free["text"].lower()


def test_listen_on_a_file_answers_and_logs_events(tmp_path: Path, clips: dict[str, Path],
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    events, reply = tmp_path / "events.jsonl", tmp_path / "reply.wav"
    code, _, err = run(capsys, "--data-dir", str(tmp_path), "listen", "--audio", str(clips["conversation"]),
                       "--out-wav", str(reply), "--events", str(events))
    assert code == 0, err
    log = [json.loads(line) for line in events.read_text().splitlines()]
    names = [e["event"] for e in log]
    assert "end_of_speech" in names and "reply_audio_start" in names
    first_end = names.index("end_of_speech")
    assert names.index("reply_audio_start") > first_end
    replies = [e["text"] for e in log if e["event"] == "reply_end"]
    assert replies[0].startswith("How about this:") and replies[1] == "Okay."
    assert [e["t"] for e in log] == sorted(e["t"] for e in log)
    with wave.open(str(reply)) as w:
        assert w.getnframes() / w.getframerate() > 3.0


@pytest.mark.parametrize("content, message", [
    (b"ID3\x03\x00\x00\x00\x00\x00\x00 not really an mp3", "not a wav"),
    (b"", "empty"),
    (b"RIFF\x24\x00\x00\x00WAVEfmt ", ""),
])
def test_bad_audio_files_get_a_clear_message(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             content: bytes, message: str) -> None:
    bad = tmp_path / "bad.wav"
    bad.write_bytes(content)
    code, out, err = run(capsys, "--data-dir", str(tmp_path), "parse", "--audio", str(bad))
    assert code == 1 and err.startswith("reconnect: ") and message in err
    assert "Traceback" not in err


def test_noise_and_silence_are_not_commands(tmp_path: Path, clips: dict[str, Path],
                                            capsys: pytest.CaptureFixture[str]) -> None:
    quiet = write_wav(tmp_path / "quiet.wav", silence(2.0))
    _, out, _ = run(capsys, "--data-dir", str(tmp_path), "parse", "--audio", str(clips["noise"]),
                    "--audio", str(quiet))
    assert [json.loads(line)["intent"] for line in out.splitlines()] == ["unknown", "unknown"]


def test_say_writes_a_wav(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_wav = tmp_path / "say.wav"
    assert run(capsys, "--data-dir", str(tmp_path), "say", "Tell each other one thing you loved today.",
               "--out-wav", str(out_wav))[0] == 0
    with wave.open(str(out_wav)) as w:
        assert w.getnframes() > w.getframerate()


def test_listen_and_chat_need_no_network(tmp_path: Path, clips: dict[str, Path], monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    code, _, err = run(capsys, "--data-dir", str(tmp_path), "listen", "--audio", str(clips["question"]),
                       "--out-wav", str(tmp_path / "r.wav"))
    assert code == 0, err
    monkeypatch.setattr(sys, "stdin", __import__("io").StringIO("give us a question\n"))
    assert run(capsys, "--data-dir", str(tmp_path), "chat")[0] == 0
