"""The text task's benchmarks: generation's speed against the textbook loop, and many users batched against one."""
from __future__ import annotations

import threading

import torch

from ..bench import best_rate
from ..devices import cpu_name
from .batcher import BatchedGeneration
from .data import encode
from .infer import Sampling, generate
from .model import CharLM
from .stepper import CharStepper

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


def _users_at_once(batcher: BatchedGeneration, users: int, chars: int) -> None:
    """`users` threads each generate `chars` characters (no seed, as the app's default) through `batcher`."""
    sampling = Sampling(max_new_chars=chars, temperature=1.0)
    lengths: list[int] = []
    threads = [threading.Thread(target=lambda: lengths.append(len("".join(batcher.stream(BENCH_PROMPT, sampling)))))
               for _ in range(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if lengths != [chars] * users:  # a failed user would make the rate look better than it is
        raise RuntimeError(f"batched generation gave {lengths}, not {users} texts of {chars} characters")


def bench_generate(model: CharLM, chars: int = 1000, naive_chars: int = 300, repeats: int = 3,
                   users: int = 16) -> dict:
    """Characters per second at batch 1: the naive loop versus the served path, same model and prompt; and the
    total for `users` generating at once through the app's batched loop versus one at a time."""
    stepper = CharStepper(model)
    sampling = Sampling(max_new_chars=chars, temperature=1.0, seed=0)
    naive_chars_per_s = best_rate(lambda: naive_generate(model, BENCH_PROMPT, naive_chars), naive_chars, repeats)
    chars_per_s = best_rate(lambda: "".join(generate(stepper, BENCH_PROMPT, sampling)), chars, repeats)
    batcher = BatchedGeneration(stepper)
    batched_chars_per_s = best_rate(lambda: _users_at_once(batcher, users, chars), users * chars, repeats)
    return {
        "cpu": cpu_name(),
        **({"gpu": torch.cuda.get_device_name(stepper.device)} if stepper.device.type == "cuda" else {}),
        "cell": model.config.cell,
        "device": str(stepper.device),
        "precision": stepper.precision,
        "hidden_size": model.config.hidden_size,
        "num_layers": model.config.num_layers,
        "threads": torch.get_num_threads(),
        "naive_chars_per_s": round(naive_chars_per_s, 1),
        "chars_per_s": round(chars_per_s, 1),
        "speedup": round(chars_per_s / naive_chars_per_s, 2),
        "users_at_once": users,
        "batched_chars_per_s": round(batched_chars_per_s, 1),
        "batched_speedup": round(batched_chars_per_s / chars_per_s, 2),
    }
