"""What every benchmark measures with: best rates, percentiles, wall time, this process's memory. The benchmarks
themselves are the tasks' (`bench.py` of each task package, listed by their TaskCLI's `benches()`) and the other
tabs' (their `BENCHES`); `python -m rnn_demo bench` runs them, each with its baseline in the same run."""
from __future__ import annotations

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
