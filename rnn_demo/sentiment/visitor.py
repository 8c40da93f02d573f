"""The sentiment task's part of the Train tab (plugin.VisitorTraining): a visitor's CSV of texts and labels (any
labels, two to MAX_LABELS) checked and split, and a small classifier with its own tokenizer built on it, trained by
the shared job (visitor_training/job.py)."""
from __future__ import annotations

import re

from collections import Counter
from pathlib import Path

from ..display import column_list, quoted, unreadable
from ..plugin import ColumnRole, VisitorTraining
from ..uploads import chosen_column
from ..visitor_training.data import PREVIEW_ROWS, Built, Prepared, held_out_rows, shortened
from .review_table import MAX_ROWS, read_review_table, spelled_name, usual_column
from .infer import predict_ids
from .model import ReviewClassifier, SentimentConfig
from .tokenizer import TOKENIZER_NAME, encode_batch, nothing_to_read, train_tokenizer
from .train import ReviewTask, held_out_figures

MIN_ROWS_PER_LABEL, MAX_LABELS, MAX_LABEL_CHARS = 10, 10, 40
SIZES = {"tiny": {"vocab_size": 5_000, "embedding_dim": 32, "hidden_size": 32},
         "small": {"vocab_size": 10_000, "embedding_dim": 64, "hidden_size": 64}}
# the labels' column, when none is named: ours, then review sites' ratings (Amazon's overall and star_rating, Yelp's
# stars, Google Play's "Star Rating", Trustpilot's Rating, the Fine Food reviews' Score, Steam's voted_up, Rotten
# Tomatoes' review_type); a column whose name ends in "sentiment" (airline_sentiment) too
LABEL_COLUMNS = ("label", "sentiment", "labels", "rating", "stars", "star rating", "star_rating", "overall", "score",
                 "voted_up", "recommended", "review_type")


# a rating as a number: 8, 4.5, a decimal comma's 4,5, or out of a scale, 8/10 (the scale is every label's alike)
RATING = re.compile(r"([+-]?\d+(?:[.,]\d+)?)(?:\s*/\s*\d+(?:[.,]\d+)?)?")


def _rating(label: str) -> float:
    return float(RATING.fullmatch(label.strip())[1].replace(",", "."))


def _label_order(labels: set[str]):
    """The sort key of a file's labels: their value where every one is a rating (4, 4.5, 4,5, 8/10), else their
    casefolded text (ratings sorted as text put 9/10 last, 10/10 among the ones, and the explanation's green end on
    9/10: a red team's)."""
    if all(RATING.fullmatch(label.strip()) for label in labels):
        return lambda label: (_rating(label), label)
    return lambda label: (label.casefold(), label)


def _labels_of(raw: list[str]) -> list[str]:
    """The distinct labels, sorted (negative before positive, 0 before 1, bad before good: the legend's blue and red,
    the first and last label, ReviewClassifier.explain): as numbers where all are (star ratings 1 to 10), else
    whatever their case; refused when there are too few, too many or too long ones."""
    labels = sorted(set(raw), key=_label_order(set(raw)))
    if not labels:
        raise ValueError("no row has both a text and a label: is it an unlabelled split (a test split, IMDB's "
                         "unsupervised one) or the wrong column?")
    if len(labels) < 2:
        raise ValueError(f"the label column holds one label only ({quoted(labels[0])}): a classifier needs two or more")
    if len(labels) > MAX_LABELS:
        raise ValueError(f"the label column holds {len(labels):,} different labels; at most {MAX_LABELS} are learned "
                         "here: is it the right column?")
    long = next((label for label in labels if len(label) > MAX_LABEL_CHARS), None)
    if long is not None:
        raise ValueError(f"the label {quoted(shortened(long, 60))} has {len(long):,} characters; labels may have at "
                         f"most {MAX_LABEL_CHARS}: is it the right column?")
    if problem := unreadable(labels):
        raise ValueError(f"{problem}: give each label a name of its own (make alike ones one label)")
    return labels


def _split(kept: list[tuple[str, str]], labels: list[str]) -> dict[bool, tuple[list[str], list[int]]]:
    """The rows as (texts, label ids), by whether they are held out (held_out_rows: a tenth of each label's)."""
    rows = [(text, labels.index(label)) for text, label in kept]
    by_label: dict[int, list[str]] = {}
    for text, label_id in rows:
        by_label.setdefault(label_id, []).append(text)
    held = held_out_rows(by_label)
    parts: dict[bool, tuple[list[str], list[int]]] = {False: ([], []), True: ([], [])}
    for text, label_id in rows:
        texts, ids = parts[text in held]
        texts.append(text)
        ids.append(label_id)
    return parts


def _usual_label_column(header: list[str]) -> str | None:
    """The first column called as LABEL_COLUMNS (in their order, spelled alike: "Star Rating", "Ratings"), else one
    whose name ends in "sentiment"."""
    return usual_column(header, LABEL_COLUMNS) or next((name for name in header
                                                         if spelled_name(name).endswith("sentiment")), None)


def labelled_upload(path: str | Path, text_column: str | None, label_column: str | None) -> Prepared:
    """A CSV of texts and labels: read with the sentiment tab's streamed CSV checks, rows without a text or a label
    dropped (and counted), a tenth held out by hash, every label needing MIN_ROWS_PER_LABEL rows in the training
    part."""
    table = read_review_table(path, text_column)
    label_name = chosen_column(table.header, label_column) or _usual_label_column(table.header)
    if label_name is None:
        raise ValueError(f"no column of labels (called {', '.join(LABEL_COLUMNS[:-1])} or {LABEL_COLUMNS[-1]}): name "
                         f"the label column; the file's columns are: {column_list(table.header)}")
    label_index = table.header.index(label_name)
    if label_index == table.column:
        raise ValueError(f"the text and label columns must differ (both are {quoted(label_name)})")
    rows = [(record[table.column].strip(), record[label_index].strip()) for record in table.records()]
    kept = [(text, label) for text, label in rows if text and label]
    notes = list(table.notes)
    if len(kept) < len(rows):
        notes.append(f"{len(rows) - len(kept):,} row(s) without a text or a label were left out.")
    unreadable = nothing_to_read([text for text, _ in kept])
    if any(unreadable):
        kept = [row for row, empty in zip(kept, unreadable) if not empty]
        notes.append(f"{sum(unreadable):,} row(s) whose text is nothing but links or markup were left out.")
    labels = _labels_of([label for _, label in kept])
    parts = _split(kept, labels)
    counts = Counter(parts[False][1])
    scarce = [labels[i] for i in range(len(labels)) if counts[i] < MIN_ROWS_PER_LABEL]
    if scarce or not parts[True][0]:
        raise ValueError(f"too little data: each label needs at least {MIN_ROWS_PER_LABEL} training rows and a tenth "
                         f"of the rows is held out (labels short of rows: {', '.join(map(quoted, scarce)) or 'none'}; "
                         f"held-out rows: {len(parts[True][0])}"
                         + ("; the tenth held out is chosen by each text, so a file of few different texts may hold "
                            "none out: add rows" if not parts[True][0] else "") + ")")
    summary = {"rows": len(kept), "training rows": len(parts[False][0]), "held-out rows": len(parts[True][0]),
               "labels": {label: counts[i] for i, label in enumerate(labels)}}
    preview = [[shortened(text), label] for text, label in kept[:PREVIEW_ROWS]]
    return Prepared("sentiment", parts[False], parts[True], summary, preview, notes)


def read_labelled(path: str | Path, columns: dict[str, str | None]) -> Prepared:
    return labelled_upload(path, columns.get("text"), columns.get("label"))


def fewest_errors(loss: float, accuracy: float) -> float:
    """What picks a visitor's checkpoint: the held-out error rate, the accuracy its card reports (the lowest loss
    came earlier in a run and was less accurate: 0.84 against 0.86 after 120 s on 5,000 IMDB reviews), the loss
    breaking ties."""
    return (1.0 - accuracy) + 1e-4 * loss


def build_classifier(prepared: Prepared, cell: str, size: str, device: str) -> Built:
    (texts, labels), (held_texts, held_labels) = prepared.train, prepared.held_out
    preset = dict(SIZES[size])
    tokenizer = train_tokenizer(texts, preset.pop("vocab_size"))
    config = SentimentConfig(vocab_size=tokenizer.get_vocab_size(), cell=cell, labels=list(prepared.summary["labels"]),
                             max_tokens=400, dropout=0.3, **preset)
    held_ids = encode_batch(tokenizer, held_texts, config.max_tokens)
    task = ReviewTask(encode_batch(tokenizer, texts, config.max_tokens), labels, held_ids, held_labels,
                      batch_size=min(32, len(texts)), device=device)

    def score(model: ReviewClassifier) -> tuple[float, float]:  # the loss and the accuracy
        return held_out_figures(predict_ids(model, held_ids), held_labels)

    return Built(ReviewClassifier(config), task, score, chosen_by=fewest_errors,
                 chosen_by_name="held-out error rate (the loss breaking ties)",
                 save_extra=lambda folder: tokenizer.save(str(folder / TOKENIZER_NAME)))


BENCH_ROWS = 5_000


def bench_file(folder: Path) -> Path:
    """`bench train`'s CSV: the first BENCH_ROWS reviews of the protocol's training split (never its test split),
    with their labels."""
    import csv

    from .data import LABELS, protocol_dataset

    path = folder / "reviews-5k.csv"
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["text", "label"])
        writer.writerows((row["text"], LABELS[row["label"]])
                         for row in protocol_dataset()["train"].select(range(BENCH_ROWS)))
    return path


def majority(prepared: Prepared) -> tuple[float, str]:
    """The best held-out accuracy of a constant answer: always the held-out part's most frequent label (the training
    part's missed a held-out part of the other label: it scored 0 there, and a model no better than constant beat
    it)."""
    _, held_labels = prepared.held_out
    most, count = Counter(held_labels).most_common(1)[0]
    name = list(prepared.summary["labels"])[most]
    return count / len(held_labels), f"always answering “{name}”"


VISITOR = VisitorTraining(
    upload="a CSV of texts and labels (a classifier: two or more labels)", what="a text classifier",
    task_type="text-classification", metric="accuracy", metric_type="accuracy",
    columns=(ColumnRole("text", "Text column", ("text", "review", "sentence", "content")),
             ColumnRole("label", "Label column", LABEL_COLUMNS)),
    preview_headers=("text", "label"), sizes=SIZES, read=read_labelled, build=build_classifier,
    hub_file="reviews.csv", max_rows=MAX_ROWS, sample="reviews.csv", bench_file=bench_file, baseline=majority)
