"""`publish`: the project on the Hub in one command, under one account (`project.Project`).

In order: the protocol datasets (the model cards name them), the bundled models (each card rewritten for the
account), then the Space: the app's files without weights (`SPACE_FILES` of the checkout, `.gitattributes`
included, so every binary goes through LFS), its front matter naming the models and datasets, and its variables
(`space_variables`) pointing the app at the published models, each at the commit published, and at the published
datasets, so a Space without `models/` starts on them.

Every step is a commit of files that huggingface_hub leaves out when the repository already holds them (and a
commit with nothing left in it is not made), so a second run makes no new commit and a run cut in the middle
finishes the job when run again. `--dry-run` lists every file and where it goes, without preparing or sending
anything.
"""
from __future__ import annotations

import fnmatch
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .hub import CONFIG_NAME, MODEL_FILES, ROOT, read_config
from .model_sources import task_of, variable
from .project import Project
from .tasks import TASKS, dataset_repos
from .usage import front_matter_list, refresh_card

# The checkout's files the Space holds (git-tracked ones only; fnmatch's `*` spans folders): the app, the package pip
# installs from the Space's git repository, the README and its pictures, the sample files the tabs offer. Not the
# weights (the Space reads the model repositories), not the tests.
SPACE_FILES = ("app.py", "pyproject.toml", "requirements.txt", "requirements-cpu.txt", "README.md", ".gitattributes",
               "rnn_demo/*.py", "docs/*.png", "docs/*.md", "samples/*")
SUGGESTED_HARDWARE = "cpu-upgrade"  # the app is CPU-bound: more cores serve more visitors at once


@dataclass(frozen=True)
class Upload:
    """One repository's part of a publication: what goes where (`files`: path in the repository -> local path)."""

    kind: str  # "model" or "space"
    name: str  # a model's folder name (e.g. "text-lstm"), or "space"
    repo_id: str
    files: dict[str, Path]


def model_uploads(models_dir: Path, tasks: tuple[str, ...], project: Project) -> list[Upload]:
    """Each model folder `<task>-<cell>` under `models_dir` (one with a config.json), to its repository."""
    uploads = []
    for task in tasks:
        for folder in sorted(models_dir.glob(f"{task}-*")):
            if (folder / CONFIG_NAME).is_file():
                files = {name: folder / name for name in MODEL_FILES if (folder / name).is_file()}
                uploads.append(Upload("model", folder.name, project.model_repo(folder.name), files))
    return uploads


def space_files(root: Path = ROOT) -> dict[str, Path]:
    """The checkout's git-tracked files that match SPACE_FILES (sorted)."""
    try:
        tracked = subprocess.run(["git", "ls-files"], cwd=root, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        raise ValueError(f"publish runs in a git checkout of the project (the Space's files are its tracked ones); "
                         f"{root} is not one: {error}") from None
    names = [name for name in tracked.splitlines() if any(fnmatch.fnmatchcase(name, p) for p in SPACE_FILES)]
    return {name: root / name for name in sorted(names)}


def space_variables(tasks: tuple[str, ...], project: Project, commits: dict[str, str]) -> dict[str, str]:
    """The Space's variables: each task's published dataset (the forecasting tab reads its series from it), and for
    each kind of model published (a task, or a task's variant such as forecast-temperature; `commits`: model folder
    `<kind>-<cell>` -> commit) its repositories, one per cell (model_sources.py), each pinned to the commit published,
    so a rebuild gets the same files."""
    variables = {}
    for task in tasks:
        variables[f"RNN_DEMO_{task.upper()}_DATA"] = dataset_repos(project)[task]  # a tab that reads data at run time
    for kind in sorted({name.rsplit("-", 1)[0] for name in commits if task_of(name) in tasks}):
        variables[variable(kind, "REPO")] = project.model_repo(f"{kind}-{{cell}}")
        pins = [f"{name.rsplit('-', 1)[1]}={commit}" for name, commit in sorted(commits.items())
                if name.rsplit("-", 1)[0] == kind]
        variables[variable(kind, "REVISION")] = " ".join(pins)
    return variables


def space_readme(text: str, project: Project, models: list[str]) -> str:
    """The Space's README: its front matter naming `models`, the project's datasets and the suggested hardware."""
    text = front_matter_list(text, "models", models)
    text = front_matter_list(text, "datasets", dataset_repos(project).values())
    front, rest = text.split("\n---\n", 1)
    if "\nsuggested_hardware:" not in front:
        front += f"\nsuggested_hardware: {SUGGESTED_HARDWARE}"
    return f"{front}\n---\n{rest}"


def describe(uploads: list[Upload], datasets: list[tuple[str, str]], variables: dict[str, str]) -> Iterator[str]:
    """The lines `--dry-run` prints: every file and its destination, in the order they are sent."""
    for task, repo_id in datasets:
        yield f"datasets/{repo_id}: the {task} protocol dataset (prepare {task}; one parquet file per split) and its card"
    for upload in uploads:
        prefix = {"model": "", "space": "spaces/"}[upload.kind]
        for name, path in upload.files.items():
            yield f"{prefix}{upload.repo_id}/{name} <- {path}"
    for key, value in variables.items():
        yield f"Space variable {key}={value}"


def publish(owner: str, *, models_dir: Path, tasks: tuple[str, ...], dry_run: bool = False,
            datasets: Callable[[str], tuple[object, dict]] | None = None, token: str | None = None,
            say: Callable[[str], None] = print) -> list[str]:
    """Publish `tasks` under `owner` (see the module's docstring); returns the repositories' ids.

    `datasets(task)` gives a task's prepared DatasetDict and its card (a TaskCLI's `dataset_card`); by default
    the task's protocol dataset, prepared as `prepare` does."""
    project = Project(owner)
    models = model_uploads(Path(models_dir), tasks, project)
    datasets_sent = [(task, dataset_repos(project)[task]) for task in tasks]
    space = Upload("space", "space", project.space_id, space_files())
    if dry_run:
        commits = {upload.name: "<its commit>" for upload in models}
        for line in describe([*models, space], datasets_sent, space_variables(tasks, project, commits)):
            say(line)
        return []
    from .hub_sync import push_dataset, push_folder

    with tempfile.TemporaryDirectory(prefix="rnn-demo-publish-") as staging:
        folders = _staged_cards(models, space, Path(staging), project)  # every card checked before anything is sent
        for task, repo_id in datasets_sent:
            dataset, card = (datasets or _protocol_dataset)(task)
            say(push_dataset(dataset, repo_id, card, token=token))
        commits = {}
        for upload, folder in zip(models, folders):
            commit = push_folder(folder, upload.repo_id, "model", f"Publish the rnn-demo model {upload.name}",
                                 token=token)
            commits[upload.name] = commit.oid
            say(commit.commit_url)
        say(push_folder(folders[-1], space.repo_id, "space", "Publish the rnn-demo Space", token=token,
                        variables=space_variables(tasks, project, commits)).commit_url)
    return [repo for _, repo in datasets_sent] + [u.repo_id for u in models] + [space.repo_id]


def _staged_cards(models: list[Upload], space: Upload, staging: Path, project: Project) -> list[Path]:
    """The models' and then the Space's folders as they are published: each card rewritten for `project`, and
    checked by the Hub's card validation (a ValueError names what it refuses)."""
    from huggingface_hub import ModelCard, RepoCard

    folders = []
    for upload in models:
        folder = _staged(upload, staging)
        spec = TASKS[read_config(folder)["task"]]
        refresh_card(folder, spec.name, spec.use, spec.dataset, project)
        ModelCard.load(folder / "README.md").validate(repo_type="model")
        folders.append(folder)
    folder = _staged(space, staging)
    readme = space_readme((folder / "README.md").read_text(encoding="utf-8"), project, [u.repo_id for u in models])
    (folder / "README.md").write_text(readme, encoding="utf-8")
    RepoCard.load(folder / "README.md").validate(repo_type="space")
    return [*folders, folder]


def _protocol_dataset(task: str) -> tuple[object, dict]:
    return TASKS[task].cli.prepare(), TASKS[task].cli.dataset_card


def _staged(upload: Upload, staging: Path) -> Path:
    """A copy of `upload`'s files laid out as in its repository, in the folder `staging`/its name."""
    folder = staging / upload.name
    for name, path in upload.files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, folder / name)
    return folder
