"""Where each tab's models come from: the bundled `models/` directories, or Hub repositories a Space names.

Handed a task's name by its tab (or by `app.py` before the UI is built); it knows no task itself.

`RNN_DEMO_<TASK>_REPO` (TEXT, SENTIMENT, FORECAST) names a Hub model repository to start on instead
of the bundled model of the cell its config.json gives; with `{cell}` in it (e.g. `you/sentiment-{cell}`)
it names one repository per cell. `RNN_DEMO_<TASK>_REVISION` pins a revision: one for every repository, or one per
cell (`lstm=<commit> gru=<commit>`, as `publish` sets it). These downloads use the
Space's own token (the owner chose them). The Hub is probed once, with a short timeout, before any
download: offline (or `HF_HUB_OFFLINE=1`) the app starts at once on what it has, and says so.
"""
from __future__ import annotations

import os
import time
from functools import lru_cache
from pathlib import Path

import httpx2
from huggingface_hub import constants

from .backbone import CELLS, check_cell
from .visitor_checks import ConfigLimits
from .hub import MODELS_DIR, ModelLoadError, card_metrics, check_task, download_model, read_config

PROBE_SECONDS = 2.0
NOTES: list[str] = []  # what the app says about where its models came from
LIMITS: dict[str, ConfigLimits] = {}  # each task's bounds on a visitor's model: app.py hands them over (the registry's)


def bundled_dirs(kind: str) -> dict[str, Path]:
    """The bundled models of `kind` by cell: the folders `<kind>-<cell>` under models/. A kind is a task's name, or
    the task's name and a variant of its models (`forecast-temperature`: the forecasting task's temperature track)."""
    return {cell: MODELS_DIR / f"{kind}-{cell}" for cell in CELLS if (MODELS_DIR / f"{kind}-{cell}" / "config.json").is_file()}


def task_of(kind: str) -> str:
    """The task whose models a kind holds ("forecast" for "forecast-temperature")."""
    return kind.split("-", 1)[0]


def variable(kind: str, what: str) -> str:
    """The Space variable naming `what` (REPO, REVISION) for a kind: RNN_DEMO_FORECAST_TEMPERATURE_REPO."""
    return f"RNN_DEMO_{kind.upper().replace('-', '_')}_{what}"


@lru_cache(maxsize=1)
def hub_reachable() -> tuple[bool, float]:
    """(whether the Hub endpoint answers, seconds the check took); False at once when HF_HUB_OFFLINE is set."""
    started = time.monotonic()
    if constants.HF_HUB_OFFLINE:
        return False, 0.0
    try:
        httpx2.head(constants.ENDPOINT, timeout=PROBE_SECONDS)
        return True, time.monotonic() - started
    except httpx2.HTTPError:
        return False, time.monotonic() - started


@lru_cache(maxsize=None)
def model_dirs(kind: str) -> dict[str, Path]:
    """Each cell's model directory for `kind` (a task, or a task's variant): the bundled ones, replaced where the
    environment names a Hub repo."""
    dirs, task = bundled_dirs(kind), task_of(kind)
    pattern = os.environ.get(variable(kind, "REPO"), "").strip()
    if not pattern:
        return dirs
    try:
        revisions = pinned_revisions(os.environ.get(variable(kind, "REVISION"), ""))
    except ValueError as error:
        NOTES.append(f"{kind}: {variable(kind, 'REVISION')} names {error}; the bundled models are used.")
        return dirs
    online, seconds = hub_reachable()
    repos = {cell: pattern.format(cell=cell) for cell in CELLS} if "{cell}" in pattern else {None: pattern}
    for cell, repo_id in repos.items():
        revision = revisions.get(cell, revisions.get(None))
        try:
            directory = download_model(repo_id, revision=revision, local_files_only=not online)
            cell = checked_cell(directory, task, repo_id)
        except ModelLoadError as error:
            NOTES.append(f"{kind}: {error}; the bundled models are used.")
            continue
        except Exception as error:  # any failure: the bundled model stays, and the app says why
            reason = "the Hub is unreachable and it is not cached" if not online else type(error).__name__
            NOTES.append(f"{kind}: could not use {repo_id} ({reason}); the bundled models are used "
                         f"(Hub check {seconds:.2f} s).")
            continue
        dirs[cell] = directory
        pinned = f" at {revision}" if revision and revision != directory.name else ""  # a branch or tag: named
        cached = "" if online else " (from the local cache: the Hub is unreachable)"
        NOTES.append(f"{kind}: the {cell} model is {repo_id}{pinned}{_commit(directory)}{cached}.")
    return dirs


def checked_cell(directory: Path, task: str, repo_id: str) -> str:
    """The cell of the model of `task` that the Space names, in `directory`, once it passes what a visitor's model
    is held to (LIMITS[task]: its config's fields and the parameters they imply, its weights' header, its task's own
    files), so that a tab is never built on it to fail or to allocate what the config claims; a ModelLoadError
    otherwise. Without the task's limits (a caller that is not the app), its task and cell only."""
    from .hub import WEIGHTS_NAME
    from .visitor_checks import check_config, check_file

    raw = read_config(directory)
    check_task(raw, task, repo_id)
    if (limits := LIMITS.get(task)) is None:
        return check_cell(raw.get("cell"))
    config = check_config(raw, limits, repo_id)
    for name in (WEIGHTS_NAME, *limits.files):
        check_file(name, directory / name, config, limits, repo_id)
    return config.cell


def pinned_revisions(value: str) -> dict[str | None, str]:
    """RNN_DEMO_<TASK>_REVISION read: {None: revision} for one revision, {cell: revision} for `cell=revision` pairs
    (separated by spaces or commas); {} when blank. A pair for a cell that does not exist is a ValueError."""
    words = value.replace(",", " ").split()
    if len(words) == 1 and "=" not in words[0]:
        return {None: words[0]}
    pairs = dict(word.partition("=")[::2] for word in words)
    return {check_cell(cell): revision for cell, revision in pairs.items()}


def _commit(directory: Path) -> str:
    """", commit 0123456789" for a download in the Hub cache (its folder is named after the commit), else ""."""
    return f", commit {directory.name[:10]}" if directory.parent.name == "snapshots" else ""


def model_dir(task: str, cell: str) -> Path:
    """The directory of `cell`'s `task` model: bundled, or the Hub repository the Space names."""
    return model_dirs(task).get(check_cell(cell), MODELS_DIR / f"{task}-{cell}")


def available_cells(task: str) -> list[str]:
    """The cells with a model for `task`, in the backbone's order."""
    return [cell for cell in CELLS if cell in model_dirs(task)]


def best_cell(task: str, cells: list[str], metric: str, higher_is_better: bool = False) -> str:
    """The one of `cells` whose `task` model card reports the best `metric` (a card without it ranks last)."""
    def rank(cell: str) -> float:
        value = card_metrics(model_dir(task, cell)).get(metric)
        if value is None:
            return float("inf")
        return -value if higher_is_better else value
    return min(cells, key=rank)
