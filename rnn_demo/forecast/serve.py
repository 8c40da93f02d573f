"""The forecasting tab's plain functions: bundled forecasters, the Victoria series or an upload, one
forecast with its plot and metrics, and the protocol backtest. `ui/forecast_tab.py` wires these to widgets."""
from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from ..backbone import CELL_LABELS
from ..devices import pick_device, runs_on
from ..hub import card_metrics, load_model
from ..runtime import UPLOAD_WORK
from ..shelf import ModelShelf
from .evaluate import (backtest, interval_metrics, mase_scale, point_metrics, seen_in_training,
                       validation_days_of)
from .days_off import day_after, days_ahead_note
from .features import extend_times, min_history
from .infer import PROTOCOL_UNIT, Series, forecast_quantiles, interval_of, protocol_series, seasonal_naive
from .adapt import MODEL_ROW, Adaptation, adaptation_notes, naive_rows
from .model import STEPS, VISITOR_LIMITS, ForecastConfig, Forecaster
from .origin import locate_origin
from .upload import read_series_upload

HISTORY_DAYS = 7  # days of history the plot shows before the origin


def load_forecaster(directory: Path) -> Forecaster:
    """The forecaster in `directory`, on the device this process serves from."""
    return load_model(Forecaster, directory, pick_device())


# The bundled forecasters, loaded once and shared by every user, and the visitors' Hub forecasters:
# SHELF.for_cell(cell, loaded)
SHELF = ModelShelf("forecast", load_forecaster, VISITOR_LIMITS)
# The oracle-temperature forecasters (models/forecast-temperature-<cell>): the temperature track, for the Victoria
# series beside the primary model (temperature.py) and for uploads that give the coming day's temperature
TEMPERATURE_SHELF = ModelShelf("forecast-temperature", load_forecaster, VISITOR_LIMITS)
VISITORS = SHELF.visitors
model_dir = SHELF.model_dir  # model_dir(cell): bundled, or a Hub repo the Space names
bundled_cells = SHELF.cells  # bundled_cells(): the cells with a model


# The day after the Victoria data, which a forecast past their end reads: New Year's Day 2015, a public holiday in
# Victoria, a day off as the data mark 2014's (its WorkDay is 0 on 2014-01-01); Monday to Friday made it a workday.
DAYS_OFF_AFTER = {pd.Timestamp("2015-01-01"): "New Year's Day, a public holiday in Victoria"}


@lru_cache(maxsize=1)
def victoria() -> tuple[Series, int]:
    """The Victoria series and its test start, read once; its working days run on through the day after the data."""
    series, test_start = protocol_series()
    workday = np.concatenate([series.workday[:len(series)], day_after(series.times, DAYS_OFF_AFTER)])
    return replace(series, workday=workday), test_start


def model_summary(cell: str) -> str:
    """One line of Markdown: the chosen forecaster and its card's backtest MASE and coverage."""
    model = SHELF.bundled(cell)
    metrics, config = card_metrics(model_dir(cell)), model.config
    parameters = model.num_parameters()
    measured = (f"backtest MASE {metrics['mase']:.3f}, 80% interval coverage {metrics['coverage80']:.0%}"
                if "mase" in metrics else "backtest not measured yet")
    return (f"**{CELL_LABELS[cell]}**: {config.num_layers} x {config.hidden_size} units, {parameters:,} parameters; "
            f"{measured} (Victoria, last 8 weeks of 2014). {runs_on(model)}")


@dataclass
class ForecastView:
    """One forecast, ready to show: the plotted frame, the window's metrics (when actuals exist), notes."""

    frame: pd.DataFrame  # time, and one column per curve: history, actual, median, lower, upper, naive
    metrics: pd.DataFrame  # forecaster x (MAE, MAPE, MASE, coverage, width); empty past the data's end
    notes: list[str] = field(default_factory=list)
    unit: str = "series unit"  # of the values: GW for the Victoria series


MODEL_LABEL = "model (median, 80% interval)"


def forecast_view(series: Series, origin: int, model: Forecaster, scale: float | None,
                  label: str = MODEL_LABEL) -> ForecastView:
    """Forecast the `horizon` steps from `origin`; actuals, and metrics, where the data reach that far."""
    config = model.config
    median, lower, upper = (a[0] for a in interval_of(model, forecast_quantiles(model, series, np.array([origin]))))
    notes = _forecast_checks(series, origin, median, lower, min_history(config.window, config.week))
    view = day_view(series, origin, config, (median, lower, upper), label, scale)
    view.notes = notes + view.notes
    return view


def day_view(series: Series, origin: int, config: ForecastConfig, shown: tuple[np.ndarray, ...], label: str,
             scale: float | None) -> ForecastView:
    """The shown forecast (median, lower, upper: (horizon,) each) from `origin` beside the last-week naive, with the
    actual values and the day's metrics where the data reach that far."""
    median, lower, upper = shown
    naive = naive_day(series, origin, config.horizon, config.week)
    step = series.times[1] - series.times[0]
    start = max(0, origin - HISTORY_DAYS * config.day)
    future = pd.date_range(series.times[0] + origin * step, periods=config.horizon, freq=step)
    history = pd.DataFrame({"time": series.times[start:origin], "history": series.values[start:origin]})
    ahead = pd.DataFrame({"time": future, "median": median, "lower": lower, "upper": upper, "naive": naive})
    known = min(config.horizon, len(series) - origin)
    ahead["actual"] = np.concatenate([series.values[origin:origin + known], np.full(config.horizon - known, np.nan)])
    metrics = empty_metrics()
    if known == config.horizon:
        actual = ahead["actual"].to_numpy()
        scale = scale or mase_scale(series.values[:origin], config.week)
        rows = {label: {**point_metrics(median, actual, scale), **interval_metrics(lower, upper, actual)},
                "seasonal naive (last week)": point_metrics(naive, actual, scale)}
        metrics = metrics_frame(rows)
    notes = _undefined_metrics(metrics)
    if 0 < known < config.horizon:
        notes.append(f"The data end {known} of the day's {config.horizon} steps after the origin: its metrics need "
                     "every step, so the table is left empty.")
    return ForecastView(pd.concat([history, ahead], ignore_index=True), metrics, notes=notes)


def naive_day(series: Series, origin: int, horizon: int, lag: int) -> np.ndarray:
    """(horizon,): the seasonal naive forecast of `lag` from `origin`, which may be the series' end."""
    padded = np.concatenate([series.values, np.full(horizon, np.nan)])  # so that the steps past the end index
    return seasonal_naive(padded, np.array([origin]), horizon, lag)[0]


def adapted_view(series: Series, origin: int, adaptation: Adaptation) -> ForecastView:
    """The forecast `adaptation` chose to show from `origin`: the adapted model's, or the better naive's with an 80%
    interval from that naive's held-out errors; notes say which and why."""
    model = adaptation.model
    if adaptation.shown == MODEL_ROW:
        view = forecast_view(series, origin, model, None, MODEL_ROW)
    else:
        naive = naive_day(series, origin, model.config.horizon, naive_rows(model.config)[adaptation.shown])
        low, high = adaptation.naive_errors
        view = day_view(series, origin, model.config, (naive, naive + low, naive + high),
                        f"{adaptation.shown}, 80% interval from its held-out errors", None)
    view.notes = adaptation_notes(adaptation, series, origin) + view.notes
    return view


def _forecast_checks(series: Series, origin: int, median: np.ndarray, lower: np.ndarray, span: int) -> list[str]:
    """A clear error if the forecast is not a number anywhere (nothing would be plotted there); a note if it goes
    below zero for a series that never does. `span`: the steps before the origin the model reads."""
    read = slice(max(0, origin - span), origin)
    largest = int(np.argmax(np.abs(series.values[read]))) + read.start
    if not (np.isfinite(median).all() and np.isfinite(lower).all()):
        raise ValueError(f"the forecast from {series.times[min(origin, len(series) - 1)]} is not a number: the values "
                         f"the model read are too large to compute with (the largest: {series.values[largest]:.6g} at "
                         f"{series.times[largest]}). Rescale the series, or correct that value")
    noise = 1e-6 * max(float(np.median(np.abs(series.values))), 1e-3)  # float32's rounding, no forecast below zero
    if series.values.min() >= 0 and min(median.min(), lower.min()) < -noise:
        return [f"The forecast goes below zero (the median down to {median.min():.4g}, the 80% interval's lower bound "
                f"to {lower.min():.4g}) although the series never does: check the values the model read before the "
                f"origin (the largest: {series.values[largest]:.6g} at {series.times[largest]}), and treat this "
                "forecast with care."]
    return []


def _undefined_metrics(metrics: pd.DataFrame) -> list[str]:
    """Notes for the scaled errors left blank because their denominator is zero."""
    notes = []
    if metrics.empty:
        return notes
    if "MASE" in metrics and metrics["MASE"].isna().all():
        notes.append("MASE is left blank: the series repeats itself exactly from one week to the next before the "
                     "origin, so the naive errors it is scaled by are zero.")
    if "MAPE %" in metrics and metrics["MAPE %"].isna().all():
        notes.append("MAPE is left blank: some actual values are zero, and a percentage of zero is undefined.")
    return notes


METRIC_NAMES = {"mae": "MAE", "mape": "MAPE %", "mase": "MASE", "coverage80": "coverage 80%", "width80": "width 80%",
                "interval_score80": "interval score 80%"}
METRIC_COLUMNS = ["forecaster", *METRIC_NAMES.values()]


def empty_metrics() -> pd.DataFrame:
    """A metrics table with no rows, under its real headers."""
    return pd.DataFrame(columns=METRIC_COLUMNS)


def metrics_frame(rows: dict[str, dict[str, float]]) -> pd.DataFrame:
    frame = pd.DataFrame.from_dict(rows, orient="index").round(4).round({"mape": 2})  # a percentage: 2 decimals
    return frame.rename(columns=METRIC_NAMES).reset_index(names="forecaster")


def load_upload(path: str, time_column: str | None, value_column: str | None, model: Forecaster,
                temperature_column: str | None = None, with_temperature: Forecaster | None = None
                ) -> tuple[Series, Forecaster, list[str]]:
    """An uploaded series, the model for it in the series' step (half-hourly or hourly: Forecaster.for_step, any
    other step refused by name) and what the user should know about reading it. The model is `with_temperature`
    (a temperature-track forecaster) where the upload gives the temperature up to the coming day's, else `model`."""
    series, notes = read_series_upload(Path(path).read_bytes(), time_column or None, value_column or None,
                                       temperature_column or None)
    model, why = _model_for(series, model, with_temperature)
    notes += why
    model = model.for_step(series.step_minutes)
    config = model.config
    if len(series) < min_history(config.window, config.week):
        raise ValueError(f"the series has {len(series):,} steps; a forecast needs at least "
                         f"{min_history(config.window, config.week):,} (two weeks of {STEPS[config.step_minutes]} "
                         "steps)")
    notes.append("The model scales the upload by the mean and spread of the week before the origin.")
    return series, model, notes


def temperature_model(cell: str, loaded: tuple[str, str] | None) -> Forecaster | None:
    """The temperature-track forecaster an upload with the coming day's temperature gets: `cell`'s where one is
    bundled (none for a visitor's own Hub model)."""
    return TEMPERATURE_SHELF.bundled(cell) if not loaded and cell in TEMPERATURE_SHELF.cells() else None


def _model_for(series: Series, model: Forecaster, with_temperature: Forecaster | None
               ) -> tuple[Forecaster, list[str]]:
    """The forecaster an upload gets, and a note on the temperature when it has some."""
    ahead = series.temperature is not None and len(series.temperature) > len(series)
    if model.config.reads_temperature:  # a visitor's own temperature-track model
        if not ahead:
            raise ValueError("this forecaster reads the temperature: upload a temperature column with the coming "
                             "day's temperatures in the rows after the last value")
        return model, []
    if series.temperature is None:
        return model, []
    if ahead and with_temperature is not None:
        return with_temperature, ["Your series gives the temperature, the coming day's too: the forecast is the "
                                  "temperature-aware model's (trained with the observed temperature of each day)."]
    return model, ["The temperature column is not used: " + ("no temperature-aware model is bundled." if ahead else
                   "it gives no temperature for the steps to forecast (the rows after the last value).")]


def forecast_for(cell: str, origin: str | None = None, upload: str | None = None, time_column: str | None = None,
                 value_column: str | None = None, loaded: tuple[str, str] | None = None,
                 adaptation: Adaptation | None = None, temperature_column: str | None = None, *,
                 model: Forecaster | None = None) -> ForecastView:
    """The tab's forecast: the Victoria series (or an upload) from `origin` (blank: its end) with `cell`
    (or the visitor's Hub model); for an upload, the model adapted to it if `adaptation` is given (adapt.py). An
    upload's work waits its turn (runtime.UPLOAD_WORK), the model found before it (`model`, if the caller found it
    already; a visitor's evicted one is reloaded in the background, never under the lock)."""
    # `model`: found already (an adaptation's, whatever the shared cache did while it ran)
    model = model if model is not None else SHELF.for_cell(cell, loaded)
    with UPLOAD_WORK if upload else nullcontext():
        return _forecast_view(model, cell, origin, upload, (time_column, value_column, temperature_column), loaded,
                              adaptation)


def _forecast_view(model: Forecaster, cell: str, origin: str | None, upload: str | None,
                   columns: tuple[str | None, ...], loaded: tuple[str, str] | None,
                   adaptation: Adaptation | None) -> ForecastView:
    if upload:
        series, model, notes = load_upload(upload, *columns[:2], model, columns[2], temperature_model(cell, loaded))
        scale = None
    else:
        (series, test_start), notes = victoria(), []
        model = model.for_step(series.step_minutes)  # a visitor's hourly model reads the half-hourly series
        scale = mase_scale(series.values[:test_start], model.config.week)
    index, origin_notes = locate_origin(origin, series, min_history(model.config.window, model.config.week))
    notes += origin_notes
    if not upload and model.config.reads_temperature:  # a visitor's temperature-track model, on Victoria
        check_observed_day(series, index, model.config.horizon, "this model")
        notes.append("This model reads the temperature observed on the day it forecasts, standing in for a weather "
                     "forecast (an oracle: a real forecast in hand would do a little worse).")
    if upload and adaptation is not None:
        view = adapted_view(series, index, adaptation)
    else:
        view = forecast_view(series, index, model, scale)
    if not upload:
        view.unit = PROTOCOL_UNIT  # the series' own, whatever a visitor's model says (a model trained here has none)
    if index == len(series):
        flags = extend_times(series.times, series.workday, model.config.horizon)[1][len(series):]
        notes.append("Forecast past the end of the data: there are no actual values to compare with. "
                     + days_ahead_note(series.times, flags, len(series.workday) - len(series),
                                       {} if upload else DAYS_OFF_AFTER))
    elif not upload and loaded is None and (seen := seen_in_training(
            series, index, test_start, model.config.day, validation_days_of(model_dir(cell)))):
        notes.append(seen)
    view.notes = notes + view.notes
    return view


def check_observed_day(series: Series, index: int, horizon: int, reader: str) -> None:
    """A forecast from `index` that reads the temperature observed on the day it forecasts (`reader`: the oracle
    model, or a visitor's temperature-track one) needs that day in the series: past its last whole day, a ValueError
    names the last origin that has it."""
    last = len(series) - horizon
    if index > last:
        raise ValueError(f"{reader} needs the observed temperature of the day it forecasts, which the series gives up "
                         f"to its last whole day: choose an origin up to {series.times[last]:%Y-%m-%d %H:%M}")


def backtest_table(cell: str, loaded: tuple[str, str] | None = None) -> pd.DataFrame:
    """The protocol backtest of the chosen model beside the seasonal naive baselines, as a table."""
    series, test_start = victoria()
    model = SHELF.for_cell(cell, loaded).for_step(series.step_minutes)
    result = backtest(model, series, test_start)
    name, day, week = loaded[0] if loaded else CELL_LABELS[cell], model.config.day, model.config.week
    oracle = ", reading the observed temperature" if model.config.reads_temperature else ""  # a visitor's model
    return metrics_frame({f"{name} (median, 80% interval{oracle})": result["model"],
                           f"seasonal naive, lag {day} (yesterday)": result[f"seasonal_naive_{day}"],
                           f"seasonal naive, lag {week} (last week)": result[f"seasonal_naive_{week}"]})
