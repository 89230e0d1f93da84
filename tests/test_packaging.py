"""A plain, non-editable `pip install .` carries the intents and the catalogue as package data."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # build from a copy so the checkout gains no build/ or egg-info litter
    source = out / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".venv", ".git", "build", "*.egg-info",
                                                                 "__pycache__", ".pytest_cache"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--wheel-dir", str(out), str(source)], check=True, capture_output=True, timeout=300)
    [built] = out.glob("reconnect-*.whl")
    return built


def test_wheel_holds_every_intent_and_content_file(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for source, packaged in (("intents", "assistant/intent_templates"), ("assistant/content", "assistant/content")):
        for path in (ROOT / source).glob("*.yaml"):
            assert f"{packaged}/{path.name}" in names, path


def test_wheel_holds_every_python_package(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for init in (ROOT / "assistant").rglob("__init__.py"):
        assert init.relative_to(ROOT).as_posix() in names, init
    assert "assistant/model_manifest/manifest.toml" in names


def test_installed_copy_runs_outside_the_checkout(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
                    str(wheel)], check=True, capture_output=True, timeout=300)
    code = ("import assistant, json, sys; from assistant.cli import main; "
            "assert assistant.__file__.startswith(sys.argv[1]), assistant.__file__; "
            "sys.argv = ['reconnect', '--data-dir', sys.argv[2], 'parse', 'give us a deep question']; main()")
    env_path = f"{target}"
    result = subprocess.run([sys.executable, "-c", code, str(target), str(tmp_path / "data")],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120,
                            env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert '"intent": "ask_question"' in result.stdout and '"depth": "deep"' in result.stdout
