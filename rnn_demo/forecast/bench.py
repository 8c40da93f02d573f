"""The forecasting task's benchmarks: a forecast's latency, the backtest batched against origin by origin, and
adaptation's wall time."""
from __future__ import annotations

import time

import torch

from ..bench import percentiles_ms, timed


def bench_forecast(model, series, test_start: int, repeats: int = 50) -> dict:
    """Latency of one 48-step forecast with its interval, and the 56-origin backtest's wall time, batched
    (all origins in one pass) and origin by origin."""
    import numpy as np

    from .evaluate import backtest, test_origins
    from .infer import forecast_quantiles

    # past the end; a temperature-aware model forecasts the last day instead, whose temperatures are known
    last = np.array([len(series) - (model.config.horizon if model.config.reads_temperature else 0)])
    forecast_median, forecast_p95 = percentiles_ms(lambda: forecast_quantiles(model, series, last), repeats)
    backtest(model, series, test_start)  # warm-up
    batched = min(timed(lambda: backtest(model, series, test_start)) for _ in range(5))
    origins = test_origins(series, test_start, model.config.horizon)
    one_by_one = timed(lambda: [forecast_quantiles(model, series, origins[i:i + 1]) for i in range(len(origins))])
    return {"cell": model.config.cell, "threads": torch.get_num_threads(), "horizon": model.config.horizon,
            "forecast_median_ms": forecast_median, "forecast_p95_ms": forecast_p95, "backtest_s": round(batched, 3),
            "origins": int(len(origins)), "one_origin_at_a_time_s": round(one_by_one, 3),
            "adapting_8_weeks": bench_adaptation(model, series, test_start)}


def bench_adaptation(model, series, test_start: int, weeks: int = 8) -> dict:
    """Wall time of adapting `model` to an upload of `weeks` weeks (the training part's last ones, as they are and
    averaged to hourly), at one thread as in the app's job slot, under the adaptation's own time budget; its
    fine-tuning steps per second (from its start to its last scoring) beside a plain PyTorch loop's on the same
    batches."""
    from .adapt import SECONDS, finished_adaptation
    from .infer import Series

    steps = weeks * 7 * model.config.day
    part = slice(test_start - steps, test_start)
    temperature = None if series.temperature is None else series.temperature[part]
    half_hourly = Series(series.times[part], series.values[part], series.workday[part], temperature=temperature)
    hourly = Series(half_hourly.times[::2], half_hourly.values.reshape(-1, 2).mean(1), half_hourly.workday[::2],
                    temperature=None if temperature is None else temperature.reshape(-1, 2).mean(1))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        figures = {}
        for name, upload, minutes in (("half_hourly", half_hourly, 30), ("hourly", hourly, 60)):
            started = time.perf_counter()
            progress, adaptation = finished_adaptation(model.for_step(minutes), upload)
            steps = progress[-1]["step"]
            figures[name] = {"seconds": round(time.perf_counter() - started, 2), "steps_run": steps,
                             "steps_chosen": adaptation.steps, "shown": adaptation.shown,
                             "steps_per_s": round(steps / progress[-1]["seconds"], 1),
                             "plain_loop_steps_per_s": round(_plain_steps_per_second(model.for_step(minutes), upload,
                                                                                    steps), 1)}
    finally:
        torch.set_num_threads(threads)
    return {"threads": 1, "budget_s": SECONDS, **figures}


def _plain_steps_per_second(model, series, steps: int) -> float:
    """Steps per second of a plain PyTorch loop (bench.plain_training) fine-tuning a copy of `model` on the
    adaptation's batches (its task, batch size, optimizer, rate and clipping), with no held-out scoring: the most the
    adaptation's time can buy."""
    import copy

    from ..bench import plain_training
    from .adapt import BATCH_SIZE, SETTINGS, holdout_start
    from .train import ForecastTask

    model = copy.deepcopy(model).float()
    task = ForecastTask(series, model.config, holdout_start(series, model.config), BATCH_SIZE, torch.device("cpu"),
                        SETTINGS.seed)
    taken, seconds = plain_training(model, task, SETTINGS, steps=steps)
    return taken / seconds
