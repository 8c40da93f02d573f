"""`python -m rnn_demo bench train`: what a visitor's minutes buy. For each task a visitor can train, on the same
file (the task's `bench_file`, from its protocol data), model size, seed and one thread, in one run: the Train tab's
job (`job.train_job`, as the job slot's worker runs it, its file read and its model built inside its budget) against
a plain PyTorch loop (`bench.plain_training`: the task's batches and loss, AdamW at the same rate and warm-up, the same
clipping, no evaluation and no checkpoint until its time is up). Both models are scored the same way at the end:
the task's held-out scoring (`Built.score`) of the job's saved best model and of the plain loop's last one. That
favours the job, whose model is the best of its scorings of the same held-out part: "job_worse_by" bounds what its
overhead costs, it does not measure it.
"""
from __future__ import annotations

import argparse
import copy
import tempfile
from pathlib import Path

import torch

from ..bench import plain_training
from ..devices import cpu_name
from ..tasks import trainable_tasks
from ..training import TrainSettings
from .data import Built
from .job import DEFAULT_LR, train_job, visitor_part

CELL, SIZE, SEED = "gru", "tiny", 0
WARMUP_SECONDS = 5.0  # of the plain loop on a model thrown away, before either is timed: the first steps of a
# process are slower (allocator, caches), and would count against whichever ran first


def _scored(built: Built, model: torch.nn.Module) -> dict:
    model.eval()
    loss, metric = built.score(model)
    return {"held_out_loss": round(loss, 4), "metric": round(metric, 4)}


def _compare(kind: str, seconds: float, folder: Path) -> dict:
    """The job and the plain loop on `kind`'s bench file, each for `seconds`, scored alike."""
    part = visitor_part(kind)
    path = part.bench_file(folder)
    settings = TrainSettings(lr=DEFAULT_LR, warmup_steps=20, min_lr_ratio=1.0, max_steps=1_000_000, seed=SEED)
    prepared = part.read(path, {})  # the plain loop's data; the job reads the file itself, inside its budget
    torch.manual_seed(SEED)  # the same starting weights as the job's
    built = part.build(prepared, CELL, SIZE, torch.device("cpu"))
    plain_training(copy.deepcopy(built.model), built.task, settings, min(WARMUP_SECONDS, seconds))
    torch.manual_seed(SEED)
    items = list(train_job(kind, str(path), {}, CELL, SIZE, seconds, str(folder / "job"), seed=SEED))
    torch.manual_seed(SEED)
    plain_steps, _ = plain_training(built.model, built.task, settings, seconds)
    job_model = type(built.model).from_pretrained(items[-1]["model_dir"])
    job, plain = {"steps": items[-1]["steps"], **_scored(built, job_model)}, {"steps": plain_steps,
                                                                             **_scored(built, built.model)}
    worse = job["metric"] - plain["metric"] if not trainable_tasks()[kind].higher_is_better else \
        plain["metric"] - job["metric"]
    return {"file": path.name, "metric": part.metric, "job": job, "plain_loop": plain,
            "steps_ratio": round(job["steps"] / plain["steps"], 3), "job_worse_by": round(worse, 4),
            "scorings": len(items) - 1}


def bench_train(args: argparse.Namespace) -> dict:
    """The Train tab's job against a plain PyTorch loop, for each task, in the same seconds on one thread."""
    seconds = args.seconds
    threads = torch.get_num_threads()
    torch.set_num_threads(args.threads or 1)  # as the job slot's worker trains
    try:
        with tempfile.TemporaryDirectory(prefix="rnn-demo-bench-train-") as folder:
            tasks = {}
            for kind, spec in trainable_tasks().items():
                if spec.visitor.bench_file is not None:
                    (Path(folder) / kind).mkdir()
                    tasks[kind] = _compare(kind, seconds, Path(folder) / kind)
    finally:
        torch.set_num_threads(threads)
    return {"cpu": cpu_name(), "threads": args.threads or 1, "seconds": seconds, "cell": CELL, "size": SIZE,
            "tasks": tasks}


BENCHES = {"train": bench_train}
