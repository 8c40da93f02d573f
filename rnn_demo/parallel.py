"""Data-parallel training: the one loop of `training.py` on one process or many, through Hugging Face Accelerate.

`python -m rnn_demo train ...` trains in one process (`OneReplica`). Started by `accelerate launch` (or torchrun),
each process is a rank of `AcceleratedReplicas`: the model is wrapped in DistributedDataParallel, so every
backward pass averages the gradients of all ranks, and each rank trains on its own contiguous rows of every
batch (`Shard`). The batches are drawn from the same seeded sequence as one process would draw them, so N
processes with batch size B take the steps one process takes with batch size B (dropout aside).

The loop asks its replicas for everything that depends on how many there are: preparing the model, the backward
pass and clipping, agreeing on a number (the main rank's selection loss, the ranks' mean training loss), and the
per-rank parts of a checkpoint (the random generators, the recurrent state each rank carries). Checkpoints stay the
project's own (safetensors and JSON), written by the main rank alone: Accelerate's `save_state` pickles, and the
project never loads a pickle.
"""
from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NoReturn

import torch


@dataclass(frozen=True)
class Shard:
    """Which rows of each batch this process trains on: the `rank`-th of `world` equal, contiguous parts."""

    rank: int = 0
    world: int = 1

    def rows(self, batch_size: int) -> slice:
        """This rank's rows of a batch of `batch_size` rows (the same rows on every call)."""
        if batch_size % self.world:
            raise ValueError(f"the batch size {batch_size} does not split evenly over {self.world} processes: "
                             f"choose a multiple of {self.world} (the batch size is the global one, over all processes)")
        size = batch_size // self.world
        return slice(self.rank * size, (self.rank + 1) * size)


def launched() -> bool:
    """Whether this process was started by `accelerate launch` or torchrun (then it is one rank of a training)."""
    return "ACCELERATE_MIXED_PRECISION" in os.environ or int(os.environ.get("WORLD_SIZE", "1")) > 1


class OneReplica:
    """Training in this process alone, on `device`: nothing to share, nothing to wait for."""

    is_main = True

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.shard = Shard()

    def prepare(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> tuple[Any, Any]:
        return model, optimizer

    def backward(self, loss: torch.Tensor) -> None:
        loss.backward()

    def clip(self, model: torch.nn.Module, max_norm: float) -> float:
        """Clip the gradients to `max_norm`; their norm before (the same on every rank: they are averaged)."""
        return float(torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm))

    @contextmanager
    def full_precision(self, module: torch.nn.Module) -> Iterator[torch.nn.Module]:
        """`module` computing in float32 (selection and the saved model's calibration), even when trained in bf16."""
        yield module

    def from_main(self, value: float) -> float:
        """The main rank's `value`, on every rank."""
        return value

    def mean(self, value: float) -> float:
        """The mean of every rank's `value`."""
        return value

    def joined(self, tensor: torch.Tensor, dim: int) -> torch.Tensor:
        """Every rank's `tensor`, concatenated along `dim` in rank order (on the CPU)."""
        return tensor.detach().cpu()

    def wait(self) -> None:
        """Return when every rank has come here."""

    def record(self) -> dict[str, Any]:
        """How the training ran, for training.json."""
        return {"processes": 1, "device": str(self.device)}

    def finish(self) -> None:
        """Leave the training: called once, after the last step (or on the way out of a failed one)."""


class AcceleratedReplicas(OneReplica):
    """This process as one rank of an `accelerate launch` training (DDP; bf16 if launched with it).

    The device is Accelerate's choice: a GPU per rank, or with `cpu` the CPU (the ranks talk through gloo)."""

    def __init__(self, cpu: bool = False) -> None:
        from accelerate import Accelerator

        self.accelerator = Accelerator(cpu=cpu)
        self.device = self.accelerator.device
        self.shard = Shard(self.accelerator.process_index, self.accelerator.num_processes)
        self.is_main = self.accelerator.is_main_process

    def prepare(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> tuple[Any, Any]:
        return self.accelerator.prepare(model, optimizer)

    def backward(self, loss: torch.Tensor) -> None:
        self.accelerator.backward(loss)

    def clip(self, model: torch.nn.Module, max_norm: float) -> float:
        return float(self.accelerator.clip_grad_norm_(model.parameters(), max_norm))

    @contextmanager
    def full_precision(self, module: torch.nn.Module) -> Iterator[torch.nn.Module]:
        # With mixed precision, `prepare` wraps the module's forward in autocast and keeps the original beside it
        # (as its own `unwrap_model(keep_fp32_wrapper=False)` reads it); this puts it back for the block.
        wrapped, original = module.__dict__.get("forward"), module.__dict__.get("_original_forward")
        if wrapped is None or original is None:
            yield module
            return
        module.forward = original
        try:
            yield module
        finally:
            module.forward = wrapped

    def from_main(self, value: float) -> float:
        from accelerate.utils import broadcast

        return float(broadcast(torch.tensor([value], dtype=torch.float64, device=self.device))[0])

    def mean(self, value: float) -> float:
        from accelerate.utils import reduce

        return float(reduce(torch.tensor([value], dtype=torch.float64, device=self.device), "mean")[0])

    def joined(self, tensor: torch.Tensor, dim: int) -> torch.Tensor:
        from accelerate.utils import gather

        moved = tensor.detach().to(self.device).movedim(dim, 0).contiguous()
        return gather(moved).movedim(0, dim).cpu()

    def wait(self) -> None:
        self.accelerator.wait_for_everyone()

    def record(self) -> dict[str, Any]:
        return {"processes": self.shard.world, "device": str(self.device),
                "mixed_precision": str(self.accelerator.mixed_precision)}

    def finish(self) -> None:
        # Accelerate's prepared objects first (free_memory drops them and collects), then the process group. On torch
        # 2.13 gloo's threads outlive this once a DDP wrapper was made; `end_rank` keeps the exit clear of them.
        self.accelerator.free_memory()
        self.accelerator.end_training()


def end_rank(command: Callable[[], int]) -> NoReturn:
    """Run `command` (the command line's main) as a rank of a launch, then end the process with its exit code,
    skipping the interpreter's teardown: the rank's files are written and closed by then, and stdout and stderr are
    flushed here. An exception that escapes `command` prints its traceback and ends with code 1.

    Why: on torch 2.13 with gloo, once a DistributedDataParallel wrapper has been made, the process group's threads
    (gloo_tcp_loop, pt_gloo_runloop in /proc/self/task) outlive `destroy_process_group` and the wrapper, even in a
    script of ten lines. Tearing them down at the interpreter's exit killed a finished rank now and then with
    "terminate called without an active exception" (SIGABRT), and the launch failed after a complete training:
    three fresh-clone CI runs since 2026-12-03, although every rank waits for the others and destroys the group."""
    try:
        code = command()
    except SystemExit as leaving:  # argparse's usage errors (2), sys.exit(...) with a code or a message
        code = leaving.code if isinstance(leaving.code, int) else (0 if leaving.code is None else 1)
        if not isinstance(leaving.code, int | None):
            print(leaving.code, file=sys.stderr)
    except BaseException:  # noqa: BLE001 - every failure still ends the rank, with its traceback
        traceback.print_exc()
        code = 1
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(code)


def one_cpu_process_note() -> str | None:
    """What to do instead, when `accelerate launch --cpu` started this process alone (it starts several CPU processes
    only through mpirun)."""
    if os.environ.get("ACCELERATE_USE_CPU", "").lower() != "true" or int(os.environ.get("WORLD_SIZE", "1")) > 1:
        return None
    return ("note: accelerate launch --cpu starts one process (several only through mpirun). For N processes on the "
            "CPU: accelerate launch --multi_gpu --num_processes N -m rnn_demo train ... --device cpu (Accelerate starts "
            "them through torchrun; they train on the CPU and talk through gloo)")


def replicas_for(device: str | None) -> OneReplica:
    """This process's part in a training: a rank of an Accelerate launch, else the only replica, on `device`
    (default: CUDA when available, else the CPU). Under a launch, `device` may only be "cpu" (Accelerate
    gives each rank its GPU)."""
    from .devices import pick_device

    if not launched():
        return OneReplica(pick_device(device))
    if device not in (None, "cpu"):
        raise ValueError(f"--device {device}: under accelerate launch each process takes the GPU Accelerate gives it; "
                         "choose GPUs with accelerate's --gpu_ids, or pass --device cpu to train on the CPU")
    cpu = device == "cpu" or not torch.cuda.is_available()
    precision = os.environ.get("ACCELERATE_MIXED_PRECISION", "no")
    if cpu and precision != "no":
        raise ValueError(f"--mixed_precision {precision} is for GPUs: on a CPU the recurrent kernels do not all take it "
                         "(oneDNN refuses a bf16 LSTM on CPUs without bf16 instructions); launch with --mixed_precision no")
    return AcceleratedReplicas(cpu=cpu)
