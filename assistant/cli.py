"""The `reconnect` command: a thin layer over the library."""

from __future__ import annotations

import argparse
import json
import os
import select
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from assistant.catalogue.loader import CatalogueError
from assistant.clock import Clock, FakeClock, SystemClock, local_zone, parse_now
from assistant.dialogue.phrasing import schedule_phrase
from assistant.grammar.loader import GrammarError
from assistant.messages import Reminder, Reply
from assistant.reminders.delivery import ReminderDesk
from assistant.reminders.from_text import ReminderInputError, reminder_from_match, reminder_kind
from assistant.reminders.schedule import RecurrenceError
from assistant.settings import ConfigError, Settings, load_settings
from assistant.storage.database import DB_NAME, Store, StoreError, forget

if TYPE_CHECKING:
    from assistant.speech.session import SpeechOptions as SpeechOptionsT

EXIT_USAGE = 2
TICK_SECONDS = 1.0


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="reconnect", description="An offline voice companion for couples.")
    parser.add_argument("--data-dir", type=Path, help="where history and reminders are kept")
    parser.add_argument("--config", type=Path, help="TOML config file (partner names, wake phrase, quiet hours, voice)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("parse", help="print the intent and slots of an utterance as JSON")
    p.add_argument("--now", help="ISO 8601 time to read relative times against")
    p.add_argument("--audio", type=Path, action="append", help="read the utterance from this wav (repeatable)")
    _speech_flags(p)
    p.add_argument("text", nargs="*", help="the utterance; without it, one utterance per stdin line")

    c = sub.add_parser("chat", help="typed conversation with the assistant")
    c.add_argument("--now", help="pretend the conversation happens at this ISO 8601 time")

    f = sub.add_parser("forget", help="delete all local history and state")
    f.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    sub.add_parser("start", help="start the assistant (what `make run` does)")

    li = sub.add_parser("listen", help="the voice loop on the microphone, or on a wav file with --audio")
    li.add_argument("--audio", type=Path, help="run the loop on this wav as if it came from the microphone")
    li.add_argument("--out-wav", type=Path, help="write what is said to this wav instead of playing it")
    li.add_argument("--events", type=Path, help="write one JSON line per event (end_of_speech, reply_audio_start...)")
    li.add_argument("--now", help="pretend it is this ISO 8601 time")
    _speech_flags(li)
    tr = sub.add_parser("transcribe", help="print what a wav says, as JSON")
    tr.add_argument("audio", type=Path)
    tr.add_argument("--free", action="store_true", help="open vocabulary instead of the command grammar")
    _speech_flags(tr)
    sa = sub.add_parser("say", help="speak a sentence")
    sa.add_argument("text", nargs="+")
    sa.add_argument("--out-wav", type=Path, help="write it to this wav instead of playing it")

    r = sub.add_parser("reminders", help="add, list, cancel and deliver reminders")
    rsub = r.add_subparsers(dest="action", required=True)
    ra = rsub.add_parser("add", help="store a reminder from words, e.g. 'remind me every evening at eight to thank her'")
    ra.add_argument("text", nargs="+")
    ra.add_argument("--now", help="ISO 8601 time to read the words against")
    rl = rsub.add_parser("list", help="active reminders, soonest first")
    rl.add_argument("--json", action="store_true", help="one JSON object per reminder")
    rl.add_argument("--now", help="ISO 8601 time to phrase times against")
    rc = rsub.add_parser("cancel", help="cancel one reminder by id, or all")
    rc.add_argument("which", help="a reminder id, or all")
    rd = rsub.add_parser("due", help="deliver every reminder due now that was not delivered yet")
    rd.add_argument("--now", help="ISO 8601 time to deliver as of")
    rd.add_argument("--json", action="store_true", help="one JSON object per delivery")

    m = sub.add_parser("models", help="list, download and verify speech models")
    msub = m.add_subparsers(dest="action", required=True)
    msub.add_parser("list", help="known models and whether each is installed")
    md = msub.add_parser("download", help="download, check and unpack a model")
    md.add_argument("name")
    md.add_argument("--allow-unverified", action="store_true", help="install even without a pinned checksum")
    mi = msub.add_parser("install", help="install a model archive downloaded on another machine")
    mi.add_argument("name")
    mi.add_argument("archive", type=Path)
    msub.add_parser("verify", help="check installed models are complete and match their checksums")
    return parser


def _speech_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--engine", choices=("auto", "pocketsphinx", "vosk", "whisper"), default="auto",
                        help="speech recogniser (default: pocketsphinx with the command grammar; "
                             "with --free, the best open-vocabulary engine installed)")
    parser.add_argument("--model", type=Path, help="vosk model folder (else VOSK_MODEL_PATH, else the model store)")


def _speech_options(args: argparse.Namespace) -> SpeechOptionsT:
    from assistant.speech.session import SpeechOptions

    return SpeechOptions(engine=args.engine, model=args.model, out_wav=getattr(args, "out_wav", None))


def _cmd_parse(args: argparse.Namespace, settings: Settings) -> int:
    if args.audio:
        return _cmd_parse_audio(args, settings)
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


def _cmd_parse_audio(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.app import build_app
    from assistant.speech.session import AudioParser

    tz = local_zone(settings.timezone)
    app = build_app(settings, FakeClock(parse_now(args.now, tz)) if args.now else None)
    try:
        parser = AudioParser(app, _speech_options(args))
        for path in args.audio:
            print(json.dumps(parser.parse(path), ensure_ascii=False), flush=True)
    finally:
        app.close()
    return 0


def _cmd_listen(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.app import build_app
    from assistant.speech.mic import input_available
    from assistant.speech.session import listen_file, listen_live, stderr_report

    tz = local_zone(settings.timezone)
    app = build_app(settings, FakeClock(parse_now(args.now, tz)) if args.now else None)
    _report_recovery(app.store)
    events = open(args.events, "w", encoding="utf-8") if args.events else None  # noqa: SIM115
    try:
        if args.audio is not None:
            listen_file(app, _speech_options(args), args.audio, events)
        elif not input_available():
            print("reconnect: no microphone found. Plug one in, or use `reconnect chat` to type, or "
                  "`reconnect listen --audio FILE.wav` to run on a recording.", file=sys.stderr)
            return 1
        else:
            listen_live(app, _speech_options(args), events, stderr_report)
    finally:
        if events is not None:
            events.close()
        app.close()
    return 0


def _cmd_transcribe(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.app import build_app
    from assistant.speech.session import transcribe

    app = build_app(settings)
    try:
        print(json.dumps(transcribe(app, args.audio, _speech_options(args), args.free), ensure_ascii=False))
    finally:
        app.close()
    return 0


def _cmd_say(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.speech.session import speaker_for

    speaker = speaker_for(settings.voice, settings.rate, args.out_wav)
    try:
        speaker.speak(" ".join(args.text))
    finally:
        close = getattr(speaker, "close", None)
        if callable(close):
            close()
    return 0


def _report_recovery(store: Store) -> None:
    if store.recovered_from is not None:
        print(f"Your saved data could not be read, so it was moved to {store.recovered_from} "
              "and a fresh start was made.", file=sys.stderr)


def _cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.app import build_app

    clock = FakeClock(parse_now(args.now, local_zone(settings.timezone))) if args.now else None
    app = build_app(settings, clock)
    _report_recovery(app.store)
    interactive = sys.stdin.isatty()

    def say(reply: Reply) -> None:
        print(reply.text, flush=True)

    try:
        for reply in app.dialogue.greeting():
            say(reply)
        app.dialogue.tick(say)
        for line in _lines_with_ticks(sys.stdin, lambda: app.dialogue.tick(say), interactive):
            text = line.strip()
            if text.lower() in ("quit", "exit", "bye", "goodbye") and app.dialogue.activity is None:
                say(Reply("Goodbye. Look after each other."))
                break
            if text:
                for reply in app.dialogue.handle(text):
                    say(reply)
    except KeyboardInterrupt:
        print()
    finally:
        app.close()
    return 0


def _lines_with_ticks(stream: TextIO, tick: Callable[[], None], prompt: bool) -> Iterator[str]:
    """Lines typed by the couple; while none comes, `tick` runs about once a second so that
    reminders and check-in timers keep time."""
    try:
        fd = stream.fileno()
    except (OSError, ValueError, AttributeError):
        # not a real file (an in-memory stream): nothing to wait on, tick between lines
        for line in stream:
            tick()
            yield line
        return
    buffered = ""
    while True:
        if prompt:
            print("you> ", end="", flush=True)
        while "\n" not in buffered:
            ready, _, _ = select.select([stream], [], [], TICK_SECONDS)
            if not ready:
                tick()
                continue
            chunk = os.read(fd, 4096).decode("utf-8", errors="replace")
            if not chunk:
                if buffered:
                    yield buffered
                return
            buffered += chunk
        line, buffered = buffered.split("\n", 1)
        yield line


def _cmd_reminders(args: argparse.Namespace, settings: Settings) -> int:
    tz = local_zone(settings.timezone)
    clock = FakeClock(parse_now(args.now, tz)) if getattr(args, "now", None) else SystemClock(tz)
    store = Store.open(settings.data_dir / DB_NAME)
    _report_recovery(store)
    try:
        return REMINDER_ACTIONS[args.action](args, settings, store, clock)
    finally:
        store.close()


def _reminder_json(reminder: Reminder) -> dict[str, object]:
    return {"id": reminder.id, "when": reminder.when, "rrule": reminder.rrule, "message": reminder.message}


def _reminders_add(args: argparse.Namespace, settings: Settings, store: Store, clock: Clock) -> int:
    from assistant.app import make_matcher

    now = clock.now()
    match = make_matcher(settings).recognize_best(" ".join(args.text), now)
    try:
        new = reminder_from_match(match, now)
    except (ReminderInputError, RecurrenceError) as exc:
        print(f"reconnect: {exc}", file=sys.stderr)
        return 1
    reminder = store.add_reminder(new.local_when, new.rrule, new.message, now, reminder_kind(new.message))
    print(json.dumps(_reminder_json(reminder), ensure_ascii=False))
    return 0


def _reminders_list(args: argparse.Namespace, settings: Settings, store: Store, clock: Clock) -> int:
    now = clock.now()
    for reminder in store.reminders():
        if args.json:
            print(json.dumps(_reminder_json(reminder), ensure_ascii=False))
        else:
            when = datetime.fromisoformat(reminder.when).replace(tzinfo=now.tzinfo)
            print(f"{reminder.id}  {schedule_phrase(when, reminder.rrule, now)}: {reminder.message}")
    return 0


def _reminders_cancel(args: argparse.Namespace, settings: Settings, store: Store, clock: Clock) -> int:
    active = store.reminders()
    if args.which == "all":
        targets = [r.id for r in active]
    elif args.which.isdigit() and int(args.which) in {r.id for r in active}:
        targets = [int(args.which)]
    else:
        print(f"reconnect: no active reminder with id {args.which!r}; see: reconnect reminders list",
              file=sys.stderr)
        return 1
    count = store.cancel_reminders(targets)
    print(f"Cancelled {count} reminder{'s' if count != 1 else ''}.")
    return 0


def _reminders_due(args: argparse.Namespace, settings: Settings, store: Store, clock: Clock) -> int:
    desk = ReminderDesk(store, clock, settings.quiet_hours)
    desk.collect()
    for announcement in desk.pending():
        delivery = announcement.delivery
        if args.json:
            print(json.dumps({"delivery": delivery.id, "id": delivery.reminder.id, "when": delivery.occurrence,
                              "rrule": delivery.reminder.rrule, "message": delivery.reminder.message,
                              "missed": delivery.missed, "said": " ".join(r.text for r in announcement.replies)},
                             ensure_ascii=False), flush=True)
        else:
            print(" ".join(r.text for r in announcement.replies), flush=True)
        desk.said(announcement)
    return 0


def _cmd_models(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.speech import models

    try:
        if args.action == "list":
            for status in models.list_models(settings.data_dir):
                mark = "installed" if status.installed else "not installed"
                print(f"{status.entry.name:32} {mark:14} {status.entry.description}")
            return 0
        if args.action == "verify":
            checks = models.verify(settings.data_dir)
            for check in checks:
                print(f"{check.name:32} {'ok' if check.ok else 'FAILED':7} {check.message}")
            if not checks:
                print(f"No models installed in {models.models_dir(settings.data_dir)}.")
            return 0 if all(c.ok for c in checks) else 1
        entry = models.find_entry(models.load_manifest(), args.name)
        if args.action == "install":
            path = models.install_archive(entry, args.archive, settings.data_dir)
        else:
            def progress(done: int, total: int) -> None:
                print("\r" + models.format_progress(done, total), end="", file=sys.stderr, flush=True)
            path = models.download(entry, settings.data_dir, progress=progress,
                                   allow_unverified=args.allow_unverified)
            print(file=sys.stderr)
        print(f"Installed {entry.name} in {path}.")
        return 0
    except models.ModelError as exc:
        print(f"\nreconnect: {exc}", file=sys.stderr)
        return 1


REMINDER_ACTIONS: dict[str, Callable[[argparse.Namespace, Settings, Store, Clock], int]] = {
    "add": _reminders_add, "list": _reminders_list, "cancel": _reminders_cancel, "due": _reminders_due,
}


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
    from assistant.speech.mic import input_available

    args.now = None
    if input_available():
        args.audio = args.out_wav = args.events = args.model = None
        args.engine = "auto"
        return _cmd_listen(args, settings)
    print("No microphone found, so this is the typed chat: write to the assistant and press Enter "
          "(Ctrl-D to leave).", file=sys.stderr)
    return _cmd_chat(args, settings)


COMMANDS = {"parse": _cmd_parse, "chat": _cmd_chat, "forget": _cmd_forget, "start": _cmd_start,
            "reminders": _cmd_reminders, "models": _cmd_models, "listen": _cmd_listen,
            "transcribe": _cmd_transcribe, "say": _cmd_say}


def main(argv: Sequence[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    try:
        settings = load_settings(args.config, args.data_dir)
        return COMMANDS[args.command](args, settings)
    except (ConfigError, GrammarError, CatalogueError, StoreError) + _speech_errors() as exc:
        print(f"reconnect: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:  # a malformed --now
        print(f"reconnect: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _speech_errors() -> tuple[type[Exception], ...]:
    """Speech errors that end a command with a message, once their modules are loaded."""
    found: list[type[Exception]] = []
    for module, name in (("assistant.speech.session", "SpeechSetupError"), ("assistant.speech.audio", "AudioError"),
                         ("assistant.speech.voice", "VoiceError"), ("assistant.speech.voice", "AudioDeviceError"),
                         ("assistant.speech.recognizers", "RecognizerError"),
                         ("assistant.speech.models", "ModelError")):
        loaded = sys.modules.get(module)
        if loaded is not None and hasattr(loaded, name):
            found.append(getattr(loaded, name))
    return tuple(found)


if __name__ == "__main__":
    sys.exit(main())
