"""A run directory belongs to one training. `train` writes the options that make the training what it is beside its
checkpoint (run.json), and resumes a checkpoint only under the same ones: the default --run-dir is
checkpoints/<task>-<cell> whatever --data or --out say, so a second training once continued another's checkpoint
(with its data's best loss, writing no model, or crashing on the weights' shapes).

What a resumed run may change is MAY_CHANGE: how long it goes on, how often it is scored, where it runs. A checkpoint
written before run.json existed resumes as it did.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from .checkpoints import checkpoint_in, remove_checkpoint

RUN_FILE = "run.json"
MAY_CHANGE = {"max_steps", "stop_at", "eval_every", "no_resume", "threads", "device", "run_dir"}


def run_options(args: argparse.Namespace, out: Path) -> dict[str, Any]:
    """The options of a `train` command that a resumed run must share (every one but MAY_CHANGE), with the folder
    it saves to, `out`; paths as absolute ones."""
    options = {name: value for name, value in vars(args).items() if name not in MAY_CHANGE and not callable(value)}
    options["out"] = out
    if isinstance(options.get("data"), str) and Path(options["data"]).exists():  # a local file, however written
        options["data"] = Path(options["data"])
    options = {name: str(Path(value).resolve()) if isinstance(value, Path) else value
               for name, value in sorted(options.items())}
    return json.loads(json.dumps(options, default=str))  # as run.json gives them back


def claim(run_dir: Path, options: dict[str, Any], resume: bool, is_main: bool = True) -> None:
    """Check that a checkpoint in `run_dir` the run would resume was written under `options` (a ValueError naming
    the options that differ, and what to do, if not; a save cut short between its renames is taken back first), then
    record them there (the main process writes). A run that does not resume removes the checkpoint there first, so
    that run.json never describes another training's: it would replace it at its first save anyway."""
    recorded_path, last = run_dir / RUN_FILE, run_dir / "last"
    if is_main and resume:
        checkpoint_in(last)
    elif is_main:
        remove_checkpoint(last)
    if resume and (last / "trainer_state.json").is_file() and recorded_path.is_file():
        recorded = json.loads(recorded_path.read_text(encoding="utf-8"))
        differ = sorted(name for name in options.keys() | recorded.keys() if options.get(name) != recorded.get(name))
        if differ:
            shown = "; ".join(f"--{name.replace('_', '-')}: {recorded.get(name)!r} there, {options.get(name)!r} now"
                              for name in differ[:4])
            raise ValueError(f"{run_dir} holds the checkpoint of another training ({shown}): start this one afresh "
                             "with --no-resume, or give it its own --run-dir")
    if is_main:
        run_dir.mkdir(parents=True, exist_ok=True)
        tmp = recorded_path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(options, indent=1), encoding="utf-8")
        tmp.replace(recorded_path)
