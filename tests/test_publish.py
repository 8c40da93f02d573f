"""`publish`: the datasets, the models and the Space on a local Hub server, under another account; a second run
makes no commit, a run cut after the models finishes when run again; `--dry-run` sends nothing. The checkout's
`.gitattributes` marks every binary for the Hub's LFS, and the bundled weights are real files, not LFS pointers."""
import subprocess
import urllib.request
from pathlib import Path

import pytest
import yaml
from datasets import Dataset, DatasetDict
from huggingface_hub import DatasetCard, ModelCard
from gradio_client import Client
from safetensors import safe_open

from rnn_demo.hub import MODELS_DIR, card_metrics, write_model_card
from rnn_demo.project import Project
from rnn_demo.publish import SPACE_FILES, publish, space_files
from rnn_demo.tasks import TASKS, dataset_repos, task_names
from tests.appserver import launched_app
from tests.conftest import ROOT, TINY_MODELS
from tests.hubserver import hub_env, hub_environment, local_hub

OWNER = "test-user"


def test_every_tracked_binary_is_marked_for_the_hubs_lfs():
    tracked = subprocess.run(["git", "ls-files", "*.safetensors", "*.png"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    assert any(name.startswith("models/") for name in tracked) and any(name.startswith("docs/") for name in tracked)
    attributes = subprocess.run(["git", "check-attr", "filter", "text", "--", *tracked], cwd=ROOT, capture_output=True,
                                text=True, check=True).stdout.splitlines()
    assert sorted(attributes) == sorted([f"{name}: filter: lfs" for name in tracked] +
                                        [f"{name}: text: unset" for name in tracked])


def test_the_bundled_weights_are_safetensors_not_lfs_pointers():
    weights = sorted(MODELS_DIR.glob("*/model.safetensors"))
    assert len(weights) == 12  # three cells of text, sentiment, forecasting and its oracle-temperature track
    for path in weights:
        assert not path.read_bytes()[:100].startswith(b"version https://git-lfs"), path
        with safe_open(str(path), "pt") as tensors:
            assert len(list(tensors.keys())) > 0


def test_the_space_holds_the_app_and_the_package_not_the_weights_or_the_tests():
    names = set(space_files())
    assert {"app.py", "requirements.txt", "pyproject.toml", "README.md", ".gitattributes", "rnn_demo/__init__.py",
            "rnn_demo/text/model.py", "docs/memory.png"} <= names
    assert not any(name.startswith(("models/", "tests/", ".ci/")) for name in names), SPACE_FILES


def test_a_dry_run_lists_every_file_and_destination_and_sends_nothing(cli, tmp_path, monkeypatch):
    """The real models and datasets, offline: nothing prepared, nothing sent."""
    with local_hub() as hub:
        hub_environment(monkeypatch, hub, tmp_path / "hf")
        result = cli("publish", "--owner", OWNER, "--dry-run")
        assert result.returncode == 0 and hub.requests == []
    lines = result.stdout.splitlines()
    for folder in sorted(MODELS_DIR.iterdir()):
        for name in ("config.json", "model.safetensors", "README.md"):
            assert f"{OWNER}/rnn-demo-{folder.name}/{name} <- {folder / name}" in lines
    assert f"spaces/{OWNER}/rnn-demo/app.py <- {ROOT / 'app.py'}" in lines
    assert not any(line.startswith(f"spaces/{OWNER}/rnn-demo/models/") for line in lines)
    for repo_id in dataset_repos(Project(OWNER)).values():
        assert any(line.startswith(f"datasets/{repo_id}: ") for line in lines)
    assert f"Space variable RNN_DEMO_SENTIMENT_REPO={OWNER}/rnn-demo-sentiment-{{cell}}" in lines
    assert "Space variable RNN_DEMO_SENTIMENT_REVISION=gru=<its commit> lstm=<its commit> rnn=<its commit>" in lines


def test_a_space_pins_one_revision_for_all_its_repositories_or_one_per_cell():
    from rnn_demo.model_sources import pinned_revisions

    assert pinned_revisions("") == {} and pinned_revisions(" v1 ") == {None: "v1"}
    assert pinned_revisions("lstm=0123abc, gru=4567def") == {"lstm": "0123abc", "gru": "4567def"}
    with pytest.raises(ValueError, match="unknown cell 'lsm': choose one of 'rnn', 'gru', 'lstm'"):
        pinned_revisions("lsm=0123abc")


def test_a_model_cards_metadata_reads_back_as_written(tmp_path):
    metrics = [{"type": "accuracy", "name": "test accuracy", "value": 0.9}, {"type": "f1", "value": 0.88}]
    write_model_card(tmp_path, title="t", summary="s", tags=["x"], datasets=["me/data"], metrics=metrics,
                     task_type="text-classification", dataset_name="data, test split", body="b", language=["en"])
    data = ModelCard.load(tmp_path / "README.md").data
    assert (data.pipeline_tag, data.language, data.datasets) == ("text-classification", ["en"], ["me/data"])
    assert [(r.task_type, r.dataset_type, r.dataset_name, r.metric_type, r.metric_value) for r in data.eval_results] == [
        ("text-classification", "me/data", "data, test split", m["type"], m["value"]) for m in metrics]
    assert card_metrics(tmp_path) == {"accuracy": 0.9, "f1": 0.88}


def test_the_bundled_cards_name_their_task_and_language():
    for folder in sorted(MODELS_DIR.glob("*-*")):
        data = ModelCard.load(folder / "README.md").data
        task = folder.name.split("-")[0]
        assert data.pipeline_tag == data.eval_results[0].task_type, folder
        assert data.language == TASKS[task].cli.dataset_card.get("language"), folder


def _tiny_dataset(task: str) -> tuple[DatasetDict, dict]:
    """Small datasets for text and sentiment; the forecasting tab reads its series from the published one, so the
    protocol's (17,520 rows, from the download cache)."""
    if task == "forecast":
        from rnn_demo.forecast.data import protocol_dataset

        return protocol_dataset(), TASKS[task].cli.dataset_card
    rows = {"text": ["To be, or not to be."] * 4} if task == "text" else {"text": ["a fine film", "dull"], "label": [1, 0]}
    return DatasetDict({split: Dataset.from_dict(rows) for split in ("train", "test")}), TASKS[task].cli.dataset_card


def _heads(hub) -> dict:
    return {key: repo.branches["main"] for key, repo in hub.storage.repos.items()}


def _publish(say=lambda line: None) -> list[str]:
    return publish(OWNER, models_dir=TINY_MODELS, tasks=task_names(), datasets=_tiny_dataset, say=say)


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """A local Hub that a publish of the tiny models and datasets was cut on after the models, then run again."""
    def cut_after_the_models(line: str) -> None:
        if "rnn-demo-text-rnn" in line:  # the last model's commit: the run is cut before the Space
            raise KeyboardInterrupt

    with local_hub() as hub, pytest.MonkeyPatch.context() as monkeypatch:
        hub_environment(monkeypatch, hub, tmp_path_factory.mktemp("hf") / "publisher")
        with pytest.raises(KeyboardInterrupt):
            _publish(cut_after_the_models)
        cut = _heads(hub)
        assert ("space", f"{OWNER}/rnn-demo") not in cut and ("model", f"{OWNER}/rnn-demo-text-rnn") in cut
        yield hub, _publish()


@pytest.mark.slow
def test_publish_makes_the_datasets_the_models_and_the_space(published, tmp_path):
    hub, repos = published
    models = len([folder for folder in TINY_MODELS.iterdir()])  # 9: the temperature track's two included
    assert len(repos) == 3 + models + 1 and {repo for _, repo in _heads(hub)} == set(repos)
    for task, repo_id in (("text", f"{OWNER}/rnn-demo-shakespeare"), ("sentiment", f"{OWNER}/rnn-demo-imdb")):
        files = hub.files(repo_id, repo_type="dataset")
        assert any(name.endswith(".parquet") for name in files)
        assert f"license: {TASKS[task].cli.dataset_card['license']}" in files["README.md"].decode()

    for task, repo_id in (("text", f"{OWNER}/rnn-demo-shakespeare"), ("sentiment", f"{OWNER}/rnn-demo-imdb")):
        data = DatasetCard(hub.files(repo_id, repo_type="dataset")["README.md"].decode()).data
        card = TASKS[task].cli.dataset_card
        assert (data.license, data.pretty_name, data.language, data.task_categories, data.size_categories) == (
            card["license"], card["pretty_name"], ["en"], card["task_categories"], ["n<1K"])
    assert DatasetCard(hub.files(f"{OWNER}/rnn-demo-imdb", repo_type="dataset")["README.md"].decode()
                       ).data.license_link == "https://ai.stanford.edu/~amaas/data/sentiment/"

    model = hub.files(f"{OWNER}/rnn-demo-text-lstm")
    assert model["model.safetensors"] == (TINY_MODELS / "text-lstm" / "model.safetensors").read_bytes()
    data = ModelCard(model["README.md"].decode()).data
    assert (data.pipeline_tag, data.language, data.datasets) == ("text-generation", ["en"],
                                                                 [f"{OWNER}/rnn-demo-shakespeare"])
    assert f'"{OWNER}/rnn-demo-text-lstm"' in model["README.md"].decode()  # the Use section's id

    space = hub.files(f"{OWNER}/rnn-demo", repo_type="space")
    assert set(space) == set(space_files())
    front = yaml.safe_load(space["README.md"].decode().split("---\n")[1])
    assert front["sdk"] == "gradio" and front["suggested_hardware"] == "cpu-upgrade"
    assert sorted(front["models"]) == sorted(f"{OWNER}/rnn-demo-{folder.name}" for folder in TINY_MODELS.iterdir())
    assert front["datasets"] == [f"{OWNER}/rnn-demo-shakespeare", f"{OWNER}/rnn-demo-imdb",
                                 f"{OWNER}/rnn-demo-elecdemand"]
    variables = hub.storage.repos["space", f"{OWNER}/rnn-demo"].variables
    kinds = sorted({folder.name.rsplit("-", 1)[0] for folder in TINY_MODELS.iterdir()})  # forecast-temperature too
    assert "forecast-temperature" in kinds
    pins = {kind: " ".join(f"{folder.name.rsplit('-', 1)[1]}={hub.head(f'{OWNER}/rnn-demo-{folder.name}')}"
                           for folder in sorted(TINY_MODELS.glob(f"{kind}-*")) if folder.name.rsplit("-", 1)[0] == kind)
            for kind in kinds}
    assert {key: value["value"] for key, value in variables.items()} == {
        **{f"RNN_DEMO_{kind.upper().replace('-', '_')}_REPO": f"{OWNER}/rnn-demo-{kind}-{{cell}}" for kind in kinds},
        **{f"RNN_DEMO_{kind.upper().replace('-', '_')}_REVISION": pins[kind] for kind in kinds},
        **{f"RNN_DEMO_{task.upper()}_DATA": repo for task, repo in dataset_repos(Project(OWNER)).items()}}


@pytest.mark.slow
def test_a_second_publish_makes_no_commit(published):
    hub, _ = published
    heads = _heads(hub)
    _publish()
    assert _heads(hub) == heads


def _answers(client: Client) -> list:
    """What every task tab answers through the API, seeded."""
    return [client.predict("ROMEO:", "gru", 80, 0.8, 0, 1.0, 7, "", api_name="/generate"),
            client.predict("A superb film, wonderfully acted.", "gru", api_name="/classify")[0],
            client.predict("gru", api_name="/backtest")]


@pytest.mark.slow
def test_the_space_downloaded_from_the_hub_starts_on_the_published_models(published, client, tmp_path):
    """The Space's repository in an empty folder (no models/), launched as the Hub runs it: its variables in the
    environment, the Hub the local server. Every task tab answers as the checkout's app (conftest's `client`) on
    the same models."""
    from huggingface_hub import snapshot_download

    hub, _ = published
    space = Path(snapshot_download(f"{OWNER}/rnn-demo", repo_type="space", local_dir=tmp_path / "space"))
    assert (space / "app.py").is_file() and not (space / "models").exists()
    variables = {key: value["value"] for key, value in hub.storage.repos["space", f"{OWNER}/rnn-demo"].variables.items()}
    asked = len(hub.requests)
    with launched_app(env={**hub_env(hub, tmp_path / "hf"), **variables}, app_dir=space) as url:
        page = urllib.request.urlopen(url + "config", timeout=10).read().decode()
        for folder in TINY_MODELS.iterdir():  # every published model, at the commit the variables pin
            kind, cell = folder.name.rsplit("-", 1)  # a task, or a task's variant (forecast-temperature)
            repo_id = f"{OWNER}/rnn-demo-{folder.name}"
            assert f"{kind}: the {cell} model is {repo_id}, commit {hub.head(repo_id)[:10]}." in page
        from_the_hub = _answers(Client(url, verbose=False))
        # the forecasting tab's series came from the published dataset (read as the app starts), not from the wheel
        assert any("rnn-demo-elecdemand" in path for _, path in hub.requests[asked:]), hub.requests[asked:]
    assert _answers(client) == from_the_hub
