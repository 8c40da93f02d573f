"""A series finer than a forecaster reads (5, 10 or 15 minutes: many grid operators publish these) averaged into the
steps it reads (model.STEPS), as pandas' `resample(...).mean()` with left labels would, but keeping only whole spans.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .model import STEPS


def read_step(step: pd.Timedelta) -> int | None:
    """The step (minutes, one of STEPS) a series of `step` is averaged into: the shortest that a whole number of
    its steps fills. None where the series is read as it is (its step is one of STEPS) or cannot be averaged into
    one (for_step then refuses it by name)."""
    if step % pd.Timedelta(minutes=1) == pd.Timedelta(0) and step // pd.Timedelta(minutes=1) in STEPS:
        return None
    return next((minutes for minutes in sorted(STEPS)
                 if step < pd.Timedelta(minutes=minutes) and pd.Timedelta(minutes=minutes) % step == pd.Timedelta(0)),
                None)


def span_means(times: pd.DatetimeIndex, columns: dict[str, np.ndarray], minutes: int,
               whole: tuple[str, ...] = ()) -> tuple[pd.DatetimeIndex, dict[str, np.ndarray], int]:
    """Each span of `minutes` on the clock (:00 and :30 for half-hours) that the series covers whole, as one step.

    times (n,): regular and finer than `minutes`, which a whole number of its steps fills. A span's column is the
    mean of its steps' values, NaN left out (NaN where all are); the columns named in `whole` are NaN in a span
    where any of its values is NaN. Returns the spans' start times, their columns and how many steps at the ends
    fell in a span the series does not cover whole (they are left out)."""
    per_span = int(pd.Timedelta(minutes=minutes) // (times[1] - times[0]))
    spans, inverse, counts = np.unique(times.floor(f"{minutes}min").to_numpy(), return_inverse=True,
                                       return_counts=True)
    kept = counts == per_span  # only the first and last span can be short
    means = {}
    for name, values in columns.items():
        values = np.asarray(values, dtype=float)
        given = ~np.isnan(values)
        totals = np.bincount(inverse, weights=np.where(given, values, 0.0), minlength=len(spans))
        present = np.bincount(inverse, weights=given.astype(float), minlength=len(spans))
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = totals / present  # NaN where none is given
        if name in whole:
            mean[present < counts] = np.nan
        means[name] = mean[kept]
    return pd.DatetimeIndex(spans[kept]), means, int(counts[~kept].sum())


def averaged_note(step: pd.Timedelta, minutes: int, left_out: int) -> str:
    """What the user is told of a series averaged into `minutes` steps."""
    seconds = step.total_seconds()
    step_text = f"{seconds / 60:g}-minute" if seconds >= 60 else f"{seconds:g}-second"
    span = STEPS[minutes].removesuffix("ly")  # half-hour, hour
    note = (f"The series' {step_text} steps were averaged into {span}s, the steps the forecaster reads (each {span} "
            f"the mean of the values stamped inside it, in the file's unit).")
    if left_out:
        note += f" {left_out:,} step(s) at the ends, in {'an' if span == 'hour' else 'a'} {span} the file does not " \
                "cover whole, were left out."
    return note
