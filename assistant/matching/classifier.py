"""A word-level naive Bayes fallback for phrasings no template or cue covers.

It learns from the templates' own expansions plus example sentences (the golden sentence
files in a checkout), including an `unknown` class of things people say that are not for
us. It only speaks when the rule-based matcher has nothing and it is clearly confident, so
a near-miss stays `unknown` rather than becoming a guess.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.grammar.loader import TIME, WILDCARD, Grammar, GrammarError
from assistant.matching.normalize import normalize
from assistant.yamlfile import load_yaml

UNKNOWN = "unknown"
PHRASES_PER_INTENT = 400
"""Template expansions each intent contributes, so a huge intent does not drown a small one."""
SAMPLE_TIMES = ("at 8 pm", "tomorrow at 9 am", "every evening at 8", "friday at 7", "in 2 hours", "tonight")
SAMPLE_MESSAGES = ("call my sister", "thank her", "book the restaurant", "buy flowers", "hug him")
# Words too common to be the reason for a guess: a guess needs one word that is not here.
STOP_WORDS = frozenset(
    "a an the i we us me my our you your to for of in on at is are do does did be been how what when where why "
    "who can could would should will shall let need want go get got have has had it this that and or but so "
    "just about with from up out off there here some any one please ok okay yeah no yes tell give doing".split()
)


def features(norm_text: str) -> list[str]:
    """Words and word pairs of normalised text, with sentence edges marked."""
    words = norm_text.split()
    padded = ["<s>", *words, "</s>"]
    return words + [f"{a}_{b}" for a, b in zip(padded, padded[1:])]


@dataclass(frozen=True)
class Guess:
    intent: str
    """The most likely class."""
    probability: float
    """Its posterior probability."""


class NaiveBayes:
    """Multinomial naive Bayes with add-alpha smoothing; classes weighted equally."""

    def __init__(self, examples: Iterable[tuple[str, str]], alpha: float = 0.3) -> None:
        # Gathered per label and counted in one call each: a Counter.update per example was slow.
        gathered: dict[str, list[str]] = {}
        for text, label in examples:
            gathered.setdefault(label, []).extend(features(text))
        counts = {label: Counter(feats) for label, feats in gathered.items()}
        self.vocabulary = frozenset(f for c in counts.values() for f in c)
        size = len(self.vocabulary)
        self._log: dict[str, dict[str, float]] = {}
        self._missing: dict[str, float] = {}
        for label, c in counts.items():
            total = sum(c.values()) + alpha * size
            self._log[label] = {f: math.log((n + alpha) / total) for f, n in c.items()}
            self._missing[label] = math.log(alpha / total)

    def support(self, label: str, norm_text: str) -> float:
        """How strongly the best content word favours `label` over `unknown` (log odds)."""
        best = -math.inf
        for word in set(norm_text.split()) - STOP_WORDS:
            if word in self.vocabulary and not word.isdigit():
                ours = self._log[label].get(word, self._missing[label])
                theirs = self._log[UNKNOWN].get(word, self._missing[UNKNOWN])
                best = max(best, ours - theirs)
        return best

    def guess(self, norm_text: str) -> Guess:
        feats = [f for f in features(norm_text) if f in self.vocabulary]
        if not feats:
            return Guess(UNKNOWN, 1.0)
        scores = {label: sum(table.get(f, self._missing[label]) for f in feats)
                  for label, table in self._log.items()}
        best = max(scores, key=scores.__getitem__)
        top = scores[best]
        total = sum(math.exp(s - top) for s in scores.values())
        return Guess(best, 1.0 / total)


def sample_phrases(phrases: list[str], limit: int, rng: random.Random) -> list[str]:
    """At most `limit` phrases, spread over the list, so a huge intent does not drown a small one."""
    if len(phrases) <= limit:
        return phrases
    return rng.sample(phrases, limit)


def read_out_of_scope(path: Path) -> list[str]:
    """The `out_of_scope` examples file in the intents directory; empty when there is none."""
    if not path.exists():
        return []
    data = load_yaml(path) or {}
    lines = data.get("out_of_scope") if isinstance(data, dict) else None
    if not isinstance(lines, list) or not all(isinstance(t, str) for t in lines):
        raise GrammarError(f"{path.name}: expected a list 'out_of_scope' of sentences")
    return lines


def training_examples(grammar: Grammar, out_of_scope: Sequence[str], seed: int = 7) -> list[tuple[str, str]]:
    """Template expansions with slots filled by sample values, plus the out-of-scope sentences."""
    rng = random.Random(seed)
    examples: list[tuple[str, str]] = []
    # Sorted once per list: the choices below must see the values in the same order every run.
    values = {name: sorted(slot_list.values) for name, slot_list in grammar.lists.items()}
    for name, spec in grammar.intents.items():
        for phrase in sample_phrases(spec.phrases, PHRASES_PER_INTENT, rng):
            if "{" not in phrase:
                # nothing to fill, so no draw from `rng`: the common case, kept off the word loop
                examples.append((" ".join(phrase.split()), name))
                continue
            words = []
            for word in phrase.split():
                kind = spec.slots.get(word[1:-1]) if word.startswith("{") else None
                if kind is None:
                    words.append(word)
                elif kind == TIME:
                    words.append(normalize(rng.choice(SAMPLE_TIMES)))
                elif kind == WILDCARD:
                    words.append(rng.choice(SAMPLE_MESSAGES))
                else:
                    words.append(rng.choice(values[kind]))
            examples.append((" ".join(words), name))
    examples += [(normalize(text), UNKNOWN) for text in out_of_scope]
    return examples


def train_fallback(grammar: Grammar, intents_dir: Path | None = None) -> NaiveBayes:
    """The fallback classifier for this grammar, with the intents directory's out-of-scope examples."""
    from assistant.grammar.loader import default_intents_dir

    path = (intents_dir or default_intents_dir()) / "out_of_scope.yaml"
    return NaiveBayes(training_examples(grammar, read_out_of_scope(path)))
