"""The Gradient lab's presets: the classic demonstrations, each a run (or two side by side) whose settings were
measured to show what its name says (tests/test_lab.py runs them; the README gives `lab presets`' figures)."""
from __future__ import annotations

import argparse
import json
from dataclasses import replace

from .run import LabSettings, run_lab, summary
from .sweep import settings_for

PRESETS: dict[str, tuple[LabSettings, LabSettings | None]] = {}  # filled below, from measured settings


def preset(name: str) -> tuple[LabSettings, LabSettings | None]:
    """A preset's settings (and its comparison's, or None)."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}: choose one of {', '.join(PRESETS)}")
    return PRESETS[name]


def _preset(name: str, first: LabSettings, second: LabSettings | None = None) -> None:
    PRESETS[name] = (first.check(), second.check() if second else None)


# Each preset shows what its name says, as measured (tests/test_lab.py runs them; the README gives the figures). The
# memory presets are runs of the summary sweep (the same budget), so the sweep's table and the presets agree.
# first: the page's example (ui/lab_tab.py): at its first step the gradient explodes back through time; unclipped,
# that one step saturates every unit, and no gradient reaches back after it; clipped, the same run learns
EXPLODING = LabSettings(problem="first", length=50, cell="rnn-tanh", scale=2.0, optimizer="sgd", lr=0.03, clip=None,
                        steps=300)
_preset("exploding gradients: unclipped, one step wrecks the run; clipped, it learns", EXPLODING,
        replace(EXPLODING, clip=1.0))
_preset("the vanilla RNN forgets at T = 40; the GRU remembers", settings_for("rnn-tanh", 40), settings_for("gru", 40))
_preset("the LSTM remembers at T = 80; the vanilla RNN does not", settings_for("lstm", 80),
        settings_for("rnn-tanh", 80))
_preset("the LSTM's forget gate: opened at the start, it remembers at T = 80; as PyTorch starts it, not",
        settings_for("lstm", 80), replace(settings_for("lstm", 80), keep_bias=None))
_preset("ReLU states explode in the forward pass, which clipping does not touch",
        LabSettings(problem="first", length=100, cell="rnn-relu", scale=2.0, clip=1.0, steps=50))


def preset_figures() -> dict[str, list[dict]]:
    """Every preset's runs (A, then B if it has one), each run's `summary`; a run two presets share is trained once."""
    runs: dict[LabSettings, dict] = {}
    for pair in PRESETS.values():
        for settings in filter(None, pair):
            if settings not in runs:
                runs[settings] = summary(settings, list(run_lab(settings)))
    return {name: [runs[s] for s in pair if s is not None] for name, pair in PRESETS.items()}


def run_presets(args: argparse.Namespace) -> None:
    import torch

    torch.set_num_threads(1)  # as the lab's worker runs
    figures = preset_figures()
    if args.json:
        print(json.dumps(figures))
        return
    print("| preset | run | final score | largest gradient norm | reach back, first → last | diverged |")
    print("| --- | --- | ---: | ---: | --- | --- |")
    for name, runs in figures.items():
        for letter, run in zip("AB", runs):
            reach = " → ".join("-" if r is None else f"{r:.3g}" for r in (run["first_reach_back"],
                                                                          run["last_reach_back"]))
            print(f"| {name} | {letter} | {run['final_score']:.3f} | {run['largest_grad_norm'] or 0:.3g} | {reach} | "
                  f"{(run['diverged'] or 'no').split(' (')[0]} |")
