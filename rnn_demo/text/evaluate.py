"""The protocol metric: mean cross-entropy per character on a whole text, in nats and bits.

The text is cut into `chunks` contiguous pieces scored side by side as one batch; each piece
first runs through the `warmup` characters before it, so every prediction has at least that
much context carried by the recurrent state (the first piece starts at the beginning of the
text). Scoring runs on `CharStepper`, the arithmetic the app serves.
"""
from __future__ import annotations

import math
import re
import time

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from .data import encode
from .stepper import CharStepper


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


def _chunk_batch(ids: torch.Tensor, plan: list[tuple[int, int, int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs and targets (pieces, longest piece); -100 marks targets that are not scored."""
    length = max(end - 1 - start for start, _, end in plan)
    inputs = torch.zeros(len(plan), length, dtype=torch.long)
    targets = torch.full((len(plan), length), -100, dtype=torch.long)
    for row, (start, first, end) in enumerate(plan):
        inputs[row, : end - 1 - start] = ids[start:end - 1]
        targets[row, first - 1 - start: end - 1 - start] = ids[first:end]
    return inputs, targets


@torch.inference_mode()
def nats_per_char(stepper: CharStepper, text: str, chunks: int = 64, warmup: int = 256,
                  segment: int = 512, progress: bool = False) -> float:
    """Mean next-character cross-entropy (nats) over the whole of `text`.

    All pieces run as one batch, `segment` characters at a time with the state carried; `progress`: a tqdm bar of
    the segments (on a terminal)."""
    ids = torch.tensor(encode(text, stepper.vocab), dtype=torch.long)
    inputs, targets = _chunk_batch(ids, chunk_plan(len(ids) - 1, chunks, warmup))
    inputs, targets = inputs.to(stepper.device), targets.to(stepper.device)
    total, state = 0.0, None
    for start in tqdm(range(0, inputs.size(1), segment), desc="scoring the text", unit="segment", leave=False,
                      disable=None if progress else True):
        logits, state = stepper.run(inputs[:, start:start + segment], state)  # (pieces, segment, vocab)
        total += F.cross_entropy(logits.flatten(0, 1), targets[:, start:start + segment].flatten(),
                                 ignore_index=-100, reduction="sum").item()
    return total / (len(ids) - 1)


def evaluate_model(stepper: CharStepper, text: str, split: str = "val") -> dict[str, float | str]:
    """The protocol metric as a dict: `{split}_nats_per_char`, `{split}_bits_per_char`, how it was run."""
    started = time.time()
    nats = nats_per_char(stepper, text, progress=True)
    return {
        f"{split}_nats_per_char": round(nats, 4),
        f"{split}_bits_per_char": round(nats / math.log(2), 4),
        "precision": stepper.precision,
        "characters": len(text),
        "seconds": round(time.time() - started, 2),
    }


SPEAKER_LINE = re.compile(r"(?<=\n\n)[A-Z][A-Z .,'-]*:\n")  # a speech's first line: its speaker's name, a colon


@torch.inference_mode()
def opening_bits(stepper: CharStepper, text: str, chars: int = 24, lead_in: bool = True) -> dict[str, float | int]:
    """Bits per character over the first `chars` characters of every speech in `text` (from its speaker line on,
    the first character given), each read on its own after the stepper's lead-in, or from the zero state: how a
    prompt typed into the app is read. {"speeches", "bits_per_char"}."""
    starts = [m.start() for m in SPEAKER_LINE.finditer(text) if m.start() + chars < len(text)]
    if not starts:
        raise ValueError("the text has no speech (a blank line, then a name in capitals and a colon on a line)")
    ids = torch.tensor([encode(text[start:start + chars + 1], stepper.vocab) for start in starts],
                       device=stepper.device)  # (speeches, chars + 1)
    state = stepper.lead_in(len(starts))[1] if lead_in else None
    logits, _ = stepper.run(ids[:, :-1], state)  # (speeches, chars, vocab)
    nats = F.cross_entropy(logits.flatten(0, 1), ids[:, 1:].flatten()).item()
    return {"speeches": len(starts), "bits_per_char": round(nats / math.log(2), 4)}
