"""`python -m rnn_demo lab sweep`: each cell trained on "remember the first symbol" over a range of T with one fixed
budget, the accuracy it ends with against T: the summary picture of the gradient lab (README, and the lab's tab)."""
from __future__ import annotations

import argparse
import json
import math
from dataclasses import asdict, replace
from pathlib import Path

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
    for cell in cells:
        for length in lengths:
            settings = settings_for(cell, length, budget)
            figures = summary(settings, list(run_lab(settings)))
            results["cells"].setdefault(cell, {})[str(length)] = round(figures["final_score"], 3)
            results["seconds"].setdefault(cell, {})[str(length)] = figures["seconds"]
    return results


def draw(results: dict, path: str | Path) -> Path:
    """A PNG (Pillow): accuracy against T (log scale) per cell, chance drawn."""
    from PIL import Image, ImageDraw, ImageFont

    width, height, (left, top, right, bottom) = 900, 480, (80, 50, 200, 70)
    image = Image.new("RGB", (width, height), "white")
    pen, font = ImageDraw.Draw(image), ImageFont.load_default(size=15)
    lengths = sorted({int(t) for curve in results["cells"].values() for t in curve})
    plot_w, plot_h = width - left - right, height - top - bottom

    def xy(length: float, accuracy: float) -> tuple[float, float]:
        span = math.log(lengths[-1] / lengths[0]) or 1.0
        return left + plot_w * math.log(length / lengths[0]) / span, top + plot_h * (1 - accuracy)

    for accuracy in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = xy(lengths[0], accuracy)[1]
        pen.line([(left, y), (left + plot_w, y)], fill=(225, 225, 225))
        pen.text((left - 8, y), f"{accuracy:.2f}", fill="black", font=font, anchor="rm")
    for length in lengths:
        x = xy(length, 0)[0]
        pen.text((x, top + plot_h + 8), str(length), fill="black", font=font, anchor="mt")
    chance = xy(lengths[0], 1 / SYMBOLS)[1]
    pen.line([(left, chance), (left + plot_w, chance)], fill=(150, 150, 150), width=1)
    pen.text((left + plot_w + 8, chance), "chance", fill=(120, 120, 120), font=font, anchor="lm")
    for row, (cell, curve) in enumerate(results["cells"].items()):
        points = [xy(int(t), value) for t, value in sorted(curve.items(), key=lambda item: int(item[0]))]
        colour = COLOURS.get(cell, (0, 0, 0))
        pen.line(points, fill=colour, width=3)
        for x, y in points:
            pen.ellipse([x - 4, y - 4, x + 4, y + 4], fill=colour)
        y = top + 20 + 24 * row
        pen.line([(left + plot_w + 15, y), (left + plot_w + 45, y)], fill=colour, width=3)
        pen.text((left + plot_w + 52, y), CELL_NAMES.get(cell, cell), fill="black", font=font, anchor="lm")
    pen.rectangle([left, top, left + plot_w, top + plot_h], outline="black")
    pen.text((width / 2, 22), "Remember the first symbol: accuracy after 300 steps, by T", fill="black", font=font,
             anchor="mm")
    pen.text((left + plot_w / 2, height - 22), "T: distractors between the symbol and the question (log scale)",
             fill="black", font=font, anchor="mm")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return Path(path)


def table(results: dict) -> str:
    """The README's table: a row per cell, a column per T."""
    lengths = list(next(iter(results["cells"].values())))
    lines = ["| cell | " + " | ".join(f"T = {t}" for t in lengths) + " |",
             "| --- | " + " | ".join("---:" for _ in lengths) + " |"]
    lines += [f"| {CELL_NAMES[cell]} | " + " | ".join(f"{curve[t]:.2f}" for t in lengths) + " |"
              for cell, curve in results["cells"].items()]
    return "\n".join(lines)


def add_commands(sub: argparse._SubParsersAction) -> None:
    """`lab sweep` on the command line (the registry's commands of the Gradient lab tab)."""
    lab = sub.add_parser("lab", help="the gradient lab from the command line")
    commands = lab.add_subparsers(dest="lab_command", required=True, metavar="COMMAND")
    p = commands.add_parser("sweep", help="each cell on 'remember the first symbol' over T, one budget: accuracy by T")
    p.add_argument("--out", type=Path, default=Path("docs/lab_sweep.png"), help="the picture (PNG)")
    p.add_argument("--lengths", type=int, nargs="+", default=list(LENGTHS), help="the values of T")
    p.add_argument("--json", action="store_true", help="print the figures as JSON (else the README's table)")
    p.set_defaults(run=run_sweep)


def run_sweep(args: argparse.Namespace) -> None:
    import torch

    torch.set_num_threads(1)  # as the lab's worker runs
    results = sweep(lengths=tuple(args.lengths))
    results["picture"] = str(draw(results, args.out))
    print(json.dumps(results) if args.json else table(results))
