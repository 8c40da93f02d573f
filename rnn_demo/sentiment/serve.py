"""The sentiment tab's plain functions: bundled classifiers, one review explained, a CSV classified.

`ui/sentiment_tab.py` wires these to widgets; tests call them directly.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from tokenizers import Tokenizer

from ..backbone import CELL_LABELS
from ..display import md_text, visible
from ..devices import pick_device, runs_on
from ..hub import card_metrics, load_model
from ..result_files import ResultFiles
from ..shelf import ModelShelf
from .batch import NOTE_COLUMN, classify_table
from .review_table import MAX_ROWS, read_review_table
from .infer import Verdict, explain_review
from .model import VISITOR_LIMITS, ReviewClassifier
from .tokenizer import load_tokenizer


def load_classifier(directory: Path) -> tuple[ReviewClassifier, Tokenizer]:
    """The classifier in `directory` and its tokenizer, on the device this process serves from."""
    return load_model(ReviewClassifier, directory, pick_device()), load_tokenizer(directory)


# The bundled classifiers, loaded once and shared by every user, and the visitors' Hub classifiers:
# SHELF.for_cell(cell, loaded) gives (classifier, tokenizer)
SHELF = ModelShelf("sentiment", load_classifier, VISITOR_LIMITS)
VISITORS = SHELF.visitors
model_dir = SHELF.model_dir  # model_dir(cell): bundled, or a Hub repo the Space names
bundled_cells = SHELF.cells  # bundled_cells(): the cells with a model


def model_summary(cell: str) -> str:
    """One line of Markdown: the chosen bundled classifier and its card's test accuracy."""
    model, _ = SHELF.bundled(cell)
    config, metrics = model.config, card_metrics(model_dir(cell))
    parameters = model.num_parameters()
    direction = "bidirectional " if config.bidirectional else ""
    accuracy = (f"{metrics['accuracy']:.1%} accuracy on the IMDB test reviews" if "accuracy" in metrics
                else "test accuracy not measured yet")
    return (f"**{CELL_LABELS[cell]}**: {direction}{config.num_layers} x {config.hidden_size} units, "
            f"{parameters / 1e6:.1f}M parameters; {accuracy}. {runs_on(model)}")


def analyse(text: str, cell: str, loaded: tuple[str, str] | None = None) -> Verdict:
    """The review classified and explained; its pieces as shown, control characters made visible."""
    model, tokenizer = SHELF.for_cell(cell, loaded)
    verdict = explain_review(model, tokenizer, text)
    verdict.spans = [(visible(piece), score) for piece, score in verdict.spans]
    return verdict


RESULTS = ResultFiles()
# UTF-8 with a byte-order mark: Excel reads a CSV without one in the locale's code page (a "é" became "Ã©")
RESULT_ENCODING = "utf-8-sig"


def result_file(upload: str | Path, results: ResultFiles = RESULTS) -> Path:
    """A fresh path named after the upload (reviews.csv -> reviews-classified.csv), in a folder of its own."""
    stem = re.sub(r"[^\w.-]+", "_", Path(upload).stem).strip("._-")[:100] or "reviews"
    return results.new_folder() / f"{stem}-classified.csv"


def classify_upload(path: str, column: str | None, cell: str,
                    on_progress: Callable[[int, int], None] | None = None,
                    loaded: tuple[str, str] | None = None) -> tuple[str, str]:
    """Classify an uploaded CSV file: (path of the result CSV, named after the upload; a Markdown summary)."""
    model, tokenizer = SHELF.for_cell(cell, loaded)
    table = read_review_table(path, (column or "").strip() or None)
    result = result_file(path)
    with open(result, "w", encoding=RESULT_ENCODING, newline="") as out:
        done = classify_table(model, tokenizer, table, out, on_progress)
    column = md_text(table.header[table.column].strip())
    summary = [f"Classified {table.rows - done.empty - done.unreached:,} reviews from column **{column}** (at most "
               f"{MAX_ROWS:,} rows per file)."]
    if done.empty:
        summary.append(f"{done.empty:,} empty rows kept, with no prediction.")
    if done.noted:
        some = "1 prediction comes" if done.noted == 1 else f"{done.noted:,} predictions come"
        summary.append(f"{some} with a note in the column {NOTE_COLUMN}: a review cut, or words the model does not "
                       "know (what the single-review box says of them).")
    if done.guarded:
        summary.append(f"{done.guarded:,} text(s) starting like a spreadsheet formula (=, +, -, @) have a ' in front "
                       "in the result, so that a spreadsheet shows them as text and runs nothing.")
    if done.unreached:
        summary.append(f"The last {done.unreached:,} rows are kept without a prediction: a file is classified for "
                       f"at most {done.seconds:.0f} s, and this model ({model.num_parameters():,} parameters) took "
                       "that long; classify them in a file of their own.")
    return str(result), " ".join(summary + table.notes)
