"""Files the app makes for its users, kept in a temporary folder of its own only as long as they are needed.

A tab writes a result (a classified CSV) in a `new_folder`; gradio serves its own copy of it. Subclasses keep other
things the same way (visitor_training/serve.py: visitors' training runs).
"""
from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path


_MADE_HERE: set[Path] = set()  # the folders this process made (every ResultFiles of it)


class ResultFiles:
    """Files made for users (a CSV of their reviews classified, visitors' training runs), a folder per request, in a
    folder of this app's own: made on first use, pruned of files older than `keep_seconds` every `every` seconds by
    a daemon thread whatever the traffic, and removed at exit. gradio serves its own copy of a result, so ours only
    has to outlive the request. A folder left by an app that was killed (SIGTERM skips `atexit`) is removed when the
    next app makes its own."""

    PREFIX = "rnn-demo-results-"

    def __init__(self, keep_seconds: float = 600, every: float = 60) -> None:
        self.keep_seconds, self.every = keep_seconds, every
        self._folder: Path | None = None
        self._lock = threading.Lock()

    @property
    def folder(self) -> Path:
        with self._lock:
            if self._folder is None:
                self._remove_orphans()
                self._folder = Path(tempfile.mkdtemp(prefix=f"{self.PREFIX}{os.getpid()}-"))
                _MADE_HERE.add(self._folder)
                atexit.register(shutil.rmtree, self._folder, ignore_errors=True)
                threading.Thread(target=self._prune_forever, name="rnn-demo-results", daemon=True).start()
            return self._folder

    def new_folder(self) -> Path:
        """A fresh folder for one request's files (pruned as a whole), in this app's folder."""
        return Path(tempfile.mkdtemp(dir=self.folder))

    def prune(self) -> None:
        """Remove the results older than keep_seconds (none where the folder is gone: at exit, atexit removes it
        while this thread may still be running)."""
        try:
            requests = list(self.folder.iterdir())
        except FileNotFoundError:
            return
        for request in requests:
            try:  # a result still being written has a recent mtime
                changed = max(entry.stat().st_mtime for entry in [request, *request.iterdir()])
                if time.time() - changed > self.keep_seconds:
                    shutil.rmtree(request)
            except OSError:  # removed meanwhile, or not removable now: the next round tries again
                pass

    def _prune_forever(self) -> None:
        while True:
            time.sleep(self.every)
            self.prune()

    def _remove_orphans(self) -> None:
        """Remove the results folders of apps that no longer run (their pid is in the folder's name), and those of
        an app that ran under this process's pid before it (a container restarted keeps its files and its pid 1)."""
        for folder in Path(tempfile.gettempdir()).glob(f"{self.PREFIX}*-*"):
            try:
                pid = int(folder.name[len(self.PREFIX):].split("-")[0])
                if pid == os.getpid() and folder not in _MADE_HERE:
                    raise ProcessLookupError(pid)  # not this process's: the last one's under the same pid
                os.kill(pid, 0)
            except ProcessLookupError:
                shutil.rmtree(folder, ignore_errors=True)
            except (ValueError, PermissionError):  # not one of ours, or another user's running app
                pass
