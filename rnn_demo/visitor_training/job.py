"""The Train tab's job: a visitor's model trained on their checked data with the project's own loop
(`training.training_run`), in the app's job slot, under a time budget; the best checkpoint by held-out loss is
written in the Hub layout as the bundled models are. Each task's plug-in (`VisitorTraining`) reads the file into
`Prepared` data and builds the model and the task object the loop trains (the classes the `train` command uses);
nothing here knows a task.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import torch

from ..devices import training_device
from ..plugin import ColumnRole, VisitorTraining
from ..tasks import trainable_tasks
from ..training import TrainSettings, training_run, write_training_record
from .card import write_visitor_card
from .data import Prepared

DEFAULT_SECONDS, MAX_SECONDS = 120.0, 180.0
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


def train_job(kind: str, path: str, columns: dict, cell: str, size: str, seconds: float, out_dir: str,
              data_name: str = "an uploaded file", max_steps: int | None = None, lr: float = DEFAULT_LR,
              seed: int = 0, device: str | None = None) -> Iterator[dict]:
    """Runs in the job slot's worker: train a `size` model of `cell` on the visitor's file for at most `seconds`
    (and `max_steps`, if given) on `device` (default: the GPU if there is one, else the CPU); yields a progress dict after each held-out scoring (step, losses, the metric, seconds), then {"model_dir"}: the
    best checkpoint's folder with its card (None if the run ended before its first scoring)."""
    part = visitor_part(kind)
    check_size(kind, size)
    seconds = min(float(seconds), MAX_SECONDS)
    started = time.perf_counter()
    prepared = part.read(path, columns)
    built = part.build(prepared, cell, size, torch.device(device) if device else training_device())
    folder = Path(out_dir)
    settings = TrainSettings(max_steps=max_steps or 1_000_000, lr=lr, min_lr_ratio=1.0, warmup_steps=20,
                             eval_every=part.eval_every, seed=seed)  # constant rate after warm-up: no schedule to end

    def save_best(model: torch.nn.Module, state: dict) -> None:
        built.before_save(model)
        model.save_pretrained(folder)
        built.save_extra(folder)
        write_training_record(folder, state, settings, command=APP_COMMAND.format(kind=kind, data=data_name),
                              held_out_loss=round(state["best_selection_loss"], 5), size=size, budget_seconds=seconds)

    run, best = training_run(built.model, built.task, settings, None, save_best, progress=False), None
    try:
        for state in run:
            entry = state["history"][-1]
            progress = {"step": state["step"], "train_loss": entry["train_loss"],
                        "held_out_loss": entry["selection_loss"], "metric": part.metric,
                        "value": built.metric(built.model),
                        "best_step": state["best_step"], "seconds": round(time.perf_counter() - started, 2),
                        "budget": seconds}
            best = progress if state["best_step"] == state["step"] else best
            yield progress
            if time.perf_counter() - started > seconds:
                run.close()
    finally:  # also when the visitor's Stop closes this job: the best checkpoint so far gets its card
        if best is not None:
            write_visitor_card(folder, kind, part, cell, size, data_name, prepared.summary, best, seconds, settings)
    yield {"model_dir": str(folder) if best is not None else None}


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
