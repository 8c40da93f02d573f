"""`python -m rnn_demo bench lab`: a lab run's wall time at one thread (as the job slot's worker runs it) beside the
same run stepped through the from-scratch cells (as the lab trained before it used PyTorch's fused kernels), and the
Sentiment tab's latency in the launched app without a lab run and with one going, measured in the same run."""
from __future__ import annotations

import argparse
import threading
import time
from dataclasses import replace

import numpy as np

from ..devices import cpu_name
from .problems import make_batch
from .run import BATCH, LabSettings, _loss_and_score, run_lab, starting_point

RUN = LabSettings(problem="first", length=100, cell="lstm", hidden=64, lr=0.003, keep_bias=3.0, steps=300)
REVIEW = "The first half is gripping and the photography is lovely, but the last act falls apart completely."
PHASE_SECONDS = 20.0


def _run_seconds(settings: LabSettings) -> float:
    import torch

    torch.set_num_threads(1)
    steps = list(run_lab(settings))
    return steps[-1].seconds


def _from_scratch_seconds(settings: LabSettings) -> float:
    """The baseline: the same run's steps through the from-scratch cells, every state kept for its gradient and the
    gates recorded at every step (what each lab step took before), at one thread."""
    import torch

    torch.set_num_threads(1)
    model, optimizer, data = starting_point(settings)
    started = time.perf_counter()
    for _ in range(settings.steps):
        batch = make_batch(settings.problem, BATCH, settings.length, data)
        outputs, unrolled = model(batch.inputs)
        for h in unrolled.steps[0]:
            h.retain_grad()
        loss, _ = _loss_and_score(settings.problem, outputs, batch.targets)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), settings.clip or float("inf"))
        max(h.detach().abs().max().item() for h in unrolled.steps[0])  # read, as each step's figures were
        {name: value.detach().mean().item() for name, value in unrolled.layers[0].items()}
        optimizer.step()
    return time.perf_counter() - started


def _classify_latencies(client, seconds: float) -> list[float]:
    """One visitor classifying reviews back to back for `seconds`: each request's latency in seconds."""
    latencies, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.perf_counter()
        client.predict(REVIEW, "gru", api_name="/classify")
        latencies.append(time.perf_counter() - started)
    return latencies


def _figures(latencies: list[float]) -> dict:
    return {"requests": len(latencies), "p50_ms": round(1000 * float(np.percentile(latencies, 50)), 1),
            "p95_ms": round(1000 * float(np.percentile(latencies, 95)), 1)}


def bench_lab(args: argparse.Namespace) -> dict:
    """A lab run (LSTM, T = 100, 64 units, 300 steps) at one thread, and the same through the from-scratch cells;
    classify latency in the app without and with lab runs going."""
    from gradio_client import Client

    from ..launch import launched_app
    from .serve import to_widgets  # plotly, imported here: listing the benchmarks needs none of it

    fused, scratch = _run_seconds(RUN), _from_scratch_seconds(RUN)
    result = {"cpu": cpu_name(), "run": {"settings": f"LSTM, T = {RUN.length}, {RUN.hidden} units, {RUN.steps} steps",
                                    "seconds": round(fused, 1), "from_scratch_seconds": round(scratch, 1),
                                    "speed_up": round(scratch / fused, 2)}}
    with launched_app() as url:
        visitor, labber = Client(url, verbose=False), Client(url, verbose=False)
        _classify_latencies(visitor, 5.0)  # warm up: not counted
        result["classify_alone"] = _figures(_classify_latencies(visitor, PHASE_SECONDS))
        values, stop = to_widgets(replace(RUN, steps=3000)), threading.Event()  # each stops at the slot's 30 s

        def keep_the_lab_busy() -> None:  # back-to-back lab runs (each up to the slot's 30 s) while we measure
            while not stop.is_set():
                try:
                    labber.predict(*values, False, *values, api_name="/lab_run")
                except Exception:  # noqa: BLE001 - the app is closing at the end of the bench
                    return

        busy = threading.Thread(target=keep_the_lab_busy, daemon=True)
        busy.start()
        time.sleep(3.0)  # the worker process has started and is training
        result["classify_with_a_lab_run"] = _figures(_classify_latencies(visitor, PHASE_SECONDS))
        stop.set()
    alone, busy_p95 = result["classify_alone"]["p95_ms"], result["classify_with_a_lab_run"]["p95_ms"]
    result["p95_ratio"] = round(busy_p95 / alone, 2)
    return result


BENCHES = {"lab": bench_lab}
