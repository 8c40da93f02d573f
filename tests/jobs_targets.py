"""Jobs for tests/test_jobs.py, run in the job slot's worker process (importable there by name)."""
import os
import time


def count(n: int, pause: float = 0.0):
    for i in range(n):
        time.sleep(pause)
        yield i


def surroundings():
    import torch

    yield {"niceness": os.nice(0), "threads": torch.get_num_threads(), "pid": os.getpid()}


def tokens():
    yield {name: os.environ.get(name) for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_DISABLE_IMPLICIT_TOKEN")}


def hang():
    yield "started"
    time.sleep(3600)
    yield "never"


def refuse(value: int):
    if value < 0:
        raise ValueError(f"value must be at least 0, not {value}")
    yield value


def crash():
    yield "started"
    os._exit(3)


def slow_to_stop(marker: str, pause: float = 1.5):
    """Items every `pause` seconds (a Stop is read only between them); on closing, writes `marker`."""
    try:
        for i in range(1000):
            yield i
            time.sleep(pause)
    finally:
        with open(marker, "w") as out:
            out.write("closed")


_KEPT: list[bytearray] = []


def hold(mb: int):
    """Keep `mb` MB in the worker after the job ends, as glibc keeps a large job's freed memory."""
    _KEPT.append(bytearray(b"x" * (mb * 2**20)))
    yield os.getpid()


def count_carrying(blob: str, n: int, pause: float = 0.0):
    """`count`, its arguments as large as a forecast adaptation's (a model as JSON: 16 to 38 KB)."""
    yield from count(n, pause)
