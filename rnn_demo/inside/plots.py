"""The Inside tab's pictures (plotly, sent as plain lists so that any API client can read them)."""
from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..backbone import CELL_LABELS
from .units import SATURATING_GATES
from .unrolled import GATE_LABELS, UnrolledView

DIVERGING = "RdBu_r"  # negative blue, positive red, zero white
CELL_COLOURS = {"rnn": "#1f77b4", "gru": "#2ca02c", "lstm": "#d62728"}
# the unrolled view's colour scale: beside the state through time, at the top (down the whole figure its labels ran
# far apart)
SCALE = {"len": 200, "lenmode": "pixels", "y": 1, "yanchor": "top", "thickness": 14, "title": {"text": "value"}}
GATE_SCALE = "Greens"  # a gate: white shut (0), green open (1)
GATE_BAR = {**SCALE, "y": 0.45, "title": {"text": "gate"}, "tickvals": [0, 0.5, 1]}
GATE_ROWS = {GATE_LABELS[name] for cell in ("lstm", "gru") for name in SATURATING_GATES[cell]}  # the sigmoids
STEP_ROW, STATE_ROW = 28, 14  # px a step takes in the state through time, a row in one step's computation


def _step_title(view: UnrolledView, t: int) -> str:
    best, chance = view.next_chars[t][0]
    start = "<br>from the zero state: h_0 = 0" if t == 0 else ""  # one line more: the title fits a phone
    return f"step {t + 1}: read {view.characters[t]} → next: {best} ({chance:.0%}){start}"


def unrolled_figure(view: UnrolledView, units: int = 64) -> go.Figure:
    """The first `units` hidden units (x) unrolled: on top, the new state h_t after each step (a row per step, the
    state through time); below, everything the cell computes at one step (the rows of the view), the step chosen
    with the slider under it (a panel per step down the page made the tab 8,000 px tall). Values are coloured on
    [-3, 3], blue to red; the gates (sigmoids: 0 shut, 1 open) on a scale of their own from 0 to 1, since on the
    values' scale a wide-open gate showed a third of the way to red; the hover gives the exact value. Every step's
    panel is in the figure (the slider shows one, as one trace of values and one of gates), so an API client reads
    them all."""
    steps, shown = len(view.characters), view.values[:, :, :units]  # (steps, rows, units)
    units_x, labels = list(range(shown.shape[-1])), [f"{t + 1} {ch}" for t, ch in enumerate(view.characters)]
    gates = [k for k, row in enumerate(view.rows) if row in GATE_ROWS]
    # the values' rows and the gates' rows, each trace holding every row, blank (None) where it is the other's
    # (plotly.js 6 fails to draw two heatmaps whose rows differ on one axis)
    kinds = [(rows, axis) for rows, axis in (([k for k in range(len(view.rows)) if k not in gates], "coloraxis"),
                                             (gates, "coloraxis2")) if rows]
    state_px, step_px = 30 + STEP_ROW * steps, 40 + STATE_ROW * len(view.rows)
    figure = make_subplots(rows=2, cols=1, row_heights=[state_px, step_px], vertical_spacing=90 / (state_px + step_px),
                           subplot_titles=["h_t after each step", _step_title(view, 0)])
    figure.add_trace(go.Heatmap(z=shown[:, -1].tolist(), y=labels, x=units_x, coloraxis="coloraxis",
                                hovertemplate="step %{y}<br>h_t, unit %{x}: %{z:.3f}<extra></extra>"), row=1, col=1)
    for t in range(steps):
        for rows, axis in kinds:
            z = [row if k in rows else [None] * len(units_x) for k, row in enumerate(shown[t].tolist())]
            figure.add_trace(go.Heatmap(z=z, y=view.rows, x=units_x, visible=t == 0, name=f"step {t + 1}",
                                        coloraxis=axis, hoverongaps=False,
                                        hovertemplate=f"step {t + 1}, " + "%{y}<br>unit %{x}: %{z:.3f}<extra></extra>"),
                             row=2, col=1)
    figure.update_yaxes(autorange="reversed", tickfont={"size": 9})
    figure.update_annotations(font_size=14)
    figure.update_xaxes(title_text="hidden unit", row=2, col=1)
    per_step = len(kinds)
    slider = {"active": 0, "currentvalue": {"prefix": "step "}, "pad": {"t": 50}, "steps": [
        {"label": label, "method": "update",
         "args": [{"visible": [True] + [k // per_step == t for k in range(steps * per_step)]},
                  {"annotations[1].text": _step_title(view, t)}]}
        for t, label in enumerate(labels)]}
    figure.update_layout(height=state_px + step_px + 220, sliders=[slider], margin={"l": 10, "r": 10, "t": 60, "b": 20},
                         coloraxis={"cmin": -3, "cmax": 3, "cmid": 0, "colorscale": DIVERGING, "colorbar": SCALE},
                         coloraxis2={"cmin": 0, "cmax": 1, "colorscale": GATE_SCALE, "colorbar": GATE_BAR,
                                     "showscale": bool(gates)})
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
