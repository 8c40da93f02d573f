"""Time stamps written in two columns: a date, and beside it the time of day (`Date,Time`; RTE's `Date,Heures`,
SMARD's `Datum;Anfang`, ERCOT's `OperDay,HourEnding` "01:00") or the period of the day (GB's settlement periods,
`Date,Hour` 1 to 24: periods.py). The visitor may name either column as the time column, or neither.

The column beside is found by its name (DATE_NAMES, TIME_NAMES, in several languages), else it is the column next
to the one named or found (after a date, before a time of day); what its cells hold decides how the two are read,
and a column found by its place alone is read only as times of day or dates, never as periods (a column of small
whole numbers beside the dates could be anything).
"""
from __future__ import annotations

import re

import pandas as pd

from ..display import md_text
from .periods import normalized, with_periods
from .dates import TIME_OF_DAY
from .stamps import STAMP_CHARS

# column names (as `periods.normalized` writes them) of dates, and of times of day or periods of the day
DATE_NAMES = ("date", "settlement date", "settlementdate", "trading date", "delivery date", "operating day",
              "oper day", "operday", "market day", "opr dt", "data date", "day", "datum", "data", "fecha", "jour",
              "giorno")  # OPR_DT: CAISO's; "Data Date": EIA's
TIME_NAMES = ("time", "settlement period", "period", "periodid", "period id", "trading period", "sp", "hour ending",
              "hourending", "he", "hour", "time block", "block", "interval", "heure", "heures", "hora", "uhrzeit",
              "zeit", "anfang", "von", "godz", "godzina", "ora", "tijd", "tid", "opr hr", "hour number", "hr")
EXCEL_DAY = re.compile(r"(?:1899-12-30|30/12/1899|12/30/1899)[ T]")  # the day Excel gives a time with no date
# a time of day, perhaps the start of a range (India's blocks: 00:00-00:15)
TIME_CELL = re.compile(f"(?:{TIME_OF_DAY.pattern})(?:\\s*[-–]\\s*\\d{{1,2}}:\\d{{2}})?", re.IGNORECASE)


def _named(columns: list[str], names: tuple[str, ...], taken: set[str]) -> str | None:
    return next((c for name in names for c in columns if normalized(c) == name and c not in taken), None)


def column_beside(columns: list[str], time_name: str, taken: set[str]) -> tuple[str | None, bool]:
    """The column that may complete `time_name`'s stamps, and whether it was found by its name (not in `taken`,
    the value and temperature columns)."""
    taken = taken | {time_name}
    if normalized(time_name) in TIME_NAMES:
        found, step = _named(columns, DATE_NAMES, taken), -1
    else:
        found, step = _named(columns, TIME_NAMES, taken), 1
    if found is not None:
        return found, True
    at = columns.index(time_name) + step
    beside = columns[at] if 0 <= at < len(columns) and columns[at] not in taken else None
    return beside, False


def _cells(frame: pd.DataFrame, name: str) -> pd.Series:
    return frame[name].astype(str).str.strip()


HHMM = re.compile(r"([01]\d|2[0-4])([0-5]\d)")  # 0930: a time of day with no colon
PERIOD = re.compile(r"\d{1,3}(?:\.0+)?")  # a period of the day, as a spreadsheet may write it (48, 48.0)


def _hhmm(cells: pd.Series) -> pd.Series | None:
    """Times of day written as numbers (0930, or unpadded: 0, 30, 100 ... 2330) as 09:30, where some passes 99 and
    none ends in a minute past 59 (periods of the day do: 1 to 288); else None."""
    if not cells.str.fullmatch(r"\d{1,4}").all():
        return None
    padded = cells.str.zfill(4)
    if cells.astype(int).max() < 100 or not padded.str.fullmatch(HHMM).all():  # HHMM: no minute past 59
        return None
    return padded.str.replace(HHMM, r"\1:\2", regex=True)


def _times_of_day(cells: pd.Series, numbers: bool) -> pd.Series | None:
    """The cells as times of day (Excel's 1899-12-30 taken off; with `numbers`, 0930 as 09:30), or None where some
    given cell is none."""
    cells = cells.str.replace(EXCEL_DAY, "", regex=True)
    given = cells != ""
    if not given.any() or (cells.str.len() > STAMP_CHARS).any():
        return None
    if numbers and given.all() and (times := _hhmm(cells)) is not None:
        return times
    return cells if cells[given].str.fullmatch(TIME_CELL).all() else None


def _dates_only(cells: pd.Series) -> bool:
    """Every cell given (and some are) without a time of day, not a number of up to four digits (a period, a time
    of day, a year), and dates that repeat (several rows a day: a daily file has no second column of times)."""
    given = cells[cells != ""]
    return (bool(len(given)) and not given.str.contains(":").any() and (given.str.len() <= STAMP_CHARS).all()
            and not given.str.fullmatch(r"\d{1,4}(?:\.0+)?").all() and given.nunique() * 2 <= len(given))


def joined_stamps(frame: pd.DataFrame, time_name: str, beside: str, by_name: bool,
                  notes: list[str]) -> pd.DataFrame:
    """The frame with `time_name` holding whole stamps where it and the column `beside` hold a date and a time of
    day (either way round) or a date and a period (`by_name` only); as it is otherwise. A blank time stays blank:
    an unreadable stamp, never midnight."""
    stamps, other = _cells(frame, time_name), _cells(frame, beside)
    stamps_dated, other_dated = _dates_only(stamps), _dates_only(other)
    if stamps_dated and (times := _times_of_day(other, by_name)) is not None:
        dates, time_column, date_column = stamps, beside, time_name
    elif other_dated and (times := _times_of_day(stamps, by_name)) is not None:
        dates, time_column, date_column = other, time_name, beside
    elif by_name and stamps_dated and not other.str.contains(":").any():  # periods.py reads them (and
        return with_periods(frame, time_name, beside, notes)  # names a cell that is no period)
    elif by_name and other_dated and stamps.str.fullmatch(PERIOD).all():  # the periods named as the times
        return with_periods(frame, beside, time_name, notes).assign(**{time_name: lambda f: f[beside]})
    else:
        return frame
    notes.append(f"The times of day in column “{md_text(time_column)}” were read with the dates in column "
                 f"“{md_text(date_column)}”.")
    return frame.assign(**{time_name: (dates + " " + times).where(times != "", "")})
