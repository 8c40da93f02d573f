"""`python -m rnn_demo lab sweep`: each cell trained on "remember the first symbol" over a range of T with one fixed
budget, the accuracy it ends with against T: the summary picture of the gradient lab (README, and the lab's tab)."""
from __future__ import annotations

import argparse
import json
import math
from dataclasses import asdict, replace
from pathlib import Path

from tqdm.auto import tqdm

from ..charts import LineChart
from .net import CELL_NAMES
from .problems import SYMBOLS
from .run import LabSettings, run_lab, summary

LENGTHS = (10, 20, 40, 80, 160)
CELLS = ("rnn-tanh", "gru", "lstm")
BUDGET = LabSettings(problem="first", hidden=32, lr=0.003, steps=300, seed=0)  # the same for every cell and T
KEEP_BIAS = 3.0  # gated cells start with their keep gate open (forget gate / update gate), common practice
COLOURS = {"rnn-tanh": (214, 39, 40), "gru": (44, 160, 44), "lstm": (31, 119, 180)}


def settings_for(cell: str, length: int, budget: LabSettings = BUDGET) -> LabSettings:
    return replace(budget, cell=cell, length=length, keep_bias=None if cell.startswith("rnn") else KEEP_BIAS)


def sweep(cells: tuple[str, ...] = CELLS, lengths: tuple[int, ...] = LENGTHS, budget: LabSettings = BUDGET) -> dict:
    """{cell: {T: the accuracy over the last 20 steps}}, and the settings and seconds of each run."""
    shared = {name: value for name, value in asdict(budget).items() if name not in ("cell", "length", "keep_bias")}
    results: dict = {"budget": {**shared, "keep_bias of the gated cells": KEEP_BIAS}, "cells": {}, "seconds": {}}
    runs = [(cell, length) for cell in cells for length in lengths]
    for cell, length in tqdm(runs, desc="lab sweep: a run per cell and T", unit="run", disable=None):
        settings = settings_for(cell, length, budget)
        figures = summary(settings, list(run_lab(settings)))
        results["cells"].setdefault(cell, {})[str(length)] = round(figures["final_score"], 3)
        results["seconds"].setdefault(cell, {})[str(length)] = figures["seconds"]
    return results


def draw(results: dict, path: str | Path) -> Path:
    """A PNG (Pillow): accuracy against T (log scale) per cell, chance drawn."""
    chart = LineChart(900, 480, (80, 50, 200, 70))
    left, top, plot_w, plot_h = chart.left, chart.top, chart.plot_w, chart.plot_h
    lengths = sorted({int(t) for curve in results["cells"].values() for t in curve})

    def xy(length: float, accuracy: float) -> tuple[float, float]:
        span = math.log(lengths[-1] / lengths[0]) or 1.0
        return left + plot_w * math.log(length / lengths[0]) / span, top + plot_h * (1 - accuracy)

    for accuracy in (0.0, 0.25, 0.5, 0.75, 1.0):
        chart.y_grid(xy(lengths[0], accuracy)[1], f"{accuracy:.2f}")
    for length in lengths:
        chart.x_label(xy(length, 0)[0], str(length))
    chance = xy(lengths[0], 1 / SYMBOLS)[1]
    chart.pen.line([(left, chance), (left + plot_w, chance)], fill=(150, 150, 150), width=1)
    chart.text((left + plot_w + 8, chance), "chance", "lm", fill=(120, 120, 120))
    for row, (cell, curve) in enumerate(results["cells"].items()):
        points = [xy(int(t), value) for t, value in sorted(curve.items(), key=lambda item: int(item[0]))]
        colour = COLOURS.get(cell, (0, 0, 0))
        chart.pen.line(points, fill=colour, width=3)
        for x, y in points:
            chart.pen.ellipse([x - 4, y - 4, x + 4, y + 4], fill=colour)
        chart.legend(row, colour, CELL_NAMES.get(cell, cell))
    chart.frame()
    chart.titles("Remember the first symbol: accuracy after 300 steps, by T",
                 "T: distractors between the symbol and the question (log scale)")
    return chart.save(path)


def table(results: dict) -> str:
    """The README's table: a row per cell, a column per T."""
    lengths = list(next(iter(results["cells"].values())))
    lines = ["| cell | " + " | ".join(f"T = {t}" for t in lengths) + " |",
             "| --- | " + " | ".join("---:" for _ in lengths) + " |"]
    lines += [f"| {CELL_NAMES[cell]} | " + " | ".join(f"{curve[t]:.2f}" for t in lengths) + " |"
              for cell, curve in results["cells"].items()]
    return "\n".join(lines)


def run_sweep(args: argparse.Namespace) -> None:
    import torch

    torch.set_num_threads(1)  # as the lab's worker runs
    results = sweep(lengths=tuple(args.lengths))
    results["picture"] = str(draw(results, args.out))
    print(json.dumps(results) if args.json else table(results))
