"""Models that visitors load from the Hub into the app: fetched without the Space's own token, bounded in
size, dimensions and time, shared by repository and commit, and kept in a small least-recently-used cache.

Anonymous access (`token=False`) matters: with the Space's token, any visitor could read the owner's
private repositories. Everything is bounded before a model is built (visitor_checks.py), every Hub call has
timeouts and the load a deadline (hub_deadline.py), and the files go to a temporary folder deleted as soon as
the model is built or the load fails, never to the Hub cache. A load that fails for any reason raises
ModelLoadError with a message for the visitor, and whatever model they were using stays in place.

A load makes its few requests itself, on an HTTP client of its own (`hub_deadline.bounded`), rather than through
huggingface_hub's functions, whose one client is the whole process's: the repository's info with its files' sizes
(`GET /api/models/{repo}[/revision/{revision}]?blobs=true`, what `HfApi.model_info` asks), then each file from its
`hf_hub_url`, streamed. huggingface_hub's public helpers build the headers (`build_hf_headers(token=False)`) and
read the errors (`hf_raise_for_status`), so a refusal reads as it would through `HfApi`. Nothing in the process
changes: the Space's own Hub calls keep huggingface_hub's client.
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx2
from huggingface_hub import constants, hf_hub_url
from huggingface_hub.errors import (HfHubHTTPError, OfflineModeIsEnabled, RepositoryNotFoundError,
                                    RevisionNotFoundError)
from huggingface_hub.utils import build_hf_headers, hf_raise_for_status

from . import hub_deadline
from .display import quoted
from .hub import CONFIG_NAME, WEIGHTS_NAME, ModelLoadError
from .visitor_checks import MB, ConfigLimits, check_config, check_file, check_files, check_required, read_json

LOAD_SECONDS = float(os.environ.get("RNN_DEMO_HUB_SECONDS", "60"))  # a load's deadline, downloads included
LOAD_WORKERS = 8  # loads of one task at once (its pool's threads; the app's lane of loads is as wide)
TRAINED_COMMIT = "trained-"  # the "commit" of a model trained here (adopt): a digest of its weights follows
BUILD_SECONDS = 15.0  # what building a (bounded) model may add after the downloads
CACHE_SIZE = 4
REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]{0,95}/[A-Za-z0-9][\w.-]{0,95}$")


def check_repo_id(repo_id: str) -> str:
    repo_id = (repo_id or "").strip()
    if not REPO_ID.match(repo_id) or ".." in repo_id:
        raise ModelLoadError(f"{quoted(repo_id)} is not a Hub model id: use the form user/name")
    return repo_id


def too_slow(repo_id: str, seconds: float) -> str:
    return (f"loading {repo_id} took longer than {seconds:.0f} s: the Hub is slow or cannot be reached from this "
            "Space right now; try again later")


@contextmanager
def explained(repo_id: str, revision: str | None, seconds: float) -> Iterator[None]:
    """The Hub client's errors during a load as ModelLoadErrors for the visitor."""
    try:
        yield
    except hub_deadline.DeadlinePassed:
        raise ModelLoadError(too_slow(repo_id, seconds)) from None
    except hub_deadline.AnswerUncountable as error:
        raise ModelLoadError(f"the Hub answered about {repo_id} in an encoding this app does not read "
                             f"({quoted(str(error.args[0]), 20)}): try again later") from None
    except hub_deadline.AnswerTooLarge:
        raise ModelLoadError(f"{repo_id} has too many files for this app (the Hub's list of them is over "
                             f"{hub_deadline.API_ANSWER_BYTES // MB} MB)") from None
    except RevisionNotFoundError:
        raise ModelLoadError(f"{repo_id} has no revision {quoted(revision)}") from None
    except RepositoryNotFoundError:
        raise ModelLoadError(f"no public model repository {repo_id!r} (private repositories cannot be "
                             "loaded here)") from None
    except (OfflineModeIsEnabled, httpx2.TransportError) as error:
        raise ModelLoadError(f"could not load {repo_id}: {hub_deadline.unreachable(error)}; try again later") from None
    except HfHubHTTPError as error:
        status = error.response.status_code if error.response is not None else "an error"
        raise ModelLoadError(f"could not download {repo_id}: the Hub answered {status}") from None
    except (httpx2.HTTPError, OSError) as error:  # an answer the client could not read, a full disk
        raise ModelLoadError(f"could not download {repo_id} ({type(error).__name__}); try again later") from None


def find(client: httpx2.Client, repo_id: str, revision: str | None, limits: ConfigLimits) -> tuple[str, list[str]]:
    """The commit `revision` is at and the files to download, once their sizes on the Hub are within bounds."""
    url = f"{constants.ENDPOINT}/api/models/{repo_id}"
    if revision is not None:
        url += f"/revision/{quote(revision, safe='')}"
    response = client.get(url, params={"blobs": True}, headers=build_hf_headers(token=False))
    hf_raise_for_status(response)
    commit, sizes = files_of(response, repo_id)
    return commit, check_files(sizes, limits, repo_id)


def files_of(response: httpx2.Response, repo_id: str) -> tuple[str, dict[str, int | None]]:
    """The commit and the files' sizes (None where the Hub gives none) in the Hub's JSON about a repository."""
    try:
        info = response.json()
    except ValueError:
        info = None
    siblings = info.get("siblings") if isinstance(info, dict) else None
    if not (isinstance(siblings, list) and isinstance(info.get("sha"), str)):
        raise ModelLoadError(f"could not load {repo_id}: the Hub's answer about it is not what this app reads")
    sizes = {entry["rfilename"]: entry.get("size") for entry in siblings
             if isinstance(entry, dict) and isinstance(entry.get("rfilename"), str)}
    return info["sha"], {name: size if type(size) is int else None for name, size in sizes.items()}


def download(client: httpx2.Client, repo_id: str, commit: str, name: str, directory: Path, limit: int) -> Path:
    """One file of the repository into `directory`, anonymously, refused past `limit` bytes."""
    path, received = directory / name, 0
    url = hf_hub_url(repo_id, name, revision=commit)
    with client.stream("GET", url, headers=build_hf_headers(token=False)) as response:
        hf_raise_for_status(response)
        with path.open("wb") as file:
            for chunk in response.iter_bytes(MB):
                received += len(chunk)
                if received > limit:
                    raise ModelLoadError(f"{repo_id}'s {name} is over {limit // MB} MB, the limit here")
                file.write(chunk)
    return path


def fetch(client: httpx2.Client, repo_id: str, commit: str, names: list[str], limits: ConfigLimits,
          directory: Path) -> None:
    """Download the repository's files into `directory`, checking each as it comes: config.json first (its
    fields and the parameters it implies), then the weights' header against it, then the task's own files."""
    sizes = limits.file_limits
    config_path = download(client, repo_id, commit, CONFIG_NAME, directory, sizes[CONFIG_NAME])
    config = check_config(read_json(config_path, repo_id), limits, repo_id)
    check_required(names, limits.files, f"a complete rnn-demo {limits.task} model", repo_id)
    for name in names[1:]:
        check_file(name, download(client, repo_id, commit, name, directory, sizes[name]), config, limits, repo_id)


FAILURE_SECONDS = 60.0  # how long a failed reload's reason is the answer before another reload is tried
# a visitor's Hub model evicted from the cache, being loaded again (VisitorModels.get)
RELOADING = ("{name} was set aside to make room for other visitors' models and is being loaded again from the Hub: "
             "try again in a few seconds")
# a model trained here whose folder has gone: it is kept for a while, until its session ends or the next training
GONE = ("{name} is no longer on this Space (a trained model is kept for a while: until its session ends, or until "
        "the next training starts): train it again")


class VisitorModels:
    """Ready models of one task by (repository, commit), at most `capacity` of them, the least recently used
    evicted. `limits` (the task's own, from its config's module) bound what a repository may hold.

    A load has `seconds` in all (downloads included; then building the model); its files go to a temporary
    folder under `folder` (default: the system's), deleted once the model is built or the load fails."""

    def __init__(self, limits: ConfigLimits, build: Callable[[Path], Any], capacity: int = CACHE_SIZE,
                 seconds: float = LOAD_SECONDS, folder: Path | None = None) -> None:
        self.limits, self.build, self.capacity, self.seconds, self.folder = limits, build, capacity, seconds, folder
        self.task = limits.task
        self.models: OrderedDict[tuple[str, str], Any] = OrderedDict()
        self.trained: dict[tuple[str, str], Path] = {}  # models trained here (the Train tab): their folders
        self.reloading: set[tuple[str, str]] = set()  # evicted models being loaded again
        self.failed: dict[tuple[str, str], tuple[str, float]] = {}  # why a reload failed, and when
        self.lock = threading.Lock()
        self.pool = ThreadPoolExecutor(max_workers=LOAD_WORKERS, thread_name_prefix=f"hub-{self.task}")
        if folder is not None:
            Path(folder).mkdir(parents=True, exist_ok=True)

    def load(self, repo_id: str, revision: str | None = None) -> tuple[Any, str]:
        """The ready model of `repo_id` at `revision` (default: main) and the commit it is at."""
        repo_id = check_repo_id(repo_id)
        deadline = time.monotonic() + self.seconds
        job = self.pool.submit(self._fetch_and_build, repo_id, (revision or "").strip() or None, deadline)
        try:
            return job.result(timeout=max(0.0, deadline - time.monotonic()) + BUILD_SECONDS)
        except FutureTimeout:
            raise ModelLoadError(too_slow(repo_id, self.seconds)) from None

    def get(self, repo_id: str, commit: str) -> Any:
        """A model loaded before. One evicted meanwhile is loaded again in this cache's own pool, and the caller is
        told to try again in a moment (or, once a reload has failed, why): reloaded inside the handler, it held a
        one-worker lane, every visitor's reviews, for as long as the Hub took (a hung Hub: 11.5 s for a review of
        the bundled model that takes 0.09 s alone)."""
        model = self._cached(repo_id, commit)
        if model is not None:
            return model
        if (repo_id, commit) in self.trained:
            return self._keep((repo_id, commit), self._build_trained(repo_id, commit))
        if commit.startswith(TRAINED_COMMIT):  # a model trained here whose folder has gone: no Hub repository
            raise ModelLoadError(GONE.format(name=repo_id))
        key, now = (check_repo_id(repo_id), commit), time.monotonic()
        with self.lock:
            self.failed = {k: (why, when) for k, (why, when) in self.failed.items() if now - when < FAILURE_SECONDS}
            failure = self.failed.get(key)
            starting = failure is None and key not in self.reloading
            if starting:
                self.reloading.add(key)
        if failure is not None:  # the same answer for FAILURE_SECONDS (one click may run two handlers), then a retry
            raise ModelLoadError(f"{failure[0].rstrip('.')}. Load it again from the Hub, or choose a bundled cell")
        if starting:
            self.pool.submit(self._reload, *key)
        raise ModelLoadError(RELOADING.format(name=repo_id))

    def _reload(self, repo_id: str, commit: str) -> None:
        """Load an evicted model again (in the pool); a failure is kept FAILURE_SECONDS for its visitor."""
        try:
            self._fetch_and_build(repo_id, commit, time.monotonic() + self.seconds)
            failure = None
        except Exception as error:  # noqa: BLE001 - said to the visitor at their next request
            failure = str(error) if isinstance(error, ModelLoadError) else \
                f"{repo_id} could not be loaded again ({type(error).__name__})"
        with self.lock:
            self.reloading.discard((repo_id, commit))
            if failure is not None:
                self.failed[(repo_id, commit)] = (failure, time.monotonic())

    def adopt(self, name: str, folder: str | Path) -> tuple[str, str]:
        """Serve a model trained here (a folder in the Hub layout) under `name`, as a loaded one; its "commit" is
        a digest of its weights. Returns the (name, commit) the task's handlers take as `loaded`."""
        folder = Path(folder)
        commit = TRAINED_COMMIT + hashlib.sha256((folder / WEIGHTS_NAME).read_bytes()).hexdigest()[:12]
        with self.lock:  # the folders of models trained here go when their visitors do: so do their entries
            self.trained = {key: path for key, path in self.trained.items() if path.is_dir()}
            self.trained[(name, commit)] = folder
        self._keep((name, commit), self._build_trained(name, commit))
        return name, commit

    def _build_trained(self, name: str, commit: str) -> Any:
        folder = self.trained[(name, commit)]
        if not (folder / WEIGHTS_NAME).is_file():
            raise ModelLoadError(GONE.format(name=name))
        return self._build(name, folder)

    def _keep(self, key: tuple[str, str], model: Any) -> Any:
        with self.lock:
            self.models[key] = model
            self.failed.pop(key, None)  # loaded after all: an old failure no longer stands
            while len(self.models) > self.capacity:
                self.models.popitem(last=False)
        return model

    def _cached(self, repo_id: str, commit: str) -> Any:
        with self.lock:
            if (repo_id, commit) in self.models:
                self.models.move_to_end((repo_id, commit))
                return self.models[(repo_id, commit)]
        return None

    def _fetch_and_build(self, repo_id: str, revision: str | None, deadline: float) -> tuple[Any, str]:
        with tempfile.TemporaryDirectory(prefix="rnn-demo-visitor-", dir=self.folder) as folder:
            with explained(repo_id, revision, self.seconds), hub_deadline.bounded(deadline) as client:
                commit, names = find(client, repo_id, revision, self.limits)
                if (model := self._cached(repo_id, commit)) is not None:
                    return model, commit
                fetch(client, repo_id, commit, names, self.limits, Path(folder))
            model = self._build(repo_id, Path(folder))
        return self._keep((repo_id, commit), model), commit

    def _build(self, repo_id: str, directory: Path) -> Any:
        """The model built from checked files; a failure names the repository, never the server's folders."""
        try:
            return self.build(directory)
        except Exception as error:  # noqa: BLE001 - the repository's files broke the build (tokenizers raises Exception)
            message = str(error).replace(str(directory), repo_id)
            raise ModelLoadError(f"{repo_id} does not fit this app: {message}") from None
