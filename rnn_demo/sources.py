"""Open any training source `datasets.load_dataset` accepts: a Hub id, a local folder or a data file."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported when a source is opened: models load and run without `datasets`
    from datasets import DatasetDict

BUILDERS = {".txt": "text", ".csv": "csv", ".tsv": "csv", ".json": "json", ".jsonl": "json", ".parquet": "parquet"}


def open_source(source: str) -> DatasetDict:
    """A DatasetDict from a Hub dataset id, a local dataset folder, or one local data file.

    A single file becomes the `train` split; its format comes from its extension.
    """
    from datasets import load_dataset

    path = Path(source)
    if path.is_file():
        builder = BUILDERS.get(path.suffix.lower())
        if builder is None:
            raise ValueError(f"cannot read {source}: use one of {', '.join(sorted(BUILDERS))}")
        kwargs = {"delimiter": "\t"} if path.suffix.lower() == ".tsv" else {}
        return _read(lambda: load_dataset(builder, data_files={"train": str(path)}, **kwargs), source)
    return _read(lambda: load_dataset(source), source)


def _read(load: Callable[[], DatasetDict], source: str) -> DatasetDict:
    """`load()`, with a file `datasets` cannot build a dataset from said as a ValueError naming it and why (its
    DatasetGenerationError wraps the reader's error: pandas' on a malformed CSV, pyarrow's on a binary file)."""
    from datasets.exceptions import DatasetGenerationError

    try:
        return load()
    except DatasetGenerationError as error:
        cause = error.__cause__ or error
        raise ValueError(f"cannot read {source}: {type(cause).__name__}: {str(cause).strip()[:300]}") from None
