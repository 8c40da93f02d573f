"""How faithful the word colours are: delete the words the explanation credits most, see the decision weaken.

A deletion check (as in the attribution literature): for each review, remove the k words that the
explanation says pushed hardest towards the predicted label and measure how much the margin towards
that label falls; do the same with k words drawn at random. A faithful explanation makes the first
drop much larger than the second.
"""
from __future__ import annotations

import random

import torch
from tokenizers import Tokenizer

from .infer import length_batches, pad_batch, reviews_per_batch
from .model import ReviewClassifier
from .tokenizer import encode_batch


def _margins(model: ReviewClassifier, ids: list[list[int]]) -> torch.Tensor:
    logits = model.classify(pad_batch(ids).to(next(model.parameters()).device))  # (reviews, labels)
    return (logits[:, -1] - logits[:, 0]).float().cpu()  # (reviews,)


def _without(ids: list[int], positions: set[int]) -> list[int]:
    return [token for position, token in enumerate(ids) if position not in positions]


@torch.inference_mode()
def deletion_check(model: ReviewClassifier, tokenizer: Tokenizer, texts: list[str], k: int = 5,
                   batch_size: int | None = None, seed: int = 0) -> dict:
    """Mean fall of the margin towards the predicted label when the top-k credited or k random words go.

    Reviews shorter than 4k tokens are skipped (deleting k words would gut them). The random words are drawn in the
    reviews' order, then the reviews go in batches of similar length (length_batches), so the figures do not
    depend on the batching (`batch_size` reviews a batch, default `reviews_per_batch`)."""
    model.eval()
    device = next(model.parameters()).device
    rng = random.Random(seed)
    ids = [r for r in encode_batch(tokenizer, texts, model.config.max_tokens) if len(r) >= 4 * k]
    chance = [set(rng.sample(range(len(r)), k)) for r in ids]
    top_drops, random_drops = [0.0] * len(ids), [0.0] * len(ids)  # by review, in input order
    for rows in length_batches(ids, batch_size or reviews_per_batch(device)):
        batch = [ids[i] for i in rows]
        padded = pad_batch(batch)  # (batch, time)
        logits, contributions = model.explain(padded.to(device))
        margins = (logits[:, -1] - logits[:, 0]).float().cpu()  # explain's logits are the forward's
        sign = torch.where(margins >= 0, 1.0, -1.0)  # (batch,) towards the prediction
        margins = margins * sign
        credited = (contributions.float().cpu() * sign[:, None]).masked_fill(padded == 0, float("-inf"))
        top = [set(row.topk(k).indices.tolist()) for row in credited]
        top_fall = margins - _margins(model, [_without(r, t) for r, t in zip(batch, top)]) * sign
        random_fall = margins - _margins(model, [_without(ids[i], chance[i]) for i in rows]) * sign
        for i, by_top, by_chance in zip(rows, top_fall.tolist(), random_fall.tolist()):
            top_drops[i], random_drops[i] = by_top, by_chance
    n = max(1, len(top_drops))
    return {"reviews": len(top_drops), "k": k, "margin_drop_top_k": round(sum(top_drops) / n, 3),
            "margin_drop_random_k": round(sum(random_drops) / n, 3)}
