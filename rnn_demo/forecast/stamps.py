"""An upload's time stamps, read at the wall-clock time they show, and its clock changes settled.

A forecast's calendar features (time of day, day of week) must follow the series' own local day, so a
stamp with a UTC offset (`2024-04-07T02:30:00+11:00`, `...Z`) is read at its wall-clock time (02:30), never
converted to UTC (that would shift a Melbourne series' daily cycle by 10 or 11 hours); the offsets are kept
to explain daylight saving. When the clocks go back, an hour of wall-clock times repeats: each repeated
time keeps the mean of its readings. When they go forward, an hour is missing: it is filled by
interpolation. Dates written day first (13/01/2024) are recognised and read that way; stamps written as intervals
(ENTSO-E's `01.01.2024 00:00 - 01.01.2024 01:00`) are read at their starts, 24:00 as 00:00 of the next day (and
hour-ending stamps at their hours' starts). A time-zone abbreviation after a stamp (EST, "(CET)") is read as its UTC
offset, and numbers as Unix times or Excel's serial days (stamp_forms.py).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..display import counted, data_row, quoted
from .dates import english_months, read_dates
from .stamp_forms import (bare_hours, hour_ending_starts, hours_24, interval_starts, number_stamps, offset_text,
                          zone_offsets)

# trailing UTC offsets, by the characters they take: the 5- and 3-character forms only after a time of day
OFFSET_FORMS = ((6, r"[+-]\d{2}:\d{2}", False), (5, r"[+-]\d{4}", True), (3, r"[+-]\d{2}", True),
                (1, r"[Zz]", False), (3, r"UTC|GMT", False))
ANY_OFFSET = r"(?:[+-]\d{2}(?::?\d{2})?|[Zz]|UTC|GMT)$"
ENDS_WITH_TIME = r"\d:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*$"
LONGEST_OFFSET = 14 * 60  # minutes: UTC offsets in use run from -12:00 to +14:00
ONE_DAY = pd.Timedelta(days=1)


@dataclass
class Stamps:
    """One wall-clock time per row, and what reading them taught."""

    wall: pd.DatetimeIndex  # naive: the time each row shows (NaT where unreadable)
    offsets: np.ndarray | None  # minutes east of UTC per row (NaN where a row has none); None: no row has one
    odd: np.ndarray  # rows whose offset is not part of a clock change (a lone +05:00), or missing among offsets
    notes: list[str]
    ends_read: bool = False  # the stamps were read as ending their intervals (24:00 and no 00:00), a step earlier


def _minutes(offset: str) -> float:
    if offset.upper() in ("Z", "UTC", "GMT"):
        return 0.0
    digits = offset[1:].replace(":", "")
    value = int(digits[:2]) * 60 + int(digits[2:] or 0)
    return float(-value if offset[0] == "-" else value)


def split_offsets(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Each stamp's wall-clock part, and its UTC offset in minutes (NaN where it has none)."""
    wall, found = text.copy(), pd.Series("", index=text.index)
    maybe = text.str[-6:].str.contains(ANY_OFFSET)  # one pass over every row; the forms below on these only
    for size, form, after_time in OFFSET_FORMS:
        rest = text[maybe & (found == "")]
        hit = rest[rest.str[-size:].str.fullmatch(form)]
        if after_time and len(hit):
            hit = hit[hit.str[:-size].str.contains(ENDS_WITH_TIME)]
        wall[hit.index], found[hit.index] = hit.str[:-size].str.rstrip(), hit.str[-size:]
    codes = {code: _minutes(code) for code in found.unique() if code}
    minutes = found.map(codes).astype(float)
    too_far = minutes.abs() > LONGEST_OFFSET
    if too_far.any():
        row = int(np.argmax(too_far.to_numpy()))
        raise ValueError(f"the time stamp in data row {data_row(text, row)} has the UTC offset {found.iloc[row]}: "
                         "offsets run "
                         f"from -12:00 to +14:00 ({quoted(text.iloc[row])})")
    return wall, minutes


def _odd_offsets(wall: pd.DatetimeIndex, offsets: np.ndarray) -> np.ndarray:
    """Rows whose offset breaks the series' pattern: a missing offset among offsets; an offset where most rows have
    none; a short run (under a day) of an offset other than the most common that is no clock change: inside the
    series, or more than an hour away from its neighbours' offset at either end."""
    odd = np.isnan(offsets)
    if odd.mean() > 0.5:
        return ~odd
    rows = np.flatnonzero(~odd)
    instants = wall.asi8[rows] - (offsets[rows] * 60e9).astype(np.int64)
    order = rows[np.argsort(instants, kind="stable")]
    values = offsets[order]
    cuts = np.flatnonzero(np.diff(values) != 0) + 1
    starts, ends = np.concatenate([[0], cuts]), np.concatenate([cuts, [len(order)]])
    usual = pd.Series(values).mode().iloc[0]
    for run, (start, end) in enumerate(zip(starts, ends)):
        if values[start] == usual or wall[order[end - 1]] - wall[order[start]] >= ONE_DAY:
            continue
        neighbours = [values[starts[i]] for i in (run - 1, run + 1) if 0 <= i < len(starts)]
        if len(neighbours) == 2 or abs(values[start] - neighbours[0]) > 60:
            odd[order[start:end]] = True
    return odd


def local_offsets(offsets: np.ndarray, odd: np.ndarray) -> np.ndarray:
    """Each row's offset for ordering the rows in time: odd rows and rows without one take their neighbours'."""
    usual = pd.Series(np.where(odd, np.nan, offsets))
    return usual.ffill().bfill().fillna(0.0).to_numpy()


def _offset_notes(text: pd.Series, offsets: np.ndarray, odd: np.ndarray) -> list[str]:
    missing = np.isnan(offsets)
    first = int(np.argmax(odd)) if odd.any() else 0
    if missing[~odd].all():  # a series without offsets, but for a few rows
        return [f"{int(odd.sum()):,} rows carry a UTC offset while the rest have none, the first in data row "
                f"{data_row(text, first)} ({quoted(text.iloc[first])}): they were read at their own wall-clock time "
                "like the "
                "rest; check those rows."]
    kinds = pd.Series(offsets[~odd]).value_counts().index[:3]
    if list(kinds) == [0.0]:  # UTC throughout (...Z, as APIs give them): its wall clock is no grid's local one
        notes = ["The time stamps are in UTC (offset +00:00 throughout): the days run in UTC, so the daily cycle is "
                 "read in UTC; give local times (or their UTC offsets) to forecast in the grid's local day."]
    else:
        notes = [f"The time stamps carry UTC offsets ({', '.join(offset_text(m) for m in kinds)}): each row is read "
                 "at its own wall-clock time, so the daily cycle stays in local time."]
    if missing.any():
        row = int(np.argmax(missing))
        notes.append(f"{int(missing.sum()):,} rows carry no UTC offset, the first in data row {data_row(text, row)} "
                     f"({quoted(text.iloc[row])}): they were read as wall-clock times like the rest.")
    unusual = odd & ~missing
    if unusual.any():
        row = int(np.argmax(unusual))
        notes.append(f"{int(unusual.sum()):,} rows carry a UTC offset unlike the rows around them, the first in data "
                     f"row {data_row(text, row)} ({quoted(text.iloc[row])}): they were read at their own wall-clock "
                     "time. A "
                     "series from one place changes offset only when its clocks change: check those rows.")
    return notes


EXCEL_MINUTES = re.compile(r"\d{1,2}:\d{2}\.\d")  # 30:00.0: Excel shows a date and time formatted mm:ss.0 so
STAMP_CHARS = 100  # a longer cell is no time stamp: refused before any pattern reads it


def _refuse_excel_minutes(cells: pd.Series, row: int) -> None:
    """A clear error where the stamp in `row` is Excel's mm:ss.0 display (pandas reads 00:00.0 as today's midnight:
    an hourly file of them was "a series needs at least two time stamps")."""
    if EXCEL_MINUTES.fullmatch(str(cells.iloc[row]).strip()):
        raise ValueError(f"the time stamps read like Excel's minutes-and-seconds display ({quoted(cells.iloc[row])} "
                         f"in data row {data_row(cells, row)}): the hours were lost when the file was saved (and the "
                         "dates, where the column held them). In Excel, format the column as a date and time "
                         "(yyyy-mm-dd hh:mm) and save again")


def read_stamps(cells: pd.Series) -> Stamps:
    """The rows' wall-clock times, their UTC offsets and notes; unreadable stamps are a clear error."""
    text = cells.astype(str).str.strip()
    if len(cells):
        _refuse_excel_minutes(cells, 0)
    if (long := text.str.len() > STAMP_CHARS).any():
        row = int(np.argmax(long.to_numpy()))
        raise ValueError(f"the time stamp in data row {data_row(text, row)} has {len(text.iloc[row]):,} characters; "
                         "a time stamp "
                         f"has at most {STAMP_CHARS}: {quoted(text.iloc[row], 60)}")
    text, month_notes = english_months(text)
    text, number_notes = number_stamps(text)
    text, hour_notes = bare_hours(text)
    text, interval_notes = interval_starts(text)
    text, late, late_notes = hours_24(text)
    text, zone_notes = zone_offsets(text)
    wall_text, minutes = split_offsets(text)
    wall, notes = read_dates(wall_text)
    wall = wall + pd.to_timedelta(late.astype(int), unit="D")
    wall, late_notes, ends_read = hour_ending_starts(wall, late, late_notes)
    notes = month_notes + number_notes + hour_notes + interval_notes + late_notes + zone_notes + notes
    if (outside := (wall < pd.Timestamp.min) | (wall > pd.Timestamp.max)).any():  # a mistyped year: 0224
        row = int(np.argmax(outside))
        raise ValueError(f"the time stamp in data row {data_row(cells, row)}, {quoted(cells.iloc[row])}, is outside "
                         "the years "
                         f"{pd.Timestamp.min.year + 1} to {pd.Timestamp.max.year - 1} that a series may span: is its "
                         "year mistyped?")
    wall = wall.as_unit("ns")
    if wall.isna().any():
        row = int(np.argmax(wall.isna()))
        _refuse_excel_minutes(cells, row)
        raise ValueError(f"{counted(int(wall.isna().sum()), 'time stamp')} cannot be read, the first in data row "
                         f"{data_row(cells, row)}: {quoted(cells.iloc[row])}")
    if minutes.isna().all():
        return Stamps(wall, None, np.zeros(len(wall), bool), notes, ends_read)
    offsets = minutes.to_numpy(float)
    odd = _odd_offsets(wall, offsets)
    return Stamps(wall, offsets, odd, notes + _offset_notes(text, offsets, odd), ends_read)


def clock_repeats(table: pd.DataFrame) -> pd.Series:
    """Rows sharing a wall-clock time with different offsets, none odd: the hour repeated when the clocks went
    back. table: time (wall clock), offset (minutes, NaN where none) and odd."""
    shared = table["time"].duplicated(keep=False)
    if not shared.any():
        return shared
    groups = table[shared].groupby("time")
    changed = (groups["offset"].transform("nunique") > 1) & ~groups["odd"].transform("any")
    return changed.reindex(table.index, fill_value=False)


def _span(times: pd.DatetimeIndex, step: pd.Timedelta) -> str:
    return f"{times[0]:%H:%M}-{times[-1] + step:%H:%M}"


def _dates(days: list) -> str:
    others = len(days) - 1
    return f"{days[0]}" + (f" (and {others:,} other date{'s' * (others > 1)})" if others else "")


def _forward_gaps(table: pd.DataFrame, step: pd.Timedelta) -> list[pd.DatetimeIndex]:
    """The wall-clock times skipped where the clocks went forward by a whole number of steps."""
    times, odd = pd.DatetimeIndex(table["time"]), table["odd"].to_numpy()
    jumps = np.diff(table["offset"].to_numpy()) * pd.Timedelta(minutes=1).value  # ns; NaN where unknown
    gaps = []
    for i in np.flatnonzero(jumps > 0) + 1:
        jump = pd.Timedelta(int(jumps[i - 1]))
        if not (odd[i] or odd[i - 1]) and times[i] - times[i - 1] == step + jump and jump % step == pd.Timedelta(0):
            gaps.append(pd.date_range(times[i - 1] + step, times[i] - step, freq=step))
    return gaps


def settle_clocks(table: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """One row per wall-clock time across clock changes, and notes saying what was done in the user's words.

    table: time (sorted), value, offset, odd, and no two rows at the same time and offset. Repeated times
    (clocks back) keep the mean of their readings; times skipped (clocks forward) come back with no value, for
    interpolation, marked in the column `filled`."""
    repeat = clock_repeats(table)
    notes = []
    table = table.assign(filled=False)
    if repeat.any():
        means = table[repeat].groupby("time")["value"].mean()
        table = table[~(repeat & table["time"].duplicated())]
        first = table["time"].isin(means.index) & repeat.reindex(table.index)
        table.loc[first, "value"] = means.reindex(table.loc[first, "time"]).to_numpy()
    times = pd.DatetimeIndex(table["time"])
    if len(times) < 2:
        return table, notes
    step = pd.Timedelta(pd.Series(np.diff(times.asi8)).mode().iloc[0])
    if repeat.any():
        repeated = pd.DatetimeIndex(sorted(means.index))
        days = sorted({stamp.date() for stamp in repeated})
        first_day = repeated[repeated.date == days[0]]
        notes.append(f"The clocks went back on {_dates(days)}: the wall-clock times {_span(first_day, step)} came "
                     "twice that night, and each was kept once with the mean of its two readings.")
    gaps = _forward_gaps(table, step)
    if gaps:
        notes.append(f"The clocks went forward on {_dates([gap[0].date() for gap in gaps])}: the wall-clock times "
                     f"{_span(gaps[0], step)} that never came were filled by interpolation.")
        added = pd.DataFrame({"time": np.concatenate([gap.to_numpy() for gap in gaps]), "value": np.nan,
                              "offset": np.nan, "odd": False, "filled": True})
        table = pd.concat([table, added], ignore_index=True).sort_values("time", kind="stable")
    return table, notes
