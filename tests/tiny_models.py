"""The tiny models the tests run on, committed under tests/fixtures/tiny-models in the layout of models/: each task's
plug-in says which cells and how (`TinyModel`: today text in every cell on a small play, sentiment in two on a small
review file, forecasting in two on the protocol's demand series). They are made by the real `train` command, run in
this process; tests/test_tiny_models.py trains them again and checks that the command reproduces the committed files. After a change to what `train` writes:

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
VOLATILE = ("seconds",)  # what a training record holds that no two runs share


def trainings() -> dict[str, list[str]]:
    """`train`'s arguments for each tiny model (folder name -> arguments): every registered task's plug-in says how
    its tiny models are trained (`TinyModel`)."""
    from rnn_demo.tasks import TASKS

    return {f"{name}-{variant}{cell}": [name, "--cell", cell, *spec.tiny.args, *extra]
            for name, spec in TASKS.items() if spec.tiny
            for variant, extra in [("", ()), *((f"{v}-", more) for v, more in spec.tiny.variants.items())]
            for cell in spec.tiny.cells}


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
        from rnn_demo.tasks import TASKS

        for spec in TASKS.values():
            for file_name, text in (spec.tiny.files if spec.tiny else {}).items():
                (Path(work) / file_name).write_text(text)
        commands = trainings()
        for name in names or list(commands):
            code = main(["train", *commands[name], "--threads", "1", "--out", name, "--run-dir", f"runs/{name}"])
            assert code == 0, f"train {name} failed"
            shutil.copytree(name, out / name, dirs_exist_ok=True)
    return out


if __name__ == "__main__":
    shutil.rmtree(FIXTURES, ignore_errors=True)
    train_tiny_models(FIXTURES)
    print(f"wrote {', '.join(trainings())} to {FIXTURES}")
