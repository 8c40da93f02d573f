"""The tiny models the tests run on (text: every cell; sentiment and forecast: two), committed under
tests/fixtures/tiny-models in the layout of models/. They are made by the real `train` command, run in this process
on a small play, a small review file and the protocol's demand series; tests/test_tiny_models.py trains them again
and checks that the command reproduces the committed files. After a change to what `train` writes:

    python -m tests.tiny_models    # writes tests/fixtures/tiny-models anew
"""
from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import torch

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "tiny-models"
TINY_TEXT = """ROMEO:
But soft, what light through yonder window breaks?
It is the east, and Juliet is the sun.

JULIET:
O Romeo, Romeo! wherefore art thou Romeo?
Deny thy father and refuse thy name.
"""
VOLATILE = ("seconds",)  # what a training record holds that no two runs share

TEXT = ["--hidden-size", "16", "--layers", "2", "--embedding-dim", "8", "--max-steps", "12", "--eval-every", "6",
        "--batch-size", "4", "--seq-len", "32"]
SENTIMENT = ["--text-column", "review", "--label-column", "sentiment", "--hidden-size", "16", "--embedding-dim", "8",
             "--vocab-size", "300", "--batch-size", "8", "--lr", "0.01", "--max-steps", "40", "--eval-every", "20"]
FORECAST = ["--hidden-size", "8", "--max-steps", "20", "--eval-every", "10"]  # on the protocol series, as users train
TRAININGS: dict[str, list[str]] = {
    **{f"text-{cell}": ["text", "--cell", cell, "--data", "plays.txt", *TEXT] for cell in ("lstm", "gru", "rnn")},
    **{f"sentiment-{cell}": ["sentiment", "--cell", cell, "--data", "reviews.csv", *SENTIMENT]
       for cell in ("gru", "lstm")},
    **{f"forecast-{cell}": ["forecast", "--cell", cell, *FORECAST] for cell in ("gru", "lstm")},
}


def tiny_reviews_csv(path: Path) -> Path:
    """A small review file in the IMDB file's columns: clearly positive and clearly negative lines."""
    words = {"positive": ["superb", "moving", "wonderful", "great"], "negative": ["dull", "boring", "awful", "waste"]}
    rows = [f"A {words[label][i % 4]} and {words[label][(i + 1) % 4]} film number {i}.,{label}"
            for i in range(80) for label in words]
    path.write_text("review,sentiment\n" + "\n".join(rows) + "\n")
    return path


@contextmanager
def _inside(folder: Path) -> Iterator[None]:
    """Work in `folder` (the commands get relative paths, so the records name no temporary folder) with torch's
    thread count put back afterwards (`--threads` changes it for the process)."""
    before, threads = Path.cwd(), torch.get_num_threads()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)
        torch.set_num_threads(threads)


def train_tiny_models(out: Path, names: list[str] | None = None) -> Path:
    """Train the tiny models (all, or `names`) with `train`'s own code into `out`/<name>; returns `out`."""
    from rnn_demo.__main__ import main

    out = Path(out).resolve()
    with tempfile.TemporaryDirectory() as work, _inside(Path(work)):
        (Path(work) / "plays.txt").write_text(TINY_TEXT * 40)
        tiny_reviews_csv(Path(work) / "reviews.csv")
        for name in names or list(TRAININGS):
            code = main(["train", *TRAININGS[name], "--threads", "1", "--out", name, "--run-dir", f"runs/{name}"])
            assert code == 0, f"train {name} failed"
            shutil.copytree(name, out / name, dirs_exist_ok=True)
    return out


if __name__ == "__main__":
    shutil.rmtree(FIXTURES, ignore_errors=True)
    train_tiny_models(FIXTURES)
    print(f"wrote {', '.join(TRAININGS)} to {FIXTURES}")
