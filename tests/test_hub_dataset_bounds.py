"""A Hub dataset for the Train tab is read in a bounded child process (visitor_training/hub_data.py): datasets that
grow when read, split expressions and a trickling Hub cost that request only, leave nothing on disk and never
grow the app's own process. Each case is an attack a red team made, against the project's local Hub server."""
from __future__ import annotations

import gzip
import io
import threading
import time
from pathlib import Path

import pytest

from rnn_demo.visitor_training import hub_data
from tests.hubserver import hub_environment, local_hub

pytestmark = pytest.mark.slow
WORDS = "the quick brown fox jumps over the lazy dog. "


def resident_mb() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 // 2**20


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    """A local Hub holding a healthy dataset and two small ones that grow when read."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from datasets import Dataset
    from huggingface_hub import HfApi

    with local_hub() as hub, pytest.MonkeyPatch.context() as monkeypatch:
        hub_environment(monkeypatch, hub, tmp_path_factory.mktemp("hf"))
        api = HfApi(token=hub.token)
        Dataset.from_dict({"line": [WORDS * 4] * 120}).push_to_hub("user/letters", token=hub.token)
        Dataset.from_dict({"review": [f"a {word} film, number {i}" for i in range(150) for word in ("good", "bad")],
                           "stars": ["5", "1"] * 150}).push_to_hub("user/stars", token=hub.token)
        ragged = b"text,label\n" + b"good film,pos\n" * 50 + b"x,y,z,w\n" + b"bad,neg\n" * 50
        for name, files in {"user/script": {"script.py": b"import datasets\n"}, "user/card-only": {},
                            "user/ragged": {"data.csv": ragged}}.items():
            api.create_repo(name, repo_type="dataset")
            for path, data in {"README.md": b"---\nlicense: mit\n---\nsoon\n", **files}.items():
                api.upload_file(path_or_fileobj=data, path_in_repo=path, repo_id=name, repo_type="dataset")
        one_line = io.BytesIO()  # 600 MB of one line, 2.7 MB gzipped
        with gzip.GzipFile(fileobj=one_line, mode="wb", compresslevel=1) as packed:
            for _ in range(600):
                packed.write(b"a" * 2**20)
        api.create_repo("user/one-long-line", repo_type="dataset")
        api.upload_file(path_or_fileobj=one_line.getvalue(), path_in_repo="data.txt.gz", repo_id="user/one-long-line",
                        repo_type="dataset")
        rows = 4_000_000  # the same review again and again: about 80 MB as CSV, a few KB as parquet
        table = pa.table({"text": pa.DictionaryArray.from_arrays(pa.array([0] * rows, pa.int8()),
                                                                 pa.array(["a lovely warm film"])),
                          "label": pa.array([1] * rows, pa.int8())})
        many = io.BytesIO()
        pq.write_table(table, many, row_group_size=rows)
        assert len(many.getvalue()) < 200_000
        api.create_repo("user/many-rows", repo_type="dataset")
        api.upload_file(path_or_fileobj=many.getvalue(), path_in_repo="data/train-00000.parquet",
                        repo_id="user/many-rows", repo_type="dataset")
        yield hub


def load(task: str, repo_id: str, folder, split: str = "train", columns: dict | None = None):
    """The file the dataset is written to (and the columns to read it with checked: the role's name)."""
    written = hub_data.dataset_file(task, repo_id, "", split, columns or {}, folder)
    assert task != "text" or (written.columns, written.left_out) == ({"text": "text"}, [])
    return written.path


def test_a_healthy_dataset_is_written_as_an_upload_would_be(hub, tmp_path):
    import os

    hub_cache = Path(os.environ["HF_HUB_CACHE"])  # the app's own cache (its models'), as the reader would inherit it
    path = load("text", "user/letters", tmp_path)
    assert path == tmp_path / "text.txt" and path.read_text() == (WORDS * 4 + "\n") * 120
    assert sorted(p.name for p in tmp_path.iterdir()) == ["text.txt"]  # the reader's download cache is gone
    assert not list(hub_cache.glob("datasets--*"))  # the card datasets fetches too: it stayed there for good


@pytest.mark.parametrize("repo_id, message", [
    ("user/script", "the dataset user/script is read by a loading script, which this app never runs"),
    ("user/card-only", "the dataset user/card-only has no data files to read"),
    ("user/ragged", "could not read the dataset user/ragged: a data file of it is not a regular table .*line 52"),
])
def test_a_dataset_the_app_cannot_read_says_why(hub, tmp_path, repo_id, message):
    with pytest.raises(ValueError, match=message):  # where it said "try again later", that it did not exist, or pandas'
        load("sentiment", repo_id, tmp_path)


def test_a_datasets_columns_named_in_the_boxes_are_read_under_their_own_names(hub, tmp_path):
    """The file a Hub dataset is written to keeps its columns' names; the boxes' names, spelled in another case,
    are read as the dataset's."""
    from rnn_demo.visitor_training import serve as training

    source = training.source_of("sentiment", None, "user/stars", "", "train", {"text": "Review", "label": "stars"},
                                tmp_path)
    assert source.columns == {"text": "review", "label": "stars"}
    assert training.check_data("sentiment", source).summary["labels"].keys() == {"5", "1"}


@pytest.mark.parametrize("repo_id, task, message", [
    ("user/one-long-line", "text", r"the dataset user/one-long-line grows too large when read: at most 1,024 MB of "
                                   r"memory"),
    ("user/many-rows", "sentiment", r"the dataset's rows pass 20,000, more than an upload may hold"),
], ids=["600-MB-line-in-a-gzip", "4M-identical-rows-in-a-parquet"])
def test_a_dataset_that_grows_when_read_is_refused_without_growing_the_app(hub, tmp_path, repo_id, task, message):
    before = resident_mb()
    with pytest.raises(ValueError, match=message):
        load(task, repo_id, tmp_path)
    assert resident_mb() - before < 50  # read in the child process: this one stays as it was
    assert list(tmp_path.iterdir()) == []  # nothing written is left behind


def test_columns_past_an_uploads_size_are_refused_as_they_are_written(tmp_path):
    """Rows of 30,000 characters: the 1,700th passes 50 MB (the task's row limit, 20,000, is not reached)."""
    from datasets import Dataset

    from rnn_demo.sentiment.visitor import VISITOR
    from rnn_demo.visitor_training.hub_table import write_roles

    wide = Dataset.from_dict({"text": ["a lovely warm film " * 1_600] * 2_000, "label": [1] * 2_000})
    with pytest.raises(ValueError, match=r"the dataset's columns pass 50 MB, more than an upload may hold"):
        write_roles(VISITOR.columns, wide, {}, tmp_path / "reviews.csv", VISITOR.max_rows)


@pytest.mark.parametrize("split", ["train+train", "train[:50%]", "train[0:10]+train", "../train", ""])
def test_a_split_is_one_name_never_an_expression(split):
    if split == "":
        assert hub_data.check_name(split, "split", "train") == "train"
        return
    with pytest.raises(ValueError, match=r"is not a split name: give one name, such as train or test") as refused:
        hub_data.check_name(split, "split", "train")
    assert split in str(refused.value)


def _own_threads() -> set[threading.Thread]:
    """This process's threads, less the local Hub's request handlers (one per connection: the trickled one may still
    be writing into its closed connection for a moment)."""
    return {thread for thread in threading.enumerate() if "process_request_thread" not in thread.name}


def test_a_trickling_hub_costs_its_request_only(hub, tmp_path, monkeypatch):
    """The reader's every download, whatever thread makes it, is bounded: the process is killed at the deadline,
    and a healthy dataset loads at once afterwards, with no thread of this process left behind."""
    monkeypatch.setattr(hub_data, "LOAD_SECONDS", 8.0)
    threads = _own_threads()
    hub.trickle(60, every=0.5, path="/datasets/user/letters/resolve")
    try:
        started = time.monotonic()
        with pytest.raises(ValueError, match="loading the dataset user/letters took longer than 8 s"):
            load("text", "user/letters", tmp_path)
        assert time.monotonic() - started < 12
    finally:
        hub.clear_faults()
    started = time.monotonic()
    assert load("text", "user/letters", tmp_path).is_file() and time.monotonic() - started < 20
    assert _own_threads() <= threads
