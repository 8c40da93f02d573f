"""The Train tab's job: a visitor's model trained on their checked data with the project's own loop
(`training.training_run`), in the app's job slot, under a time budget; the best checkpoint by held-out loss is
written in the Hub layout as the bundled models are. Each task's plug-in (`VisitorTraining`) reads the file into
`Prepared` data and builds the model and the task object the loop trains (the classes the `train` command uses);
nothing here knows a task.
"""
from __future__ import annotations

import math
import time
from collections.abc import Iterator
from pathlib import Path

import torch

from ..devices import training_device
from ..plugin import ColumnRole, VisitorTraining
from ..scoring_clock import ScoringClock
from ..tasks import trainable_tasks
from ..training import TrainSettings, training_run, write_training_record
from .card import write_visitor_card
from .data import Built, Prepared

MIN_SECONDS, DEFAULT_SECONDS, MAX_SECONDS = 5.0, 120.0, 180.0
DEFAULT_LR, LR_RANGE = 3e-3, (1e-4, 0.05)  # AdamW's rate, constant after a short warm-up
# what ran, for training.json: the job slot's worker has no command line of its own (its argv is a socket's number)
APP_COMMAND = "the rnn-demo app's Train tab: a {kind} model trained on {data} (settings below)"


def visitor_part(kind: str) -> VisitorTraining:
    """The Train tab's part of the task `kind` (ValueError naming the tasks a visitor can train)."""
    if kind not in trainable_tasks():
        raise ValueError(f"no task {kind!r}: choose one of {', '.join(trainable_tasks())}")
    return trainable_tasks()[kind].visitor


def check_size(kind: str, size: str) -> None:
    sizes = visitor_part(kind).sizes
    if size not in sizes:
        raise ValueError(f"no size {size!r}: choose one of {', '.join(sizes)}")


def column_roles() -> dict[str, ColumnRole]:
    """Every column a trainable task reads, by name (a box each, in the order the tasks declare them; the tab's
    handlers take them in this order), their guesses merged."""
    roles: dict[str, ColumnRole] = {}
    for spec in trainable_tasks().values():
        for role in spec.visitor.columns:
            known = roles.get(role.name, role)
            roles[role.name] = ColumnRole(role.name, known.label, tuple(dict.fromkeys(known.guesses + role.guesses)),
                                          known.optional and role.optional)
    return roles


def size_names() -> list[str]:
    """Every size preset of a trainable task, in the order they are declared."""
    return list(dict.fromkeys(size for spec in trainable_tasks().values() for size in spec.visitor.sizes))


def prepare(kind: str, path: str, columns: dict[str, str | None]) -> Prepared:
    """The visitor's file checked for `kind` by the task's reader; `columns` names a table's columns (None: found
    by name)."""
    return visitor_part(kind).read(path, columns)


class ScoredTask:
    """The built task, its held-out part scored in one pass per selection (`Built.score`): the loop reads what
    chooses the checkpoint (`Built.chosen_by`), the job the loss and metric that came with it."""

    def __init__(self, built: Built) -> None:
        self.built, self.last_loss, self.last_metric = built, math.nan, math.nan

    def __getattr__(self, name: str) -> object:  # batch, loss, batch_units: the task's own
        return getattr(self.built.task, name)

    def selection_loss(self, model: torch.nn.Module) -> float:
        self.last_loss, self.last_metric = self.built.score(model)
        return self.built.chosen_by(self.last_loss, self.last_metric)


def train_job(kind: str, path: str, columns: dict, cell: str, size: str, seconds: float, out_dir: str,
              data_name: str = "an uploaded file", max_steps: int | None = None, lr: float = DEFAULT_LR,
              seed: int = 0, device: str | None = None, dataset_id: str | None = None,
              score_every: int | None = None) -> Iterator[dict]:
    """Runs in the job slot's worker: train a `size` model of `cell` on the visitor's file for at most `seconds`
    (and `max_steps`, if given) on `device` (default: the GPU if there is one, else the CPU); `data_name` says what
    the file is in the card, `dataset_id` the Hub dataset it was read from, if it was (the card's `datasets`);
    yields a progress dict after each held-out scoring (step, losses, the metric, seconds), then {"model_dir",
    "steps"}: the best checkpoint's folder with its card (None if the run ended before its first scoring) and the
    steps taken.

    The held-out part is scored by wall time (ScoringClock: aiming at a twentieth of the run), or every
    `score_every` steps where given (a short run of `max_steps`: the page's example, whose 50 steps took two
    scorings by the clock, a line of two points), and at the last step;
    the best weights are kept in memory and written, calibrated and carded once, when the run ends (also when
    Stop closes it), so no step waits for the disk."""
    part = visitor_part(kind)
    check_size(kind, size)
    seconds = min(float(seconds), MAX_SECONDS)
    started = time.perf_counter()
    prepared = part.read(path, columns)
    torch.manual_seed(seed)  # the starting weights too: the worker is reused, and they followed its last job's draws
    built = part.build(prepared, cell, size, torch.device(device) if device else training_device())
    settings = TrainSettings(max_steps=max_steps or 1_000_000, lr=lr, min_lr_ratio=1.0, warmup_steps=20,
                             seed=seed, eval_every=score_every or TrainSettings.eval_every)  # constant rate after
    # warm-up: no schedule to end; eval_every counts where no clock decides
    best: dict = {}  # the best scoring's progress and weights

    def keep_best(model: torch.nn.Module, state: dict) -> None:
        best["weights"] = {name: value.detach().clone() for name, value in model.state_dict().items()}

    task, clock = ScoredTask(built), None if score_every else ScoringClock(deadline=started + seconds)
    run = training_run(built.model, task, settings, None, keep_best, progress=False, clock=clock)
    state = {"step": 0}
    try:
        for state in run:
            progress = {"step": state["step"], "train_loss": state["history"][-1]["train_loss"],
                        "held_out_loss": task.last_loss, "metric": part.metric, "value": task.last_metric,
                        "best_step": state["best_step"], "chosen_by": built.chosen_by_name,
                        "seconds": round(time.perf_counter() - started, 2), "budget": seconds}
            best["progress"] = progress if state["best_step"] == state["step"] else best.get("progress")
            best["scorings"] = len(state["history"])  # one entry a scoring
            yield progress
            if time.perf_counter() - started > seconds:
                run.close()
    finally:  # also when the visitor's Stop closes this job: the best weights so far are written with their card
        if best.get("progress"):
            _write_best(Path(out_dir), built, best, prepared, part, cell, size, (data_name, dataset_id), seconds,
                        settings, kind)
    yield {"model_dir": out_dir if best.get("progress") else None, "steps": state["step"]}


def _write_best(folder: Path, built: Built, best: dict, prepared: Prepared, part: VisitorTraining, cell: str,
                size: str, data: tuple[str, str | None], seconds: float, settings: TrainSettings, kind: str) -> None:
    """The best weights in the Hub layout in `folder`, prepared for saving (`before_save`: the forecaster's interval
    calibrated), with what else the task's folder needs, the training record and the card (`data`: the data's name
    and Hub dataset id, if any)."""
    data_name, dataset_id = data
    model, progress = built.model, best["progress"]
    model.load_state_dict(best["weights"])
    model.eval()
    built.before_save(model)
    model.save_pretrained(folder)
    built.save_extra(folder)
    record = {"step": progress["step"], "seconds": progress["seconds"]}
    write_training_record(folder, record, settings, command=APP_COMMAND.format(kind=kind, data=data_name),
                          held_out_loss=round(progress["held_out_loss"], 5), size=size, budget_seconds=seconds)
    write_visitor_card(folder, kind, part, cell, size, data_name, prepared.summary, progress, seconds, settings,
                       chosen_by=built.chosen_by_name, device=next(model.parameters()).device.type,
                       dataset_id=dataset_id, scorings=best["scorings"])


def zipped(folder: str | Path, into: str | Path) -> Path:
    """The model folder (its Hub layout: config.json, model.safetensors, README.md, ...) as a zip file `into`, for
    "Download"; only plain files at its top level, as the Hub layout has them."""
    import zipfile

    folder, into = Path(folder), Path(into)
    with zipfile.ZipFile(into, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.iterdir()):
            if path.is_file() and not path.is_symlink():
                archive.write(path, arcname=path.name)
    return into
