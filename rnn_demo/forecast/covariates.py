"""What an uploaded series says beyond its values: gaps, the steps to forecast, and a temperature column.

Blank values are never filled silently. Gaps inside the series are filled by linear interpolation between their
neighbours, and a note says how many, unless they are most of it (MOST_FILLED: an error); rows before the first
value are left out (data.py). Rows after the last value are the
steps to forecast: their value stays blank, and a temperature given in them is the coming day's (the usual way to
pass a weather forecast of a known-future input), which a temperature-aware model reads. A temperature column is
degrees Celsius: values that look like Fahrenheit or Kelvin, or no temperature where a value is, are clear errors;
gaps in it are filled like the values', with a note, unless they are most of it (MOST_FILLED): an error too.
"""
from __future__ import annotations

import numpy as np

TEMPERATURE_COLUMNS = ("temperature", "temp", "temperature_c", "air_temperature", "t2m")  # tried when none is named
CELSIUS_RANGE = (-60.0, 60.0)  # what a temperature in degrees Celsius can plausibly be, anywhere people live
MOST_FILLED = 0.5  # the share of the series' values, or of its temperatures, that may be missing (and filled)


def fill_inside(values: np.ndarray, filled: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(values with the gaps before the last value filled, which rows come after the last value (the steps to
    forecast, left blank), notes). `filled` marks rows added for a clock change (interpolated, said elsewhere).
    More than MOST_FILLED of the values before the last missing is an error."""
    missing = np.isnan(values)
    known = np.flatnonzero(~missing)
    future = np.arange(len(values)) > known[-1]
    inside = missing & ~future
    if inside.sum() > MOST_FILLED * (~future).sum():
        raise ValueError(f"{int(inside.sum()):,} of the series' {int((~future).sum()):,} values are missing: the "
                         f"forecast would read values made up for most of it. Upload the part that has values")
    if inside.any():
        values = values.copy()
        values[inside] = np.interp(np.flatnonzero(inside), known, values[known])
    notes = []
    if (inside & ~filled).any():
        notes.append(f"{int((inside & ~filled).sum()):,} missing values were filled by linear interpolation between "
                     "their neighbours.")
    if future.any():
        notes.append(f"{int(future.sum()):,} row(s) after the last value have no value: they are read as the steps "
                     "to forecast (the forecast starts after the last value).")
    return values, future, notes


def _unit_problem(known: np.ndarray) -> str | None:
    """Why the known temperatures do not read as degrees Celsius, or None."""
    middle = float(np.median(known))
    if middle > 150:
        return (f"the temperature column reads like Kelvin (median {middle:.1f}): give degrees Celsius "
                "(subtract 273.15)")
    if middle > 45 or known.max() > CELSIUS_RANGE[1] and middle > 30:
        return (f"the temperature column reads like Fahrenheit (median {middle:.1f}): give degrees Celsius "
                "((°F - 32) x 5 / 9)")
    outside = known[(known < CELSIUS_RANGE[0]) | (known > CELSIUS_RANGE[1])]
    if outside.size:
        return (f"{outside.size:,} temperatures lie outside {CELSIUS_RANGE[0]:g} to {CELSIUS_RANGE[1]:g} °C (the "
                f"first: {outside[0]:.6g}): give degrees Celsius, and leave unknown ones blank")
    return None


def checked_temperature(temperature: np.ndarray, future: np.ndarray) -> tuple[list[float], list[str]]:
    """The temperature column (°C, NaN where blank) checked and filled: (its values, notes). `future` marks the
    steps to forecast, whose temperatures must all be given (or none of them: then there is no coming day's)."""
    missing = np.isnan(temperature)
    known = temperature[~missing]
    if known.size == 0:
        raise ValueError("the temperature column is empty: fill it in degrees Celsius, or leave the column out")
    problem = _unit_problem(known)
    if problem:
        raise ValueError(problem)
    notes, ahead = [], missing & future
    if ahead.any() and not ahead[future].all():
        raise ValueError(f"{int(ahead.sum()):,} of the {int(future.sum()):,} rows after the last value have no "
                         "temperature: give the coming day's temperature in each of them")
    if future.any() and ahead[future].all():
        notes.append("The rows after the last value give no temperature: the forecast cannot use the temperature.")
    inside = missing & ~future
    if inside.sum() > MOST_FILLED * (~future).sum():
        raise ValueError(f"{int(inside.sum()):,} of the series' {int((~future).sum()):,} rows have no temperature: the "
                         f"model would read temperatures made up for most of them. Fill at least "
                         f"{1 - MOST_FILLED:.0%} of them, or leave the column out")
    if inside.any():
        temperature, given = temperature.copy(), np.flatnonzero(~missing)
        temperature[inside] = np.interp(np.flatnonzero(inside), given, temperature[given])
        ends = int(inside[:given[0]].sum() + inside[given[-1] + 1:].sum())  # before the first given, after the last
        notes.append(f"{int(inside.sum()):,} missing temperatures were filled by linear interpolation between their "
                     "neighbours" + (f" ({ends:,} of them, before the first temperature given or after the last, with "
                                     "the nearest one)." if ends else "."))
    return temperature.tolist(), notes
