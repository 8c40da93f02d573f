"""Visitors' Hub loads, against the local Hub server: anonymous, bounded, shared, evicted."""
import json
import shutil
import time

import pytest

from rnn_demo.hub import WEIGHTS_NAME, ModelLoadError, load_model
from rnn_demo.hub_sync import push_model
from rnn_demo.sentiment.model import ReviewClassifier
from rnn_demo.visitor_checks import FILE_LIMITS
from rnn_demo.sentiment.model import VISITOR_LIMITS as SENTIMENT_LIMITS
from rnn_demo.visitor_hub import VisitorModels, check_repo_id
from tests.hubserver import hub_environment, local_hub

pytestmark = pytest.mark.slow  # a local Hub server per test, about 1 s each


@pytest.fixture
def hub(tmp_path, monkeypatch, tiny_models_dir):
    with local_hub() as hub:
        hub_environment(monkeypatch, hub, tmp_path / "hf")
        push_model(tiny_models_dir / "sentiment-gru", "sentiment", "user/s-gru")
        push_model(tiny_models_dir / "sentiment-lstm", "sentiment", "user/s-lstm")
        push_model(tiny_models_dir / "text-gru", "text", "user/text")
        yield hub


def classifiers(**kwargs) -> VisitorModels:
    return VisitorModels(SENTIMENT_LIMITS, lambda directory: load_model(ReviewClassifier, directory, "cpu"), **kwargs)


def test_a_visitor_loads_a_public_model_at_a_commit(hub, tiny_models_dir):
    model, commit = classifiers().load("user/s-gru")
    assert commit == hub.head("user/s-gru") and model.config.cell == "gru"
    assert model.config == load_model(ReviewClassifier, tiny_models_dir / "sentiment-gru", "cpu").config


@pytest.mark.parametrize("repo_id, revision, message", [
    ("user/text", None, "holds a 'text' model; this tab needs a 'sentiment' one"),
    ("user/absent", None, "no public model repository 'user/absent'"),
    ("user/s-gru", "no-such-branch", "has no revision 'no-such-branch'"),
    ("../etc/passwd", None, "is not a Hub model id"),
])
def test_bad_loads_are_clear_errors(hub, repo_id, revision, message):
    with pytest.raises(ModelLoadError, match=message):
        classifiers().load(repo_id, revision)


def test_a_private_repository_is_not_read_with_the_spaces_token(hub, tiny_models_dir):
    push_model(tiny_models_dir / "sentiment-gru", "sentiment", "user/secret", private=True)  # HF_TOKEN is set
    with pytest.raises(ModelLoadError, match="no public model repository 'user/secret'"):
        classifiers().load("user/secret")


def test_weights_and_dimensions_over_the_limits_are_refused(hub, tmp_path, tiny_models_dir, monkeypatch):
    monkeypatch.setitem(FILE_LIMITS, WEIGHTS_NAME, 1000)
    with pytest.raises(ModelLoadError, match="model.safetensors has 0.0 MB; the limit here is 0 MB"):
        classifiers().load("user/s-gru")
    monkeypatch.undo()
    hub_environment(monkeypatch, hub, tmp_path / "hf")
    big = tmp_path / "big"
    shutil.copytree(tiny_models_dir / "sentiment-gru", big)
    config = json.loads((big / "config.json").read_text())
    (big / "config.json").write_text(json.dumps({**config, "hidden_size": 100_000}))
    push_model(big, "sentiment", "user/big")
    with pytest.raises(ModelLoadError, match="hidden_size is 100,000; it must be between 1 and 1,024"):
        classifiers().load("user/big")


def test_models_are_shared_by_commit_and_the_least_recently_used_is_evicted(hub):
    cache = classifiers(capacity=1)
    first, commit = cache.load("user/s-gru")
    assert cache.load("user/s-gru")[0] is first  # a second visitor gets the same object
    cache.load("user/s-lstm")
    assert list(cache.models) == [("user/s-lstm", hub.head("user/s-lstm"))]
    with pytest.raises(ModelLoadError, match="user/s-gru was set aside to make room for other visitors' models and "
                                             "is being loaded again from the Hub: try again in a few seconds"):
        cache.get("user/s-gru", commit)  # evicted: loaded again in the cache's pool, never in the asking handler
    deadline = time.monotonic() + 30
    while ("user/s-gru", commit) not in cache.models and time.monotonic() < deadline:
        time.sleep(0.05)
    again = cache.get("user/s-gru", commit)  # at the same commit
    assert again is not first and again.config == first.config


def test_a_reload_on_a_hung_hub_never_holds_the_asking_handler_and_says_why_it_failed(hub, monkeypatch):
    from rnn_demo import visitor_hub

    """A hung Hub held a one-worker lane for the reload's whole deadline (11.5 s for a review of the bundled model
    that takes 0.09 s alone, with a 12 s deadline): the handler hears at once, and its visitor, next time, why."""
    cache = classifiers(capacity=1, seconds=2)
    _, commit = cache.load("user/s-gru")
    cache.load("user/s-lstm")
    hub.hang(path="/api/models/user/s-gru")
    started = time.monotonic()
    with pytest.raises(ModelLoadError, match="being loaded again"):
        cache.get("user/s-gru", commit)
    assert time.monotonic() - started < 1
    deadline = time.monotonic() + 30
    while ("user/s-gru", commit) not in cache.failed and time.monotonic() < deadline:
        time.sleep(0.05)
    for _ in range(2):  # the same answer to both handlers of one click, for FAILURE_SECONDS
        with pytest.raises(ModelLoadError, match="took longer than 2 s.*Load it again from the Hub, or choose a"):
            cache.get("user/s-gru", commit)
    hub.clear_faults()
    monkeypatch.setattr(visitor_hub, "FAILURE_SECONDS", 0.0)  # then another reload is tried
    with pytest.raises(ModelLoadError, match="being loaded again"):
        cache.get("user/s-gru", commit)
    while ("user/s-gru", commit) not in cache.models and time.monotonic() < deadline + 30:
        time.sleep(0.05)
    assert cache.get("user/s-gru", commit) is not None and ("user/s-gru", commit) not in cache.failed


def test_a_model_trained_here_whose_folder_has_gone_asks_to_train_again(tiny_models_dir, tmp_path):
    import shutil

    cache = classifiers(capacity=1)
    for run, source in (("mine", "sentiment-gru"), ("theirs", "sentiment-lstm")):
        shutil.copytree(tiny_models_dir / source, tmp_path / run)
    name, commit = cache.adopt("your model, trained here", tmp_path / "mine")
    shutil.rmtree(tmp_path / "mine")  # its hour is over (visitor_training.serve.FOLDERS)
    cache.adopt("your model, trained here", tmp_path / "theirs")  # another visitor's: the cache makes room
    assert (name, commit) not in cache.trained and (name, commit) not in cache.models
    with pytest.raises(ModelLoadError, match="your model, trained here is no longer on this Space .* train it again"):
        cache.get(name, commit)  # not a Hub id to reload: said so, not "not a Hub model id"


def test_a_load_that_takes_too_long_is_refused(hub):
    cache = classifiers(seconds=0.0)
    with pytest.raises(ModelLoadError, match="took longer than 0 s"):
        cache.load("user/s-gru")
    cache.pool.shutdown(wait=True)  # the abandoned download ends inside this test, against this test's hub


def test_repo_id_forms():
    assert check_repo_id(" user/model-1.v2 ") == "user/model-1.v2"
    for bad in ("", "user", "a/b/c", "user/..", "https://huggingface.co/user/model"):
        with pytest.raises(ModelLoadError):
            check_repo_id(bad)


def test_space_models_come_from_the_cache_when_offline(hub, monkeypatch):
    from huggingface_hub import constants

    from rnn_demo import model_sources

    monkeypatch.setenv("RNN_DEMO_SENTIMENT_REPO", "user/s-lstm")
    monkeypatch.setattr(model_sources, "NOTES", [])
    for online in (True, False):  # first online (downloads into the cache), then with HF_HUB_OFFLINE=1
        monkeypatch.setattr(constants, "HF_HUB_OFFLINE", not online)
        model_sources.hub_reachable.cache_clear()
        model_sources.model_dirs.cache_clear()
        requests = len(hub.requests)
        directory = model_sources.model_dirs("sentiment")["lstm"]
        assert load_model(ReviewClassifier, directory, "cpu").config.cell == "lstm"
        assert (len(hub.requests) > requests) == online  # offline: not one request reaches the Hub
    assert model_sources.hub_reachable() == (False, 0.0)
    assert model_sources.NOTES[-1] == (f"sentiment: the lstm model is user/s-lstm, commit {hub.head('user/s-lstm')[:10]} "
                                       "(from the local cache: the Hub is unreachable).")
    model_sources.model_dirs.cache_clear()
    model_sources.hub_reachable.cache_clear()
