"""The Train tab's job: a visitor's model trained on their checked data (data.py) with the project's own loop
(`training.training_run`), in the app's job slot, under a time budget; the best checkpoint by held-out loss is
written in the Hub layout as the bundled models are. One builder per task turns `Prepared` data into a model and
the task object the loop trains (the same task classes the `train` command uses).
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..devices import TRAINING_DEVICE
from ..training import TrainSettings, training_run, write_training_record
from .card import write_visitor_card
from .data import Prepared, labelled_upload, series_upload, text_upload

SIZES = {  # presets that train in a few minutes on one thread of a free CPU Space
    "text": {"tiny": {"embedding_dim": 32, "hidden_size": 128}, "small": {"embedding_dim": 64, "hidden_size": 256}},
    "sentiment": {"tiny": {"vocab_size": 5_000, "embedding_dim": 32, "hidden_size": 32},
                  "small": {"vocab_size": 10_000, "embedding_dim": 64, "hidden_size": 64}},
    "forecast": {"tiny": {"hidden_size": 16}, "small": {"hidden_size": 32}},
}
DEFAULT_SECONDS, MAX_SECONDS = 120.0, 180.0
DEFAULT_LR, LR_RANGE = 3e-3, (1e-4, 0.05)  # AdamW's rate, constant after a short warm-up
EVAL_EVERY = {"text": 25, "sentiment": 25, "forecast": 25}  # steps between two held-out scorings
HELD_OUT_CHARS = 20_000  # of a text's held-out part scored at each selection (all of it is in the card's metric)
DEVICE = TRAINING_DEVICE
# what ran, for training.json: the job slot's worker has no command line of its own (its argv is a socket's number)
APP_COMMAND = "the rnn-demo app's Train tab: a {kind} model trained on {data} (settings below)"


@dataclass
class Built:
    """A model ready to train on a visitor's data: the task the loop reads, what else the saved folder needs, and
    the task's metric on the held-out part (name, value)."""

    model: torch.nn.Module
    task: object
    save_extra: Callable[[Path], None]
    metric: Callable[[torch.nn.Module], tuple[str, float]]


def build_text(prepared: Prepared, cell: str, size: str) -> Built:
    from ..text.data import build_vocab
    from ..text.model import CharLM, CharLMConfig
    from ..text.train import TextTask

    config = CharLMConfig(vocab=build_vocab(prepared.train), cell=cell, num_layers=1, dropout=0.1,
                          **SIZES["text"][size])
    model = CharLM(config)
    task = TextTask(prepared.train, prepared.held_out[:HELD_OUT_CHARS], config.vocab, batch_size=16, seq_len=64,
                    device=DEVICE)
    return Built(model, task, lambda folder: None,
                 lambda m: ("bits per character", task.selection_loss(m) / math.log(2)))


def build_sentiment(prepared: Prepared, cell: str, size: str) -> Built:
    from ..sentiment.infer import predict_ids
    from ..sentiment.model import ReviewClassifier, SentimentConfig
    from ..sentiment.tokenizer import TOKENIZER_NAME, encode_batch, train_tokenizer
    from ..sentiment.train import ReviewTask

    (texts, labels), (held_texts, held_labels) = prepared.train, prepared.held_out
    preset = dict(SIZES["sentiment"][size])
    tokenizer = train_tokenizer(texts, preset.pop("vocab_size"))
    config = SentimentConfig(vocab_size=tokenizer.get_vocab_size(), cell=cell, labels=list(prepared.summary["labels"]),
                             max_tokens=400, dropout=0.3, **preset)
    held_ids = encode_batch(tokenizer, held_texts, config.max_tokens)
    task = ReviewTask(encode_batch(tokenizer, texts, config.max_tokens), labels, held_ids, held_labels,
                      batch_size=min(32, len(texts)), device=DEVICE)

    def accuracy(model: torch.nn.Module) -> tuple[str, float]:
        predicted = predict_ids(model, held_ids).argmax(-1)
        return "accuracy", float((predicted == torch.tensor(held_labels)).float().mean())

    return Built(ReviewClassifier(config), task, lambda folder: tokenizer.save(str(folder / TOKENIZER_NAME)),
                 accuracy)


def build_forecast(prepared: Prepared, cell: str, size: str) -> Built:
    from ..forecast.adapt import holdout_start
    from ..forecast.evaluate import mase_scale
    from ..forecast.infer import forecast_quantiles, interval_of
    from ..forecast.model import ForecastConfig, Forecaster
    from ..forecast.serve import step_minutes
    from ..forecast.train import ForecastTask

    series = prepared.train
    config = ForecastConfig(cell=cell, unit="", **SIZES["forecast"][size]).for_step(step_minutes(series))
    start = holdout_start(series, config)
    config.train_mean, config.train_std = float(series.values[:start].mean()), float(series.values[:start].std())
    task = ForecastTask(series, config, start, batch_size=32, device=DEVICE)
    scale = mase_scale(series.values[:start], config.week)

    def mase(model: torch.nn.Module) -> tuple[str, float]:
        median, _, _ = interval_of(model, forecast_quantiles(model, series, task.selection_origins, calibrated=False))
        return "MASE", float(np.abs(median - task.actual(task.selection_origins)).mean() / scale) if scale else math.nan

    return Built(Forecaster(config), task, lambda folder: None, mase)


BUILDERS = {"text": build_text, "sentiment": build_sentiment, "forecast": build_forecast}


def prepare(kind: str, path: str, columns: dict[str, str | None]) -> Prepared:
    """The visitor's file checked for `kind` (data.py); `columns` names a CSV's columns (None: the defaults)."""
    if kind == "text":
        return text_upload(Path(path).read_bytes())
    if kind == "sentiment":
        return labelled_upload(path, columns.get("text"), columns.get("label"))
    if kind == "forecast":
        return series_upload(path, columns.get("time"), columns.get("value"))
    raise ValueError(f"no task {kind!r}: choose one of {', '.join(BUILDERS)}")


def train_job(kind: str, path: str, columns: dict, cell: str, size: str, seconds: float, out_dir: str,
              data_name: str = "an uploaded file", max_steps: int | None = None, lr: float = DEFAULT_LR,
              seed: int = 0) -> Iterator[dict]:
    """Runs in the job slot's worker: train a `size` model of `cell` on the visitor's file for at most `seconds`
    (and `max_steps`, if given);
    yields a progress dict after each held-out scoring (step, losses, the metric, seconds), then {"model_dir"}: the
    best checkpoint's folder with its card (None if the run ended before its first scoring)."""
    if kind not in SIZES:
        raise ValueError(f"no task {kind!r}: choose one of {', '.join(SIZES)}")
    if size not in SIZES[kind]:
        raise ValueError(f"no size {size!r}: choose one of {', '.join(SIZES[kind])}")
    seconds = min(float(seconds), MAX_SECONDS)
    started = time.perf_counter()
    prepared = prepare(kind, path, columns)
    built = BUILDERS[kind](prepared, cell, size)
    folder = Path(out_dir)
    settings = TrainSettings(max_steps=max_steps or 1_000_000, lr=lr, min_lr_ratio=1.0, warmup_steps=20,
                             eval_every=EVAL_EVERY[kind], seed=seed)  # constant rate after warm-up: no schedule to end

    def save_best(model: torch.nn.Module, state: dict) -> None:
        if kind == "forecast":
            from ..forecast.train import conformal_widening

            model.config.interval_widening = conformal_widening(model, built.task)
        model.save_pretrained(folder)
        built.save_extra(folder)
        write_training_record(folder, state, settings, command=APP_COMMAND.format(kind=kind, data=data_name),
                              held_out_loss=round(state["best_selection_loss"], 5), size=size, budget_seconds=seconds)

    run, best = training_run(built.model, built.task, settings, None, save_best, progress=False), None
    try:
        for state in run:
            entry = state["history"][-1]
            name, value = built.metric(built.model)
            progress = {"step": state["step"], "train_loss": entry["train_loss"],
                        "held_out_loss": entry["selection_loss"], "metric": name, "value": value,
                        "best_step": state["best_step"], "seconds": round(time.perf_counter() - started, 2),
                        "budget": seconds}
            best = progress if state["best_step"] == state["step"] else best
            yield progress
            if time.perf_counter() - started > seconds:
                run.close()
    finally:  # also when the visitor's Stop closes this job: the best checkpoint so far gets its card
        if best is not None:
            write_visitor_card(folder, kind, cell, size, data_name, prepared.summary, best, seconds, settings)
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
