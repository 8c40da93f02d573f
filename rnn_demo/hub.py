"""Model directories in the Hub's layout: config.json, model.safetensors and a README.md model card.

The Hub's modules share what is here: the layout's file names, the one download of a model repository
(`download_model`) and the one check that a config is of the expected task (`check_task`). Beside this one, three
modules talk to the Hub: `hub_sync.py` (push and pull from the command line), `model_sources.py` (the models
a Space names, fetched at start) and `visitor_hub.py` (models that visitors load, bounded). Weights are only
ever read with safetensors; a repository that offers nothing but a pickle is refused.
"""
from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path
from collections.abc import Collection
from typing import Any, TypeVar

import torch
from huggingface_hub import (EvalResult, ModelCard, ModelCardData, PyTorchModelHubMixin, hf_hub_download,
                             snapshot_download)
from huggingface_hub.errors import HfHubHTTPError
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from .devices import pick_device
from .display import quoted
from .project import model_repo

ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = Path(os.environ.get("RNN_DEMO_MODELS", ROOT / "models"))  # installed, ROOT is site-packages: set it
WEIGHTS_NAME = "model.safetensors"
CONFIG_NAME = "config.json"
CONFIG_BYTES = 8 * 2**20  # a config.json read from a model folder (a text model's vocabulary: a few KB)
CARD_FRONT_CHARS = 64 * 1024  # where a model card's YAML metadata is looked for (this project's: about 1 KB)
MODEL_FILES = [CONFIG_NAME, WEIGHTS_NAME, "tokenizer.json", "training.json", "README.md"]  # a model repository's files

M = TypeVar("M", bound="HubModel")
NO_BUNDLED_FOLDER = ("no folder here holds the bundled models (RNN_DEMO_MODELS, or a checkout's models/): set "
                     "RNN_DEMO_MODELS to a folder that holds them, reach the Hub, or pass --model with the folder of a "
                     "model's files (`hf download REPO --local-dir FOLDER` makes one)")


def bundled_model(name: str) -> str:
    """Where the bundled model `name` (e.g. "text-lstm") is read from: RNN_DEMO_MODELS/name or, in a checkout,
    models/name; else (an installed package, no folder set) its Hub repository as project.py names it."""
    folder = MODELS_DIR / name
    return str(folder) if (folder / CONFIG_NAME).is_file() else model_repo(name)


class ModelLoadError(RuntimeError):
    """A model directory or repository is missing, incomplete or does not fit its task."""


class HubModel(PyTorchModelHubMixin):
    """Save and load through the Hub mixin, with weights in safetensors only.

    Subclasses take one typed `config` dataclass whose `storage_dtype` field says how the
    weights are stored ("float32" or "float16"); they are always computed with in float32.
    """

    config: Any

    def num_parameters(self) -> int:
        """The number of trained values (weights and biases) the model holds."""
        return sum(p.numel() for p in self.parameters())  # type: ignore[attr-defined]

    def save_pretrained(self, save_directory: str | Path, *, fresh_card: bool = False, **kwargs: Any) -> Any:
        """huggingface_hub's save; with `fresh_card` (a training saving its model) a card already in the folder
        goes first, so that the mixin writes its own: it never replaces one, and a model trained into the folder of
        another (the default --out is the bundled model's) kept the old model's card, figures and all."""
        card = Path(save_directory) / "README.md"
        if fresh_card and card.is_file():
            card.unlink()
        return super().save_pretrained(save_directory, **kwargs)

    def _save_pretrained(self, save_directory: Path) -> None:
        dtype = getattr(torch, self.config.storage_dtype)
        tensors = {k: v.detach().to("cpu", dtype).contiguous() for k, v in self.state_dict().items()}
        save_file(tensors, str(Path(save_directory) / WEIGHTS_NAME), metadata={"format": "pt"})

    @classmethod
    def _from_pretrained(cls: type[M], *, model_id: str, revision: str | None, cache_dir: Any,
                         force_download: bool, local_files_only: bool, token: Any,
                         map_location: str = "cpu", strict: bool = True, **model_kwargs: Any) -> M:
        if os.path.isdir(model_id):
            weights = Path(model_id) / WEIGHTS_NAME
        else:
            weights = Path(hf_hub_download(model_id, WEIGHTS_NAME, revision=revision, cache_dir=cache_dir,
                                           force_download=force_download, token=token,
                                           local_files_only=local_files_only))
        model = cls(**model_kwargs)
        state = {k: v.float() for k, v in load_file(str(weights), device=str(map_location)).items()}
        model.load_state_dict(state, strict=strict)  # type: ignore[attr-defined]
        return model.to(map_location).eval()  # type: ignore[attr-defined]


def read_config(path: str | Path) -> dict[str, Any]:
    """The config.json of a local model directory, with a clear error when it is missing or broken."""
    config_path = Path(path) / CONFIG_NAME
    if not config_path.is_file():
        raise ModelLoadError(f"no model at {path}: {CONFIG_NAME} is missing")
    if config_path.stat().st_size > CONFIG_BYTES:
        raise ModelLoadError(f"{config_path} has {config_path.stat().st_size / 2**20:.1f} MB: an rnn-demo config "
                             f"holds less than {CONFIG_BYTES // 2**20} MB")
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as error:
        raise ModelLoadError(f"corrupt {config_path}: {type(error).__name__}: {str(error)[:200]}") from None
    if not isinstance(config, dict):
        raise ModelLoadError(f"corrupt {config_path}: it holds a JSON {type(config).__name__}, not an object")
    return config


def check_task(config: dict[str, Any], task: str | Collection[str], where: str | Path, needed_by: str = "") -> str:
    """The config's task, if it is `task` (or one of several); else a ModelLoadError naming `where`, what it
    holds and the tasks that would do (`needed_by`, e.g. "this tab", says who needs them)."""
    found = config.get("task")
    expected = (task,) if isinstance(task, str) else tuple(task)
    if found not in expected:
        holds = "no rnn-demo model" if found is None else f"a {quoted(found, 20)} model"
        wanted = f"a {expected[0]!r} one" if len(expected) == 1 else f"one of {', '.join(map(repr, expected))}"
        raise ModelLoadError(f"{where} holds {holds}; {needed_by} needs {wanted}" if needed_by
                             else f"{where} holds {holds}, not {wanted}")
    return found


def download_model(repo_id: str, *, revision: str | None = None, token: str | bool | None = None,
                   local_dir: str | Path | None = None, local_files_only: bool = False) -> Path:
    """A model repository's files (MODEL_FILES only) in the Hub cache, or in `local_dir`; the Hub client's errors
    pass through for the caller to explain."""
    return Path(snapshot_download(repo_id, revision=revision, token=token, local_dir=local_dir,
                                  local_files_only=local_files_only, allow_patterns=MODEL_FILES))


def is_repo_id(path: str | Path) -> bool:
    """True for what can only be a Hub repository id ("name" or "owner/name"), not a local path."""
    text = str(path)
    return not Path(text).exists() and not text.startswith(("/", ".", "~")) and text.count("/") <= 1


def model_folder(path: str | Path, revision: str | None = None) -> Path:
    """The local folder of a model: `path` itself, or a Hub repository id's download (`download_model`)."""
    directory = Path(path)
    if directory.is_dir():
        return directory
    if not is_repo_id(path):
        raise ModelLoadError(f"no model directory at {path}")
    try:
        return download_model(str(path), revision=revision)
    except (OSError, ValueError, HfHubHTTPError) as error:
        hint = f" ({NO_BUNDLED_FOLDER})" if str(path).startswith(model_repo("")) else ""
        raise ModelLoadError(f"cannot download {path} from the Hub: {error}{hint}") from error


def load_model(cls: type[M], path: str | Path, device: str | torch.device | None = None,
               revision: str | None = None) -> M:
    """Load a model of class `cls` from a local directory or a Hub repository id (downloaded by `download_model`).

    Every failure (missing directory, missing file, corrupt weights, a config of another task
    or with wrong fields) becomes a ModelLoadError naming the path.
    """
    device = pick_device(str(device) if device else None)
    directory = model_folder(path, revision)
    check_task(read_config(directory), cls.task, path)  # type: ignore[attr-defined]
    try:
        model = cls.from_pretrained(str(directory), map_location=str(device))
    except (OSError, ValueError, TypeError, KeyError, RuntimeError, SafetensorError) as error:
        raise ModelLoadError(f"cannot load a model from {path}: {error}") from error
    if broken := next((name for name, tensor in model.state_dict().items()
                       if tensor.is_floating_point() and not torch.isfinite(tensor).all()), None):
        raise ModelLoadError(f"cannot load a model from {path}: its weights hold NaN or infinite values ({broken})")
    return model


def write_model_card(directory: str | Path, *, title: str, summary: str, tags: list[str],
                     datasets: list[str], metrics: list[dict[str, Any]], task_type: str,
                     dataset_name: str, body: str, license: str = "mit", language: list[str] | None = None,
                     dataset_split: str | None = None) -> None:
    """Write README.md: YAML metadata (library, tags, the task as `pipeline_tag`, `language`, the dataset, the
    metrics as `model-index` with the dataset's split they were measured on, built by huggingface_hub's
    ModelCardData and EvalResult) and a text body."""
    card_data = ModelCardData(
        library_name="rnn-demo",
        license=license,
        language=language,
        pipeline_tag=task_type,
        tags=["rnn-demo", "pytorch", "pytorch_model_hub_mixin", *tags],
        datasets=datasets,
        model_name=title,
        eval_results=[EvalResult(task_type=task_type, dataset_type=datasets[0] if datasets else dataset_name,
                                 dataset_name=dataset_name, dataset_split=dataset_split,
                                 metric_type=metric["type"], metric_value=metric["value"],
                                 metric_name=metric.get("name"), metric_args=metric.get("args"))
                      for metric in metrics],
    )
    card = ModelCard(f"---\n{_yaml(card_data.to_dict())}---\n\n# {title}\n\n{summary}\n\n{body}\n")
    card.save(Path(directory) / "README.md")


def _yaml(data: dict[str, Any]) -> str:
    import yaml

    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


# the cards' count of looks at the test data (written "N time(s)" before 2026-12-06)
SCORINGS = re.compile(r"(been scored )(?:once|twice|\d+ times|\d+ time\(s\))")


def times_text(count: int) -> str:
    """1 -> "once", 2 -> "twice", else "N times": how the cards count scorings."""
    return {1: "once", 2: "twice"}.get(count, f"{count:,} times")


def recount_scorings(directory: str | Path, count: int) -> None:
    """Keep the count in a model card's "... has been scored N times" line (where it has one) at `count`, the
    scorings `training.json` logs: a benchmark's scoring after the card was written left it one short."""
    path = Path(directory) / "README.md"
    if path.is_file() and not path.is_symlink():  # a link: a cached file of huggingface_hub, left as it is
        card = path.read_text(encoding="utf-8")
        recounted = SCORINGS.sub(lambda found: found.group(1) + times_text(count), card)
        if recounted != card:
            path.write_text(recounted, encoding="utf-8")


def card_metadata(directory: str | Path) -> dict[str, Any]:
    """The YAML metadata of a model directory's README.md, read from its first CARD_FRONT_CHARS characters with
    yaml.safe_load (huggingface_hub's ModelCard.load reads the whole card and takes time quadratic in its tags: a
    400 KB card 8 s); empty when there is none or it does not read."""
    import yaml

    path = Path(directory) / "README.md"
    if not path.is_file():
        return {}
    with open(path, encoding="utf-8", errors="replace") as card:
        head = card.read(CARD_FRONT_CHARS)
    end = head.find("\n---", 3) if head.startswith("---") else -1
    try:
        data = yaml.safe_load(head[3:end]) if end > 0 else None
    except (yaml.YAMLError, RecursionError):
        data = None
    return data if isinstance(data, dict) else {}


def card_metrics(directory: str | Path) -> dict[str, float]:
    """The model card's measured metrics by type (from its model-index), e.g. {"nats_per_char": 1.33}: numbers only,
    whatever else a card of someone else's holds."""
    index = card_metadata(directory).get("model-index")
    results = index[0].get("results", []) if isinstance(index, list) and index and isinstance(index[0], dict) else []
    metrics = [metric for result in results if isinstance(result, dict) for metric in result.get("metrics") or []]
    return {metric["type"]: float(metric["value"]) for metric in metrics
            if isinstance(metric, dict) and isinstance(metric.get("type"), str)
            and isinstance(metric.get("value"), int | float) and math.isfinite(metric["value"])}
