"""How the sentiment task plugs into the generic loop: shuffled, length-bucketed batches of reviews."""
from __future__ import annotations

from pathlib import Path

import torch
from tokenizers import Tokenizer

from ..parallel import OneReplica, Shard
from ..training import TrainSettings, fit, write_training_record
from .data import load_reviews, texts_and_labels
from .infer import pad_batch, predict_ids
from .model import ReviewClassifier, SentimentConfig
from .short_texts import sentence_crops
from .tokenizer import TOKENIZER_NAME, encode_batch, load_tokenizer, train_tokenizer

BUCKET_BATCHES = 50  # batches drawn together and sorted by length, so a batch holds reviews of similar length


def bucketed_batches(lengths: list[int], batch_size: int, generator: torch.Generator) -> list[list[int]]:
    """One epoch's batches of indices: shuffled, then sorted by length within buckets; full batches only."""
    order = torch.randperm(len(lengths), generator=generator).tolist()
    pool = batch_size * BUCKET_BATCHES
    batches = []
    for start in range(0, len(order), pool):
        bucket = sorted(order[start:start + pool], key=lambda i: lengths[i])
        batches += [bucket[k:k + batch_size] for k in range(0, len(bucket) - batch_size + 1, batch_size)]
    return [batches[i] for i in torch.randperm(len(batches), generator=generator).tolist()]


class ReviewTask:
    """Reviews as (ids, label) batches; the selection loss is the mean cross-entropy on the selection reviews.
    Trained on several processes, every rank draws the same batches and pads its own rows of them (`shard`)."""

    def __init__(self, ids: list[list[int]], labels: list[int], selection_ids: list[list[int]],
                 selection_labels: list[int], batch_size: int, device: torch.device, seed: int = 0,
                 shard: Shard = Shard()) -> None:
        self.ids, self.labels, self.batch_size, self.device, self.seed = ids, labels, batch_size, device, seed
        self.rows = shard.rows(batch_size)
        self.selection = (selection_ids, selection_labels)
        self.lengths = [len(sequence) for sequence in ids]
        self.steps_per_epoch = len(self._epoch(0))
        if self.steps_per_epoch < 1:
            raise ValueError(f"the training split has {len(ids):,} reviews: a step needs a batch of {batch_size}; "
                             "give more reviews, or a smaller --batch-size")
        self._cached: tuple[int, list[list[int]]] | None = None

    def _epoch(self, epoch: int) -> list[list[int]]:
        return bucketed_batches(self.lengths, self.batch_size, torch.Generator().manual_seed(self.seed * 7919 + epoch))

    def batch(self, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        epoch, k = divmod(step, self.steps_per_epoch)
        if self._cached is None or self._cached[0] != epoch:
            self._cached = (epoch, self._epoch(epoch))
        rows = self._cached[1][k][self.rows]
        return (pad_batch([self.ids[i] for i in rows]).to(self.device),
                torch.tensor([self.labels[i] for i in rows], device=self.device))

    def loss(self, model: ReviewClassifier, batch: tuple[torch.Tensor, torch.Tensor], carry: None) -> tuple:
        _, _, loss = model(batch[0], targets=batch[1])
        return loss, None

    def batch_units(self, batch: tuple[torch.Tensor, torch.Tensor]) -> int:
        return batch[0].size(0)

    @torch.inference_mode()
    def selection_loss(self, model: ReviewClassifier) -> float:
        ids, labels = self.selection
        return held_out_figures(predict_ids(model, ids), labels)[0]


def held_out_figures(probs: torch.Tensor, labels: list[int]) -> tuple[float, float]:
    """The mean negative log-likelihood and the accuracy of class probabilities (reviews, labels) for `labels`."""
    targets = torch.tensor(labels)
    loss = torch.nn.functional.nll_loss(probs.clamp_min(1e-12).log(), targets)
    return float(loss), float((probs.argmax(-1) == targets).float().mean())


def train_sentiment(config: SentimentConfig, settings: TrainSettings, out_dir: Path, run_dir: Path,
                    source: str | None = None, text_column: str = "text", label_column: str = "label",
                    batch_size: int = 64, max_train_tokens: int = 400,
                    replicas: OneReplica = OneReplica(torch.device("cpu")), resume: bool = True, short_crops: int = 0,
                    until: int | None = None) -> dict:
    """Train a review classifier; the best checkpoint by selection error is saved to `out_dir` in Hub layout.
    `short_crops`: runs of 1 to 3 sentences cut from each training review, with its label, added to the training
    reviews (short_texts.sentence_crops), so the model sees short texts too; the tokenizer is trained on the reviews."""
    dataset = load_reviews(source, text_column, label_column)
    (train_texts, train_labels), (selection_texts, selection_labels) = (
        texts_and_labels(dataset["train"]), texts_and_labels(dataset["selection"]))
    tokenizer = run_tokenizer(run_dir, train_texts, config.vocab_size, resume, replicas)
    config.vocab_size = tokenizer.get_vocab_size()
    torch.manual_seed(settings.seed)
    model = ReviewClassifier(config).to(replicas.device)
    if short_crops:
        crops, crop_labels = sentence_crops(train_texts, train_labels, short_crops, settings.seed)
        train_texts, train_labels = train_texts + crops, train_labels + crop_labels
    task = ReviewTask(encode_batch(tokenizer, train_texts, max_train_tokens), train_labels,
                      encode_batch(tokenizer, selection_texts, config.max_tokens), selection_labels,
                      batch_size, replicas.device, settings.seed, replicas.shard)

    def save_best(best: ReviewClassifier, state: dict) -> None:
        best.save_pretrained(out_dir, fresh_card=True)
        tokenizer.save(str(out_dir / TOKENIZER_NAME))
        write_training_record(out_dir, state, settings, selection_cross_entropy=round(state["best_selection_loss"], 4),
                              batch_size=batch_size, max_train_tokens=max_train_tokens, source=source or "imdb",
                              train_reviews=len(task.ids), steps_per_epoch=task.steps_per_epoch,
                              short_crops_per_review=short_crops, **replicas.record())

    return fit(model, task, settings, run_dir, save_best, resume, until, replicas)


def run_tokenizer(run_dir: Path, texts: list[str], vocab_size: int, resume: bool,
                  replicas: OneReplica) -> Tokenizer:
    """The run's tokenizer: trained once per run (by the main rank) and kept in `run_dir`, so a resumed run and
    every rank read the same ids."""
    path = run_dir / TOKENIZER_NAME
    if not (resume and replicas.from_main(path.is_file())):
        if replicas.is_main:
            run_dir.mkdir(parents=True, exist_ok=True)
            train_tokenizer(texts, vocab_size).save(str(path))
        replicas.wait()
    if not path.is_file():
        raise ValueError(f"{path} is not on this machine, but the main process wrote it: training on several "
                         "machines needs --run-dir on a filesystem they all share")
    return load_tokenizer(run_dir)
