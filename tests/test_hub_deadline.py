"""A visitor's Hub load has connect and read timeouts and an overall deadline, enforced inside the transfer: a Hub that
hangs or trickles bytes costs the loads it holds, never the tab's loader pool (2 workers). The Space's own Hub calls
(push, pull, its startup models) are not bounded by it. Against the local Hub server made to hang or trickle."""
import json
import time
from pathlib import Path

import pytest
from huggingface_hub import HfApi, constants, hf_hub_download

from rnn_demo.hub import ModelLoadError, load_model
from rnn_demo.launch import free_port
from rnn_demo.sentiment.model import ReviewClassifier, SentimentConfig
from rnn_demo.sentiment.tokenizer import train_tokenizer
from rnn_demo.sentiment.model import VISITOR_LIMITS as SENTIMENT_LIMITS
from rnn_demo.visitor_hub import VisitorModels
from tests.hubserver import hub_environment, local_hub

DEADLINE = 2.0  # seconds: short, for the test
SLACK = 5.0  # what a load may take past its deadline on a busy machine (building a model, threads waking up)


@pytest.fixture
def hub(tmp_path, monkeypatch):
    with local_hub() as server:
        hub_environment(monkeypatch, server, tmp_path / "hf")
        folder = tmp_path / "model"
        ReviewClassifier(SentimentConfig(vocab_size=30, embedding_dim=4, hidden_size=4)).save_pretrained(folder)
        train_tokenizer(["a good film", "a bad film"], vocab_size=30, min_frequency=1).save(str(folder / "tokenizer.json"))
        api = HfApi()
        api.create_repo("user/reviews")
        api.upload_folder(folder_path=folder, repo_id="user/reviews")
        yield server


def classifiers(tmp_path: Path, seconds: float = DEADLINE) -> VisitorModels:
    return VisitorModels(SENTIMENT_LIMITS, lambda directory: load_model(ReviewClassifier, directory, "cpu"),
                         seconds=seconds, folder=tmp_path / "visitors")


def timed_failure(visitors: VisitorModels, repo_id: str = "user/reviews") -> tuple[str, float]:
    started = time.monotonic()
    with pytest.raises(ModelLoadError) as raised:
        visitors.load(repo_id)
    return str(raised.value), time.monotonic() - started


@pytest.mark.slow  # over 2 s: out of the fast loop (tests/README.md)
def test_two_hung_loads_cost_those_loads_only_and_the_next_one_works(hub, tmp_path):
    visitors = classifiers(tmp_path)
    hub.hang(path="/api/models/user/reviews", times=2)  # accepted, never answered
    for _ in range(2):
        message, seconds = timed_failure(visitors)
        assert f"loading user/reviews took longer than {DEADLINE:.0f} s" in message and seconds < DEADLINE + SLACK
    model, commit = visitors.load("user/reviews")  # both workers of the pool are free again
    assert commit == hub.head("user/reviews") and model.config.hidden_size == 4


@pytest.mark.slow  # over 2 s: out of the fast loop (tests/README.md)
@pytest.mark.parametrize("path, body_only", [("/api/models/user/reviews", False), ("/model.safetensors", True)],
                         ids=["headers of the repository's info", "body of the weights"])
def test_a_trickling_hub_is_cut_at_the_deadline(hub, tmp_path, path, body_only):
    visitors = classifiers(tmp_path)
    hub.trickle(60, every=0.2, path=path, times=2, body_only=body_only)  # no read waits long: read timeouts never fire
    for _ in range(2):
        message, seconds = timed_failure(visitors)
        assert f"loading user/reviews took longer than {DEADLINE:.0f} s" in message and seconds < DEADLINE + SLACK
    assert visitors.load("user/reviews")[1] == hub.head("user/reviews")
    assert [p for p in (tmp_path / "visitors").rglob("*") if p.is_file()] == []  # cut loads left no files


def test_an_offline_or_unreachable_hub_is_said_so(hub, tmp_path, monkeypatch):
    visitors = classifiers(tmp_path, seconds=30)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    assert "the Hub cannot be reached from this Space right now" in timed_failure(visitors)[0]
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "ENDPOINT", f"http://127.0.0.1:{free_port()}")  # nothing listens there
    assert "the Hub cannot be reached from this Space right now" in timed_failure(visitors)[0]


@pytest.mark.slow  # over 2 s: out of the fast loop (tests/README.md)
def test_the_spaces_own_hub_calls_are_not_bounded_by_a_visitors_deadline(hub, tmp_path):
    classifiers(tmp_path, seconds=0.5)  # a visitors' loader with a short deadline: it bounds its own client only
    hub.trickle(DEADLINE + 1, every=0.1, path="/resolve/main/config.json", times=1)
    started = time.monotonic()
    path = hf_hub_download("user/reviews", "config.json", cache_dir=tmp_path / "cache")  # a pull, say: no deadline
    assert time.monotonic() - started >= DEADLINE + 1
    assert json.loads(Path(path).read_text())["hidden_size"] == 4
