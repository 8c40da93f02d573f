"""The forecast plot: recent history, the median forecast, its 80% band, the seasonal naive forecast
and, where known, the actual values; interactive (zoom, pan, hover) through plotly."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

# the history in light grey, so that the actual demand (near black) stands apart from it (a UX review)
COLOURS = {"history": "#a0a0a0", "actual": "#111111", "median": "#d62728", "band": "rgba(214, 39, 40, 0.18)",
           "naive": "#1f77b4", "oracle": "#2ca02c", "oracle_band": "rgba(44, 160, 44, 0.18)", "temperature": "#ff7f0e"}


def _curve(frame: pd.DataFrame, column: str, **style) -> go.Scatter:
    """One column's known (finite) points as a trace, in plain lists (readable by any client of the API)."""
    known = frame[np.isfinite(frame[column].to_numpy(float))]
    times = [stamp.isoformat() for stamp in known["time"]]
    return go.Scatter(x=times, y=known[column].astype(float).tolist(), **style)


HISTORY_SHOWN = pd.Timedelta(days=2)


def forecast_figure(frame: pd.DataFrame, unit: str = "GW") -> go.Figure:
    """frame: `time` and the columns history, median, lower, upper, naive, actual (NaN where absent)."""
    figure = go.Figure()
    figure.add_trace(_curve(frame, "history", name="history", line={"color": COLOURS["history"], "width": 1.5}))
    figure.add_trace(_curve(frame, "upper", name="80% interval, upper bound", showlegend=False, line={"width": 0},
                            hoverinfo="skip"))
    figure.add_trace(_curve(frame, "lower", name="80% interval", fill="tonexty", fillcolor=COLOURS["band"],
                            line={"width": 0}))
    figure.add_trace(_curve(frame, "naive", name="seasonal naive (last week)",
                            line={"color": COLOURS["naive"], "dash": "dot", "width": 1.5}))
    if frame["actual"].notna().any():
        figure.add_trace(_curve(frame, "actual", name="actual", line={"color": COLOURS["actual"], "width": 2}))
    figure.add_trace(_curve(frame, "median", name="forecast (median)", line={"color": COLOURS["median"], "width": 2.5}))
    if "median_temperature" in frame:
        _with_temperature(figure, frame)
    figure.update_layout(height=420, margin={"l": 50, "r": 20, "t": 30, "b": 40}, hovermode="x unified",
                         yaxis_title=f"demand ({unit})", legend={"orientation": "h", "y": -0.15})
    forecast = frame["time"][np.isfinite(frame["median"].to_numpy(float))]
    if len(forecast):  # the forecast day and the HISTORY_SHOWN before it (a week's history left it 12% of the width);
        # the whole week is there when zoomed out (double-click)
        start = max(forecast.iloc[0] - HISTORY_SHOWN, frame["time"].iloc[0])
        figure.update_xaxes(range=[start.isoformat(), frame["time"].iloc[-1].isoformat()])
    return figure


def _with_temperature(figure: go.Figure, frame: pd.DataFrame) -> None:
    """The oracle-temperature forecast (median and 80% band) and the temperature, on an axis of its own (°C)."""
    figure.add_trace(_curve(frame, "upper_temperature", name="80% interval, upper bound, oracle temperature",
                            showlegend=False, line={"width": 0}, hoverinfo="skip"))
    figure.add_trace(_curve(frame, "lower_temperature", name="80% interval, oracle temperature", fill="tonexty",
                            fillcolor=COLOURS["oracle_band"], line={"width": 0}))
    figure.add_trace(_curve(frame, "median_temperature", name="forecast with oracle temperature (median)",
                            line={"color": COLOURS["oracle"], "width": 2.5}))
    figure.add_trace(_curve(frame, "temperature", name="temperature (°C, right axis)", yaxis="y2",
                            line={"color": COLOURS["temperature"], "width": 1, "dash": "dash"}))
    figure.update_layout(yaxis2={"title": "temperature (°C)", "overlaying": "y", "side": "right", "showgrid": False},
                         margin={"r": 60})
