"""The non-neural bar: TF-IDF of word 1-2 grams with logistic regression (scikit-learn, a test tool).

C is chosen on the selection split; the chosen model is refit on train + selection and scored once
on the test split, as the protocol allows.
"""
from __future__ import annotations

import time
from collections.abc import Callable

from datasets import DatasetDict

from .data import texts_and_labels
from .evaluate import SHORT_TEXT_CHECK, classification_report, mcnemar
from .short_texts import leaning, short_texts

C_GRID = (1.0, 4.0, 16.0, 64.0, 256.0, 1024.0)  # 256 won on the selection split once 64 was the edge (an ML review)


def _fit(texts: list[str], labels: list[int], c: float):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True,
                                 preprocessor=lambda text: text.replace("<br />", " ").lower())
    return make_pipeline(vectorizer, LogisticRegression(C=c, max_iter=2000)).fit(texts, labels)


def tfidf_baseline(dataset: DatasetDict, c_grid: tuple[float, ...] = C_GRID,
                   rival: Callable[[list[str]], list[int]] | None = None) -> dict:
    """Test accuracy, macro F1 and timing of the TF-IDF + logistic-regression baseline. With `rival` (test texts ->
    predicted labels, a recurrent model), also the rival's test accuracy and McNemar's test of the two on the
    same test reviews ("first": the rival)."""
    started = time.perf_counter()
    (train, train_y), (selection, selection_y), (test, test_y) = (
        texts_and_labels(dataset[name]) for name in ("train", "selection", "test"))
    selection_accuracy = {}
    for c in c_grid:
        predicted = _fit(train, train_y, c).predict(selection)
        selection_accuracy[c] = sum(int(p == y) for p, y in zip(predicted, selection_y)) / len(selection)
    best_c = max(selection_accuracy, key=selection_accuracy.get)
    short, short_y = short_texts(selection, selection_y)  # its model must not have seen the selection reviews
    short_check = {"check": SHORT_TEXT_CHECK, **leaning(_fit(train, train_y, best_c).predict(short).tolist(), short_y)}
    model = _fit(train + selection, train_y + selection_y, best_c)
    predicted = model.predict(test).tolist()
    report = classification_report(predicted, test_y, 2)
    head_to_head = {}
    if rival is not None:
        rival_predicted = rival(test)
        head_to_head = {"rival_test_accuracy": round(classification_report(rival_predicted, test_y, 2)["accuracy"], 4),
                        "mcnemar": mcnemar(rival_predicted, predicted, test_y)}
    return {**head_to_head, "model": "tfidf-1-2gram-logreg", "C": best_c, "selection_accuracy": selection_accuracy,
            "test_accuracy": round(report["accuracy"], 4), "macro_f1": round(report["macro_f1"], 4),
            "confusion": report["confusion"], "short_texts": short_check,
            "seconds": round(time.perf_counter() - started, 1)}
