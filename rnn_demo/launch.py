"""Launch app.py as users meet it: a real server process on 127.0.0.1 with a free port (tests and `bench load`)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
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


def start_app(models_dir: Path | None = None, timeout: float = 90, env: dict | None = None, preamble: str = "",
              app_dir: Path = ROOT) -> tuple[subprocess.Popen, str]:
    """Start `python app.py` in `app_dir` (on `models_dir` if given; with `env` added, e.g. a local Hub's; after the
    Python code `preamble`, if given) and wait until it answers; return the process and its URL. Without `env` the
    app runs offline."""
    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port),
           "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1", **(env or {})}
    if models_dir is not None:
        env["RNN_DEMO_MODELS"] = str(models_dir)
    log = tempfile.TemporaryFile("w+")  # a file, not a pipe: a long run cannot block the app on a full pipe
    command = ["-c", f"{preamble}\nimport runpy\nrunpy.run_path('app.py', run_name='__main__')"] if preamble else \
        ["app.py"]
    process = subprocess.Popen([sys.executable, *command], cwd=app_dir, env=env, stdout=log, stderr=subprocess.STDOUT,
                               text=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"app.py exited: {log.read()[-3000:]}")
        try:
            urllib.request.urlopen(url + "config", timeout=2)
            return process, url
        except OSError:
            if time.monotonic() > deadline:
                stop_app(process)
                raise TimeoutError(f"app.py did not answer on {url} within {timeout} s") from None
            time.sleep(0.5)


def stop_app(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@contextmanager
def launched_app(models_dir: Path | None = None, timeout: float = 90, env: dict | None = None, preamble: str = "",
                 app_dir: Path = ROOT) -> Iterator[str]:
    """`start_app` for the duration of the block; yields the URL."""
    process, url = start_app(models_dir, timeout, env, preamble, app_dir)
    try:
        yield url
    finally:
        stop_app(process)
