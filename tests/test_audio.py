"""Wav input: every common rate, width and layout becomes 16 kHz mono PCM; broken files give clear errors."""

from __future__ import annotations

import io
import logging
import struct
import wave
from pathlib import Path
from typing import Any

import pytest

np = pytest.importorskip("numpy")

from assistant.speech.audio import (  # noqa: E402
    SAMPLE_RATE,
    AudioError,
    decode_wav,
    duration,
    frames,
    load_wav,
    pcm_to_wav_bytes,
    read_wav,
    resample,
    wav_bytes_to_pcm,
    write_wav,
)

FORMAT_CODES = {"pcm": 1, "float": 3}


def sine(freq: float, seconds: float, rate: int, amplitude: float = 0.5) -> Any:
    return amplitude * np.sin(2 * np.pi * freq * np.arange(int(seconds * rate)) / rate)


def encode(samples: Any, bits: int, encoding: str = "pcm") -> bytes:
    """Interleaved float samples in [-1, 1] as wav sample bytes."""
    flat = np.asarray(samples, dtype=np.float64).reshape(-1)
    if encoding == "float":
        return flat.astype("<f4" if bits == 32 else "<f8").tobytes()
    if bits == 8:
        return np.clip(np.rint(flat * 128 + 128), 0, 255).astype(np.uint8).tobytes()
    scale = 2 ** (bits - 1)
    ints = np.clip(np.rint(flat * scale), -scale, scale - 1).astype(np.int64)
    if bits == 24:
        raw = ints.astype("<i4").view(np.uint8).reshape(-1, 4)[:, :3]
        return raw.tobytes()
    return ints.astype("<i2" if bits == 16 else "<i4").tobytes()


def wav_file(samples: Any, rate: int, bits: int = 16, encoding: str = "pcm", extensible: bool = False,
             data_size: int | None = None) -> bytes:
    """A wav built by hand, so the reader is not tested against its own writer."""
    samples = np.asarray(samples)
    channels = 1 if samples.ndim == 1 else samples.shape[1]
    payload = encode(samples, bits, encoding)
    block = channels * bits // 8
    if extensible:
        code = FORMAT_CODES[encoding]
        guid = struct.pack("<H", code) + b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
        fmt = struct.pack("<HHIIHHHHI", 0xFFFE, channels, rate, rate * block, block, bits, 22, bits, 3) + guid
    else:
        fmt = struct.pack("<HHIIHH", FORMAT_CODES[encoding], channels, rate, rate * block, block, bits)
    size = len(payload) if data_size is None else data_size
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", size) + payload
    return b"RIFF" + struct.pack("<I", len(body)) + body


def samples_of(pcm: bytes) -> Any:
    return np.frombuffer(pcm, dtype="<i2").astype(np.float64) / 32768.0


def peak_frequency(pcm: bytes, rate: int = SAMPLE_RATE) -> float:
    x = samples_of(pcm)
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.argmax(spectrum) * rate / len(x))


def rms(x: Any) -> float:
    return float(np.sqrt(np.mean(np.square(x))))


@pytest.mark.parametrize("rate", [8000, 22050, 44100, 48000])
@pytest.mark.parametrize("freq", [440.0, 1000.0, 3000.0])
def test_stereo_files_at_common_rates_become_16k_mono(tmp_path: Path, rate: int, freq: float) -> None:
    left, right = sine(freq, 1.5, rate, 0.6), sine(freq, 1.5, rate, 0.2)
    path = tmp_path / f"tone-{rate}.wav"
    path.write_bytes(wav_file(np.stack([left, right], axis=1), rate))
    pcm = read_wav(path)
    expected = len(left) * SAMPLE_RATE / rate
    assert abs(len(pcm) / 2 - expected) <= 1
    assert peak_frequency(pcm) == pytest.approx(freq, rel=0.02)
    # Channels are averaged: (0.6 + 0.2) / 2 = 0.4 peak.
    assert rms(samples_of(pcm)[800:-800]) == pytest.approx(0.4 / np.sqrt(2), rel=0.02)


@pytest.mark.parametrize(("bits", "encoding", "extensible", "tolerance"), [
    (8, "pcm", False, 0.03), (16, "pcm", False, 0.01), (24, "pcm", False, 0.01), (32, "pcm", False, 0.01),
    (24, "pcm", True, 0.01), (32, "float", False, 0.01), (64, "float", True, 0.01),
])
def test_every_sample_width(tmp_path: Path, bits: int, encoding: str, extensible: bool, tolerance: float) -> None:
    tone = sine(700.0, 1.0, 44100, 0.5)
    path = tmp_path / "tone.wav"
    path.write_bytes(wav_file(np.stack([tone, tone], axis=1), 44100, bits, encoding, extensible))
    audio = load_wav(path)
    assert audio.source.bits == bits and audio.source.encoding == encoding and audio.source.channels == 2
    assert audio.rate == SAMPLE_RATE and not audio.truncated
    assert peak_frequency(audio.pcm) == pytest.approx(700.0, rel=0.02)
    reference = sine(700.0, 1.0, SAMPLE_RATE, 0.5)
    assert np.max(np.abs(samples_of(audio.pcm) - reference)[200:-200]) < tolerance


def test_stdlib_written_24_bit_file(tmp_path: Path) -> None:
    path = tmp_path / "tone.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(3)
        out.setframerate(22050)
        out.writeframes(encode(sine(500.0, 0.5, 22050), 24))
    assert peak_frequency(read_wav(path)) == pytest.approx(500.0, rel=0.02)


def test_16k_mono_16_bit_passes_through_bit_exact(tmp_path: Path) -> None:
    pcm = np.random.default_rng(3).integers(-32768, 32767, 16000, dtype=np.int16).astype("<i2").tobytes()
    write_wav(tmp_path / "noise.wav", pcm)
    assert read_wav(tmp_path / "noise.wav") == pcm


def test_downsampling_removes_what_would_alias(tmp_path: Path) -> None:
    # 12 kHz cannot exist at 16 kHz; without a low-pass it would fold down to 4 kHz at full strength.
    path = tmp_path / "high.wav"
    path.write_bytes(wav_file(sine(12000.0, 1.0, 48000, 0.5), 48000))
    assert rms(samples_of(read_wav(path))[400:-400]) < 0.005


@pytest.mark.parametrize("rate", [16000, 44100])
def test_clipped_audio_reads_without_wrapping(tmp_path: Path, rate: int) -> None:
    clipped = np.clip(sine(300.0, 1.0, rate, 2.0), -1.0, 32767 / 32768)
    path = tmp_path / "clipped.wav"
    path.write_bytes(wav_file(clipped, rate))
    x = samples_of(read_wav(path))
    reference = np.clip(sine(300.0, 1.0, SAMPLE_RATE, 2.0), -1.0, 1.0)
    # A wrapped int16 would jump from +1 to -1 at each peak; the ringing of a band-limited square
    # wave is small by comparison.
    assert np.max(np.abs(x - reference)[400:-400]) < 0.25
    assert np.max(np.abs(x)) > 0.99
    assert peak_frequency(read_wav(path)) == pytest.approx(300.0, rel=0.02)


def test_truncated_file_keeps_the_audio_present(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    data = wav_file(sine(440.0, 1.0, 22050), 22050)
    path = tmp_path / "cut.wav"
    path.write_bytes(data[: 44 + 22050])  # the header promises 1 s; half of it is there
    with caplog.at_level(logging.WARNING):
        audio = load_wav(path)
    assert audio.truncated
    assert audio.duration == pytest.approx(0.5, abs=0.01)
    assert "cut short" in caplog.text and str(path) in caplog.text
    assert peak_frequency(read_wav(path)) == pytest.approx(440.0, rel=0.02)


def test_streaming_header_is_not_truncation() -> None:
    # espeak-ng --stdout, sox and ffmpeg writing to a pipe put 0x7ffff000 (or 0xffffffff) as the size.
    for size in (0x7FFFF000, 0xFFFFFFFF):
        audio = decode_wav(wav_file(sine(440.0, 0.25, 16000), 16000, data_size=size))
        assert not audio.truncated and audio.duration == pytest.approx(0.25)


@pytest.mark.parametrize(("content", "message"), [
    (b"", "empty"),
    (b"Dear diary, this is not audio at all.\n" * 3, "not a wav file"),
    (b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" * 50, "MP3"),
    (b"\xff\xfb\x90\x00" * 50, "MP3"),
    (b"OggS" + bytes(60), "Ogg"),
    (b"RIFF\x24\x00", "cut short"),
])
def test_not_wav_files_are_refused_clearly(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "recording.wav"
    path.write_bytes(content)
    with pytest.raises(AudioError, match=message) as error:
        read_wav(path)
    assert str(path) in str(error.value)


def test_truncated_header_and_empty_data_are_refused(tmp_path: Path) -> None:
    data = wav_file(sine(440.0, 1.0, 16000), 16000)
    cases = {
        "header.wav": (data[:30], "cut short"),            # inside the fmt chunk
        "nodata.wav": (data[:36], "no data chunk"),        # fmt complete, data chunk missing
        "noframes.wav": (data[:44], "cut short.*none are present"),
        "zero.wav": (wav_file(np.zeros(0), 16000), "no audio"),
        "halfframe.wav": (wav_file(np.zeros((1, 2)), 16000)[:-2], "cut short"),  # half of one stereo frame
    }
    for name, (content, message) in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(AudioError, match=message):
            read_wav(path)


def test_compressed_wav_is_refused_with_the_codec_named(tmp_path: Path) -> None:
    fmt = struct.pack("<HHIIHH", 6, 1, 8000, 8000, 1, 8)  # A-law, as telephone recordings are
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", 800) + bytes(800)
    path = tmp_path / "alaw.wav"
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    with pytest.raises(AudioError, match=r"unsupported wav compression \(A-law\)"):
        read_wav(path)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="no such file"):
        read_wav(tmp_path / "nowhere.wav")
    with pytest.raises(AudioError, match="is a directory"):
        read_wav(tmp_path)


def test_wav_bytes_round_trip_keeps_rate() -> None:
    pcm = encode(sine(1000.0, 0.3, 22050), 16)
    assert wav_bytes_to_pcm(pcm_to_wav_bytes(pcm, 22050)) == (pcm, 22050)
    with wave.open(io.BytesIO(pcm_to_wav_bytes(pcm, 22050))) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 22050)


def test_write_wav_errors_are_audio_errors(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="cannot write"):
        write_wav(tmp_path / "missing-dir" / "x.wav", b"\x00\x00")
    with pytest.raises(AudioError, match="even number of bytes"):
        write_wav(tmp_path / "x.wav", b"\x00")


def test_frames_are_fixed_size() -> None:
    pcm = bytes(2 * 16000)  # 1 s
    cut = list(frames(pcm, 30))
    assert len(cut) == 34 and {len(f) for f in cut} == {960}
    assert len(list(frames(pcm, 30, pad=False))) == 33
    assert len(list(frames(pcm, 20))) == 50
    assert list(frames(b"")) == []
    assert len(list(frames(bytes(2 * 8000), 30, rate=8000))) == 34
    with pytest.raises(AudioError):
        list(frames(b"\x00\x00\x00"))
    with pytest.raises(AudioError):
        list(frames(pcm, 0))


def test_resample_lengths_and_identity() -> None:
    pcm = encode(sine(440.0, 1.0, 44100), 16)
    assert resample(pcm, 44100, 44100) is pcm
    assert len(resample(pcm, 44100, 16000)) == 2 * 16000
    assert len(resample(pcm, 44100, 22050)) == 2 * 22050
    assert duration(resample(b"", 8000, 16000)) == 0
