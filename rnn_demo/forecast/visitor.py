"""The forecasting task's part of the Train tab (plugin.VisitorTraining): a visitor's series CSV read as the
forecasting tab reads it, and a small forecaster built on it (its last days held out by the task itself), trained by
the shared job (visitor_training/job.py); its interval is calibrated before each save."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch

from ..plugin import ColumnRole, VisitorTraining
from ..visitor_training.data import PREVIEW_ROWS, Built, Prepared
from .adapt import HOLDOUT_DAYS, holdout_start
from .covariates import TEMPERATURE_COLUMNS
from .days_off import changed_days
from .evaluate import mase_scale
from .features import FEATURES, TEMPERATURE_FEATURES
from .infer import Series, forecast_quantiles, interval_of
from .model import ForecastConfig, Forecaster
from .train import ForecastTask, conformal_widening
from .column_names import TIME_COLUMNS, VALUE_COLUMNS
from .upload import MAX_ROWS, read_series_upload

CALIBRATING_DAYS = HOLDOUT_DAYS // 2  # a visitor's forecaster: the held-out days' second half calibrates the interval
SIZES = {"tiny": {"hidden_size": 16}, "small": {"hidden_size": 32}}


def series_upload(path: str | Path, time_column: str | None, value_column: str | None,
                  temperature_column: str | None = None) -> Prepared:
    """A series CSV, read as the forecasting tab reads it (half-hourly or hourly, finer steps averaged into those,
    with its temperature where it has a column for it); its last days are held out by the forecasting task itself
    (adapt.HOLDOUT_DAYS), so it needs as many days as adapting does."""
    series, notes = read_series_upload(Path(path).read_bytes(), time_column, value_column, temperature_column)
    config = ForecastConfig().for_step(series.step_minutes)
    start = holdout_start(series, config, "training a forecaster")
    if not mase_scale(series.values[:start], config.week):
        raise ValueError("the series repeats itself exactly from one week to the next before its held-out days (or "
                         "never changes): last week's values already forecast it, a model has nothing to learn, and "
                         "its error on the scale of last week's (MASE) is undefined")
    summary = {"steps": len(series), "step (minutes)": config.step_minutes, "training steps": start,
               "held-out days": f"{HOLDOUT_DAYS}: the first {HOLDOUT_DAYS - CALIBRATING_DAYS} choose the checkpoint, "
                                f"the last {CALIBRATING_DAYS} calibrate the interval",
               "from": str(series.times[0]), "to": str(series.times[-1]),
               "temperature": "read (°C): the model learns from it" if series.temperature is not None else "none",
               "working days": _working_days(series)}
    preview = [[str(t), f"{v:.6g}"] for t, v in zip(series.times[:PREVIEW_ROWS], series.values[:PREVIEW_ROWS])]
    return Prepared("forecast", series, None, summary, preview, notes)


def _working_days(series: Series) -> str:
    """The summary's line on the working days: Monday to Friday, or how many days the file marks otherwise."""
    changed = changed_days(series.times, series.workday)
    return f"{len(changed):,} day(s) marked otherwise by the file" if len(changed) else "Monday to Friday"


def read_series(path: str | Path, columns: dict[str, str | None]) -> Prepared:
    return series_upload(path, columns.get("time"), columns.get("value"), columns.get("temperature"))


def build_forecaster(prepared: Prepared, cell: str, size: str, device: str) -> Built:
    series = prepared.train
    features = [*FEATURES, *(TEMPERATURE_FEATURES if series.temperature is not None else ())]
    config = ForecastConfig(cell=cell, unit="", features=features, **SIZES[size]).for_step(series.step_minutes)
    start = holdout_start(series, config, "training a forecaster")
    config.train_mean, config.train_std = float(series.values[:start].mean()), float(series.values[:start].std())
    # the held-out days' first half chooses the checkpoint (and gives the card's figures), the second calibrates the
    # interval: calibrated on the days that chose, it came out narrow on new days (adapt.CALIBRATING_DAYS)
    calibration = start + (HOLDOUT_DAYS - CALIBRATING_DAYS) * config.day
    task = ForecastTask(series, config, start, batch_size=32, device=device, calibration_start=calibration)
    scale = mase_scale(series.values[:start], config.week)

    def score(model: Forecaster) -> tuple[float, float]:  # the pinball loss and the median's MASE
        quantiles = forecast_quantiles(model, series, task.selection_origins, calibrated=False)
        median, _, _ = interval_of(model, quantiles)
        error = np.abs(median - task.actual(task.selection_origins)).mean()
        return task.quantile_loss(quantiles), float(error / scale) if scale else math.nan

    def calibrate(model: torch.nn.Module) -> None:  # the 80% interval, widened on the held-out days that chose nothing
        model.config.interval_widening = conformal_widening(model, task)

    return Built(Forecaster(config), task, score, before_save=calibrate)


def bench_file(folder: Path) -> Path:
    """`bench train`'s series: the protocol's training part (2014 up to its test window), half-hourly demand."""
    import pandas as pd

    from .infer import protocol_series

    series, test_start = protocol_series()
    path = folder / "victoria-train.csv"
    pd.DataFrame({"time": series.times[:test_start], "demand": series.values[:test_start]}).to_csv(path, index=False)
    return path


VISITOR = VisitorTraining(
    upload="a series CSV of times and values (a day-ahead forecaster, half-hourly or hourly; finer steps are averaged)",
    what="a day-ahead forecaster with an 80% interval", task_type="time-series-forecasting",
    metric="MASE", metric_type="mase",
    columns=(ColumnRole("time", "Time column", TIME_COLUMNS), ColumnRole("value", "Value column", VALUE_COLUMNS),
             ColumnRole("temperature", "Temperature column (°C, optional)", TEMPERATURE_COLUMNS,
                        optional=True)),
    preview_headers=("time", "value"), sizes=SIZES, read=read_series, build=build_forecaster, hub_file="series.csv",
    max_rows=MAX_ROWS, sample="demand-half-hourly.csv", bench_file=bench_file)
