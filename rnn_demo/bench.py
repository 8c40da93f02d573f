"""What every benchmark measures with: best rates, percentiles, wall time, this process's memory. The benchmarks
themselves are the tasks' (`bench.py` of each task package, listed by their TaskCLI's `benches()`) and the other
tabs' (their `BENCHES`); `python -m rnn_demo bench` runs them, each with its baseline in the same run."""
from __future__ import annotations

import math
import time


def best_rate(run, n: int, repeats: int) -> float:
    """Best units (characters, reviews) per second over `repeats` runs of `run()` producing `n` units."""
    best = 0.0
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        best = max(best, n / (time.perf_counter() - started))
    return best


def percentiles_ms(run, repeats: int) -> tuple[float, float]:
    """Median and 95th percentile of `run()`'s wall time in milliseconds."""
    run()  # warm-up
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return round(percentile(times, 0.5), 2), round(percentile(times, 0.95), 2)


def percentile(values: list[float], q: float) -> float:
    """The `q` quantile of `values` (the value at rank q * n, sorted); NaN for none."""
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def timed(run) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def status_mb(field: str) -> float:
    """A memory figure of this process from /proc/self/status (VmRSS: resident now, VmHWM: its peak), in MB."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) / 1024 for line in status if line.startswith(field + ":"))


def plain_training(model, task, settings, seconds: float = math.inf, steps: int | None = None) -> tuple[int, float]:
    """A plain PyTorch loop, the baseline of the training benchmarks: `model` trained on `task`'s batches and loss
    (training.Task) with AdamW at `settings`' rate and warm-up and its gradient clipping, nothing else (no evaluation,
    no checkpoint), for `seconds` or `steps`, whichever ends first. Returns the steps taken and their seconds."""
    import torch

    from .training import learning_rate

    optimizer = torch.optim.AdamW(model.parameters(), lr=settings.lr)
    model.train()
    carry, step, started = None, 0, time.perf_counter()
    while time.perf_counter() - started < seconds and (steps is None or step < steps):
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, settings)
        loss, carry = task.loss(model, task.batch(step), carry)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), settings.clip_norm)
        optimizer.step()
        step += 1
    return step, time.perf_counter() - started
