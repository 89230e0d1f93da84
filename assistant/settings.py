"""One frozen settings tree, built once at start-up from the TOML config and CLI flags."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import platformdirs

from assistant.matching.matcher import MatchSettings


class ConfigError(ValueError):
    """The config file is unreadable or has a bad value; the message says which."""


@dataclass(frozen=True)
class QuietHours:
    start: int
    """Hour (0-23) when quiet begins."""
    end: int
    """Hour (0-23) when quiet ends."""

    def contains(self, hour: int) -> bool:
        """True when `hour` falls inside the quiet period, which may wrap past midnight."""
        if self.start <= self.end:
            return self.start <= hour < self.end
        return hour >= self.start or hour < self.end


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    """Where the database and voice clips live."""
    partners: tuple[str, ...] = ()
    """The couple's first names, used to personalise prompts; may be empty."""
    wake_phrase: str = "hey reconnect"
    """Said before a command in the voice loop; empty to listen always."""
    quiet_hours: QuietHours | None = None
    """Reminders and nudges wait until quiet hours end."""
    voice: str | None = None
    """Text-to-speech voice name or id."""
    rate: int = 165
    """Speaking rate in words per minute."""
    timezone: str | None = None
    """IANA zone name; None means the system's."""
    match: MatchSettings = field(default_factory=MatchSettings)
    """Matcher thresholds."""
    turn_seconds: int | None = None
    """Length of each speaker's turn in a check-in; None keeps the script's own."""
    follow_up_seconds: float = 8.0
    """After a question, how long the mic stays open without the wake phrase."""
    end_silence: float = 0.6
    """Seconds of quiet that end an utterance."""


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("reconnect", appauthor=False))


def default_config_path() -> Path:
    return Path(platformdirs.user_config_dir("reconnect", appauthor=False)) / "config.toml"


def _expect(table: dict[str, Any], key: str, kind: type, where: Path) -> Any:
    value = table.get(key)
    if value is not None and not isinstance(value, kind):
        raise ConfigError(f"{where}: {key} should be a {kind.__name__}, not {value!r}")
    return value


def load_settings(config_path: Path | None = None, data_dir: Path | None = None) -> Settings:
    """Read the TOML config (missing file means defaults) and apply CLI overrides."""
    path = config_path or default_config_path()
    raw: dict[str, Any] = {}
    if path.exists():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    elif config_path is not None:
        raise ConfigError(f"{path}: no such config file")
    settings = Settings(data_dir=data_dir or Path(raw.get("data_dir") or default_data_dir()))
    partners = _expect(raw, "partners", list, path) or []
    if len(partners) > 2 or not all(isinstance(p, str) and p.strip() for p in partners):
        raise ConfigError(f"{path}: partners should be up to two names, e.g. partners = [\"Sam\", \"Alex\"]")
    quiet = _expect(raw, "quiet_hours", dict, path)
    quiet_hours = None
    if quiet:
        try:
            quiet_hours = QuietHours(int(quiet["start"]), int(quiet["end"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"{path}: quiet_hours needs start and end hours, e.g. {{start = 22, end = 7}}") from exc
        if not (0 <= quiet_hours.start < 24 and 0 <= quiet_hours.end < 24):
            raise ConfigError(f"{path}: quiet_hours must be hours from 0 to 23")
    match_raw = _expect(raw, "matching", dict, path) or {}
    match = MatchSettings(**{k: float(v) for k, v in match_raw.items() if k in MatchSettings.__dataclass_fields__})
    return replace(
        settings,
        partners=tuple(p.strip() for p in partners),
        wake_phrase=str(_expect(raw, "wake_phrase", str, path) if "wake_phrase" in raw else settings.wake_phrase),
        quiet_hours=quiet_hours,
        voice=_expect(raw, "voice", str, path),
        rate=int(_expect(raw, "rate", int, path) or settings.rate),
        timezone=_expect(raw, "timezone", str, path),
        match=match,
        turn_seconds=_turn_seconds(raw, path),
        follow_up_seconds=_seconds(raw, "follow_up_seconds", path, 0.0, 60.0, settings.follow_up_seconds),
        end_silence=_seconds(raw, "end_silence", path, 0.2, 3.0, settings.end_silence),
    )


def _seconds(raw: dict[str, Any], key: str, path: Path, low: float, high: float, default: float) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise ConfigError(f"{path}: {key} should be a number of seconds from {low:g} to {high:g}")
    return float(value)


def _turn_seconds(raw: dict[str, Any], path: Path) -> int | None:
    value = _expect(raw, "turn_seconds", int, path)
    if value is None:
        return None
    if not 15 <= value <= 1800:
        raise ConfigError(f"{path}: turn_seconds should be between 15 and 1800")
    return int(value)
