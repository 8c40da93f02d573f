"""A training's checkpoint: everything a resumed run needs to continue exactly (weights, optimizer moments, each
rank's random generator, the carried recurrent state, the loop state), safetensors and JSON only, in a run
directory's `last/`. A save writes a folder of its own and swaps it in (two renames), so an interrupted save leaves
the previous checkpoint whole: written in place, a Ctrl-C between its files left new weights beside old optimizer
moments, resumed without a word, and a file cut short a traceback.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from .parallel import OneReplica


def save_checkpoint(directory: Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer, state: dict,
                    carry: Any = None, replicas: OneReplica | None = None) -> None:
    """Everything a resumed run needs to continue exactly: weights, optimizer moments, each rank's random
    generators (the CPU's and, on a GPU, its device's: dropout there draws from it), the carried tensors (e.g. a
    recurrent state, every rank's rows) and the loop state; safetensors and
    JSON only. Every rank calls it (the ranks' parts are gathered); the main rank writes."""
    replicas = replicas or OneReplica(torch.device("cpu"))
    carried = _as_tensors(carry)
    joined = [replicas.joined(t, 1) for t in carried or []]  # (layers, batch, hidden): all ranks' rows
    generators = {"rng": replicas.joined(torch.get_rng_state()[None], 0)}  # (ranks, state)
    if replicas.device.type == "cuda":  # dropout on a GPU draws from its device's generator
        generators["cuda_rng"] = replicas.joined(torch.cuda.get_rng_state(replicas.device)[None], 0)
    if not replicas.is_main:
        return
    staging, previous = _beside(directory)  # the checkpoint is written whole, then swapped in
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    save_file({k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()},
              str(staging / "weights.safetensors"))
    opt = optimizer.state_dict()
    tensors = {f"{index}.{key}": value.cpu().contiguous()
               for index, moments in opt["state"].items() for key, value in moments.items()}
    save_file(tensors, str(staging / "optimizer.safetensors"))
    save_file({**generators, **{f"carry.{i}": t.contiguous() for i, t in enumerate(joined)}},
              str(staging / "extra.safetensors"))
    meta = {"loop": state, "param_groups": opt["param_groups"], "carry": None if carried is None else
            ("tuple" if isinstance(carry, tuple) else "tensor")}
    (staging / "trainer_state.json").write_text(json.dumps(meta, indent=1))
    shutil.rmtree(previous, ignore_errors=True)
    if directory.exists():
        directory.rename(previous)  # two renames: a whole checkpoint is `directory` or, between them, `previous`
    staging.rename(directory)
    shutil.rmtree(previous, ignore_errors=True)


def checkpoint_in(directory: Path) -> bool:
    """Whether `directory` holds a whole checkpoint to resume (save_checkpoint's), taking back the previous one if
    a save was interrupted between its two renames."""
    previous = _beside(directory)[1]
    if not directory.exists() and (previous / "trainer_state.json").is_file():
        previous.rename(directory)
    return (directory / "trainer_state.json").is_file()


def load_checkpoint(directory: Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                    replicas: OneReplica | None = None) -> tuple[dict, Any]:
    """Restore what `save_checkpoint` wrote; return the loop state and this rank's carry. Each rank takes its own
    random generator back when the number of ranks is the one that wrote it (else it keeps its seeded one)."""
    replicas = replicas or OneReplica(torch.device("cpu"))
    if not (directory / "trainer_state.json").is_file():  # the main rank found it: a folder not shared by machines
        raise ValueError(f"{directory} holds no checkpoint on this machine, but does on the main process's: "
                         "training on several machines needs --run-dir on a filesystem they all share")
    device = next(model.parameters()).device
    try:  # a checkpoint written in place by an older version may be cut short anywhere
        meta = json.loads((directory / "trainer_state.json").read_text())
        weights = load_file(str(directory / "weights.safetensors"), device=str(device))
        optimizer_file = load_file(str(directory / "optimizer.safetensors"), device=str(device))
        extra_path = directory / "extra.safetensors"
        extra = load_file(str(extra_path)) if extra_path.is_file() else {}
    except (OSError, SafetensorError, ValueError) as error:  # json's errors are ValueErrors
        raise ValueError(f"the checkpoint in {directory} is damaged ({error}): start afresh with --no-resume") from None
    model.load_state_dict(weights)
    moments: dict[int, dict[str, torch.Tensor]] = {}
    for name, value in optimizer_file.items():
        index, key = name.split(".", 1)
        moments.setdefault(int(index), {})[key] = value if key != "step" else value.cpu()
    optimizer.load_state_dict({"state": moments, "param_groups": meta["param_groups"]})
    _restore_generators(extra.pop("rng", None), extra.pop("cuda_rng", None), replicas)
    carried = [extra[f"carry.{i}"] for i in range(len(extra))]  # (layers, batch, hidden)
    carried = [t[:, replicas.shard.rows(t.size(1))].to(device) for t in carried]
    carry = {"tuple": tuple(carried), "tensor": carried[0] if carried else None}.get(meta.get("carry"))
    return meta["loop"], carry


def _restore_generators(cpu: torch.Tensor | None, cuda: torch.Tensor | None, replicas: OneReplica) -> None:
    """This rank's CPU generator and, on a GPU, its device's, as saved (each (ranks, state); the CPU one once
    (state,)), when the number of ranks is the one that wrote them: else the seeded ones stay."""
    if cpu is not None:
        cpu = cpu[None] if cpu.dim() == 1 else cpu
        if len(cpu) == replicas.shard.world:
            torch.set_rng_state(cpu[replicas.shard.rank].clone())
    if cuda is not None and replicas.device.type == "cuda" and len(cuda) == replicas.shard.world:
        torch.cuda.set_rng_state(cuda[replicas.shard.rank].clone(), replicas.device)


def remove_checkpoint(directory: Path) -> None:
    """The checkpoint in `directory` gone, with what a save cut short left beside it."""
    for folder in (directory, *_beside(directory)):
        shutil.rmtree(folder, ignore_errors=True)


def _beside(directory: Path) -> tuple[Path, Path]:
    """The folders a save writes beside `directory`: the one being written, and the previous checkpoint."""
    return directory.with_name(f"{directory.name}.partial"), directory.with_name(f"{directory.name}.previous")


def _as_tensors(carry: Any) -> list[torch.Tensor] | None:
    """The carry as a list of tensors, or None when it is not made of tensors (it is then not saved)."""
    if isinstance(carry, torch.Tensor):
        return [carry]
    if isinstance(carry, tuple) and carry and all(isinstance(t, torch.Tensor) for t in carry):
        return list(carry)
    return None
