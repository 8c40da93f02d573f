"""A visitor's own training data (the Train tab), and the model built on it: what every task's reader and builder
(its plug-in's `VisitorTraining`, in the task's `visitor.py`) hand the shared job.

A task's reader turns an upload into a `Prepared`: its training part, its held-out part (which chooses the checkpoint
and gives the metric), a summary of what will be used and a preview. Every limit is checked as the file is read,
before anything is held in full; every refusal says what to change. Its builder turns that into a `Built`.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch

HELD_OUT_SHARE = 0.1  # of a text's characters (its end) or of a table's rows (by hash of the text)
PREVIEW_ROWS, PREVIEW_CHARS = 5, 300
HELD_OUT_SALT = b"rnn-demo: held out\n"


@dataclass
class Prepared:
    """Checked training data for one task, and what the visitor is shown before training starts."""

    task: str  # a task's name in the registry
    train: object  # what the task's builder reads: a text, (texts, label ids), a series, ...
    held_out: object  # as `train`; None where the task holds out its own part (a series' last days)
    summary: dict[str, object]  # what will be used: sizes of both parts, the vocabulary or the labels
    preview: list[list[str]]  # a few rows as they will be read (text: the first lines)
    notes: list[str] = field(default_factory=list)


def shortened(text: str, limit: int = PREVIEW_CHARS) -> str:
    """`text`, cut to `limit` characters with an ellipsis, for a preview or a message."""
    return text if len(text) <= limit else text[:limit] + "…"


def row_hash(text: str) -> int:
    """A labelled row's place in the held-out draw: a hash of its text, so the same file always splits the same way.
    Salted: unsalted, sha1 % 10 == 0 implied sha1 % 5 == 0, the IMDB protocol's test rule, so a file of protocol
    training reviews (the protocol's own split, or `bench train`'s file) had no row to hold out."""
    return int(hashlib.sha1(HELD_OUT_SALT + text.encode("utf-8")).hexdigest(), 16)


def held_out_rows(texts_by_label: dict[int, list[str]]) -> set[str]:
    """The texts held out: of each label's different texts, the tenth (at least one, of two or more) with the lowest
    hashes (row_hash); a text's every row falls the same way. Drawn per label, so every label is in the held-out part
    in its share: a draw over all rows held out 6 of the sample file's 64 reviews, every one negative, and a model
    that answered negative after one step scored 1.0 there."""
    held: set[str] = set()
    for texts in texts_by_label.values():
        different = sorted(set(texts), key=row_hash)
        held.update(different[:max(1, round(len(different) / 10))] if len(different) > 1 else [])
    return held


@dataclass
class Built:
    """A model ready to train on a visitor's data: the task object the loop reads (training.Task); `score`, the
    held-out loss (the task's selection loss) and metric (the plug-in's `VisitorTraining.metric`) from one pass over
    the held-out part; `chosen_by`, what picks the best checkpoint from those two (lower is better; default the
    loss); what to do to the model before it is saved (`before_save`) and what else the saved folder needs
    (`save_extra`, e.g. the tokenizer)."""

    model: torch.nn.Module
    task: object
    score: Callable[[torch.nn.Module], tuple[float, float]]
    chosen_by: Callable[[float, float], float] = lambda loss, metric: loss
    chosen_by_name: str = "held-out loss"  # what `chosen_by` is, for the card ("the checkpoint of lowest ...")
    save_extra: Callable[[Path], None] = lambda folder: None
    before_save: Callable[[torch.nn.Module], None] = lambda model: None
