"""Section 4, the cells compared on the same input: each character's surprisal (nats: -log p of the character
given everything before it) under each bundled text model, their averages, and where the LSTM beats the vanilla
RNN most.
"""
from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass

import torch

from ..display import visible
from ..text.model import CharLM
from .probe import MAX_PASSAGE, check_passage, next_char_log_probs
from .unrolled import shown

# The models read the passage at once, one per core (each reading is a chain of matrix-vector products at batch 1).
_READERS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="inside-compare")


@dataclass
class Surprisal:
    """One model's surprisal of each character of the passage, nats; NaN for the first (nothing predicts it)."""

    cell: str
    nats: list[float]

    @property
    def mean(self) -> float:
        known = [value for value in self.nats if value == value]
        return sum(known) / len(known) if known else float("nan")


def surprisal(model: CharLM, text: str) -> Surprisal:
    """-log p(text[t] | text[:t]) for t = 1 .. len - 1, from the model's next-character distributions."""
    ids, log_probs = next_char_log_probs(model, text)
    after = log_probs[:-1].gather(1, ids[1:, None])[:, 0]  # (time - 1,)
    return Surprisal(model.config.cell, [float("nan"), *(-after).tolist()])


def compare_cells(models: dict[str, CharLM], text: str,
                  progress: Callable[[float, str], None] | None = None) -> list[Surprisal]:
    """Each model's surprisal over the same passage (at most MAX_PASSAGE characters), in the order given; the
    models read it two at a time, the largest first; `progress` hears the share of them done as each finishes."""
    text = check_passage(text, MAX_PASSAGE)
    if len(text) < 2:
        raise ValueError("the passage needs at least two characters: the first has nothing before it to predict it")
    order = sorted(models.values(), key=lambda model: -model.num_parameters())
    futures = {_READERS.submit(surprisal, model, text): id(model) for model in order}
    results = {}
    for done, future in enumerate(as_completed(futures), 1):
        results[futures[future]] = future.result()
        if progress:
            progress(done / len(order), "reading the passage with each cell")
    return [results[id(model)] for model in models.values()]


def coloured(text: str, result: Surprisal, scale: float = 5.0) -> list[tuple[str, float | None]]:
    """The passage for a HighlightedText: each character with its surprisal scaled to [0, 1] (`scale` nats and
    more is full colour); newlines kept as their own pieces, controls shown as symbols, the first uncoloured."""
    return [(visible(ch), None if value != value else round(min(value / scale, 1.0), 3))
            for ch, value in zip(text, result.nats)]


def biggest_gains(text: str, better: Surprisal, worse: Surprisal, count: int = 10,
                  context: int = 12) -> list[list[str | float]]:
    """The characters where `better` is least surprised relative to `worse`: rows of (position, the text before it
    and the character, the two surprisals, the gain), the largest gain first."""
    gains = torch.tensor(worse.nats) - torch.tensor(better.nats)  # (time,), NaN at 0
    order = torch.nan_to_num(gains, nan=-float("inf")).argsort(descending=True)[:count].tolist()
    rows = []
    for position in order:
        if gains[position] != gains[position] or gains[position] <= 0:
            break
        before = "".join(shown(ch) for ch in text[max(0, position - context):position])
        rows.append([position, f"{before}[{shown(text[position])}]", round(worse.nats[position], 3),
                     round(better.nats[position], 3), round(float(gains[position]), 3)])
    return rows
