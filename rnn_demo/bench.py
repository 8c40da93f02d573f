"""Benchmark commands: the project's path and the baseline the issue names, measured in one run."""
from __future__ import annotations

import time

import torch

from .text.data import encode
from .text.infer import Sampling, generate
from .text.model import CharLM
from .text.stepper import CharStepper

BENCH_PROMPT = "ROMEO:\nBut soft, what light through yonder window breaks?\n"


@torch.inference_mode()
def naive_generate(model: CharLM, prompt: str, n: int, seed: int = 0) -> str:
    """The textbook loop: the whole model on one character, softmax, torch.multinomial, repeat."""
    generator = torch.Generator().manual_seed(seed)
    logits, state, _ = model(torch.tensor([encode(prompt, model.config.vocab)]))
    out = []
    for _ in range(n):
        probs = torch.softmax(logits[:, -1], dim=-1)
        next_id = torch.multinomial(probs, 1, generator=generator)  # (1, 1)
        out.append(model.config.vocab[int(next_id)])
        logits, state, _ = model(next_id, state)
    return "".join(out)


def _rate(run, n: int, repeats: int) -> float:
    """Best characters per second over `repeats` runs of `run()` producing `n` characters."""
    best = 0.0
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        best = max(best, n / (time.perf_counter() - started))
    return best


def bench_generate(model: CharLM, chars: int = 1000, naive_chars: int = 300, repeats: int = 3) -> dict:
    """Characters per second at batch 1: the naive loop versus the served path, same model and prompt."""
    stepper = CharStepper(model)
    sampling = Sampling(max_new_chars=chars, temperature=1.0, seed=0)
    naive_chars_per_s = _rate(lambda: naive_generate(model, BENCH_PROMPT, naive_chars), naive_chars, repeats)
    chars_per_s = _rate(lambda: "".join(generate(stepper, BENCH_PROMPT, sampling)), chars, repeats)
    return {
        "cell": model.config.cell,
        "hidden_size": model.config.hidden_size,
        "num_layers": model.config.num_layers,
        "threads": torch.get_num_threads(),
        "naive_chars_per_s": round(naive_chars_per_s, 1),
        "chars_per_s": round(chars_per_s, 1),
        "speedup": round(chars_per_s / naive_chars_per_s, 2),
    }
