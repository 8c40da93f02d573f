"""Push a model directory to the Hugging Face Hub as one commit, and pull one back.

The caller names the task of a push, and the tasks a pull accepts (the command line hands it the task registry's
names). The token comes from `HF_TOKEN` or the stored login of `huggingface_hub` (or is passed in); it never
appears in what these functions print or raise. A pull into a directory downloads beside it first and
swaps it in only once complete, so an interrupted pull leaves the existing copy as it was.
"""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import httpx2
from collections.abc import Collection

from huggingface_hub import CommitInfo, HfApi, get_token
from huggingface_hub.errors import (HfHubHTTPError, LocalEntryNotFoundError, RepositoryNotFoundError,
                                    RevisionNotFoundError)

from .hub import CONFIG_NAME, MODEL_FILES, WEIGHTS_NAME, ModelLoadError, check_task, download_model, read_config
from .plugin import Use
from .usage import card_for_repo

# what a failed transfer raises: the Hub client's errors, and its HTTP library's (a connection closed mid-file)
TRANSFER_ERRORS = (HfHubHTTPError, httpx2.HTTPError, OSError, RuntimeError, ValueError)


class HubTransferError(RuntimeError):
    """A push or pull failed; the message says why and what to do, without the token."""


def _scrub(message: str, token: str | None) -> str:
    token = token or get_token()
    return message.replace(token, "***") if token else message


def _explain(error: Exception, repo_id: str, revision: str | None, token: str | None) -> HubTransferError:
    """A failure of the Hub client as a clear message (the token scrubbed out)."""
    if isinstance(error, RevisionNotFoundError):
        text = f"{repo_id} has no revision {revision!r}"
    elif isinstance(error, RepositoryNotFoundError):
        text = (f"no repository {repo_id!r} that this token can read (check the id; a private repository needs "
                "a token with access: set HF_TOKEN or run `hf auth login`)")
    elif isinstance(error, HfHubHTTPError) and error.response is not None and error.response.status_code == 401:
        text = "the Hub refused the token (401 Unauthorized): set HF_TOKEN to a valid token or run `hf auth login`"
    elif isinstance(error, HfHubHTTPError):
        text = f"the Hub answered with an error: {error}"
    elif isinstance(error, LocalEntryNotFoundError):
        text = f"cannot reach the Hub for {repo_id!r} (offline?) and no copy is cached"
    else:
        text = f"the transfer of {repo_id!r} was interrupted ({type(error).__name__}: {error})"
    return HubTransferError(_scrub(text, token))


def check_model_dir(directory: Path, task: str) -> dict:
    """The directory's config, if it holds a complete model of `task` with its card; else a clear error."""
    config = read_config(directory)
    check_task(config, task, directory)
    for name in (WEIGHTS_NAME, "README.md"):
        if not (directory / name).is_file():
            hint = (f": write it with `python -m rnn_demo evaluate {task} --model {directory} --write-card`"
                    if name == "README.md" else "")
            raise ModelLoadError(f"{directory} has no {name}{hint}")
    return config


def push_model(directory: str | Path, task: str, repo_id: str, *, private: bool = False,
               revision: str | None = None, token: str | None = None, use: Use | None = None) -> str:
    """Create `repo_id` if needed (and the branch `revision`) and upload the model directory as one commit; with
    `use` (the task's snippets) the card's "## Use" section, if it has one, names `repo_id` (the folder stays as it
    is: a staged copy is uploaded).

    Returns the commit's URL."""
    directory = Path(directory)
    check_model_dir(directory, task)
    card = (directory / "README.md").read_text(encoding="utf-8")
    pushed_card = card_for_repo(card, task, use, directory.name, repo_id) if use else card

    def push(folder: Path) -> str:
        return push_folder(folder, repo_id, "model", f"Upload rnn-demo {task} model", private=private,
                           revision=revision, token=token).commit_url

    if pushed_card == card:
        return push(directory)
    with tempfile.TemporaryDirectory(prefix="rnn-demo-push-") as staging:
        folder = Path(staging) / directory.name
        folder.mkdir()
        for name in MODEL_FILES:
            if (directory / name).is_file():
                shutil.copyfile(directory / name, folder / name)
        (folder / "README.md").write_text(pushed_card, encoding="utf-8")
        return push(folder)


def push_folder(directory: str | Path, repo_id: str, repo_type: str, message: str, *, private: bool = False,
                revision: str | None = None, token: str | None = None,
                variables: dict[str, str] | None = None) -> CommitInfo:
    """Create the repository (a gradio Space for "space") if needed, and the branch `revision`, then upload the
    folder as one commit (a model's: MODEL_FILES only); none when the repository holds every file already. A
    Space's `variables` are set after. Returns the commit (the last one, when nothing changed)."""
    api = HfApi(token=token)
    try:
        api.create_repo(repo_id, repo_type=repo_type, private=private, exist_ok=True,
                        space_sdk="gradio" if repo_type == "space" else None)
        if revision and revision != "main":
            api.create_branch(repo_id, repo_type=repo_type, branch=revision, exist_ok=True)
        commit = api.upload_folder(folder_path=str(directory), repo_id=repo_id, repo_type=repo_type, revision=revision,
                                   allow_patterns=MODEL_FILES if repo_type == "model" else None,
                                   commit_message=message)
        for key, value in (variables or {}).items():
            api.add_space_variable(repo_id, key, value)
    except TRANSFER_ERRORS as error:
        raise _explain(error, repo_id, revision, token) from None
    return commit


def push_dataset(dataset, repo_id: str, card: dict, *, private: bool = False, token: str | None = None) -> str:
    """Upload a prepared DatasetDict with `DatasetDict.push_to_hub`, then complete its card (`dataset_card_data`).

    `card`: a TaskCLI's `dataset_card`. Returns the dataset's URL."""
    from huggingface_hub import DatasetCard

    try:
        dataset.push_to_hub(repo_id, private=private, token=token)
        dataset_card = DatasetCard.load(repo_id, repo_type="dataset", token=token)  # keeps the configs push_to_hub wrote
        rows = {split: part.num_rows for split, part in dataset.items()}
        for key, value in dataset_card_data(card, rows).items():
            setattr(dataset_card.data, key, value)
        dataset_card.text = dataset_card_text(card, rows)
        dataset_card.push_to_hub(repo_id, repo_type="dataset", token=token,
                                 commit_message="Dataset card: source, licence, splits")
    except TRANSFER_ERRORS as error:
        raise _explain(error, repo_id, None, token) from None
    return f"{HfApi(token=token).endpoint}/datasets/{repo_id}"


SIZE_CATEGORIES = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
                   (10_000_000, "1M<n<10M"))


def dataset_card_data(card: dict, rows: dict[str, int]) -> dict:
    """The dataset card's metadata: the card's licence, name, language and task categories, and the size category
    of all `rows` (split -> number of rows)."""
    total = sum(rows.values())
    size = next((name for bound, name in SIZE_CATEGORIES if total < bound), "n>10M")
    keys = ("license", "license_name", "license_link", "pretty_name", "language", "task_categories")
    return {key: card[key] for key in keys if key in card} | {"size_categories": [size]}


def dataset_card_text(card: dict, rows: dict[str, int]) -> str:
    """The dataset card's text: what it is and how the protocol split it, its splits' sizes, its source."""
    splits = "\n".join(f"| `{split}` | {count:,} |" for split, count in rows.items())
    return (f"\n# {card['pretty_name']}\n\n{card['text']}\n\n| split | rows |\n| --- | ---: |\n{splits}\n\n"
            f"Source: {card.get('source', 'see above')}. Prepared by rnn-demo's `prepare` command.\n")


def pull_model(repo_id: str, tasks: Collection[str], *, revision: str | None = None, out: str | Path | None = None,
               token: str | None = None) -> Path:
    """Download a model repository (into the Hub cache, or into `out`) and return its directory.

    The task is read from the repository's config.json; anything but a model of one of `tasks` is refused. An `out`
    that exists is replaced only if it is empty or holds a model (its config.json): any other folder is left alone."""
    if out is None:
        path = _download(repo_id, revision, token, local_dir=None)
        _check_pulled(path, repo_id, tasks)
        return path
    out = Path(out).resolve()
    if out == Path.cwd().resolve() or out in Path.cwd().resolve().parents:  # "." would be renamed under the shell
        raise HubTransferError(f"--out names the current folder or one above it ({out}): a pull swaps the whole "
                               "folder for the model; name a folder in it, such as ./model")
    if out.exists() and not (out.is_dir() and (not any(out.iterdir()) or (out / CONFIG_NAME).is_file())):
        raise HubTransferError(f"{out} exists and holds no model (no {CONFIG_NAME}): pulling would replace what it "
                               "holds; name a new or empty folder")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        _check_pulled(_download(repo_id, revision, token, local_dir=staging), repo_id, tasks)
        shutil.rmtree(staging / ".cache", ignore_errors=True)  # the client's bookkeeping, not the model
        previous = out.with_name(f".{out.name}-previous")
        if out.exists():
            out.rename(previous)  # two renames: `out` is the old copy or the new one, never half of either
        staging.rename(out)
        shutil.rmtree(previous, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out


def _download(repo_id: str, revision: str | None, token: str | None, local_dir: Path | None) -> Path:
    try:
        return download_model(repo_id, revision=revision, token=token, local_dir=local_dir)
    except TRANSFER_ERRORS as error:
        raise _explain(error, repo_id, revision, token) from None


def _check_pulled(path: Path, repo_id: str, tasks: Collection[str]) -> None:
    if not (path / CONFIG_NAME).is_file():
        raise HubTransferError(f"{repo_id} has no {CONFIG_NAME}: it is not an rnn-demo model")
    check_task(read_config(path), tasks, repo_id)
