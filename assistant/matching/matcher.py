"""Intent matching: exact template match first, fuzzy match second, `unknown` rather than a guess.

Each utterance is normalised, slot values and spoken times are spotted and replaced by
their placeholders (`{category}`, `{when}`) for the intents that use them, and the result
is compared with that intent's templates. An exact template match scores 1.0; otherwise
the closest expanded phrase (rapidfuzz) scores, discounted by the share of words the
grammar has never seen. The best intent wins only if it clears a threshold and beats the
runner-up by a margin.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from rapidfuzz import fuzz, process

from assistant.grammar.loader import TIME, WILDCARD, Grammar, IntentSpec
from assistant.matching.classifier import NaiveBayes
from assistant.matching.normalize import normalize
from assistant.matching.times import find_time
from assistant.messages import IntentMatch

UNKNOWN = "unknown"


@dataclass(frozen=True)
class MatchSettings:
    threshold: float = 0.80
    """Lowest score accepted as a match."""
    margin: float = 0.04
    """How far the best intent must lead the runner-up of another intent."""
    unknown_word_weight: float = 0.6
    """How strongly words outside the grammar's vocabulary lower a fuzzy score."""
    word_weight: float = 0.5
    """Share of a fuzzy score that compares whole words rather than characters."""
    fallback_probability: float = 0.99
    """Naive Bayes posterior the fallback needs before it names an intent."""
    fallback_support: float = 3.0
    """Log odds of its best content word over `unknown` the fallback needs."""
    fallback_rule_score: float = 0.55
    """The rule-based score the guessed intent must still reach: some resemblance to its phrases."""
    cue_base: float = 0.84
    """Score of an intent cue found in an utterance it covers barely at all."""
    cue_coverage_weight: float = 0.15
    """Added in proportion to the share of the utterance's words the cue covers."""


@dataclass(frozen=True)
class _Spot:
    start: int
    end: int
    slot: str
    value: str


class _IntentIndex:
    """Per-intent data prepared once: slot spotting pattern and fuzzy phrases."""

    def __init__(self, spec: IntentSpec, grammar: Grammar) -> None:
        self.spec = spec
        self.time_slot = next((k for k, v in spec.slots.items() if v == TIME), None)
        self.list_slots = {k: grammar.lists[v] for k, v in spec.slots.items() if v not in (TIME, WILDCARD)}
        phrase_to_slot: dict[str, tuple[str, str]] = {}
        for slot, slot_list in self.list_slots.items():
            for phrase, value in slot_list.values.items():
                phrase_to_slot.setdefault(phrase, (slot, value))
        self.phrase_to_slot = phrase_to_slot
        alternation = "|".join(re.escape(p) for p in sorted(phrase_to_slot, key=len, reverse=True))
        self.spotter = re.compile(rf"(?<![a-z0-9])(?:{alternation})(?![a-z0-9])") if alternation else None
        wildcards = ["{" + k + "}" for k, v in spec.slots.items() if v == WILDCARD]
        self.fuzzy_phrases = [p for p in spec.phrases if not any(w in p for w in wildcards)]

    def delexicalise(self, text: str, time_spans: tuple[tuple[int, int], ...]) -> tuple[str, dict[str, str]]:
        spots: list[_Spot] = []
        if self.time_slot is not None:
            spots.extend(_Spot(s, e, self.time_slot, "") for s, e in time_spans)
        if self.spotter is not None:
            for m in self.spotter.finditer(text):
                if any(m.start() < s.end and s.start < m.end() for s in spots):
                    continue
                slot, value = self.phrase_to_slot[m.group(0)]
                spots.append(_Spot(m.start(), m.end(), slot, value))
        if not spots:
            return text, {}
        spots.sort(key=lambda s: s.start)
        out: list[str] = []
        slots: dict[str, str] = {}
        # When a slot is named twice ("burnt out ... look after myself"), the longer, more
        # specific phrase wins; on a tie, the first.
        for spot in sorted(spots, key=lambda s: (-len(text[s.start:s.end].split()), s.start)):
            if spot.value:
                slots.setdefault(spot.slot, spot.value)
        pos = 0
        for spot in spots:
            out.append(text[pos:spot.start])
            placeholder = "{" + spot.slot + "}"
            # several time fragments ("friday ... at 7") become a single {when}
            if not (spot.slot == self.time_slot and out and "".join(out).rstrip().endswith(placeholder)):
                out.append(placeholder)
            pos = spot.end
        out.append(text[pos:])
        return " ".join("".join(out).split()), slots


class Matcher:
    """Recognise intents in text. Build once; `recognize*` are pure and thread-safe."""

    def __init__(self, grammar: Grammar, settings: MatchSettings | None = None,
                 fallback: NaiveBayes | None = None) -> None:
        self.grammar = grammar
        self.settings = settings or MatchSettings()
        self.fallback = fallback
        self._indexes = [_IntentIndex(spec, grammar) for spec in grammar.intents.values()]
        self._vocabulary = grammar.vocabulary() | _TIME_WORDS

    def recognize_all(self, text: str, now: datetime | None = None) -> list[IntentMatch]:
        """Every intent's best reading of `text`, highest score first."""
        norm = normalize(text)
        if not norm:
            return []
        now = now or datetime.now().astimezone()
        time_match = find_time(norm, now)
        spans = time_match.spans if time_match else ()
        words = norm.split()
        unknown_share = sum(w not in self._vocabulary for w in words) / len(words)
        results: list[IntentMatch] = []
        for index in self._indexes:
            delex, slots = index.delexicalise(norm, spans)
            match = self._exact(index, delex, slots, text)
            if match is None:
                fuzzy = self._fuzzy(index, delex, slots, text, unknown_share)
                cued = self._cued(index, delex, slots, text)
                match = max((m for m in (fuzzy, cued) if m is not None), key=lambda m: m.score, default=None)
            if match is None:
                continue
            if index.time_slot is not None and "{" + index.time_slot + "}" in delex and time_match:
                extra = {"when": time_match.when_iso}
                if time_match.rrule:
                    extra["rrule"] = time_match.rrule
                match = IntentMatch(match.intent, {**match.slots, **extra}, match.score, text, match.template)
            results.append(match)
        results.sort(key=lambda m: m.score, reverse=True)
        return results

    def recognize(self, text: str, now: datetime | None = None) -> IntentMatch | None:
        """The best match if it clears the threshold and the margin, else None."""
        ranked = self.recognize_all(text, now)
        if not ranked:
            return None
        best = ranked[0]
        runner_up = ranked[1].score if len(ranked) > 1 else 0.0
        if best.score >= 1.0 or (best.score >= self.settings.threshold
                                 and best.score - runner_up >= self.settings.margin):
            return best
        return self._fall_back(text, ranked)

    def _fall_back(self, text: str, ranked: list[IntentMatch]) -> IntentMatch | None:
        if self.fallback is None:
            return None
        s = self.settings
        norm = normalize(text)
        guess = self.fallback.guess(norm)
        if guess.intent == UNKNOWN or guess.probability < s.fallback_probability:
            return None
        if self.fallback.support(guess.intent, norm) < s.fallback_support:
            return None
        reading = next((m for m in ranked if m.intent == guess.intent), None)
        if reading is None or reading.score < s.fallback_rule_score:
            return None
        return IntentMatch(reading.intent, reading.slots, round(s.threshold * guess.probability, 4), text)

    def recognize_best(self, text: str, now: datetime | None = None) -> IntentMatch:
        """Like `recognize`, but answers `unknown` instead of None."""
        return self.recognize(text, now) or IntentMatch(UNKNOWN, {}, 0.0, text)

    def _exact(self, index: _IntentIndex, delex: str, slots: dict[str, str], text: str) -> IntentMatch | None:
        subject = delex + " "
        best: tuple[int, IntentMatch] | None = None
        for sentence in index.spec.sentences:
            m = sentence.pattern.fullmatch(subject)
            if m is None:
                continue
            found = dict(slots)
            found.update(sentence.fixed_slots)
            for group, value in m.groupdict().items():
                if value:
                    found.setdefault(group.split("__")[0], value.strip())
            literal = len(subject) - sum(len(v) for v in m.groupdict().values() if v)
            if best is None or literal > best[0]:
                best = (literal, IntentMatch(index.spec.name, found, 1.0, text, sentence.template))
        return best[1] if best else None

    def _fuzzy(self, index: _IntentIndex, delex: str, slots: dict[str, str], text: str,
               unknown_share: float) -> IntentMatch | None:
        if not index.fuzzy_phrases:
            return None
        hits = process.extract(delex, index.fuzzy_phrases, scorer=fuzz.ratio, limit=5)
        if not hits:
            return None
        # Characters forgive a misheard ending ("reminder" / "reminders"); words stop one
        # changed word in a short phrase ("how are you" / "who are you") from passing.
        words = delex.split()
        blended = [((1 - self.settings.word_weight) * h[1] + self.settings.word_weight
                    * fuzz.ratio(words, h[0].split())) / 100.0 for h in hits]
        best = max(range(len(hits)), key=blended.__getitem__)
        score = blended[best] * (1.0 - self.settings.unknown_word_weight * unknown_share)
        placeholders = set(re.findall(r"\{(\w+)\}", hits[best][0]))
        kept = {k: v for k, v in slots.items() if k in placeholders}
        return IntentMatch(index.spec.name, kept, score, text)

    def _cued(self, index: _IntentIndex, delex: str, slots: dict[str, str], text: str) -> IntentMatch | None:
        # A cue is strong evidence wherever it sits in a long, chatty utterance; the more of
        # the utterance it explains, the surer the match.
        subject = delex + " "
        total = len(subject.split())
        covered = 0
        for cue in index.spec.cues:
            m = cue.search(subject)
            if m is None:
                continue
            gaps = sum(len(v.split()) for k, v in m.groupdict().items() if k.startswith("gap__") and v)
            covered = max(covered, len(m.group(0).split()) - gaps)
        if not covered:
            return None
        score = self.settings.cue_base + self.settings.cue_coverage_weight * min(1.0, covered / total)
        kept = {k: v for k, v in slots.items() if index.spec.slots.get(k) not in (TIME, WILDCARD)}
        return IntentMatch(index.spec.name, kept, round(score, 4), text)


_TIME_WORDS = frozenset(
    "am pm oclock noon midday midnight tonight today tomorrow morning afternoon evening night every "
    "daily weekly monthly nightly weekday weekdays weekend week month minutes minute hours hour days "
    "day weeks half quarter past in at on by around next this coming the of a an and monday tuesday "
    "wednesday thursday friday saturday sunday january february march april may june july august "
    "september october november december".split()
)
