"""The forecast origin a visitor types: read as a time (an offset, if it has one, set into the series' own
wall-clock time) and found among the series' time steps, with a clear error that names the valid range."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..display import quoted
from .infer import Series
from .stamps import offset_text

ORIGIN_CHARS = 64  # the origin box's limit: any time stamp fits


def _origin_stamp(text: str) -> pd.Timestamp:
    """The origin as typed, read as a time: a clear error for anything else."""
    if len(text) > ORIGIN_CHARS:
        raise ValueError(f"the origin has {len(text):,} characters; at most {ORIGIN_CHARS} are read: use a form like "
                         "2014-12-01 00:00")
    try:
        stamp = pd.Timestamp(text)
    except (ValueError, TypeError, OverflowError):
        stamp = pd.NaT
    if pd.isna(stamp):
        raise ValueError(f"cannot read {quoted(text)} as a time: use a form like 2014-12-01 00:00")
    return stamp


def _in_local_time(stamp: pd.Timestamp, series: Series) -> tuple[pd.Timestamp, list[str]]:
    """An origin with a UTC offset as a wall-clock time of the series: its own wall-clock time if the series has no
    offsets or the same one there, else the same instant at the series' offset."""
    wall = stamp.tz_localize(None)
    given = stamp.utcoffset() / pd.Timedelta(minutes=1)
    known = series.offsets[~np.isnan(series.offsets)] if series.offsets is not None else np.array([])
    if not len(known):
        return wall, [f"The origin's UTC offset ({offset_text(given)}) was set aside: this series' time stamps have "
                      f"none, so the origin is read as the wall-clock time {wall:%Y-%m-%d %H:%M}."]
    index = min(int(series.times.searchsorted(wall)), len(series) - 1)
    local = series.offsets[index] if not np.isnan(series.offsets[index]) else known[-1]
    if local == given:
        return wall, []
    moved = wall + pd.Timedelta(minutes=local - given)
    return moved, [f"The origin {stamp.isoformat()} is {moved:%Y-%m-%d %H:%M} in the series' own time "
                   f"(UTC{offset_text(local)}): the forecast starts there."]


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
    if not found:
        raise ValueError(f"the origin must be a time step of the series from {series.times[min(earliest, len(series) - 1)]} "
                         f"to {series.times[-1] + step} (every {step}); got {stamp}. Leave it blank to forecast "
                         "past the end")
    return index, notes


def parse_origin(text: str | None, series: Series, earliest: int) -> int:
    """The origin's index alone (see `locate_origin`)."""
    return locate_origin(text, series, earliest)[0]
