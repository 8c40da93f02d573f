"""An upload's rows made one series before its step is read: rows before the first value left out, rows the file
has no row for added (to be filled as blank values are), and a file of several series refused. Each says what it
did in the notes it is given.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .covariates import MOST_FILLED

SHORTEST_STEP = pd.Timedelta(seconds=1)  # the closest two stamps may be (data.step_of)


def from_first_value(table: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """The rows from the first that has a value (a note in `notes` counts those left out before it): filled, they
    would be a flat line the forecast, its errors' scale and an adaptation would read as history."""
    known = table["value"].notna().to_numpy()
    first = int(np.argmax(known)) if known.any() else 0
    if first:
        rows = "row has" if first == 1 else f"{first:,} rows have"
        notes.append(f"The first {rows} no value: the series starts at the first that has one "
                     f"({table['time'].iloc[first]}).")
    return table.iloc[first:]


def values_on_their_steps(table: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """The rows on the steps the values are given on, where those are coarser than the rows' and every row between
    them is blank (RTE's eCO2mix: a row every 15 minutes, the consumption on the half-hour only), with a note; read
    as they stand, the blanks were made up and averaged into the values beside them. Rows sorted by time."""
    known = table["value"].notna().to_numpy()
    if known.sum() < 4 or known.all():
        return table
    times = pd.DatetimeIndex(table["time"]).as_unit("ns").asi8
    row_step = pd.Series(np.diff(times)).mode().iloc[0]
    step = pd.Series(np.diff(times[known])).mode().iloc[0]
    if row_step <= 0 or step <= row_step or step % row_step:
        return table
    on_step = (times - times[known][0]) % step == 0
    if not on_step[known].all():
        return table
    minutes = [pd.Timedelta(int(gap)) / pd.Timedelta(minutes=1) for gap in (step, row_step)]
    notes.append(f"The values are given every {minutes[0]:g} minutes, on rows every {minutes[1]:g} minutes (the rows "
                 f"between them blank): the series was read in {minutes[0]:g}-minute steps.")
    return table[on_step]


DAY, HOUR = pd.Timedelta(days=1).value, pd.Timedelta(hours=1).value  # ns
BACK_MONTHS = (3, 4, 9, 10, 11)  # the south's clocks go back in March or April (Chile's too), the north's in autumn
CLOCK_SEASON = 150 * DAY  # clocks go back once a year: two back-steps are at least this far apart
RUN_ROWS = 12  # a spacing holds where this many rows in a row keep it (a day-long outage is one gap)


def _spacing(ns: int) -> str:
    minutes = ns / 60e9
    return f"{minutes:g} minutes" if minutes < 1440 else f"{minutes / 1440:g} day(s)"


def check_one_spacing(times: np.ndarray, gaps: np.ndarray) -> None:
    """A clear error where the rows change their spacing for good (hourly, then every 15 minutes from a date on, as
    European market exports did on 2025-10-01): the file starts in one spacing and ends in another, each holding
    for a day or more and RUN_ROWS gaps at least; read in one step, the other part's rows would be made up or
    refused. times (rows,) sorted, gaps (rows - 1,) between."""
    ns = gaps.astype("timedelta64[ns]").astype(np.int64)
    starts = np.r_[0, np.flatnonzero(ns[1:] != ns[:-1]) + 1]  # where each run of one spacing starts
    ends = np.r_[starts[1:], len(ns)]
    runs = [(start, end) for start, end in zip(starts, ends)
            if end - start >= RUN_ROWS and (end - start) * ns[start] >= DAY and ns[start] > 0]
    if not runs or runs[0][0] != 0 or runs[-1][1] != len(ns) or ns[runs[0][0]] == ns[runs[-1][0]]:
        return  # the same spacing at both ends: a stretch of another inside is rows missing (or step_of refuses)
    first, last = runs[0], runs[-1]
    parts = [f"{_spacing(ns[start])} apart from {pd.Timestamp(times[start])} to {pd.Timestamp(times[end])}"
             for start, end in (first, last)]
    raise ValueError(f"the rows are {parts[0]}, and {parts[1]}: the file changes its spacing. Upload a part of one "
                     "spacing (or average the finer rows into the coarser steps first)")


def with_missing_rows(table: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """The rows the file leaves out added (times whole steps apart, the step the most common one), their values to
    be filled as blank cells are (marked `filled`; a note in `notes` counts them), so that a row missing is read as
    a blank value is (an hour skipped when the clocks went forward in local times without offsets, a logger's
    outage); counted before any is made, and refused where they would be most of the series. Spacing that is no
    whole number of steps is left for `step_of` to refuse."""
    times = table["time"].to_numpy()
    gaps = np.diff(times)
    if len(gaps) < 2:
        return table
    check_one_spacing(times, gaps)
    step = pd.Series(gaps).mode().iloc[0]
    if step < SHORTEST_STEP or (gaps % step).any() or (gaps <= step).all():
        return table  # step_of names what is wrong (under a second apart, the counts below could overflow)
    missing = (gaps // step - 1).astype(int)  # rows left out after each row
    known = np.flatnonzero(table["value"].notna().to_numpy())
    missing[known[-1] if len(known) else 0:] = 0  # among the steps to forecast a gap is the visitor's to fill
    added = int(missing.sum())
    if added > MOST_FILLED * (len(times) + added):
        minutes = pd.Timedelta(step) / pd.Timedelta(minutes=1)
        longest = int(np.argmax(missing))
        raise ValueError(f"{added:,} of the series' {len(times) + added:,} steps ({minutes:g} minutes apart) have no "
                         "row in the file: the forecast would read values made up for most of it. The rows were read "
                         f"from {pd.Timestamp(times[0])} to {pd.Timestamp(times[-1])}, the longest gap after "
                         f"{pd.Timestamp(times[longest])}: if those are not the file's dates, they were misread (write "
                         "them as 2024-03-01 00:00); else upload a part with fewer gaps")
    after = np.repeat(np.arange(len(gaps)), missing)  # the row each added one follows
    nth = np.arange(added) - np.repeat(np.cumsum(missing) - missing, missing) + 1
    rows = pd.DataFrame({"time": times[after] + nth * step, "value": np.nan, "offset": np.nan, "odd": False,
                         "filled": True})
    longest = int(np.argmax(missing))
    notes.append(f"{added:,} time stamps had no row in the file (the longest gap: {missing[longest]:,} after "
                 f"{pd.Timestamp(times[longest])}): their values were filled by linear interpolation between their "
                 "neighbours.")
    return pd.concat([table, rows], ignore_index=True).sort_values("time", kind="stable", ignore_index=True)


# the time stamps that may repeat with another value: an hour told twice when the clocks went back (local times
# without offsets: 12 of 5-minute steps), or a tenth of the series
MOST_DISAGREEING, AN_HOUR_TOLD_TWICE = 0.1, 12


def check_one_series(table: pd.DataFrame, repeated: pd.Series) -> None:
    """A clear error where many time stamps repeat with other values: the file holds several series one after
    another (two regions of an AEMO or EIA download, say), which keeping the first of each would splice."""
    again = table[repeated]
    first = table[~repeated].drop_duplicates("time").set_index("time")["value"].reindex(again["time"]).to_numpy()
    differ = ~np.isclose(again["value"].to_numpy(float), first, equal_nan=True)
    stamps = again["time"][differ]
    if stamps.nunique() > max(MOST_DISAGREEING * table["time"].nunique(), AN_HOUR_TOLD_TWICE):
        row = again[differ].iloc[0]
        raise ValueError(f"{stamps.nunique():,} time stamps come more than once with different values (the first, "
                         f"{row['time']}: {first[differ][0]:.6g} and {row['value']:.6g}): the file holds several "
                         "series (regions or sources, say); upload the rows of one")


def local_clock_backs(times: pd.Series) -> np.ndarray:
    """Where a file of local times without UTC offsets tells an hour twice as its clocks went back: the hour's first
    time (ns) at each step back, in the file's order, where every step back is an hour less a step (01:30 then
    01:00, every 30 minutes), at most one a day; empty where the file goes back otherwise (then it is unsorted)."""
    t = pd.DatetimeIndex(times).as_unit("ns").asi8
    gaps = np.diff(t)
    back, forward = np.flatnonzero(gaps < 0), gaps[gaps > 0]
    if len(forward) and pd.Series(forward).mode().iloc[0] == HOUR:  # hourly: the hour told twice is a gap of 0
        back = np.union1d(back, _hour_told_twice(t, np.flatnonzero(gaps == 0)))
    if not len(back) or not len(forward) or len(back) * DAY > t.max() - t.min() + DAY:
        return np.array([], dtype=np.int64)
    step = pd.Series(forward).mode().iloc[0]
    return t[back + 1] if (t[back] - t[back + 1] == HOUR - step).all() else np.array([], dtype=np.int64)


def _hour_told_twice(t: np.ndarray, repeats: np.ndarray) -> np.ndarray:
    """Which of the rows before `repeats` (an hourly file's stamps told twice in a row, `t` in ns) lie where clocks go
    back: a Sunday from 00:00 to 03:00 (the US's 01:00, the EU's 02:00) or a Saturday's 23:00 (Chile's), in a
    month clocks go back in (BACK_MONTHS), at most one a CLOCK_SEASON; elsewhere a repeated row is a repeated row
    (weekly exports joined at Sunday 00:00 repeat it every week)."""
    stamps = pd.DatetimeIndex(t[repeats + 1])
    night = ((stamps.day_of_week == 6) & (stamps.hour <= 3)) | ((stamps.day_of_week == 5) & (stamps.hour == 23))
    found = repeats[np.asarray(night & stamps.month.isin(BACK_MONTHS))]
    return found if len(found) <= (t.max() - t.min()) / CLOCK_SEASON + 1 else found[:0]


def clock_back_note(starts: np.ndarray) -> str:
    """What a user is told of the hours `local_clock_backs` found."""
    first = pd.Timestamp(int(starts[0]))
    others = len(starts) - 1
    return (f"The clocks went back on {first:%Y-%m-%d}{f' (and {others:,} other dates)' if others else ''}: the "
            f"wall-clock times {first:%H:%M}-{first + pd.Timedelta(hours=1):%H:%M} came twice that night, and the "
            "first reading of each was kept (the file gives no UTC offsets to tell them apart).")


def in_clock_backs(times: pd.Series, starts: np.ndarray) -> np.ndarray:
    """Which of `times` lie in an hour `local_clock_backs` found (`starts`, sorted, ns)."""
    t = pd.DatetimeIndex(times).as_unit("ns").asi8
    before = np.searchsorted(starts, t, side="right") - 1  # the last start at or before each time
    return (before >= 0) & (t < starts[np.maximum(before, 0)] + HOUR)
