"""Shared fixtures: tiny seeded models and a folder of tiny bundled-style models."""
from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import torch
from filelock import FileLock

from rnn_demo.text.model import UNKNOWN, CharLM, CharLMConfig

ROOT = Path(__file__).resolve().parent.parent
TINY_TEXT = """ROMEO:
But soft, what light through yonder window breaks?
It is the east, and Juliet is the sun.

JULIET:
O Romeo, Romeo! wherefore art thou Romeo?
Deny thy father and refuse thy name.
"""


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist each worker computes with its share of the cores: two workers at 2 threads each on a
    2-core machine would make both wait on each other's spinning threads."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers > 1:
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // workers))


MAX_WORKERS = 4  # `-n auto` on a large machine: each worker launches its own apps and browsers
# The longest modules (measured: `--durations`), started first so that none is left running alone at the end
FIRST = ("test_quality_text.py", "test_cli.py", "test_quality.py", "test_hub_roundtrip.py", "test_app_hub.py",
         "test_train_tab.py", "test_parallel.py", "test_lab.py", "test_lab_browser.py", "test_forecast_adapt.py",
         "test_train_browser.py", "test_app.py", "test_package.py")


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    return max(1, min(MAX_WORKERS, os.cpu_count() or 1))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The longest modules first: pytest-xdist hands out whole modules (`--dist loadscope`) in this order, so the
    longest do not start last and leave one worker running alone at the end."""
    items.sort(key=lambda item: FIRST.index(item.path.name) if item.path.name in FIRST else len(FIRST))


def tiny_model(cell: str = "lstm", layers: int = 2, seed: int = 0, hidden_size: int = 16) -> CharLM:
    torch.manual_seed(seed)
    vocab = [UNKNOWN, *sorted(set(TINY_TEXT))]
    config = CharLMConfig(vocab=vocab, cell=cell, embedding_dim=8, hidden_size=hidden_size, num_layers=layers,
                          dropout=0.0)
    return CharLM(config).eval()


def run_cli(*args: str, cwd: Path = ROOT, env: dict | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rnn_demo", *args], cwd=cwd, capture_output=True, text=True,
                          env=env, timeout=timeout)


@pytest.fixture(scope="session")
def tiny_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small local text file, read through datasets' "text" builder like any user file."""
    path = tmp_path_factory.mktemp("corpus") / "plays.txt"
    path.write_text(TINY_TEXT * 40)
    return path


@pytest.fixture(scope="session")
def tiny_models_dir(tmp_path_factory: pytest.TempPathFactory, tiny_corpus: Path) -> Path:
    """Tiny models (text: every cell; sentiment and forecast: two), trained by the real `train` command, laid out like
    models/: each training a 1-thread process, two at a time; under pytest-xdist the first worker trains them and the
    others wait for its folder (a lock in the run's shared temporary folder)."""
    shared = tmp_path_factory.getbasetemp().parent if os.environ.get("PYTEST_XDIST_WORKER") else \
        tmp_path_factory.getbasetemp()
    directory = shared / "tiny-models"
    with FileLock(str(shared / "tiny-models.lock")):
        if not (directory / "done").is_file():
            _train_tiny_models(directory, shared / "tiny-runs", tiny_corpus)
            (directory / "done").write_text("")
    return directory


def _train_tiny_models(directory: Path, runs: Path, corpus: Path) -> None:
    runs.mkdir(parents=True, exist_ok=True)
    reviews = tiny_reviews_csv(runs / "reviews.csv")
    trainings = {f"text-{cell}": ["text", "--cell", cell, "--data", str(corpus), "--hidden-size", "16",
                                  "--layers", "2", "--embedding-dim", "8", "--max-steps", "12", "--eval-every", "6",
                                  "--batch-size", "4", "--seq-len", "32"] for cell in ("lstm", "gru", "rnn")}
    for cell in ("gru", "lstm"):
        trainings[f"sentiment-{cell}"] = ["sentiment", "--cell", cell, "--data", str(reviews), "--text-column", "review",
                                          "--label-column", "sentiment", "--hidden-size", "16", "--embedding-dim", "8",
                                          "--vocab-size", "300", "--batch-size", "8", "--lr", "0.01",
                                          "--max-steps", "40", "--eval-every", "20"]
        # on the protocol series, as users train
        trainings[f"forecast-{cell}"] = ["forecast", "--cell", cell, "--hidden-size", "8", "--max-steps", "20",
                                         "--eval-every", "10"]

    def train(name: str) -> subprocess.CompletedProcess:
        return run_cli("train", *trainings[name], "--threads", "1", "--out", str(directory / name),
                       "--run-dir", str(runs / name))

    with ThreadPoolExecutor(max_workers=2) as pool:
        for name, result in zip(trainings, pool.map(train, trainings)):
            assert result.returncode == 0, f"{name}: {result.stderr[-2000:]}"


def tiny_reviews_csv(path: Path) -> Path:
    """A small review file in the IMDB file's columns: clearly positive and clearly negative lines."""
    words = {"positive": ["superb", "moving", "wonderful", "great"], "negative": ["dull", "boring", "awful", "waste"]}
    rows = [f"A {words[label][i % 4]} and {words[label][(i + 1) % 4]} film number {i}.,{label}"
            for i in range(80) for label in words]
    path.write_text("review,sentiment\n" + "\n".join(rows) + "\n")
    return path


@pytest.fixture(scope="session")
def client(tiny_models_dir: Path):
    """A gradio_client Client of app.py launched on the tiny models (one server for the whole session)."""
    from gradio_client import Client

    from tests.appserver import launched_app

    with launched_app(tiny_models_dir, env={"RNN_DEMO_TRUSTED_PROXIES": "1"}) as url:  # as on a Space (clients.py)
        yield Client(url, verbose=False)
