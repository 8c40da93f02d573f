"""Shared fixtures: tiny seeded models and a folder of tiny bundled-style models."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

from rnn_demo.text.model import UNKNOWN, CharLM, CharLMConfig

ROOT = Path(__file__).resolve().parent.parent
TINY_TEXT = """ROMEO:
But soft, what light through yonder window breaks?
It is the east, and Juliet is the sun.

JULIET:
O Romeo, Romeo! wherefore art thou Romeo?
Deny thy father and refuse thy name.
"""


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
    """Tiny models (text: every cell; sentiment and forecast: two), trained by the real `train` command, laid out like models/."""
    directory = tmp_path_factory.mktemp("models")
    runs = tmp_path_factory.mktemp("runs")
    for cell in ("lstm", "gru", "rnn"):
        result = run_cli("train", "text", "--cell", cell, "--data", str(tiny_corpus), "--hidden-size", "16",
                         "--layers", "2", "--embedding-dim", "8", "--max-steps", "12", "--eval-every", "6",
                         "--batch-size", "4", "--seq-len", "32", "--threads", "1",
                         "--out", str(directory / f"text-{cell}"), "--run-dir", str(runs / cell))
        assert result.returncode == 0, result.stderr[-2000:]
    reviews = tiny_reviews_csv(tmp_path_factory.mktemp("reviews") / "reviews.csv")
    for cell in ("gru", "lstm"):
        result = run_cli("train", "sentiment", "--cell", cell, "--data", str(reviews), "--text-column", "review",
                         "--label-column", "sentiment", "--hidden-size", "16",
                         "--embedding-dim", "8", "--vocab-size", "300", "--batch-size", "8", "--lr", "0.01",
                         "--max-steps", "40", "--eval-every", "20", "--threads", "1",
                         "--out", str(directory / f"sentiment-{cell}"), "--run-dir", str(runs / f"sentiment-{cell}"))
        assert result.returncode == 0, result.stderr[-2000:]
    for cell in ("gru", "lstm"):  # on the protocol series, as users train
        result = run_cli("train", "forecast", "--cell", cell, "--hidden-size", "8", "--max-steps", "20",
                         "--eval-every", "10", "--threads", "1", "--out", str(directory / f"forecast-{cell}"),
                         "--run-dir", str(runs / f"forecast-{cell}"))
        assert result.returncode == 0, result.stderr[-2000:]
    return directory


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

    with launched_app(tiny_models_dir) as url:
        yield Client(url, verbose=False)
