"""What the UI and the command line call: reviews in, class probabilities out."""
from __future__ import annotations

import torch

from .model import ReviewClassifier


def pad_batch(sequences: list[list[int]]) -> torch.Tensor:
    """Token id lists -> (batch, longest) right-padded with 0; an empty list keeps one padding slot."""
    ids = torch.zeros(len(sequences), max(1, max(map(len, sequences))), dtype=torch.long)
    for row, sequence in enumerate(sequences):
        ids[row, : len(sequence)] = torch.tensor(sequence, dtype=torch.long)
    return ids


@torch.inference_mode()
def predict_ids(model: ReviewClassifier, ids: list[list[int]], batch_size: int = 256) -> torch.Tensor:
    """Class probabilities (reviews, labels) for token id lists, batched by similar length, in input order."""
    model.eval()
    device = next(model.parameters()).device
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    probs = torch.empty(len(ids), len(model.config.labels))
    for start in range(0, len(order), batch_size):
        rows = order[start:start + batch_size]
        logits, _, _ = model(pad_batch([ids[i] for i in rows]).to(device))
        probs[rows] = torch.softmax(logits.float(), -1).cpu()
    return probs
