"""A visitor's own training data (issue 18, the Train tab), read and checked before any training starts.

Three kinds of upload, one per task: a text file (a character language model), a labelled CSV of reviews (a text
and a label column, two to MAX_LABELS labels) and a series CSV (a time and a value column, as the forecasting tab
reads it). Each becomes a `Prepared`: its training part, its held-out part (which chooses the checkpoint and gives
the metric), a summary of what will be used and a preview. Every limit is checked as the file is read, before
anything is held in full; every refusal says what to change.
"""
from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..display import quoted
from ..uploads import decode_upload

HELD_OUT_SHARE = 0.1  # of a text's characters (its end) or of a table's rows (by hash of the text)
MIN_TEXT_CHARS, MAX_TEXT_CHARS = 2_000, 5_000_000
MAX_CHARACTERS = 300  # distinct characters in a text: the language model's vocabulary
MIN_ROWS_PER_LABEL, MAX_LABELS, MAX_LABEL_CHARS = 10, 10, 40
PREVIEW_ROWS, PREVIEW_CHARS = 5, 300


@dataclass
class Prepared:
    """Checked training data for one task, and what the visitor is shown before training starts."""

    task: str  # "text", "sentiment" or "forecast"
    train: object  # text: str; sentiment: (texts, label ids); forecast: a Series (its last days held out later)
    held_out: object  # as `train`; for a series, None (the task holds out its own last days)
    summary: dict[str, object]  # what will be used: sizes of both parts, the vocabulary or the labels
    preview: list[list[str]]  # a few rows as they will be read (text: the first lines)
    notes: list[str] = field(default_factory=list)


def _short(text: str, limit: int = PREVIEW_CHARS) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def text_upload(data: bytes) -> Prepared:
    """A text file for a character language model: its last HELD_OUT_SHARE held out (cut at a line break when there
    is one near), the vocabulary its training part's characters."""
    text, notes = decode_upload(data)
    if len(text) > MAX_TEXT_CHARS:
        raise ValueError(f"the text has {len(text):,} characters; the limit is {MAX_TEXT_CHARS:,}: upload a part of it")
    if len(text) < MIN_TEXT_CHARS:
        raise ValueError(f"the text has {len(text):,} characters; at least {MIN_TEXT_CHARS:,} are needed to learn "
                         f"from it and hold out a tenth to check the model on")
    cut = int(len(text) * (1 - HELD_OUT_SHARE))
    line_break = text.rfind("\n", int(cut * 0.95), cut)
    cut = line_break + 1 if line_break > 0 else cut
    train, held_out = text[:cut], text[cut:]
    characters = Counter(train)
    if len(characters) > MAX_CHARACTERS:
        raise ValueError(f"the text uses {len(characters):,} different characters; at most {MAX_CHARACTERS} can be "
                         "learned in a few minutes: use a text in one or two scripts")
    unseen = sorted(set(held_out) - set(characters))
    if unseen:
        notes.append(f"{len(unseen)} character(s) appear only in the held-out part; the model reads them as unknown.")
    summary = {"characters": len(text), "training characters": len(train), "held-out characters": len(held_out),
               "vocabulary": len(characters) + 1}  # + the unknown symbol
    preview = [[_short(line)] for line in text.splitlines()[:PREVIEW_ROWS]]
    return Prepared("text", train, held_out, summary, preview, notes)


def held_out_row(text: str) -> bool:
    """Whether a labelled row is held out: by a hash of its text, so the same row always falls the same way."""
    return int(hashlib.sha1(text.encode("utf-8")).hexdigest(), 16) % 10 == 0


def _labels_of(raw: list[str]) -> list[str]:
    """The distinct labels in first-seen order; refused when there are too few, too many or too long ones."""
    labels = list(dict.fromkeys(raw))
    if len(labels) < 2:
        raise ValueError(f"the label column holds one label only ({quoted(labels[0]) if labels else 'none'}): a "
                         "classifier needs two or more")
    if len(labels) > MAX_LABELS:
        raise ValueError(f"the label column holds {len(labels):,} different labels; at most {MAX_LABELS} are learned "
                         "here: is it the right column?")
    long = next((label for label in labels if len(label) > MAX_LABEL_CHARS), None)
    if long is not None:
        raise ValueError(f"the label {quoted(_short(long, 60))} has {len(long):,} characters; labels may have at most "
                         f"{MAX_LABEL_CHARS}: is it the right column?")
    return labels


def labelled_upload(path: str | Path, text_column: str | None, label_column: str | None) -> Prepared:
    """A CSV of texts and labels (sentiment, or any labels): read with the sentiment tab's streamed CSV checks, rows
    without a text or a label dropped (and counted), a tenth held out by hash, every label needing MIN_ROWS_PER_LABEL
    rows in the training part."""
    from ..sentiment.batch import _column_list, read_review_table

    table = read_review_table(path, text_column)
    label_name = label_column or next((c for c in ("label", "sentiment") if c in table.header), None)
    if label_name is None or label_name not in table.header:
        named = f"no column {quoted(label_name)}" if label_name else "no column named label or sentiment"
        raise ValueError(f"{named}; the file's columns are: {_column_list(table.header)}")
    label_index = table.header.index(label_name)
    if label_index == table.column:
        raise ValueError(f"the text and label columns must differ (both are {quoted(label_name)})")
    rows = [(record[table.column].strip(), record[label_index].strip()) for record in table.records()]
    kept = [(text, label) for text, label in rows if text and label]
    notes = list(table.notes)
    if len(kept) < len(rows):
        notes.append(f"{len(rows) - len(kept):,} row(s) without a text or a label were left out.")
    labels = _labels_of([label for _, label in kept])
    parts: dict[bool, tuple[list[str], list[int]]] = {False: ([], []), True: ([], [])}
    for text, label in kept:
        texts, ids = parts[held_out_row(text)]
        texts.append(text)
        ids.append(labels.index(label))
    counts = Counter(parts[False][1])
    scarce = [labels[i] for i in range(len(labels)) if counts[i] < MIN_ROWS_PER_LABEL]
    if scarce or not parts[True][0]:
        raise ValueError(f"too little data: each label needs at least {MIN_ROWS_PER_LABEL} training rows and a tenth "
                         f"of the rows is held out (labels short of rows: {', '.join(map(quoted, scarce)) or 'none'}; "
                         f"held-out rows: {len(parts[True][0])})")
    summary = {"rows": len(kept), "training rows": len(parts[False][0]), "held-out rows": len(parts[True][0]),
               "labels": {label: counts[i] for i, label in enumerate(labels)}}
    preview = [[_short(text), label] for text, label in kept[:PREVIEW_ROWS]]
    return Prepared("sentiment", parts[False], parts[True], summary, preview, notes)


def series_upload(path: str | Path, time_column: str | None, value_column: str | None) -> Prepared:
    """A series CSV, read as the forecasting tab reads it (half-hourly or hourly); its last days are held out by
    the forecasting task itself (adapt.HOLDOUT_DAYS), so it needs as many days as adapting does."""
    from ..forecast.adapt import HOLDOUT_DAYS, holdout_start
    from ..forecast.model import ForecastConfig
    from ..forecast.serve import step_minutes
    from ..forecast.upload import read_series_upload

    series, notes = read_series_upload(Path(path).read_bytes(), time_column, value_column)
    config = ForecastConfig().for_step(step_minutes(series))
    start = holdout_start(series, config)
    summary = {"steps": len(series), "step (minutes)": config.step_minutes, "training steps": start,
               "held-out days": HOLDOUT_DAYS, "from": str(series.times[0]), "to": str(series.times[-1])}
    preview = [[str(t), f"{v:.6g}"] for t, v in zip(series.times[:PREVIEW_ROWS], series.values[:PREVIEW_ROWS])]
    return Prepared("forecast", series, None, summary, preview, notes)
