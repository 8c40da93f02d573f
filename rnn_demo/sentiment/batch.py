"""Classify an uploaded table of reviews (review_table.read_review_table has checked it), its rows streamed again from
the file in order, writing the result as CSV.

Every input row gives exactly one output row, in order; empty reviews get empty predictions. The rows are held a chunk
at a time.
"""
from __future__ import annotations

import csv
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TextIO

from tokenizers import Tokenizer

from .infer import classify_reviews_noted
from .model import ReviewClassifier
from .review_table import ReviewTable

CHUNK_ROWS = 256
CHUNK_CHARS = 4_000_000  # a chunk of rows held while classifying stops at this many characters too
NOTE_COLUMN = "prediction_note"  # what the single-review box would say of the prediction (a long review cut, ...)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet may run as a formula (OWASP's list)


def safe_cell(cell: str) -> str:
    """`cell` as a spreadsheet shows it as text: one that starts like a formula (=, +, -, @, a tab or a carriage
    return) gets a single quote in front, as OWASP advises against CSV injection."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def _chunks(records: Iterator[list[str]]) -> Iterator[list[list[str]]]:
    """`records` in chunks of at most CHUNK_ROWS rows and about CHUNK_CHARS characters."""
    chunk, size = [], 0
    for record in records:
        chunk.append(record)
        size += sum(map(len, record))
        if len(chunk) == CHUNK_ROWS or size >= CHUNK_CHARS:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


FILE_SECONDS = 240.0  # a file's classifying, at most (the bundled models take about 60 s for the largest file)


@dataclass(frozen=True)
class Classified:
    """What classify_table did: rows left empty (nothing to classify), rows not reached in its `seconds`, rows whose
    prediction has a note (NOTE_COLUMN)."""

    empty: int
    unreached: int
    seconds: float = FILE_SECONDS
    noted: int = 0
    guarded: int = 0  # texts written with a ' in front (safe_cell)


def classify_table(model: ReviewClassifier, tokenizer: Tokenizer, table: ReviewTable, out: TextIO,
                   on_progress: Callable[[int, int], None] | None = None,
                   seconds: float | None = None) -> Classified:
    """Write the table to `out` as CSV (in the file's delimiter) with the predicted label, each label's probability
    and what the single-review box would note of the prediction appended, every cell made safe for spreadsheets
    (`safe_cell`). Rows are classified for at most `seconds` (default FILE_SECONDS), checked between chunks, the
    first chunk always (a visitor's largest model took 45 times the bundled one's time); the rows after that are
    written too, without a prediction."""
    labels = model.config.labels
    writer = csv.writer(out, delimiter=table.out_delimiter)
    if table.separator_line:
        out.write(f"sep={table.delimiter}\r\n")
    writer.writerow(map(safe_cell, table.header + ["predicted"] + [f"p_{label}" for label in labels] + [NOTE_COLUMN]))
    done = empty = unreached = noted = guarded = 0
    seconds = FILE_SECONDS if seconds is None else seconds
    deadline = time.monotonic() + seconds
    for chunk in _chunks(table.records()):
        texts = [r[table.column] for r in chunk]
        late = done > 0 and time.monotonic() > deadline  # the first chunk always
        for row, (probs, notes) in zip(chunk, [({}, [])] * len(chunk) if late else
                                       classify_reviews_noted(model, tokenizer, texts)):
            predicted = max(probs, key=probs.get) if probs else ""
            shares = [f"{probs[label]:.4f}" if probs else "" for label in labels]
            writer.writerow(map(safe_cell, row + [predicted] + shares + [" ".join(notes)]))
            empty += not probs and not late
            noted += bool(notes)
            guarded += row[table.column].startswith(FORMULA_STARTS)
        unreached += len(chunk) if late else 0
        done += len(chunk)
        if on_progress:
            on_progress(done, table.rows)
    return Classified(empty, unreached, seconds, noted, guarded)
