"""The protocol metric: mean cross-entropy per character on a whole text, in nats and bits.

The text is cut into `chunks` contiguous pieces scored in one batch; each piece first runs
through the `warmup` characters before it, so every prediction has at least that much context
carried by the recurrent state (the first piece starts at the beginning of the text).
"""
from __future__ import annotations

import math
import time

import torch
import torch.nn.functional as F

from .data import encode
from .model import CharLM


def chunk_plan(n_targets: int, chunks: int, warmup: int) -> list[tuple[int, int, int]]:
    """(input start, first scored target, end) per piece, over targets 1..n_targets of the text.

    Target position t is predicted from inputs ..t-1; piece k scores targets [first, end).
    """
    size = math.ceil(n_targets / chunks)
    plan = []
    for first in range(1, n_targets + 1, size):
        end = min(first + size, n_targets + 1)
        plan.append((max(0, first - 1 - warmup), first, end))
    return plan


@torch.inference_mode()
def nats_per_char(model: CharLM, text: str, chunks: int = 64, warmup: int = 256, batch_size: int = 32) -> float:
    """Mean next-character cross-entropy (nats) over the whole of `text`, batched."""
    device = next(model.parameters()).device
    ids = torch.tensor(encode(text, model.config.vocab), dtype=torch.long)
    plan = chunk_plan(len(ids) - 1, chunks, warmup)
    total = 0.0
    model.eval()
    for i in range(0, len(plan), batch_size):
        group = plan[i:i + batch_size]
        length = max(end - 1 - start for start, _, end in group)
        inputs = torch.zeros(len(group), length, dtype=torch.long)
        targets = torch.full((len(group), length), -100, dtype=torch.long)  # -100: not scored
        for row, (start, first, end) in enumerate(group):
            inputs[row, : end - 1 - start] = ids[start:end - 1]
            targets[row, first - 1 - start: end - 1 - start] = ids[first:end]
        logits, _, _ = model(inputs.to(device))  # (group, length, vocab)
        total += F.cross_entropy(logits.flatten(0, 1), targets.to(device).flatten(), ignore_index=-100,
                                 reduction="sum").item()
    return total / (len(ids) - 1)


def evaluate_model(model: CharLM, text: str, split: str = "val") -> dict[str, float]:
    """The protocol metric as a dict: `{split}_nats_per_char`, `{split}_bits_per_char`, timing."""
    started = time.time()
    nats = nats_per_char(model, text)
    return {
        f"{split}_nats_per_char": round(nats, 4),
        f"{split}_bits_per_char": round(nats / math.log(2), 4),
        "characters": len(text),
        "seconds": round(time.time() - started, 2),
    }
