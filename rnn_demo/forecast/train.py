"""How the forecasting task plugs into the generic loop: random origins from the training part.

The last `validation_days` of the training part are held out. Their last `calibration_days` calibrate the 80%
interval, conformal style; the days before them choose the checkpoint (by the pinball loss of day-ahead forecasts
made at their midnights). Calibrated on the days that chose the checkpoint, the interval came out narrow: those
days' errors are the smallest a choice among checkpoints could find. Training origins stop where their forecast day
would reach into the hold-out.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ..parallel import OneReplica, Shard
from ..training import TrainSettings, fit, write_training_record
from .features import extend_times, known_rows, midnights, min_history, window_inputs, window_scale, window_targets
from .evaluate import CALIBRATION_DAYS, VALIDATION_DAYS
from .infer import INTERVAL, Series, forecast_quantiles
from .model import ForecastConfig, Forecaster, pinball_loss
from .upload import training_series


class ForecastTask:
    """Batches of windows at random origins; the selection loss is the hold-out days' mean pinball loss.
    Trained on several processes, every rank draws the same origins and windows its own rows of them (`shard`)."""

    def __init__(self, series: Series, config: ForecastConfig, validation_start: int, batch_size: int,
                 device: torch.device, seed: int = 0, shard: Shard = Shard(),
                 calibration_start: int | None = None) -> None:
        self.series, self.config, self.batch_size, self.device, self.seed = series, config, batch_size, device, seed
        self.rows = shard.rows(batch_size)
        times, workday = extend_times(series.times, series.workday, config.horizon)
        self.calendar = known_rows(times, workday, series.temperature, config.features,
                                   config.temperature_scaling)  # (steps + horizon, 5 or 8)
        first = min_history(config.window, config.week)
        self.origins = np.arange(first, validation_start - config.horizon + 1)  # whole forecast day before hold-out
        end = len(series) - config.horizon + 1
        # calibration_start: the hold-out's days from there calibrate the interval, those before choose (None: all do)
        chosen_until = end if calibration_start is None else calibration_start - config.horizon + 1
        self.selection_origins = midnights(series.times, validation_start, chosen_until)
        self.calibration_origins = self.selection_origins if calibration_start is None else \
            midnights(series.times, calibration_start, end)
        if len(self.origins) < batch_size or len(self.selection_origins) == 0 or len(self.calibration_origins) == 0:
            raise ValueError(f"the training part is too short: it needs at least {first + batch_size + 2 * 48:,} steps")

    def batch(self, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        rng = np.random.default_rng([self.seed, step])
        origins = rng.choice(self.origins, self.batch_size, replace=False)[self.rows]
        c = self.config
        x, center, scale = window_inputs(self.series.values, self.calendar, origins, c.window, c.horizon, c.day, c.week)
        targets = window_targets(self.series.values, origins, c.horizon, center, scale)
        return torch.from_numpy(x).to(self.device), torch.from_numpy(targets).to(self.device)

    def loss(self, model: Forecaster, batch: tuple[torch.Tensor, torch.Tensor], carry: None) -> tuple:
        _, _, loss = model(batch[0], targets=batch[1])
        return loss, None

    def batch_units(self, batch: tuple[torch.Tensor, torch.Tensor]) -> int:
        return batch[0].size(0)

    @torch.inference_mode()
    def selection_loss(self, model: Forecaster) -> float:
        """Mean pinball loss of the hold-out days' forecasts, in the series' unit (widening not applied)."""
        return self.quantile_loss(forecast_quantiles(model, self.series, self.selection_origins, calibrated=False))

    def quantile_loss(self, quantiles: np.ndarray) -> float:
        """Mean pinball loss of the hold-out days' quantiles (days, horizon, quantiles)."""
        return float(pinball_loss(torch.from_numpy(quantiles), torch.from_numpy(self.actual(self.selection_origins)),
                                  torch.tensor(self.config.quantiles, dtype=torch.float64)))

    def actual(self, origins: np.ndarray) -> np.ndarray:
        return self.series.values[origins[:, None] + np.arange(self.config.horizon)[None]]


def conformal_widening(model: Forecaster, task: ForecastTask, coverage: float = 0.8) -> float:
    """The widening of the outer quantiles that makes the calibration days' intervals cover `coverage`
    (conformalized quantile regression, in window-scaled units; negative narrows)."""
    config, origins = model.config, task.calibration_origins
    quantiles = forecast_quantiles(model, task.series, origins, calibrated=False)
    actual = task.actual(origins)
    history = origins[:, None] + np.arange(-config.window, 0)[None]
    scale = window_scale(task.series.values[history])[:, None]  # the scale of each window's inputs
    lower, upper = (quantiles[..., config.quantiles.index(level)] for level in INTERVAL)
    scores = (np.maximum(lower - actual, actual - upper) / scale).ravel()
    rank = min(len(scores) - 1, int(np.ceil((len(scores) + 1) * coverage)) - 1)
    return float(np.sort(scores)[rank])


def train_forecast(config: ForecastConfig, settings: TrainSettings, out_dir: Path, run_dir: Path,
                   source: str | None = None, time_column: str | None = None, value_column: str | None = None,
                   validation_days: int = VALIDATION_DAYS, batch_size: int = 64,
                   calibration_days: int = CALIBRATION_DAYS,
                   replicas: OneReplica = OneReplica(torch.device("cpu")), resume: bool = True,
                   until: int | None = None) -> dict:
    """Train a forecaster; the best checkpoint, its interval calibrated, is saved to `out_dir` in Hub layout.

    `config` counts in half-hours; a series of another step (hourly) trains a model in its steps (a day of 24), and
    a series other than the protocol's has no unit the model could name."""
    train = Series.from_dataset(training_series(source, time_column, value_column)["train"])
    config = config.for_step(train.step_minutes)
    if source not in (None, "elecdemand"):
        config.unit = ""
    config.train_mean, config.train_std = float(train.values.mean()), float(train.values.std())
    if not 0 < calibration_days < validation_days:
        raise ValueError(f"--calibration-days must be fewer than --validation-days ({validation_days}): the days "
                         f"before them choose the checkpoint, not {calibration_days}")
    validation_start = len(train) - validation_days * config.day
    torch.manual_seed(settings.seed)
    model = Forecaster(config).to(replicas.device)
    task = ForecastTask(train, config, validation_start, batch_size, replicas.device, settings.seed, replicas.shard,
                        calibration_start=len(train) - calibration_days * config.day)

    def save_best(best: Forecaster, state: dict) -> None:
        best.config.interval_widening = conformal_widening(best, task)
        best.save_pretrained(out_dir, fresh_card=True)
        write_training_record(out_dir, state, settings, selection_pinball=round(state["best_selection_loss"], 5),
                              batch_size=batch_size, source=source or "elecdemand", validation_days=validation_days,
                              calibration_days=calibration_days,
                              interval_widening=round(best.config.interval_widening, 4), **replicas.record())

    return fit(model, task, settings, run_dir, save_best, resume, until, replicas)
