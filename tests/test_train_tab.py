"""The Train tab through the launched app's API: each task's upload trained and then used in its tab, a Hub dataset
(local Hub server), Stop, two visitors in line, and Push with the visitor's own token, never the Space's."""
import re
import threading
import time
import zipfile

import pandas as pd
import pytest
import yaml
from gradio_client import Client, handle_file

from rnn_demo.display import md_text
from rnn_demo.visitor_training.job import MIN_SECONDS
from rnn_demo.visitor_training.serve import SIGN_IN_FIRST
from tests.appserver import launched_app
from tests.hubserver import hub_env, hub_environment, local_hub

pytestmark = pytest.mark.slow
WORDS = "abba baba caca acab "  # a text of four letters: a model trained on it writes only these
SECONDS = 8  # the budget of a training whose model must have learnt: a tiny model gets a few held-out scorings in it
QUICK = MIN_SECONDS  # the least budget the tab takes: for a test that needs a trained model, not a good one


@pytest.fixture(scope="module")
def train_app(tiny_models_dir, tmp_path_factory):
    """An app on the tiny models whose Hub is a local server holding a text dataset; the Space's own token is
    set to one the Hub refuses, so a push that used it would fail."""
    from datasets import Dataset

    with local_hub() as hub, pytest.MonkeyPatch.context() as monkeypatch:
        cache = tmp_path_factory.mktemp("hf")
        hub_environment(monkeypatch, hub, cache / "pusher")
        Dataset.from_dict({"line": [WORDS * 4] * 120}).push_to_hub("user/letters", token=hub.token)
        app_env = {**hub_env(hub, cache / "app"), "HF_TOKEN": "hf_the_spaces_own_token"}
        with launched_app(tiny_models_dir, env=app_env) as url:
            yield hub, url


def _train(client: Client, task: str, upload=None, dataset="", columns=("", "", "", "", ""), seconds=SECONDS,
           cell="gru"):
    return client.predict(task, handle_file(str(upload)) if upload else None, dataset, "", "train", *columns, cell,
                          "tiny", seconds, 0.003, 0, api_name="/train")


def _letters(tmp_path):
    path = tmp_path / "letters.txt"
    path.write_text((WORDS * 4 + "\n") * 120)
    return path


def test_a_text_upload_trains_a_model_the_text_tab_then_uses(train_app, tmp_path):
    _, url = train_app
    client = Client(url, verbose=False)
    summary, preview = client.predict("text", handle_file(str(_letters(tmp_path))), "", "", "train", "", "", "", "", "",
                                      api_name="/train_check")
    assert "held-out characters" in summary and preview["data"][0][0].startswith("abba")
    status, _, _, card, download, *_ = _train(client, "text", _letters(tmp_path))
    assert "now the model of the **Text generation** tab" in status, status
    assert "## Evaluation" in card and "bits per character" in card
    with zipfile.ZipFile(download) as archive:
        assert {"config.json", "model.safetensors", "README.md"} <= set(archive.namelist())
    written = client.predict("ab", "gru", 200, 0.8, 0, 1.0, 3, "", api_name="/generate")[2:]
    assert len(written) == 200 and set(written) <= set(WORDS + "\n"), written
    other = Client(url, verbose=False)  # another visitor still has the bundled model
    assert not set(other.predict("ab", "gru", 200, 1.0, 0, 1.0, 3, "", api_name="/generate")) <= set(WORDS + "\n")


def test_a_labelled_csv_trains_a_classifier_the_sentiment_tab_then_uses(train_app, tmp_path):
    _, url = train_app
    client = Client(url, verbose=False)
    path = tmp_path / "reviews.csv"
    pd.DataFrame({"body": [f"{'a lovely warm film' if i % 2 else 'a cold grim bore'} {i}" for i in range(300)],
                  "verdict": ["yay" if i % 2 else "nay" for i in range(300)]}).to_csv(path, index=False)
    status, *_ = _train(client, "sentiment", path, columns=("body", "verdict", "", "", ""), seconds=QUICK)
    assert "now the model of the **Sentiment** tab" in status, status
    assert "is no better than always answering" not in status, status  # it separates the two words' reviews
    label, _, _ = client.predict("a lovely warm film", "gru", api_name="/classify")
    assert label["label"] == "yay" and {c["label"] for c in label["confidences"]} == {"yay", "nay"}


def test_a_series_csv_trains_a_forecaster(train_app, tmp_path):
    from tests.test_forecast_adapt import hourly_demand

    _, url = train_app
    series, path = hourly_demand(weeks=6), tmp_path / "grid.csv"
    pd.DataFrame({"time": series.times, "mw": series.values}).to_csv(path, index=False)
    status, _, _, card, _, *_ = _train(Client(url, verbose=False), "forecast", path, columns=("", "", "", "mw", ""),
                                         seconds=QUICK)
    assert "now the model of the **Forecasting** tab" in status and "MASE" in card


def test_a_hub_dataset_trains_like_an_upload(train_app):
    _, url = train_app
    client = Client(url, verbose=False)
    status, _, _, card, download, *_ = _train(client, "text", dataset="user/letters",
                                              columns=("line", "", "", "", ""), seconds=QUICK)
    assert "now the model of the **Text generation** tab" in status and f"Hub dataset {md_text('user/letters')}" in card
    with zipfile.ZipFile(download) as archive:  # the card's metadata links the dataset
        front = yaml.safe_load(archive.read("README.md").decode().split("---\n")[1])
    assert front["datasets"] == ["user/letters"] and front["model-index"][0]["results"][0]["dataset"]["type"] == \
        "user/letters"
    with pytest.raises(Exception, match="no public dataset 'user/nothing-here'"):
        _train(client, "text", dataset="user/nothing-here")
    with pytest.raises(Exception, match="no column 'verse'; its columns are: 'line'"):
        _train(client, "text", dataset="user/letters", columns=("verse", "", "", "", ""))


def test_stop_keeps_the_best_checkpoint_so_far(train_app, tmp_path):
    _, url = train_app
    client = Client(url, verbose=False)
    job = client.submit("text", handle_file(str(_letters(tmp_path))), "", "", "train", "", "", "", "", "", "gru",
                        "tiny", 120, 0.003, 0, api_name="/train")
    deadline = time.monotonic() + 60
    while not any(str(out[0]).startswith("Training: step") for out in job.outputs()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert client.predict(api_name="/train_stop") == "Stopping…"
    status, *_ = job.result(timeout=60)
    assert status.startswith("Stopped: the best checkpoint so far is kept.") and "Text generation" in status


def test_a_second_visitor_waits_in_line_with_their_place_shown(train_app, tmp_path):
    _, url = train_app
    first, second = Client(url, verbose=False), Client(url, verbose=False)
    running = first.submit("text", handle_file(str(_letters(tmp_path))), "", "", "train", "", "", "", "", "", "gru",
                           "tiny", SECONDS, 0.003, 0, api_name="/train")
    deadline = time.monotonic() + 60
    while not any(str(out[0]).startswith("Training: step") for out in running.outputs()) and \
            time.monotonic() < deadline:
        time.sleep(0.2)
    waiting = second.submit("text", handle_file(str(_letters(tmp_path))), "", "", "train", "", "", "", "", "", "rnn",
                            "tiny", QUICK, 0.003, 0, api_name="/train")
    statuses = []
    watcher = threading.Thread(target=lambda: statuses.extend(str(out[0]) for out in waiting))
    watcher.start()
    watcher.join(timeout=120)
    assert any(s.startswith("Waiting for the CPU: 1 heavy job(s) ahead") for s in statuses), statuses
    assert running.result(timeout=60)[0].startswith("Finished.") and statuses[-1].startswith("Finished.")


def test_push_goes_with_the_visitors_token_and_asks_for_a_sign_in_without_one(train_app, tmp_path):
    hub, url = train_app
    visitor = Client(url, verbose=False, oauth_token=hub.token)
    with pytest.raises(Exception, match="train a model first"):
        visitor.predict("my-letters", False, api_name="/train_push")
    _train(visitor, "text", _letters(tmp_path), seconds=QUICK)
    with pytest.raises(Exception, match=re.escape(SIGN_IN_FIRST[:60])):  # the same app, a visitor not signed in
        Client(url, verbose=False).predict("my-letters", False, api_name="/train_push")
    pushed = visitor.predict("my-letters", True, api_name="/train_push")
    assert pushed.startswith("Pushed to a private repository: ") and "user/my-letters" in pushed
    assert hub.token not in pushed and hub.storage.repos["model", "user/my-letters"].private  # as the visitor chose
    again = visitor.predict("my-letters", False, api_name="/train_push")  # a push keeps a repository's visibility
    assert again.startswith("Pushed to a private repository: ")  # and says the one it has
    hub.storage.create_repo("model", "user/shown", False, "")  # the visitor's public repository
    with pytest.raises(Exception, match="user/shown exists and is public: pushing to it would publish your model"):
        visitor.predict("shown", True, api_name="/train_push")
    files = hub.files("user/my-letters")
    assert {"config.json", "model.safetensors", "README.md"} <= set(files)
    card = files["README.md"].decode()  # its Use section names the repository it went to, for who downloads it
    assert 'CharLM.from_pretrained("user/my-letters"' in card and "hf download user/my-letters" in card
