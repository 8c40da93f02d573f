"""How the text task plugs into the generic loop: truncated BPTT over parallel streams of characters."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from ..backbone import State, detach_state
from ..parallel import OneReplica, Shard
from ..training import TrainSettings, fit, write_training_record
from .data import build_vocab, encode, load_text_dataset, split_text
from .evaluate import nats_per_char
from .model import CharLM, CharLMConfig
from .stepper import CharStepper


@dataclass
class StreamBatch:
    inputs: torch.Tensor  # (batch, time)
    targets: torch.Tensor  # (batch, time)
    reset: bool  # True at the start of a pass: the carried state is dropped


class TextTask:
    """The training text as `batch_size` parallel streams read `seq_len` characters per step.

    The recurrent state is carried from one step to the next (detached), so the model learns
    from context longer than one step; it is reset at the start of every pass over the data.
    Trained on several processes, each holds its own streams (`shard`), contiguous parts of the text.
    """

    def __init__(self, train_text: str, selection_text: str, vocab: list[str], batch_size: int,
                 seq_len: int, device: torch.device, shard: Shard = Shard()) -> None:
        ids = torch.tensor(encode(train_text, vocab), dtype=torch.long)
        length = len(ids) // batch_size
        streams = ids[: batch_size * length].view(batch_size, length)  # (batch, length): every rank's streams
        self.streams = streams[shard.rows(batch_size)].to(device)  # (batch / ranks, length)
        self.seq_len = seq_len
        self.steps_per_pass = (length - 1) // seq_len
        if self.steps_per_pass < 1:
            raise ValueError(f"the training text has {len(ids):,} characters: a step needs {batch_size} streams of "
                             f"{seq_len + 1} at least ({batch_size * (seq_len + 1):,}); give more text, or a smaller "
                             "--batch-size or --seq-len")
        self.selection_text = selection_text

    def batch(self, step: int) -> StreamBatch:
        k = step % self.steps_per_pass
        start = k * self.seq_len
        window = self.streams[:, start: start + self.seq_len + 1]
        return StreamBatch(window[:, :-1], window[:, 1:], reset=k == 0)

    def loss(self, model: CharLM, batch: StreamBatch, carry: State | None) -> tuple[torch.Tensor, State]:
        state = None if batch.reset else detach_state(carry)
        _, state, loss = model(batch.inputs, state, batch.targets)
        return loss, state

    def batch_units(self, batch: StreamBatch) -> int:
        return batch.inputs.numel()

    def selection_loss(self, model: CharLM) -> float:
        return nats_per_char(CharStepper(model, "float32"), self.selection_text)


def train_text(config: CharLMConfig, settings: TrainSettings, out_dir: Path, run_dir: Path,
               source: str | None = None, text_column: str = "text", batch_size: int = 64,
               seq_len: int = 128, replicas: OneReplica = OneReplica(torch.device("cpu")), resume: bool = True,
               until: int | None = None) -> dict:
    """Train a character LM; the best checkpoint by selection loss is saved to `out_dir` in Hub layout."""
    dataset = load_text_dataset(source, text_column)
    train_text, selection_text = split_text(dataset, "train"), split_text(dataset, "selection")
    config.vocab = build_vocab(train_text)
    torch.manual_seed(settings.seed)
    model = CharLM(config).to(replicas.device)
    task = TextTask(train_text, selection_text, config.vocab, batch_size, seq_len, replicas.device, replicas.shard)

    def save_best(best: CharLM, state: dict) -> None:
        best.save_pretrained(out_dir, fresh_card=True)
        write_training_record(out_dir, state, settings, selection_nats_per_char=round(state["best_selection_loss"], 4),
                              batch_size=batch_size, seq_len=seq_len, source=source or "shakespeare",
                              train_characters=len(train_text), **replicas.record())

    return fit(model, task, settings, run_dir, save_best, resume, until, replicas)
