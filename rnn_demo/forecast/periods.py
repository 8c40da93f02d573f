"""Series written as a date and a period of the day: GB's settlement periods (`SETTLEMENT_DATE,SETTLEMENT_PERIOD`,
1 to 48, half-hours from midnight), AEMO's `PERIODID`, Grid-India's 96 time blocks, IESO's and MISO's hour ending
(`Date,Hour`, 1 to 24). Each row is read at its period's start, period 1 (or 0, where the numbers start there)
starting at midnight.

A day with an hour of periods more than the others (GB's 50) is a day the clocks went back, and one with an hour
fewer (GB's 46: all of them there, on a Sunday of a month when clocks change, not the file's last) a day they went
forward. Such a file does not say when in the night they did; the month and the periods tell the grid's rule
(`change_minute`): GB's half-hourly settlement periods go forward in March at 01:00, the EU's hourly and
quarter-hourly days go back in October at 03:00, as Australia and New Zealand do in April; the rest change at 02:00
(the US both ways, GB going back, the EU going forward). The rows are read on the wall clock and the day goes on as
any local-time export's: the hour that comes twice keeps its first rows, the hour skipped is filled by
interpolation (stamps.py, rows.py).
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..display import data_row, md_text, quoted
from .dates import read_dates
from .stamps import STAMP_CHARS

MAX_PERIOD_CHARS = 6  # a period's number, as written (1, 48, 96.0)
DAY_MINUTES = 24 * 60


def normalized(name: str) -> str:
    """`SETTLEMENT_PERIOD`, `settlementPeriod`, `Settlement Period` -> "settlement period"."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", str(name).strip())
    return " ".join(re.sub(r"[_\-.]+", " ", spaced).lower().split())


def _whole_numbers(cells: pd.Series, name: str) -> np.ndarray:
    text = cells.str.strip()
    numbers = pd.to_numeric(text.where(text.str.len() <= MAX_PERIOD_CHARS), errors="coerce")
    bad = numbers.isna() | (numbers % 1 != 0) | (numbers < 0) | (numbers > DAY_MINUTES)
    if bad.any():
        row = int(np.argmax(bad.to_numpy()))
        raise ValueError(f"the period in data row {data_row(cells, row)} of column {quoted(name)} is "
                         f"{quoted(cells.iloc[row], 40)}: "
                         f"a period is a whole number from 0 or 1 up to the periods in a day")
    return numbers.to_numpy(np.int64)


def _days(cells: pd.Series, name: str) -> tuple[pd.DatetimeIndex, list[str]]:
    text = cells.str.strip()
    days, notes = read_dates(text.where(text.str.len() <= STAMP_CHARS, ""))
    bad = days.isna() | (days != days.normalize())
    if bad.any():
        row = int(np.argmax(bad))
        raise ValueError(f"the date in data row {data_row(cells, row)} of column {quoted(name)} is "
                         f"{quoted(cells.iloc[row], 40)}: "
                         "beside a period, each row needs a date (2024-01-31) with no time of day")
    return days, notes


def _usual_length(lengths: pd.Series) -> int:
    """The periods in a day: the commonest count of the days' that divides a day into whole minutes (the larger of
    two as common: a short last day must not halve the periods' length)."""
    counts = lengths[DAY_MINUTES % lengths == 0].value_counts()
    if counts.empty:
        raise ValueError(f"no day's periods divide a day into whole minutes (the days have "
                         f"{', '.join(map(str, sorted(lengths.unique())[:5]))} periods)")
    return int(max(counts.items(), key=lambda pair: (pair[1], pair[0]))[0])


CHANGE_MONTHS = (3, 4, 9, 10, 11)  # when clocks go forward: March to April north, September to October south


def _short_changes(lengths: pd.Series, rows: pd.Series, short: int) -> pd.Series:
    """Days read as the clocks going forward: `short` periods, all there, on a Sunday of a month when clocks change,
    and not the file's last day. Any other day that short is a day whose last rows are missing (a gap, a download
    made before midnight), as in countries that never change their clocks."""
    days = pd.DatetimeIndex(lengths.index)
    return ((lengths == short) & (rows == lengths) & (days.day_of_week == 6) & days.month.isin(CHANGE_MONTHS)
            & (days != days.max()))


def change_minute(day: pd.Timestamp, forward: bool, usual: int) -> int:
    """When on `day` the clocks changed, in minutes after midnight on the clock before the change, by the rule of
    the grid whose export has `usual` periods a day: GB's half-hours (48) go forward at 01:00 in March; days that go
    back at 03:00 (02:00 comes twice): the EU's in October (hourly or quarter-hourly), Australia's and New Zealand's
    in April; any other change at 02:00 (the US, GB going back, the EU and the south going forward)."""
    if forward:
        return 60 if usual == 48 and day.month == 3 else 120
    return 180 if (day.month == 10 and usual != 48) or day.month == 4 else 120


def period_times(days: pd.DatetimeIndex, periods: np.ndarray
                 ) -> tuple[pd.DatetimeIndex, int, dict[pd.Timestamp, tuple[int, int]]]:
    """Each row's wall-clock start: its day's midnight plus its period's; on a day the clocks changed, an hour less
    or more from the change on (`change_minute`).

    days (rows,) at midnight; periods (rows,) numbered from 0 or 1. Returns the times, a period's minutes and the
    days read as the clocks' changes (an hour of periods more or fewer than the usual day's, all of them there)
    with their periods and the minute the clocks changed."""
    base = int(periods.min())
    if base > 1:
        raise ValueError(f"the periods start at {base}: they are numbered from 0 or 1, period 1 starting at midnight")
    by_day = pd.DataFrame({"day": days, "period": periods}).groupby("day")["period"]
    lengths = by_day.max() + 1 - base  # periods each day has, counted up to its last
    usual = _usual_length(lengths)
    minutes = DAY_MINUTES // usual
    hour = 60 // minutes if 60 % minutes == 0 else 0  # the periods in an hour (0: periods longer than an hour)
    changed = ((lengths == usual + hour) | _short_changes(lengths, by_day.count(), usual - hour)) & (hour > 0)
    if (longer := (lengths > usual) & ~changed).any():
        day = lengths.index[np.argmax(longer.to_numpy())]
        raise ValueError(f"{day:%Y-%m-%d} has period {int(lengths[day]) - 1 + base}, most days only {usual} periods")
    elapsed = (periods - base) * minutes  # since midnight
    extra = ((lengths - usual) * minutes).where(changed, 0)  # +60: clocks back
    at = pd.Series([change_minute(day, shift < 0, usual) for day, shift in extra.items()], index=extra.index)
    wall = elapsed - np.where(elapsed >= at.reindex(days).to_numpy(), extra.reindex(days).to_numpy(), 0)
    return (days + pd.to_timedelta(wall, unit="min"), minutes,
            {day: (int(lengths[day]), int(at[day])) for day in lengths.index[changed]})


def _change_note(changed: dict[pd.Timestamp, tuple[int, int]], usual: int) -> str:
    days = ", ".join(f"{day:%Y-%m-%d} ({periods} periods: {'back' if periods > usual else 'forward'} at "
                     f"{at // 60:02d}:00)" for day, (periods, at) in list(changed.items())[:4])
    more = f" and {len(changed) - 4:,} other days" if len(changed) > 4 else ""
    return ("A day with an hour of periods more or fewer than the others was read as a day the clocks changed, at the "
            "hour its grid changes them (such a file does not say: the month and the periods tell GB's, the EU's, "
            f"the US's and the south's rules apart), and its rows on the wall clock: {days}{more}.")


def with_periods(frame: pd.DataFrame, date_name: str, period_name: str, notes: list[str]) -> pd.DataFrame:
    """The frame with its date column holding each row's time stamp (from the date and the period), and a note."""
    dates = frame[date_name].astype(str)
    days, date_notes = _days(dates, date_name)
    periods = _whole_numbers(frame[period_name].astype(str), period_name)
    times, minutes, changed = period_times(days, periods)
    notes += date_notes
    notes.append(f"Each row was read from its date (column “{md_text(date_name)}”) and its period of the day "
                 f"(column “{md_text(period_name)}”): {DAY_MINUTES // minutes} periods of {minutes} minutes, "
                 f"period {int(periods.min())} starting at midnight.")
    if changed:
        notes.append(_change_note(changed, DAY_MINUTES // minutes))
    return frame.assign(**{date_name: times.strftime("%Y-%m-%d %H:%M:%S")})
