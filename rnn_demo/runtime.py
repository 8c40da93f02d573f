"""How the app uses the machine: torch threads for serving many users on a small CPU, and memory handed back."""
from __future__ import annotations

import ctypes
import os
import threading
import time

import torch

# Generation at batch 1 is a chain of small matrix-vector products; on a 2-core Space one
# intra-op thread per request serves concurrent users better than two threads contending.
SERVE_THREADS = int(os.environ.get("RNN_DEMO_THREADS", "1"))

# gradio concurrency groups ("lanes") for events that run a model, each a pool of workers of SERVE_THREADS
# threads. A tab may add a lane of its own with `lane()`: the text tab's generation lane admits as many
# handlers as its batched loop steps at once (text/batcher.py), since each mostly waits for its characters.
# Short requests (a review, a forecast, the backtest) share one worker per
# remaining core: measured with `bench load` on 2 cores, two of them
# at once beside generation ran slower in total than one, all contending for the interpreter. A CSV
# file of reviews gets its own worker, so a large file never holds up the others; so does the next-
# character table, whose cost grows with the prompt (seconds for 4,000 characters; text/primed.py reads
# a prompt once for the table and the generation): long prompts queue behind each other, never in
# front of someone's review. The rest wait in the queue.
CORES = os.cpu_count() or 2


# lane -> how many of its requests one client may have going or waiting at once (clients.guard_queue), where a lane
# sets a share: without one, a client took all 16 rows of the generation batch and the next visitor waited 5-7 s
LANE_SHARES: dict[str, int] = {}


def lane(name: str, workers: int, per_client: int | None = None) -> dict[str, str | int]:
    """The keyword arguments that put an event in the concurrency group `name`, of `workers` at a time; one client
    may hold `per_client` of its places, running or waiting (None: only the queue's own share bounds it)."""
    if per_client is not None:
        LANE_SHARES[name] = per_client
    return {"concurrency_id": name, "concurrency_limit": workers}


QUICK = lane("quick", max(1, CORES - 1))
PROMPTS = lane("prompts", 1, per_client=2)  # a table running, one waiting: a long prompt takes seconds
FILES = lane("files", 1)
# Reading and forecasting an uploaded series (up to 50 MB of CSV) takes seconds of CPU: one at a time in the whole app,
# whichever lane asked (a forecast's, which mostly waits for the job slot, or the cells' comparison in FILES), so that
# eight of them at once cannot crowd out the quick requests on a 2-core machine.
UPLOAD_WORK = threading.BoundedSemaphore(1)
QUEUE_SIZE = 64  # requests waiting beyond this are told the app is busy


def configure_threads(threads: int | None = None) -> int:
    """Set torch's intra-op threads (default SERVE_THREADS); return the count in force."""
    torch.set_num_threads(threads or SERVE_THREADS)
    return torch.get_num_threads()


# glibc's malloc gives each thread that allocates an arena of its own (up to 8 per core) and keeps what is
# freed inside them for reuse; under many users the app's threads (gradio's workers, the generation loops)
# leave freed memory scattered over many arenas, and the resident size creeps up with every request
# (`bench load --seconds 1800`: see the README's "Reliability"). Python's own objects stay flat under load
# (tracemalloc), so it is native memory. Two arenas, a fixed mmap threshold (glibc otherwise raises it
# after each large free, so torch's large buffers then land in the heap and fragment it, instead of being
# mapped and unmapped whole) and a trim of what is free every minute hand it back to the system.
M_MMAP_THRESHOLD, M_ARENA_MAX = -3, -8  # mallopt's parameter numbers, from glibc's malloc.h
ARENAS = 2
MMAP_THRESHOLD = 256 * 1024  # bytes: larger blocks are mapped on their own and returned when freed
TRIM_SECONDS = 60.0


def _libc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL("libc.so.6")
        return libc if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None
    except OSError:  # not glibc (musl, macOS, Windows): nothing to tune
        return None


def trim_memory() -> bool:
    """Return the allocator's free memory to the system now; False where the C library cannot."""
    libc = _libc()
    return bool(libc and libc.malloc_trim(0) in (0, 1))


def start_memory_trimmer(every: float = TRIM_SECONDS, arenas: int = ARENAS) -> threading.Thread | None:
    """Cap glibc's arenas (for threads started from now on), fix its mmap threshold, and trim free memory every
    `every` seconds in a daemon thread; None where the C library is not glibc."""
    libc = _libc()
    if libc is None:
        return None
    libc.mallopt(M_ARENA_MAX, arenas)
    libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)

    def trim_forever() -> None:
        while True:
            time.sleep(every)
            libc.malloc_trim(0)
    thread = threading.Thread(target=trim_forever, name="malloc-trim", daemon=True)
    thread.start()
    return thread
