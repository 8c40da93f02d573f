"""The protocol's rolling day-ahead backtest: a forecast at every midnight of the test window, scored with
MAE, MAPE, MASE and the 80% interval's coverage and width, beside the seasonal naive baselines."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ..training import read_training_record
from .features import midnights
from .infer import Series, forecast_quantiles, interval_of, seasonal_naive
from .model import Forecaster


PRIMARY, ORACLE = "primary", "oracle temperature"  # the protocol's two tracks (benchmarks.md)
# The protocol's reference figures on the same 56 origins (benchmarks.md: HistGradientBoosting, refit at every origin;
# cited, not measured here): MAE (GW), MAPE (%), MASE, by track.
REFERENCES = {PRIMARY: {"model": "HistGradientBoosting on lags and the calendar", "mae": 0.2209, "mape": 4.94,
                        "mase": 0.629},
              ORACLE: {"model": "HistGradientBoosting on lags, the calendar and the temperature", "mae": 0.1475,
                       "mape": 3.31, "mase": 0.420}}
# what the reference reads, for a card's reader who has no benchmarks.md (the Hub's)
_LAGS_AND_CALENDAR = ("the demand at lags of 48, 96, 144, 336 and 672 half-hours, the previous day's mean, maximum "
                      "and minimum, the mean of the previous 7 daily means, the last value, the half-hour, day of week "
                      "and day of year, and the working-day flag of the target and the previous day")
REFERENCE_INPUTS = {PRIMARY: _LAGS_AND_CALENDAR,
                    ORACLE: _LAGS_AND_CALENDAR + "; and the temperature at the target's time, the forecast day's mean, "
                                                 "maximum and minimum temperature and the previous day's mean"}


def track_of(config) -> str:
    """The protocol track a forecaster belongs to: the oracle-temperature one if it reads the temperature."""
    return ORACLE if config.reads_temperature else PRIMARY


def mase_scale(train_values: np.ndarray, lag: int = 336) -> float:
    """In-sample MAE of the seasonal naive forecast with `lag` on the training part: MASE's denominator."""
    return float(np.abs(train_values[lag:] - train_values[:-lag]).mean())


def point_metrics(forecast: np.ndarray, actual: np.ndarray, scale: float) -> dict[str, float]:
    """MAE (series unit), MAPE (percent, over the nonzero actual values) and MASE over all forecast steps.

    Undefined figures (no nonzero actual value; a zero MASE scale, as for a constant series) are NaN."""
    error = np.abs(forecast - actual)
    nonzero = actual != 0
    mape = float(100 * (error[nonzero] / np.abs(actual[nonzero])).mean()) if nonzero.any() else float("nan")
    return {"mae": float(error.mean()), "mape": mape, "mase": float(error.mean() / scale) if scale > 0 else float("nan")}


def interval_metrics(lower: np.ndarray, upper: np.ndarray, actual: np.ndarray) -> dict[str, float]:
    """The share of actual values inside the 80% interval [lower, upper], its mean width, and its mean interval score
    (Winkler's: the width, plus 2 / 0.2 times how far an actual value falls outside; lower is better)."""
    outside = np.maximum(lower - actual, 0) + np.maximum(actual - upper, 0)
    return {"coverage80": float(((actual >= lower) & (actual <= upper)).mean()), "width80": float((upper - lower).mean()),
            "interval_score80": float((upper - lower + outside / 0.1).mean())}


def test_origins(series: Series, test_start: int, horizon: int) -> np.ndarray:
    """Every midnight of the test window whose whole forecast day lies inside the series."""
    return midnights(series.times, test_start, len(series) - horizon + 1)


VALIDATION_DAYS = 28  # the training part's last days, held out: the checkpoint is chosen on them, and ...
CALIBRATION_DAYS = 14  # ... the last of them calibrate the interval (the days before choose the checkpoint)


def validation_days_of(model: str | Path) -> int:
    """The days held out of a local model's training (its training record), else VALIDATION_DAYS."""
    return read_training_record(model).get("validation_days", VALIDATION_DAYS)


def calibration_days_of(model: str | Path) -> int:
    """The days a local model's interval was calibrated on (its training record; before calibration_days was
    recorded, the whole hold-out calibrated it), else CALIBRATION_DAYS."""
    record = read_training_record(model)
    return record.get("calibration_days", record.get("validation_days", VALIDATION_DAYS)) if record else \
        CALIBRATION_DAYS


def seen_in_training(series: Series, origin: int, test_start: int, day: int, validation_days: int) -> str | None:
    """What a forecast of the protocol `series` from `origin` should say when that day was not unseen by a model
    trained on the series' training part (`validation_days` of it held out), else None."""
    if origin >= test_start:
        return None
    unseen = f"the backtest's test weeks (from {series.times[test_start]:%Y-%m-%d}) were never seen"
    if origin < test_start - validation_days * day:
        return f"This day is in the bundled models' training data, so its errors flatter them: {unseen}."
    return (f"This day is in the {validation_days} days held out of training that chose the bundled model's "
            f"checkpoint or calibrated its interval, so its errors or coverage flatter it: {unseen}.")


def calibration_check(model: Forecaster, series: Series, test_start: int, days: int) -> dict:
    """The 80% interval on the `days` days before the test window (the days of the training part's hold-out it was
    calibrated on): its coverage, width and interval score there, at each midnight."""
    config = model.config
    origins = midnights(series.times, test_start - days * config.day, test_start - config.horizon + 1)
    actual = series.values[origins[:, None] + np.arange(config.horizon)[None]]
    _, lower, upper = interval_of(model, forecast_quantiles(model, series, origins))
    return {"days": int(origins.size), **{k: round(v, 4) for k, v in interval_metrics(lower, upper, actual).items()}}


def backtest(model: Forecaster, series: Series, test_start: int) -> dict:
    """The model and the baselines on the same origins; metrics rounded for reading, as one JSON-ready dict. The
    model reads the series in its own steps: callers give it the series' (Forecaster.for_step)."""
    horizon = model.config.horizon
    origins = test_origins(series, test_start, horizon)
    if origins.size == 0:
        raise ValueError("the test window holds no complete day to forecast")
    actual = series.values[origins[:, None] + np.arange(horizon)[None]]  # (origins, horizon)
    scale = mase_scale(series.values[:test_start], model.config.week)
    started = time.perf_counter()
    median, lower, upper = interval_of(model, forecast_quantiles(model, series, origins))
    seconds = time.perf_counter() - started
    result = {"model": {**point_metrics(median, actual, scale), **interval_metrics(lower, upper, actual)}}
    for lag in (model.config.day, model.config.week):  # 48 and 336 for half-hourly data
        result[f"seasonal_naive_{lag}"] = point_metrics(seasonal_naive(series.values, origins, horizon, lag), actual, scale)
    result = {name: {k: round(v, 4) for k, v in metrics.items()} for name, metrics in result.items()}
    first, last = series.times[origins[0]], series.times[origins[-1]]
    return {"track": track_of(model.config), **result, "origins": int(origins.size), "horizon": horizon, "first_origin": str(first),
            "last_origin": str(last), "mase_scale": round(scale, 5), "forecast_seconds": round(seconds, 4)}
