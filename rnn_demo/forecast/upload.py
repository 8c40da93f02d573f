"""An uploaded series: a CSV with a time column and a value column, read into a regular `Series`."""
from __future__ import annotations

import io
import re

import pandas as pd
from datasets import Dataset

from ..display import column_list, md_text, quoted
from ..uploads import DELIMITER_NAMES, chosen_column, decode_upload, table_delimiter
from .covariates import TEMPERATURE_COLUMNS
from .data import series_from_frame
from .infer import Series
from .numbers import plain_numbers
from .periods import period_columns, with_periods
from .stamps import STAMP_CHARS, TIME_OF_DAY

MAX_ROWS = 200_000
MAX_COLUMNS = 1_000
TIME_COLUMNS = ("time", "timestamp", "datetime", "date")  # tried in this order when no column is named
VALUE_COLUMNS = ("value", "demand", "load", "y")
BLANK_LINES = re.compile(r"\n\n+")
MAX_HEADER_CHARS = 65_536  # where the header line is looked for: the delimiter is read from it


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
    wider = next((row for row, count in enumerate(commas) if count > commas[0]), None)
    if wider is not None:
        raise ValueError(f"data row {wider:,} has {commas[wider] + 1:,} fields but the header has {commas[0] + 1:,}: "
                         f"put cells that hold a {DELIMITER_NAMES[delimiter]} in double quotes, or remove the extra "
                         "fields")


def _read_csv(text: str, **options) -> pd.DataFrame:
    """The CSV's cells as text; a file pandas cannot read is a clear error."""
    try:
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, **options)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise ValueError(f"this is not a readable CSV file: {str(error).strip()}") from None


def _pick(columns: list[str], named: str | None, preferred: tuple[str, ...], what: str, taken: str | None) -> str:
    if named:
        return chosen_column(columns, named)
    found = [c for name in preferred for c in columns if c.strip().lower() == name]  # in the order of `preferred`
    rest = [c for c in columns if c != taken]
    if found:
        return found[0]
    if len(columns) == 2 and rest:
        return rest[0] if what == "value" else columns[0]
    raise ValueError(f"name the {what} column: the file's columns are {column_list(columns)} "
                     f"(by default one of {', '.join(preferred)})")


def _date_beside(columns: list[str], time_name: str, named: bool) -> str | None:
    """The column called "date" beside a "time" column picked by its name, whose cells may hold the dates its times
    of day lack (`Date,Time,Load` exports); None where there is none or the visitor named the time column."""
    if named or time_name.strip().lower() != "time":
        return None
    return next((c for c in columns if c.strip().lower() == "date"), None)


def _time_columns(columns: list[str], time_column: str | None) -> tuple[str, str | None, str | None]:
    """The time column, and the column beside it that completes its stamps, as (time, dates, periods): dates for
    times of day (`Date,Time` exports), or periods of the day for dates (`SETTLEMENT_DATE,SETTLEMENT_PERIOD`,
    `Date,Hour`: periods.py, the time column then the dates)."""
    named = chosen_column(columns, time_column) if time_column else None
    usual = named or next((c for name in TIME_COLUMNS for c in columns if c.strip().lower() == name), None)
    if pair := period_columns(columns, usual):
        return pair[0], None, pair[1]
    time_name = _pick(columns, time_column, TIME_COLUMNS, "time", None)
    return time_name, _date_beside(columns, time_name, bool(time_column)), None


def _with_dates(frame: pd.DataFrame, time_name: str, date_name: str, notes: list[str]) -> pd.DataFrame:
    """The time column's times of day joined to the date column's dates, where every cell of it is a time of day
    (else the time column stays as it is); a blank time stays blank (an unreadable stamp, never midnight)."""
    times = frame[time_name].str.strip()
    given = times != ""
    if (times.str.len() > STAMP_CHARS).any() or not times[given].str.fullmatch(TIME_OF_DAY.pattern, case=False).all():
        return frame  # read_stamps names what it cannot read
    notes.append(f"The times of day in column “{md_text(time_name)}” were read with the dates in column "
                 f"“{md_text(date_name)}”.")
    return frame.assign(**{time_name: (frame[date_name].str.strip() + " " + times).where(given, "")})


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
    a column for it (named, or called as TEMPERATURE_COLUMNS). `max_rows`: None for no bound (the command line)."""
    text, notes = decode_upload(data)
    first = re.split(r"[\r\n]", text[:MAX_HEADER_CHARS].lstrip("\r\n"), maxsplit=1)[0]
    delimiter, named = table_delimiter(first)
    if named:  # Excel's `sep=;` line: the header is below it
        text = text[text.index(first) + len(first):]
    check_shape(text, delimiter, max_rows)
    columns = [str(c) for c in _read_csv(text, nrows=0, sep=delimiter).columns]
    time_name, date_name, period_name = _time_columns(columns, time_column)
    value_name = _pick(columns, value_column, VALUE_COLUMNS, "value", time_name)
    if value_name in (time_name, period_name):
        raise ValueError(f"the time and value columns must differ ({quoted(value_name)} holds the "
                         f"{'periods of the day' if value_name == period_name else 'times'})")
    temperature_name = _temperature_name(columns, temperature_column, (time_name, value_name))
    # only the columns read: a wide file costs no more than a narrow one
    read = [time_name, value_name, *([temperature_name] if temperature_name else [])]
    beside = {*read, date_name, period_name} - {None}
    frame = _read_csv(text, usecols=sorted(columns.index(name) for name in beside), sep=delimiter)
    frame.columns = [str(c) for c in frame.columns]
    if date_name and date_name not in read:
        frame = _with_dates(frame, time_name, date_name, notes)
    if period_name and period_name not in read:
        stamped = with_periods(frame, time_name, period_name, notes)
        frame = frame if stamped is None else stamped
    frame[read[1:]], how = plain_numbers(frame[read[1:]], delimiter)  # 1.234,5 or 1,234.5 as 1234.5
    if how:
        notes.append(how if delimiter == "," else f"The file's columns are separated by "
                     f"{DELIMITER_NAMES[delimiter]}s. {how}")
    dataset, repairs = series_from_frame(frame, time_name, value_name, temperature_name)
    return dataset, notes + repairs, read


def read_series_upload(data: bytes, time_column: str | None = None, value_column: str | None = None,
                       temperature_column: str | None = None) -> tuple[Series, list[str]]:
    """The uploaded CSV as a regular series (working days: Monday to Friday), its temperature where it has a column
    for it, and notes for the user."""
    dataset, notes, (time_name, value_name, *temperature) = read_series_csv(data, time_column, value_column,
                                                                            temperature_column)
    temperature_name = temperature[0] if temperature else None
    series = Series.from_dataset(dataset)
    notes.append(f"Read {len(series):,} steps from column “{md_text(value_name)}” over “{md_text(time_name)}”; "
                 "working days are taken as Monday to Friday.")
    if temperature_name:
        ahead = 0 if series.temperature is None else len(series.temperature) - len(series)
        notes.append(f"Read the temperature (°C) from column “{md_text(temperature_name)}”"
                     + (f", {ahead:,} step(s) of it past the last value (the coming day's)." if ahead else "."))
    return series, notes
