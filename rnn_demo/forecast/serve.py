"""The forecasting tab's plain functions: bundled forecasters, the Victoria series or an upload, one
forecast with its plot and metrics, and the protocol backtest. `app.py` wires these to widgets."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache, partial
from pathlib import Path

import numpy as np
import pandas as pd

from ..backbone import CELL_LABELS
from ..hub import card_metrics, load_model, pick_device
from .. import model_sources
from .evaluate import backtest, interval_metrics, mase_scale, point_metrics
from .features import min_history
from .infer import Series, forecast_quantiles, interval_of, protocol_series, seasonal_naive
from .model import Forecaster
from .upload import read_series_upload
from ..visitor_hub import VisitorModels

HISTORY_DAYS = 7  # days of history the plot shows before the origin


model_dir = partial(model_sources.model_dir, "forecast")  # model_dir(cell): bundled, or a Hub repo the Space names
bundled_cells = partial(model_sources.available_cells, "forecast")  # bundled_cells(): the cells with a model


@lru_cache(maxsize=None)
def bundled_forecaster(cell: str) -> Forecaster:
    """The bundled forecaster of `cell`, loaded once and shared by every user."""
    if cell not in bundled_cells():
        raise ValueError(f"no bundled forecaster for {cell!r}: choose one of {', '.join(bundled_cells())}")
    return load_model(Forecaster, model_dir(cell), pick_device())


VISITORS = VisitorModels("forecast", lambda directory: load_model(Forecaster, directory, pick_device()))



def forecaster_for(cell: str, loaded: tuple[str, str] | None = None) -> Forecaster:
    """The visitor's Hub forecaster (repo id, commit) if they loaded one, else the bundled one of `cell`."""
    return VISITORS.get(*loaded) if loaded else bundled_forecaster(cell)


victoria = lru_cache(maxsize=1)(protocol_series)  # the Victoria series and its test start, read once


def model_summary(cell: str) -> str:
    """One line of Markdown: the chosen forecaster and its card's backtest MASE and coverage."""
    model = bundled_forecaster(cell)
    metrics, config = card_metrics(model_dir(cell)), model.config
    parameters = sum(p.numel() for p in model.parameters())
    measured = (f"backtest MASE {metrics['mase']:.3f}, 80% interval coverage {metrics['coverage80']:.0%}"
                if "mase" in metrics else "backtest not measured yet")
    return (f"**{CELL_LABELS[cell]}**: {config.num_layers} x {config.hidden_size} units, {parameters:,} parameters; "
            f"{measured} (Victoria, last 8 weeks of 2014).")


@dataclass
class ForecastView:
    """One forecast, ready to show: the plotted frame, the window's metrics (when actuals exist), notes."""

    frame: pd.DataFrame  # time, and one column per curve: history, actual, median, lower, upper, naive
    metrics: pd.DataFrame  # forecaster x (MAE, MAPE, MASE, coverage, width); empty past the data's end
    notes: list[str] = field(default_factory=list)
    unit: str = "series unit"  # of the values: the model's (GW) for the Victoria series


def parse_origin(text: str | None, series: Series, earliest: int) -> int:
    """The origin's index (the first step forecast): blank is the end of the series; otherwise one of its
    time stamps with at least `earliest` steps of history before it."""
    if not text or not str(text).strip():
        return len(series)
    try:
        stamp = pd.Timestamp(str(text).strip())
    except ValueError:
        raise ValueError(f"cannot read {text!r} as a time: use a form like 2014-12-01 00:00") from None
    step = series.times[1] - series.times[0]
    index = int(series.times.searchsorted(stamp))
    if stamp == series.times[-1] + step:
        return len(series)
    if index >= len(series) or series.times[index] != stamp or index < earliest:
        raise ValueError(f"the origin must be a time step of the series from {series.times[min(earliest, len(series) - 1)]} "
                         f"to {series.times[-1] + step} (every {step}); got {stamp}. Leave it blank to forecast "
                         "past the end")
    return index


def forecast_view(series: Series, origin: int, model: Forecaster, scale: float | None) -> ForecastView:
    """Forecast the `horizon` steps from `origin`; actuals, and metrics, where the data reach that far."""
    config = model.config
    median, lower, upper = (a[0] for a in interval_of(model, forecast_quantiles(model, series, np.array([origin]))))
    naive = seasonal_naive(np.concatenate([series.values, np.full(config.horizon, np.nan)]), np.array([origin]),
                           config.horizon, config.week)[0]
    step = series.times[1] - series.times[0]
    start = max(0, origin - HISTORY_DAYS * config.day)
    future = pd.date_range(series.times[0] + origin * step, periods=config.horizon, freq=step)
    history = pd.DataFrame({"time": series.times[start:origin], "history": series.values[start:origin]})
    ahead = pd.DataFrame({"time": future, "median": median, "lower": lower, "upper": upper, "naive": naive})
    known = min(config.horizon, len(series) - origin)
    ahead["actual"] = np.concatenate([series.values[origin:origin + known], np.full(config.horizon - known, np.nan)])
    metrics = pd.DataFrame()
    if known == config.horizon:
        actual = ahead["actual"].to_numpy()
        scale = scale or mase_scale(series.values[:origin], config.week)
        rows = {"model (median, 80% interval)": {**point_metrics(median, actual, scale),
                                                 **interval_metrics(lower, upper, actual)},
                "seasonal naive (last week)": point_metrics(naive, actual, scale)}
        metrics = _metrics_frame(rows)
    return ForecastView(pd.concat([history, ahead], ignore_index=True), metrics, notes=_undefined_metrics(metrics))


def _undefined_metrics(metrics: pd.DataFrame) -> list[str]:
    """Notes for the scaled errors left blank because their denominator is zero."""
    notes = []
    if "MASE" in metrics and metrics["MASE"].isna().all():
        notes.append("MASE is left blank: the series repeats itself exactly from one week to the next before the "
                     "origin, so the naive errors it is scaled by are zero.")
    if "MAPE %" in metrics and metrics["MAPE %"].isna().all():
        notes.append("MAPE is left blank: some actual values are zero, and a percentage of zero is undefined.")
    return notes


def _metrics_frame(rows: dict[str, dict[str, float]]) -> pd.DataFrame:
    frame = pd.DataFrame.from_dict(rows, orient="index").round(4)
    frame = frame.rename(columns={"mae": "MAE", "mape": "MAPE %", "mase": "MASE", "coverage80": "coverage 80%",
                                  "width80": "width 80%"})
    return frame.reset_index(names="forecaster")


def load_upload(path: str, time_column: str | None, value_column: str | None, model: Forecaster) -> tuple[Series, list[str]]:
    """An uploaded series and what the user should know about reading it with `model`."""
    series, notes = read_series_upload(Path(path).read_bytes(), time_column or None, value_column or None)
    config = model.config
    if len(series) < min_history(config.window, config.week):
        raise ValueError(f"the series has {len(series):,} steps; a forecast needs at least "
                         f"{min_history(config.window, config.week):,} (two weeks at the model's step)")
    step = series.times[1] - series.times[0]
    if step != pd.Timedelta(minutes=config.step_minutes):
        notes.append(f"The upload has a step of {step}; the model was trained on {config.step_minutes}-minute steps. "
                     f"It forecasts the next {config.horizon} steps with day and week lags of {config.day} and "
                     f"{config.week} steps, so treat the result with care.")
    notes.append("The model scales the upload by the mean and spread of the week before the origin.")
    return series, notes


def forecast_for(cell: str, origin: str | None = None, upload: str | None = None, time_column: str | None = None,
                 value_column: str | None = None, loaded: tuple[str, str] | None = None) -> ForecastView:
    """The tab's forecast: the Victoria series (or an upload) from `origin` (blank: its end) with `cell`
    (or the visitor's Hub model)."""
    model = forecaster_for(cell, loaded)
    if upload:
        series, notes = load_upload(upload, time_column, value_column, model)
        scale = None
    else:
        (series, test_start), notes = victoria(), []
        scale = mase_scale(series.values[:test_start], model.config.week)
    index = parse_origin(origin, series, min_history(model.config.window, model.config.week))
    view = forecast_view(series, index, model, scale)
    if not upload:
        view.unit = model.config.unit
    if index == len(series):
        notes.append("Forecast past the end of the data: there are no actual values to compare with; "
                     "the days ahead count as working days from Monday to Friday.")
    view.notes = notes + view.notes
    return view


def backtest_table(cell: str, loaded: tuple[str, str] | None = None) -> pd.DataFrame:
    """The protocol backtest of the chosen model beside the seasonal naive baselines, as a table."""
    series, test_start = victoria()
    result = backtest(forecaster_for(cell, loaded), series, test_start)
    name = loaded[0] if loaded else CELL_LABELS[cell]
    return _metrics_frame({f"{name} (median, 80% interval)": result["model"],
                           "seasonal naive, lag 48 (yesterday)": result["seasonal_naive_48"],
                           "seasonal naive, lag 336 (last week)": result["seasonal_naive_336"]})
