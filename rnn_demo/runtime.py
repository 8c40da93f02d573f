"""How the app uses the CPU: torch thread counts for serving many users on a small machine."""
from __future__ import annotations

import os

import torch

# Generation at batch 1 is a chain of small matrix-vector products; on a 2-core Space one
# intra-op thread per request serves concurrent users better than two threads contending.
SERVE_THREADS = int(os.environ.get("RNN_DEMO_THREADS", "1"))

# gradio concurrency groups for events that run a model, each a pool of workers of SERVE_THREADS
# threads. Measured with `bench load` on 2 cores: two generations at once ran slower in total than
# one (both contend for the interpreter between small products), while quick requests stuck
# behind generations waited seconds. So streamed generation has its own pool and short requests
# another, one worker each on 2 cores; a CSV file of reviews gets a third, so a large file never
# holds up either. Everything else waits in the queue.
CORES = os.cpu_count() or 2
GENERATION = {"concurrency_id": "generation", "concurrency_limit": max(1, CORES // 2)}
QUICK = {"concurrency_id": "quick", "concurrency_limit": max(1, CORES - CORES // 2)}
FILES = {"concurrency_id": "files", "concurrency_limit": 1}
QUEUE_SIZE = 64  # requests waiting beyond this are told the app is busy


def configure_threads(threads: int | None = None) -> int:
    """Set torch's intra-op threads (default SERVE_THREADS); return the count in force."""
    torch.set_num_threads(threads or SERVE_THREADS)
    return torch.get_num_threads()
