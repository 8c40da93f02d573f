"""The Train tab's plain functions: a visitor's data (an upload or a Hub dataset) checked and previewed, their
training run in the app's job slot (jobs.py) with its progress drawn, the trained model handed to its task's tab
for the session, zipped for download, and pushed to the Hub with the visitor's own token. `ui/train_tab.py` wires
them to widgets; tests call them directly.
"""
from __future__ import annotations

import shutil
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..backbone import CELL_LABELS
from ..display import column_list, md_text, number_text, two_lines
from ..jobs import SLOT, Finished, JobSlot, Waiting
from ..result_files import ResultFiles
from ..runtime import UPLOAD_WORK
from .card import summary_lines
from .data import Prepared
from ..tasks import TASKS, trainable_tasks
from .job import DEFAULT_LR, LR_RANGE, MAX_SECONDS, MIN_SECONDS, check_size, prepare, visitor_part, zipped

JOB = "rnn_demo.visitor_training.job:train_job"
SLOT_GRACE = 60.0  # after the training's budget: the last scoring, the card, a busy CPU
TRAINED_NAME = "your model, trained here"


class TrainingFolders(ResultFiles):
    """Visitors' training folders (data read from the Hub, the trained model, its zip): one per run, pruned an hour
    after their last change, removed when their visitor leaves and when the app ends."""

    PREFIX = "rnn-demo-trained-"


FOLDERS = TrainingFolders(keep_seconds=3600)


@dataclass
class Source:
    """The file a run trains on, how its card names it (plain text: Markdown escapes it where it is shown), and the
    names of its columns that play each role (None: the task's usual names)."""

    path: str
    name: str
    columns: dict[str, str | None]
    hub_id: str | None = None  # the Hub dataset it was read from, if it was
    left_out: tuple[str, ...] = ()  # the Hub dataset's columns the file does not hold (lists, records, files)


HUB_READS_PER_CLIENT = 1  # Hub datasets one client address may have being read at once (a process each, up to 1 GB)
HUB_READS_AT_ONCE = 2  # in the whole app: 8 visitors' reads at once (the Train lane's width) could take 8 GB
HUB_READ_WAIT = 20.0  # seconds a read waits for one of them before it is refused
_reading: Counter[str] = Counter()
_reading_lock = threading.Lock()
_reads = threading.BoundedSemaphore(HUB_READS_AT_ONCE)


@contextmanager
def hub_read_share(client: str | None, wait: float = HUB_READ_WAIT) -> Iterator[None]:
    """A place among `client`'s Hub reads (HUB_READS_PER_CLIENT; None: no client to count) and among the app's
    (HUB_READS_AT_ONCE, waiting `wait` seconds at most for one), or a clear refusal."""
    if client is not None:
        with _reading_lock:
            if _reading[client] >= HUB_READS_PER_CLIENT:
                raise ValueError("a Hub dataset of yours is being read already: wait for it to finish")
            _reading[client] += 1
    try:
        if not _reads.acquire(timeout=wait):
            from .hub_data import LOAD_SECONDS

            raise ValueError(f"{HUB_READS_AT_ONCE} Hub datasets are being read for other visitors (each for at most "
                             f"{LOAD_SECONDS:g} s): try again shortly, or upload the file")
        try:
            yield
        finally:
            _reads.release()
    finally:
        if client is not None:
            with _reading_lock:
                _reading[client] -= 1
                if not _reading[client]:
                    del _reading[client]


def source_of(task: str, upload: str | None, dataset: str | None, config: str | None, split: str | None,
              columns: dict[str, str | None], folder: Path, client: str | None = None) -> Source:
    """The upload, or else the Hub dataset's columns written out as the upload would be (hub_data.py), read within
    the `client`'s share (hub_read_share)."""
    if upload:
        return Source(upload, f"an uploaded file ({Path(upload).name})", columns)
    if not (dataset or "").strip():
        raise ValueError("upload a file, or name a Hub dataset, to train on")
    from .hub_data import dataset_file

    with hub_read_share(client):
        written = dataset_file(task, dataset, config, split, columns, folder)
    config, split = (config or "").strip(), split or "train"
    where = f"config {config}, split {split}" if config else f"split {split}"
    return Source(str(written.path), f"the Hub dataset {dataset.strip()} ({where})", written.columns, dataset.strip(),
                  tuple(written.left_out))


def check_data(task: str, source: Source) -> Prepared:
    """The source read and checked for `task` as the training job will read it (bad input: ValueError), one upload at
    a time in the whole app (`runtime.UPLOAD_WORK`); of a Hub dataset, what it says names the columns left out of the
    file, which the reader's "the file's columns" omit."""
    left_out = (f"the dataset's {column_list(source.left_out)} hold lists, records or files, one a row, and were "
                "not read") if source.left_out else ""
    try:
        with UPLOAD_WORK:  # one upload read at a time in the whole app (runtime.py): ten at once took 3.7 GB
            prepared = prepare(task, source.path, source.columns)
    except ValueError as error:
        message = f"{error} ({left_out})" if left_out else str(error)
        if hint := other_task_hint(task, source):
            message = f"{message.rstrip('.')}. {hint}"
        raise ValueError(message) from None
    prepared.notes += [left_out[0].upper() + left_out[1:] + "."] if left_out else []
    return prepared


def other_task_hint(task: str, source: Source) -> str:
    """For a refused upload whose kind another task reads (a .txt file given to a task of tables: the visitor left the
    task as it was), which task that is; "" otherwise (the refusal alone: a CSV's quoting said nothing of the task)."""
    kind = Path(source.path).suffix.lower()
    if source.hub_id or Path(visitor_part(task).hub_file).suffix == kind:
        return ""
    readers = [spec.tab.title for spec in trainable_tasks().values() if Path(spec.visitor.hub_file).suffix == kind]
    return (f"A {kind} file is what the {' or '.join(readers)} task reads: if that is what this file is for, "
            "choose that task above.") if readers else ""


def summary_markdown(prepared: Prepared, source: Source) -> str:
    """What will be used, for the visitor to read before training starts."""
    lines = [f"**{TASKS[prepared.task].tab.title}** on {md_text(source.name)}:", summary_lines(prepared.summary)]
    lines += [f"- note: {note}" for note in prepared.notes]
    return "\n".join(lines)


def preview_frame(prepared: Prepared) -> pd.DataFrame:
    """The first rows as they will be read, under the task's column names."""
    return pd.DataFrame(prepared.preview, columns=list(visitor_part(prepared.task).preview_headers))


@dataclass
class RunSettings:
    """What the visitor chose for a run, checked."""

    cell: str
    size: str
    seconds: float
    lr: float = DEFAULT_LR
    seed: int = 0


def check_settings(task: str, cell: str, size: str, seconds: float, lr: float = DEFAULT_LR,
                   seed: float = 0) -> RunSettings:
    """The run's settings once the task, cell and size are known ones and the numbers in range."""
    visitor_part(task)
    if cell not in CELL_LABELS:
        raise ValueError(f"no cell {cell!r}: choose one of {', '.join(CELL_LABELS)}")
    check_size(task, size)
    if seconds is None or not MIN_SECONDS <= float(seconds) <= MAX_SECONDS:
        raise ValueError(f"the time budget must be between {MIN_SECONDS:g} and {MAX_SECONDS:g} seconds, not "
                         f"{number_text(seconds)}")
    if lr is None or not LR_RANGE[0] <= float(lr) <= LR_RANGE[1]:
        raise ValueError(f"the learning rate must be between {LR_RANGE[0]:g} and {LR_RANGE[1]:g}, not "
                         f"{number_text(lr)}")
    if seed is None or seed != int(seed) or not 0 <= seed < 2**31:
        raise ValueError(f"the seed must be a whole number from 0 to {2**31 - 1}, not {number_text(seed)}")
    return RunSettings(cell, size, float(seconds), float(lr), int(seed))


def train_in_slot(owner: str, task: str, source: Source, settings: RunSettings, folder: Path,
                  slot: JobSlot = SLOT, client: str | None = None) -> Iterator[Waiting | dict | Finished]:
    """The training job in the slot: Waiting while others run, a progress dict after each held-out scoring, then
    how it ended. The best checkpoint so far is in `folder` / "model" (with its card) whenever it ended."""
    kwargs = {"kind": task, "path": source.path, "columns": source.columns, "out_dir": str(folder / "model"),
              "data_name": source.name, "dataset_id": source.hub_id, **asdict(settings)}
    for update in slot.run(owner, JOB, kwargs, settings.seconds + SLOT_GRACE, client):
        if isinstance(update, Finished) and update.reason == "failed":
            raise ValueError(update.message)
        if isinstance(update, dict) and "model_dir" in update:
            continue  # the folder is known; whether it holds a model is checked by trained_model()
        yield update


def trained_model(folder: Path) -> Path | None:
    """The run's model folder if training got as far as a checkpoint with its card."""
    model = folder / "model"
    return model if (model / "model.safetensors").is_file() and (model / "README.md").is_file() else None


def use_in_tab(task: str, model_folder: Path) -> tuple[str, str]:
    """Serve the trained model in its task's tab for this session, as a visitor's Hub model is: the `loaded`
    value the tab's handlers take."""
    return TASKS[task].visitor_models().adopt(TRAINED_NAME, model_folder)


def download_zip(model_folder: Path) -> Path:
    """The model's Hub layout zipped, named after its task and cell (rnn-demo-text-gru.zip)."""
    from ..hub import read_config

    config = read_config(model_folder)
    return zipped(model_folder, model_folder.parent / f"rnn-demo-{config['task']}-{config['cell']}.zip")


def card_text(model_folder: Path) -> str:
    """The model card without its YAML front matter, for the page."""
    text = (model_folder / "README.md").read_text(encoding="utf-8")
    return text.split("---", 2)[2].strip() if text.startswith("---") else text


def progress_figure(history: list[dict]) -> go.Figure:
    """Training and held-out loss against the step, and below it, on the same step axis, the task's metric on the
    held-out part (side by side, the metric's title was cut on a phone's width)."""
    metric = history[-1]["metric"] if history else "metric"
    figure = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08)
    steps = [h["step"] for h in history]
    figure.add_trace(go.Scatter(x=steps, y=[h["train_loss"] for h in history], name="training loss",
                                mode="lines+markers"), row=1, col=1)
    figure.add_trace(go.Scatter(x=steps, y=[h["held_out_loss"] for h in history], name="held-out loss",
                                mode="lines+markers"), row=1, col=1)
    figure.add_trace(go.Scatter(x=steps, y=[h["value"] for h in history], name=f"held-out {metric}",
                                mode="lines+markers"), row=2, col=1)
    figure.update_yaxes(title_text="loss", row=1, col=1)
    figure.update_yaxes(title_text=two_lines(f"held-out {metric}"), row=2, col=1)
    figure.update_xaxes(title_text="training step", row=2, col=1)
    figure.update_layout(height=460, margin={"l": 60, "r": 10, "t": 30, "b": 40},
                         legend={"orientation": "h", "y": -0.2})
    return figure



def progress_html(progress: dict | None, budget: float) -> str:
    """A progress bar of the time budget with the time left (HTML, numbers only)."""
    seconds = min(float(progress["seconds"]), budget) if progress else 0.0
    step = f", step {int(progress['step']):,}" if progress else ""
    return (f'<div id="train-progress"><progress value="{seconds:.1f}" max="{budget:.1f}" style="width:100%">'
            f'</progress><div>{seconds:.0f} s of {budget:.0f} s{step}; about {max(0.0, budget - seconds):.0f} s '
            "left</div></div>")


FEW_HELD_OUT = 30  # held-out rows under which a held-out figure says little


def baseline_note(task: str, prepared: Prepared, best: dict | None) -> str:
    """What the visitor should know of the kept model's held-out figure (`best`: the progress of its scoring): that
    a model that learned nothing scores as well (the task's `baseline`: the sample reviews' 6 held-out rows gave 0.33
    accuracy with no word of warning), that few rows were held out; "" otherwise."""
    spec, notes = TASKS[task], []
    if best is not None and spec.visitor.baseline is not None:
        value, what = spec.visitor.baseline(prepared)
        better = best["value"] > value if spec.higher_is_better else best["value"] < value
        if not better:
            notes.append(f"Its held-out {best['metric']}, {best['value']:.4g}, is no better than {what} ({value:.4g}): "
                         "it learned nothing that holds beyond that; give it more data, or more time.")
    rows = prepared.summary.get("held-out rows")
    if isinstance(rows, int) and rows < FEW_HELD_OUT:
        notes.append(f"Only {rows} rows were held out: a figure on so few says little.")
    return " ".join(notes)


MEMORISING = 1.1  # a last held-out loss this many times the best one's, well after it: the model memorises


def best_scoring(history: list[dict]) -> dict | None:
    """The progress at the scoring a run kept (its best by what chooses: its "chosen_by"); None before any.
    `history`: the run's progress at each scoring."""
    last = history[-1] if history else None
    return next((h for h in history if last and h["step"] == last["best_step"]), None)


def kept_note(history: list[dict]) -> str:
    """Which checkpoint a run kept (best_scoring) and its held-out figures, and whether the held-out loss then rose
    while the training loss fell (the model began to memorise: a small file trained for long does); "" before any
    scoring."""
    best = best_scoring(history)
    if best is None:
        return ""
    last = history[-1]
    chosen_by = last.get("chosen_by", "held-out loss")  # a classifier's: its error rate (sentiment/visitor.py)
    kept = (f"Kept: the checkpoint of step {best['step']:,} of {last['step']:,}, of the lowest {chosen_by} (held-out "
            f"loss {best['held_out_loss']:.4g}; held-out {best['metric']} {best['value']:.4g}).")
    if (last["held_out_loss"] > MEMORISING * best["held_out_loss"] and best["step"] <= last["step"] / 2
            and last["train_loss"] < best["train_loss"]):
        kept += (f" After it the held-out loss rose to {last['held_out_loss']:.4g} while the training loss fell to "
                 f"{last['train_loss']:.4g}: the model began to memorise its training data instead of learning what "
                 "holds beyond it. More data, a smaller size or a shorter budget would do as well, sooner.")
    return kept


def status_line(progress: dict) -> str:
    return (f"Training: step {progress['step']:,}, training loss {progress['train_loss']:.4g}, held-out loss "
            f"{progress['held_out_loss']:.4g}, held-out {progress['metric']} {progress['value']:.4g} (best at step "
            f"{progress['best_step']:,}).")


def remove_run(folder: Path | str | None) -> None:
    """A visitor's run folder, removed (they left, or started another run)."""
    if folder:
        shutil.rmtree(folder, ignore_errors=True)


SIGN_IN_FIRST = ("Sign in with Hugging Face first (the button above): the model goes to your account, pushed with "
                 "your permission, never with this Space's token.")
PUSH_SECONDS = 120.0  # the whole push, its process's start (about 2 s) included
PUSH_JOB = "rnn_demo.visitor_training.serve:push_job"


def push_trained(model_folder: Path | None, task: str, repo_name: str, token: str | None,
                 private: bool = False) -> tuple[str, bool]:
    """Push the trained model to `repo_name` ("name" under the visitor's account, or "owner/name"; made `private`
    or public when it is new) with the visitor's own `token`; returns the commit's URL and whether the repository is
    private. A `private` push to a repository that exists and is public is refused: it would publish the model.

    The push runs in a child process of its own (`push_job`, through `hub_deadline.run_in_child`), bounded by
    PUSH_SECONDS: it goes through huggingface_hub's upload, whose one client is process-wide, so it is bounded where
    that harms no one, and a Hub that hangs costs that process only, killed at the deadline."""
    from .. import hub_deadline
    from ..visitor_hub import check_repo_id

    if not token:
        raise ValueError(SIGN_IN_FIRST)
    if model_folder is None:
        raise ValueError("train a model first: there is nothing to push yet")
    name = (repo_name or "").strip()
    if not name:
        raise ValueError("name the repository to push to, for example my-first-rnn")
    if "/" in name:
        check_repo_id(name)  # a bad name is said at once, without starting a process
    try:
        pushed = hub_deadline.run_in_child(PUSH_JOB, {"model_folder": str(model_folder), "task": task, "name": name,
                                                      "token": token, "private": private}, PUSH_SECONDS)
        return pushed["url"], pushed["private"]
    except hub_deadline.DeadlinePassed:
        raise ValueError(f"pushing took longer than {PUSH_SECONDS:.0f} s: try again later") from None
    except hub_deadline.ChildFailed as error:
        raise ValueError(f"could not push: {error}; try again later") from None


def push_job(model_folder: str, task: str, name: str, token: str, private: bool) -> dict:
    """Runs in push_trained's child process: the visitor's account for a bare `name` (whoami), the repository's
    visibility if it exists, then the push: {"url", "private"}; what fails is a ValueError for the visitor (its
    message never holds the token)."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

    from ..hub import ModelLoadError
    from ..hub_sync import HubTransferError, push_model
    from ..visitor_hub import check_repo_id

    api = HfApi(token=token)
    try:
        name = check_repo_id(name if "/" in name else f"{api.whoami()['name']}/{name}").strip()
        try:
            existing = bool(api.repo_info(name).private)
        except RepositoryNotFoundError:
            existing = None
        if private and existing is False:
            raise ValueError(f"{name} exists and is public: pushing to it would publish your model. Push to a new "
                             "name, or make the repository private on the Hub first")
        url = push_model(Path(model_folder), task, name, token=token, private=private, use=TASKS[task].use)
        return {"url": url, "private": private if existing is None else existing}
    except (HubTransferError, ModelLoadError) as error:
        raise ValueError(str(error)) from None
    except HfHubHTTPError as error:  # whoami: the sign-in's token refused
        status = error.response.status_code if error.response is not None else "an error"
        raise ValueError(f"the Hub did not accept your sign-in (it answered {status}): sign in again") from None
