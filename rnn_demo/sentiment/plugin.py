"""The sentiment task's plug-in (plugin.py's contract): a classifier of movie reviews that shows its reasons."""
from __future__ import annotations

from ..plugin import Tab, TaskPlugin, TinyModel
from .cli import SentimentCLI
from .data import DATASET
from .model import VISITOR_LIMITS
from .use import USE
from .visitor import VISITOR


def tiny_reviews() -> str:
    """A small review file in the IMDB file's columns: clearly positive and clearly negative lines."""
    words = {"positive": ["superb", "moving", "wonderful", "great"], "negative": ["dull", "boring", "awful", "waste"]}
    rows = [f"A {words[label][i % 4]} and {words[label][(i + 1) % 4]} film number {i}.,{label}"
            for i in range(80) for label in words]
    return "review,sentiment\n" + "\n".join(rows) + "\n"


REVIEW = " ".join(["A beautiful, moving film; the performances are superb, though the middle drags."] * 25)[:1800]

PLUGIN = TaskPlugin(
    "sentiment", SentimentCLI(), Tab("Sentiment", "rnn_demo.sentiment.tab"), metric="accuracy", higher_is_better=True,
    limits=VISITOR_LIMITS, default_model="sentiment-gru", dataset=DATASET, use=USE,
    served="rnn_demo.sentiment.serve:VISITORS", visitor=VISITOR,
    tiny=TinyModel(("gru", "lstm"), ("--data", "reviews.csv", "--text-column", "review", "--label-column", "sentiment",
                                     "--hidden-size", "16", "--embedding-dim", "8", "--vocab-size", "300",
                                     "--batch-size", "8", "--lr", "0.01", "--max-steps", "40", "--eval-every", "20"),
                   {"reviews.csv": tiny_reviews()}),
    load_call=("/classify", (REVIEW, "gru")))
