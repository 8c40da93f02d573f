"""The temperature track in the Forecasting tab: on the Victoria series, the day's forecast of the primary model and
of the oracle-temperature model of the same cell side by side, against the actual demand, with the temperature.

The oracle-temperature models (models/forecast-temperature-<cell>) read the observed temperature of the day they
forecast, standing in for a weather forecast: the page labels them so.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..backbone import CELL_LABELS
from .evaluate import interval_metrics, mase_scale, point_metrics
from .features import min_history
from .infer import forecast_quantiles, interval_of
from .origin import locate_origin
from .serve import (SHELF, TEMPERATURE_SHELF, ForecastView, check_observed_day, forecast_view, metrics_frame,
                    victoria)

ORACLE_LABEL = "with oracle temperature (median, 80% interval)"
ORACLE_NOTE = ("The oracle-temperature forecast reads the temperature observed on the day it forecasts, standing in "
               "for a weather forecast (the protocol's second track): a real forecast in hand would do a little worse.")


def oracle_cell(cell: str) -> str:
    """The cell whose oracle-temperature model goes beside `cell`'s: the same one where it is bundled."""
    cells = TEMPERATURE_SHELF.cells()
    if not cells:
        raise ValueError("no oracle-temperature forecaster is bundled with this app")
    return cell if cell in cells else cells[0]


def oracle_view(cell: str, origin: str | None = None) -> ForecastView:
    """The Victoria series from `origin` (blank: its last complete day, which has actual values and temperatures):
    `cell`'s primary forecast, the oracle-temperature one beside it, the day's metrics for both, the temperature."""
    (series, test_start), model = victoria(), TEMPERATURE_SHELF.bundled(oracle_cell(cell))
    config = model.config
    last_day = len(series) - config.horizon  # the oracle needs the day's temperatures: the data's last whole day
    index, notes = locate_origin(origin or str(series.times[last_day]), series, min_history(config.window, config.week))
    check_observed_day(series, index, config.horizon, "the oracle-temperature forecast")
    view = forecast_view(series, index, SHELF.bundled(cell), mase_scale(series.values[:test_start], config.week),
                         label=f"{CELL_LABELS[cell]} (median, 80% interval)")  # the bundled cell's, by name
    median, lower, upper = (a[0] for a in interval_of(model, forecast_quantiles(model, series, np.array([index]))))
    future = view.frame["median"].notna().to_numpy()
    for column, values in (("median_temperature", median), ("lower_temperature", lower),
                           ("upper_temperature", upper)):
        view.frame[column] = np.nan
        view.frame.loc[future, column] = values
    times = view.frame["time"]
    view.frame["temperature"] = series.temperature[series.times.get_indexer(pd.DatetimeIndex(times))]
    actual = series.values[index:index + config.horizon]
    scale = mase_scale(series.values[:test_start], config.week)
    rows = {f"{CELL_LABELS[oracle_cell(cell)]} {ORACLE_LABEL}": {**point_metrics(median, actual, scale),
                                                                 **interval_metrics(lower, upper, actual)}}
    view.metrics = pd.concat([metrics_frame(rows), view.metrics], ignore_index=True)
    view.unit = config.unit
    view.notes = notes + [ORACLE_NOTE] + view.notes
    return view
