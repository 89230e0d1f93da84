"""The `reconnect` command: a thin layer over the library."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from assistant.catalogue.loader import CatalogueError
from assistant.clock import FakeClock, local_zone, parse_now
from assistant.grammar.loader import GrammarError
from assistant.settings import ConfigError, Settings, load_settings
from assistant.storage.database import StoreError, forget

EXIT_USAGE = 2


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="reconnect", description="An offline voice companion for couples.")
    parser.add_argument("--data-dir", type=Path, help="where history and reminders are kept")
    parser.add_argument("--config", type=Path, help="TOML config file (partner names, wake phrase, quiet hours, voice)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("parse", help="print the intent and slots of an utterance as JSON")
    p.add_argument("--now", help="ISO 8601 time to read relative times against")
    p.add_argument("text", nargs="*", help="the utterance; without it, one utterance per stdin line")

    c = sub.add_parser("chat", help="typed conversation with the assistant")
    c.add_argument("--now", help="pretend the conversation happens at this ISO 8601 time")

    f = sub.add_parser("forget", help="delete all local history and state")
    f.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    sub.add_parser("start", help="start the assistant (what `make run` does)")
    return parser


def _cmd_parse(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.app import make_matcher

    tz = local_zone(settings.timezone)
    clock = FakeClock(parse_now(args.now, tz)) if args.now else None
    matcher = make_matcher(settings)

    def emit(text: str) -> None:
        now = clock.now() if clock else None
        match = matcher.recognize_best(text, now)
        print(json.dumps(match.to_json(), ensure_ascii=False), flush=True)

    if args.text:
        emit(" ".join(args.text))
        return 0
    for line in sys.stdin:
        emit(line.rstrip("\r\n"))
    return 0


def _cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.app import build_app

    clock = FakeClock(parse_now(args.now, local_zone(settings.timezone))) if args.now else None
    app = build_app(settings, clock)
    if app.store.recovered_from is not None:
        print(f"Your saved data could not be read, so it was moved to {app.store.recovered_from} "
              "and a fresh start was made.", file=sys.stderr)
    interactive = sys.stdin.isatty()
    try:
        for reply in app.dialogue.greeting():
            print(reply.text, flush=True)
        while True:
            if interactive:
                print("you> ", end="", flush=True)
            line = sys.stdin.readline()
            if not line:
                break
            text = line.strip()
            if text.lower() in ("quit", "exit", "bye", "goodbye") and app.dialogue.activity is None:
                print("Goodbye. Look after each other.")
                break
            if not text:
                continue
            for reply in app.dialogue.handle(text):
                print(reply.text, flush=True)
    except KeyboardInterrupt:
        print()
    finally:
        app.close()
    return 0


def _cmd_forget(args: argparse.Namespace, settings: Settings) -> int:
    if not args.yes:
        print(f"This deletes all Reconnect history, reminders and recordings in {settings.data_dir}. "
              "Type yes to continue: ", end="", flush=True)
        if sys.stdin.readline().strip().lower() not in ("yes", "y"):
            print("Nothing was deleted.")
            return 1
    removed = forget(settings.data_dir)
    print(f"Deleted {len(removed)} file{'s' if len(removed) != 1 else ''} from {settings.data_dir}.")
    return 0


def _cmd_start(args: argparse.Namespace, settings: Settings) -> int:
    print("Typed chat: write to the assistant and press Enter (Ctrl-D to leave).", file=sys.stderr)
    args.now = None
    return _cmd_chat(args, settings)


COMMANDS = {"parse": _cmd_parse, "chat": _cmd_chat, "forget": _cmd_forget, "start": _cmd_start}


def main(argv: Sequence[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    try:
        settings = load_settings(args.config, args.data_dir)
        return COMMANDS[args.command](args, settings)
    except (ConfigError, GrammarError, CatalogueError, StoreError) as exc:
        print(f"reconnect: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:  # a malformed --now
        print(f"reconnect: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
