"""Benchmark commands: the project's path and the baseline the issue names, measured in one run."""
from __future__ import annotations

import threading
import time

import torch

from .devices import cpu_name
from .text.data import encode
from .text.batcher import BatchedGeneration
from .text.infer import Sampling, generate
from .text.model import CharLM
from .text.stepper import CharStepper

BENCH_PROMPT = "ROMEO:\nBut soft, what light through yonder window breaks?\n"


@torch.inference_mode()
def naive_generate(model: CharLM, prompt: str, n: int, seed: int = 0) -> str:
    """The textbook loop: the whole model on one character, softmax, torch.multinomial, repeat."""
    generator = torch.Generator().manual_seed(seed)
    logits, state, _ = model(torch.tensor([encode(prompt, model.config.vocab)]))
    out = []
    for _ in range(n):
        probs = torch.softmax(logits[:, -1], dim=-1)
        next_id = torch.multinomial(probs, 1, generator=generator)  # (1, 1)
        out.append(model.config.vocab[int(next_id)])
        logits, state, _ = model(next_id, state)
    return "".join(out)


def _rate(run, n: int, repeats: int) -> float:
    """Best units (characters, reviews) per second over `repeats` runs of `run()` producing `n` units."""
    best = 0.0
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        best = max(best, n / (time.perf_counter() - started))
    return best


def _users_at_once(batcher: BatchedGeneration, users: int, chars: int) -> None:
    """`users` threads each generate `chars` characters (no seed, as the app's default) through `batcher`."""
    sampling = Sampling(max_new_chars=chars, temperature=1.0)
    lengths: list[int] = []
    threads = [threading.Thread(target=lambda: lengths.append(len("".join(batcher.stream(BENCH_PROMPT, sampling)))))
               for _ in range(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if lengths != [chars] * users:  # a failed user would make the rate look better than it is
        raise RuntimeError(f"batched generation gave {lengths}, not {users} texts of {chars} characters")


def bench_generate(model: CharLM, chars: int = 1000, naive_chars: int = 300, repeats: int = 3,
                   users: int = 16) -> dict:
    """Characters per second at batch 1: the naive loop versus the served path, same model and prompt; and the
    total for `users` generating at once through the app's batched loop versus one at a time."""
    stepper = CharStepper(model)
    sampling = Sampling(max_new_chars=chars, temperature=1.0, seed=0)
    naive_chars_per_s = _rate(lambda: naive_generate(model, BENCH_PROMPT, naive_chars), naive_chars, repeats)
    chars_per_s = _rate(lambda: "".join(generate(stepper, BENCH_PROMPT, sampling)), chars, repeats)
    batcher = BatchedGeneration(stepper)
    batched_chars_per_s = _rate(lambda: _users_at_once(batcher, users, chars), users * chars, repeats)
    return {
        "cpu": cpu_name(),
        **({"gpu": torch.cuda.get_device_name(stepper.device)} if stepper.device.type == "cuda" else {}),
        "cell": model.config.cell,
        "device": str(stepper.device),
        "precision": stepper.precision,
        "hidden_size": model.config.hidden_size,
        "num_layers": model.config.num_layers,
        "threads": torch.get_num_threads(),
        "naive_chars_per_s": round(naive_chars_per_s, 1),
        "chars_per_s": round(chars_per_s, 1),
        "speedup": round(chars_per_s / naive_chars_per_s, 2),
        "users_at_once": users,
        "batched_chars_per_s": round(batched_chars_per_s, 1),
        "batched_speedup": round(batched_chars_per_s / chars_per_s, 2),
    }


def _percentiles_ms(run, repeats: int) -> tuple[float, float]:
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


def review_of_words(texts: list[str], words: int) -> str:
    """The first `words` words of the texts read one after another (a review of a chosen length)."""
    return " ".join(" ".join(texts).split()[:words])


def bench_sentiment(model, tokenizer, texts: list[str], repeats: int = 50, batch_reviews: int = 512) -> dict:
    """Latency of one 300-word review (prediction; explanation) and batched throughput vs one at a time."""
    from .sentiment.infer import classify_reviews, explain_review

    review = review_of_words(texts, 300)
    predict_median, predict_p95 = _percentiles_ms(lambda: classify_reviews(model, tokenizer, [review]), repeats)
    explain_median, explain_p95 = _percentiles_ms(lambda: explain_review(model, tokenizer, review), repeats)
    reviews = texts[:batch_reviews]
    classify_reviews(model, tokenizer, reviews)  # warm-up: the first pass over large shapes is slower
    batched = _rate(lambda: classify_reviews(model, tokenizer, reviews), len(reviews), repeats=3)
    single = _rate(lambda: [classify_reviews(model, tokenizer, [text]) for text in reviews], len(reviews), repeats=1)
    return {"cell": model.config.cell, "threads": torch.get_num_threads(), "review_words": 300,
            "predict_median_ms": predict_median, "predict_p95_ms": predict_p95,
            "explain_median_ms": explain_median, "explain_p95_ms": explain_p95,
            "batch_reviews_per_s": round(batched, 1), "single_reviews_per_s": round(single, 1),
            "batch_speedup": round(batched / single, 2), "reviews": len(reviews)}


def bench_forecast(model, series, test_start: int, repeats: int = 50) -> dict:
    """Latency of one 48-step forecast with its interval, and the 56-origin backtest's wall time, batched
    (all origins in one pass) and origin by origin."""
    import numpy as np

    from .forecast.evaluate import backtest, test_origins
    from .forecast.infer import forecast_quantiles

    last = np.array([len(series)])
    forecast_median, forecast_p95 = _percentiles_ms(lambda: forecast_quantiles(model, series, last), repeats)
    backtest(model, series, test_start)  # warm-up
    batched = min(_timed(lambda: backtest(model, series, test_start)) for _ in range(5))
    origins = test_origins(series, test_start, model.config.horizon)
    one_by_one = _timed(lambda: [forecast_quantiles(model, series, origins[i:i + 1]) for i in range(len(origins))])
    return {"cell": model.config.cell, "threads": torch.get_num_threads(), "horizon": model.config.horizon,
            "forecast_median_ms": forecast_median, "forecast_p95_ms": forecast_p95, "backtest_s": round(batched, 3),
            "origins": int(len(origins)), "one_origin_at_a_time_s": round(one_by_one, 3),
            "adapting_8_weeks": bench_adaptation(model, series, test_start)}


def bench_adaptation(model, series, test_start: int, weeks: int = 8) -> dict:
    """Wall time of adapting `model` to an upload of `weeks` weeks (the training part's last ones, as they are and
    averaged to hourly), at one thread as in the app's job slot, under the adaptation's own time budget."""
    from .forecast.adapt import SECONDS, finished_adaptation
    from .forecast.infer import Series

    steps = weeks * 7 * model.config.day
    part = slice(test_start - steps, test_start)
    half_hourly = Series(series.times[part], series.values[part], series.workday[part])
    hourly = Series(half_hourly.times[::2], half_hourly.values.reshape(-1, 2).mean(1), half_hourly.workday[::2])
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        figures = {}
        for name, upload, minutes in (("half_hourly", half_hourly, 30), ("hourly", hourly, 60)):
            started = time.perf_counter()
            progress, adaptation = finished_adaptation(model.for_step(minutes), upload)
            figures[name] = {"seconds": round(time.perf_counter() - started, 2), "steps_run": progress[-1]["step"],
                             "steps_chosen": adaptation.steps, "shown": adaptation.shown}
    finally:
        torch.set_num_threads(threads)
    return {"threads": 1, "budget_s": SECONDS, **figures}


def _timed(run) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def _status_mb(field: str) -> float:
    """A memory figure of this process from /proc/self/status (VmRSS: resident now, VmHWM: its peak), in MB."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) / 1024 for line in status if line.startswith(field + ":"))


def write_tiny_rows(path, size: int | None = None) -> int:
    """Write a CSV of 1-character rows under a "text" header, `size` bytes or fewer (default: 64 KiB under the
    upload limit), in pieces; return its rows."""
    from .uploads import MAX_BYTES

    rows = ((size or MAX_BYTES - 64 * 1024) - len(b"text\n")) // 2
    with open(path, "wb") as file:
        file.write(b"text\n")
        for start in range(0, rows, 1_000_000):
            file.write(b"a\n" * min(1_000_000, rows - start))
    return rows


def bench_csv_refusal(repeats: int = 3) -> dict:
    """How the app refuses a CSV of 1-character rows just under the upload limit, through the function the Sentiment
    tab calls (`classify_upload`, bundled model): wall time (best of `repeats`, model loaded), the peak of Python's
    allocations while refusing (tracemalloc, a run of its own) and the process's resident memory around it."""
    import tempfile
    import tracemalloc
    from pathlib import Path

    from .sentiment.serve import bundled_cells, classify_upload

    def refuse(path: Path) -> None:
        try:
            classify_upload(str(path), "", bundled_cells()[0])
        except ValueError as error:
            if "the limit is 20,000" in str(error):
                return
        raise RuntimeError("the file was not refused for its rows")

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "tiny-rows.csv"
        rows = write_tiny_rows(path)
        refuse(path)  # loads the model
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")  # VmHWM starts again from the resident memory now
        rss_before = _status_mb("VmRSS")
        seconds = min(_timed(lambda: refuse(path)) for _ in range(repeats))
        rss_peak = _status_mb("VmHWM")
        tracemalloc.start()
        refuse(path)
        python_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        size = path.stat().st_size
    return {"file_bytes": size, "rows_in_file": rows, "refusal_s": round(seconds, 4),
            "python_peak_mb": round(python_peak / 2 ** 20, 2), "rss_before_mb": round(rss_before, 1),
            "rss_peak_mb": round(rss_peak, 1)}
