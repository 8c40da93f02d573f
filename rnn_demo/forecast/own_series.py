"""The forecast of a visitor's own series: the chosen model adapted to the upload in the app's job slot (adapt.py),
one heavy job at a time with the visitor's place in line shown, then cached per upload for the visitor's session.
`ui/forecast_tab.py` streams `own_series_forecast`; tests call it directly.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from ..jobs import SLOT, Finished, JobSlot, Waiting
from ..runtime import UPLOAD_WORK
from .adapt import MAX_PARAMETERS, SECONDS, SETTINGS, Adaptation, holdout_start, model_to_json
from .serve import SHELF, ForecastView, empty_metrics, forecast_for, load_upload, metrics_frame, temperature_model

JOB = "rnn_demo.forecast.adapt:adapt_job"


class Status(str):
    """A status line for the visitor, with the share of the adaptation's steps done (`share`, 0 to 1)."""

    share: float = 0.0

    def __new__(cls, text: str, share: float = 0.0) -> "Status":
        line = super().__new__(cls, text)
        line.share = share
        return line
SLOT_SECONDS = SECONDS + 30  # the fine-tuning's budget, then scoring the held-out days, with room for a busy CPU
CACHE_SIZE = 3  # adapted models kept per session (the oldest dropped first)


def upload_key(path: str, time_column: str | None, value_column: str | None, model_name: str,
               temperature_column: str | None = None) -> str:
    """What an adaptation depends on: the file's content, the columns read and the model adapted."""
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    return f"{digest}:{time_column or ''}:{value_column or ''}:{model_name}" + (
        f":{temperature_column}" if temperature_column else "")


def holdout_frame(adaptation: Adaptation | None) -> pd.DataFrame:
    """The held-out days' table (the adapted model, as it was, both naives); no rows without an adaptation."""
    return metrics_frame(adaptation.table) if adaptation is not None else empty_metrics()


def own_series_forecast(owner: str, cell: str, origin: str | None, upload: str, time_column: str | None,
                        value_column: str | None, loaded: tuple[str, str] | None, cache: dict,
                        slot: JobSlot = SLOT, client: str | None = None, temperature_column: str | None = None
                        ) -> Iterator[str | tuple[ForecastView, Adaptation | None]]:
    """Adapt `cell`'s model (or the visitor's `loaded` one) to the upload unless `cache` holds it, yielding status
    lines while it waits and trains; then yield (the forecast, the adaptation). Bad input is refused before any job
    starts; a series too short to hold out two weeks, or a Stop, gives the model as it is, with a note."""
    chosen = SHELF.for_cell(cell, loaded)  # before the upload lock: a visitor's model reloaded from the Hub waits alone
    with UPLOAD_WORK:  # read one upload at a time (runtime.py)
        series, model, _ = load_upload(upload, time_column, value_column, chosen, temperature_column,
                                       temperature_model(cell, loaded))
    name = f"{loaded[0]}@{loaded[1]}" if loaded else cell + ("+temperature" if model.config.reads_temperature else "")
    key = upload_key(upload, time_column, value_column, name, temperature_column)
    notes: list[str] = []
    if key not in cache:
        try:
            holdout_start(series, model.config)
            if model.num_parameters() > MAX_PARAMETERS:
                raise ValueError(f"this model has {model.num_parameters():,} parameters; models up to "
                                 f"{MAX_PARAMETERS:,} are adapted")
        except ValueError as reason:
            notes.append(f"Not adapted to your series: {reason}. The forecast is the model's as it is.")
        else:
            outcome = yield from _adapt_in_slot(owner, slot, upload, (time_column, value_column, temperature_column),
                                                model, cache, key, client)
            notes += outcome
    adaptation = Adaptation.from_json(cache[key]) if key in cache else None
    view = forecast_for(cell, origin, upload, time_column, value_column, loaded, adaptation, temperature_column,
                        model=chosen)  # the model found before the job: evicted meanwhile, it would be found again
    view.notes = notes + view.notes
    yield view, adaptation


def _adapt_in_slot(owner: str, slot: JobSlot, upload: str, columns: tuple[str | None, ...], model, cache: dict,
                   key: str, client: str | None = None) -> Iterator[str]:
    """Run the adaptation job, yielding status lines; store its result in `cache`; return notes on how it ended.
    `columns`: the upload's time, value and temperature columns (None: found by name)."""
    kwargs = {"path": upload, "time_column": columns[0] or None, "value_column": columns[1] or None,
              "temperature_column": columns[2] or None, "model": model_to_json(model)}
    for update in slot.run(owner, JOB, kwargs, SLOT_SECONDS, client):
        if isinstance(update, Waiting):
            yield f"Waiting for the CPU: {update.position} heavy job(s) ahead of yours (lab runs, adaptations)."
        elif isinstance(update, Finished):
            if update.reason == "failed":
                raise ValueError(update.message)
            if update.reason == "stopped":
                return ["You stopped the adaptation: the forecast is the model's as it is."]
            if update.reason == "time limit":
                return [f"Adapting did not finish ({update.message}): the forecast is the model's as it is."]
        elif "adaptation" in update:
            cache[key] = update["adaptation"]
            while len(cache) > CACHE_SIZE:
                cache.pop(next(iter(cache)))
        else:
            yield Status(f"Adapting the model to your series: step {update['step']}, held-out loss "
                         f"{update['selection_loss']:.4g} (best so far at step {update['best_step']}).",
                         min(1.0, update["step"] / SETTINGS.max_steps))
    return []
