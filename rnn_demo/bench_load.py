"""`bench load`: the app under many users. Launches `app.py`, then clients that each send one request after
another for a while, mixing the three tasks: streamed generation of 300 characters, a 300-word review
with its explanation, a day-ahead forecast. Reports requests, failures, latency per task and the
app's resident memory once warm (after a warm-up under the same load) and at the end, sampled every 2 s.

Clients are gradio_client sessions (one session each, as browsers are), or with `sessionless` plain HTTP calls of
the API (`/gradio_api/call/...`) that name no session, so that every request makes a session of its own."""
from __future__ import annotations

import json
import os
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from .bench import percentile
from .launch import start_app, stop_app
from .tasks import TASKS

REQUEST_TIMEOUT = 120.0  # seconds: a request not answered by then counts as a failure
RETRY_AFTER = 1.0  # seconds a refused client waits before its next request, as a person told "busy" would
# The clients all run here, so the app is launched as behind one proxy and each client says it comes from an address
# of its own (TEST-NET-1, RFC 5737: never a real host), as visitors of a Space do: one client's share applies to each.
BEHIND_A_PROXY = {"RNN_DEMO_TRUSTED_PROXIES": "1"}


def client_headers(index: int) -> dict[str, str]:
    return {"X-Forwarded-For": f"192.0.2.{index % 250 + 1}"}

CALLS = {api_name.strip("/"): (args, api_name)  # one request of each task's tab, as its plug-in gives it
         for api_name, args in (spec.load_call for spec in TASKS.values() if spec.load_call)}


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def post_call(url: str, api_name: str, data: list, headers: dict | None = None,
              timeout: float = REQUEST_TIMEOUT) -> str:
    """POST one call of `api_name` ("/name") that names no session; its event id (a refusal: urllib's HTTPError)."""
    posted = urllib.request.Request(f"{url.rstrip('/')}/gradio_api/call{api_name}",
                                    data=json.dumps({"data": data}).encode(),
                                    headers={"Content-Type": "application/json", **(headers or {})})
    with urllib.request.urlopen(posted, timeout=timeout) as answer:
        return json.loads(answer.read())["event_id"]


def call_without_session(url: str, api_name: str, args: tuple, timeout: float = REQUEST_TIMEOUT,
                         headers: dict | None = None) -> object:
    """One API call as a plain HTTP client makes it: POST the inputs, read the event stream to its end; no session
    hash is sent. Returns the last data sent; raises RuntimeError with the app's message on an error."""

    base = f"{url.rstrip('/')}/gradio_api/call{api_name}"
    try:
        event_id = post_call(url, api_name, list(args), headers, timeout)
    except urllib.error.HTTPError as refused:
        raise RuntimeError(refused.read().decode(errors="replace")[:200]) from None
    event, data = "", None
    with urllib.request.urlopen(urllib.request.Request(f"{base}/{event_id}", headers=headers or {}),
                                timeout=timeout) as stream:
        for line in stream:
            line = line.decode().rstrip("\n")
            if line.startswith("event: "):
                event = line[len("event: "):]
            elif line.startswith("data: "):
                data = json.loads(line[len("data: "):])
                if event == "error":
                    raise RuntimeError(str(data)[:200])
                if event == "complete":
                    return data
    raise RuntimeError(f"the event stream ended without a result (last event: {event or 'none'})")


def _client_loop(url: str, index: int, deadline: float, records: list, lock: threading.Lock,
                 sessionless: bool = False) -> None:
    from gradio_client import Client

    headers = client_headers(index)
    client = None if sessionless else Client(url, verbose=False, headers=headers)
    names = list(CALLS)
    turn = index
    while time.monotonic() < deadline:
        name = names[turn % len(names)]
        args, api_name = CALLS[name]
        started = time.monotonic()
        try:
            if client is None:
                call_without_session(url, api_name, args, headers=headers)
            else:
                client.submit(*args, api_name=api_name).result(timeout=REQUEST_TIMEOUT)
            error = None
        except Exception as failure:  # a busy queue or a timeout is a failure; record what the client saw
            error = str(failure)[:200]
        with lock:
            records.append((started, name, (time.monotonic() - started) * 1000, error))
        if error:
            time.sleep(RETRY_AFTER)
        turn += 1


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _sample_rss(pid: int, until: float, every: float, samples: list) -> None:
    """(seconds since start, RSS in MB) every `every` seconds until `until` (monotonic)."""
    began = time.monotonic()
    while time.monotonic() < until:
        samples.append((round(time.monotonic() - began, 1), round(_rss_mb(pid), 1)))
        time.sleep(every)


def _ms(values: list[float], q: float) -> float:
    return round(percentile(values, q), 1)


def _run_clients(url: str, pid: int, clients: int, warmup: float, seconds: float,
                 sessionless: bool = False) -> tuple[list, list]:
    """All clients for `warmup` + `seconds`; returns the requests started after the warm-up, and RSS samples."""
    records: list = []
    samples: list = []
    lock = threading.Lock()
    began = time.monotonic()
    deadline = began + warmup + seconds
    threads = [threading.Thread(target=_client_loop, args=(url, i, deadline, records, lock, sessionless))
               for i in range(clients)]
    threads.append(threading.Thread(target=_sample_rss, args=(pid, deadline, 2.0, samples)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    samples.append((round(time.monotonic() - began, 1), round(_rss_mb(pid), 1)))
    return [record for record in records if record[0] >= began + warmup], samples


def rss_slope(samples: list, since: float) -> float:
    """The least-squares slope of RSS over the samples taken from `since` seconds on, in MB per hour."""
    import numpy as np

    times, rss = np.array([(t, mb) for t, mb in samples if t >= since]).T
    return round(float(np.polyfit(times, rss, 1)[0]) * 3600, 1) if len(times) > 2 else float("nan")


def _rss_at(samples: list, second: float) -> float:
    """The first RSS sample taken at or after `second`."""
    return next(rss for t, rss in samples if t >= second)


def bench_load(clients: int = 32, seconds: float = 60.0, warmup: float = 30.0, with_training: bool = False,
               sessionless: bool = False, with_flood: bool = False) -> dict:
    """Run `clients` concurrent clients against a freshly launched app: `warmup` seconds under the same load
    (not counted: caches, allocator arenas and gradio's per-session state fill up), then `seconds` measured.
    `with_training`: then the same again while a visitor's training runs in the job slot (the Train tab), each
    task's latency reported beside the first measurement's; `with_flood`: the same while one client floods heavy
    jobs (`_with_flood`). `sessionless`: every request a new session."""
    from gradio_client import Client

    process, url = start_app(timeout=120, env=BEHIND_A_PROXY)
    try:
        first = Client(url, verbose=False)
        for args, api_name in CALLS.values():
            first.predict(*args, api_name=api_name)
        rss_after_one = _rss_mb(process.pid)
        app_cpu, own_cpu = _cpu_seconds(process.pid), _cpu_seconds(os.getpid())
        records, samples = _run_clients(url, process.pid, clients, warmup, seconds, sessionless)
        app_cpu, own_cpu = _cpu_seconds(process.pid) - app_cpu, _cpu_seconds(os.getpid()) - own_cpu
        training = _with_training(url, process.pid, clients, warmup, seconds) if with_training else None
        flooded = _with_flood(url, process.pid, clients, warmup, seconds) if with_flood else None
    finally:
        stop_app(process)
    rss_start, rss_end = _rss_at(samples, warmup), samples[-1][1]
    result = {"clients": clients, "sessionless": sessionless, "seconds": seconds, "warmup_seconds": warmup,
              **_latencies(records),
              "rss_after_one_request_mb": round(rss_after_one, 1), "rss_start_mb": rss_start, "rss_end_mb": rss_end,
              "rss_growth": round(rss_end / rss_start - 1, 3),
              # MB per hour over the measured part, and over its second half: a leak keeps its slope, a plateau not
              "rss_slope_mb_per_hour": rss_slope(samples, warmup),
              "rss_slope_second_half_mb_per_hour": rss_slope(samples, warmup + seconds / 2),
              "rss_mb_every_2s": [rss for _, rss in samples],
              # the clients run on the same machine: the CPU seconds each side used, warm-up included
              "app_cpu_s": round(app_cpu, 1), "clients_cpu_s": round(own_cpu, 1)}
    errors = sorted({error for *_, error in records if error})
    if errors:  # how soon a refused client heard so: a "busy" answer, not a hang
        refused = [ms for *_, ms, error in records if error]
        result["refused"] = {"p50_ms": _ms(refused, 0.5), "p95_ms": _ms(refused, 0.95)}
        result["errors"] = errors[:5]
    for key, other in (("with_training", training), ("with_flood", flooded)):
        if other is not None:
            result[key] = other
            for name in CALLS:
                other[name]["p95_vs_without"] = round(other[name]["p95_ms"] / result[name]["p95_ms"], 2)
    return result


def _latencies(records: list) -> dict:
    """Requests, failures, and each task's p50 and p95 over its served requests."""
    result = {"requests": len(records), "failures": sum(1 for *_, error in records if error)}
    for name in CALLS:
        served = [ms for _, task, ms, error in records if task == name and not error]
        result[name] = {"requests": len(served), "p50_ms": _ms(served, 0.5), "p95_ms": _ms(served, 0.95)}
    return result


FLOOD_BURST, FLOOD_EVERY = 80, 1.0  # the red team's flood: 80 lab runs in a few seconds, then one a second


def _with_flood(url: str, pid: int, clients: int, warmup: float, seconds: float) -> dict:
    """The clients' latencies while one more client floods the app with heavy jobs as a red team did: FLOOD_BURST
    lab runs of 3,000 steps at once, then one every FLOOD_EVERY seconds, each call under a session of its own, all
    from one address (an attack on "one run per visitor"). Counts the flood's calls the queue took and those it
    refused at its door."""
    from concurrent.futures import ThreadPoolExecutor

    from .lab.run import LabSettings
    from .lab.serve import to_widgets

    heavy = to_widgets(LabSettings(length=200, hidden=128, steps=3000))
    counts, lock, stop = {"taken": 0, "refused": 0}, threading.Lock(), threading.Event()

    def post(_: int = 0) -> None:
        try:
            post_call(url, "/lab_run", [*heavy, False, *heavy], {"X-Forwarded-For": "192.0.2.250"}, timeout=30)
            outcome = "taken"
        except (urllib.error.URLError, OSError):
            outcome = "refused"
        with lock:
            counts[outcome] += 1

    def flood() -> None:
        with ThreadPoolExecutor(16) as burst:
            list(burst.map(post, range(FLOOD_BURST)))
        while not stop.wait(FLOOD_EVERY):
            post()

    flooder = threading.Thread(target=flood)
    flooder.start()
    try:
        records, _ = _run_clients(url, pid, clients, warmup, seconds)
    finally:
        stop.set()
        flooder.join()
    return {**_latencies(records), "flood_calls": counts}


def _with_training(url: str, pid: int, clients: int, warmup: float, seconds: float) -> dict:
    """The clients' latencies while a visitor trains a small model in the job slot (the first trainable task, on
    its tiny model's data), started first and still going when they end (its budget covers the measurement; its
    last progress step is reported)."""
    import tempfile

    from gradio_client import Client, handle_file

    from .tasks import trainable_tasks
    from .visitor_training.job import DEFAULT_LR, MAX_SECONDS, column_roles

    spec = next(spec for spec in trainable_tasks().values() if spec.tiny and spec.tiny.files)
    (name, data), size = next(iter(spec.tiny.files.items())), list(spec.visitor.sizes)[-1]
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / name).write_text(data)
        trainer = Client(url, verbose=False)
        job = trainer.submit(spec.name, handle_file(str(Path(folder) / name)), "", "", "train",
                             *[""] * len(column_roles()), "gru", size, MAX_SECONDS, DEFAULT_LR, 0, api_name="/train")
        deadline = time.monotonic() + 60
        while not any(str(out[0]).startswith("Training: step") for out in job.outputs()):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the training did not start within 60 s: {job.outputs()[-1:]}")
            time.sleep(0.5)
        records, _ = _run_clients(url, pid, clients, warmup, seconds)
        last = str(job.outputs()[-1][0])
        trainer.predict(api_name="/train_stop")
        job.result(timeout=60)
    return {**_latencies(records), "training_still_going": last.startswith("Training: step"), "training_status": last}
