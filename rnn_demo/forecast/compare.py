"""The bundled cells compared on one forecast: the history, the actual values where known, each cell's median and
80% band and the seasonal naive forecast on one plot, and a table of the day's errors with a row per cell and the
naive. Each cell's forecast is `serve.forecast_for`'s, so it is the one the single view shows. `ui/compare.py` wires
these to widgets; tests call them directly.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go

from ..backbone import CELL_LABELS
from .plot import COLOURS, _curve
from .serve import METRIC_COLUMNS, ForecastView, bundled_cells, empty_metrics, forecast_for

CELL_RGB = {"rnn": (44, 160, 44), "gru": (214, 39, 40), "lstm": (148, 103, 189)}  # green, red, purple
BAND_ALPHA = 0.12  # three bands overlap: each is faint, its median line is not
OTHER_RGB = (127, 127, 127)


@dataclass
class ForecastComparison:
    """The bundled cells' forecasts from one origin, ready to show."""

    views: dict[str, ForecastView]  # cell -> its forecast, as serve.forecast_for returns it
    figure: go.Figure  # history, actual (where known), naive, and per cell its 80% band and median
    metrics: pd.DataFrame  # METRIC_COLUMNS; a row per cell, then the naive; no rows past the data's end
    notes: list[str] = field(default_factory=list)


UNADAPTED = ("The cells are compared as they were trained, not adapted to your series (the single forecast above "
             "adapts the chosen cell first, when asked).")


def compare_forecasts(origin: str | None = None, upload: str | None = None, time_column: str | None = None,
                      value_column: str | None = None, temperature_column: str | None = None) -> ForecastComparison:
    """Every bundled cell's forecast of the Victoria series (or an upload, with its temperature column) from `origin`
    (blank: its end), with the plot, table and notes of the comparison. Bad input is refused as `forecast_for`
    refuses it."""
    cells = bundled_cells()
    if not cells:
        raise ValueError("no forecaster is bundled: train one with `python -m rnn_demo train forecast`")
    views = {cell: forecast_for(cell, origin, upload, time_column, value_column, temperature_column=temperature_column)
             for cell in cells}
    notes = comparison_notes(views) + ([UNADAPTED] if upload else [])
    return ForecastComparison(views, comparison_figure(views), comparison_metrics(views), notes)


def _rgb(cell: str, alpha: float = 1.0) -> str:
    return "rgba({}, {}, {}, {})".format(*CELL_RGB.get(cell, OTHER_RGB), alpha)


def _add_band(figure: go.Figure, cell: str, view: ForecastView) -> None:
    """The cell's 80% interval as a faint filled band (the upper quantile, then the lower filled up to it)."""
    label = CELL_LABELS[cell]
    figure.add_trace(_curve(view.frame, "upper", name=f"{label} 80% interval, upper bound", legendgroup=cell,
                            showlegend=False, line={"width": 0}, hoverinfo="skip"))
    figure.add_trace(_curve(view.frame, "lower", name=f"{label} 80% interval", legendgroup=cell, showlegend=False,
                            fill="tonexty", fillcolor=_rgb(cell, BAND_ALPHA), line={"width": 0}, hoverinfo="skip"))


def comparison_figure(views: dict[str, ForecastView]) -> go.Figure:
    """One plot: the history, each cell's band, the naive forecast, the actual values (where known), then each cell's
    median (named "GRU forecast (median)"; clicking it in the legend hides the cell's band too). The history, naive and
    actual values are the first view's: every cell reads the same series from the same origin."""
    first = next(iter(views.values()))
    figure = go.Figure()
    figure.add_trace(_curve(first.frame, "history", name="history", line={"color": COLOURS["history"], "width": 1.5}))
    for cell, view in views.items():
        _add_band(figure, cell, view)
    figure.add_trace(_curve(first.frame, "naive", name="seasonal naive (last week)",
                            line={"color": COLOURS["naive"], "dash": "dot", "width": 1.5}))
    if first.frame["actual"].notna().any():
        figure.add_trace(_curve(first.frame, "actual", name="actual", line={"color": COLOURS["actual"], "width": 2}))
    for cell, view in views.items():
        figure.add_trace(_curve(view.frame, "median", name=f"{CELL_LABELS[cell]} forecast (median)", legendgroup=cell,
                                line={"color": _rgb(cell), "width": 2.2}))
    figure.update_layout(height=460, margin={"l": 50, "r": 20, "t": 30, "b": 40}, hovermode="x unified",
                         yaxis_title=f"demand ({first.unit})", legend={"orientation": "h", "y": -0.15})
    return figure


def comparison_metrics(views: dict[str, ForecastView]) -> pd.DataFrame:
    """The day's errors, METRIC_COLUMNS: a row per cell ("GRU (median, 80% interval)"), then the seasonal naive's
    row (the same for every cell); no rows when the actual values are not known (past the data's end)."""
    first = next(iter(views.values()))
    if first.metrics.empty:
        return empty_metrics()
    rows = []
    for cell, view in views.items():
        row = view.metrics.iloc[[0]].copy()  # the model's row; the second is the naive
        row["forecaster"] = f"{CELL_LABELS[cell]} (median, 80% interval)"
        rows.append(row)
    return pd.concat([*rows, first.metrics.iloc[[1]]], ignore_index=True)[METRIC_COLUMNS]


def comparison_notes(views: dict[str, ForecastView]) -> list[str]:
    """The notes every cell's forecast has, once, in order; then each cell's own notes, named ("**GRU**: ...")."""
    shared = [note for note in next(iter(views.values())).notes if all(note in view.notes for view in views.values())]
    own = [f"**{CELL_LABELS[cell]}**: {note}" for cell, view in views.items() for note in view.notes
           if note not in shared]
    return shared + own
