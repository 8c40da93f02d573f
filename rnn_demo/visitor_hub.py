"""Models that visitors load from the Hub into the app: fetched without the Space's own token, bounded in
size, dimensions and time, shared by repository and commit, and kept in a small least-recently-used cache.

Anonymous access (`token=False`) matters: with the Space's token, any visitor could read the owner's
private repositories. A load that fails for any reason raises ModelLoadError with a message for the
visitor, and whatever model they were using stays in place.
"""
from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any

from huggingface_hub import HfApi, hf_hub_download, snapshot_download
from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError, RevisionNotFoundError

from .hub import CONFIG_NAME, MODEL_FILES, WEIGHTS_NAME, ModelLoadError, read_config

MAX_WEIGHTS_BYTES = 50 * 1024 * 1024
LIMITS = {"hidden_size": 1024, "num_layers": 4, "embedding_dim": 1024, "vocab_size": 50_000, "window": 2016,
          "max_tokens": 5000}  # config fields a visitor's model may not exceed
LOAD_SECONDS = 60
CACHE_SIZE = 4
REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]{0,95}/[A-Za-z0-9][\w.-]{0,95}$")


def check_repo_id(repo_id: str) -> str:
    repo_id = (repo_id or "").strip()
    if not REPO_ID.match(repo_id) or ".." in repo_id:
        raise ModelLoadError(f"{repo_id!r} is not a Hub model id: use the form user/name")
    return repo_id


def check_config(config: dict, task: str, repo_id: str) -> None:
    """The repository's config is of `task` and within the app's limits."""
    if config.get("task") != task:
        raise ModelLoadError(f"{repo_id} holds a {config.get('task')!r} model; this tab needs a {task!r} one")
    sizes = {**config, "vocab_size": len(config["vocab"]) if isinstance(config.get("vocab"), list)
             else config.get("vocab_size")}  # a text model lists its characters
    for name, limit in LIMITS.items():
        value = sizes.get(name)
        if isinstance(value, (int, float)) and value > limit:
            raise ModelLoadError(f"{repo_id} is too large for this app: {name} is {value}, the limit is {limit}")


def fetch(repo_id: str, revision: str | None, task: str) -> tuple[Path, str]:
    """Download a visitor's model anonymously after checking its files, size and config; (directory, commit)."""
    try:
        info = HfApi().model_info(repo_id, revision=revision or None, files_metadata=True, token=False)
        sizes = {s.rfilename: s.size or 0 for s in info.siblings or []}
        for name in (CONFIG_NAME, WEIGHTS_NAME):
            if name not in sizes:
                raise ModelLoadError(f"{repo_id} has no {name}: it is not an rnn-demo model")
        if sizes[WEIGHTS_NAME] > MAX_WEIGHTS_BYTES:
            raise ModelLoadError(f"{repo_id}'s weights have {sizes[WEIGHTS_NAME] / 1e6:.0f} MB; "
                                 f"the limit here is {MAX_WEIGHTS_BYTES / 1e6:.0f} MB")
        config_path = hf_hub_download(repo_id, CONFIG_NAME, revision=info.sha, token=False)
        check_config(read_config(Path(config_path).parent), task, repo_id)
        directory = snapshot_download(repo_id, revision=info.sha, allow_patterns=MODEL_FILES, token=False)
    except RevisionNotFoundError:
        raise ModelLoadError(f"{repo_id} has no revision {revision!r}") from None
    except RepositoryNotFoundError:
        raise ModelLoadError(f"no public model repository {repo_id!r} (private repositories cannot be "
                             "loaded here)") from None
    except (HfHubHTTPError, OSError) as error:
        raise ModelLoadError(f"could not download {repo_id}: {type(error).__name__}") from None
    return Path(directory), info.sha


class VisitorModels:
    """Ready models by (repository, commit), at most `capacity` of them, the least recently used evicted."""

    def __init__(self, task: str, build: Callable[[Path], Any], capacity: int = CACHE_SIZE,
                 seconds: float = LOAD_SECONDS) -> None:
        self.task, self.build, self.capacity, self.seconds = task, build, capacity, seconds
        self.models: OrderedDict[tuple[str, str], Any] = OrderedDict()
        self.lock = threading.Lock()
        self.pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix=f"hub-{task}")

    def load(self, repo_id: str, revision: str | None = None) -> tuple[Any, str]:
        """The ready model of `repo_id` at `revision` (default: main) and the commit it is at."""
        repo_id = check_repo_id(repo_id)
        job = self.pool.submit(self._fetch_and_build, repo_id, (revision or "").strip() or None)
        try:
            return job.result(timeout=self.seconds)
        except FutureTimeout:
            raise ModelLoadError(f"loading {repo_id} took longer than {self.seconds:.0f} s: try again later") from None

    def get(self, repo_id: str, commit: str) -> Any:
        """A model loaded before (reloaded if it was evicted meanwhile)."""
        with self.lock:
            if (repo_id, commit) in self.models:
                self.models.move_to_end((repo_id, commit))
                return self.models[(repo_id, commit)]
        return self.load(repo_id, commit)[0]

    def _fetch_and_build(self, repo_id: str, revision: str | None) -> tuple[Any, str]:
        directory, commit = fetch(repo_id, revision, self.task)
        with self.lock:
            if (repo_id, commit) in self.models:
                self.models.move_to_end((repo_id, commit))
                return self.models[(repo_id, commit)], commit
        try:
            model = self.build(directory)
        except (ValueError, KeyError, TypeError, RuntimeError) as error:
            raise ModelLoadError(f"{repo_id} does not fit this app: {error}") from None
        with self.lock:
            self.models[(repo_id, commit)] = model
            while len(self.models) > self.capacity:
                self.models.popitem(last=False)
        return model, commit
