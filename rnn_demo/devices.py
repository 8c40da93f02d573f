"""Where the models run, named from what torch reports: the page says it, each model summary and benchmark too.

Served models (the task tabs, Inside the network) go to `pick_device()`: CUDA when torch sees a GPU, else
the CPU. Training in the app (the Train tab, a forecast adapted to an upload, the gradient lab) runs in the job slot's
worker process on `training_device()`, the same choice: on a GPU it takes the GPU for its job (and frees its cached
memory after, jobs.py), within the same time budget, so a visitor simply gets more steps.
"""
from __future__ import annotations

import os
import platform
from functools import lru_cache

import torch

def on_zero_gpu() -> bool:
    """Whether this is a ZeroGPU Space (which sets SPACES_ZERO_GPU=true, as gradio's own check reads it)."""
    return os.environ.get("SPACES_ZERO_GPU", "").lower() == "true"


def pick_device(name: str | None = None) -> torch.device:
    """The device to serve on: `name` if given, else CUDA when available, else the CPU. On ZeroGPU hardware, the
    CPU: a GPU there is lent only inside `@spaces.GPU` calls, which this app's generation loop and job worker cannot
    be (README, "CUDA"), so the app runs as on a CPU Space and the page says why."""
    if name:
        return torch.device(name)
    return torch.device("cuda" if torch.cuda.is_available() and not on_zero_gpu() else "cpu")


def training_device() -> torch.device:
    """Where the app trains (the job slot's visitor training, forecast adaptation, the lab): CUDA when torch sees a
    GPU, else the CPU."""
    return pick_device()


@lru_cache(maxsize=1)
def cpu_name() -> str:
    """This machine's CPU model and the vector instructions PyTorch uses on it, e.g. "AMD EPYC 7B13 (AVX2,
    2 cores)": speed figures depend on both."""
    name = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as info:
            name = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), name)
    except OSError:
        pass
    return f"{name} ({torch.backends.cpu.get_cpu_capability()}, {os.cpu_count()} cores)"


def device_name(device: torch.device | str) -> str:
    """A device as a person reads it: "the GPU: NVIDIA H200 (CUDA 13.0)" or "the CPU: AMD
    EPYC 7B13 (AVX2, 2 cores)"."""
    device = torch.device(device)
    if device.type == "cuda":
        return f"the GPU: {torch.cuda.get_device_name(device)} (CUDA {torch.version.cuda})"
    if device.type == "cpu":
        return f"the CPU: {cpu_name()}"
    return f"the {device.type} device"


def runs_on(where: torch.nn.Module | torch.device) -> str:
    """A device, or the one that holds a model's weights, as the sentence that ends a model summary."""
    device = next(where.parameters()).device if isinstance(where, torch.nn.Module) else where
    return f"Runs on {device_name(device)}."


def page_note() -> str:
    """One line for the top of the page: where the served models run and where the app trains."""
    serving, training = pick_device(), training_device()
    if serving == training == torch.device("cpu"):
        why = ("this is ZeroGPU hardware, which the app does not use (see its README: hardware)" if on_zero_gpu()
               else "this torch is a build without CUDA" if torch.version.cuda is None
               else "torch sees no GPU on this machine")
        return f"Every model here runs on {device_name(serving)}; {why}."
    return (f"The served models run on {device_name(serving)}, and so does training in the app (Train your own, a "
            "forecast fitted to your series, the gradient lab), one job at a time.")
