"""The text task's part of the Train tab (plugin.VisitorTraining): a visitor's text file checked and split, and a
small character language model built on it, trained by the shared job (visitor_training/job.py)."""
from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

from ..plugin import ColumnRole, VisitorTraining
from ..uploads import MAX_TEXT_CHARS, decode_upload
from ..visitor_training.data import HELD_OUT_SHARE, PREVIEW_ROWS, Built, Prepared, shortened
from .data import build_vocab
from .model import CharLM, CharLMConfig
from .train import TextTask

MIN_TEXT_CHARS = 2_000
MAX_CHARACTERS = 300  # distinct characters in a text: the language model's vocabulary
HELD_OUT_CHARS = 20_000  # the held-out part's first characters: scored at each selection, and the card's metric
SIZES = {"tiny": {"embedding_dim": 32, "hidden_size": 128}, "small": {"embedding_dim": 64, "hidden_size": 256}}


def text_upload(data: bytes) -> Prepared:
    """A text file for a character language model: its last HELD_OUT_SHARE held out (cut at a line break when there
    is one near), the vocabulary its training part's characters."""
    text, notes = decode_upload(data)
    if len(text) > MAX_TEXT_CHARS:
        raise ValueError(f"the text has {len(text):,} characters; the limit is {MAX_TEXT_CHARS:,}: upload a part of it")
    if len(text) < MIN_TEXT_CHARS:
        raise ValueError(f"the text has {len(text):,} characters; at least {MIN_TEXT_CHARS:,} are needed to learn "
                         f"from it and hold out a tenth to check the model on")
    cut = int(len(text) * (1 - HELD_OUT_SHARE))
    line_break = text.rfind("\n", int(cut * 0.95), cut)
    cut = line_break + 1 if line_break > 0 else cut
    train, held_out = text[:cut], text[cut:]
    characters = Counter(train)
    if len(characters) > MAX_CHARACTERS:
        raise ValueError(f"the text uses {len(characters):,} different characters; at most {MAX_CHARACTERS} can be "
                         "learned in a few minutes: use a text in one or two scripts")
    unseen = sorted(set(held_out) - set(characters))
    if unseen:
        notes.append(f"{len(unseen)} character(s) appear only in the held-out part; the model reads them as unknown.")
    summary = {"characters": len(text), "training characters": len(train), "held-out characters": len(held_out),
               "scored at each selection, and on the card": "all the held-out part" if len(held_out) <= HELD_OUT_CHARS
               else f"the held-out part's first {HELD_OUT_CHARS:,} characters",
               "vocabulary": len(characters) + 1}  # + the unknown symbol
    preview = [[shortened(line)] for line in text.splitlines()[:PREVIEW_ROWS]]
    return Prepared("text", train, held_out, summary, preview, notes)


def read_text(path: str | Path, columns: dict[str, str | None]) -> Prepared:
    return text_upload(Path(path).read_bytes())


def build_text(prepared: Prepared, cell: str, size: str, device: str) -> Built:
    config = CharLMConfig(vocab=build_vocab(prepared.train), cell=cell, num_layers=1, dropout=0.1, **SIZES[size])
    task = TextTask(prepared.train, prepared.held_out[:HELD_OUT_CHARS], config.vocab, batch_size=16, seq_len=64,
                    device=device)
    def score(model: CharLM) -> tuple[float, float]:  # nats and bits per character
        loss = task.selection_loss(model)
        return loss, loss / math.log(2)

    return Built(CharLM(config), task, score)


BENCH_CHARS = 1_300_000


def bench_file(folder: Path) -> Path:
    """`bench train`'s text: the first BENCH_CHARS characters of the protocol's training plays."""
    from .data import load_text_dataset, split_text

    path = folder / "plays-1.3M.txt"
    path.write_text(split_text(load_text_dataset(), "train")[:BENCH_CHARS], encoding="utf-8")
    return path


def character_frequencies(prepared: Prepared) -> tuple[float, str]:
    """The held-out bits per character of the training part's character frequencies alone (add-one smoothed over
    the characters of both parts): a model that reads no context."""
    counts, held = Counter(prepared.train), prepared.held_out
    known = set(counts) | set(held)
    total = sum(counts.values()) + len(known)
    bits = -sum(math.log2((counts[ch] + 1) / total) for ch in held) / len(held)
    return bits, "the characters' frequencies alone"


VISITOR = VisitorTraining(
    upload="a text file (a character language model learns to write like it)",
    what="a character-level language model", task_type="text-generation",
    metric="bits per character", metric_type="bits_per_char",
    columns=(ColumnRole("text", "Text column", ("text", "content", "line")),),  # of a Hub dataset
    preview_headers=("first lines",), sizes=SIZES, read=read_text, build=build_text, hub_file="text.txt",
    sample="text.txt", bench_file=bench_file, baseline=character_frequencies)
