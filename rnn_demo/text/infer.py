"""What the UI and the command line call: prompt checks, priming, sampling, streamed generation.

Generation runs on `CharStepper` (stepper.py), the served arithmetic that `evaluate` measures.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import torch

from .data import encode
from .stepper import CharStepper

MAX_PROMPT_CHARS = 4000
MAX_NEW_CHARS = 2000
START = "\n"  # an empty prompt starts from a new line, as a play's speeches do


@dataclass
class Sampling:
    """Sampling controls; `validated()` checks ranges and says which value is wrong."""

    max_new_chars: int = 400
    temperature: float = 0.8
    top_k: int = 0  # 0: no top-k cut
    top_p: float = 1.0  # 1.0: no nucleus cut
    seed: int | None = None
    stop: str = ""  # stop before the first occurrence of this string ("" : never)

    def validated(self) -> "Sampling":
        if not 1 <= int(self.max_new_chars) <= MAX_NEW_CHARS:
            raise ValueError(f"max_new_chars must be between 1 and {MAX_NEW_CHARS}, got {self.max_new_chars}")
        if not 0.05 <= float(self.temperature) <= 3.0:
            raise ValueError(f"temperature must be between 0.05 and 3.0, got {self.temperature}")
        if int(self.top_k) < 0:
            raise ValueError(f"top_k must be 0 (off) or a positive count, got {self.top_k}")
        if not 0.0 < float(self.top_p) <= 1.0:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        if len(self.stop) > 100:
            raise ValueError("the stop string may be at most 100 characters")
        if self.seed is not None and not 0 <= int(self.seed) < 2**63:
            raise ValueError(f"seed must be between 0 and 2**63 - 1, or none for a different text each time, got {self.seed}")
        return self


def check_prompt(prompt: str, vocab: list[str]) -> tuple[str, list[str]]:
    """The prompt to prime with (a newline if empty) and the characters the model does not know."""
    if prompt is None:
        prompt = ""
    if len(prompt) > MAX_PROMPT_CHARS:
        raise ValueError(f"the prompt has {len(prompt):,} characters; the limit is {MAX_PROMPT_CHARS:,}")
    known = set(vocab[1:])
    unknown = sorted({ch for ch in prompt if ch not in known})
    return (prompt or START), unknown


def filter_logits(logits: torch.Tensor, temperature: float, top_k: int, top_p: float) -> torch.Tensor:
    """Next-character probabilities (batch, vocab) after temperature, top-k and top-p (nucleus)."""
    logits = logits / temperature
    if 0 < top_k < logits.size(-1):
        kth = torch.topk(logits, top_k, dim=-1).values[..., -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    probs = torch.softmax(logits, dim=-1)
    if top_p < 1.0:
        sorted_probs, order = torch.sort(probs, dim=-1, descending=True)
        drop = sorted_probs.cumsum(-1) - sorted_probs >= top_p  # keep the smallest set reaching top_p
        probs = probs.masked_fill(drop.scatter(-1, order, drop), 0.0)
        probs = probs / probs.sum(-1, keepdim=True)
    return probs


@torch.inference_mode()
def generate(stepper: CharStepper, prompt: str, sampling: Sampling) -> Iterator[str]:
    """Yield new text after priming on `prompt` (not repeated), piece by piece as it is sampled.

    The stop string is never shown: characters that could begin it are held back until the
    text rules it out.
    """
    sampling = sampling.validated()
    text, _ = check_prompt(prompt, stepper.vocab)
    generator = None
    if sampling.seed is not None:
        generator = torch.Generator(stepper.device).manual_seed(int(sampling.seed))
    logits, state = stepper.prime(torch.tensor([encode(text, stepper.vocab)], device=stepper.device))
    stop, produced, shown = sampling.stop, "", 0
    for _ in range(sampling.max_new_chars):
        logits[:, 0] = float("-inf")  # never sample the unknown symbol
        probs = filter_logits(logits, sampling.temperature, sampling.top_k, sampling.top_p)
        next_id = torch.multinomial(probs, 1, generator=generator)[:, 0]  # (1,)
        produced += stepper.vocab[int(next_id)]
        if stop and produced.endswith(stop):
            if len(produced) - len(stop) > shown:
                yield produced[shown:len(produced) - len(stop)]
            return
        safe = len(produced) - max(len(stop) - 1, 0)
        if safe > shown:
            yield produced[shown:safe]
            shown = safe
        logits, state = stepper.step(next_id, state)
    if len(produced) > shown:
        yield produced[shown:]


@torch.inference_mode()
def next_char_table(stepper: CharStepper, prompt: str, k: int = 10) -> list[tuple[str, float]]:
    """The model's `k` most likely next characters after `prompt`, with their probabilities."""
    text, _ = check_prompt(prompt, stepper.vocab)
    logits, _ = stepper.prime(torch.tensor([encode(text, stepper.vocab)], device=stepper.device))
    probs = torch.softmax(logits[0], dim=-1)
    top = torch.topk(probs, min(k, probs.numel()))
    return [(stepper.vocab[i], float(p)) for p, i in zip(top.values.tolist(), top.indices.tolist())]
