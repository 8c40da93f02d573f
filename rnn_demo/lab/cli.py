"""`python -m rnn_demo lab ...`: the Gradient lab from the command line (the registry's commands of its tab)."""
from __future__ import annotations

import argparse
from pathlib import Path

from .presets import run_presets
from .sweep import LENGTHS, run_sweep


def add_commands(sub: argparse._SubParsersAction) -> None:
    lab = sub.add_parser("lab", help="the gradient lab from the command line")
    commands = lab.add_subparsers(dest="lab_command", required=True, metavar="COMMAND")
    p = commands.add_parser("sweep", help="each cell on 'remember the first symbol' over T, one budget: accuracy by T")
    p.add_argument("--out", type=Path, default=Path("docs/lab_sweep.png"), help="the picture (PNG)")
    p.add_argument("--lengths", type=int, nargs="+", default=list(LENGTHS), help="the values of T")
    p.add_argument("--json", action="store_true", help="print the figures as JSON (else the README's table)")
    p.set_defaults(run=run_sweep)
    p = commands.add_parser("presets", help="each preset's runs, as the lab's worker runs them: the README's figures")
    p.add_argument("--json", action="store_true", help="print every figure as JSON (else a table)")
    p.set_defaults(run=run_presets)
