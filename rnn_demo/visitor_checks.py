"""What a visitor's Hub model must satisfy before the app builds it, checked from what is cheap to read first.

In order: each file's size on the Hub (before downloading it); every field of config.json by type and range, and
the number of parameters the config implies, by formula (`state_shapes()` of each task's config), before the
weights are downloaded; then the weights' safetensors header (read without the tensors) against the tensors the
config implies; and a tokenizer's size against the embedding. Whatever fails is a ModelLoadError naming the
repository, the file and the problem; nothing is built before all of this passes.
"""
from __future__ import annotations

import json
import math
import struct
from collections.abc import Iterable
from dataclasses import fields
from pathlib import Path
from typing import Any

from .backbone import Shapes, num_parameters
from .display import quoted
from .forecast.features import FEATURES
from .forecast.model import ForecastConfig
from .hub import CONFIG_NAME, WEIGHTS_NAME, ModelLoadError
from .sentiment.model import SentimentConfig
from .sentiment.tokenizer import TOKENIZER_NAME
from .text.model import CharLMConfig

MB = 1024 * 1024
FILE_LIMITS = {CONFIG_NAME: 1 * MB, WEIGHTS_NAME: 50 * MB, TOKENIZER_NAME: 5 * MB, "training.json": 1 * MB,
               "README.md": 1 * MB}  # every file a load may download (hub.MODEL_FILES), in bytes
MAX_PARAMETERS = FILE_LIMITS[WEIGHTS_NAME] // 2  # what fits the weights limit in float16: 26,214,400
MAX_HEADER_BYTES = 100_000  # a safetensors header: a few KB for these models
WEIGHT_DTYPES = {"F32": 4, "F16": 2, "BF16": 2}  # bytes per value
CONFIGS = {"text": CharLMConfig, "sentiment": SentimentConfig, "forecast": ForecastConfig}
REQUIRED = {"text": (), "sentiment": (TOKENIZER_NAME,), "forecast": ()}  # beyond config.json and the weights

# Every field of the three configs, by kind: (lowest, highest) for numbers, characters for strings, and for lists
# (item type, most items, characters per item or the items' range).
WHOLE = {"hidden_size": (1, 1024), "num_layers": (1, 4), "embedding_dim": (1, 1024), "vocab_size": (2, 50_000),
         "max_tokens": (1, 5000), "window": (1, 2016), "horizon": (1, 1440), "day": (1, 1440), "week": (1, 10_080),
         "step_minutes": (1, 10_080)}
REAL = {"dropout": (0.0, 0.99), "interval_widening": (-10.0, 10.0), "train_mean": (-1e12, 1e12),
        "train_std": (0.0, 1e12)}
FLAGS = ("bidirectional",)
STRINGS = {"cell": 16, "task": 16, "storage_dtype": 16, "unit": 16}
CHOICES = {"storage_dtype": ("float32", "float16", "bfloat16")}
LISTS = {"vocab": (str, 5000, 5), "labels": (str, 32, 64), "features": (str, 16, 64),
         "quantiles": (float, 99, (0.001, 0.999))}
DISTINCT = ("vocab", "labels")


def shown(value: Any) -> str:
    """A config value as JSON, cut to 80 characters."""
    text = json.dumps(value)
    return text if len(text) <= 80 else text[:80] + "…"


def _number(value: int | float) -> str:
    return f"{value:,}" if abs(value) < 10 ** 15 else f"a number of {len(str(abs(int(value))))} digits"


def _scalar_problem(name: str, value: Any) -> str | None:
    if name in WHOLE:
        low, high = WHOLE[name]
        if type(value) is not int:
            return f"{name} must be a whole number, not {shown(value)}"
        return None if low <= value <= high else f"{name} is {_number(value)}; it must be between {low:,} and {high:,}"
    if name in REAL:
        return _real_problem(name, value, *REAL[name])
    if name in FLAGS:
        return None if type(value) is bool else f"{name} must be true or false, not {shown(value)}"
    if type(value) is not str:
        return f"{name} must be a string, not {shown(value)}"
    if len(value) > STRINGS[name]:
        return f"{name} has {len(value):,} characters; the limit is {STRINGS[name]}"
    if name in CHOICES and value not in CHOICES[name]:
        return f"{name} must be one of {', '.join(CHOICES[name])}, not {quoted(value)}"
    return None


def _real_problem(name: str, value: Any, low: float, high: float) -> str | None:
    if type(value) not in (int, float):
        return f"{name} must be a number, not {shown(value)}"
    return None if low <= value <= high else f"{name} must be a finite number between {low:g} and {high:g}, not {shown(value)}"


def _list_problem(name: str, value: Any) -> str | None:
    kind, most, each = LISTS[name]
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
    if name in DISTINCT and len(set(value)) < len(value):
        return f"{name} must all differ"
    return None


def _task_problem(task: str, values: dict[str, Any]) -> str | None:
    """What each tab needs beyond the types: a text model's characters, a forecaster's inputs and unit."""
    vocab = values.get("vocab", [])
    if task == "text" and (long := next((i for i, ch in enumerate(vocab) if i and len(ch) != 1), None)):
        return f"vocab[{long}] must be one character, not {quoted(vocab[long])}"
    if task == "forecast" and values.get("features", list(FEATURES)) != list(FEATURES):
        return f"features must be the app's: {', '.join(FEATURES)}"
    if task == "forecast" and any(ch in "<>&" or not ch.isprintable() for ch in values.get("unit", "")):
        return "unit may not hold <, >, & or control characters"
    return None


def check_config(raw: Any, task: str, repo_id: str) -> Any:
    """The task's config built from a repository's config.json (parsed) once every field is within bounds and the
    parameters it implies fit MAX_PARAMETERS; keys the config does not have are dropped. No model is built."""
    if not isinstance(raw, dict):
        raise ModelLoadError(f"{repo_id}'s {CONFIG_NAME} must hold a JSON object, not {shown(raw)}")
    if raw.get("task") != task:
        raise ModelLoadError(f"{repo_id} holds a {quoted(raw.get('task'))} model; this tab needs a {task!r} one")
    names = {field.name for field in fields(CONFIGS[task])}
    values = {name: value for name, value in raw.items() if name in names}
    for name, value in values.items():
        problem = _list_problem(name, value) if name in LISTS else _scalar_problem(name, value)
        if problem:
            raise ModelLoadError(f"{repo_id}'s {CONFIG_NAME} does not fit this app: {problem}")
    problem = _task_problem(task, values)
    try:
        config = None if problem else CONFIGS[task](**values)
    except (TypeError, ValueError) as error:
        problem = str(error)
    if problem is None and (count := num_parameters(config.state_shapes())) > MAX_PARAMETERS:
        problem = (f"it implies {count:,} parameters; the limit here is {MAX_PARAMETERS:,} "
                   f"({FILE_LIMITS[WEIGHTS_NAME] // MB} MB of float16 weights)")
    if problem:
        raise ModelLoadError(f"{repo_id}'s {CONFIG_NAME} does not fit this app: {problem}")
    return config


def check_files(sizes: dict[str, int | None], repo_id: str) -> list[str]:
    """The files of the repository to download (config.json first), once each is within its size limit (sizes
    from the Hub's metadata, None where it gave none). Only files named in FILE_LIMITS are ever downloaded."""
    check_required(sizes, (CONFIG_NAME, WEIGHTS_NAME), "an rnn-demo model", repo_id)
    for name, limit in FILE_LIMITS.items():
        if (sizes.get(name) or 0) > limit:
            raise ModelLoadError(f"{repo_id}'s {name} has {sizes[name] / MB:.1f} MB; the limit here is "
                                 f"{limit // MB} MB")
    return [name for name in FILE_LIMITS if name in sizes]


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


def _header(path: Path) -> tuple[dict, int]:
    """A safetensors file's header (its tensors by name) and the size of its data; ValueError says what is wrong."""
    size = path.stat().st_size
    with path.open("rb") as file:
        prefix = file.read(8)
        length = struct.unpack("<Q", prefix)[0] if len(prefix) == 8 else size
        if length > MAX_HEADER_BYTES:
            raise ValueError(f"its header would be {length:,} bytes; the limit is {MAX_HEADER_BYTES:,}")
        if 8 + length > size:
            raise ValueError("it ends inside its header")
        raw = file.read(length)
    try:
        header = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        header = None
    if not isinstance(header, dict):
        raise ValueError("it is not a safetensors file (its header is not a JSON object)")
    header.pop("__metadata__", None)
    return header, size - 8 - length


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
    header, data_size = _header(path)
    for name, entry in header.items():
        if problem := _tensor_problem(name, entry, data_size):
            return problem
    spans = sorted(entry["data_offsets"] for entry in header.values())
    starts, ends = [start for start, _ in spans], [end for _, end in spans]
    if spans and (starts != [0, *ends[:-1]] or ends[-1] != data_size):
        return "its tensors' data overlap or leave gaps"
    if missing := sorted(expected.keys() - header.keys()):
        return f"it lacks {', '.join(missing[:4])}{', …' if len(missing) > 4 else ''}"
    if extra := sorted(header.keys() - expected.keys()):
        return f"it holds {quoted(extra[0])}{' and more' if len(extra) > 1 else ''}, which the config does not"
    for name, shape in expected.items():
        if header[name]["shape"] != list(shape):
            return f"{name} has shape {shown(header[name]['shape'])}; the config implies {list(shape)}"
    return None


def check_weights(path: Path, config: Any, repo_id: str) -> None:
    """The safetensors file holds exactly the tensors `config` implies, with their shapes, as float32, float16
    or bfloat16: read from its header alone (bounded before it is read), never the tensors."""
    try:
        problem = _weights_problem(path, config.state_shapes())
    except ValueError as error:
        problem = str(error)
    if problem:
        raise ModelLoadError(f"{repo_id}'s {WEIGHTS_NAME} does not fit this app: {problem}")


def check_tokenizer(path: Path, config: Any, repo_id: str) -> None:
    """A sentiment model's tokenizer reads (its file size already bounded) and gives ids the embedding has."""
    from tokenizers import Tokenizer

    try:
        tokens = Tokenizer.from_file(str(path)).get_vocab_size(with_added_tokens=True)
    except Exception as error:  # noqa: BLE001 - tokenizers raises a bare Exception for a file it cannot read
        raise ModelLoadError(f"{repo_id}'s {TOKENIZER_NAME} cannot be read: {quoted(str(error), 200)}") from None
    if tokens > config.vocab_size:
        raise ModelLoadError(f"{repo_id}'s {TOKENIZER_NAME} has {tokens:,} tokens; the config's vocab_size is "
                             f"{config.vocab_size:,}")
