"""The shared YAML reader: libyaml's speed, the pure-Python parser's results and error messages."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from assistant import yamlfile
from assistant.grammar.loader import GrammarError, load_grammar
from assistant.yamlfile import load_yaml

DOCUMENT = """\
intent: help
count: 3
ratio: 0.5
flag: yes
nothing: ~
when: 2026-11-23
quoted: "07"
words: [a, 'b c', "d: e"]
nested: {x: [1, {y: z}]}
text: |
  two
  lines
"""
BROKEN = "intent: help\nsentences: [oops\n"


@pytest.fixture(params=["libyaml", "pure"])
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with each parser: a machine without libyaml must behave the same."""
    if request.param == "pure":
        monkeypatch.setattr(yamlfile, "_FAST_LOADER", yaml.SafeLoader)
    elif not yaml.__with_libyaml__:
        pytest.skip("PyYAML was built without libyaml")
    return str(request.param)


def test_reads_what_safe_load_reads(parser: str, tmp_path: Path) -> None:
    path = tmp_path / "doc.yaml"
    path.write_text(DOCUMENT, encoding="utf-8")
    data = load_yaml(path)
    assert data == yaml.safe_load(DOCUMENT)
    assert data["when"].isoformat() == "2026-11-23" and data["quoted"] == "07"
    assert data["flag"] is True and data["nothing"] is None


def test_a_syntax_error_reads_as_the_pure_python_parser_words_it(parser: str, tmp_path: Path) -> None:
    path = tmp_path / "help.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    with pytest.raises(yaml.YAMLError) as caught:
        load_yaml(path)
    with pytest.raises(yaml.YAMLError) as expected:
        yaml.safe_load(BROKEN)
    assert str(caught.value) == str(expected.value)
    assert "expected ',' or ']'" in str(caught.value)  # libyaml says "did not find expected"


def test_uses_libyaml_when_pyyaml_has_it() -> None:
    # The whole point of the helper: the pure-Python parser tripled the start-up time.
    if yaml.__with_libyaml__:
        assert yamlfile._FAST_LOADER is yaml.CSafeLoader
    else:
        assert yamlfile._FAST_LOADER is yaml.SafeLoader


def test_grammar_error_quotes_the_line(tmp_path: Path) -> None:
    (tmp_path / "help.yaml").write_text(BROKEN, encoding="utf-8")
    with pytest.raises(GrammarError) as caught:
        load_grammar(tmp_path)
    message = str(caught.value)
    assert message.startswith("help.yaml: not valid YAML: while parsing a flow sequence")
    assert "    sentences: [oops\n" in message  # the excerpt libyaml leaves out
