"""Launch app.py as users meet it: a real server process on 127.0.0.1 with a free port."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def launched_app(models_dir: Path | None = None, timeout: float = 90, env: dict | None = None) -> Iterator[str]:
    """Start `python app.py` (on `models_dir` if given; with `env` added, e.g. a local Hub's) and yield its URL;
    stop it afterwards. Without `env` the app runs offline."""
    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port),
           "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1", **(env or {})}
    if models_dir is not None:
        env["RNN_DEMO_MODELS"] = str(models_dir)
    process = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"app.py exited: {process.stdout.read()[-3000:]}")
            try:
                urllib.request.urlopen(url + "config", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"app.py did not answer on {url} within {timeout} s")
                time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
