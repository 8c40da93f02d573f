"""The short-text check: how a classifier trained on whole IMDB reviews does on one-sentence reviews, as visitors
and other sites write them. Built from the selection split only (never the test split): the first and the last
sentence of each review, carrying the review's label, where the sentence has SHORTEST to LONGEST words. Many such
sentences say little on their own ("I saw this film last week."): the check measures how each model copes with
short text and whether it leans to one label (its share of "positive" against the true share), not a clean
accuracy ceiling.
"""
from __future__ import annotations

import random
import re

SHORTEST, LONGEST = 4, 40  # words in a sentence kept for the check
_BREAKS = re.compile(r"<br\s*/?>", re.IGNORECASE)
ABBREVIATIONS = ("Mr", "Mrs", "Ms", "Dr", "St", "Jr", "Sr", "vs", "Mt", "No")  # a full stop after these ends nothing
# the end of a sentence: . ! or ? (and closing quotes or brackets), spaces, then a capital or a digit
_SENTENCE_END = re.compile("".join(rf"(?<!\b{word})" for word in ABBREVIATIONS)
                           + r"([.!?]+[\"')\]]*)\s+(?=[\"'(\[]*[A-Z0-9])")


def sentences(review: str) -> list[str]:
    """The review's sentences: split after . ! or ? followed by a space and a capital or a digit; HTML line breaks
    end a sentence too. Whitespace trimmed; empty pieces dropped."""
    pieces = []
    for block in _BREAKS.split(review):
        pieces += [piece.strip() for piece in _SENTENCE_END.sub("\\1\0", block).split("\0")]
    return [piece for piece in pieces if piece]


def first_and_last(review: str) -> list[str]:
    """The review's first and last sentence that have SHORTEST to LONGEST words (one if they are the same)."""
    kept = [s for s in sentences(review) if SHORTEST <= len(s.split()) <= LONGEST]
    return kept[:1] + kept[-1:] if len(kept) > 1 else kept


def short_texts(texts: list[str], labels: list[int]) -> tuple[list[str], list[int]]:
    """The check's texts and labels from whole reviews (the selection split's)."""
    pairs = [(sentence, label) for text, label in zip(texts, labels) for sentence in first_and_last(text)]
    return [text for text, _ in pairs], [label for _, label in pairs]


def leaning(predicted: list[int], labels: list[int], positive: int = 1) -> dict:
    """Accuracy, the share of `positive` predicted and its true share, and the difference in points."""
    n = max(1, len(labels))
    predicted_share = sum(int(p == positive) for p in predicted) / n
    true_share = sum(int(y == positive) for y in labels) / n
    return {"accuracy": round(sum(int(p == y) for p, y in zip(predicted, labels)) / n, 4), "texts": len(labels),
            "positive_share": round(predicted_share, 4), "true_positive_share": round(true_share, 4),
            "share_gap_points": round(100 * (predicted_share - true_share), 2)}


def sentence_crops(texts: list[str], labels: list[int], per_review: int, seed: int = 0,
                   longest: int = 3) -> tuple[list[str], list[int]]:
    """For training on short texts too: `per_review` random runs of 1 to `longest` consecutive sentences of each
    review (a review of one sentence gives none), each carrying its review's label. Seeded: the same crops for the
    same arguments."""
    chosen = random.Random(seed)
    crops, crop_labels = [], []
    for text, label in zip(texts, labels):
        parts = sentences(text)
        if len(parts) < 2:
            continue
        for _ in range(per_review):
            size = chosen.randint(1, min(longest, len(parts) - 1))
            start = chosen.randrange(len(parts) - size + 1)
            crops.append(" ".join(parts[start:start + size]))
            crop_labels.append(label)
    return crops, crop_labels
