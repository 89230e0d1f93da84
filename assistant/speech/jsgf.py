"""Compile the intent templates into speech grammars: JSGF text, a word graph for pocketsphinx, and
a phrase list for vosk.

The templates in `intents/` are the single source of truth. Their parse trees, not a sample
of their expansions, are re-spelt the way a recogniser needs them: numbers as words ("2" ->
"two"), `{slot}` placeholders as sub-grammars of the slot's spoken values, `{when}` as a compact
time grammar, and wildcards (a reminder's message) as a loop of common filler words, since the
message itself is captured by a second, open-vocabulary pass. Alternatives with a word the
pronunciation dictionary lacks are dropped, and the phrases lost that way are counted.

Pocketsphinx's own JSGF compiler copies each sub-rule at every reference and keeps every
alternative a separate path, which made even a 2,000-phrase sample of this grammar take 22 s
to load and 20 s per utterance; `compile_word_graph` therefore builds the language as a word
graph: a minimal deterministic skeleton with shared slot sub-graphs. Pure Python: no speech
library is imported here.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from assistant.grammar.loader import TIME, WILDCARD, Grammar
from assistant.grammar.templates import Alternative, Node, RuleRef, Sequence, SlotRef, Word, parse_template
from assistant.matching.normalize import CONTRACTIONS
from assistant.matching.numbers import ORDINALS, TENS, UNITS

TOP = "command"
"""Name of the whole-command rule (the JSGF public rule `<command>`)."""
FILLER = "filler"
"""Name of the wildcard stand-in: one or more filler words."""
FILLER_MARK = "~"
"""Prefix of a filler word in the word graph ("~milk"), so a recogniser can tell the words that
only stand in for a message from the words of the command; `plain()` removes it."""
MAX_GRAPH_STATES = 400_000
"""A bigger word graph would be too slow to decode; refuse rather than hang."""

CONTRACTED: dict[str, tuple[str, ...]] = {}
"""Two spelt-out words -> the contractions that say them ("do not" -> "don't")."""
for _short, _long in CONTRACTIONS.items():
    if len(_long.split()) == 2 and "'" in _short:
        CONTRACTED.setdefault(_long, ())
        CONTRACTED[_long] += (_short,)

_UNIT_WORDS = {v: k for k, v in UNITS.items()}
_TENS_WORDS = {v: k for k, v in TENS.items()}
_ORDINAL_WORDS = {v: k for k, v in ORDINALS.items()}
_ORDINAL = re.compile(r"^(\d+)(st|nd|rd|th)$")
_PUNCT = re.compile(r"[^a-z0-9' ]+")

RESPELL: dict[str, str] = {
    "oclock": "o'clock", "checkin": "check in", "checkins": "check ins", "nevermind": "never mind",
}
"""Words the pronunciation dictionary spells differently."""

HESITATIONS = "(um | uh | er | hmm | oh | ah) [actually | just | so] | actually | just | so"
"""Sounds and words said before a command while thinking; the matcher drops them, the recogniser must hear them."""
OPENERS = "please | hey | okay | ok | so | well | now | alright | can you | could you | would you | will you"
"""Words a couple may put before a command; the matcher strips them, the recogniser must hear them."""
CLOSERS = "please | now | for us | for me | thanks | thank you"
"""Words a couple may put after a command."""

FILLER_WORDS = tuple((
    "a the to and of for about that this it my our your his her their me us him them i we you he she "
    "they is are be do go get buy call take make pick put pay send book bring clean cook feed walk wash "
    "fix check ask tell say read write plan order milk food dinner mom dad kids dog car home work up out "
    "in on at with some"
).split())
"""Common short words a reminder's message is made of; the real words come from a free pass."""

TIME_TEMPLATES: dict[str, str] = {
    "when": "<time_relative> | <time_recur> [<time_clock>] | <time_day> [<time_clock>]"
            " | <time_clock> [<time_day> | <time_recur> | in the <time_part>] | in the <time_part> | at night",
    "hour": "one | two | three | four | five | six | seven | eight | nine | ten | eleven | twelve",
    "clock": "[at | by | around] <time_hour> [oh five | ten | fifteen | twenty | thirty | forty five | fifty]"
             " [a m | p m | o'clock] | [at] (noon | midnight) | [at] (half | quarter) past <time_hour>"
             " | [at] quarter to <time_hour>",
    "part": "morning | afternoon | evening | night",
    "weekday": "monday | tuesday | wednesday | thursday | friday | saturday | sunday",
    "day": "today | tonight | tomorrow [<time_part>] | this <time_part> | [on | next | this] <time_weekday>"
           " [<time_part>] | the day after tomorrow | next week | this weekend",
    "recur": "every (day | <time_part> | week | weekday | weekend | month | <time_weekday>) | daily"
             " | nightly | weekly | on weekdays",
    "relative": "in (a | one) (minute | hour | day | week) | in an hour | in half an hour"
                " | in (two | three | four | five | ten | fifteen | twenty | thirty | forty five | a few"
                " | a couple of) (minutes | hours | days | weeks)",
}
"""The `{when}` slot (rules `time_<name>`): what `assistant.matching.times` reads, numbers as words."""


class SpeechGrammarError(ValueError):
    """The speech grammar cannot be built; the message says why."""


def number_to_words(n: int) -> str:
    """0..999 as spoken English: 7 -> "seven", 45 -> "forty five", 100 -> "one hundred"."""
    if n < 0 or n > 999:
        raise SpeechGrammarError(f"cannot speak the number {n}")
    if n < 20:
        return _UNIT_WORDS[n]
    if n < 100:
        tens, units = divmod(n, 10)
        return _TENS_WORDS[tens * 10] + (f" {_UNIT_WORDS[units]}" if units else "")
    hundreds, rest = divmod(n, 100)
    return f"{_UNIT_WORDS[hundreds]} hundred" + (f" {number_to_words(rest)}" if rest else "")


def ordinal_to_words(n: int) -> str:
    """1 -> "first", 21 -> "twenty first"; up to 99."""
    if n in _ORDINAL_WORDS:
        return _ORDINAL_WORDS[n]
    tens, units = divmod(n, 10)
    if 1 < tens < 10 and units in _ORDINAL_WORDS:
        return f"{_TENS_WORDS[tens * 10]} {_ORDINAL_WORDS[units]}"
    raise SpeechGrammarError(f"cannot speak the ordinal {n}")


def spoken(text: str, dictionary: Collection[str] | None = None) -> str:
    """Text as a recogniser's words: lowercase, digits and ordinals spelled out, "7 pm" as "seven p m".

    With a `dictionary`, a contraction it lacks is written out ("y'all" -> "you all").
    """
    text = _PUNCT.sub(" ", text.lower().replace("-", " ").replace("/", " ").replace("_", " "))
    out: list[str] = []
    prev_number = False
    for tok in text.split():
        m = _ORDINAL.match(tok)
        if tok.isdigit() and len(tok) <= 3:
            out.append(number_to_words(int(tok)))
            prev_number = True
            continue
        if m and int(m.group(1)) < 100:
            out.append(ordinal_to_words(int(m.group(1))))
        elif tok in ("am", "pm") and prev_number:
            out.append(f"{tok[0]} m")
        elif tok in RESPELL:
            out.append(RESPELL[tok])
        elif dictionary is not None and tok not in dictionary and tok in CONTRACTIONS:
            out.append(CONTRACTIONS[tok])
        else:
            out.append(tok)
        prev_number = False
    return " ".join(out)


def load_dictionary_words(path: Path) -> frozenset[str]:
    """Words of a CMU-style pronunciation dictionary, without `(2)` variant markers."""
    words: set[str] = set()
    try:
        with path.open(encoding="utf-8", errors="replace") as f:
            for line in f:
                head = line.split(maxsplit=1)[0] if line.strip() else ""
                if head and not head.startswith(";;;"):
                    words.add(head.split("(", 1)[0].lower())
    except OSError as exc:
        raise SpeechGrammarError(f"cannot read the pronunciation dictionary {path}: {exc}") from exc
    return frozenset(words)


@dataclass(frozen=True)
class SpeechGrammar:
    """The intent grammar re-spelt for speech, as named rules that refer to each other."""

    rules: dict[str, Sequence]
    """Rule name -> tree of Word / RuleRef / Sequence / Alternative. `command` is the top; then
    `intent_<name>`, `rule_<name>` (shared template pieces), `list_<name>` (slot values),
    `time_<name>` and `filler_word`. `<filler>` means one or more filler words."""
    intents: tuple[str, ...]
    """Intents with at least one speakable phrase, in grammar order."""
    dropped: int
    """Phrases (template expansions, slots counted once) lost to out-of-dictionary words."""
    total: int
    """Phrases before dropping, counted the same way."""
    missing_words: frozenset[str] = field(default_factory=frozenset)
    """The out-of-dictionary words that caused the drops."""


def plain(word: str) -> str:
    """A word of the word graph as spoken: the filler mark removed."""
    return word[len(FILLER_MARK):] if word.startswith(FILLER_MARK) else word


def is_filler(word: str) -> bool:
    """Whether a word of the word graph only stands in for part of a message."""
    return word.startswith(FILLER_MARK)


@dataclass(frozen=True)
class SaidEitherWay(Alternative):
    """Words spelt out or their contraction: one phrase of the template, said two ways."""


def _count(node: Node, rules: dict[str, Sequence], depth: int = 0) -> int:
    """Expansions of `node`, with references to `rules` expanded and every slot counted once."""
    if depth > 40:
        raise SpeechGrammarError("template rules nest too deeply (a rule refers to itself?)")
    if isinstance(node, SaidEitherWay):
        return _count(node.options[0], rules, depth + 1)
    if isinstance(node, Alternative):
        return sum(_count(o, rules, depth + 1) for o in node.options)
    if isinstance(node, Sequence):
        n = 1
        for item in node.items:
            n *= _count(item, rules, depth + 1)
        return n
    if isinstance(node, RuleRef) and node.name in rules:
        return _count(rules[node.name], rules, depth + 1)
    return 1


class _Respeller:
    """Rewrites template trees into speakable trees, pruning what the dictionary cannot say."""

    def __init__(self, dictionary: Collection[str] | None, slots: dict[str, str]) -> None:
        self.dictionary = dictionary
        self.slots = slots
        self.missing: set[str] = set()
        self.dead_rules: set[str] = set()

    def word(self, text: str) -> Node | None:
        words = spoken(text, self.dictionary)
        lost = [w for w in words.split() if self.dictionary is not None and w not in self.dictionary]
        if lost:
            self.missing.update(lost)
            return None
        return Word(words) if words else Sequence(())

    def _contractible(self, items: list[Node]) -> tuple[Node, ...]:
        """`items`, where two words in a row may also be said as one contraction ("let us" or "let's").

        Templates are written as the matcher sees text, contractions spelt out; people say
        them contracted, and a recogniser only hears what its grammar offers.
        """
        out: list[Node] = []
        i = 0
        while i < len(items):
            first, second = items[i], items[i + 1] if i + 1 < len(items) else None
            if isinstance(first, Word) and isinstance(second, Word):
                pair = f"{first.text} {second.text}"
                short = [c for c in CONTRACTED.get(pair, ()) if self.dictionary is None or c in self.dictionary]
                if short:
                    out.append(SaidEitherWay((Sequence((first, second)), *(Sequence((Word(c),)) for c in short))))
                    i += 2
                    continue
            out.append(first)
            i += 1
        return tuple(out)

    def node(self, node: Node) -> Node | None:
        if isinstance(node, Word):
            return self.word(node.text)
        if isinstance(node, SlotRef):
            kind = self.slots.get(node.name)
            if kind is None:
                raise SpeechGrammarError(f"slot {{{node.name}}} is not declared")
            return RuleRef("when" if kind == TIME else FILLER if kind == WILDCARD else f"list_{kind}")
        if isinstance(node, RuleRef):
            name = node.name if node.name.startswith("time_") else f"rule_{node.name}"
            return None if name in self.dead_rules else RuleRef(name)
        if isinstance(node, Sequence):
            items = [self.node(i) for i in node.items]
            if any(i is None for i in items):
                return None
            return Sequence(self._contractible([i for i in items if i is not None]))
        options = [o for o in (self.node(o) for o in node.options) if o is not None]
        return Alternative(tuple(o if isinstance(o, Sequence) else Sequence((o,)) for o in options)) \
            if options else None

    def tree(self, tree: Sequence) -> Sequence | None:
        out = self.node(tree)
        return out if out is None or isinstance(out, Sequence) else Sequence((out,))


def speech_grammar(grammar: Grammar, dictionary: Collection[str] | None = None,
                   template_rules: dict[str, Sequence] | None = None, wake_phrase: str = "",
                   intents: Collection[str] | None = None) -> SpeechGrammar:
    """Every intent's templates, slot values and time expressions as speakable rules.

    `dictionary` is the recogniser's word list (None keeps every word). `template_rules` are
    the shared `<rule>` pieces, parsed; by default those of the installed `intents/` files.
    A `wake_phrase` may come before any command, or be said alone; if the dictionary lacks one
    of its words it is left out (and counted in `dropped`). `intents` keeps only those intents,
    e.g. yes / no / stop while waiting for an answer.
    """
    rules_src = template_rules if template_rules is not None else _template_rules()
    speller = _Respeller(dictionary, {})
    rules: dict[str, Sequence] = {}
    for name, template in TIME_TEMPLATES.items():
        tree = speller.tree(parse_template(template))
        if tree is None:
            raise SpeechGrammarError(f"time grammar {name}: words missing from the dictionary: "
                                     f"{sorted(speller.missing)}")
        rules[f"time_{name}"] = tree
    rules["when"] = rules.pop("time_when")
    for name, tree in rules_src.items():
        kept = speller.tree(tree)
        if kept is None:
            speller.dead_rules.add(f"rule_{name}")
        else:
            rules[f"rule_{name}"] = kept
    dropped = total = 0
    used_lists: set[str] = set()
    kept_intents: list[str] = []
    unknown = sorted(set(intents or ()) - set(grammar.intents))
    if unknown:
        raise SpeechGrammarError(f"unknown intents: {', '.join(unknown)}")
    for name, spec in grammar.intents.items():
        if intents is not None and name not in intents:
            continue
        speller.slots = spec.slots
        options: list[Sequence] = []
        for sentence in spec.sentences:
            tree = parse_template(sentence.template)
            n = _count(tree, rules_src)
            kept = speller.tree(tree)
            total += n
            if kept is None:
                dropped += n
                continue
            dropped += n - _count(kept, {k: v for k, v in rules.items() if k.startswith("rule_")})
            options.append(kept)
        if options:
            rules[f"intent_{name}"] = Sequence((Alternative(tuple(options)),))
            kept_intents.append(name)
            used_lists.update(k for k in spec.slots.values() if k not in (TIME, WILDCARD))
    if not kept_intents:
        raise SpeechGrammarError("no intent phrase is speakable with this dictionary")
    for list_name in sorted(used_lists):
        values = [w for w in (speller.word(v) for v in grammar.lists[list_name].values) if isinstance(w, Word)]
        values = list({w.text: w for w in values}.values())
        dropped += len(grammar.lists[list_name].values) - len(values)
        total += len(grammar.lists[list_name].values)
        if not values:
            raise SpeechGrammarError(f"slot list {list_name}: no value is in the dictionary")
        rules[f"list_{list_name}"] = Sequence((Alternative(tuple(Sequence((v,)) for v in values)),))
    fillers = [w for w in FILLER_WORDS if dictionary is None or w in dictionary]
    rules[f"{FILLER}_word"] = Sequence((Alternative(tuple(Sequence((Word(FILLER_MARK + w),)) for w in fillers)),))
    edges = {n: speller.tree(parse_template(t))
             for n, t in (("hesitation", HESITATIONS), ("opener", OPENERS), ("closer", CLOSERS))}
    body = Alternative(tuple(Sequence((RuleRef(f"intent_{n}"),)) for n in kept_intents))
    items: list[Node] = [body]
    for edge in ("opener", "hesitation"):
        if (tree := edges[edge]) is not None:
            items.insert(0, Alternative((tree, Sequence(()))))
    if (closer := edges["closer"]) is not None:
        items.append(Alternative((closer, Sequence(()))))
    command = Sequence(tuple(items))
    wake = speller.word(wake_phrase) if wake_phrase.strip() else None
    if wake_phrase.strip():
        total += 1
        dropped += wake is None
    if isinstance(wake, Word):
        command = Sequence((Alternative((Sequence((wake,)), Sequence(()))), command))
        rules[TOP] = Sequence((Alternative((command, Sequence((wake,)))),))
    else:
        rules[TOP] = command
    return SpeechGrammar(rules, tuple(kept_intents), dropped, total, frozenset(speller.missing))


def _template_rules() -> dict[str, Sequence]:
    """The shared `<rule>` pieces of the installed templates (the Grammar keeps only expansions)."""
    import yaml

    from assistant.grammar.loader import default_intents_dir
    from assistant.yamlfile import load_yaml

    found: dict[str, Sequence] = {}
    for path in sorted(default_intents_dir().glob("*.yaml")):
        try:
            data = load_yaml(path)
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise SpeechGrammarError(f"{path.name}: cannot read the template rules: {exc}") from exc
        if isinstance(data, dict):
            for name, text in (data.get("rules") or {}).items():
                found[name] = parse_template(str(text))
    return found


# --- JSGF -------------------------------------------------------------------------------------

def _jsgf(node: Node) -> str:
    if isinstance(node, Word):
        return " ".join(plain(w) for w in node.text.split())
    if isinstance(node, RuleRef):
        return f"<{FILLER}_word>+" if node.name == FILLER else f"<{node.name}>"
    if isinstance(node, Sequence):
        return " ".join(p for p in (_jsgf(i) for i in node.items) if p)
    if not isinstance(node, Alternative):
        raise SpeechGrammarError(f"slot reference {node!r} left in a compiled speech grammar")
    parts = [_jsgf(o) for o in node.options]
    present = [p for p in parts if p]
    if not present:
        return ""
    inner = " | ".join(present)
    return f"[{inner}]" if len(present) < len(parts) else f"({inner})"


def compile_jsgf(speech: SpeechGrammar) -> str:
    """JSGF text: public `<command>` alternates one rule per intent, each alternating its templates.

    Portable and readable, for inspection or other engines; pocketsphinx decodes the equivalent
    `compile_word_graph` much faster.
    """
    lines = ["#JSGF V1.0;", "", "grammar reconnect;", "", f"public <{TOP}> = {_jsgf(speech.rules[TOP])};"]
    for name, tree in speech.rules.items():
        if name != TOP:
            lines.append(f"<{name}> = {_jsgf(tree) or '<NULL>'};")
    return "\n".join(lines) + "\n"


# --- word graph -----------------------------------------------------------------------------

@dataclass(frozen=True)
class WordGraph:
    """A finite-state grammar over words: arcs between numbered states, None for a null arc."""

    n_states: int
    """States are 0 .. n_states - 1."""
    start: int
    """Where every utterance begins."""
    final: int
    """Where every utterance ends."""
    arcs: tuple[tuple[int, int, str | None], ...]
    """(from, to, word or None)."""

    def words(self) -> frozenset[str]:
        """Every word on an arc, filler words with their mark."""
        return frozenset(w for _, _, w in self.arcs if w is not None)

    @functools.cached_property
    def _out(self) -> list[list[tuple[int, str | None]]]:
        out: list[list[tuple[int, str | None]]] = [[] for _ in range(self.n_states)]
        for src, dst, word in self.arcs:
            out[src].append((dst, word if word is None else plain(word)))
        return out

    def accepts(self, text: str) -> bool:
        """Whether the graph can produce exactly these words (filler words with or without the mark)."""
        out = self._out
        current = _closure({self.start}, out)
        for tok in text.split():
            word = plain(tok)
            current = _closure({d for s in current for d, w in out[s] if w == word}, out)
        return self.final in current


def _closure(states: set[int], out: list[list[tuple[int, str | None]]]) -> set[int]:
    todo, seen = list(states), set(states)
    while todo:
        for dst, word in out[todo.pop()]:
            if word is None and dst not in seen:
                seen.add(dst)
                todo.append(dst)
    return seen


_HUB = "\x00"
"""Marks a skeleton token that stands for a shared sub-graph: "\x00intent\x00rule"."""


class _Nfa:
    """Thompson-style construction with null arcs; rule references are inlined, except the `hubs`,
    which become one token each (per intent) to be joined to a shared sub-graph later."""

    def __init__(self, rules: dict[str, Sequence], hubs: frozenset[str] = frozenset()) -> None:
        self.rules = rules
        self.hubs = hubs
        self.intent = ""
        self.out: list[list[tuple[int, str | None]]] = []

    def state(self) -> int:
        self.out.append([])
        if len(self.out) > MAX_GRAPH_STATES * 4:
            raise SpeechGrammarError("the speech grammar is too large to decode quickly")
        return len(self.out) - 1

    def build(self, node: Node, src: int, depth: int = 0) -> int:
        if depth > 60:
            raise SpeechGrammarError("speech grammar rules nest too deeply (a rule refers to itself?)")
        if isinstance(node, Word):
            for word in node.text.split():
                dst = self.state()
                self.out[src].append((dst, word))
                src = dst
            return src
        if isinstance(node, Sequence):
            for item in node.items:
                src = self.build(item, src, depth + 1)
            return src
        if isinstance(node, Alternative):
            exit_ = self.state()
            for option in node.options:
                self.out[self.build(option, src, depth + 1)].append((exit_, None))
            return exit_
        if node.name in self.hubs and self.intent:
            dst = self.state()
            self.out[src].append((dst, f"{_HUB}{self.intent}{_HUB}{node.name}"))
            return dst
        if node.name == FILLER:
            loop, back, exit_ = self.state(), self.state(), self.state()
            self.out[src].append((loop, None))
            self.out[self.build(self.rules[f"{FILLER}_word"], loop, depth + 1)].append((back, None))
            self.out[back].extend([(loop, None), (exit_, None)])
            return exit_
        if node.name not in self.rules:
            raise SpeechGrammarError(f"speech grammar refers to unknown <{node.name}>")
        if node.name.startswith("intent_"):
            outer, self.intent = self.intent, node.name
            end = self.build(self.rules[node.name], src, depth + 1)
            self.intent = outer
            return end
        return self.build(self.rules[node.name], src, depth + 1)


def _determinise(out: list[list[tuple[int, str | None]]], starts: set[int],
                 finals: set[int]) -> tuple[list[dict[str, int]], set[int]]:
    """Subset construction over null closures; DFA state 0 is the start."""
    closures: dict[int, frozenset[int]] = {}

    def close(state: int) -> frozenset[int]:
        if state not in closures:
            closures[state] = frozenset(_closure({state}, out))
        return closures[state]

    first = frozenset().union(*(close(s) for s in starts))
    index = {first: 0}
    table: list[dict[str, int]] = [{}]
    dfa_finals: set[int] = set()
    todo = [first]
    while todo:
        subset = todo.pop()
        me = index[subset]
        if subset & finals:
            dfa_finals.add(me)
        moves: dict[str, set[int]] = {}
        for s in subset:
            for dst, word in out[s]:
                if word is not None:
                    moves.setdefault(word, set()).update(close(dst))
        for word, targets in moves.items():
            key = frozenset(targets)
            if key not in index:
                index[key] = len(table)
                table.append({})
                todo.append(key)
                if len(table) > MAX_GRAPH_STATES:
                    raise SpeechGrammarError("the speech grammar is too large to decode quickly")
            table[me][word] = index[key]
    return table, dfa_finals


def _minimise(table: list[dict[str, int]], finals: set[int]) -> tuple[list[dict[str, int]], set[int]]:
    """Moore partition refinement: merge states with the same future."""
    labels = [tuple(sorted(moves)) for moves in table]
    targets = [tuple(moves[w] for w in words) for moves, words in zip(table, labels)]
    block = [1 if s in finals else 0 for s in range(len(table))]
    count = len(set(block))
    while True:
        signatures: dict[tuple[object, ...], int] = {}
        new = [signatures.setdefault((block[s], labels[s], tuple(block[d] for d in targets[s])), len(signatures))
               for s in range(len(table))]
        if len(signatures) == count:
            break
        block, count = new, len(signatures)
    # renumber so that the start state stays 0
    order: dict[int, int] = {}
    for s in range(len(table)):
        order.setdefault(block[s], len(order))
    merged: list[dict[str, int]] = [{} for _ in order]
    for s, moves in enumerate(table):
        merged[order[block[s]]].update({w: order[block[d]] for w, d in moves.items()})
    return merged, {order[block[s]] for s in finals}


def _automaton(rules: dict[str, Sequence], top: Node, hubs: frozenset[str] = frozenset(),
               intent: str = "") -> tuple[list[dict[str, int]], set[int]]:
    nfa = _Nfa(rules, hubs)
    nfa.intent = intent
    start = nfa.state()
    end = nfa.build(top, start)
    return _minimise(*_determinise(nfa.out, {start}, {end}))


def compile_word_graph(speech: SpeechGrammar) -> WordGraph:
    """The whole grammar as a word graph with one final state.

    The command skeleton is a minimal deterministic graph. A slot's values, the time grammar and
    the filler loop would be copied at every place they can occur (76,000 arcs, 170 MB of search
    structures in pocketsphinx), so each intent gets one shared copy of each instead (13,000
    arcs, 28 MB), joined by null arcs.
    That lets a slot's end lead on to any of the intent's continuations after that slot, a
    slight over-generation the matcher and the rejection test absorb.
    """
    hubs = frozenset(n for n in speech.rules if n.startswith("list_")) | {"when", FILLER}
    table, finals = _automaton(speech.rules, speech.rules[TOP], hubs)
    arcs: list[tuple[int, int, str | None]] = []
    n_states = len(table) + 1
    final = len(table)
    shared: dict[str, tuple[int, int]] = {}  # hub token -> (entry, exit) states
    built: dict[str, tuple[list[dict[str, int]], set[int]]] = {}
    for src, moves in enumerate(table):
        for word, dst in moves.items():
            if not word.startswith(_HUB):
                arcs.append((src, dst, word))
                continue
            if word not in shared:
                intent, rule = word[1:].split(_HUB)
                if rule not in built:
                    built[rule] = _automaton(speech.rules, RuleRef(rule), intent=intent)
                sub, sub_finals = built[rule]
                offset, exit_ = n_states, n_states + len(sub)
                n_states += len(sub) + 1
                arcs.extend((offset + a, offset + b, w) for a, m in enumerate(sub) for w, b in m.items())
                arcs.extend((offset + a, exit_, None) for a in sorted(sub_finals))
                shared[word] = (offset, exit_)
            entry, exit_ = shared[word]
            arcs.extend([(src, entry, None), (exit_, dst, None)])
    arcs.extend((s, final, None) for s in sorted(finals))
    if n_states > MAX_GRAPH_STATES:
        raise SpeechGrammarError("the speech grammar is too large to decode quickly")
    return WordGraph(n_states, 0, final, tuple(arcs))


# --- vosk -----------------------------------------------------------------------------------

def _time_samples() -> list[str]:
    hours = [number_to_words(h) for h in range(1, 13)]
    samples = [f"at {h} {ap}" for h, ap in zip(hours, itertools.cycle(["p m", "a m", "o'clock"]))]
    samples += [f"tomorrow at {h}" for h in hours[:6]]
    samples += [f"{d} at {h} thirty" for d, h in zip(TIME_TEMPLATES["weekday"].split(" | "), hours[5:])]
    samples += ["tonight", "tomorrow morning", "this evening", "at noon", "every day", "every evening",
                "every week", "every sunday at seven", "in ten minutes", "in an hour", "in two hours",
                "in fifteen minutes", "in forty five minutes", "at half past six", "at quarter to nine"]
    return samples


def _balanced(phrases: list[str], limit: int) -> list[str]:
    """At most `limit` phrases: first enough to use every word, then the shortest."""
    by_length = sorted(phrases, key=lambda p: (len(p.split()), p))
    chosen: dict[str, None] = {}
    covered: set[str] = set()
    for phrase in by_length:
        new = set(phrase.split()) - covered
        if new and len(chosen) < limit:
            chosen[phrase] = None
            covered |= new
    for phrase in by_length:
        if len(chosen) >= limit:
            break
        chosen.setdefault(phrase, None)
    return list(chosen)


def vosk_phrases(grammar: Grammar, max_phrases_per_intent: int = 300) -> list[str]:
    """The grammar as plain phrases for vosk's grammar mode, plus "[unk]" for everything else.

    Up to `max_phrases_per_intent` per intent (every word of the intent first, then the shortest
    phrases), so a many-worded intent does not swamp "yes". Slots are filled with their values
    in turn, times with sample times; wildcards are left out, since vosk joins phrases freely
    and "[unk]" covers the message.
    """
    out: dict[str, None] = {}
    times = itertools.cycle(_time_samples())
    for spec in grammar.intents.values():
        cycles = {slot: itertools.cycle(sorted(grammar.lists[kind].values))
                  for slot, kind in spec.slots.items() if kind not in (TIME, WILDCARD)}
        phrases = _balanced(spec.phrases, max_phrases_per_intent)
        rounds = max([len(grammar.lists[k].values) for k in spec.slots.values() if k in grammar.lists] or [1])
        for phrase in itertools.islice(itertools.cycle(phrases), max(len(phrases), rounds)):
            words: list[str] = []
            for tok in phrase.split():
                slot = tok[1:-1] if tok.startswith("{") else None
                if slot is None:
                    words.append(tok)
                elif spec.slots[slot] == TIME:
                    words.append(next(times))
                elif spec.slots[slot] != WILDCARD:
                    words.append(next(cycles[slot]))
            out.setdefault(spoken(" ".join(words)), None)
    out["[unk]"] = None
    return [p for p in out if p]
