"""Section 1, unrolled step by step: a short input through one layer of the bundled text model, every value the
cell computes at every step (the from-scratch cells of cells.py), the equations with the model's real shapes,
and the next-character distribution after each step.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from ..display import number_text, visible
from ..text.model import CharLM
from .cells import GATES
from .probe import read_passage

MAX_UNROLLED = 12  # characters: one strip of units per step stays readable
SHOWN_AS = {"\n": "⏎", " ": "␣", "\t": "⇥"}
GATE_LABELS = {"r": "r: reset gate", "z": "z: update gate", "n": "n: candidate", "i": "i: input gate",
               "f": "f: forget gate", "g": "g: candidate", "o": "o: output gate"}

EQUATIONS = {
    "rnn": "h_t = tanh(W_ih x_t + b_ih + W_hh h_{{t-1}} + b_hh)",
    "gru": ("r = σ(W_ir x_t + b_ir + W_hr h_{{t-1}} + b_hr)\n"
            "z = σ(W_iz x_t + b_iz + W_hz h_{{t-1}} + b_hz)\n"
            "n = tanh(W_in x_t + b_in + r ⊙ (W_hn h_{{t-1}} + b_hn))\n"
            "h_t = (1 − z) ⊙ n + z ⊙ h_{{t-1}}"),
    "lstm": ("i = σ(W_ii x_t + b_ii + W_hi h_{{t-1}} + b_hi)    f = σ(W_if x_t + b_if + W_hf h_{{t-1}} + b_hf)\n"
             "g = tanh(W_ig x_t + b_ig + W_hg h_{{t-1}} + b_hg)  o = σ(W_io x_t + b_io + W_ho h_{{t-1}} + b_ho)\n"
             "c_t = f ⊙ c_{{t-1}} + i ⊙ g\n"
             "h_t = o ⊙ tanh(c_t)"),
}


@dataclass
class UnrolledView:
    """One layer of a short input, step by step. values (steps, rows, hidden): each row's units at each step, the
    rows named by `rows`; next_chars[t]: the likeliest next characters after step t with their probabilities."""

    characters: list[str]
    layer: int
    rows: list[str]
    values: torch.Tensor
    next_chars: list[list[tuple[str, float]]]
    equations: str


def shown(ch: str) -> str:
    """A character as a label: newline, space and tab as symbols, controls made visible."""
    return SHOWN_AS.get(ch, visible(ch))


def check_short_input(text: str | None) -> str:
    text = text or ""
    if not text:
        raise ValueError("type a few characters to unroll (up to 12)")
    if len(text) > MAX_UNROLLED:
        raise ValueError(f"the input has {len(text):,} characters; unrolling shows up to {MAX_UNROLLED}")
    return text


def check_layer(model: CharLM, layer: int | float | None) -> int:
    """The layer as a 0-based index, from the UI's 1-based number; a clear error outside 1..layers."""
    layers = model.config.num_layers
    if layer is None or layer != layer or int(layer) != layer or not 1 <= int(layer) <= layers:
        raise ValueError(f"layer {number_text(layer)} does not exist: this model has layers 1 to {layers}")
    return int(layer) - 1


def equations(model: CharLM, layer: int) -> str:
    """The cell's equations as PyTorch documents them, with this layer's real shapes."""
    config, cell = model.config, model.config.cell
    inputs = config.embedding_dim if layer == 0 else config.hidden_size
    hidden, gates = config.hidden_size, max(1, len(GATES[cell]))
    source = "the character's embedding" if layer == 0 else f"layer {layer}'s output h_t"
    stacked = (f"W_ih stacks the {gates} gates' input matrices (W_i{'/W_i'.join(GATES[cell])}): " if gates > 1
               else "W_ih: ")
    return (f"{EQUATIONS[cell].format()}\n\nLayer {layer + 1}: x_t ({inputs},) is {source}; h_t ({hidden},).\n"
            f"{stacked}({gates * hidden}, {inputs});\nW_hh ({gates * hidden}, {hidden}); b_ih and b_hh "
            f"({gates * hidden},).\nh_0 = 0" + (", c_0 = 0." if cell == "lstm" else "."))


def _rows(cell: str, record: dict[str, torch.Tensor]) -> list[tuple[str, torch.Tensor]]:
    """(label, (time, hidden)) in reading order: the previous state, each gate's two terms, the gates, c, h_t."""
    names = GATES[cell] or ("",)
    x_terms, h_terms = record["input_term"].chunk(len(names), -1), record["recurrent_term"].chunk(len(names), -1)
    rows = [("h_{t-1}", record["h_prev"])]
    if cell == "lstm":
        rows.append(("c_{t-1}", record["c_prev"]))
    for name, x_term, h_term in zip(names, x_terms, h_terms):
        prefix = f"{name}: " if name else ""
        rows += [(f"{prefix}W_ih x_t + b_ih", x_term), (f"{prefix}W_hh h_{{t-1}} + b_hh", h_term)]
    rows += [(GATE_LABELS[name], record[name]) for name in GATES[cell]]
    if cell == "lstm":
        rows.append(("c_t: cell state", record["c"]))
    return rows + [("h_t", record["h"])]


def unrolled_view(model: CharLM, text: str, layer: int | float = 1, top: int = 5) -> UnrolledView:
    """`text` (at most 12 characters) through the cells one step at a time, from h_0 = 0; `layer` counts from 1."""
    text, index = check_short_input(text), check_layer(model, layer)
    reading = read_passage(model, text, limit=MAX_UNROLLED, step_by_step=True)
    rows = _rows(reading.cell, reading.layers[index])
    values = torch.stack([value for _, value in rows], 1)  # (time, rows, hidden)
    probabilities = reading.log_probs.exp()  # (time, vocab)
    best = probabilities.topk(min(top, probabilities.shape[-1]), -1)
    next_chars = [[(shown(reading.vocab[i]) if i else "<unk>", round(p, 4)) for p, i in
                   zip(step_p.tolist(), step_i.tolist())] for step_p, step_i in zip(*best)]
    return UnrolledView([shown(ch) for ch in text], index, [label for label, _ in rows], values, next_chars,
                        equations(model, index))


NEAR_ONE = 0.9  # a unit this close to +-1 is saturated: tanh (and o * tanh(c)) hardly moves it further


def state_in_words(view: UnrolledView) -> str:
    """What the state's heatmap shows, in words (for a reader who cannot see it): the step that moved h most, by
    ||h_t - h_{t-1}|| (h_0 = 0), the other steps' range, and the share of units near +-1 after the last step."""
    h = view.values[:, view.rows.index("h_t")]  # (time, hidden)
    moves = (h - torch.cat([torch.zeros_like(h[:1]), h[:-1]])).norm(dim=-1).tolist()  # (time,)
    most = max(range(len(moves)), key=moves.__getitem__)
    others = [m for t, m in enumerate(moves) if t != most]
    spread = f"; the other steps by {min(others):.2f} to {max(others):.2f}" if others else ""
    saturated = (h[-1].abs() > NEAR_ONE).float().mean().item()
    return (f"In words: the state h moved most at step {most + 1}, reading “{view.characters[most]}” (by "
            f"{moves[most]:.2f}{spread}); after the last step {saturated:.0%} of its {h.shape[-1]:,} units are near "
            f"±1 (|h| > {NEAR_ONE}).")
