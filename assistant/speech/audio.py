"""Audio plumbing: read any common wav as 16 kHz mono 16-bit PCM, write wavs, resample, cut frames.

PCM everywhere in the speech layer means raw signed 16-bit little-endian mono samples (`bytes`).
numpy is imported inside the functions so that importing this module costs nothing.
"""

from __future__ import annotations

import io
import logging
import struct
import wave
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from math import gcd
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

SAMPLE_RATE = 16000
"""The rate every recogniser is fed, in Hz."""

_LOG = logging.getLogger(__name__)

_PCM, _FLOAT, _EXTENSIBLE = 0x0001, 0x0003, 0xFFFE
# Writers that stream (espeak-ng --stdout, sox and ffmpeg to a pipe) cannot know the length up
# front and put a huge placeholder here; that is not truncation, the data simply runs to the end.
_STREAMING_SIZE = 0x7FFF_F000
_FORMAT_NAMES = {
    0x0002: "Microsoft ADPCM", 0x0006: "A-law", 0x0007: "mu-law", 0x0011: "IMA ADPCM",
    0x0031: "GSM 6.10", 0x0050: "MPEG", 0x0055: "MP3", 0x0064: "G.721 ADPCM", 0x0161: "WMA",
}
_NOT_WAV_SIGNATURES = {
    b"ID3": "an MP3 file", b"\xff\xfb": "an MP3 file", b"\xff\xf3": "an MP3 file", b"\xff\xf2": "an MP3 file",
    b"OggS": "an Ogg file", b"fLaC": "a FLAC file", b"FORM": "an AIFF file", b"RIFX": "a big-endian RIFF file",
    b"RF64": "an RF64 (very large) wav file", b"\x1aE\xdf\xa3": "a WebM/Matroska file",
}


class AudioError(ValueError):
    """An audio file or buffer cannot be used; the message says which file and why."""


@dataclass(frozen=True)
class WavFormat:
    """What a wav file's `fmt ` chunk says."""

    encoding: str
    """`pcm` (integer samples) or `float`."""
    channels: int
    """Interleaved channels per frame."""
    rate: int
    """Frames per second."""
    bits: int
    """Bits per sample as stored (container width)."""


@dataclass(frozen=True)
class WavAudio:
    """A decoded wav file."""

    pcm: bytes
    """Mono 16-bit little-endian samples at `rate`."""
    rate: int
    """Sample rate of `pcm` in Hz."""
    source: WavFormat
    """The format the file was stored in."""
    truncated: bool = False
    """True when the header promised more audio than the file holds; `pcm` is what was there."""

    @property
    def duration(self) -> float:
        """Length of `pcm` in seconds."""
        return duration(self.pcm, self.rate)


def duration(pcm: bytes, rate: int = SAMPLE_RATE) -> float:
    """Seconds of audio in mono 16-bit `pcm`."""
    return len(pcm) / 2 / rate


def read_wav(path: Path | str) -> bytes:
    """Any common wav file as 16 kHz mono 16-bit PCM; raises AudioError when it is not usable."""
    return load_wav(path).pcm


def load_wav(path: Path | str, rate: int = SAMPLE_RATE) -> WavAudio:
    """Like `read_wav`, but also says what the file held and whether it was cut short."""
    path = Path(path)
    if not path.exists():
        raise AudioError(f"{path}: no such file")
    if path.is_dir():
        raise AudioError(f"{path}: is a directory, not a wav file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise AudioError(f"{path}: cannot read it ({exc.strerror or exc})") from exc
    try:
        audio = decode_wav(data)
    except AudioError as exc:
        raise AudioError(f"{path}: {exc}") from None
    if audio.truncated:
        _LOG.warning("%s: the file is cut short; using the %.2f s of audio present", path, audio.duration)
    if audio.rate != rate:
        audio = WavAudio(resample(audio.pcm, audio.rate, rate), rate, audio.source, audio.truncated)
    return audio


def stream_wav(path: Path | str, block_seconds: float = 1.0) -> Iterator[bytes]:
    """A wav file as 16 kHz mono 16-bit PCM, a block at a time, read as the blocks are taken.

    A 16 kHz file (any sample format or channel count) is never held whole, so an hour of
    recording costs the memory of a second of it. Files at other rates are read and resampled
    whole, since the filter needs the whole signal, and so is anything with an unusual layout.
    The header is checked now, so a bad file fails before anything else starts.
    """
    path = Path(path)
    layout = _stream_layout(path)
    if layout is None:
        pcm = load_wav(path).pcm
        step = 2 * round(block_seconds * SAMPLE_RATE)
        return (pcm[i:i + step] for i in range(0, len(pcm), step))
    return _stream_blocks(path, *layout, block_seconds)


def _stream_layout(path: Path) -> tuple[WavFormat, int, int, int] | None:
    """(format, sample width, data offset, declared data bytes) of a plain 16 kHz wav, else None."""
    try:
        with path.open("rb") as f:
            head = f.read(12)
            if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
                return None
            fmt: tuple[WavFormat, int] | None = None
            while True:
                header = f.read(8)
                if len(header) < 8:
                    return None
                chunk_id, size = struct.unpack("<4sI", header)
                if chunk_id == b"data":
                    if fmt is None or fmt[0].rate != SAMPLE_RATE:
                        return None
                    present = path.stat().st_size - f.tell()
                    if min(size, present) < fmt[1] * fmt[0].channels:
                        return None  # no audio at all: load_wav says so
                    return fmt[0], fmt[1], f.tell(), size
                if chunk_id == b"fmt ":
                    body = f.read(size)
                    if len(body) < 16 or len(body) < size:
                        return None
                    fmt = _parse_fmt(body)
                    f.seek(size & 1, io.SEEK_CUR)
                else:
                    f.seek(size + (size & 1), io.SEEK_CUR)
    except (OSError, AudioError):
        return None  # load_wav says what is wrong, in its words


def _stream_blocks(path: Path, fmt: WavFormat, width: int, offset: int, declared: int,
                   block_seconds: float) -> Iterator[bytes]:
    frame_bytes = width * fmt.channels
    step = frame_bytes * max(1, round(block_seconds * fmt.rate))
    left = None if declared >= _STREAMING_SIZE else declared
    got = 0
    with path.open("rb") as f:
        f.seek(offset)
        while left is None or left > 0:
            raw = f.read(step if left is None else min(step, left))
            if left is not None:
                left -= len(raw)
            raw = raw[: len(raw) - len(raw) % frame_bytes]
            if not raw:
                break
            got += len(raw)
            yield _mono_pcm(raw, fmt, width)
    if left:
        _LOG.warning("%s: the file is cut short; using the %.2f s of audio present", path,
                     got / frame_bytes / fmt.rate)


def stream_frames(blocks: Iterable[bytes], frame_ms: int = 30, rate: int = SAMPLE_RATE) -> Iterator[bytes]:
    """Blocks of PCM re-cut into frames of exactly `frame_ms`; a short last frame is dropped."""
    size = rate * frame_ms // 1000 * 2
    pending = b""
    for block in blocks:
        pending += block
        whole = len(pending) - len(pending) % size
        for start in range(0, whole, size):
            yield pending[start:start + size]
        pending = pending[whole:]


def wav_bytes_to_pcm(data: bytes) -> tuple[bytes, int]:
    """The contents of a wav file -> (mono 16-bit PCM at the file's own rate, that rate)."""
    audio = decode_wav(data)
    return audio.pcm, audio.rate


def pcm_to_wav_bytes(pcm: bytes, rate: int = SAMPLE_RATE) -> bytes:
    """Mono 16-bit PCM -> the bytes of a standard wav file."""
    _check_pcm(pcm)
    if rate <= 0:
        raise AudioError(f"sample rate must be positive, not {rate}")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm)
    return buffer.getvalue()


def write_wav(path: Path | str, pcm: bytes, rate: int = SAMPLE_RATE) -> None:
    """Save mono 16-bit PCM as a wav file, replacing any file already there."""
    data = pcm_to_wav_bytes(pcm, rate)
    try:
        Path(path).write_bytes(data)
    except OSError as exc:
        raise AudioError(f"{path}: cannot write it ({exc.strerror or exc})") from exc


def frames(pcm: bytes, frame_ms: int = 30, rate: int = SAMPLE_RATE, pad: bool = True) -> Iterator[bytes]:
    """Cut PCM into frames of exactly `frame_ms`; a short last frame is padded with silence
    (or dropped when `pad` is False), because VADs and recognisers want equal-sized frames."""
    _check_pcm(pcm)
    samples = rate * frame_ms // 1000
    if frame_ms <= 0 or samples <= 0:
        raise AudioError(f"frame length must be a positive number of milliseconds, not {frame_ms}")
    size = samples * 2
    for start in range(0, len(pcm), size):
        frame = pcm[start:start + size]
        if len(frame) < size:
            if not pad:
                return
            frame += bytes(size - len(frame))
        yield frame


def resample(pcm: bytes, rate_in: int, rate_out: int) -> bytes:
    """Mono 16-bit PCM from one sample rate to another (band-limited, polyphase)."""
    import numpy as np

    _check_pcm(pcm)
    if rate_in == rate_out:
        return pcm
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64) / 32768.0
    return _to_pcm(_resample(samples, rate_in, rate_out))


def decode_wav(data: bytes) -> WavAudio:
    """Parse wav bytes into mono 16-bit PCM at the file's own rate; raises AudioError with the reason."""
    if not data:
        raise AudioError("the file is empty (0 bytes)")
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise AudioError(_not_wav_reason(data))
    fmt_body: bytes | None = None
    payload: bytes | None = None
    declared = 0
    offset = 12
    while offset + 8 <= len(data):
        chunk_id, size = struct.unpack_from("<4sI", data, offset)
        body_start = offset + 8
        if chunk_id == b"data":
            declared = size
            payload = data[body_start:body_start + size]
            if payload is not None and fmt_body is not None:
                break
        elif chunk_id == b"fmt ":
            if body_start + size > len(data) or size < 16:
                raise AudioError("the wav header is cut short or damaged (incomplete fmt chunk)")
            fmt_body = data[body_start:body_start + size]
        offset = body_start + size + (size & 1)
    if fmt_body is None:
        raise AudioError("the wav header is cut short or damaged (no fmt chunk)")
    if payload is None:
        raise AudioError("the file holds no audio (no data chunk; it may be cut short)")
    fmt, width = _parse_fmt(fmt_body)
    block = width * fmt.channels
    streamed = declared >= _STREAMING_SIZE
    truncated = len(payload) < declared and not streamed
    usable = len(payload) - len(payload) % block
    if usable == 0:
        if truncated:
            raise AudioError(f"the file is cut short: the header promises {declared // block} frames "
                             "but none are present")
        raise AudioError("the file holds no audio (0 frames)")
    return WavAudio(_mono_pcm(payload[:usable], fmt, width), fmt.rate, fmt, truncated)


def _mono_pcm(raw: bytes, fmt: WavFormat, width: int) -> bytes:
    """Whole frames of `raw`, stored as `fmt` says, as mono 16-bit PCM at the same rate."""
    import numpy as np

    if fmt.encoding == "pcm" and width == 2 and fmt.channels == 1:
        # already what everything downstream takes: no float copies (eight times the memory)
        return bytes(raw)
    samples = _decode_samples(raw, fmt.encoding, width)
    mono = samples.reshape(-1, fmt.channels).mean(axis=1) if fmt.channels > 1 else samples
    return _to_pcm(np.nan_to_num(mono, nan=0.0, posinf=1.0, neginf=-1.0))


def _not_wav_reason(data: bytes) -> str:
    for signature, kind in _NOT_WAV_SIGNATURES.items():
        if data.startswith(signature):
            return f"not a wav file (it looks like {kind}); convert it with e.g. `sox in out.wav`"
    if len(data) < 12 and b"RIFF".startswith(data[:4]):
        return "the wav header is cut short (only {} bytes)".format(len(data))
    return "not a wav file (it does not start with a RIFF/WAVE header)"


def _parse_fmt(body: bytes) -> tuple[WavFormat, int]:
    code, channels, rate, _byte_rate, block_align, bits = struct.unpack_from("<HHIIHH", body)
    if code == _EXTENSIBLE:
        if len(body) < 26:
            raise AudioError("the wav header is damaged (short WAVE_FORMAT_EXTENSIBLE fmt chunk)")
        code = struct.unpack_from("<H", body, 24)[0]  # first two bytes of the sub-format GUID
    if code == _PCM:
        encoding = "pcm"
    elif code == _FLOAT:
        encoding = "float"
    else:
        name = _FORMAT_NAMES.get(code, f"format code 0x{code:04x}")
        raise AudioError(f"unsupported wav compression ({name}); only uncompressed PCM or float wavs can be "
                         "read — convert it with e.g. `sox in.wav -e signed -b 16 out.wav`")
    if channels < 1 or rate < 1:
        raise AudioError(f"the wav header is damaged ({channels} channels at {rate} Hz)")
    width = block_align // channels if block_align and block_align % channels == 0 else (bits + 7) // 8
    allowed = (1, 2, 3, 4) if encoding == "pcm" else (4, 8)
    if width not in allowed:
        raise AudioError(f"unsupported sample size: {width * 8}-bit {encoding} "
                         f"(supported: {', '.join(str(w * 8) for w in allowed)}-bit)")
    return WavFormat(encoding, channels, rate, width * 8), width


def _decode_samples(raw: bytes, encoding: str, width: int) -> NDArray[np.float64]:
    """Interleaved samples as floats in [-1, 1)."""
    import numpy as np

    if encoding == "float":
        return np.frombuffer(raw, dtype="<f4" if width == 4 else "<f8").astype(np.float64)
    if width == 1:  # 8-bit wav is unsigned, centred on 128
        return (np.frombuffer(raw, dtype=np.uint8).astype(np.float64) - 128.0) / 128.0
    if width == 2:
        return np.frombuffer(raw, dtype="<i2").astype(np.float64) / 32768.0
    if width == 3:
        b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        value = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        return ((value ^ 0x800000) - 0x800000).astype(np.float64) / 8388608.0
    return np.frombuffer(raw, dtype="<i4").astype(np.float64) / 2147483648.0


def _to_pcm(samples: NDArray[np.float64]) -> bytes:
    import numpy as np

    # Resampling a clipped signal overshoots full scale; clip rather than let int16 wrap around.
    return np.clip(np.rint(samples * 32768.0), -32768, 32767).astype("<i2").tobytes()


def _resample(x: NDArray[np.float64], rate_in: int, rate_out: int) -> NDArray[np.float64]:
    """Rational polyphase resampling with a Kaiser-windowed sinc low-pass below the lower Nyquist."""
    import numpy as np

    if rate_in <= 0 or rate_out <= 0:
        raise AudioError(f"sample rates must be positive, not {rate_in} -> {rate_out}")
    g = gcd(rate_in, rate_out)
    up, down = rate_out // g, rate_in // g
    n_out = -(-len(x) * up // down)
    if len(x) == 0:
        return np.zeros(0)
    factor = max(up, down)
    half = 16 * factor  # 16 zero crossings each side: ~ -70 dB stop band, plenty for speech
    cutoff = 0.95 / factor  # just below the lower Nyquist, relative to the up-sampled rate's Nyquist
    k = np.arange(-half, half + 1)
    taps = up * cutoff * np.sinc(cutoff * k) * np.kaiser(2 * half + 1, 8.0)
    per_phase = -(-len(taps) // up)
    taps = np.concatenate([taps, np.zeros(per_phase * up - len(taps))])
    phases = taps.reshape(per_phase, up).T  # phases[p, j] = taps[p + j * up]
    padded = np.concatenate([np.zeros(per_phase), x, np.zeros(per_phase + half // up + 2)])
    out = np.empty(n_out)
    j = np.arange(per_phase)
    block = max(1, (1 << 20) // per_phase)  # bound the (block x taps) gather to ~8 MB
    for start in range(0, n_out, block):
        n = np.arange(start, min(start + block, n_out))
        position = n * down + half
        index = (position // up)[:, None] - j[None, :] + per_phase
        out[start:start + len(n)] = np.einsum("ij,ij->i", phases[position % up], padded[index])
    return out


def _check_pcm(pcm: bytes) -> None:
    if len(pcm) % 2:
        raise AudioError(f"16-bit PCM must have an even number of bytes, got {len(pcm)}")
