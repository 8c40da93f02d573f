"""The generic training loop: any task plugs in through the small `Task` protocol (and into the command line
through `TaskCLI`).

The loop owns the optimizer, learning-rate schedule, gradient clipping, progress bar,
periodic selection, best checkpoint and resume; it knows nothing about what a batch holds.
A run directory holds `last/` (weights, optimizer and loop state, to resume) and the best
model goes wherever the task's `save_best` puts it. The same loop trains on several processes (GPUs, machines)
when `accelerate launch` starts it: `parallel.py` holds what the ranks share.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shlex
import sys
import time
from contextvars import ContextVar
from dataclasses import asdict, dataclass
from pathlib import Path
from collections.abc import Generator, Iterator
from typing import Any, Callable, Protocol, TypeVar

import torch
from tqdm.auto import tqdm

from .checkpoints import checkpoint_in, load_checkpoint, save_checkpoint
from .hub import ROOT, recount_scorings
from .parallel import OneReplica, launched
from .scoring_clock import ScoringClock

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class TrainSettings:
    max_steps: int = 3000
    lr: float = 2e-3
    min_lr_ratio: float = 0.05
    warmup_steps: int = 100
    weight_decay: float = 0.0
    clip_norm: float = 1.0
    eval_every: int = 250
    seed: int = 0


class Task(Protocol):
    def batch(self, step: int) -> Any:
        """The batch of optimizer step `step`; deterministic, so a resumed run sees the same data."""

    def loss(self, model: torch.nn.Module, batch: Any, carry: Any) -> tuple[torch.Tensor, Any]:
        """(mean loss, carry for the next step), e.g. the detached recurrent state. Carried tensors hold the batch
        in dimension 1, as recurrent states do (layers, batch, hidden): a checkpoint joins the ranks' rows there."""

    def batch_units(self, batch: Any) -> int:
        """How many units (characters, reviews, ...) a batch holds, for the throughput display."""

    def selection_loss(self, model: torch.nn.Module) -> float:
        """The loss on the held-out selection data (lower is better); never the reported split."""


class TaskCLI(Protocol):
    """A task's part of the command line (`python -m rnn_demo train|evaluate|prepare|bench ...`).

    The command line adds the options every task's training shares (with `train_defaults`), then the task's own.
    Subclass it to inherit the defaults: no evaluation options, no benchmarks."""

    train_help: str  # one line for `train --help`
    train_defaults: dict[str, Any]  # the shared options' defaults: cell, hidden_size, layers, dropout, batch_size, ...
    # push-dataset's card for the protocol data: license, pretty_name, text, source (a link), language and
    # task_categories (lists), license_name and license_link for an "other" license
    dataset_card: dict[str, Any]

    def add_train_arguments(self, parser: argparse.ArgumentParser) -> None:
        """The task's own training options (its data columns, its sizes)."""

    def add_evaluate_arguments(self, parser: argparse.ArgumentParser) -> None:
        """The task's own evaluation options; none unless it has some."""

    def prepare(self) -> Any:
        """Download, convert, split and cache the protocol dataset; return it (a DatasetDict)."""

    def train(self, args: argparse.Namespace, settings: TrainSettings, out: Path, run_dir: Path,
              replicas: OneReplica) -> dict:
        """Train with `fit` on `replicas` (its device; its shard of each batch when several processes train), the best
        model saved in `out`, stopping early at `args.stop_at`; return the loop state at the end."""

    def evaluate(self, args: argparse.Namespace) -> dict:
        """The protocol metrics of `args.model` on the reporting split (and the card written if asked)."""

    def benches(self) -> dict[str, Callable[[argparse.Namespace], dict]]:
        """The task's `bench` commands by name, each measuring its baseline in the same run; none by default."""
        return {}

    def add_commands(self, sub: argparse._SubParsersAction) -> None:
        """The task's own commands (each sets its handler as the parsed options' `run`); none by default."""


def learning_rate(step: int, s: TrainSettings) -> float:
    """Linear warm-up (at most a tenth of the run), then cosine decay down to `min_lr_ratio * lr` at `max_steps`."""
    warmup = min(s.warmup_steps, max(1, s.max_steps // 10))
    if step < warmup:
        return s.lr * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, s.max_steps - warmup))
    return s.lr * (s.min_lr_ratio + (1 - s.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress)))


def fit(model: torch.nn.Module, task: Task, settings: TrainSettings, run_dir: Path | None,
        save_best: Callable[[torch.nn.Module, dict], None], resume: bool = True, until: int | None = None,
        replicas: OneReplica | None = None) -> dict:
    """Train `model` on `task` up to `settings.max_steps` steps (or stop early at step `until`, to go on
    later with resume); return the loop state at the end."""
    return drained(training_run(model, task, settings, run_dir, save_best, resume, until, replicas=replicas))[1]


def drained(run: Generator[T, None, R]) -> tuple[list[T], R]:
    """Every item a generator yields, and the value it returns."""
    items: list[T] = []
    while True:
        try:
            items.append(next(run))
        except StopIteration as end:
            return items, end.value


def training_run(model: torch.nn.Module, task: Task, settings: TrainSettings, run_dir: Path | None,
                 save_best: Callable[[torch.nn.Module, dict], None], resume: bool = True, until: int | None = None,
                 progress: bool = True, replicas: OneReplica | None = None,
                 clock: ScoringClock | None = None) -> Iterator[dict]:
    """The loop as a generator: yields the loop state after each selection (its `history` ends with that
    selection's loss and the mean training loss since the one before), returns it at the end. Closing it stops the
    run there; the best model so far has been handed to `save_best`. `run_dir` None: no checkpoints and no resume
    (a short run in memory, e.g. in the app). `replicas`: this process's part when several train together
    (parallel.py; the task then batches this rank's rows); only the main rank selects, saves and shows progress.
    Selections come every `settings.eval_every` steps, or when `clock` says (a run with a time budget), and at the
    last step."""
    replicas = replicas or OneReplica(next(model.parameters()).device)
    torch.manual_seed(settings.seed + replicas.shard.rank)  # the ranks' dropout masks differ
    optimizer = torch.optim.AdamW(model.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)
    state = {"step": 0, "best_selection_loss": math.inf, "best_step": None, "seconds": 0.0, "history": []}
    carry = None
    if run_dir is not None and resume and replicas.from_main(replicas.is_main and checkpoint_in(run_dir / "last")):
        state, carry = load_checkpoint(run_dir / "last", model, optimizer, replicas)
    trained, optimizer = replicas.prepare(model, optimizer)  # `trained` shares `model`'s parameters
    started = time.time() - state["seconds"]
    last_step = min(settings.max_steps, until or settings.max_steps)
    bar = tqdm(range(state["step"], last_step), initial=state["step"], total=settings.max_steps,
               desc="train", unit="step", dynamic_ncols=True, disable=not (progress and replicas.is_main))
    losses: list[float] = []  # this rank's training losses since the last selection
    for step in bar:
        tick = time.time()
        batch = task.batch(step)
        try:
            loss, carry = _optimizer_step(trained, optimizer, task, batch, carry, learning_rate(step, settings),
                                          settings.clip_norm, replicas)
        except TrainingDiverged as error:
            raise TrainingDiverged(f"at step {step + 1}, {error}") from None
        rate = task.batch_units(batch) * replicas.shard.world / max(time.time() - tick, 1e-9)
        losses.append(loss)
        bar.set_postfix(loss=f"{loss:.3f}", units_per_s=f"{rate:,.0f}")
        state["step"] = step + 1
        due = clock.due() if clock else state["step"] % settings.eval_every == 0
        if due or state["step"] == last_step:
            state["seconds"], scoring = time.time() - started, time.perf_counter()
            _select(model, task, state, save_best, bar, replicas)
            if clock:
                clock.scored(scoring)
            state["history"][-1]["train_loss"] = replicas.mean(sum(losses) / len(losses))
            losses.clear()
            if run_dir is not None:
                save_checkpoint(run_dir / "last", model, optimizer, state, carry, replicas)
            yield state
    state["seconds"] = time.time() - started
    return state


def _optimizer_step(trained: torch.nn.Module, optimizer: torch.optim.Optimizer, task: Task, batch: Any, carry: Any,
                    lr: float, clip_norm: float, replicas: OneReplica) -> tuple[float, Any]:
    """One step on `batch`: forward, backward (gradients averaged over the ranks), clip, update; the loss and carry."""
    trained.train()
    for group in optimizer.param_groups:
        group["lr"] = lr
    loss, carry = task.loss(trained, batch, carry)
    optimizer.zero_grad(set_to_none=True)
    replicas.backward(loss)
    norm = replicas.clip(trained, clip_norm)  # the same on every rank: the gradients are averaged
    if not math.isfinite(norm):  # the step would make every weight NaN
        raise TrainingDiverged(f"the gradients became {norm} (the loss: {loss.item():.4g}), so the run stopped "
                               "before the step that would have spoiled the weights: try a lower learning rate, or "
                               "look for data the model cannot read")
    optimizer.step()
    return loss.item(), carry


class TrainingDiverged(ValueError):
    """A training step whose gradients were NaN or infinite (a NaN step turns every weight NaN)."""


def _select(model: torch.nn.Module, task: Task, state: dict, save_best: Callable, bar: tqdm,
            replicas: OneReplica) -> None:
    """The selection loss (the main rank's, told to all), and the model handed to `save_best` if it is the best."""
    model.eval()
    selection = math.nan
    if replicas.is_main:
        with replicas.full_precision(model) as module:
            selection = task.selection_loss(module)
    selection = replicas.from_main(selection)
    state["history"].append({"step": state["step"], "selection_loss": selection})
    if not bar.disable:
        bar.write(f"step {state['step']}: selection loss {selection:.4f} (best {state['best_selection_loss']:.4f})")
    if selection < state["best_selection_loss"]:
        state["best_selection_loss"], state["best_step"] = selection, state["step"]
        if replicas.is_main:
            with replicas.full_precision(model) as module:
                save_best(module, dict(state))


# The arguments of the rnn_demo command running (set by `__main__.main`, so that a command run in-process, as the
# tests run them, records its own arguments and not the test runner's)
COMMAND_ARGS: ContextVar[list[str] | None] = ContextVar("COMMAND_ARGS", default=None)


def command_line() -> str:
    """The running rnn_demo command, as a user would type it (started by accelerate launch: with its process count
    and precision)."""
    start = "python -m rnn_demo "
    if launched():
        world, precision = int(os.environ.get("WORLD_SIZE", "1")), os.environ.get("ACCELERATE_MIXED_PRECISION", "no")
        start = ("accelerate launch " + (f"--multi_gpu --num_processes {world} " if world > 1 else "")
                 + (f"--mixed_precision {precision} " if precision != "no" else "") + "-m rnn_demo ")
    args = COMMAND_ARGS.get()
    return start + " ".join(shlex.quote(a) for a in (sys.argv[1:] if args is None else args))


def write_training_record(directory: Path, state: dict, settings: TrainSettings, command: str | None = None,
                          **details: Any) -> None:
    """training.json beside a best model: the command that made it (default: the running one), the step and wall
    time to it, the settings."""
    record = {"command": command or command_line(), "step": state["step"], "seconds": round(state["seconds"], 1),
              **details,
              "settings": asdict(settings)}
    (Path(directory) / "training.json").write_text(json.dumps(record, indent=2))


def read_training_record(directory: str | Path) -> dict[str, Any]:
    """The training.json beside a local model (write_training_record's), {} where there is none (a Hub id, a folder
    without one)."""
    path = Path(directory) / "training.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def log_test_scoring(directory: str | Path, figures: dict[str, Any], asked: bool = False) -> bool:
    """Append a scoring of the test split (date, command, figures) to `test_scorings` in training.json beside a
    local model, so its record shows every look at the test split; True if it was logged. Only a folder of this
    checkout (its models/, a training's --out under it) is logged unless `asked` (--log-scoring, --write-card): a
    model a user downloaded is theirs, and checking its figures must not change its files. Models without a record
    (Hub ids) are skipped, and so is a record that is a link (a folder of huggingface_hub's cache)."""
    path = Path(directory) / "training.json"
    if not path.is_file() or path.is_symlink() or not (asked or in_checkout(directory)):
        return False
    record = json.loads(path.read_text())
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    record.setdefault("test_scorings", []).append({"date": when, "command": command_line(), **figures})
    path.write_text(json.dumps(record, indent=2))
    recount_scorings(directory, len(record["test_scorings"]))
    return True


CHECKOUT = ROOT  # hub.ROOT: the repository the package runs from (site-packages if installed)


def in_checkout(directory: str | Path) -> bool:
    """Whether `directory` lies in the git checkout this package runs from."""
    return (CHECKOUT / ".git").exists() and Path(directory).resolve().is_relative_to(CHECKOUT)
