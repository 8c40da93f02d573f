"""The sentiment tab's plain functions: bundled classifiers, one review explained, a CSV classified.

`app.py` wires these to widgets; tests call them directly.
"""
from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from functools import lru_cache, partial
from pathlib import Path

from tokenizers import Tokenizer

from ..backbone import CELL_LABELS
from ..display import visible
from ..hub import card_metrics, load_model, pick_device
from .. import model_sources
from .batch import MAX_ROWS, classify_table, read_review_table
from .infer import Verdict, explain_review
from .model import ReviewClassifier
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


VISITORS = VisitorModels("sentiment", _build)  # classifiers loaded from the Hub by visitors, shared


def classifier_for(cell: str, loaded: tuple[str, str] | None = None) -> tuple[ReviewClassifier, Tokenizer]:
    """The visitor's Hub classifier (repo id, commit) if they loaded one, else the bundled one of `cell`."""
    return VISITORS.get(*loaded) if loaded else bundled_classifier(cell)


def model_summary(cell: str) -> str:
    """One line of Markdown: the chosen bundled classifier and its card's test accuracy."""
    model, _ = bundled_classifier(cell)
    config, metrics = model.config, card_metrics(model_dir(cell))
    parameters = sum(p.numel() for p in model.parameters())
    direction = "bidirectional " if config.bidirectional else ""
    accuracy = (f"{metrics['accuracy']:.1%} accuracy on the IMDB test reviews" if "accuracy" in metrics
                else "test accuracy not measured yet")
    return (f"**{CELL_LABELS[cell]}**: {direction}{config.num_layers} x {config.hidden_size} units, "
            f"{parameters / 1e6:.1f}M parameters; {accuracy}.")


def analyse(text: str, cell: str, loaded: tuple[str, str] | None = None) -> Verdict:
    """The review classified and explained; its pieces as shown, control characters made visible."""
    model, tokenizer = classifier_for(cell, loaded)
    verdict = explain_review(model, tokenizer, text)
    verdict.spans = [(visible(piece), score) for piece, score in verdict.spans]
    return verdict


RESULTS = Path(tempfile.gettempdir()) / "rnn-demo-results"
KEEP_RESULTS_SECONDS = 3600  # gradio serves its own copy; ours only has to outlive the request


def _results_dir() -> Path:
    """The folder for classified files, cleared of those older than KEEP_RESULTS_SECONDS."""
    RESULTS.mkdir(exist_ok=True)
    for old in RESULTS.glob("*-classified.csv"):
        try:
            if time.time() - old.stat().st_mtime > KEEP_RESULTS_SECONDS:
                old.unlink()
        except FileNotFoundError:  # another request removed it first
            pass
    return RESULTS


def classify_upload(path: str, column: str | None, cell: str,
                    on_progress: Callable[[int, int], None] | None = None,
                    loaded: tuple[str, str] | None = None) -> tuple[str, str]:
    """Classify an uploaded CSV file: (path of the result CSV, a Markdown summary)."""
    model, tokenizer = classifier_for(cell, loaded)
    table = read_review_table(Path(path).read_bytes(), (column or "").strip() or None)
    result = classify_table(model, tokenizer, table, on_progress)
    out = tempfile.NamedTemporaryFile("w", suffix="-classified.csv", dir=_results_dir(), delete=False,
                                      encoding="utf-8", newline="")
    with out:
        out.write(result)
    empty = sum(1 for row in table.rows if not row[table.column].strip())
    summary = [f"Classified {len(table.rows) - empty:,} reviews from column `{table.header[table.column]}`"
               f" (at most {MAX_ROWS:,} rows per file)."]
    if empty:
        summary.append(f"{empty:,} empty rows kept, with no prediction.")
    return out.name, " ".join(summary + table.notes)
