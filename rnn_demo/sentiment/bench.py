"""The sentiment task's benchmarks: a review's latency, batched throughput, and how an oversized CSV is refused."""
from __future__ import annotations

import torch

from ..bench import best_rate, percentiles_ms, status_mb, timed


def review_of_words(texts: list[str], words: int) -> str:
    """The first `words` words of the texts read one after another (a review of a chosen length)."""
    return " ".join(" ".join(texts).split()[:words])


def bench_sentiment(model, tokenizer, texts: list[str], repeats: int = 50, batch_reviews: int = 512) -> dict:
    """Latency of one 300-word review (prediction; explanation) and batched throughput vs one at a time, and vs
    batches of GPU_BATCH reviews (the CPU's smaller batches against the large ones)."""
    from .infer import GPU_BATCH, classify_reviews, explain_review, reviews_per_batch

    review = review_of_words(texts, 300)
    predict_median, predict_p95 = percentiles_ms(lambda: classify_reviews(model, tokenizer, [review]), repeats)
    explain_median, explain_p95 = percentiles_ms(lambda: explain_review(model, tokenizer, review), repeats)
    reviews = texts[:batch_reviews]
    classify_reviews(model, tokenizer, reviews)  # warm-up: the first pass over large shapes is slower
    batched = best_rate(lambda: classify_reviews(model, tokenizer, reviews), len(reviews), repeats=3)
    large = best_rate(lambda: classify_reviews(model, tokenizer, reviews, GPU_BATCH), len(reviews), repeats=3)
    single = best_rate(lambda: [classify_reviews(model, tokenizer, [text]) for text in reviews], len(reviews), repeats=1)
    return {"cell": model.config.cell, "threads": torch.get_num_threads(), "review_words": 300,
            "predict_median_ms": predict_median, "predict_p95_ms": predict_p95,
            "explain_median_ms": explain_median, "explain_p95_ms": explain_p95,
            "batch_size": reviews_per_batch(next(model.parameters()).device), "batch_reviews_per_s": round(batched, 1),
            f"batch_{GPU_BATCH}_reviews_per_s": round(large, 1), "single_reviews_per_s": round(single, 1),
            "batch_speedup": round(batched / single, 2), f"speedup_over_batch_{GPU_BATCH}": round(batched / large, 2),
            "reviews": len(reviews)}


def write_tiny_rows(path, size: int | None = None) -> int:
    """Write a CSV of 1-character rows under a "text" header, `size` bytes or fewer (default: 64 KiB under the
    upload limit), in pieces; return its rows."""
    from ..uploads import MAX_BYTES

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

    from .serve import bundled_cells, classify_upload

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
        rss_before = status_mb("VmRSS")
        seconds = min(timed(lambda: refuse(path)) for _ in range(repeats))
        rss_peak = status_mb("VmHWM")
        tracemalloc.start()
        refuse(path)
        python_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        size = path.stat().st_size
    return {"file_bytes": size, "rows_in_file": rows, "refusal_s": round(seconds, 4),
            "python_peak_mb": round(python_peak / 2 ** 20, 2), "rss_before_mb": round(rss_before, 1),
            "rss_peak_mb": round(rss_peak, 1)}
