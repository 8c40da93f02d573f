"""What a visitor's Hub model must satisfy before the app builds it, checked from what is cheap to read first.

In order: each file's size on the Hub (before downloading it); every field of config.json by type and range, and
the number of parameters the config implies, by formula (`state_shapes()` of the task's config), before the
weights are downloaded; then the weights' safetensors header against the tensors the config implies: its length
bounded first (the file's first 8 bytes), then the header read by the safetensors library itself (`safe_open`,
never the tensors); and the task's own files (a sentiment model's tokenizer against its embedding). Whatever fails
is a ModelLoadError naming the repository, the file and the problem; nothing is built before all of this passes.

Each task declares its bounds as a `ConfigLimits` beside its config (e.g. `text/model.py`); this module knows
no task.
"""
from __future__ import annotations

import json
import math
import re
import struct
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from safetensors import SafetensorError, safe_open

from .backbone import Shapes, num_parameters
from .display import quoted, unreadable
from .hub import CONFIG_NAME, WEIGHTS_NAME, ModelLoadError, check_task

MB = 1024 * 1024
FILE_LIMITS = {CONFIG_NAME: 1 * MB, WEIGHTS_NAME: 50 * MB, "training.json": 1 * MB,
               "README.md": 1 * MB}  # the files of every task a load may download, in bytes (config.json first)
MAX_PARAMETERS = FILE_LIMITS[WEIGHTS_NAME] // 2  # what fits the weights limit in float16: 26,214,400
MAX_HEADER_BYTES = 100_000  # a safetensors header: a few KB for these models
WEIGHT_DTYPES = {"F32": 4, "F16": 2, "BF16": 2}  # bytes per value

# The fields every task's config shares (the backbone's and the storage's), with their bounds.
SHARED_WHOLE = {"hidden_size": (1, 1024), "num_layers": (1, 4)}
SHARED_REAL = {"dropout": (0.0, 0.99)}
SHARED_STRINGS = {"cell": 16, "task": 16, "storage_dtype": 16}
SHARED_CHOICES = {"storage_dtype": ("float32", "float16", "bfloat16")}

FileCheck = Callable[[Path, Any, str], None]  # (downloaded file, the checked config, repo id): raises ModelLoadError


@dataclass(frozen=True)
class TaskFile:
    """A file a task's model needs beyond config.json and the weights: its size limit and its check once downloaded."""

    limit: int  # bytes
    check: FileCheck


@dataclass(frozen=True)
class ConfigLimits:
    """What a visitor's model of one task may hold, declared by the task beside its config.

    Every field of `config` (a dataclass with a `task` default and `state_shapes()`) has one bound: (lowest,
    highest) for whole and real numbers, characters for strings, and for lists (item type, most items, characters
    per item or the items' range). The shared fields' bounds (SHARED_*) are added. `problem` checks what types
    cannot say (returns a message or None); `files` are the task's own files, all required."""

    config: type
    whole: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    real: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    flags: tuple[str, ...] = ()
    strings: Mapping[str, int] = field(default_factory=dict)
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    lists: Mapping[str, tuple[type, int, Any]] = field(default_factory=dict)
    distinct: tuple[str, ...] = ()
    # string lists a page shows as names (a classifier's labels): none that reads as nothing, no two that read alike
    readable: tuple[str, ...] = ()
    files: Mapping[str, TaskFile] = field(default_factory=dict)
    problem: Callable[[dict[str, Any]], str | None] | None = None

    def __post_init__(self) -> None:
        for name, shared in (("whole", SHARED_WHOLE), ("real", SHARED_REAL), ("strings", SHARED_STRINGS),
                             ("choices", SHARED_CHOICES)):
            object.__setattr__(self, name, {**shared, **getattr(self, name)})
        bounded = {*self.whole, *self.real, *self.flags, *self.strings, *self.lists}
        if unbounded := [f.name for f in fields(self.config) if f.name not in bounded]:
            raise ValueError(f"{self.config.__name__} has fields without a bound: {', '.join(unbounded)}")

    @property
    def task(self) -> str:
        """The task's name: its config's `task` default."""
        return next(f.default for f in fields(self.config) if f.name == "task")

    @property
    def file_limits(self) -> dict[str, int]:
        """Every file a load of this task may download, with its size limit in bytes (config.json first)."""
        return {**FILE_LIMITS, **{name: file.limit for name, file in self.files.items()}}


def shown(value: Any) -> str:
    """A config value as JSON, cut to 80 characters."""
    text = json.dumps(value)
    return text if len(text) <= 80 else text[:80] + "…"


def _number(value: int | float) -> str:
    return f"{value:,}" if abs(value) < 10 ** 15 else f"a number of {len(str(abs(int(value))))} digits"


def _scalar_problem(limits: ConfigLimits, name: str, value: Any) -> str | None:
    if name in limits.whole:
        low, high = limits.whole[name]
        if type(value) is not int:
            return f"{name} must be a whole number, not {shown(value)}"
        return None if low <= value <= high else f"{name} is {_number(value)}; it must be between {low:,} and {high:,}"
    if name in limits.real:
        return _real_problem(name, value, *limits.real[name])
    if name in limits.flags:
        return None if type(value) is bool else f"{name} must be true or false, not {shown(value)}"
    if type(value) is not str:
        return f"{name} must be a string, not {shown(value)}"
    if len(value) > limits.strings[name]:
        return f"{name} has {len(value):,} characters; the limit is {limits.strings[name]}"
    if name in limits.choices and value not in limits.choices[name]:
        return f"{name} must be one of {', '.join(limits.choices[name])}, not {quoted(value)}"
    return None


def _real_problem(name: str, value: Any, low: float, high: float) -> str | None:
    if type(value) not in (int, float):
        return f"{name} must be a number, not {shown(value)}"
    return None if low <= value <= high else f"{name} must be a finite number between {low:g} and {high:g}, not {shown(value)}"


def _list_problem(limits: ConfigLimits, name: str, value: Any) -> str | None:
    kind, most, each = limits.lists[name]
    if type(value) is not list:
        return f"{name} must be a list, not {shown(value)}"
    if len(value) > most:
        return f"{name} has {len(value):,} entries; the limit is {most:,}"
    for index, item in enumerate(value):
        if kind is float and (problem := _real_problem(f"{name}[{index}]", item, *each)):
            return problem
        if kind is str and type(item) is not str:
            return f"{name}[{index}] must be a string, not {shown(item)}"
        if kind is str and len(item) > each:
            return f"{name}[{index}] has {len(item):,} characters; the limit is {each}"
    if name in limits.readable and (problem := unreadable(value, name.removesuffix("s"))):  # a reader tells apart
        return problem
    if name in limits.distinct and len(set(value)) < len(value):
        return f"{name} must all differ"
    return None


def check_config(raw: Any, limits: ConfigLimits, repo_id: str) -> Any:
    """The task's config built from a repository's config.json (parsed) once every field is within `limits` and the
    parameters it implies fit MAX_PARAMETERS; keys the config does not have are dropped. No model is built."""
    if not isinstance(raw, dict):
        raise ModelLoadError(f"{repo_id}'s {CONFIG_NAME} must hold a JSON object, not {shown(raw)}")
    check_task(raw, limits.task, repo_id, needed_by="this tab")
    names = {field.name for field in fields(limits.config)}
    values = {name: value for name, value in raw.items() if name in names}
    for name, value in values.items():
        problem = (_list_problem(limits, name, value) if name in limits.lists
                   else _scalar_problem(limits, name, value))
        if problem:
            raise ModelLoadError(f"{repo_id}'s {CONFIG_NAME} does not fit this app: {problem}")
    problem = limits.problem(values) if limits.problem else None
    try:
        config = None if problem else limits.config(**values)
    except (TypeError, ValueError) as error:
        problem = str(error)
    if problem is None and (count := num_parameters(config.state_shapes())) > MAX_PARAMETERS:
        problem = (f"it implies {count:,} parameters; the limit here is {MAX_PARAMETERS:,} "
                   f"({FILE_LIMITS[WEIGHTS_NAME] // MB} MB of float16 weights)")
    if problem:
        raise ModelLoadError(f"{repo_id}'s {CONFIG_NAME} does not fit this app: {problem}")
    return config


def check_files(sizes: dict[str, int | None], limits: ConfigLimits, repo_id: str) -> list[str]:
    """The files of the repository to download (config.json first), once each is within its size limit (sizes
    from the Hub's metadata, None where it gave none). Only files named in `limits.file_limits` are ever
    downloaded."""
    check_required(sizes, (CONFIG_NAME, WEIGHTS_NAME), "an rnn-demo model", repo_id)
    for name, limit in limits.file_limits.items():
        if (sizes.get(name) or 0) > limit:
            raise ModelLoadError(f"{repo_id}'s {name} has {sizes[name] / MB:.1f} MB; the limit here is "
                                 f"{limit // MB} MB")
    return [name for name in limits.file_limits if name in sizes]


def check_required(names: Iterable[str], required: Iterable[str], what: str, repo_id: str) -> None:
    """Every required file is among the repository's `names`."""
    if missing := [name for name in required if name not in names]:
        raise ModelLoadError(f"{repo_id} has no {missing[0]}: it is not {what}")


def read_json(path: Path, repo_id: str) -> Any:
    """A downloaded JSON file (its size already bounded), or a clear error."""
    try:
        return json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ModelLoadError(f"{repo_id}'s {path.name} is not valid JSON") from None


def _header_length(path: Path) -> tuple[int, int]:
    """The length a safetensors file gives its header (its first 8 bytes) and the size of its data, once within
    MAX_HEADER_BYTES and the file: checked before the library reads anything."""
    size = path.stat().st_size
    with path.open("rb") as file:
        prefix = file.read(8)
    length = struct.unpack("<Q", prefix)[0] if len(prefix) == 8 else size
    if length > MAX_HEADER_BYTES:
        raise ValueError(f"its header would be {length:,} bytes; the limit is {MAX_HEADER_BYTES:,}")
    if 8 + length > size:
        raise ValueError("it ends inside its header")
    return length, size - 8 - length


def _tensors(path: Path) -> dict[str, tuple[str, list[int]]]:
    """Each tensor's dtype and shape, as the safetensors library reads them from the header (never the tensors);
    ValueError says what is wrong with a file it refuses."""
    length, data_size = _header_length(path)
    try:
        with safe_open(str(path), framework="pt") as weights:
            slices = {name: weights.get_slice(name) for name in weights.keys()}
            return {name: (part.get_dtype(), list(part.get_shape())) for name, part in slices.items()}
    except SafetensorError as error:
        with path.open("rb") as file:
            raw = file.read(8 + length)[8:]  # bounded above
        raise ValueError(_refusal(raw, data_size, str(error))) from None


def _refusal(raw: bytes, data_size: int, reason: str) -> str:
    """Why the library refused a file (`reason`, its message), naming the tensor at fault where the header's JSON
    shows which: the library decides, this only words its refusal for the visitor."""
    try:
        header = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        header = None
    if not isinstance(header, dict):
        return "it is not a safetensors file (its header is not a JSON object)"
    if named := re.search(r"invalid offset for tensor `(.*)`", reason):
        return f"the data of {quoted(named[1])} is not where its header says"
    header.pop("__metadata__", None)
    for name, entry in header.items():
        if problem := _tensor_problem(name, entry, data_size):
            return problem
    return f"the safetensors library refuses it: {quoted(reason.removeprefix('Error while deserializing header: '))}"


def _tensor_problem(name: str, entry: Any, data_size: int) -> str | None:
    if not isinstance(entry, dict):
        return f"{quoted(name)} is not a tensor"
    dtype, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
    if not isinstance(dtype, str) or dtype not in WEIGHT_DTYPES:
        return f"{quoted(name)} has dtype {quoted(dtype, 12)}; the app reads F32, F16 or BF16"
    if not (type(shape) is list and len(shape) <= 4 and all(type(n) is int and n >= 0 for n in shape)):
        return f"{quoted(name)} has shape {shown(shape)}"
    if not (type(offsets) is list and len(offsets) == 2 and all(type(n) is int for n in offsets)
            and 0 <= offsets[0] <= offsets[1] <= data_size
            and offsets[1] - offsets[0] == math.prod(shape) * WEIGHT_DTYPES[dtype]):
        return f"the data of {quoted(name)} is not where its header says"
    return None


def _weights_problem(path: Path, expected: Shapes) -> str | None:
    tensors = _tensors(path)
    for name, (dtype, shape) in tensors.items():
        if dtype not in WEIGHT_DTYPES:
            return f"{quoted(name)} has dtype {quoted(dtype, 12)}; the app reads F32, F16 or BF16"
        if len(shape) > 4:
            return f"{quoted(name)} has shape {shown(shape)}"
    if missing := sorted(expected.keys() - tensors.keys()):
        return f"it lacks {', '.join(missing[:4])}{', …' if len(missing) > 4 else ''}"
    if extra := sorted(tensors.keys() - expected.keys()):
        return f"it holds {quoted(extra[0])}{' and more' if len(extra) > 1 else ''}, which the config does not"
    for name, shape in expected.items():
        if tensors[name][1] != list(shape):
            return f"{name} has shape {shown(tensors[name][1])}; the config implies {list(shape)}"
    return None


def check_weights(path: Path, config: Any, repo_id: str) -> None:
    """The safetensors file holds exactly the tensors `config` implies, with their shapes, as float32, float16
    or bfloat16: its header's length bounded first (8 bytes read), then the header read by the safetensors library
    (`safe_open`), never the tensors."""
    try:
        problem = _weights_problem(path, config.state_shapes())
    except ValueError as error:
        problem = str(error)
    if problem:
        raise ModelLoadError(f"{repo_id}'s {WEIGHTS_NAME} does not fit this app: {problem}")


def check_file(name: str, path: Path, config: Any, limits: ConfigLimits, repo_id: str) -> None:
    """A model file, once downloaded, against the checked config: the weights' header (check_weights), or the task's
    own check of its file (`limits.files`); other files are not read."""
    if name == WEIGHTS_NAME:
        check_weights(path, config, repo_id)
    elif name in limits.files:
        limits.files[name].check(path, config, repo_id)
