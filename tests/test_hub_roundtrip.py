"""Push and pull every task's model through the real huggingface_hub client against a local Hub server."""
import os
import shutil
from functools import partial

import pytest
import torch

from rnn_demo.forecast.model import Forecaster
from rnn_demo.hub import load_model
from rnn_demo.project import model_repo
from rnn_demo.tasks import TASKS, dataset_repos
from rnn_demo.usage import refresh_card
from rnn_demo.sentiment.model import ReviewClassifier
from rnn_demo.text.model import CharLM
from tests.conftest import run_cli
from tests.hubserver import hub_env, hub_environment, local_hub

pytestmark = pytest.mark.slow  # a local Hub server per test, and the protocol data

MODELS = {"text": ("text-gru", CharLM), "sentiment": ("sentiment-gru", ReviewClassifier),
          "forecast": ("forecast-gru", Forecaster)}


@pytest.fixture
def hub(tmp_path, monkeypatch):
    """A local Hub server, this process pointed at it, and `hub.env` for a new process."""
    with local_hub() as hub:
        hub.env = {**os.environ, **hub_env(hub, tmp_path / "hf")}
        hub_environment(monkeypatch, hub, tmp_path / "hf")
        yield hub


@pytest.fixture
def run(hub, cli, monkeypatch):
    """A command against the local Hub, run in this process (conftest's `cli`), with `token` as HF_TOKEN if given."""
    def command(*args: str, token: str | None = None):
        with monkeypatch.context() as patch:
            if token is not None:
                patch.setenv("HF_TOKEN", token)
            return cli(*args)
    return command


def _in_a_new_process(hub, *args: str):
    """A command against the local Hub as users run it (the text model's round trip, the smoke test of the Hub
    commands)."""
    return run_cli(*args, env=hub.env, timeout=120)


def _files(directory):
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in directory.rglob("*") if p.is_file()}


def _same_outputs(task, cls, first, second):
    a, b = load_model(cls, first, "cpu"), load_model(cls, second, "cpu")
    torch.manual_seed(0)
    if task == "forecast":
        x = torch.randn(2, a.config.window + a.config.horizon, len(a.config.features))
    else:
        x = torch.randint(1, 5, (2, 12))
    with torch.inference_mode():
        assert torch.equal(a(x)[0], b(x)[0])


@pytest.mark.parametrize("task", list(MODELS))
def test_push_then_pull_gives_identical_files_and_outputs(hub, run, tmp_path, tiny_models_dir, task):
    name, cls = MODELS[task]
    if task == "text":
        run = partial(_in_a_new_process, hub)
    pushed = run("push", task, "--model", str(tiny_models_dir / name), "--repo-id", f"user/{name}")
    assert pushed.returncode == 0, pushed.stderr[-2000:]
    assert f"{hub.endpoint}/user/{name}/commit/" in pushed.stdout
    pulled = run("pull", f"user/{name}", "--out", str(tmp_path / "pulled"))
    assert pulled.returncode == 0, pulled.stderr[-2000:]
    original = _files(tiny_models_dir / name)
    assert _files(tmp_path / "pulled") == original
    assert hub.token not in pushed.stdout + pushed.stderr + pulled.stdout + pulled.stderr
    assert not any(hub.token.encode() in data for data in hub.files(f"user/{name}").values())  # cards included
    _same_outputs(task, cls, tiny_models_dir / name, tmp_path / "pulled")
    in_cache = run("pull", f"user/{name}")  # no --out: into the Hub cache, whose path is printed
    assert in_cache.returncode == 0 and _files(type(tmp_path)(in_cache.stdout.strip())) == original


def test_pull_an_older_revision_after_a_second_push(run, hub, tmp_path, tiny_models_dir):
    first_dir, second_dir = tiny_models_dir / "text-gru", tiny_models_dir / "text-lstm"
    assert run("push", "text", "--model", str(first_dir), "--repo-id", "user/lm").returncode == 0
    first_sha = hub.head("user/lm")
    assert run("push", "text", "--model", str(second_dir), "--repo-id", "user/lm").returncode == 0
    assert run("pull", "user/lm", "--revision", first_sha, "--out", str(tmp_path / "old")).returncode == 0
    assert run("pull", "user/lm", "--out", str(tmp_path / "new")).returncode == 0
    assert _files(tmp_path / "old") == _files(first_dir) and _files(tmp_path / "new") == _files(second_dir)


def test_push_to_a_branch_and_from_pretrained_with_a_revision(run, hub, tmp_path, tiny_models_dir, monkeypatch):
    directory = tiny_models_dir / "forecast-lstm"
    assert run("push", "forecast", "--model", str(directory), "--repo-id", "user/fc",
                "--revision", "experiment").returncode == 0
    hub_environment(monkeypatch, hub, tmp_path / "hf")
    model = Forecaster.from_pretrained("user/fc", revision="experiment")
    assert model.config.cell == "lstm" and model.config == load_model(Forecaster, directory, "cpu").config
    with pytest.raises(Exception, match="Revision Not Found|revision"):
        Forecaster.from_pretrained("user/fc", revision="no-such-branch")


def test_a_wrong_token_is_a_clear_error_that_never_shows_the_token(run, hub, tiny_models_dir):
    wrong = "hf_wrong_secret_value_123"
    result = run("push", "text", "--model", str(tiny_models_dir / "text-rnn"), "--repo-id", "user/x",
                  token=wrong)
    assert result.returncode == 1 and "refused the token (401" in result.stderr
    assert wrong not in result.stderr + result.stdout and "Traceback" not in result.stderr


def test_a_missing_repository_is_a_clear_error(run, hub, tmp_path):
    result = run("pull", "user/absent", "--out", str(tmp_path / "x"))
    assert result.returncode == 1 and "no repository 'user/absent'" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "x").exists()


def test_an_interrupted_pull_leaves_the_existing_copy_untouched(run, hub, tmp_path, tiny_models_dir, no_retry_waits):
    assert run("push", "text", "--model", str(tiny_models_dir / "text-gru"), "--repo-id", "user/lm").returncode == 0
    out = tmp_path / "copy"
    assert run("pull", "user/lm", "--out", str(out)).returncode == 0
    before = _files(out)
    assert run("push", "text", "--model", str(tiny_models_dir / "text-lstm"), "--repo-id", "user/lm").returncode == 0
    hub.cut_download("user/lm", "model.safetensors")  # every attempt: the client's retries fail too
    result = run("pull", "user/lm", "--out", str(out))
    assert result.returncode == 1 and "was interrupted" in result.stderr and "Traceback" not in result.stderr
    assert _files(out) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".copy")]  # no staging left behind


def test_a_pull_into_a_folder_that_holds_no_model_leaves_it_alone(run, hub, tmp_path, tiny_models_dir, monkeypatch):
    assert run("push", "text", "--model", str(tiny_models_dir / "text-gru"), "--repo-id", "user/lm").returncode == 0
    thesis = tmp_path / "thesis"
    (thesis / "data").mkdir(parents=True)
    (thesis / "thesis.tex").write_text("\\chapter{RNNs}")
    result = run("pull", "user/lm", "--out", str(thesis))
    assert result.returncode == 1 and "exists and holds no model (no config.json)" in result.stderr
    assert (thesis / "thesis.tex").read_text() == "\\chapter{RNNs}" and (thesis / "data").is_dir()
    (tmp_path / "empty").mkdir()
    assert run("pull", "user/lm", "--out", str(tmp_path / "empty")).returncode == 0  # an empty folder is filled
    (tmp_path / "here").mkdir()
    monkeypatch.chdir(tmp_path / "here")
    for out in (".", ".."):  # the whole folder would be swapped under the shell: said before anything is downloaded
        downloads = len(hub.requests)
        result = run("pull", "user/lm", "--out", out)
        assert result.returncode == 1 and "--out names the current folder or one above it" in result.stderr
        assert "name a folder in it, such as ./model" in result.stderr and len(hub.requests) == downloads
    assert list((tmp_path / "here").iterdir()) == []


def test_an_interrupted_push_leaves_the_repository_at_its_previous_commit(run, hub, tiny_models_dir, no_retry_waits):
    assert run("push", "text", "--model", str(tiny_models_dir / "text-gru"), "--repo-id", "user/lm").returncode == 0
    head = hub.head("user/lm")
    hub.break_lfs_uploads()
    result = run("push", "text", "--model", str(tiny_models_dir / "text-lstm"), "--repo-id", "user/lm")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert hub.head("user/lm") == head
    assert hub.files("user/lm")["model.safetensors"] == (tiny_models_dir / "text-gru" / "model.safetensors").read_bytes()


def test_push_refuses_a_directory_of_another_task(run, hub, tiny_models_dir):
    result = run("push", "sentiment", "--model", str(tiny_models_dir / "text-gru"), "--repo-id", "user/x")
    assert result.returncode == 1 and "holds a 'text' model, not a 'sentiment' one" in result.stderr


def test_push_without_a_repo_id_takes_a_bundled_model_to_the_repository_its_card_names(run, hub, tmp_path,
                                                                                       tiny_models_dir):
    pushed = run("push", "text", "--model", str(tiny_models_dir / "text-gru"))
    assert pushed.returncode == 0, pushed.stderr[-2000:]
    assert f"{hub.endpoint}/{model_repo('text-gru')}/commit/" in pushed.stdout
    (tmp_path / "mine").symlink_to(tiny_models_dir / "text-gru", target_is_directory=True)
    unnamed = run("push", "text", "--model", str(tmp_path / "mine"))
    assert unnamed.returncode == 1 and "name the repository with --repo-id" in unnamed.stderr


def test_a_pushed_card_sends_people_to_the_repository_it_went_to(run, hub, tmp_path, tiny_models_dir):
    """A model trained into a bundled model's folder name (the commands' default: models/text-gru), its card written,
    pushed to its owner's repository: the card there names that repository and its download folder, not the
    project's; the rest of the card, the other files and the local folder are as they were."""
    folder = tmp_path / "text-gru"
    shutil.copytree(tiny_models_dir / "text-gru", folder)
    refresh_card(folder, "text", TASKS["text"].use, TASKS["text"].dataset)
    card = (folder / "README.md").read_text(encoding="utf-8")
    assert f"from_pretrained(\"{model_repo('text-gru')}\"" in card and "## Use" in card
    pushed = run("push", "text", "--model", str(folder), "--repo-id", "user/my-lm")
    assert pushed.returncode == 0, pushed.stderr[-2000:]
    files = hub.files("user/my-lm")
    named = card.replace(model_repo("text-gru"), "user/my-lm").replace("rnn-demo-text-gru", "my-lm")
    assert named != card and files.pop("README.md").decode() == named
    assert files == {name: (folder / name).read_bytes() for name in files} and "model.safetensors" in files
    assert (folder / "README.md").read_text(encoding="utf-8") == card
    assert run("push", "text", "--model", str(folder)).returncode == 0  # to the project's repository: as it is
    assert hub.files(model_repo("text-gru"))["README.md"].decode() == card


def test_a_pushed_protocol_dataset_trains_a_model_back(run, hub, tmp_path):
    pushed = run("push-dataset", "forecast")  # to the repository the cards and the Space name
    assert pushed.returncode == 0, pushed.stderr[-2000:]
    assert pushed.stdout.strip() == f"{hub.endpoint}/datasets/{dataset_repos()['forecast']}"
    card = hub.files(dataset_repos()["forecast"], repo_type="dataset")["README.md"].decode()
    assert "license: gpl-3.0" in card and "fpp2" in card and "configs:" in card
    trained = run("train", "forecast", "--data", dataset_repos()["forecast"], "--hidden-size", "8", "--max-steps", "4",
                   "--eval-every", "2", "--threads", "1", "--out", str(tmp_path / "m"), "--run-dir", str(tmp_path / "r"))
    assert trained.returncode == 0, trained.stderr[-2000:]
    from rnn_demo.forecast.data import protocol_dataset

    train = protocol_dataset()["train"]
    assert load_model(Forecaster, tmp_path / "m", "cpu").config.train_mean == pytest.approx(
        sum(train["value"]) / len(train), rel=1e-9)
