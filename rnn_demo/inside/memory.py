"""How far back each cell remembers: the vanishing gradient, measured on the trained character models.

Definitions. For a text t[0 .. n-1] and a position p (0 <= p <= n-2), the model reads the window
t[max(0, p - look_back) .. p] (at most look_back + 1 characters) from the zero state, and the target is
log P(t[p+1] | window), the log-probability it gives the character that follows. The influence at distance d
(0 <= d <= look_back) is the Euclidean norm of the gradient of that log-probability with respect to the
embedding vector of t[p-d]: d = 0 is the last character read. Distances the window does not reach (d > p, at the
start of a text) are NaN, not zero.

A position's curve is its norms divided by their peak; `normalised_mean` averages those over positions (each counts
equally), `normalised_median` gives the typical position's, and `reach` reads off how far back the average stays
above a fraction of its peak.

    python -m rnn_demo.inside.memory --out docs/memory.png --json
"""
from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import torch
from torch import _VF
from tqdm.auto import tqdm

from ..backbone import CELL_LABELS
from ..charts import LineChart
from ..display import number_text
from ..text.data import encode
from ..text.model import CharLM
from .probe import check_passage

LOOK_BACK = 256
BATCH = 32  # positions per backward pass
DISTANCES = (1, 2, 5, 10, 20, 50, 100, 200)  # where the command reports the curves' values
COLOURS = {"rnn": (214, 39, 40), "gru": (44, 160, 44), "lstm": (31, 119, 180)}


def by_distance(norms: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
    """norms (batch, time) in time order -> (batch, time) by distance: column d holds step lengths[b] - 1 - d of
    row b (rows right-padded to `time`; all `time` long when lengths is None), NaN where d >= lengths[b]."""
    if lengths is None:
        return norms.flip(1)
    steps = lengths[:, None] - 1 - torch.arange(norms.shape[1], device=norms.device)  # (batch, time)
    return norms.gather(1, steps.clamp_min(0)).masked_fill(steps < 0, float("nan"))


def gradient_norms(log_prob_of: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor,
                   lengths: torch.Tensor | None = None) -> torch.Tensor:
    """The norm of d log_prob_of(x)[b] / d x[b, t] for every row b and step t, ordered by distance (`by_distance`).

    x (batch, time, E): the inputs; log_prob_of maps them to (batch,), row b depending on x[b] only (so one
    backward pass of the sum gives every row's gradient). Right-padded rows: lengths (batch,) and log_prob_of
    reads row b's output at step lengths[b] - 1. Returns (batch, time); works inside `torch.inference_mode`."""
    with torch.inference_mode(False), torch.enable_grad():
        x = x.detach().clone().requires_grad_(True)  # (batch, time, E)
        (grad,) = torch.autograd.grad(log_prob_of(x).sum(), x)
    return by_distance(grad.norm(dim=-1), lengths)  # (batch, time)


def check_position(length: int, position: int) -> int:
    """`position` if a character follows it in a text of `length` characters, else a ValueError naming the range."""
    if length < 2:
        raise ValueError(f"the passage has {length} character(s); it needs at least 2: the influence is measured "
                         "on predicting the character after a position")
    last = length - 2
    if position < 0:
        raise ValueError(f"position {number_text(position)} is before the first character: choose 0 to {last}")
    if position > last:
        raise ValueError(f"position {number_text(position)} is past the end: choose 0 to {last} (the passage has "
                         f"{length} characters and the last one has no next character to predict)")
    return position


def _windows(ids: torch.Tensor, positions: Sequence[int], look_back: int):
    """Right-padded windows (batch, time) ending at each position, their lengths (batch,), targets (batch,)."""
    starts = [max(0, p - look_back) for p in positions]
    lengths = torch.tensor([p - s + 1 for p, s in zip(positions, starts)])
    windows = torch.zeros(len(positions), int(lengths.max()), dtype=torch.long)  # (batch, time): 0 pads
    for row, (p, s) in enumerate(zip(positions, starts)):
        windows[row, : p - s + 1] = ids[s: p + 1]
    return windows, lengths, ids[torch.tensor(positions) + 1]


def differentiable_outputs(rnn: torch.nn.RNNBase, x: torch.Tensor) -> torch.Tensor:
    """rnn(x)'s outputs (batch, time, hidden) from the zero state, in a form autograd can go back through on any
    device: the same kernel the module runs, in its training form with no dropout. An eval-mode module's pass is
    cuDNN's inference form on a GPU, which refuses a backward ("cudnn RNN backward can only be called in training
    mode"); the shared module itself is never switched to training (other users read it at the same time)."""
    if not rnn.batch_first:
        raise ValueError("differentiable_outputs reads batch-first inputs")
    shape = (rnn.num_layers * (2 if rnn.bidirectional else 1), x.size(0), rnn.hidden_size)
    h0 = x.new_zeros(shape)  # (layers * directions, batch, hidden)
    kernel = {"LSTM": _VF.lstm, "GRU": _VF.gru, "RNN_TANH": _VF.rnn_tanh, "RNN_RELU": _VF.rnn_relu}[rnn.mode]
    state = (h0, h0) if rnn.mode == "LSTM" else h0
    return kernel(x, state, rnn._flat_weights, rnn.bias, rnn.num_layers, 0.0, True, rnn.bidirectional, True)[0]


def _next_log_prob(model: CharLM, targets: torch.Tensor, lengths: torch.Tensor) -> Callable:
    """log_prob_of(x (batch, time, embedding)) -> (batch,): log P(target) after each row's last real step."""
    rows = torch.arange(len(targets), device=targets.device)

    def log_prob_of(x: torch.Tensor) -> torch.Tensor:
        outputs = differentiable_outputs(model.backbone.rnn, x)  # (batch, time, hidden), from the zero state
        logits = model.head(outputs[rows, lengths - 1])  # (batch, vocab)
        return torch.log_softmax(logits, -1)[rows, targets]  # (batch,)
    return log_prob_of


def influence(model: CharLM, text_or_ids: str | torch.Tensor, positions: Sequence[int],
              look_back: int = LOOK_BACK, batch_size: int = BATCH) -> torch.Tensor:
    """Influence by distance (module docstring) at each position: (len(positions), look_back + 1), NaN where the
    window does not reach. text_or_ids: a string, or its character ids (time,). One backward per batch."""
    if model.training:
        raise ValueError("put the model in eval mode (model.eval()): dropout would make the gradients random")
    if look_back < 0:
        raise ValueError(f"look_back must be 0 or more, not {look_back}")
    ids = text_or_ids
    if isinstance(text_or_ids, str):
        ids = torch.tensor(encode(text_or_ids, model.config.vocab))  # (time,)
    positions = [check_position(len(ids), int(p)) for p in positions]
    device = model.head.weight.device
    with torch.inference_mode(False):  # a caller's inference mode would make the indices unusable in autograd
        ids = ids.cpu().clone()  # (time,)
        result = torch.full((len(positions), look_back + 1), math.nan, dtype=model.head.weight.dtype)  # (P, D)
        for first in range(0, len(positions), batch_size):
            windows, lengths, targets = _windows(ids, positions[first: first + batch_size], look_back)
            windows, lengths, targets = windows.to(device), lengths.to(device), targets.to(device)
            norms = gradient_norms(_next_log_prob(model, targets, lengths), model.embed(windows), lengths)
            result[first: first + len(targets), : norms.shape[1]] = norms.cpu()
    return result


def normalised(norms: torch.Tensor) -> torch.Tensor:
    """norms (positions, distance), each row divided by its peak."""
    peaks = norms.nan_to_num(0.0).amax(1, keepdim=True).clamp_min(torch.finfo(norms.dtype).tiny)  # (positions, 1)
    return norms / peaks


def normalised_mean(norms: torch.Tensor) -> torch.Tensor:
    """norms (positions, distance) -> (distance,): the mean over positions of each row divided by its peak."""
    return normalised(norms).nanmean(0)


def normalised_median(norms: torch.Tensor) -> torch.Tensor:
    """norms (positions, distance) -> (distance,): the median over positions of each row divided by its peak, the
    typical position's curve; far back, the mean is carried by a few positions (a red team's: 3 of 64 made up two
    thirds of the GRU's mean at d = 200, where the median was 75 times lower)."""
    return normalised(norms).nanmedian(0).values


def reach(values: torch.Tensor, fraction: float = 0.01) -> int | None:
    """The smallest distance d with values[d:] < fraction * max(values) (NaN entries ignored); None when the last
    distance measured is still at or above that, i.e. the reach lies beyond the curve."""
    finite = values.nan_to_num(float("-inf"))  # (distance,)
    above = (finite >= fraction * finite.max()).nonzero()
    last = int(above.max()) if len(above) else -1
    return None if last + 1 >= len(values) else last + 1


def influence_at(models: dict[str, CharLM], text: str, position: int, look_back: int = LOOK_BACK,
                 progress: Callable[[float, str], None] | None = None) -> dict[str, list[float]]:
    """For the UI: each model's influence at one position of the passage, by distance 0 .. min(position,
    look_back) (the distances its window reaches, so no NaN), keyed as `models` is. One backward per model, each
    told to `progress` (the share done, what comes next) before it starts."""
    text = check_passage(text)
    check_position(len(text), position)
    reached = min(position, look_back) + 1
    curves = {}
    for done, (name, model) in enumerate(models.items()):
        if progress:
            progress(done / len(models), f"a backward pass through the {name} model")
        curves[name] = influence(model, text, [position], look_back)[0, :reached].tolist()
    return curves


def sample_positions(length: int, count: int, look_back: int, seed: int) -> list[int]:
    """`count` distinct positions (sorted) of a text of `length` characters, each at least look_back characters in
    (a full window) and followed by a character; seeded."""
    first, last = look_back, length - 2
    if count > last - first + 1:
        raise ValueError(f"the text holds {max(0, last - first + 1)} positions with a full window; {count} asked")
    generator = torch.Generator().manual_seed(seed)
    chosen = torch.randperm(last - first + 1, generator=generator)[:count] + first
    return sorted(chosen.tolist())


def summary(values: torch.Tensor, typical: torch.Tensor | None = None) -> dict:
    """A curve's figures: its 1% and 10% reach and its values at DISTANCES (those within the curve); with the median
    curve `typical`, its values at the same distances too."""
    figures = {"reach_1pct": reach(values, 0.01), "reach_10pct": reach(values, 0.1),
               "at": {str(d): float(f"{values[d].item():.4g}") for d in DISTANCES if d < len(values)}}
    if typical is not None:
        figures["median_at"] = {str(d): float(f"{typical[d].item():.4g}") for d in DISTANCES if d < len(typical)}
    return figures


def table(cells: dict[str, dict]) -> str:
    """The README's table of the curves' figures (summary() per cell), as Markdown."""
    def short(value: float) -> str:  # 1.5e-3, not 1.5e-03
        mantissa, exponent = f"{value:.1e}".split("e")
        return f"{mantissa}e{int(exponent)}"

    far = [d for d in DISTANCES if d >= 50]
    medians = all("median_at" in figures for figures in cells.values())
    heads = [f"at d = {d}" for d in far] + ([f"median at d = {d}" for d in far] if medians else [])
    lines = ["| cell | reach, 10% | reach, 1% | " + " | ".join(heads) + " |",
             "| --- | ---: | ---: | " + " | ".join("---:" for _ in heads) + " |"]
    for cell, figures in cells.items():
        values = [short(figures[key][str(d)]) for key in ("at", "median_at")[:1 + medians] for d in far
                  if str(d) in figures[key]]
        lines.append(f"| {CELL_LABELS.get(cell, cell)} | {figures['reach_10pct']} | {figures['reach_1pct']} | "
                     + " | ".join(values) + " |")
    return "\n".join(lines)


def _ticks(top: int) -> list[int]:
    """Round x ticks 0 .. top, at most about 9."""
    step = next(s * 10 ** k for k in range(10) for s in (1, 2, 5) if top / (s * 10 ** k) <= 8)
    return list(range(0, top + 1, step))


def draw(curves: dict[str, torch.Tensor], path: str | Path, title: str) -> Path:
    """A PNG (Pillow, which gradio already installs): the curves (distance,) by cell on a log y axis."""
    chart = LineChart(960, 560, (90, 60, 190, 70))
    left, top, plot_w, plot_h = chart.left, chart.top, chart.plot_w, chart.plot_h
    floor = min(v[v > 0].min().item() for v in curves.values() if (v > 0).any())
    low = math.floor(math.log10(floor))
    longest = max(len(v) for v in curves.values()) - 1

    def xy(d: float, value: float) -> tuple[float, float]:
        fall = (0.0 - math.log10(max(value, 10.0 ** low))) / -low if low else 0.0
        return left + plot_w * d / max(longest, 1), top + plot_h * fall

    for k in range(low, 1):  # y grid: one line per decade
        chart.y_grid(xy(0, 10.0 ** k)[1], f"1e{k}" if k else "1")
    for d in _ticks(longest):
        chart.x_label(xy(d, 1)[0], str(d), tick=True)
    chart.frame()
    for row, (cell, values) in enumerate(curves.items()):
        points = [xy(d, v) for d, v in enumerate(values.tolist()) if v == v]  # NaN: not measured
        chart.pen.line(points, fill=COLOURS.get(cell, (0, 0, 0)), width=2)
        chart.legend(row, COLOURS.get(cell, (0, 0, 0)), CELL_LABELS.get(cell, cell))
    chart.titles(title, "distance d back, in characters (0: the last character read)")
    chart.text((left, top - 8), "influence / its peak (log scale)", "ls")
    return chart.save(path)


def measure(models: dict[str, CharLM], text: str, positions: Sequence[int], look_back: int) -> dict:
    """Each model's mean curve on the same positions, its summary (the median curve's values too) and seconds:
    {cell: (curve, summary)}."""
    results = {}
    for cell, model in tqdm(models.items(), desc="influence by distance, per cell", unit="cell", disable=None):
        started = time.perf_counter()
        norms = influence(model, text, positions, look_back)  # (positions, look_back + 1)
        values = normalised_mean(norms)  # (look_back + 1,)
        figures = summary(values, normalised_median(norms))
        results[cell] = (values, {**figures, "seconds": round(time.perf_counter() - started, 1)})
    return results


def main(argv: list[str] | None = None) -> dict:
    """The README's picture and figures from the bundled text models on the validation plays."""
    parser = argparse.ArgumentParser(prog="python -m rnn_demo.inside.memory", description=main.__doc__)
    parser.add_argument("--out", default="docs/memory.png", help="the picture (PNG)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--positions", type=int, default=256, help="positions of the validation plays")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--look-back", type=int, default=LOOK_BACK)
    parser.add_argument("--models", default="models", help="the folder holding text-rnn, text-gru, text-lstm")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's own)")
    args = parser.parse_args(argv)
    from ..hub import load_model
    from ..text.data import protocol_dataset, split_text
    if args.threads:
        torch.set_num_threads(args.threads)
    text = split_text(protocol_dataset(), "validation")
    positions = sample_positions(len(text), args.positions, args.look_back, args.seed)
    models = {cell: load_model(CharLM, Path(args.models) / f"text-{cell}", "cpu") for cell in ("rnn", "gru", "lstm")}
    results = measure(models, text, positions, args.look_back)
    title = (f"How far back each cell remembers: {args.positions} positions of the validation plays "
             f"(seed {args.seed})")
    draw({cell: values for cell, (values, _) in results.items()}, args.out, title)
    figures = {"look_back": args.look_back, "positions": args.positions, "seed": args.seed, "picture": args.out,
               "threads": torch.get_num_threads(), "cells": {cell: s for cell, (_, s) in results.items()}}
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print(table(figures["cells"]))
    return figures


if __name__ == "__main__":
    main()
