"""Training data named as a Hub dataset (the `load_dataset` id, config, split and columns), for the Train tab.

Checked before anything is downloaded: the id's and the split's form (a split's name, never an expression such as
`train+train`), then the dataset's size from the Hub's file list (MAX_DATASET_BYTES). Then read in a child process
of its own (`python -m rnn_demo.visitor_training.hub_data`), anonymously, never with the Space's token, streamed row
by row, with its memory (READ_MEMORY_BYTES), the size of each file it writes (MAX_FILE_BYTES) and its time
(LOAD_SECONDS, every download of every thread included) bounded: the process is killed when it passes one, so a
dataset that grows when read, or a Hub that trickles, costs that request only. As the process reads this one
dataset and nothing else, huggingface_hub's client is bounded there process-wide (`hub_deadline.bound_process`:
timeouts, and the deadline checked inside each transfer), which the app's own process never is. The dataset is
written as the file an upload of it would be (hub_table.py: a text file, or a CSV), stopping as soon as it passes
what an upload may hold, so what follows (the checks, the preview, the training) is the upload's own. The process is
told the task's file name and column roles, so it starts without torch or the registry (about 1 s less).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import NamedTuple

from .. import hub_deadline
from ..child_env import visitor_environment
from ..display import quoted
from ..plugin import ColumnRole
from .hub_table import MB, left_out, table_shape, write_roles

MAX_DATASET_BYTES = 100 * MB  # all of the dataset repository's files, as the Hub lists them
READ_MEMORY_BYTES = 1024 * MB  # the reading process's data (heap, private mappings): a batch of rows
MAX_FILE_BYTES = MAX_DATASET_BYTES + MB  # any one file the reading process writes: a download, or the output
LOAD_SECONDS = float(os.environ.get("RNN_DEMO_HUB_DATASET_SECONDS", "90"))
CHILD_MARGIN = 3.0  # seconds: the reader says "took too long" itself before it is killed, when it can
DATASET_ID = re.compile(r"^[A-Za-z0-9][\w.-]{0,95}(/[\w.-]{1,96})?$")
NAME = re.compile(r"^[A-Za-z0-9][\w.-]{0,63}$")  # a config's or a split's name: no `+`, slices or percentages



def check_dataset_id(repo_id: str) -> str:
    repo_id = (repo_id or "").strip()
    if not DATASET_ID.match(repo_id) or ".." in repo_id:
        raise ValueError(f"{quoted(repo_id)} is not a Hub dataset id: use the form user/name")
    return repo_id


def check_name(value: str | None, what: str, default: str | None) -> str | None:
    """A config's or split's name as typed (blank: `default`); an expression or anything else is refused."""
    value = (value or "").strip() or default
    if value is not None and not NAME.match(value):
        raise ValueError(f"{quoted(value)} is not a {what} name: give one name, such as train or test (letters, "
                         "digits, '_', '-' and '.'; no '+', slices or percentages)")
    return value


class Written(NamedTuple):
    """A Hub dataset written as an upload: the file, the columns to read it with by role (write_roles), and the
    dataset's columns it leaves out (lists, records, files)."""

    path: Path
    columns: dict[str, str | None]
    left_out: list[str]


def dataset_file(task: str, repo_id: str, config: str | None, split: str | None, columns: dict[str, str | None],
                 folder: Path) -> Written:
    """The Hub dataset as the file `task` reads, in `folder` (the name its plug-in gives), written by a bounded child
    process; on any failure nothing it wrote is left behind."""
    from .job import visitor_part  # the registry, in the app: the reading process is told what it needs

    part = visitor_part(task)
    file_name, roles = part.hub_file, [asdict(role) for role in part.columns]
    request = {"file": file_name, "roles": roles, "repo_id": check_dataset_id(repo_id),
               "config": check_name(config, "config", None), "split": check_name(split, "split", "train"),
               "columns": columns, "folder": str(folder), "max_rows": part.max_rows,
               "seconds": LOAD_SECONDS, "deadline": time.monotonic() + LOAD_SECONDS - CHILD_MARGIN}  # one clock (Linux)
    out, cache = Path(folder) / file_name, Path(folder) / "dataset-cache"
    try:
        answer = _read_in_child(request)
        if "error" in answer:
            raise ValueError(answer["error"])
        return Written(out, answer["columns"], answer["left_out"])
    except BaseException:
        out.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(cache, ignore_errors=True)


def _read_in_child(request: dict) -> dict:
    """Run the reading process on `request`; its JSON answer, or a ValueError saying which bound it passed."""
    # every Hub file the reader fetches goes to the run's folder, removed after it: datasets also fetches the card,
    # to the default cache, where a visitor's 30 MB README stayed for good
    home = Path(request["folder"]) / "dataset-cache" / "hf-home"
    environment = visitor_environment(USE_TORCH="0", USE_TF="0", USE_JAX="0",  # datasets alone
                                      HF_HUB_DISABLE_PROGRESS_BARS="1", HF_DATASETS_DISABLE_PROGRESS_BARS="1",
                                      ARROW_DEFAULT_MEMORY_POOL="system", MALLOC_ARENA_MAX="2",  # malloc's, few arenas
                                      HF_HOME=str(home), HF_HUB_CACHE=str(home / "hub"), HF_XET_CACHE=str(home / "xet"))
    name = request["repo_id"]
    with tempfile.TemporaryFile() as log:  # its messages: a file, of which only the end is read back
        try:
            child = subprocess.run([sys.executable, "-m", "rnn_demo.visitor_training.hub_data"],
                                   input=json.dumps(request), stdout=subprocess.PIPE, stderr=log, text=True,
                                   timeout=LOAD_SECONDS, env=environment, cwd=Path(__file__).resolve().parents[2])
        except subprocess.TimeoutExpired:  # subprocess.run has killed it
            raise ValueError(f"loading the dataset {name} took longer than {LOAD_SECONDS:.0f} s: the Hub is slow or "
                             "cannot be reached from this Space right now, or the dataset is too large to read "
                             "here") from None
        log.seek(max(0, log.seek(0, 2) - 4096))
        last_words = log.read().decode(errors="replace")
    lines = child.stdout.strip().splitlines()
    if child.returncode == 0 and lines:
        return json.loads(lines[-1])
    if "MemoryError" in last_words or child.returncode in (-9, -25):  # out of memory, or SIGXFSZ: a file too large
        raise ValueError(f"the dataset {name} grows too large when read: at most {READ_MEMORY_BYTES // MB:,} MB of "
                         f"memory and {MAX_FILE_BYTES // MB} MB a file are used here; use a smaller dataset, or "
                         "train with `python -m rnn_demo train` on your own machine")
    raise ValueError(f"could not read the dataset {name} (the reader ended with code {child.returncode}); try "
                     "again later")


def _limit_this_process() -> None:
    import resource

    from ..jobs import NICENESS

    resource.setrlimit(resource.RLIMIT_DATA, (READ_MEMORY_BYTES, READ_MEMORY_BYTES))  # heap and private mappings
    resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_FILE_BYTES, MAX_FILE_BYTES))
    os.nice(NICENESS)  # below the app, as the job worker: ten visitors' readers slowed every tab's answers


def _child_main() -> None:  # runs in the reading process
    _limit_this_process()
    request = json.loads(sys.stdin.read())
    hub_deadline.bound_process(request["deadline"])  # this process reads this one dataset, nothing else
    folder = Path(request["folder"])
    try:
        with explained(request["repo_id"], request["seconds"]):
            _check_size(request["repo_id"])
            dataset = _load(request["repo_id"], request["config"], request["split"], folder / "dataset-cache")
            path = folder / request["file"]
            roles = [ColumnRole(**{**role, "guesses": tuple(role["guesses"])}) for role in request["roles"]]
            shape = table_shape(dataset)  # a streamed dataset's first row read once, not by each step below
            answer = {"path": str(path), "left_out": left_out(shape),
                      "columns": write_roles(roles, dataset, request["columns"], path, request["max_rows"], shape)}
        print(json.dumps(answer))
    except ValueError as error:
        print(json.dumps({"error": str(error)}))
    except MemoryError:
        sys.stderr.write("MemoryError\n")
        hub_deadline.exit_now(1)
    hub_deadline.exit_now(0)  # the answer is out: no teardown that could abort (hub_deadline.exit_now)


def _check_size(repo_id: str) -> None:
    from huggingface_hub import HfApi

    info = HfApi(token=False).dataset_info(repo_id, files_metadata=True)
    size = sum(sibling.size or 0 for sibling in info.siblings or [])
    if size > MAX_DATASET_BYTES:
        raise ValueError(f"the dataset {repo_id} holds {size / MB:,.0f} MB of files; at most "
                         f"{MAX_DATASET_BYTES // MB} MB are read here: use a smaller one, or train with "
                         "`python -m rnn_demo train` on your own machine")


def _load(repo_id: str, config: str | None, split: str, cache: Path):
    """The split as a streamed (iterable) dataset: rows are read as they are written out, never all at once."""
    from datasets import load_dataset

    try:
        return load_dataset(repo_id, config, split=split, token=False, cache_dir=str(cache), streaming=True)
    except ValueError as error:  # a config or split it does not have: datasets' message names the valid ones
        message = str(error).split("\n")[0][:400]
        raise ValueError(f"could not load the dataset {repo_id} (config {quoted(config or 'default')}, split "
                         f"{quoted(split)}): {message}") from None


@contextmanager
def explained(repo_id: str, seconds: float) -> Iterator[None]:
    """The Hub's errors while reading the dataset as ValueErrors for the visitor."""
    import httpx2
    from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

    try:
        yield
    except hub_deadline.DeadlinePassed:
        raise ValueError(f"loading the dataset {repo_id} took longer than {seconds:.0f} s: try again "
                         "later") from None
    except hub_deadline.AnswerTooLarge:  # the reader ended with "code 1" on these three (a red team's)
        raise ValueError(f"the Hub's answer about the dataset {repo_id} is larger than this app reads (over "
                         f"{hub_deadline.API_ANSWER_BYTES // MB} MB)") from None
    except hub_deadline.AnswerUncountable as error:
        raise ValueError(f"the Hub answered about the dataset {repo_id} in an encoding this app does not read "
                         f"({quoted(str(error.args[0]), 20)}): try again later") from None
    except httpx2.TransportError as error:
        raise ValueError(f"could not read the dataset {repo_id}: {hub_deadline.unreachable(error)}; try again "
                         "later") from None
    except (RepositoryNotFoundError, FileNotFoundError) as error:  # datasets' DatasetNotFoundError is one too
        if "data file" in str(error):  # datasets' EmptyDatasetError: a repository with no file it reads
            raise ValueError(f"the dataset {repo_id} has no data files to read (Parquet, CSV, JSON or text)") from None
        raise ValueError(f"no public dataset {quoted(repo_id)} on the Hub (private datasets cannot be read "
                         "here)") from None
    except RuntimeError as error:
        if "scripts are no longer supported" not in str(error):
            raise
        raise ValueError(f"the dataset {repo_id} is read by a loading script, which this app never runs: choose one "
                         "of data files (Parquet, CSV, JSON or text)") from None
    except HfHubHTTPError as error:
        status = error.response.status_code if error.response is not None else "an error"
        raise ValueError(f"could not read the dataset {repo_id}: the Hub answered {status}") from None
    except OSError as error:
        raise ValueError(f"could not read the dataset {repo_id} ({type(error).__name__}); try again later") from None
    except ValueError as error:  # our own messages pass; pandas' (a ragged CSV in the repository) get their context
        if type(error).__name__ != "ParserError":
            raise
        raise ValueError(f"could not read the dataset {repo_id}: a data file of it is not a regular table "
                         f"({quoted(str(error).strip().splitlines()[0], 120)})") from None


if __name__ == "__main__":
    _child_main()
