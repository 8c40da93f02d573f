"""An uploaded series: a CSV with a time column and a value column, read into a regular `Series`."""
from __future__ import annotations

import io
import re

import pandas as pd

from ..display import md_text, quoted
from ..uploads import decode_upload
from .data import listed, series_from_frame
from .infer import Series

MAX_ROWS = 200_000
TIME_COLUMNS = ("time", "timestamp", "datetime", "date")  # tried in this order when no column is named
VALUE_COLUMNS = ("value", "demand", "load", "y")
# a quoted field as pandas' parser sees one: a quote that opens a field (at the start, after a comma or a line
# end) up to the next quote; a quote inside a field is an ordinary character
QUOTED_FIELD = re.compile(r'"(?<![^,\r\n]")[^"]*+(?:""[^"]*+)*+"')  # a doubled quote "" stays inside
BLANK_LINES = re.compile(r"\n\n+")


def line_ends(text: str) -> int:
    """How many line ends `text` has, as pandas' parser counts them: `\\n`, `\\r\\n` and a lone `\\r` each end one.
    Never fewer than the rows the parser reads (less one), quoted or not: a quick bound."""
    return text.count("\n") + text.count("\r") - text.count("\r\n")


def data_rows(text: str) -> int:
    """The rows pandas' `read_csv` reads from `text` below its header: lines ended by `\\n`, `\\r\\n` or a lone
    `\\r`, line ends inside quoted fields not counted, blank lines skipped."""
    if '"' in text:
        text = QUOTED_FIELD.sub('""', text)
    text = BLANK_LINES.sub("\n", text.replace("\r\n", "\n").replace("\r", "\n")).strip("\n")
    return text.count("\n") if text else 0


def _pick(columns: list[str], named: str | None, preferred: tuple[str, ...], what: str, taken: str | None) -> str:
    if named:
        if named not in columns:
            raise ValueError(f"no column {quoted(named)}; the file's columns are: {listed(columns)}")
        return named
    found = [c for c in columns if c.strip().lower() in preferred]
    rest = [c for c in columns if c != taken]
    if found:
        return found[0]
    if len(columns) == 2 and rest:
        return rest[0] if what == "value" else columns[0]
    raise ValueError(f"name the {what} column: the file's columns are {listed(columns)} "
                     f"(by default one of {', '.join(preferred)})")


def read_series_upload(data: bytes, time_column: str | None = None,
                       value_column: str | None = None) -> tuple[Series, list[str]]:
    """The uploaded CSV as a regular series (working days: Monday to Friday), and notes for the user."""
    text, notes = decode_upload(data)
    if line_ends(text) > MAX_ROWS and data_rows(text) > MAX_ROWS:  # before parsing: a huge file is refused at once
        raise ValueError(f"the file has more than {MAX_ROWS:,} rows; the limit is {MAX_ROWS:,}: upload the recent part")
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise ValueError(f"this is not a readable CSV file: {str(error).strip()}") from None
    columns = [str(c) for c in frame.columns]
    time_name = _pick(columns, time_column, TIME_COLUMNS, "time", None)
    value_name = _pick(columns, value_column, VALUE_COLUMNS, "value", time_name)
    if time_name == value_name:
        raise ValueError(f"the time and value columns must differ (both are {quoted(time_name)})")
    dataset, repairs = series_from_frame(frame, time_name, value_name)
    series = Series.from_dataset(dataset)
    notes += repairs
    notes.append(f"Read {len(series):,} steps from column “{md_text(value_name)}” over “{md_text(time_name)}”; "
                 "working days are taken as Monday to Friday.")
    return series, notes
