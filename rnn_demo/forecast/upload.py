"""An uploaded series: a CSV with a time column and a value column, read into a regular `Series`."""
from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd
from datasets import Dataset, DatasetDict

from ..display import column_list, md_text, quoted
from ..uploads import DELIMITER_NAMES, chosen_column, decode_upload
from .column_names import TIME_COLUMNS, VALUE_COLUMNS, called, demand_columns, usual_time, usual_value
from .covariates import TEMPERATURE_COLUMNS
from .data import load_series, series_from_frame, split_in_steps
from .days_off import MONDAY_TO_FRIDAY, days_column
from .infer import Series
from .numbers import plain_numbers
from .periods import normalized, with_periods
from .stamp_columns import DATE_NAMES, TIME_NAMES, column_beside, joined_stamps
from .table_edges import header_and_below, rows_between_edges
from .wide import PERIOD_COLUMN, day_column, hour_columns, unpivoted

MAX_ROWS = 200_000
MAX_COLUMNS = 1_000
BLANK_LINES = re.compile(r"\n\n+")


def quoted_field(delimiter: str) -> re.Pattern:
    """A quoted field as pandas' parser sees one: a quote that opens a field (at the start, after the delimiter or a
    line end) up to its closing quote (a doubled quote "" stays inside); a quote inside a field is an ordinary
    character."""
    return re.compile(f'"(?<![^{re.escape(delimiter)}\\r\\n]")[^"]*+(?:""[^"]*+)*+"')


def plain_rows(text: str, delimiter: str = ",") -> str:
    """`text` cut into rows as pandas' `read_csv` cuts it, one row a line: `\\n`, `\\r\\n` and a lone `\\r` each end a
    row, quoted fields are emptied (their line ends and delimiters are not the file's), blank lines are dropped."""
    if '"' in text:
        text = quoted_field(delimiter).sub('""', text)
    return BLANK_LINES.sub("\n", text.replace("\r\n", "\n").replace("\r", "\n")).strip("\n")


def data_rows(text: str) -> int:
    """The rows `read_csv` reads from `text` below its header."""
    return plain_rows(text).count("\n")


def check_shape(text: str, delimiter: str = ",", max_rows: int | None = MAX_ROWS) -> None:
    """Before parsing: at most `max_rows` rows (None: any) and MAX_COLUMNS columns, and no row with more fields than
    the header (pandas would read it askew, and a wide first row stalls it for minutes)."""
    rows = plain_rows(text, delimiter)
    if max_rows is not None and rows.count("\n") > max_rows:
        raise ValueError(f"the file has more than {max_rows:,} rows; the limit is {max_rows:,}: upload the recent part")
    commas = [line.count(delimiter) for line in rows.split("\n")]
    if commas[0] >= MAX_COLUMNS:
        raise ValueError(f"the header has {commas[0] + 1:,} columns; the limit is {MAX_COLUMNS:,}: keep the time and "
                         "value columns")
    if "\n" not in rows:
        raise ValueError(f"the file is one line ({len(rows):,} characters) and has no rows under it: a CSV file has a "
                         "header line, then a line per time stamp")
    wider = next((row for row, count in enumerate(commas) if count > commas[0]), None)
    if wider is not None:
        raise ValueError(f"data row {wider:,} has {commas[wider] + 1:,} fields but the header has {commas[0] + 1:,}: "
                         f"put cells that hold a {DELIMITER_NAMES[delimiter]} in double quotes, or remove the extra "
                         "fields")


MAX_NAME_CHARS = 200  # a column's name; a longer one is refused before any name is matched or shown


def _check_names(columns: list[str]) -> None:
    """Column names of at most MAX_NAME_CHARS characters (three of 15 MB took 19 s to match against the usual names,
    and one of 10 MB came back in a note)."""
    long = next((name for name in columns if len(name) > MAX_NAME_CHARS), None)
    if long is not None:
        raise ValueError(f"a column name in the header has {len(long):,} characters ({quoted(long, 40)}); a name has "
                         f"at most {MAX_NAME_CHARS}: is the first line the header?")


UNCLOSED_QUOTE = re.compile(r"EOF inside string starting at row (\d+)")


def _read_csv(text: str, **options) -> pd.DataFrame:
    """The CSV's cells as text; a file pandas cannot read is a clear error."""
    try:
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, **options)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        if unclosed := UNCLOSED_QUOTE.search(str(error)):  # pandas' words: "C error: EOF inside string ..."
            raise ValueError(f"a double quote opens a field in data row {int(unclosed[1]):,} and is never closed: "
                             "close it, or remove it") from None
        raise ValueError(f"this is not a readable CSV file: {str(error).strip()}") from None


def _value_name(columns: list[str], named: str | None, time_name: str | None) -> str | None:
    """The value column: the one named, else the other of two, else one called as demand (column_names.py)."""
    if named:
        return chosen_column(columns, named)
    rest = [c for c in columns if c != time_name]
    if len(columns) == 2 and time_name is not None and rest:
        return rest[0]
    return usual_value(columns, {time_name} - {None})


AMBIGUOUS_DATES = ("day", "data")  # date names that may hold other things (weekdays; English "data")


def _time_name(columns: list[str], time_column: str | None) -> str | None:
    """The time column: the one named, else the first called as TIME_COLUMNS, else the first of two, else one called
    as a date (the column beside it may hold its times: stamp_columns.py; "day" or "data" only beside a column
    called as a time of day or period), else one with a word for a time in its name; None if none is."""
    if time_column:
        return chosen_column(columns, time_column)
    usual = called(columns, TIME_COLUMNS)
    if usual is not None or len(columns) == 2:
        return usual or columns[0]
    timed = any(normalized(c) in TIME_NAMES for c in columns)
    dated = next((c for name in DATE_NAMES if timed or name not in AMBIGUOUS_DATES
                  for c in columns if normalized(c) == name), None)
    return dated or usual_time(columns)


def _time_and_value(columns: list[str], time_column: str | None, value_column: str | None) -> tuple[str, str]:
    """The time and value columns, or one error naming each that must be named (it took two uploads to learn both)."""
    time_name = _time_name(columns, time_column)
    value_name = _value_name(columns, value_column, time_name)
    missing = [what for what, name in (("time", time_name), ("value", value_name)) if name is None]
    if missing == ["value"] and len(alike := demand_columns(columns, {time_name})) > 1:
        raise ValueError(f"name the value column: {column_list(alike)} may each hold the demand (the file's columns "
                         f"are {column_list(columns)})")
    if missing:
        raise ValueError(f"name the {' and '.join(missing)} column{'s' * (len(missing) > 1)}: the file's columns are "
                         f"{column_list(columns)} (by default a time column is one called {', '.join(TIME_COLUMNS)}, "
                         "or with a word for a time in its name, and a value column one called "
                         f"{', '.join(VALUE_COLUMNS)}, or with a word for demand or its unit (MW) in its name)")
    if time_name == value_name:
        raise ValueError(f"the time and value columns must differ (both are {quoted(time_name)})")
    return time_name, value_name


def _temperature_name(columns: list[str], named: str | None, taken: tuple[str, str]) -> str | None:
    """The temperature column: the one named, else one called as TEMPERATURE_COLUMNS (none: the series has none)."""
    if named:
        named = chosen_column(columns, named)
        if named in taken:
            raise ValueError(f"the temperature column must differ from the time and value columns ({quoted(named)})")
        return named
    return next((c for c in columns if c.strip().lower() in TEMPERATURE_COLUMNS and c not in taken), None)


def read_series_csv(data: bytes, time_column: str | None = None, value_column: str | None = None,
                    temperature_column: str | None = None,
                    max_rows: int | None = MAX_ROWS) -> tuple[Dataset, list[str], list[str]]:
    """A CSV file's series as `series_from_frame` makes it (its rows past the last value kept: their temperature is
    the coming day's), notes for the user, and the columns read: time, value and the temperature where the file has
    a column for it (named, or called as TEMPERATURE_COLUMNS); the working days from a column of working-day or holiday
    flags where it has one (days_off.py). `max_rows`: None for no bound (the command line)."""
    text, notes = decode_upload(data)
    text, delimiter = header_and_below(text, notes)
    check_shape(text, delimiter, max_rows)
    columns = [str(c) for c in _read_csv(text, nrows=0, sep=delimiter).columns]
    _check_names(columns)
    # a day's hours as columns where no other column holds the values (one-hot hour_0..hour_23 beside a load
    # column are features)
    hours = None if value_column else hour_columns(columns)
    if hours is not None and usual_value([c for c in columns if c not in hours], set()) is None \
            and (day := chosen_column(columns, time_column) or day_column(columns, hours)) is not None:
        return _read_wide(text, delimiter, day, hours, notes)
    time_name, value_name = _time_and_value(columns, time_column, value_column)
    temperature_name = _temperature_name(columns, temperature_column, (time_name, value_name))
    # only the columns read: a wide file costs no more than a narrow one
    read = [time_name, value_name, *([temperature_name] if temperature_name else [])]
    days_name = days_column(columns, set(read))
    beside, by_name = column_beside(columns, time_name, {*read, days_name} - {None})
    used = {*read, beside, days_name} - {None}
    frame = _read_csv(text, usecols=sorted(columns.index(name) for name in used), sep=delimiter)
    frame.columns = [str(c) for c in frame.columns]
    frame = rows_between_edges(frame, time_name, notes)
    joined = frame if beside is None else joined_stamps(frame, time_name, beside, by_name, notes)
    stamps_joined, frame = joined is not frame, joined
    frame[read[1:]], how = plain_numbers(frame[read[1:]], delimiter)  # 1.234,5 or 1,234.5 as 1234.5
    if how:
        notes.append(how if delimiter == "," else f"The file's columns are separated by "
                     f"{DELIMITER_NAMES[delimiter]}s. {how}")
    dataset, repairs = series_from_frame(frame, time_name, value_name, temperature_name, stamps_joined, days_name)
    if days_name is None:  # said where the file could have given them
        repairs.append(MONDAY_TO_FRIDAY)
    return dataset, notes + repairs, read


def _read_wide(text: str, delimiter: str, day: str, hours: list[str],
               notes: list[str]) -> tuple[Dataset, list[str], list[str]]:
    """read_series_csv's answer for a table of a row per day and a column per hour or half-hour (wide.py)."""
    frame = _read_csv(text, usecols=lambda name: str(name) in {day, *hours}, sep=delimiter)
    frame.columns = [str(c) for c in frame.columns]
    said: list[str] = []  # with_periods' notes, but its own on the period column: the file has none
    frame = with_periods(unpivoted(rows_between_edges(frame, day, notes), day, hours, notes), day, PERIOD_COLUMN, said)
    notes += [note for note in said if not note.startswith("Each row was read from its date")]
    frame[["value"]], how = plain_numbers(frame[["value"]], delimiter)
    notes += [how] if how else []
    dataset, repairs = series_from_frame(frame, day, "value", stamps_joined=True)
    return dataset, notes + repairs + [MONDAY_TO_FRIDAY], [day, f"{hours[0]} … {hours[-1]}"]


def read_series_upload(data: bytes, time_column: str | None = None, value_column: str | None = None,
                       temperature_column: str | None = None) -> tuple[Series, list[str]]:
    """The uploaded CSV as a regular series (working days: Monday to Friday, or as its column of working-day or holiday
    flags says), its temperature where it has a column for it, and notes for the user."""
    dataset, notes, (time_name, value_name, *temperature) = read_series_csv(data, time_column, value_column,
                                                                            temperature_column)
    temperature_name = temperature[0] if temperature else None
    series = Series.from_dataset(dataset)
    notes.append(f"Read {len(series):,} steps from column “{md_text(value_name)}” over “{md_text(time_name)}”.")
    if temperature_name:
        ahead = 0 if series.temperature is None else len(series.temperature) - len(series)
        notes.append(f"Read the temperature (°C) from column “{md_text(temperature_name)}”"
                     + (f", {ahead:,} step(s) of it past the last value (the coming day's)." if ahead else "."))
    return series, notes


CSV_SUFFIXES = (".csv", ".tsv")  # local training files read as the tab reads an upload


def training_series(source: str | None, time_column: str | None = None,
                    value_column: str | None = None) -> DatasetDict:
    """The series `train forecast --data` names, its last 8 weeks held out: a local CSV file read as the tab reads
    an upload (its delimiters, number forms, stamps, columns found by their usual names), with no bound on its rows;
    any other source as `data.load_series` reads it."""
    if source is None or Path(source).suffix.lower() not in CSV_SUFFIXES or not Path(source).is_file():
        return load_series(source, time_column, value_column)
    try:
        series, notes, _ = read_series_csv(Path(source).read_bytes(), time_column, value_column, max_rows=None)
    except ValueError as error:
        raise ValueError(f"{source}: {error}") from None
    return split_in_steps(series, notes)
