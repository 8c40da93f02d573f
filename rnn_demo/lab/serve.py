"""The Gradient lab tab's plain functions: the settings from the UI (checked), the job the worker runs (one run, or
two side by side on the same data), the presets, and the plots of what the runs measured so far. The tab wires these
to widgets and the job slot (rnn_demo/jobs.py); tests call them directly."""
from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import asdict

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..devices import training_device
from ..display import number_text, two_lines
from .net import CELL_NAMES
from .problems import SYMBOLS
from .run import LabSettings, LabStep, reach_backs, run_lab

LAB_SECONDS = 30.0  # a run's wall time in the job slot (a comparison of two runs gets twice this)
JOB = "rnn_demo.lab.serve:lab_job"
COLOURS = ("#d62728", "#1f77b4")  # run A, run B


def settings_from_ui(problem: str, length: float, cell: str, hidden: float, scale: float | None, lr: float,
                     optimizer: str, clip: float | None, steps: float, seed: float,
                     keep_bias: float | None = None) -> LabSettings:
    """LabSettings from the widgets' values (numbers arrive as floats; a blank scale, clip or bias means none),
    checked: a ValueError names the valid range."""
    def whole(name: str, value: float) -> int:
        if value is None or value != value or int(value) != value:
            raise ValueError(f"{name} must be a whole number, not {number_text(value)}")
        return int(value)

    return LabSettings(problem=problem, length=whole("length", length), cell=cell, hidden=whole("hidden", hidden),
                       scale=scale, lr=lr, optimizer=optimizer, clip=clip, steps=whole("steps", steps),
                       seed=whole("seed", seed), keep_bias=keep_bias).check()


# One run's settings as the tab's widgets hold them (and the API takes them), in this order; a checkbox says whether
# the value after it is used (unchecked: PyTorch's init, no clipping, PyTorch's gate bias).
FIELDS = ("problem", "length", "cell", "hidden", "scale_on", "scale", "lr", "optimizer", "clip_on", "clip", "steps",
          "seed", "bias_on", "keep_bias")


def from_widgets(values: list) -> LabSettings:
    """Checked LabSettings from one run's widget values, in FIELDS order."""
    v = dict(zip(FIELDS, values))
    return settings_from_ui(v["problem"], v["length"], v["cell"], v["hidden"], v["scale"] if v["scale_on"] else None,
                            v["lr"], v["optimizer"], v["clip"] if v["clip_on"] else None, v["steps"], v["seed"],
                            v["keep_bias"] if v["bias_on"] else None)


def to_widgets(s: LabSettings) -> list:
    """One run's widget values, in FIELDS order (a setting that is off keeps its slider at a usable value)."""
    return [s.problem, s.length, s.cell, s.hidden, s.scale is not None, s.scale or 1.0, s.lr, s.optimizer,
            s.clip is not None, s.clip or 1.0, s.steps, s.seed, s.keep_bias is not None, s.keep_bias or 3.0]


def lab_job(runs: list[dict]) -> Iterator[tuple[int, dict]]:
    """Runs in the job slot's worker: each settings dict of `runs` (one or two) trained step by step, in turns, on
    the first run's data (its seed's: a second run of another seed differs in its starting weights alone), yielding
    (which run, its LabStep as a dict), until every run has ended (its steps done or diverged)."""
    device = training_device()  # the GPU, where there is one: the same budget buys more steps
    going = [run_lab(LabSettings(**settings).check(), device=device, data_seed=runs[0]["seed"]) for settings in runs]
    alive = set(range(len(going)))
    while alive:
        for index in sorted(alive):
            measured = next(going[index], None)
            if measured is None:
                alive.discard(index)
            else:
                yield index, asdict(measured)


def chance(settings: LabSettings) -> float:
    """The score of guessing: 1 / SYMBOLS for "first"; for "adding" the squared error of always answering 1."""
    return 1 / SYMBOLS if settings.problem == "first" else 1 / 6


KEEP_GATE_NAMES = {"lstm": "forget", "gru": "update"}  # the gate whose starting bias `keep_bias` sets (net.KEEP_GATE)


def label(settings: LabSettings) -> str:
    """A run's settings in a few words: every one in which two runs may differ but their problem and steps (the
    status gives the steps)."""
    scale = "PyTorch's init" if settings.scale is None else f"radius {settings.scale:g}"
    if settings.keep_bias is not None and settings.cell in KEEP_GATE_NAMES:
        scale += f", {KEEP_GATE_NAMES[settings.cell]}-gate bias {settings.keep_bias:g}"
    clip = "no clipping" if settings.clip is None else f"clip {settings.clip:g}"
    return (f"{CELL_NAMES[settings.cell]}, {settings.hidden} units, T = {settings.length}, {scale}, "
            f"{settings.optimizer} lr {settings.lr:g}, {clip}, seed {settings.seed}")


def training_figure(runs: list[LabSettings], steps: list[list[LabStep]]) -> go.Figure:
    """Loss and score against the step (one colour per run), and the gradient norm before clipping on a log axis
    with each run's threshold drawn."""
    score = "accuracy" if runs[0].problem == "first" else "squared error"
    # the three panels stacked on one step axis, each named on its y axis: side by side they crowded a phone's width
    # (each axis title ran into the panel before it); stacked they read at any width
    figure = make_subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.05)
    for k, (settings, history) in enumerate(zip(runs, steps)):
        name = f"{'AB'[k]}: " + two_lines(label(settings), ", ", longest=0)
        x, colour = [s.step for s in history], COLOURS[k]
        figure.add_trace(go.Scatter(x=x, y=[_finite(s.loss) for s in history], name=name, legendgroup=str(k),
                                    line={"color": colour}), row=1, col=1)
        figure.add_trace(go.Scatter(x=x, y=[s.score for s in history], name=name, legendgroup=str(k), showlegend=False,
                                    line={"color": colour}), row=2, col=1)
        figure.add_trace(go.Scatter(x=x, y=[_finite(s.grad_norm) for s in history], name=name, legendgroup=str(k),
                                    showlegend=False, line={"color": colour}), row=3, col=1)
        # the recurrent layer's part (the rest is the readout's): the gradient through time, apart from the output's
        figure.add_trace(go.Scatter(x=x, y=[_finite(s.recurrent_grad_norm) or None for s in history],
                                    legendgroup=str(k), name=f"{'AB'[k]}: the recurrent layer's part", showlegend=False,
                                    line={"color": colour, "dash": "dot", "width": 1}), row=3, col=1)
        if settings.clip is not None:
            figure.add_hline(y=settings.clip, line={"color": colour, "dash": "dash", "width": 1}, row=3, col=1)
    figure.add_hline(y=chance(runs[0]), line={"color": "grey", "dash": "dot", "width": 1}, row=2, col=1,
                     annotation_text="chance" if runs[0].problem == "first" else "baseline: always answering 1")
    figure.update_yaxes(exponentformat="power")  # 10^14, not "100T" (read as terabytes)
    figure.update_yaxes(type="log", title_text="loss", row=1, col=1)  # a blow-up would flatten a linear axis
    figure.update_yaxes(type="log" if runs[0].problem == "adding" else "linear", title_text=score, row=2, col=1)
    figure.update_yaxes(type="log", title_text="gradient norm,<br>before clipping<br>(dotted: recurrent)", row=3, col=1)
    figure.update_xaxes(title_text="training step", row=3, col=1)
    figure.update_layout(height=620, margin={"l": 60, "r": 10, "t": 30, "b": 40},
                         legend={"orientation": "h", "y": -0.12})
    return figure


def profile_figure(runs: list[LabSettings], steps: list[list[LabStep]]) -> go.Figure:
    """The gradient with respect to the state at each time step t (gradient_profile: h_t, and c_t for the LSTM), at
    the latest measurement of each run (solid) and its first (dotted): how much of the loss's signal reaches each
    step, from the end (right) back to the start (left)."""
    figure = go.Figure()
    for k, history in enumerate(steps):
        # a diverged run's last profile holds no finite value: its last finite one is drawn, and said so
        measured = [s for s in history if s.profile and any(0 < v < math.inf for v in s.profile)]
        overflowed = bool(history and measured) and history[-1].diverged is not None and measured[-1] is not history[-1]
        for s, dash in ((measured[0], "dot"), (measured[-1], "solid")) if measured else ():
            name = f"{'AB'[k]} at step {s.step}" + (f" (the last before step {history[-1].step} overflowed)"
                                                    if overflowed and dash == "solid" else "")
            drawn = [v if 0 < v < math.inf else None for v in s.profile]  # log axis: no 0
            few = sum(v is not None for v in drawn) < 2  # a line needs two points: one alone is drawn as a marker
            figure.add_trace(go.Scatter(x=list(range(1, len(s.profile) + 1)), y=drawn, name=name,
                                        mode="lines+markers" if few else "lines",
                                        line={"color": COLOURS[k], "dash": dash}))
    figure.update_yaxes(type="log", title_text="‖dL/d state_t‖ (log)", exponentformat="power")
    figure.update_xaxes(title_text="time step t (the answer is read after the last)")
    figure.update_layout(height=340, margin={"l": 60, "r": 10, "t": 30, "b": 40},
                         title={"text": "Gradient reaching each time step", "font": {"size": 14}},  # a phone's width
                         legend={"orientation": "h", "y": -0.3})
    return figure


def status(runs: list[LabSettings], steps: list[list[LabStep]]) -> str:
    """A line per run: its step, loss and score, and, if it diverged, why."""
    lines = []
    for k, (settings, history) in enumerate(zip(runs, steps)):
        if not history:
            continue
        last, tail = history[-1], [s.score for s in history[-20:]]
        score = "accuracy" if settings.problem == "first" else "squared error"
        line = (f"**{'AB'[k]}** ({label(settings)}): step {last.step} of {settings.steps}, loss {last.loss:.4g}, "
                f"{score} {sum(tail) / len(tail):.3g} over the last {len(tail)} steps, largest state "
                f"{last.largest_state:.3g}")
        if last.gates:  # from the same cells as the gradients: how open each gate is on average
            line += ", mean gates " + ", ".join(f"{name} {value:.2f}" for name, value in last.gates.items())
        line += reach_back_text(history)
        lines.append(line + (f". **The run diverged at step {last.step}:** {last.diverged}." if last.diverged else "."))
    if len(runs) == 2 and runs[0].length != runs[1].length:  # B draws A's data only where the sequences match
        lines.append(f"A and B read sequences of other lengths (T = {runs[0].length} and {runs[1].length}): the "
                     "same draws of the generator, not the same data.")
    return "\n\n".join(lines)


def reach_back_text(history: list[LabStep]) -> str:
    """The gradient plot's lesson in words (for a reader who cannot see the plot): the gradient reaching t = 1 as a
    multiple of the one at the last step (where the answer is read: T + 2 for *remember the first symbol*), at the
    first measured profile and the last; "" before any."""
    measured = reach_backs(history)
    if not measured:
        return ""
    last_step = len(next(s.profile for s in history if s.profile))
    (first, ratio), (latest, now) = measured[0], measured[-1]
    said = f"; the gradient reaching t = 1 is {ratio:.2g} times the one at the last step (t = {last_step})"
    return said + f" at step {first}" + (f", {now:.2g} times at step {latest}" if latest != first else "")


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None
