"""The bundled cells compared on one review: each cell's verdict (probabilities, word colours, notes), as the single
view shows it, and a line saying whether they agree. `ui/compare.py` wires these to widgets; tests call them directly.
"""
from __future__ import annotations

from ..backbone import CELL_LABELS
from .infer import Verdict
from .serve import analyse, bundled_cells


def compare_verdicts(text: str | None) -> dict[str, Verdict]:
    """Each bundled cell's verdict on `text` (sentiment.serve.analyse), keyed by cell in the backbone's order
    ("rnn", "gru", "lstm"; the cells with a model). An empty review is refused as in the single view."""
    cells = bundled_cells()
    if not cells:
        raise ValueError("no sentiment model is bundled: train one with `python -m rnn_demo train sentiment`")
    return {cell: analyse(text or "", cell) for cell in cells}


def top_label(verdict: Verdict) -> str:
    """The label with the highest probability."""
    return max(verdict.probabilities, key=verdict.probabilities.get)


def agreement(verdicts: dict[str, Verdict]) -> str:
    """One line of Markdown: the label all the cells give, or each cell's label and its probability."""
    labels = {cell: top_label(verdict) for cell, verdict in verdicts.items()}
    if len(set(labels.values())) == 1:
        everyone = "The cell says" if len(labels) == 1 else f"All {len(labels)} cells say"
        return f"{everyone} **{next(iter(labels.values()))}**."
    each = "; ".join(f"{CELL_LABELS[cell]} **{label}** ({verdicts[cell].probabilities[label]:.0%})"
                     for cell, label in labels.items())
    return f"The cells disagree: {each}."
