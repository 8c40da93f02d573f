"""`bench load`: the app under many users. Launches `app.py`, then clients that each send one request after
another for a while, mixing the three tasks: streamed generation of 300 characters, a 300-word review
with its explanation, a day-ahead forecast. Reports requests, failures, latency per task and the
app's resident memory once warm and at the end."""
from __future__ import annotations

import threading
import time
from pathlib import Path

from .launch import start_app, stop_app

REVIEW = " ".join(["A beautiful, moving film; the performances are superb, though the middle drags."] * 25)[:1800]
TASKS = {
    "generate": (("ROMEO:\n", "lstm", 300, 0.8, 0, 1.0, -1, ""), "/generate"),
    "classify": ((REVIEW, "gru"), "/classify"),
    "forecast": (("victoria", None, "", "", "2014-12-01 00:00", "gru"), "/forecast"),
}


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _client_loop(url: str, index: int, deadline: float, records: list, lock: threading.Lock) -> None:
    from gradio_client import Client

    client = Client(url, verbose=False)
    names = list(TASKS)
    turn = index
    while time.monotonic() < deadline:
        name = names[turn % len(names)]
        args, api_name = TASKS[name]
        started = time.monotonic()
        try:
            client.predict(*args, api_name=api_name)
            error = None
        except Exception as failure:  # a busy queue or a timeout is a failure; record what the client saw
            error = str(failure)[:200]
        with lock:
            records.append((name, (time.monotonic() - started) * 1000, error))
        turn += 1


def _percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return round(values[min(len(values) - 1, int(q * len(values)))], 1) if values else float("nan")


def bench_load(clients: int = 32, seconds: float = 60.0) -> dict:
    """Run `clients` concurrent clients for `seconds` against a freshly launched app."""
    from gradio_client import Client

    process, url = start_app(timeout=120)
    try:
        warm = Client(url, verbose=False)
        for args, api_name in TASKS.values():
            warm.predict(*args, api_name=api_name)
        rss_start = _rss_mb(process.pid)
        records: list = []
        lock = threading.Lock()
        deadline = time.monotonic() + seconds
        threads = [threading.Thread(target=_client_loop, args=(url, i, deadline, records, lock)) for i in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        rss_end = _rss_mb(process.pid)
    finally:
        stop_app(process)
    result = {"clients": clients, "seconds": seconds, "requests": len(records),
              "failures": sum(1 for *_, error in records if error),
              "rss_start_mb": round(rss_start, 1), "rss_end_mb": round(rss_end, 1),
              "rss_growth": round(rss_end / rss_start - 1, 3)}
    for name in TASKS:
        served = [ms for task, ms, error in records if task == name and not error]
        result[name] = {"requests": len(served), "p50_ms": _percentile(served, 0.5), "p95_ms": _percentile(served, 0.95)}
    errors = sorted({error for *_, error in records if error})
    if errors:
        result["errors"] = errors[:5]
    return result
