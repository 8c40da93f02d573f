"""Classify a CSV of reviews: read the upload, classify every row in order, write the result as CSV.

Every input row gives exactly one output row, in order; empty reviews get empty predictions.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field

from tokenizers import Tokenizer

from ..uploads import decode_upload
from .infer import classify_reviews
from .model import ReviewClassifier

MAX_ROWS = 20_000
TEXT_COLUMNS = ("text", "review")  # tried in this order when no column is named
CHUNK_ROWS = 256


@dataclass
class ReviewTable:
    header: list[str]
    rows: list[list[str]]
    column: int  # index of the text column
    notes: list[str] = field(default_factory=list)


def read_review_table(data: bytes, column: str | None = None) -> ReviewTable:
    """Parse an uploaded CSV and find its text column (`column`, else one of TEXT_COLUMNS, else the only one)."""
    text, notes = decode_upload(data)
    records = list(csv.reader(io.StringIO(text, newline="")))
    header, rows = records[0], records[1:]
    if len(rows) > MAX_ROWS:
        raise ValueError(f"the file has {len(rows):,} rows; the limit is {MAX_ROWS:,}: split it into smaller files")
    wanted = [column] if column else [c for c in TEXT_COLUMNS if c in header] or (header if len(header) == 1 else [])
    if not wanted or wanted[0] not in header:
        named = f"no column {column!r}" if column else f"no column named {' or '.join(TEXT_COLUMNS)}"
        raise ValueError(f"{named}; the file's columns are: {', '.join(header)}")
    index = header.index(wanted[0])
    return ReviewTable(header, [row + [""] * (len(header) - len(row)) for row in rows], index, notes)


def classify_table(model: ReviewClassifier, tokenizer: Tokenizer, table: ReviewTable,
                   on_progress: Callable[[int, int], None] | None = None) -> str:
    """The table with the predicted label and each label's probability appended, as CSV text."""
    labels = model.config.labels
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.header + ["predicted"] + [f"p_{label}" for label in labels])
    for start in range(0, len(table.rows), CHUNK_ROWS):
        chunk = table.rows[start:start + CHUNK_ROWS]
        for row, probs in zip(chunk, classify_reviews(model, tokenizer, [r[table.column] for r in chunk])):
            predicted = max(probs, key=probs.get) if probs else ""
            writer.writerow(row + [predicted] + [f"{probs[label]:.4f}" if probs else "" for label in labels])
        if on_progress:
            on_progress(min(start + CHUNK_ROWS, len(table.rows)), len(table.rows))
    return out.getvalue()
