"""A loaded Hub dataset written as an upload of it would be, for the Train tab (hub_data.py reads the dataset, in a
child process of its own, and calls `write_roles` there): what follows (the checks, the preview, the training) is
then the upload's own. Imports no torch: the reading process starts without it.
"""
from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from ..display import column_list, quoted
from ..plugin import ColumnRole
from ..uploads import MAX_BYTES, MAX_TEXT_CHARS, find_column

MB = 1024 * 1024
WHOLE_TABLE = 100  # columns at most written whole (past them, only the roles' columns, found or named)
SENTENCE_ENDS = (".", "!", "?", "…")  # a header line ending so may read as a list's first review to an upload reader


def table_shape(dataset) -> tuple[list[str], list[str]]:
    """A dataset's columns, and those a table upload could hold: text, numbers, truth values and class labels (not
    images, lists, records or bytes). A streamed dataset that declares neither shows them in its first row, read
    once."""
    features = dataset.features
    first = next(iter(dataset.take(1)), {}) if dataset.column_names is None or not features else {}
    names = list(dataset.column_names) if dataset.column_names is not None else list(first)
    if not features:
        return names, [name for name in names if isinstance(first.get(name), (str, int, float, bool, type(None)))]
    return names, [name for name in names if type(features[name]).__name__ == "ClassLabel" or (
        type(features[name]).__name__ == "Value" and "binary" not in features[name].dtype)]


def _column(names: list[str], table: list[str], wanted: str | None, role: ColumnRole) -> str | None:
    """The column for `role`: the one named, else the first of the role's guesses among the `table` columns (those
    an upload could hold), either matched as an upload's names are (find_column: spaces around and case aside);
    None where it has none of the guesses. A named column that holds lists, records or images is refused."""
    if wanted:
        if (found := find_column(names, wanted)) is None:
            alike = [name for name in names if name.strip().casefold() == wanted.strip().casefold()]
            raise ValueError(f"the dataset has several columns called {quoted(wanted)} in other cases: name one as "
                             f"it is written ({_listed(alike)})" if alike else
                             f"the dataset has no column {quoted(wanted)}; its columns are: {_listed(names)}")
        if found not in table:
            raise ValueError(f"the dataset's column {quoted(found)} holds lists, records or files, not one text or "
                             f"number a row: name a column of those ({_listed(table)})")
        return found
    return next((found for guess in role.guesses if (found := find_column(table, guess)) is not None), None)


def _listed(names: list[str]) -> str:
    return ", ".join(map(quoted, names)) if names else "none"


class _TooLarge(ValueError):
    pass


def _too_large(what: str) -> ValueError:
    return _TooLarge(f"the dataset's {what}, more than an upload may hold: choose a smaller config or split, or "
                     "train with `python -m rnn_demo train` on your own machine")


def left_out(shape: tuple[list[str], list[str]]) -> list[str]:
    """The dataset's columns that no file of it holds (lists, records, files), from its `table_shape`."""
    names, table = shape
    return [name for name in names if name not in table]


def write_roles(task_roles: Iterable[ColumnRole], dataset, columns: dict, path: Path, max_rows: int | None = None,
                shape: tuple[list[str], list[str]] | None = None) -> dict[str, str | None]:
    """The dataset written to `path` as an upload of it would be: a `.txt` file, its text column (named, else the
    role's guesses) a line per row; else a CSV of every column a table holds (table_shape, or `shape` where the
    caller has it; at most WHOLE_TABLE),
    under the dataset's own names (a ClassLabel column by its label names, an unlabelled row's -1 left blank), so
    that the task's upload reader finds what it reads beside its roles' columns (a date's hour, the days off) and,
    where the guesses miss a role's column, finds it by the words in its name; past WHOLE_TABLE columns or an
    upload's size, the roles' columns alone where each was found, else a refusal that asks to name them. A
    ValueError as soon as they pass an upload's limits (MAX_TEXT_CHARS, MAX_BYTES) or `max_rows` rows. Returns the
    columns to read the file with, by role (None: the reader finds it)."""
    names, table = shape or table_shape(dataset)
    roles = [role for role in task_roles  # an optional column the dataset lacks: gone without
             if not role.optional or columns.get(role.name) or any(find_column(table, g) for g in role.guesses)]
    chosen = {role.name: _column(names, table, columns.get(role.name), role) for role in roles}
    if path.suffix == ".txt":
        if (text := chosen[roles[0].name]) is None:
            raise ValueError(f"name the {roles[0].name} column: the dataset has none called "
                             f"{' or '.join(roles[0].guesses)}; its columns are: {_listed(names)}")
        _write_text(_rows(dataset, [text]), path)
        return {roles[0].name: roles[0].name}
    missing = [role.name for role in roles if chosen[role.name] is None]
    if len(table) <= WHOLE_TABLE:
        try:
            return _read_with(task_roles, chosen, _write_table(dataset, table, path, max_rows))
        except _TooLarge as error:
            if missing:
                raise _TooLarge(f"{error}; or name the {' and '.join(missing)} column(s), so that only those are "
                                "read") from None
            if set(table) == set(chosen.values()):  # nothing more was written than the roles' columns
                raise
    if missing:
        raise ValueError(f"name the {' and '.join(missing)} column(s): the dataset has {len(names):,} columns, more "
                         f"than {WHOLE_TABLE} to look through; its columns are: {column_list(names)}")
    return _read_with(task_roles, chosen, _write_table(dataset, list(dict.fromkeys(chosen.values())), path, max_rows))


def _read_with(task_roles: Iterable[ColumnRole], chosen: dict[str, str | None], written: dict[str, str]
               ) -> dict[str, str | None]:
    """Each role's column as the written file names it (None: not found, for the reader to find)."""
    return {role.name: written[chosen[role.name]] if chosen.get(role.name) else None for role in task_roles}


def _write_table(dataset, chosen: list[str], path: Path, max_rows: int | None) -> dict[str, str]:
    """The `chosen` columns as a CSV, checked as they are written; returns each one's name in its header: its own,
    a line break in it a space, the names that end like a sentence first (a header line ending in "?" may read as a
    list's first review to an upload reader)."""
    header = {name: " ".join(name.split()) if "\n" in name or "\r" in name else name for name in chosen}
    chosen = sorted(chosen, key=lambda name: not header[name].rstrip().endswith(SENTENCE_ENDS))
    features = dataset.features or {}
    labels = [getattr(features.get(name), "names", None) for name in chosen]  # a ClassLabel column: its names
    written = 0  # characters: at least one byte each
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([header[name] for name in chosen])
        for count, values in enumerate(_rows(dataset, chosen), start=1):
            if max_rows and count > max_rows:
                raise _too_large(f"rows pass {max_rows:,}")
            row = [_label_name(named, value) if named else value for named, value in zip(labels, values)]
            written += sum(len(str(value)) for value in row) + len(row)
            if written > MAX_BYTES:
                raise _too_large(f"columns pass {MAX_BYTES // MB} MB")
            writer.writerow(row)
    return header


def _label_name(names: list[str], value: int | None) -> str | None:
    """A ClassLabel value's name; None (no label) for -1, the datasets' mark of an unlabelled row (a test split's),
    and for any value outside the names."""
    return names[value] if isinstance(value, int) and 0 <= value < len(names) else None


def _rows(dataset, names: list[str]) -> Iterable[tuple]:
    """The chosen columns' values, row by row, read a thousand rows at a time."""
    for batch in dataset.select_columns(names).iter(batch_size=1000):
        yield from zip(*(batch[name] for name in names))


def _write_text(rows: Iterable[tuple], path: Path) -> Path:
    """The column's rows, one per line."""
    written = 0
    with open(path, "w", encoding="utf-8") as out:
        for (line,) in rows:
            piece = f"{'' if line is None else line}\n"
            written += len(piece)
            if written > MAX_TEXT_CHARS:
                raise _too_large(f"text passes {MAX_TEXT_CHARS:,} characters")
            out.write(piece)
    return path
