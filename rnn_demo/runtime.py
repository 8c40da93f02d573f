"""How the app uses the CPU: torch thread counts for serving many users on a small machine."""
from __future__ import annotations

import os

import torch

from .text.batcher import MAX_BATCH

# Generation at batch 1 is a chain of small matrix-vector products; on a 2-core Space one
# intra-op thread per request serves concurrent users better than two threads contending.
SERVE_THREADS = int(os.environ.get("RNN_DEMO_THREADS", "1"))

# gradio concurrency groups for events that run a model, each a pool of workers of SERVE_THREADS
# threads. Generation: every user of a model is stepped in one batch by one thread
# (text/batcher.py), so a generation handler mostly waits for its characters; the pool admits as
# many as a batch holds. Short requests (a review, a forecast, the next-character table, the
# backtest) share one worker per remaining core: measured with `bench load` on 2 cores, two of them
# at once beside generation ran slower in total than one, all contending for the interpreter. A CSV
# file of reviews gets its own worker, so a large file never holds up the others. The rest wait in
# the queue.
CORES = os.cpu_count() or 2
GENERATION = {"concurrency_id": "generation", "concurrency_limit": MAX_BATCH}
QUICK = {"concurrency_id": "quick", "concurrency_limit": max(1, CORES - 1)}
FILES = {"concurrency_id": "files", "concurrency_limit": 1}
QUEUE_SIZE = 64  # requests waiting beyond this are told the app is busy


def configure_threads(threads: int | None = None) -> int:
    """Set torch's intra-op threads (default SERVE_THREADS); return the count in force."""
    torch.set_num_threads(threads or SERVE_THREADS)
    return torch.get_num_threads()
