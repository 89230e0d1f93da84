"""Free-form speech recognition in a child process, started on demand and stopped when idle.

Whisper holds about 300 MB once loaded, twice the whole assistant's budget while listening, and
free words (a reminder's message) are needed only now and then. So the model lives in a child,
`python -m assistant.speech.worker`, that the parent starts when asked, feeds utterances over a
pipe, and stops after a quiet spell; the parent never imports the engine.

Protocol, stdin -> child: a 4-byte big-endian length, then that many bytes of 16 kHz mono int16
PCM; EOF means stop. Child -> stdout: one JSON line once the engine is loaded (`{"ready": true,
"engine": ...}` or `{"error": ...}`), then one JSON line per request (the `Transcript` fields, or
`{"error": ...}`). The child's stdout is kept for the protocol alone; anything else it prints goes
to stderr.

Free words are a bonus: every failure turns into an empty `Transcript`, commands still work,
and the parent says what went wrong once on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

import assistant
from assistant.messages import Transcript

_HEADER = struct.Struct(">I")
MAX_REQUEST_BYTES = 16000 * 2 * 600
"""Ten minutes of audio. A longer length means a corrupt header, not an utterance; the cap keeps
the child from trying to allocate gigabytes on one."""


class _Failure(Exception):
    """The child could not be used for this request; the message is for the user."""


class _StartFailure(_Failure):
    """The child could not start or load its engine, so retrying at once would fail the same way."""


@dataclass(frozen=True)
class WorkerSettings:
    """How the speech worker child is run."""

    idle_timeout: float = 120.0
    """Seconds without a request after which the child is stopped, freeing its memory."""
    request_timeout: float = 30.0
    """Seconds one utterance may take before the child is deemed hung and killed."""
    start_timeout: float = 60.0
    """Seconds the child may take to start Python and load its model (about 1.5 s when warm)."""
    retry_after: float = 30.0
    """Seconds to wait before starting the child again after it failed to start, so a missing
    model does not add a failed start to every utterance."""
    model_path: Path | None = None
    """A CTranslate2 whisper model folder; None for `best_free_recognizer()`'s choice."""
    prompt: str = ""
    """Words whisper should expect (its `initial_prompt`), e.g. the phrases the couple is taught."""
    cpu_threads: int = 2
    """Threads for the engine, as the in-process whisper engine uses."""
    child_stderr: bool = False
    """Pass the child's stderr through (for debugging); by default it is discarded so engine
    warnings do not clutter the conversation."""


class WorkerRecognizer:
    """A free-form recogniser whose engine runs in a child process; thread-safe.

    No side effects until `warm()` or `transcribe()`. The child exits after `idle_timeout`
    seconds without requests, or with the parent (it stops at EOF on its stdin).
    """

    def __init__(self, settings: WorkerSettings | None = None, *, name: str = "whisper",
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings or WorkerSettings()
        self.name = name
        """Engine name; replaced by the child's own once it has started."""
        self._clock = clock
        self._proc: subprocess.Popen[bytes] | None = None
        self._ready = False
        self._retry_at = 0.0
        self._reported = False
        self._idle_timer: threading.Timer | None = None
        self._idle_token = 0
        self._lock = threading.Lock()

    @property
    def pid(self) -> int | None:
        """Process id of the running child, if one is running."""
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    def warm(self) -> None:
        """Start the child loading its model in the background, so the next transcribe is quick."""
        # Never wait behind a request in progress: a child is running then anyway.
        if not self._lock.acquire(blocking=False):
            return
        try:
            if self._alive() or self._clock() < self._retry_at:
                return
            try:
                self._spawn()
            except _StartFailure as exc:
                self._start_failed(exc)
            self._arm_idle_timer()
        finally:
            self._lock.release()

    def transcribe(self, pcm: bytes) -> Transcript:
        """The words of one utterance of 16 kHz mono int16 PCM; "" when the worker cannot help."""
        with self._lock:
            self._cancel_idle_timer()
            try:
                return self._transcribe(pcm[:MAX_REQUEST_BYTES])
            finally:
                self._arm_idle_timer()

    def close(self) -> None:
        """Stop the child, if running; a later transcribe starts it again."""
        with self._lock:
            self._cancel_idle_timer()
            self._stop()

    def __enter__(self) -> WorkerRecognizer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- request path, lock held ------------------------------------------------------------

    def _transcribe(self, pcm: bytes) -> Transcript:
        empty = Transcript("", 0.0, self.name)
        if not self._alive() and self._clock() < self._retry_at:
            return empty
        # A child left running since the last request may have died meanwhile (killed, or out
        # of memory) without our knowing: give such a one a single fresh retry.
        reused = self._alive()
        for attempt in (1, 2):
            try:
                if not self._alive():
                    self._spawn()
                reply = self._request(pcm)
            except _StartFailure as exc:
                self._start_failed(exc)
                return empty
            except _Failure as exc:
                self._stop()
                if reused and attempt == 1:
                    continue
                self._report(str(exc))
                return empty
            if "error" in reply:
                self._report(f"the speech worker failed on an utterance: {reply['error']}")
                return empty
            self._reported = False
            return _transcript(reply, self.name)
        return empty  # unreachable: the second attempt always returns

    def _alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def _spawn(self) -> None:
        s = self.settings
        env = dict(os.environ)
        # Keep BLAS/OpenMP to the engine's own thread count, and huggingface_hub from looking
        # anything up online; make the package importable whatever the working directory.
        env["OMP_NUM_THREADS"] = str(s.cpu_threads)
        env["HF_HUB_OFFLINE"] = "1"
        root = str(Path(assistant.__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
        argv = [sys.executable, "-m", "assistant.speech.worker", "--threads", str(s.cpu_threads)]
        if s.model_path is not None:
            argv += ["--model", str(s.model_path)]
        if s.prompt:
            argv += ["--prompt", s.prompt]
        self._stop()
        try:
            self._proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                          stderr=None if s.child_stderr else subprocess.DEVNULL,
                                          env=env, close_fds=True)
        except OSError as exc:
            raise _StartFailure(f"could not start the speech worker: {exc}") from exc
        self._ready = False

    def _request(self, pcm: bytes) -> dict[str, Any]:
        proc = self._proc
        assert proc is not None and proc.stdin is not None and proc.stdout is not None
        s = self.settings
        if not self._ready:
            with _Watchdog(proc, s.start_timeout) as dog:
                hello = _read_reply(proc.stdout)
            if hello is None:
                why = "took too long to load" if dog.fired else f"exited while starting ({_exit_status(proc)})"
                raise _StartFailure(f"the speech worker {why}")
            if "error" in hello:
                raise _StartFailure(str(hello["error"]))
            self.name = str(hello.get("engine", self.name))
            self._ready = True
        with _Watchdog(proc, s.request_timeout) as dog:
            try:
                proc.stdin.write(_HEADER.pack(len(pcm)) + pcm)
                proc.stdin.flush()
            except OSError:
                pass  # it died; the read below says how
            reply = _read_reply(proc.stdout)
        if reply is None:
            if dog.fired:
                raise _Failure(f"the speech worker took over {s.request_timeout:g} s on one utterance "
                               "and was stopped")
            raise _Failure(f"the speech worker stopped unexpectedly ({_exit_status(proc)})")
        return reply

    def _start_failed(self, exc: _StartFailure) -> None:
        self._stop()
        self._retry_at = self._clock() + self.settings.retry_after
        self._report(str(exc))

    def _report(self, message: str) -> None:
        if not self._reported:
            print(f"reconnect: free-form speech is off for now: {message} (commands still work)",
                  file=sys.stderr, flush=True)
            self._reported = True

    def _stop(self) -> None:
        proc, self._proc, self._ready = self._proc, None, False
        if proc is None:
            return
        # EOF asks it to exit; it has no state worth a longer wait than one model load.
        for stream in (proc.stdin, proc.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass
        try:
            proc.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    # --- idle timer -------------------------------------------------------------------------

    def _arm_idle_timer(self) -> None:
        self._cancel_idle_timer()
        if self._proc is None:
            return
        self._idle_token += 1
        timer = threading.Timer(self.settings.idle_timeout, self._on_idle, (self._idle_token,))
        timer.daemon = True
        self._idle_timer = timer
        timer.start()

    def _cancel_idle_timer(self) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None

    def _on_idle(self, token: int) -> None:
        with self._lock:
            # a request since the timer was armed made it stale
            if token == self._idle_token and self._idle_timer is not None:
                self._idle_timer = None
                self._stop()


class _Watchdog:
    """Kills the child if the block inside takes longer than `seconds`, unblocking its pipes."""

    def __init__(self, proc: subprocess.Popen[bytes], seconds: float) -> None:
        self.fired = False
        self._proc = proc
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def _fire(self) -> None:
        self.fired = True
        self._proc.kill()

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()


def _read_reply(stream: IO[bytes]) -> dict[str, Any] | None:
    """The next JSON object line, or None at EOF or on anything garbled."""
    line = stream.readline()
    if not line:
        return None
    try:
        reply = json.loads(line)
    except ValueError:
        return None
    return reply if isinstance(reply, dict) else None


def _exit_status(proc: subprocess.Popen[bytes]) -> str:
    try:
        code = proc.wait(timeout=1.0)
    except subprocess.TimeoutExpired:
        return "still running"
    return f"killed by signal {-code}" if code < 0 else f"exit code {code}"


def _transcript(reply: dict[str, Any], default_engine: str) -> Transcript:
    return Transcript(str(reply.get("text", "")), float(reply.get("confidence", 0.0)),
                      str(reply.get("engine", default_engine)), float(reply.get("start", 0.0)),
                      float(reply.get("end", 0.0)),
                      alternatives=tuple(str(a) for a in reply.get("alternatives") or ()))


# --- the child ----------------------------------------------------------------------------

def _read_exact(stream: IO[bytes], n: int) -> bytes | None:
    chunks, left = [], n
    while left:
        chunk = stream.read(left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _send(out: IO[bytes], message: dict[str, Any]) -> None:
    out.write(json.dumps(message).encode("ascii") + b"\n")
    out.flush()


def _build_recognizer(model: Path | None, threads: int, prompt: str = "") -> Any:
    from assistant.speech.recognizers import WhisperRecognizer, best_free_recognizer

    recognizer: Any = WhisperRecognizer(model, cpu_threads=threads) if model else best_free_recognizer()
    if isinstance(recognizer, WhisperRecognizer):
        recognizer.cpu_threads = threads
        recognizer.prompt = prompt
    if hasattr(recognizer, "prime"):
        recognizer.prime()
    elif hasattr(recognizer, "load"):
        recognizer.load()
    return recognizer


def serve(recognizer: Any, requests: IO[bytes], replies: IO[bytes]) -> None:
    """Answer length-prefixed PCM requests with JSON lines until EOF."""
    while True:
        header = _read_exact(requests, _HEADER.size)
        if header is None:
            return
        (size,) = _HEADER.unpack(header)
        if size > MAX_REQUEST_BYTES:
            raise SystemExit(f"speech worker: request of {size} bytes is too big; protocol out of step")
        pcm = _read_exact(requests, size)
        if pcm is None:
            return
        try:
            message = asdict(recognizer.transcribe(pcm))
        except Exception as exc:  # noqa: BLE001 - one bad utterance must not end the service
            message = {"error": f"{type(exc).__name__}: {exc}"}
        _send(replies, message)


def main(argv: list[str] | None = None) -> int:
    """The child: load the engine, say so, then serve requests from stdin until EOF."""
    parser = argparse.ArgumentParser(prog="python -m assistant.speech.worker")
    parser.add_argument("--model", type=Path, default=None, help="CTranslate2 whisper model folder")
    parser.add_argument("--threads", type=int, default=2, help="engine threads")
    parser.add_argument("--prompt", default="", help="words whisper should expect")
    args = parser.parse_args(argv)
    # The parent decides when this process ends (EOF); Ctrl-C in the terminal is for the parent.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Keep a private handle on the protocol pipe and point fd 1 at stderr, so a stray print
    # from Python or a C library cannot corrupt the replies.
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    try:
        try:
            recognizer = _build_recognizer(args.model, args.threads, args.prompt)
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which reports it once
            _send(replies, {"error": str(exc) or type(exc).__name__})
            return 1
        _send(replies, {"ready": True, "engine": str(recognizer.name)})
        serve(recognizer, sys.stdin.buffer, replies)
    except BrokenPipeError:
        pass  # the parent went away: nobody is left to answer
    return 0


if __name__ == "__main__":
    sys.exit(main())
