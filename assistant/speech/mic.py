"""The microphone: 16 kHz mono frames from sounddevice, stamped on the monotonic clock.

A device that is missing or unplugged mid-stream is reported once in plain words and
retried with a growing pause; the loop goes on ticking (reminders still fire) meanwhile.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from assistant.speech.endpoint import FRAME_BYTES, FRAME_MS, SAMPLE_RATE

MAX_BACKOFF_SECONDS = 30.0


class MicrophoneError(RuntimeError):
    """No usable input device; the message says what to check."""


@dataclass(frozen=True)
class Frame:
    pcm: bytes
    """30 ms of 16 kHz mono int16 audio; empty when this is only a tick with no audio."""
    t: float
    """Monotonic seconds when it was captured."""


def input_available() -> bool:
    """True when sounddevice is installed and can see an input device."""
    try:
        import sounddevice as sd
    except (ImportError, OSError):
        return False
    try:
        return any(int(d.get("max_input_channels", 0)) > 0 for d in sd.query_devices())
    except Exception:  # noqa: BLE001 - PortAudio reports a missing backend in several ways
        return False


class Microphone:
    """Yields frames (and empty ticks about once a second) until `stop` is called."""

    def __init__(self, device: int | str | None = None, report: Callable[[str], None] = print) -> None:
        self.device = device
        self.report = report
        self._queue: queue.Queue[Frame] = queue.Queue(maxsize=2000)
        self._running = True

    def stop(self) -> None:
        self._running = False

    def frames(self) -> Iterator[Frame]:
        import sounddevice as sd

        backoff = 1.0
        while self._running:
            try:
                rate = self._rate(sd)
                with sd.RawInputStream(samplerate=rate, channels=1, dtype="int16", device=self.device,
                                       blocksize=rate * FRAME_MS // 1000, callback=self._callback(rate)):
                    backoff = 1.0
                    yield from self._drain()
            except (sd.PortAudioError, MicrophoneError, ValueError) as exc:
                self.report(f"I can't hear the microphone ({exc}). I'll try again in {backoff:.0f} seconds; "
                            "check it is plugged in.")
                deadline = time.monotonic() + backoff
                while self._running and time.monotonic() < deadline:
                    time.sleep(0.2)
                    yield Frame(b"", time.monotonic())
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

    def _rate(self, sd: object) -> int:
        import sounddevice

        devices = sounddevice.query_devices()
        if not any(int(d.get("max_input_channels", 0)) > 0 for d in devices):
            raise MicrophoneError("no input device found")
        try:
            sounddevice.check_input_settings(device=self.device, samplerate=SAMPLE_RATE, channels=1,
                                             dtype="int16")
            return SAMPLE_RATE
        except Exception:  # noqa: BLE001 - the device cannot do 16 kHz: record at its own rate
            info = sounddevice.query_devices(self.device, "input")
            return int(info["default_samplerate"])

    def _callback(self, rate: int) -> Callable[..., None]:
        pending = bytearray()

        def callback(data: bytes, frames: int, time_info: object, status: object) -> None:
            nonlocal pending
            pcm = bytes(data)
            if rate != SAMPLE_RATE:
                from assistant.speech.audio import resample

                pcm = resample(pcm, rate, SAMPLE_RATE)
            pending += pcm
            now = time.monotonic()
            while len(pending) >= FRAME_BYTES:
                chunk, pending = bytes(pending[:FRAME_BYTES]), pending[FRAME_BYTES:]
                try:
                    self._queue.put_nowait(Frame(chunk, now))
                except queue.Full:
                    pass  # the loop is busy (speaking): those frames would be ignored anyway

        return callback

    def _drain(self) -> Iterator[Frame]:
        last_audio = time.monotonic()
        while self._running:
            try:
                frame = self._queue.get(timeout=1.0)
                last_audio = frame.t
                yield frame
            except queue.Empty:
                if time.monotonic() - last_audio > 5.0:
                    raise MicrophoneError("the microphone stopped sending audio") from None
                yield Frame(b"", time.monotonic())
