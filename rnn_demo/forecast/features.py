"""What the forecaster reads: windows of past demand, lagged demand and the calendar, as arrays.

One sample is the sequence of the `window` steps before a forecast origin followed by the `horizon`
steps after it. At every step the model sees (in this order, the config's `features`):
the demand (0 after the origin), whether it was observed, the demand one day and one week
earlier (always observed, since horizon <= one day), time of day and day of week as sine and cosine,
and the working-day flag; a model of the temperature track (the protocol's second, "oracle temperature") also reads
the temperature, its day's mean and its day's maximum, known for the forecast day too. Demand is scaled by each window's own mean and standard deviation, so a
model trained on gigawatts forecasts a series in megawatts too.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

FEATURES = ("demand", "observed", "demand_day_before", "demand_week_before", "time_of_day_sin", "time_of_day_cos",
            "day_of_week_sin", "day_of_week_cos", "workday")
# The second track's known inputs (an oracle for a weather forecast): the temperature at each step, and its calendar
# day's mean and maximum (a forecast day's are known with the day's temperatures), in degrees Celsius scaled by a
# scale around a center (the config's temperature_scale and temperature_center; these are the bundled models').
TEMPERATURE_FEATURES = ("temperature", "temperature_day_mean", "temperature_day_max")
TEMPERATURE_CENTER, TEMPERATURE_SCALE = 18.0, 8.0
TEMPERATURE_SCALING = (TEMPERATURE_CENTER, TEMPERATURE_SCALE)


def temperature_rows(times: pd.DatetimeIndex, temperature: np.ndarray,
                     scaling: tuple[float, float] = TEMPERATURE_SCALING) -> np.ndarray:
    """(steps, 3): the temperature at each step, its calendar day's mean and maximum (TEMPERATURE_FEATURES), each
    as (°C - center) / scale, `scaling` = (center, scale)."""
    frame = pd.DataFrame({"t": np.asarray(temperature, float)}, index=times)
    by_day = frame["t"].groupby(times.normalize())
    rows = np.stack([frame["t"].to_numpy(), by_day.transform("mean").to_numpy(), by_day.transform("max").to_numpy()], 1)
    return (rows - scaling[0]) / scaling[1]


def calendar(times: pd.DatetimeIndex, workday: np.ndarray) -> np.ndarray:
    """(steps, 5): time of day and day of week as sine and cosine, and the working-day flag."""
    day = 2 * np.pi * (times.hour * 60 + times.minute).to_numpy() / 1440
    week = 2 * np.pi * times.day_of_week.to_numpy() / 7
    return np.stack([np.sin(day), np.cos(day), np.sin(week), np.cos(week), np.asarray(workday, float)], 1)


def known_rows(times: pd.DatetimeIndex, workday: np.ndarray, temperature: np.ndarray | None,
               features: list[str] | tuple[str, ...],
               scaling: tuple[float, float] = TEMPERATURE_SCALING) -> np.ndarray:
    """(steps, 5 or 8): what is known at each of `times` ahead of time, in the order of `features`: the calendar, and
    for a temperature-track model the temperature rows (NaN past the end of `temperature`, where none was given),
    scaled by `scaling` (the config's temperature_center and temperature_scale)."""
    rows = calendar(times, workday)
    if "temperature" not in features:
        return rows
    if temperature is None:
        raise ValueError("this forecaster reads the temperature (the oracle-temperature track): the series has none")
    known = np.full(len(times), np.nan)
    known[:min(len(times), len(temperature))] = np.asarray(temperature, float)[:len(times)]
    return np.concatenate([rows, temperature_rows(times, known, scaling)], 1)


def extend_times(times: pd.DatetimeIndex, workday: np.ndarray, steps: int) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """The time stamps and working days continued `steps` steps past the end. `workday` may run past the stamps (the
    coming days' flags: a public holiday ahead marked 0); where it stops, the rest of its last day keeps that day's
    flag (a flag is a day's: a file that marks tomorrow off in its first row, or ends at noon on a holiday), and the
    days after are Monday to Friday."""
    step = times[-1] - times[-2]
    future = pd.date_range(times[-1] + step, periods=steps, freq=step)
    ahead = (future.day_of_week < 5).astype(float)
    given = np.asarray(workday[len(times):len(times) + steps], dtype=float)
    ahead[:len(given)] = given
    if len(given):
        last_day, last_flag = future[len(given) - 1], given[-1]
    else:
        last_day, last_flag = times[-1], float(workday[len(times) - 1])
    ahead[(np.arange(steps) >= len(given)) & (future.normalize() == last_day.normalize())] = last_flag
    return times.append(future), np.concatenate([np.asarray(workday[:len(times)], dtype=float), ahead])


def min_history(window: int, week: int) -> int:
    """Steps of history a forecast origin needs: the window, and a week before its first step."""
    return window + week


def window_scale(past: np.ndarray) -> np.ndarray:
    """(windows, steps) -> (windows,): the standard deviation, floored so that a flat window scales sanely."""
    return past.std(1) + 1e-3 * np.abs(past).mean(1) + 1e-8


def window_inputs(values: np.ndarray, calendar_rows: np.ndarray, origins: np.ndarray, window: int, horizon: int,
                  day: int, week: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Model inputs for forecasts made at `origins` (indices into `values`: the first step not seen).

    values (steps,) may end before origin + horizon; calendar_rows (steps + horizon at least, 5).
    Returns x (origins, window + horizon, features), and each window's center and scale (origins,)."""
    if horizon > day:
        raise ValueError(f"the horizon ({horizon}) cannot exceed one day ({day} steps): day-before demand must be known")
    origins = np.asarray(origins)
    if origins.min() < min_history(window, week):
        raise ValueError(f"a forecast needs {min_history(window, week):,} steps of history before its origin")
    positions = origins[:, None] + np.arange(-window, horizon)[None]  # (origins, window + horizon)
    past = values[positions[:, :window]]  # (origins, window)
    center, scale = past.mean(1), window_scale(past)
    observed = positions < origins[:, None]
    padded = np.concatenate([values, np.zeros(horizon)])  # so that future positions index safely

    def scaled(index: np.ndarray) -> np.ndarray:
        return (padded[index] - center[:, None]) / scale[:, None]

    x = np.concatenate([
        np.stack([np.where(observed, scaled(positions), 0.0), observed.astype(float),
                  scaled(positions - day), scaled(positions - week)], -1),
        calendar_rows[positions]], -1)
    return x.astype(np.float32), center, scale  # x: (origins, window + horizon, features)


def window_targets(values: np.ndarray, origins: np.ndarray, horizon: int, center: np.ndarray,
                   scale: np.ndarray) -> np.ndarray:
    """The scaled actual values after each origin, (origins, horizon)."""
    positions = np.asarray(origins)[:, None] + np.arange(horizon)[None]
    return ((values[positions] - center[:, None]) / scale[:, None]).astype(np.float32)


def midnights(times: pd.DatetimeIndex, start: int, end: int) -> np.ndarray:
    """Indices in [start, end) whose time stamp is midnight: the day-ahead forecast origins."""
    index = np.arange(start, end)
    at_midnight = (times[start:end].hour == 0) & (times[start:end].minute == 0)
    return index[np.asarray(at_midnight)]
