"""Reviews dressed as other sites write them: does the classifier read them as it reads the review alone?

Each dressing wraps or rewrites a review the way a copy from another site comes (IMDb's page lines around it, a
link, HTML and forum markup, curly quotes, entities, line breaks written out by a JSON dump). The tokenizers'
CLEANUP (tokenizer.py) was built on red teams' rewrites of test reviews; `bench sentiment-dressed` measures it on
selection reviews, which no cleanup step was designed or checked against.
"""
from __future__ import annotations

import re
from collections.abc import Callable

from tokenizers import Tokenizer

from .infer import classify_reviews
from .model import ReviewClassifier

DRESSINGS: dict[str, Callable[[str], str]] = {
    "IMDb's classic footer": lambda t: t + "\n\n45 out of 52 found this helpful.\nWas this review helpful? Sign in "
                                           "to vote.\nPermalink",
    "IMDb's current footer": lambda t: t + "\n\nHelpful•45\n\n7\nReport",
    "a link after it": lambda t: t + "\nhttps://letterboxd.com/someone/film/the-film/",
    "in <p> and <i> tags": lambda t: "<p><i>" + t.replace("\n", "</i></p>\n<p><i>") + "</i></p>",
    "in [spoiler] markup": lambda t: f"[spoiler]{t}[/spoiler]",
    "curly quotes and apostrophes": lambda t: t.replace("'", "\u2019").replace('"', "\u201c"),
    "HTML entities (&#39; &quot; &amp;)": lambda t: (t.replace("&", "&amp;").replace("'", "&#39;")
                                                      .replace('"', "&quot;")),
    "line breaks written as \\n": lambda t: t.replace("\n", "\\n"),
}


def dressed_flips(model: ReviewClassifier, tokenizer: Tokenizer, reviews: list[str], labels: list[int]) -> dict:
    """Per dressing: how many reviews' predicted label differs from the review's alone, and the accuracy dressed;
    the accuracy of the reviews alone (their `<br />` breaks as line breaks, as a copy from a page has them)."""
    texts = [re.sub(r"<br\s*/?>", "\n", review) for review in reviews]

    names = model.config.labels

    def labels_of(batch: list[str]) -> list[int]:  # -1: nothing left to read
        return [names.index(max(p, key=p.get)) if p else -1 for p in classify_reviews(model, tokenizer, batch)]

    def accuracy(predicted: list[int]) -> float:
        return round(sum(p == y for p, y in zip(predicted, labels)) / len(labels), 4)

    alone = labels_of(texts)
    result = {"reviews": len(texts), "alone_accuracy": accuracy(alone), "dressings": {}}
    for name, dress in DRESSINGS.items():
        dressed = labels_of([dress(text) for text in texts])
        result["dressings"][name] = {"flips": sum(a != b for a, b in zip(alone, dressed)),
                                     "accuracy": accuracy(dressed)}
    return result
