"""Loading models from the Hub in the launched app, per visitor session, against a local Hub server."""
import pytest
from gradio_client import Client

from rnn_demo.display import md_text
from rnn_demo.hub_sync import push_model
from tests.appserver import launched_app
from tests.hubserver import hub_env, hub_environment, local_hub

pytestmark = pytest.mark.slow
LOAD_SECONDS = 10  # the launched app's deadline for a visitor's load (RNN_DEMO_HUB_SECONDS): short, for the tests


@pytest.fixture(scope="module")
def hub_app(tiny_models_dir, tmp_path_factory):
    with local_hub() as hub, pytest.MonkeyPatch.context() as monkeypatch:
        cache = tmp_path_factory.mktemp("hf")
        hub_environment(monkeypatch, hub, cache / "pusher")
        push_model(tiny_models_dir / "sentiment-lstm", "sentiment", "user/reviews")
        push_model(tiny_models_dir / "text-rnn", "text", "user/plays")
        push_model(tiny_models_dir / "forecast-lstm", "forecast", "user/demand")
        push_model(tiny_models_dir / "sentiment-gru", "sentiment", "user/private-reviews", private=True)
        app_env = {**hub_env(hub, cache / "app"),  # the Space's own token is set, and must not be used
                   "RNN_DEMO_HUB_SECONDS": str(LOAD_SECONDS)}
        with launched_app(tiny_models_dir, env=app_env) as url:
            yield hub, url


def test_a_visitor_loads_a_hub_model_for_their_session_only(hub_app):
    hub, url = hub_app
    visitor, other = Client(url, verbose=False), Client(url, verbose=False)
    status = visitor.predict("user/reviews", "", api_name="/sentiment_load_from_hub")
    assert f"Using **{md_text('user/reviews')}** at revision main" in status and hub.head("user/reviews")[:10] in status
    label, _, _ = visitor.predict("A superb film.", "gru", api_name="/classify")
    assert {c["label"] for c in label["confidences"]} == {"negative", "positive"}
    hub_requests = len(hub.requests)
    other.predict("A superb film.", "gru", api_name="/classify")  # another visitor still uses the bundled model
    assert len(hub.requests) == hub_requests


@pytest.mark.parametrize("api_name, repo_id, message", [
    ("/sentiment_load_from_hub", "user/plays", "holds a 'text' model; this tab needs a 'sentiment' one"),
    ("/sentiment_load_from_hub", "user/absent", "no public model repository 'user/absent'"),
    ("/sentiment_load_from_hub", "user/private-reviews", "no public model repository"),
    ("/forecast_load_from_hub", "not a repo", "is not a Hub model id"),
])
def test_bad_loads_are_clear_errors_and_the_tab_keeps_working(hub_app, api_name, repo_id, message):
    _, url = hub_app
    client = Client(url, verbose=False)
    with pytest.raises(Exception, match=message) as raised:
        client.predict(repo_id, "", api_name=api_name)
    assert "Traceback" not in str(raised.value)
    label, _, _ = client.predict("A superb film.", "gru", api_name="/classify")
    assert label["label"] in ("negative", "positive")


def test_every_tab_runs_a_loaded_model(hub_app):
    _, url = hub_app
    client = Client(url, verbose=False)
    assert md_text("user/plays") in client.predict("user/plays", "", api_name="/text_load_from_hub")
    text = client.predict("ROMEO:", "lstm", 20, 0.8, 0, 1.0, 3, "", api_name="/generate")
    assert text.startswith("ROMEO:") and len(text) == len("ROMEO:") + 20
    assert md_text("user/demand") in client.predict("user/demand", "main", api_name="/forecast_load_from_hub")
    table = client.predict("gru", api_name="/backtest")
    assert table["data"][0][0] == "user/demand (median, 80% interval)"


def test_the_inside_tab_opens_a_visitors_text_model(hub_app):
    _, url = hub_app
    client = Client(url, verbose=False)
    _, _, bundled = client.predict("ROMEO", "lstm", 1, 8, api_name="/inside_unrolled")
    assert "c_t = f ⊙ c_{t-1} + i ⊙ g" in bundled
    assert md_text("user/plays") in client.predict("user/plays", "", api_name="/inside_load_from_hub")
    _, _, visitors = client.predict("ROMEO", "lstm", 1, 8, api_name="/inside_unrolled")
    assert visitors.startswith("```\nh_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)")  # user/plays is a vanilla RNN
    *_, note = client.predict("ROMEO:\nBut soft, what light through yonder window breaks?", "lstm",
                              api_name="/inside_find_units")
    assert note.startswith("Opened on layer")
    with pytest.raises(Exception, match="holds a 'sentiment' model; this tab needs a 'text' one"):
        client.predict("user/reviews", "", api_name="/inside_load_from_hub")


def test_a_hung_hub_costs_those_loads_only_and_the_next_load_works(hub_app):
    hub, url = hub_app
    client = Client(url, verbose=False)
    hub.hang(path="/api/models/user/reviews", times=2)  # accepts the connection, never answers
    for _ in range(2):  # as many as the tab's loader has workers
        with pytest.raises(Exception, match=f"loading user/reviews took longer than {LOAD_SECONDS} s") as raised:
            client.predict("user/reviews", "", api_name="/sentiment_load_from_hub")
        assert "Traceback" not in str(raised.value)
    label, _, _ = client.predict("A superb film.", "gru", api_name="/classify")  # the tab went on serving
    assert label["label"] in ("negative", "positive")
    assert md_text("user/reviews") in client.predict("user/reviews", "", api_name="/sentiment_load_from_hub")


def _page_config(url: str) -> str:
    import urllib.request

    return urllib.request.urlopen(url + "config", timeout=10).read().decode()


def test_a_space_starts_on_the_hub_models_its_environment_names(hub_app, tiny_models_dir, tmp_path):
    hub, _ = hub_app
    env = {**hub_env(hub, tmp_path / "hf"), "RNN_DEMO_SENTIMENT_REPO": "user/reviews"}
    with launched_app(tiny_models_dir, env=env) as url:
        assert f"sentiment: the lstm model is user/reviews, commit {hub.head('user/reviews')[:10]}." in _page_config(url)


def test_with_the_hub_unreachable_the_app_starts_at_once_on_bundled_models(tiny_models_dir, tmp_path):
    import re
    import time

    env = {"HF_ENDPOINT": "http://hub.invalid", "HF_HUB_OFFLINE": "0", "HF_HOME": str(tmp_path / "hf"),
           "HF_HUB_CACHE": str(tmp_path / "hf" / "hub"), "RNN_DEMO_SENTIMENT_REPO": "user/reviews"}
    started = time.monotonic()
    with launched_app(tiny_models_dir, env=env) as url:
        launch_seconds = time.monotonic() - started
        page = _page_config(url)
        assert "could not use user/reviews (the Hub is unreachable and it is not cached)" in page
        assert float(re.search(r"Hub check ([\d.]+) s", page)[1]) < 3.0
        client = Client(url, verbose=False)
        assert client.predict("A superb film.", "lstm", api_name="/classify")[0]["label"] in ("negative", "positive")
    assert launch_seconds < 60
