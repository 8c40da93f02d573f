"""A forecaster adapted to a visitor's own series: fine-tuned on the series' history, its last two weeks held out.

The held-out days' first week chooses: the number of fine-tuning steps (the model as it was, step 0, is a
candidate), the 80% interval's calibration on that series (conformal, as at training) and whether the model or the
better seasonal naive is shown (the naive if the model cannot beat it, with an 80% interval from its own errors). The
last week chooses nothing: the fine-tuning never sees it (its task is built on the series without it), and it alone is
scored in the table the visitor sees, so that table is a fair test. All of it runs in the app's job slot
(`adapt_job`); the result travels as JSON (`Adaptation.to_json`) and is cached per upload for the visitor's session.
"""
from __future__ import annotations

import base64
import copy
import math
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace

import numpy as np
import torch

from ..devices import training_device
from ..scoring_clock import ScoringClock
from ..training import TrainSettings, drained, training_run
from .evaluate import interval_metrics, mase_scale, point_metrics
from .features import midnights, min_history
from .infer import Series, forecast_quantiles, interval_of, seasonal_naive
from .model import ForecastConfig, Forecaster
from .train import ForecastTask, conformal_widening

HOLDOUT_DAYS = 14  # the series' last days, held out of the fine-tuning
CHOOSING_DAYS = 7  # the held-out days' first: they choose the steps, calibrate the interval, choose model or naive
# the choosing days' last: they calibrate the interval, and the days before them choose the steps and the forecast
# shown. Calibrated on the days that chose the steps, the interval came out narrow on new days: on 8 disjoint weeks of
# England and Wales demand (forecast::taylor, which no bundled model saw) it covered 76% on average (65% to 91%);
# kept apart, as the bundled models' training keeps them, 80% (71% to 91%) (a red team's, and the same script rerun)
CALIBRATING_DAYS = 3
SCORED_DAYS = HOLDOUT_DAYS - CHOOSING_DAYS  # their last: scored, and used for no choice
TRAINING_DAYS = 7  # days of forecast origins the series must give before its held-out part, at least
SETTINGS = TrainSettings(max_steps=300, lr=1e-3, warmup_steps=10, eval_every=25, clip_norm=1.0, seed=0)
BATCH_SIZE = 32
SECONDS = 30.0  # the fine-tuning's own budget; the held-out scoring comes after it
MAX_PARAMETERS = 200_000  # larger forecasters (a visitor's) are used as they are
# the model adapted is the tab's: a bundled cell's, or a visitor's own (trained here or loaded from the Hub)
MODEL_ROW, ORIGINAL_ROW = "adapted model (median, 80% interval)", "model as it was, before adapting"


def naive_rows(config: ForecastConfig) -> dict[str, int]:
    """The seasonal naive baselines' table rows and lags: yesterday and last week, in the series' steps."""
    return {f"seasonal naive, lag {config.day} (yesterday)": config.day,
            f"seasonal naive, lag {config.week} (last week)": config.week}


def holdout_start(series: Series, config: ForecastConfig, what: str = "adapting the model") -> int:
    """The first held-out step: the midnight that leaves HOLDOUT_DAYS whole days after it, so that each block of them
    (choosing, calibrating, scored) has its days whole wherever the series ends (one ending at noon lost a day from
    each, 3/2/6 under notes that said 4/3/7; its last part is then read by no block); a clear error when the series
    is too short to hold out and still train (`what` needs it: adapting, or training a visitor's forecaster)."""
    needed = min_history(config.window, config.week) + (TRAINING_DAYS + HOLDOUT_DAYS) * config.day
    if len(series) < needed:
        raise ValueError(f"{what} needs {needed // config.day} days of this series (two weeks of history "
                         f"for the first forecast, {TRAINING_DAYS} days to learn from, {HOLDOUT_DAYS} held out); it "
                         f"has {len(series) / config.day:.1f}")
    latest = len(series) - HOLDOUT_DAYS * config.day
    starts = midnights(series.times, latest - config.day + 1, latest + 1)
    return int(starts[-1]) if len(starts) else latest


@dataclass
class Adaptation:
    """What adapting gave: the model, how it did on the held-out days beside the baselines, what to show."""

    model: Forecaster  # fine-tuned (or as it was, if no step helped), its interval calibrated on the calibrating days
    steps: int  # fine-tuning steps chosen on the choosing days before the calibrating ones (0: the model as it was)
    table: dict[str, dict[str, float]]  # the scored days' metrics by row: the adapted model, as it was, the two naives
    shown: str  # the row whose forecast is shown, chosen on those days too: MODEL_ROW, or the better naive's
    naive_errors: tuple[float, float]  # the better naive's 10% and 90% error quantiles on those days: its
    # 80% interval where it is shown
    holdout_start: int  # the first held-out step of the series: the choosing days', then the scored days'
    seconds: float
    choosing_table: dict[str, dict[str, float]]  # the same rows on the days that chose the steps and `shown`

    @property
    def scored_start(self) -> int:
        """The first step of the scored days."""
        return self.holdout_start + CHOOSING_DAYS * self.model.config.day

    def to_json(self) -> dict:
        """Plain JSON (the job slot's messages and the session's cache): the model as `model_to_json` gives it."""
        return {**{k: v for k, v in asdict(self).items() if k != "model"}, **model_to_json(self.model)}

    @classmethod
    def from_json(cls, data: dict) -> "Adaptation":
        fields = {k: v for k, v in data.items() if k not in ("config", "weights")}
        return cls(model=model_from_json(data), **{**fields, "naive_errors": tuple(fields["naive_errors"])})


def model_to_json(model: Forecaster) -> dict:
    """{"config", "weights"}: a (small) forecaster as plain JSON, to cross the job slot and to be kept in a visitor's
    session: each weight as its float32 bytes in base64 (5.3 characters a parameter, where a list of floats took
    about 32 bytes of the session's memory: 17 MB a session for three adaptations of the largest forecaster)."""
    return {"config": asdict(model.config),
            "weights": {name: [list(value.shape), base64.b64encode(value.float().numpy().tobytes()).decode("ascii")]
                        for name, value in model.state_dict().items()}}


def model_from_json(data: dict) -> Forecaster:
    """The forecaster `model_to_json` wrote, in evaluation mode."""
    model = Forecaster(ForecastConfig(**data["config"]))
    model.load_state_dict({name: torch.from_numpy(np.frombuffer(base64.b64decode(packed), np.float32).copy()
                                                  ).reshape(shape) for name, (shape, packed) in data["weights"].items()})
    return model.eval()


def _holdout_table(model: Forecaster, original: Forecaster, series: Series, origins: np.ndarray,
                   scale: float) -> dict[str, dict[str, float]]:
    """Every held-out day forecast by the adapted model, the model as it was and both naives."""
    config = model.config
    actual = series.values[origins[:, None] + np.arange(config.horizon)[None]]  # (days, horizon)
    table = {}
    for row, forecaster in ((MODEL_ROW, model), (ORIGINAL_ROW, original)):
        median, lower, upper = interval_of(forecaster, forecast_quantiles(forecaster, series, origins))
        table[row] = {**point_metrics(median, actual, scale), **interval_metrics(lower, upper, actual)}
    for row, lag in naive_rows(config).items():
        table[row] = point_metrics(seasonal_naive(series.values, origins, config.horizon, lag), actual, scale)
    return {row: {k: round(v, 4) for k, v in metrics.items()} for row, metrics in table.items()}


def adapt(original: Forecaster, series: Series, seconds: float = SECONDS,
          settings: TrainSettings = SETTINGS) -> Iterator[dict]:
    """Fine-tune a copy of `original` (already in the series' step: Forecaster.for_step) on `series`; yields
    {"step", "selection_loss", "best_step", "seconds"} after each held-out scoring, returns the Adaptation. With a
    time budget the held-out days are scored by wall time (ScoringClock); without one (`seconds` infinite), every
    `settings.eval_every` steps, so that a run repeats exactly."""
    started = time.perf_counter()
    config = original.config
    start = holdout_start(series, config)
    scored = start + CHOOSING_DAYS * config.day
    device = training_device()  # the job slot's worker: the GPU if there is one
    model = copy.deepcopy(original).float().to(device)
    # the task holds the series up to the scored days: the training, the choosing and the calibration never see them
    task = ForecastTask(series.head(scored), config, start, BATCH_SIZE, device, settings.seed,
                        calibration_start=scored - CALIBRATING_DAYS * config.day)
    best = {"loss": task.selection_loss(model), "step": 0, "weights": copy.deepcopy(model.state_dict())}

    def keep_best(candidate: Forecaster, state: dict) -> None:
        if state["best_selection_loss"] < best["loss"]:
            best.update(loss=state["best_selection_loss"], step=state["step"],
                        weights=copy.deepcopy(candidate.state_dict()))

    # every second: a scoring of the held-out days takes 10-30 ms, and the tab's progress bar moves with each
    clock = ScoringClock(deadline=started + seconds, longest=1.0) if math.isfinite(seconds) else None
    run = training_run(model, task, settings, None, keep_best, progress=False, clock=clock)
    for state in run:
        yield {"step": state["step"], "selection_loss": state["history"][-1]["selection_loss"],
               "best_step": best["step"], "seconds": round(time.perf_counter() - started, 3)}
        if time.perf_counter() - started > seconds:
            run.close()
    model.load_state_dict(best["weights"])
    model.eval()
    model.config = replace(config, interval_widening=conformal_widening(model, task))
    scale = mase_scale(series.values[:start], config.week)
    choosing = _holdout_table(model, original, series, task.selection_origins, scale)
    scored_origins = midnights(series.times, scored, len(series) - config.horizon + 1)
    table = _holdout_table(model, original, series, scored_origins, scale)
    verdict = _verdict(choosing, series, task.selection_origins, config)
    return Adaptation(model, best["step"], table, *verdict, start, round(time.perf_counter() - started, 2), choosing)


def finished_adaptation(original: Forecaster, series: Series, seconds: float = SECONDS,
                        settings: TrainSettings = SETTINGS) -> tuple[list[dict], Adaptation]:
    """`adapt` run to its end: its progress reports and the Adaptation."""
    return drained(adapt(original, series, seconds, settings))


def _verdict(choosing: dict, series: Series, origins: np.ndarray,
             config: ForecastConfig) -> tuple[str, tuple[float, float]]:
    """The row shown: the model if it beats the better naive on the choosing days, else that naive, with the 10% and
    90% quantiles of its errors there (its 80% interval). By MAE: the ranking is MASE's, and it stays defined where
    MASE's scale is zero, as for a series that repeats every week."""
    naives = naive_rows(config)
    better = min(naives, key=lambda row: choosing[row]["mae"])
    shown = MODEL_ROW if choosing[MODEL_ROW]["mae"] < choosing[better]["mae"] else better
    actual = series.values[origins[:, None] + np.arange(config.horizon)[None]]  # (days, horizon)
    errors = actual - seasonal_naive(series.values, origins, config.horizon, naives[better])
    low, high = np.quantile(errors, [0.1, 0.9])
    return shown, (float(low), float(high))


def adapt_job(path: str, time_column: str | None, value_column: str | None, model: dict,
              seconds: float = SECONDS, temperature_column: str | None = None) -> Iterator[dict]:
    """Runs in the job slot's worker: the upload read again, `model` ({"config", "weights"}, in the series' step)
    adapted to it; yields progress dicts, then {"adaptation": Adaptation.to_json()}."""
    from pathlib import Path

    from .upload import read_series_upload

    series, _ = read_series_upload(Path(path).read_bytes(), time_column, value_column, temperature_column)
    adaptation = yield from adapt(model_from_json(model), series, seconds)
    yield {"adaptation": adaptation.to_json()}


def adaptation_notes(adaptation: Adaptation, series: Series, origin: int) -> list[str]:
    """What the visitor should know: how the model was adapted, which forecast is shown and why, how it did on the
    days that chose nothing, and whether the origin's day was seen while adapting."""
    table, choosing, start = adaptation.table, adaptation.choosing_table, adaptation.holdout_start
    steps = adaptation.steps
    naives = naive_rows(adaptation.model.config)
    better = min(naives, key=lambda row: choosing[row]["mae"])  # the naive the verdict was against
    tuned = f"fine-tuned for {steps} steps" if steps else "left as it was (no number of fine-tuning steps did better)"
    scored = table[MODEL_ROW]
    notes = [f"Adapted to your series in {adaptation.seconds:.0f} s: the tab's model {tuned} on the series up to "
             f"{series.times[start]:%Y-%m-%d %H:%M}. Its last {HOLDOUT_DAYS} days were held out: the first "
             f"{CHOOSING_DAYS - CALIBRATING_DAYS} chose the number of steps and the forecast shown, the next "
             f"{CALIBRATING_DAYS} calibrated the 80% interval; the last {SCORED_DAYS} chose nothing and are scored in "
             f"the held-out table (there the model's interval covers {scored['coverage80']:.0%} of the values, "
             f"{scored['width80']:.4g} wide on average; over {SCORED_DAYS} days a coverage is uncertain by about ±10 "
             "points, as a day's values rise and fall together)."]
    chose = f"On the first {CHOOSING_DAYS - CALIBRATING_DAYS} held-out days"
    if adaptation.shown == MODEL_ROW:
        verdict = (f"{chose} the adapted model's MAE is {choosing[MODEL_ROW]['mae']:.4g}, against "
                   f"{choosing[better]['mae']:.4g} for {better}, the better naive: the forecast shown is the adapted "
                   "model's.")
    else:
        verdict = (f"{chose} the adapted model (MAE {choosing[MODEL_ROW]['mae']:.4g}) does not beat the {better} (MAE "
                   f"{choosing[better]['mae']:.4g}): the forecast shown is that naive, with an 80% interval from its "
                   "errors on those days.")
    notes.append(f"{verdict} On the last {SCORED_DAYS} days: {scored['mae']:.4g} against {table[better]['mae']:.4g}.")
    if origin < start:
        notes.append("This origin lies before the held-out days: the model was fine-tuned on this part of the series, "
                     "so this day's errors flatter it.")
    elif origin < adaptation.scored_start:
        notes.append(f"This origin lies in the first {CHOOSING_DAYS} held-out days, which chose and calibrated the "
                     "model: this day's errors flatter it a little.")
    elif origin < len(series):
        notes.append(f"This origin lies in the last {SCORED_DAYS} days, which chose nothing: this day's errors are a "
                     "fair test.")
    return notes
