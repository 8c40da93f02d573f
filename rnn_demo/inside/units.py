"""What the hidden units track (Karpathy, Johnson and Fei-Fei 2015, "Visualizing and understanding recurrent
networks"): simple features of the text, each unit's correlation with them over a passage, one unit's trace and
its colouring of the passage, and how often the gates saturate.

Time lines up with the reading: the value of a feature at step t describes the text up to and including the
character read at t, as the state after reading it can know it (the state reads a character and then predicts
the next one). Layers and units are counted from 0, as in `Reading.layers`.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import torch

from ..display import number_text, visible
from .probe import Reading

Feature = Callable[[str], list[float]]  # text -> one float per character
SENTENCE_END = ".!?"
NAME_LINKS = frozenset({"of", "and", "the", "&", "de", "du", "la", "le"})  # uncapitalised words names may hold
LOW, HIGH = 0.1, 0.9  # a gate value below LOW or above HIGH counts as saturated (shut or open)
SATURATING_GATES = {"lstm": ("i", "f", "o"), "gru": ("r", "z"), "rnn": ()}
# Over few characters some of a model's hundreds of units correlate with anything by chance (a unit of the bundled
# GRU: -1.00 with the position within "ab"): features are measured over MIN_CHARACTERS characters at least, and the
# page says how far chance alone reaches for each feature (`Ranking.chance`, measured by `rank_units`)
MIN_CHARACTERS = 40
SHIFTS = 19  # the feature slid along the passage by this many offsets, spread over its length: the chance level


def line_position(text: str) -> list[float]:
    """Characters read since the last newline: the newline itself is 0, the first character of a line 1. A text
    that does not start with a newline counts from 1 at its first character, as if one came before it."""
    values, position = [], 0
    for ch in text:
        position = 0 if ch == "\n" else position + 1
        values.append(float(position))
    return values


def _is_name_line(line: str, after_blank: bool) -> bool:
    """A speaker's name line as the protocol writes it ("ROMEO:", "First Citizen:"): after a blank line (or first),
    ends with ":", no other sentence punctuation, every word capitalised but linking words ("of", "&")."""
    words = line[:-1].split()
    return (after_blank and line.endswith(":") and bool(words) and not re.search(r"[,;:.!?]", line[:-1])
            and all(word[0].isupper() or word in NAME_LINKS for word in words))


def speaker_line(text: str) -> list[float]:
    """1 on the characters of a speaker's name line (its letters and its ":"; not the newline ending it), 0 in
    speeches and blank lines. A name line follows a blank line or starts the text (see `_is_name_line`)."""
    values: list[float] = []
    lines = text.split("\n")
    for k, line in enumerate(lines):
        name = _is_name_line(line, k == 0 or lines[k - 1] == "")
        values.extend([float(name)] * len(line))
        if k < len(lines) - 1:
            values.append(0.0)  # the newline
    return values


def inside_brackets(text: str) -> list[float]:
    """1 inside a stage direction "[...]": from the opening bracket (once read, the state is inside) up to the
    character before the closing one (once "]" is read it is outside again); nested brackets count once, an
    unclosed one runs to the end. (The protocol's plays drop stage directions: there, this is 0 throughout.)"""
    values, depth = [], 0
    for ch in text:
        depth = depth + 1 if ch == "[" else max(depth - 1, 0) if ch == "]" else depth
        values.append(float(depth > 0))
    return values


def word_start(text: str) -> list[float]:
    """1 at the first letter of a word, a word being a run of letters, apostrophes and hyphens ("'tis",
    "children's" and "ill-sheathed" are one word each, starting at t, c and i); 0 elsewhere."""
    values, in_word, seen_letter = [], False, False
    for ch in text:
        joins = ch.isalpha() or ch in "'-"
        seen_letter = seen_letter and in_word and joins
        values.append(float(ch.isalpha() and not seen_letter))
        seen_letter = seen_letter or ch.isalpha()
        in_word = joins
    return values


def after_sentence(text: str) -> list[float]:
    """1 from a sentence's end mark (". ! ?", itself included) up to the next letter (excluded): the stretch where
    the state knows a sentence has ended and a capital is likely next; 0 elsewhere."""
    values, ended = [], False
    for ch in text:
        ended = True if ch in SENTENCE_END else False if ch.isalpha() else ended
        values.append(float(ended))
    return values


FEATURES: dict[str, tuple[str, Feature]] = {
    "line_position": ("position within the line", line_position),
    "speaker_line": ("inside a speaker's name line", speaker_line),
    "brackets": ("inside [brackets] (stage directions)", inside_brackets),
    "word_start": ("start of a word", word_start),
    "after_sentence": ("after . ! ? until the next letter", after_sentence),
}


@dataclass(frozen=True)
class UnitScore:
    """One unit's correlation with one feature. kind: "h" (hidden state) or "c" (the LSTM's cell state)."""

    layer: int
    kind: str
    unit: int
    correlation: float


@dataclass
class Ranking:
    """Per feature, the units most correlated with it (by |correlation|, strongest first); features constant
    over the passage cannot be correlated with anything: `not_measurable` maps them to the reason ("0 at every
    character of this passage"), never to a NaN."""

    cell: str
    characters: int
    best: dict[str, list[UnitScore]]
    not_measurable: dict[str, str]
    units: int = 0  # how many were ranked: every layer's h and, for the LSTM, c
    chance: dict[str, float] = field(default_factory=dict)  # per measured feature: how far chance alone reaches

    def beyond_chance(self, name: str) -> bool:
        """Whether feature `name`'s best unit correlates more strongly than chance alone reaches."""
        return bool(self.best.get(name)) and abs(self.best[name][0].correlation) > self.chance[name]


def _kinds(reading: Reading) -> tuple[str, ...]:
    return ("h", "c") if reading.cell == "lstm" else ("h",)


def _blocks(reading: Reading) -> list[tuple[int, str]]:
    """The candidate blocks in order: (layer, kind) for every layer's h and, for the LSTM, its c."""
    return [(k, kind) for k in range(len(reading.layers)) for kind in _kinds(reading)]


def correlations(activations: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
    """Pearson correlations (units, features) of activations (time, units) with features (time, features), in one
    matrix product of the centred values; a constant column (unit or feature) correlates 0 with everything."""
    a = activations.float() - activations.float().mean(0)  # the one copy: centred, then squared in place
    f = features - features.mean(0)
    products = a.T @ f  # (units, features)
    # square-and-sum: norm(dim=0) reduces across a strided axis, several times slower here
    norms = a.square_().sum(0).sqrt()[:, None] * f.square().sum(0).sqrt()[None, :]
    return torch.where(norms > 0, products / norms.clamp_min(1e-30), torch.zeros_like(products))


def rank_units(reading: Reading, features: Mapping[str, tuple[str, Feature]] | None = None,
               top: int = 5) -> Ranking:
    """Correlate every unit of every layer's h (and, for the LSTM, c as separate "cell state" candidates) over the
    passage with each feature; keep the `top` units per feature by |correlation|.

    Features (time, n) against each block of activations (time, hidden): one matrix product per layer and kind,
    about 10 ms for 2,000 characters of the bundled 2 x 512 LSTM on one CPU thread (features included)."""
    if top < 1:
        raise ValueError(f"top must be at least 1, not {top}")
    features = FEATURES if features is None else features
    blocks = _blocks(reading)
    values = torch.tensor([fn(reading.text) for _, fn in features.values()], dtype=torch.float32).T  # (time, n)
    changes = (values[1:] != values[:-1]).sum(0).tolist()  # (n,): 0 for a feature constant over the passage
    n = values.size(1)
    slid = torch.cat([values.roll(offset, 0) for offset in _offsets(len(reading.text))], 1)  # (time, SHIFTS * n)
    both = torch.cat([values, slid], 1)
    table = torch.cat([correlations(reading.layers[k][kind], both) for k, kind in blocks])  # (units, n + SHIFTS * n)
    table, chance = table[:, :n], table[:, n:].abs().amax(0).view(-1, n).amax(0)  # (units, n), (n,)
    hidden, best, unmeasurable = reading.hidden_size, {}, {}
    for j, (name, (label, _)) in enumerate(features.items()):
        if why := _unmeasurable(len(reading.text), changes[j], values[0, j].item()):
            unmeasurable[name] = why
            continue
        column = table[:, j]
        strongest = column.abs().topk(min(top, column.numel())).indices.tolist()
        best[name] = [UnitScore(blocks[i // hidden][0], blocks[i // hidden][1], i % hidden, column[i].item())
                      for i in strongest]
    return Ranking(reading.cell, len(reading.text), best, unmeasurable, table.size(0),
                   {name: chance[j].item() for j, name in enumerate(features) if name in best})


def _offsets(characters: int) -> list[int]:
    """SHIFTS offsets spread evenly over a passage of `characters` (none of them 0, so none aligns it with itself).

    How far chance alone reaches for a feature: the largest |correlation| of any unit with the feature slid
    (circularly) along the passage by each offset, where no unit can track it. Text features and units both change
    slowly along a text, so they correlate by chance far more than independent points would: over the tab's
    opening passage the formula for independent noise said ±0.24, where units reading other passages reached 0.57
    with the speaker-line feature (a red team's)."""
    return sorted({max(1, round(characters * k / (SHIFTS + 1))) for k in range(1, SHIFTS + 1)} - {characters})


def _unmeasurable(characters: int, changes: int, first: float) -> str | None:
    """Why a feature cannot be measured over a passage of `characters` where it changes `changes` times (`first`:
    its value at the first character), or None."""
    if changes == 0:
        return f"{first:g} at every character of this passage"
    if characters < MIN_CHARACTERS:
        return (f"the passage has {characters} characters: over fewer than {MIN_CHARACTERS} some unit correlates "
                "with anything by chance")
    return None


def most_striking(ranking: Ranking) -> tuple[str, UnitScore] | None:
    """The (feature name, unit) with the largest |correlation| among the features whose best unit goes beyond chance
    (of all, where none does): the view's opening choice; None when no feature is measurable on the passage."""
    firsts = [(name, scores[0]) for name, scores in ranking.best.items() if scores]
    beyond = [pair for pair in firsts if ranking.beyond_chance(pair[0])]
    return max(beyond or firsts, key=lambda pair: abs(pair[1].correlation), default=None)


def describe(ranking: Ranking, features: Mapping[str, tuple[str, Feature]] | None = None) -> list[str]:
    """One line per feature: its label and the best units ("layer 1 c 17: +0.93"), or why it is not measurable."""
    features = FEATURES if features is None else features
    lines = []
    for name, (label, _) in features.items():
        if name in ranking.not_measurable:
            lines.append(f"{label}: not measurable ({ranking.not_measurable[name]})")
        elif name in ranking.best:
            units = ", ".join(f"layer {s.layer} {s.kind} {s.unit}: {s.correlation:+.2f}" for s in ranking.best[name])
            lines.append(f"{label}: {units} (chance alone: ±{ranking.chance[name]:.2f})")
    return lines


def unit_trace(reading: Reading, layer: int, kind: str, unit: int) -> list[float]:
    """The activation of one unit (kind "h" or, for the LSTM, "c") after each character: one float per character.
    ValueError naming the valid range for a layer or unit out of range, or for "c" asked of a GRU or RNN."""
    check_unit(reading.cell, len(reading.layers), reading.hidden_size, layer, kind, unit)
    return reading.layers[layer][kind][:, unit].tolist()


def check_unit(cell: str, layers: int, hidden: int, layer: int, kind: str, unit: int) -> None:
    """A ValueError naming the valid range for a layer or unit out of range of a model of `cell` with `layers` of
    `hidden` units, or for "c" asked of a GRU or RNN: checked before a passage is read for it."""
    if kind not in ("h", "c"):
        raise ValueError(f'kind must be "h" (hidden state) or "c" (cell state), not {kind!r}')
    if kind == "c" and cell != "lstm":
        raise ValueError(f'the cell state "c" exists only for the LSTM; this model is a {cell.upper()}: choose "h"')
    if not 0 <= layer < layers:
        raise ValueError(f"layer {number_text(layer)} is out of range: this model has layers 0 to {layers - 1}")
    if not 0 <= unit < hidden:
        raise ValueError(f"unit {number_text(unit)} is out of range: each layer of this model has units 0 to "
                         f"{hidden - 1}")


def coloured_passage(reading: Reading, layer: int, kind: str, unit: int) -> list[tuple[str, float]]:
    """The passage for gradio's HighlightedText: one (character, value) pair per character, newlines included as
    their own pieces, value the unit's activation divided by its largest |activation| over the passage (so the
    strongest character is ±1 whatever the unit's range: c is unbounded, h within tanh's range but often small);
    all 0 for a unit that stays at 0; controls shown as symbols (display.visible)."""
    trace = unit_trace(reading, layer, kind, unit)
    peak = max((abs(v) for v in trace), default=0.0)
    scale = 1.0 / peak if peak > 0 else 0.0
    return [(visible(ch), max(-1.0, min(1.0, value * scale))) for ch, value in zip(reading.text, trace)]


@dataclass(frozen=True)
class GateSaturation:
    """Fractions of a gate's (step, unit) values below LOW (shut) and above HIGH (open)."""

    low: float
    high: float

    @property
    def both(self) -> float:
        return self.low + self.high


def saturation(reading: Reading) -> list[dict[str, GateSaturation]]:
    """Per layer, per sigmoid gate (LSTM: i, f, o; GRU: r, z), how often its values (time, hidden) are saturated.

    The LSTM's g is left out: it is a tanh in (-1, 1), a candidate value rather than a gate, and the 0.1 / 0.9
    thresholds of a sigmoid mean nothing for it. The vanilla RNN has no gates: each layer's dict is empty."""
    result = []
    for layer in reading.layers:
        gates = {}
        for name in SATURATING_GATES[reading.cell]:
            values = layer[name]
            count = max(values.numel(), 1)
            gates[name] = GateSaturation((values < LOW).sum().item() / count, (values > HIGH).sum().item() / count)
        result.append(gates)
    return result


def saturation_words(gates: GateSaturation) -> str:
    """A gate's saturation in words: "12% shut, 30% open (42% saturated)"."""
    return f"{gates.low:.0%} shut, {gates.high:.0%} open ({gates.both:.0%} saturated)"
