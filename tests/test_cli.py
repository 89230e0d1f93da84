"""The `reconnect` command line, run as a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.cli import main


def run(args: list[str], data_dir: Path, stdin: str = "", timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "assistant", "--data-dir", str(data_dir), *args],
                          input=stdin, capture_output=True, text=True, timeout=timeout)


def test_parse_text_prints_one_json_object(tmp_path: Path) -> None:
    out = run(["parse", "--now", "2026-11-23T10:00:00", "remind me every evening at eight to thank her"], tmp_path)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {
        "text": "remind me every evening at eight to thank her", "intent": "set_reminder",
        "slots": {"when": "2026-11-23T20:00:00", "rrule": "FREQ=DAILY", "message": "thank her"}, "score": 1.0}


def test_parse_reads_stdin_line_by_line_in_order(tmp_path: Path) -> None:
    lines = ["give us a deep question", "", "turn on the lights", "suggest a cheap date at home"]
    out = run(["parse"], tmp_path, stdin="\n".join(lines) + "\n")
    results = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["text"] for r in results] == lines
    assert [r["intent"] for r in results] == ["ask_question", "unknown", "unknown", "suggest_date"]
    assert results[3]["slots"] == {"budget": "low", "setting": "home"}


def test_chat_holds_a_conversation(tmp_path: Path) -> None:
    script = "give us a fun question\nrepeat\nremind me at 8 pm to hug him\nyes\nwhat reminders do I have\n"
    out = run(["chat", "--now", "2026-11-23T10:00:00"], tmp_path, stdin=script)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    question = next(line for line in lines if "you go first" in line)
    assert lines.count(question) == 2
    assert "Today at 8 pm: hug him. Shall I set it?" in lines
    assert any(line.startswith("You have one reminder. Today at 8 pm: hug him.") for line in lines)


def test_forget_asks_first_and_deletes_on_yes(tmp_path: Path) -> None:
    run(["chat"], tmp_path, stdin="give us a question\n")
    assert (tmp_path / "reconnect.db").exists()
    refused = run(["forget"], tmp_path, stdin="no\n")
    assert refused.returncode == 1 and (tmp_path / "reconnect.db").exists()
    done = run(["forget"], tmp_path, stdin="yes\n")
    assert done.returncode == 0 and not (tmp_path / "reconnect.db").exists()
    run(["chat"], tmp_path, stdin="give us a question\n")
    assert run(["forget", "--yes"], tmp_path).returncode == 0
    assert not (tmp_path / "reconnect.db").exists()


def test_bad_config_and_bad_now_give_clear_errors(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("partners = 3\n")
    out = run(["--config", str(config), "chat"], tmp_path)
    assert out.returncode == 1 and "partners" in out.stderr and "Traceback" not in out.stderr
    out = run(["parse", "--now", "yesterday-ish", "hello"], tmp_path)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    out = run(["--config", str(tmp_path / "missing.toml"), "parse", "hi"], tmp_path)
    assert out.returncode == 1 and "no such config file" in out.stderr


def test_partner_names_from_config_personalise_prompts(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('partners = ["Sam", "Alex"]\n')
    out = run(["--config", str(config), "chat"], tmp_path, stdin="give us a question\ngive us a question\n")
    assert "Hi Sam and Alex." in out.stdout
    assert "Sam, you go first." in out.stdout and "Alex, you go first." in out.stdout


@pytest.mark.usefixtures("no_network")
def test_parse_and_chat_need_no_network(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", __import__("io").StringIO("give us a question\nhelp\n"))
    assert main(["--data-dir", str(tmp_path), "chat"]) == 0
    assert main(["--data-dir", str(tmp_path), "parse", "suggest a date"]) == 0
    assert "suggest_date" in capsys.readouterr().out
