"""The sentiment tab's plain functions: bundled classifiers, one review explained, a CSV classified.

`ui/sentiment_tab.py` wires these to widgets; tests call them directly.
"""
from __future__ import annotations

import atexit
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from functools import lru_cache, partial
from pathlib import Path

from tokenizers import Tokenizer

from ..backbone import CELL_LABELS
from ..display import md_text, visible
from ..devices import pick_device, runs_on
from ..hub import card_metrics, load_model
from .. import model_sources
from .batch import MAX_ROWS, classify_table, read_review_table
from .infer import Verdict, explain_review
from .model import VISITOR_LIMITS, ReviewClassifier
from .tokenizer import load_tokenizer
from ..visitor_hub import VisitorModels


model_dir = partial(model_sources.model_dir, "sentiment")  # model_dir(cell): bundled, or a Hub repo the Space names
bundled_cells = partial(model_sources.available_cells, "sentiment")  # bundled_cells(): the cells with a model


@lru_cache(maxsize=None)
def bundled_classifier(cell: str) -> tuple[ReviewClassifier, Tokenizer]:
    """The bundled classifier of `cell` and its tokenizer, loaded once and shared by every user."""
    if cell not in bundled_cells():
        raise ValueError(f"no bundled sentiment model for {cell!r}: choose one of {', '.join(bundled_cells())}")
    return load_model(ReviewClassifier, model_dir(cell), pick_device()), load_tokenizer(model_dir(cell))



def _build(directory: Path) -> tuple[ReviewClassifier, Tokenizer]:
    return load_model(ReviewClassifier, directory, pick_device()), load_tokenizer(directory)


VISITORS = VisitorModels(VISITOR_LIMITS, _build)  # classifiers loaded from the Hub by visitors, shared


def classifier_for(cell: str, loaded: tuple[str, str] | None = None) -> tuple[ReviewClassifier, Tokenizer]:
    """The visitor's Hub classifier (repo id, commit) if they loaded one, else the bundled one of `cell`."""
    return VISITORS.get(*loaded) if loaded else bundled_classifier(cell)


def model_summary(cell: str) -> str:
    """One line of Markdown: the chosen bundled classifier and its card's test accuracy."""
    model, _ = bundled_classifier(cell)
    config, metrics = model.config, card_metrics(model_dir(cell))
    parameters = model.num_parameters()
    direction = "bidirectional " if config.bidirectional else ""
    accuracy = (f"{metrics['accuracy']:.1%} accuracy on the IMDB test reviews" if "accuracy" in metrics
                else "test accuracy not measured yet")
    return (f"**{CELL_LABELS[cell]}**: {direction}{config.num_layers} x {config.hidden_size} units, "
            f"{parameters / 1e6:.1f}M parameters; {accuracy}. {runs_on(model)}")


def analyse(text: str, cell: str, loaded: tuple[str, str] | None = None) -> Verdict:
    """The review classified and explained; its pieces as shown, control characters made visible."""
    model, tokenizer = classifier_for(cell, loaded)
    verdict = explain_review(model, tokenizer, text)
    verdict.spans = [(visible(piece), score) for piece, score in verdict.spans]
    return verdict


class ResultFiles:
    """Classified files (users' review text) in a folder of this app's own: made on first use, pruned of files older
    than `keep_seconds` every `every` seconds by a daemon thread whatever the traffic, and removed at exit. gradio
    serves its own copy of a result, so ours only has to outlive the request. A folder left by an app that was
    killed (SIGTERM skips `atexit`) is removed when the next app makes its own."""

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
                atexit.register(shutil.rmtree, self._folder, ignore_errors=True)
                threading.Thread(target=self._prune_forever, name="rnn-demo-results", daemon=True).start()
            return self._folder

    def new_file(self, upload: str | Path) -> Path:
        """A fresh path named after the upload (reviews.csv -> reviews-classified.csv), in a folder of its own."""
        stem = re.sub(r"[^\w.-]+", "_", Path(upload).stem).strip("._-")[:100] or "reviews"
        return Path(tempfile.mkdtemp(dir=self.folder)) / f"{stem}-classified.csv"

    def prune(self) -> None:
        """Remove the results older than keep_seconds."""
        for request in self.folder.iterdir():
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
        """Remove the results folders of apps that no longer run (their pid is in the folder's name)."""
        for folder in Path(tempfile.gettempdir()).glob(f"{self.PREFIX}*-*"):
            try:
                os.kill(int(folder.name[len(self.PREFIX):].split("-")[0]), 0)
            except ProcessLookupError:
                shutil.rmtree(folder, ignore_errors=True)
            except (ValueError, PermissionError):  # not one of ours, or another user's running app
                pass


RESULTS = ResultFiles()


def classify_upload(path: str, column: str | None, cell: str,
                    on_progress: Callable[[int, int], None] | None = None,
                    loaded: tuple[str, str] | None = None) -> tuple[str, str]:
    """Classify an uploaded CSV file: (path of the result CSV, named after the upload; a Markdown summary)."""
    model, tokenizer = classifier_for(cell, loaded)
    table = read_review_table(path, (column or "").strip() or None)
    result = RESULTS.new_file(path)
    with open(result, "w", encoding="utf-8", newline="") as out:
        empty = classify_table(model, tokenizer, table, out, on_progress)
    summary = [f"Classified {table.rows - empty:,} reviews from column **{md_text(table.header[table.column])}**"
               f" (at most {MAX_ROWS:,} rows per file)."]
    if empty:
        summary.append(f"{empty:,} empty rows kept, with no prediction.")
    return str(result), " ".join(summary + table.notes)
