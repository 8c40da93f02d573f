"""Which days are working days: Monday to Friday, unless the series says otherwise.

Demand drops on public holidays, and the forecaster reads a working-day flag at every step (features.py), the day
it forecasts included. An upload may give its own, in a column called as WORKDAY_NAMES (1 on working days, 0 on
days off: a Saturday worked in lieu of a holiday is a 1) or as HOLIDAY_NAMES (1, yes or the holiday's name on
public holidays; 0, no, none, blank or a text most rows hold, such as "No Holiday", on other days: the days it
marks are off, the others Monday to Friday; a number above 1 is a holiday's type, 0.5 a half day, off too, a
negative one is refused).
Flags are read per calendar day, each day's rows voting (blank ones abstain, a tie is a day off), so the rows a
file leaves out, the hour a clock change repeats and the rows after the last value (the day to forecast: their
flags are the coming day's) get their day's flag. Pure functions of the table's times and cells.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..display import data_row, md_text, quoted
from .periods import normalized

WORKDAY_NAMES = ("workday", "work day", "working day", "workingday", "is workday", "is working day",
                 "business day")  # as periods.normalized writes them: WorkDay, is_working_day
HOLIDAY_NAMES = ("holiday", "holidays", "is holiday", "public holiday", "bank holiday")
YES = {"1", "true", "yes", "y"}
NO = {"0", "false", "no", "n", "none", "-"}
BLANK = {"", "nan", "na", "n/a", "null"}


def days_column(columns: list[str], taken: set[str]) -> str | None:
    """The column of working-day or holiday flags: the first called as WORKDAY_NAMES or HOLIDAY_NAMES, not `taken`."""
    return next((c for c in columns if normalized(c) in WORKDAY_NAMES + HOLIDAY_NAMES and c not in taken), None)


def _flags(cells: pd.Series, column: str, holiday: bool) -> np.ndarray:
    """(rows,) 1 where a cell says yes, 0 where it says no, NaN where blank; a holiday column's other text is a
    holiday's name (1), a working-day column's is an error naming the cell."""
    text = cells.astype(str).str.strip().str.lower()
    blank = (cells.isna() | text.isin(BLANK)).to_numpy()  # a null cell (a parquet file's, a Hub dataset's) too
    number = pd.to_numeric(text.where(text.str.len() <= 20), errors="coerce")
    flags = np.where(text.isin(YES) | (number == 1), 1.0, np.where(text.isin(NO) | (number == 0), 0.0, np.nan))
    flags[blank] = np.nan
    other = np.isnan(flags) & ~blank
    if holiday:
        _refuse_odd_numbers(cells, number.to_numpy(), column)
        ordinary = _ordinary_days(text[other], len(text))
        return np.where(other & ~text.isin(ordinary).to_numpy(), 1.0, np.where(other, 0.0, flags))
    if other.any():
        first = int(np.flatnonzero(other)[0])
        raise ValueError(f"column {quoted(column)} holds {quoted(cells.iloc[first])} in data row "
                         f"{data_row(cells, first):,}: a working-day column holds 1 on working days and 0 on days off "
                         "(or yes and no, true and false), or nothing")
    return flags


# texts that say a day is no holiday, whole: "No Holiday", "not a holiday", "non-holiday", "Normal day", "workday"
# (never "Non-working day", which says the day is off)
ORDINARY = re.compile(r"(?:no|not|non)[\s-]*(?:an?\s+)?(?:public\s+|bank\s+)?holiday|"
                      r"(?:normal|ordinary|regular|working|work) ?day|normal|regular|weekday|weekend")


def _ordinary_days(texts: pd.Series, rows: int) -> set[str]:
    """The texts of a holiday column's `texts` (lower case, neither yes nor no) that mark ordinary days: those that
    say so ("No Holiday", "non-holiday", "Normal day") and one most of the column's `rows` hold; the others name
    holidays (the usual text of a column of names is its blank, and a file of one holiday names it in all its cells)."""
    usual = texts.value_counts()
    saying = {text for text in usual.index if ORDINARY.fullmatch(text)}
    return saying | ({usual.index[0]} if len(usual) and usual.iloc[0] > 0.5 * rows else set())


def _refuse_odd_numbers(cells: pd.Series, number: np.ndarray, column: str) -> None:
    """A holiday column's numbers are 0 (no), 1, a holiday type's code (2, 3, ...) or a half day's 0.5 (a day
    off): a negative one (-1) says something else, and is refused naming its row rather than read as a day off."""
    odd = np.flatnonzero(np.isfinite(number) & (number < 0))
    if len(odd):
        raise ValueError(f"column {quoted(column)} holds {quoted(cells.iloc[odd[0]])} in data row "
                         f"{data_row(cells, int(odd[0])):,}: a holiday column holds 1 (or a holiday's name or type "
                         "number, or 0.5 for a half day) on public holidays and 0 or nothing on other days")


def said_working_days(times: pd.Series, cells: pd.Series, column: str) -> pd.Series:
    """What the column says of each day it flags: 1 (a working day) or 0 (a day off), indexed by the day's midnight;
    the days it leaves to Monday to Friday are left out."""
    holiday = normalized(column) in HOLIDAY_NAMES
    flags = _flags(cells, column, holiday)
    off_votes = pd.Series(flags if holiday else 1 - flags, index=pd.DatetimeIndex(times).normalize()).dropna()
    off = off_votes.groupby(level=0).mean() >= 0.5  # most of the day's rows say it is off, or half of them
    if holiday:
        return pd.Series(0.0, index=off.index[off])  # the holidays; a holiday column's 0 leaves a day as it was
    return (~off).astype(float)


def working_days(index: pd.DatetimeIndex, said: pd.Series | None) -> np.ndarray:
    """(steps,) 1 on working days: as `said` (said_working_days) says of a step's day, else Monday to Friday."""
    weekdays = (index.day_of_week < 5).astype(float)
    if said is None or said.empty:
        return weekdays
    given = said.reindex(index.normalize()).to_numpy(float)
    return np.where(np.isnan(given), weekdays, given)


# the note on a file with no column of flags
MONDAY_TO_FRIDAY = ("Working days are taken as Monday to Friday (a column called workday, 1 on working days, or "
                    "holiday, 1 or the holiday's name on public holidays, would mark them).")


def days_note(index: pd.DatetimeIndex, workday: np.ndarray, column: str, known: int) -> str:
    """How the working days were read from `column`, in the user's words: the days it changes from Monday to Friday,
    those after the last value (after the first `known` steps: the days to forecast) said apart."""
    changed = changed_days(index, workday)
    ahead = changed[changed.index >= index[known].normalize()] if known < len(index) else changed.iloc[:0]
    listed = ", ".join(f"{day:%Y-%m-%d}" for day in changed.index[:3]) + (", …" if len(changed) > 3 else "")
    return (f"Working days are read from column “{md_text(column)}”: {len(changed):,} day(s) differ from Monday to "
            "Friday"
            + (f" ({listed})" if len(changed) else "")
            + (f", {len(ahead):,} of them after the last value (the days to forecast)." if len(ahead) else "."))


def changed_days(index: pd.DatetimeIndex, workday: np.ndarray) -> pd.Series:
    """The days whose flag (0 or 1, by midnight) is not Monday to Friday's: the file's holidays and weekend work."""
    days = pd.Series(np.asarray(workday[:len(index)], float), index=index[:len(workday)].normalize())
    days = days.groupby(level=0).first()
    return days[days != (days.index.day_of_week < 5)]


def day_after(times: pd.DatetimeIndex, days_off: dict[pd.Timestamp, str]) -> np.ndarray:
    """(steps of a day,) the working-day flags of the day after `times` end: 0 on `days_off` (midnight -> name), else
    Monday to Friday."""
    step = times[-1] - times[-2]
    ahead = pd.date_range(times[-1] + step, periods=int(pd.Timedelta(days=1) / step), freq=step)
    return np.where(ahead.normalize().isin(list(days_off)), 0.0, (ahead.day_of_week < 5).astype(float))


def days_ahead_note(times: pd.DatetimeIndex, flags: np.ndarray, given: int, why: dict[pd.Timestamp, str]) -> str:
    """How each day among the steps ahead (`flags` after `times` end, the first `given` of them the series' own)
    counts, and why: `why` (midnight -> reason) where it names the day, else the series' flags or Monday to Friday."""
    step = times[-1] - times[-2]
    ahead = pd.date_range(times[-1] + step, periods=len(flags), freq=step).normalize()
    said = []
    for day in ahead.unique():
        at = int(np.flatnonzero(ahead == day)[0])
        reason = why.get(day) or ("as the series marks it" if at < given else "Monday to Friday")
        said.append(f"{day:%A %Y-%m-%d} counts as {'a working day' if flags[at] else 'a day off'} ({reason})")
    return "; ".join(said) + "."
