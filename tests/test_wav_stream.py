"""`listen --audio` reads its file a block at a time: same audio as reading it whole, bounded memory."""

from __future__ import annotations

import struct
import wave
from pathlib import Path

import pytest

from assistant.speech.audio import AudioError, frames, load_wav, stream_frames, stream_wav
from speech_fixtures import synth


def _wav(path: Path, pcm: bytes, rate: int = 16000, channels: int = 1, width: int = 2) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(width)
        out.setframerate(rate)
        out.writeframes(pcm)
    return path


@pytest.mark.parametrize("channels", [1, 2])
def test_streamed_blocks_are_the_whole_file(tmp_path: Path, channels: int) -> None:
    speech = synth("give us a question")
    interleaved = b"".join(speech[i:i + 2] * channels for i in range(0, len(speech), 2))
    path = _wav(tmp_path / "a.wav", interleaved, channels=channels)
    blocks = list(stream_wav(path, block_seconds=0.25))
    assert len(blocks) > 4 and max(len(b) for b in blocks) <= 2 * 4000
    assert b"".join(blocks) == load_wav(path).pcm
    assert list(stream_frames(blocks)) == list(frames(load_wav(path).pcm, pad=False))


def test_other_rates_are_resampled_whole(tmp_path: Path) -> None:
    path = _wav(tmp_path / "b.wav", bytes(8000 * 2), rate=8000)
    assert b"".join(stream_wav(path)) == load_wav(path).pcm


def test_a_cut_short_file_gives_what_it_holds(tmp_path: Path) -> None:
    path = _wav(tmp_path / "c.wav", bytes(16000 * 2))
    path.write_bytes(path.read_bytes()[:-12000])
    assert len(b"".join(stream_wav(path))) == 16000 * 2 - 12000


def test_bad_files_fail_before_any_audio_is_taken(tmp_path: Path) -> None:
    empty = _wav(tmp_path / "d.wav", b"")
    with pytest.raises(AudioError, match="no audio"):
        stream_wav(empty)
    mp3 = tmp_path / "e.wav"
    mp3.write_bytes(b"ID3" + bytes(100))
    with pytest.raises(AudioError, match="MP3"):
        stream_wav(mp3)
    header_only = tmp_path / "f.wav"
    header_only.write_bytes(b"RIFF" + struct.pack("<I", 4) + b"WAVE")
    with pytest.raises(AudioError):
        stream_wav(header_only)
