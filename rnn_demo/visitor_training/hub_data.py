"""Training data named as a Hub dataset (the `load_dataset` id, config, split and columns), for the Train tab.

Checked before anything is downloaded: the id's form, then the dataset's size from the Hub's file list
(MAX_DATASET_BYTES). Read anonymously, never with the Space's token, into a temporary cache deleted afterwards,
within LOAD_SECONDS (a hung Hub costs this request only). The chosen columns are written out as the file an upload
would be (a text file, or a CSV), so what follows (the checks, the preview, the training) is the upload's own.
"""
from __future__ import annotations

import csv
import re
import shutil
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from pathlib import Path

from .. import hub_deadline
from ..display import quoted
from .data import MAX_TEXT_CHARS

MB = 1024 * 1024
MAX_DATASET_BYTES = 100 * MB  # all of the dataset repository's files
LOAD_SECONDS = 90.0
DATASET_ID = re.compile(r"^[A-Za-z0-9][\w.-]{0,95}(/[\w.-]{1,96})?$")
DEFAULT_COLUMNS = {  # what each task reads when no column is named: the first of these the dataset has
    "text": ("text", "content", "line"),
    "review": ("text", "review", "sentence", "content"),
    "label": ("label", "sentiment", "labels"),
    "time": ("time", "timestamp", "datetime", "date"),
    "value": ("value", "demand", "load", "y"),
}
FILE_NAMES = {"text": "text.txt", "sentiment": "reviews.csv", "forecast": "series.csv"}
_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="hub-dataset")


def check_dataset_id(repo_id: str) -> str:
    repo_id = (repo_id or "").strip()
    if not DATASET_ID.match(repo_id) or ".." in repo_id:
        raise ValueError(f"{quoted(repo_id)} is not a Hub dataset id: use the form user/name")
    return repo_id


def dataset_file(task: str, repo_id: str, config: str | None, split: str | None, columns: dict[str, str | None],
                 folder: Path) -> Path:
    """The columns `task` reads from the Hub dataset, as a file in `folder` (FILE_NAMES[task])."""
    if task not in FILE_NAMES:
        raise ValueError(f"no task {task!r}: choose one of {', '.join(FILE_NAMES)}")
    repo_id = check_dataset_id(repo_id)
    job = _POOL.submit(_fetch_and_write, task, repo_id, (config or "").strip() or None,
                       (split or "").strip() or "train", columns, Path(folder), time.monotonic() + LOAD_SECONDS)
    try:
        return job.result(timeout=LOAD_SECONDS + 5)
    except FutureTimeout:
        raise ValueError(f"loading the dataset {repo_id} took longer than {LOAD_SECONDS:.0f} s: the Hub is slow or "
                         "cannot be reached from this Space right now; try again later") from None


def _fetch_and_write(task: str, repo_id: str, config: str | None, split: str, columns: dict, folder: Path,
                     deadline: float) -> Path:
    cache = folder / "dataset-cache"
    try:
        with _explained(repo_id), hub_deadline.bounded(deadline):
            _check_size(repo_id)
            dataset = _load(repo_id, config, split, cache)
        return write_columns(task, dataset, columns, folder / FILE_NAMES[task])
    finally:
        shutil.rmtree(cache, ignore_errors=True)


def _check_size(repo_id: str) -> None:
    from huggingface_hub import HfApi

    info = HfApi(token=False).dataset_info(repo_id, files_metadata=True)
    size = sum(sibling.size or 0 for sibling in info.siblings or [])
    if size > MAX_DATASET_BYTES:
        raise ValueError(f"the dataset {repo_id} holds {size / MB:,.0f} MB of files; at most "
                         f"{MAX_DATASET_BYTES // MB} MB are read here: use a smaller one, or train with "
                         "`python -m rnn_demo train` on your own machine")


def _load(repo_id: str, config: str | None, split: str, cache: Path):
    from datasets import load_dataset

    try:
        return load_dataset(repo_id, config, split=split, token=False, cache_dir=str(cache))
    except ValueError as error:  # a config or split it does not have: datasets' message names the valid ones
        message = str(error).split("\n")[0][:400]
        raise ValueError(f"could not load the dataset {repo_id} (config {quoted(config or 'default')}, split "
                         f"{quoted(split)}): {message}") from None


@contextmanager
def _explained(repo_id: str) -> Iterator[None]:
    """The Hub's errors while reading the dataset as ValueErrors for the visitor."""
    from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

    try:
        yield
    except hub_deadline.DeadlinePassed:
        raise ValueError(f"loading the dataset {repo_id} took longer than {LOAD_SECONDS:.0f} s: try again "
                         "later") from None
    except (RepositoryNotFoundError, FileNotFoundError):  # datasets' DatasetNotFoundError is a FileNotFoundError
        raise ValueError(f"no public dataset {quoted(repo_id)} on the Hub (private datasets cannot be read "
                         "here)") from None
    except HfHubHTTPError as error:
        status = error.response.status_code if error.response is not None else "an error"
        raise ValueError(f"could not read the dataset {repo_id}: the Hub answered {status}") from None
    except OSError as error:
        raise ValueError(f"could not read the dataset {repo_id} ({type(error).__name__}); try again later") from None


def _column(dataset, wanted: str | None, role: str) -> str:
    """The column for `role`: the one named, else the first of DEFAULT_COLUMNS[role] the dataset has."""
    names = list(dataset.column_names)
    if wanted:
        if wanted not in names:
            raise ValueError(f"the dataset has no column {quoted(wanted)}; its columns are: "
                             f"{', '.join(map(quoted, names))}")
        return wanted
    found = next((name for name in DEFAULT_COLUMNS[role] if name in names), None)
    if found is None:
        raise ValueError(f"name the {role} column: the dataset has none called {' or '.join(DEFAULT_COLUMNS[role])}; "
                         f"its columns are: {', '.join(map(quoted, names))}")
    return found


def write_columns(task: str, dataset, columns: dict, path: Path) -> Path:
    """The columns `task` reads from a loaded `dataset`, written to `path` as an upload of that task would be."""
    if task == "text":
        return _write_text(dataset, _column(dataset, columns.get("text"), "text"), path)
    if task == "sentiment":
        names = (_column(dataset, columns.get("text"), "review"), _column(dataset, columns.get("label"), "label"))
        header = ("text", "label")
    else:
        names = (_column(dataset, columns.get("time"), "time"), _column(dataset, columns.get("value"), "value"))
        header = ("time", "value")
    labels = getattr(dataset.features[names[-1]], "names", None)  # a ClassLabel column: its names, not numbers
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        for row in dataset.select_columns(list(names)).iter(batch_size=1000):
            last = [labels[v] if labels and v is not None else v for v in row[names[-1]]]
            writer.writerows(zip(row[names[0]], last))
    return path


def _write_text(dataset, name: str, path: Path) -> Path:
    """The column's rows, one per line, up to one character past MAX_TEXT_CHARS (the upload check refuses that)."""
    written = 0
    with open(path, "w", encoding="utf-8") as out:
        for batch in dataset.select_columns([name]).iter(batch_size=1000):
            for line in batch[name]:
                piece = f"{'' if line is None else line}\n"
                out.write(piece[:MAX_TEXT_CHARS + 1 - written])
                written += len(piece)
                if written > MAX_TEXT_CHARS:
                    return path
    return path
