"""The forecast origin a visitor types: read as a time (an offset, if it has one, set into the series' own
wall-clock time) and found among the series' time steps, with a clear error that names the valid range."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..display import quoted
from .infer import Series
from .stamps import offset_text

ORIGIN_CHARS = 64  # the origin box's limit: any time stamp fits
MINUTE = pd.Timedelta(minutes=1)
AMBIGUOUS = re.compile(r"\s*0?([1-9]|1[0-2])[/.]0?([1-9]|1[0-2])[/.]\d")  # day and month, either way round


def _origin_stamp(text: str) -> pd.Timestamp:
    """The origin as typed, read as a time: a clear error for anything else, and for a date that reads as two
    (5/6/2014: 5 June or 6 May)."""
    if len(text) > ORIGIN_CHARS:
        raise ValueError(f"the origin has {len(text):,} characters; at most {ORIGIN_CHARS} are read: use a form like "
                         "2014-12-01 00:00")
    if (both := AMBIGUOUS.match(text)) and both[1] != both[2]:
        raise ValueError(f"{quoted(text)} reads as day {both[1]} of month {both[2]} or as month {both[1]}, day "
                         f"{both[2]}: write the origin year first, as in 2014-12-01 00:00")
    try:
        stamp = pd.Timestamp(text)
    except (ValueError, TypeError, OverflowError):
        stamp = pd.NaT
    if pd.isna(stamp):
        raise ValueError(f"cannot read {quoted(text)} as a time: use a form like 2014-12-01 00:00")
    return stamp


def _in_local_time(stamp: pd.Timestamp, series: Series) -> tuple[pd.Timestamp, list[str]]:
    """An origin with a UTC offset as a wall-clock time of the series: the step at the same instant, each step's
    instant read with its own offset, so that an origin across a clock change lands where it happened (a step the
    series filled in, with no offset of its own, at its nearest neighbour's); the time as written if the stamps have
    no offsets."""
    wall = stamp.tz_localize(None)
    if series.offsets is None or np.isnan(series.offsets).all():
        return wall, [f"The origin's UTC offset ({offset_text(stamp.utcoffset() / MINUTE)}) was set aside: this "
                      "series' time stamps have none, so the origin is read as the wall-clock time "
                      f"{wall:%Y-%m-%d %H:%M}."]
    known = np.flatnonzero(~np.isnan(series.offsets))  # steps with an offset (not one the series filled in)
    instants = series.times[known] - pd.to_timedelta(series.offsets[known], unit="min")  # those steps in UTC
    utc, step = wall - stamp.utcoffset(), series.times[1] - series.times[0]
    if len(same := np.flatnonzero(instants == utc)):
        local = series.times[known[same[0]]]
    elif known[-1] == len(series) - 1 and utc == instants[-1] + step:  # the step after the series: past its end
        local = series.times[-1] + step
    else:  # no step with an offset at that instant: read at the nearest one's (a filled-in step, or out of range)
        nearest = known[min(int(instants.searchsorted(utc)), len(known) - 1)]
        local = utc + pd.Timedelta(minutes=series.offsets[nearest])
    if local == wall:
        return wall, []
    return local, [f"The origin {stamp.isoformat()} is {local:%Y-%m-%d %H:%M} in the series' own time "
                   f"(UTC{offset_text((local - utc) / MINUTE)}): the forecast starts there."]


def locate_origin(text: str | None, series: Series, earliest: int) -> tuple[int, list[str]]:
    """The origin's index (the first step forecast) and notes: blank is the end of the series; otherwise one of
    its time stamps with at least `earliest` steps of history before it. A time with a UTC offset is compared
    in the series' wall-clock time."""
    if not text or not str(text).strip():
        return len(series), []
    stamp, notes = _origin_stamp(str(text).strip()), []
    if stamp.tz is not None:
        stamp, notes = _in_local_time(stamp, series)
    step = series.times[1] - series.times[0]
    if stamp == series.times[-1] + step:
        return len(series), notes
    try:
        index = int(series.times.searchsorted(stamp))
        found = index < len(series) and series.times[index] == stamp and index >= earliest
    except (ValueError, TypeError, OverflowError):  # a time finer than the series' resolution, or out of range
        found = False
    if not found and earliest >= len(series):  # history for the end only
        raise ValueError(f"this series allows one origin, its end ({series.times[-1] + step}): a forecast reads "
                         f"{earliest:,} steps before its origin and the series has {len(series):,}; got {stamp}. Leave "
                         "the box blank")
    if not found:
        raise ValueError(f"the origin must be a time step of the series from {series.times[earliest]} to "
                         f"{series.times[-1] + step} (every {every(step)}); got {stamp}. Leave it blank to forecast "
                         "past the end")
    return index, notes


def every(step: pd.Timedelta) -> str:
    """A series' step in words: "30 minutes", "hour", "2 hours" (pandas writes "0 days 00:30:00")."""
    minutes = step.total_seconds() / 60
    if minutes % 60:
        return f"{minutes:g} minutes" if minutes != 1 else "minute"
    return f"{minutes / 60:g} hours" if minutes != 60 else "hour"


def parse_origin(text: str | None, series: Series, earliest: int) -> int:
    """The origin's index alone (see `locate_origin`)."""
    return locate_origin(text, series, earliest)[0]
