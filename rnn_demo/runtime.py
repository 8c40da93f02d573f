"""How the app uses the CPU: torch thread counts for serving many users on a small machine."""
from __future__ import annotations

import os

import torch

# Generation at batch 1 is a chain of small matrix-vector products; on a 2-core Space one
# intra-op thread per request serves concurrent users better than two threads contending.
SERVE_THREADS = int(os.environ.get("RNN_DEMO_THREADS", "1"))


def configure_threads(threads: int | None = None) -> int:
    """Set torch's intra-op threads (default SERVE_THREADS); return the count in force."""
    torch.set_num_threads(threads or SERVE_THREADS)
    return torch.get_num_threads()
