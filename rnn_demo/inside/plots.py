"""The Inside tab's pictures (plotly, sent as plain lists so that any API client can read them)."""
from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..backbone import CELL_LABELS
from .unrolled import UnrolledView

DIVERGING = "RdBu_r"  # negative blue, positive red, zero white
CELL_COLOURS = {"rnn": "#1f77b4", "gru": "#2ca02c", "lstm": "#d62728"}
# the unrolled view's colour scale: beside its first steps, 240 px tall (it ran the figure's whole height, thousands
# of pixels, its labels far apart)
SCALE = {"len": 240, "lenmode": "pixels", "y": 1, "yanchor": "top", "title": {"text": "value"}}


def unrolled_figure(view: UnrolledView, units: int = 64) -> go.Figure:
    """One heatmap per step, top to bottom: the rows of the view (y) by the first `units` hidden units (x),
    values clipped to [-3, 3] for the colours (the hover gives the exact value)."""
    steps = len(view.characters)
    titles = [f"step {t + 1}: read {ch!s} → next: {view.next_chars[t][0][0]} ({view.next_chars[t][0][1]:.0%})"
              for t, ch in enumerate(view.characters)]
    titles[0] += " · from the zero state: h_0 = 0"
    figure = make_subplots(rows=steps, cols=1, subplot_titles=titles, vertical_spacing=0.25 / steps)
    shown = view.values[:, :, :units]  # (steps, rows, units)
    for t in range(steps):
        figure.add_trace(go.Heatmap(z=shown[t].tolist(), y=view.rows, x=list(range(shown.shape[-1])),
                                    zmin=-3, zmax=3, zmid=0, colorscale=DIVERGING, showscale=t == 0, colorbar=SCALE,
                                    hovertemplate="%{y}<br>unit %{x}: %{z:.3f}<extra></extra>"), row=t + 1, col=1)
        figure.update_yaxes(autorange="reversed", tickfont={"size": 9}, row=t + 1, col=1)
    figure.update_xaxes(title_text="hidden unit", row=steps, col=1)
    figure.update_layout(height=90 + steps * (28 + 14 * len(view.rows)), margin={"l": 10, "r": 10, "t": 40, "b": 40})
    return figure


def influence_figure(curves: dict[str, list[float]], title: str = "") -> go.Figure:
    """Influence (gradient norm of the predicted character's log-probability w.r.t. each earlier input) against
    the distance back, one line per cell, log scale."""
    figure = go.Figure()
    for cell, values in curves.items():
        distances = [d for d, value in enumerate(values) if value == value and value > 0]
        figure.add_trace(go.Scatter(x=distances, y=[values[d] for d in distances], name=CELL_LABELS.get(cell, cell),
                                    mode="lines", line={"color": CELL_COLOURS.get(cell), "width": 2}))
    figure.update_layout(height=380, title=title, xaxis_title="characters back", yaxis_type="log",
                         yaxis_title="gradient norm", margin={"l": 60, "r": 20, "t": 40, "b": 40},
                         legend={"orientation": "h", "y": -0.2})
    return figure
