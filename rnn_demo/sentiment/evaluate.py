"""The protocol metrics of a review classifier: test accuracy, macro F1, the confusion matrix, speed."""
from __future__ import annotations

import math
import time

from tokenizers import Tokenizer

from .model import ReviewClassifier
from .tokenizer import encode_batch
from .infer import predict_ids


def classification_report(predicted: list[int], labels: list[int], n_classes: int) -> dict:
    """Accuracy, macro F1 and the confusion matrix (rows: true label, columns: predicted)."""
    confusion = [[0] * n_classes for _ in range(n_classes)]
    for p, y in zip(predicted, labels):
        confusion[y][p] += 1
    f1s = []
    for c in range(n_classes):
        tp = confusion[c][c]
        precision_den, recall_den = sum(row[c] for row in confusion), sum(confusion[c])
        f1s.append(2 * tp / (precision_den + recall_den) if precision_den + recall_den else 0.0)
    correct = sum(confusion[c][c] for c in range(n_classes))
    return {"accuracy": correct / max(1, len(labels)), "macro_f1": sum(f1s) / n_classes, "confusion": confusion}


def predicted_labels(model: ReviewClassifier, tokenizer: Tokenizer, texts: list[str]) -> list[int]:
    """Each text's likeliest label index, texts read up to the model's max_tokens (a tqdm bar on a terminal)."""
    ids = encode_batch(tokenizer, texts, model.config.max_tokens)
    return predict_ids(model, ids, progress=True).argmax(-1).tolist()


def evaluate_classifier(model: ReviewClassifier, tokenizer: Tokenizer, texts: list[str], labels: list[int],
                        split: str = "test") -> dict:
    """`{split}_accuracy`, `macro_f1`, `confusion`, `examples_per_s` (tokenizing included)."""
    started = time.perf_counter()
    predicted = predicted_labels(model, tokenizer, texts)
    seconds = time.perf_counter() - started
    report = classification_report(predicted, labels, len(model.config.labels))
    return {f"{split}_accuracy": round(report["accuracy"], 4), "macro_f1": round(report["macro_f1"], 4),
            "confusion": report["confusion"], "labels": model.config.labels, "examples": len(texts),
            "examples_per_s": round(len(texts) / seconds, 1)}


def evaluate_short_texts(model: ReviewClassifier, tokenizer: Tokenizer, reviews: list[str], labels: list[int]) -> dict:
    """The short-text check (short_texts.py) of `reviews` (the selection split's): accuracy and the positive share."""
    from .short_texts import leaning, short_texts

    texts, text_labels = short_texts(reviews, labels)
    return {"check": SHORT_TEXT_CHECK, **leaning(predicted_labels(model, tokenizer, texts), text_labels)}


SHORT_TEXT_CHECK = "first and last sentence (4 to 40 words) of each selection review, with its label"


def mcnemar(predicted_a: list[int], predicted_b: list[int], labels: list[int]) -> dict:
    """McNemar's exact test of two classifiers on the same examples: of the examples exactly one of them gets right,
    how many each gets, and the two-sided p-value of so uneven a split if both were equally accurate (binomial, 1/2)."""
    only_a = sum(int(a == y != b) for a, b, y in zip(predicted_a, predicted_b, labels))
    only_b = sum(int(b == y != a) for a, b, y in zip(predicted_a, predicted_b, labels))
    n, fewer = only_a + only_b, min(only_a, only_b)
    tail = sum(math.comb(n, k) for k in range(fewer + 1)) / 2 ** n if n else 1.0
    return {"only_first_right": only_a, "only_second_right": only_b, "p_value": round(min(1.0, 2 * tail), 4)}
