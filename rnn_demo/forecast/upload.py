"""An uploaded series: a CSV with a time column and a value column, read into a regular `Series`."""
from __future__ import annotations

import io

import pandas as pd

from ..uploads import decode_upload
from .data import series_from_frame
from .infer import Series

MAX_ROWS = 200_000
TIME_COLUMNS = ("time", "timestamp", "datetime", "date")  # tried in this order when no column is named
VALUE_COLUMNS = ("value", "demand", "load", "y")


def _pick(columns: list[str], named: str | None, preferred: tuple[str, ...], what: str, taken: str | None) -> str:
    if named:
        if named not in columns:
            raise ValueError(f"no column {named!r}; the file's columns are: {', '.join(columns)}")
        return named
    found = [c for c in columns if c.strip().lower() in preferred]
    rest = [c for c in columns if c != taken]
    if found:
        return found[0]
    if len(columns) == 2 and rest:
        return rest[0] if what == "value" else columns[0]
    raise ValueError(f"name the {what} column: the file's columns are {', '.join(columns)} "
                     f"(by default one of {', '.join(preferred)})")


def read_series_upload(data: bytes, time_column: str | None = None,
                       value_column: str | None = None) -> tuple[Series, list[str]]:
    """The uploaded CSV as a regular series (working days: Monday to Friday), and notes for the user."""
    text, notes = decode_upload(data)
    if text.count("\n") > MAX_ROWS + 1:  # before parsing: a huge file is refused at once
        raise ValueError(f"the file has more than {MAX_ROWS:,} rows; the limit is {MAX_ROWS:,}: upload the recent part")
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise ValueError(f"this is not a readable CSV file: {str(error).strip()}") from None
    columns = [str(c) for c in frame.columns]
    time_name = _pick(columns, time_column, TIME_COLUMNS, "time", None)
    value_name = _pick(columns, value_column, VALUE_COLUMNS, "value", time_name)
    if time_name == value_name:
        raise ValueError(f"the time and value columns must differ (both are {time_name!r})")
    dataset, repairs = series_from_frame(frame, time_name, value_name)
    series = Series.from_dataset(dataset)
    notes += repairs
    notes.append(f"Read {len(series):,} steps from column `{value_name}` over `{time_name}`; working days are "
                 "taken as Monday to Friday.")
    return series, notes
