"""Launch app.py as users meet it (see rnn_demo/launch.py, which `bench load` uses too), without the rewriting of
gradio's type stubs at import (tests/quick_gradio.py)."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rnn_demo import launch
from rnn_demo.launch import ROOT, free_port
from tests.quick_gradio import PREAMBLE

__all__ = ["ROOT", "free_port", "launched_app"]


@contextmanager
def launched_app(models_dir: Path | None = None, timeout: float = 90, env: dict | None = None,
                 app_dir: Path = ROOT) -> Iterator[str]:
    """`rnn_demo.launch.launched_app` for the duration of the block (app.py in `app_dir`); yields the URL. The
    preamble is imported from this checkout's tests/ (on PYTHONPATH after the app's folder)."""
    env = {**(env or {}), "PYTHONPATH": str(ROOT)} if app_dir != ROOT else env
    with launch.launched_app(models_dir, timeout, env, preamble=PREAMBLE, app_dir=app_dir) as url:
        yield url
