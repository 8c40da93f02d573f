"""What the UI and the command line call: prompt checks, priming, sampling, streamed generation.

Generation runs on `CharStepper` (stepper.py), the served arithmetic that `evaluate` measures.
"""
from __future__ import annotations

import os
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

import torch

from ..display import number_text
from .data import encode
from .stepper import CharStepper, LayerState

MAX_PROMPT_CHARS = 4000
MAX_NEW_CHARS = 2000


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
            raise ValueError("seed must be between 0 and 2**63 - 1, or -1 (in the app; none in Python) for a "
                             f"different text each time, got {number_text(self.seed)}")
        return self


def unknown_characters(text: str, vocab: list[str]) -> list[str]:
    """The characters of `text` that the model's vocabulary lacks (id 0 is the unknown symbol), sorted, once each."""
    known = set(vocab[1:])
    return sorted({ch for ch in text if ch not in known})


# What a typed or pasted prompt holds and the plays (plain ASCII) never do, read as the plain character the model
# knows: read as the unknown symbol, whose embedding training never moved, one ’ cost about 10 bits over a
# 190-character passage (an ML review). Accented letters lose their accents (unicodedata's NFKD, below).
PLAIN_FORMS = {"\u2018": "'", "\u2019": "'", "\u201b": "'", "\u2032": "'", "\u201c": '"', "\u201d": '"',
               "\u201e": '"', "\u2033": '"', "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u00a0": " ",
               "\u2009": " ", "\u202f": " "}


def plain_forms(text: str, vocab: list[str]) -> dict[str, str]:
    """Each character of `text` the vocabulary lacks whose plain form it has: curly quotes, dashes, no-break spaces
    (PLAIN_FORMS), a letter with accents (its letter), one character for one."""
    known, forms = set(vocab[1:]), {}
    for ch in set(text) - known:
        decomposed = unicodedata.normalize("NFKD", ch)
        accented = len(decomposed) > 1 and all(unicodedata.combining(mark) for mark in decomposed[1:])
        plain = PLAIN_FORMS.get(ch) or (decomposed[0] if accented else None)
        if plain in known:
            forms[ch] = plain
    return forms


def check_prompt(prompt: str, vocab: list[str]) -> tuple[str, list[str]]:
    """The prompt as the model reads it (plain_forms replaced) and the characters the model does not know."""
    if prompt is None:
        prompt = ""
    if len(prompt) > MAX_PROMPT_CHARS:
        raise ValueError(f"the prompt has {len(prompt):,} characters; the limit is {MAX_PROMPT_CHARS:,}")
    if forms := plain_forms(prompt, vocab):
        prompt = "".join(forms.get(ch, ch) for ch in prompt)
    return prompt, unknown_characters(prompt, vocab)


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
        drop[..., 0] = False  # and the likeliest always (a top_p below float32's range, 1e-50, dropped every one)
        probs = probs.masked_fill(drop.scatter(-1, order, drop), 0.0)
        probs = probs / probs.sum(-1, keepdim=True)
    return probs


class HeldBackText:
    """The generated text as shown: characters that could begin the stop string are held back until the
    text rules it out, and the stop string itself is never shown."""

    def __init__(self, stop: str) -> None:
        self.stop, self.produced, self.shown = stop, "", 0

    def add(self, char: str) -> tuple[str, bool]:
        """Take one sampled character; return the text now safe to show and whether the stop string ended it."""
        self.produced += char
        if self.stop and self.produced.endswith(self.stop):
            end = len(self.produced) - len(self.stop)
            piece, self.shown = self.produced[self.shown:end], end
            return piece, True
        safe = len(self.produced) - self._could_begin_stop()
        piece, self.shown = self.produced[self.shown:safe], max(self.shown, safe)
        return piece, False

    def _could_begin_stop(self) -> int:
        """The length of the longest end of the text not yet shown that is a beginning of the stop string."""
        for length in range(min(len(self.stop) - 1, len(self.produced) - self.shown), 0, -1):
            if self.produced.endswith(self.stop[:length]):
                return length
        return 0

    def rest(self) -> str:
        """What was held back when the length limit ends the text: it did not become the stop string."""
        piece, self.shown = self.produced[self.shown:], len(self.produced)
        return piece


def seeded_generator(sampling: Sampling, device: torch.device) -> torch.Generator:
    """A request's own generator: from its seed (the same seed gives the same text), else from the system's entropy.
    No request draws from torch's process-wide generator, which anything in the process may reseed (the first page
    load's example training set it to 0, and every "random" text was then the same after each restart) and which
    made one visitor's draws decide the next visitor's text."""
    seed = int.from_bytes(os.urandom(8), "little") >> 1 if sampling.seed is None else int(sampling.seed)
    return torch.Generator(device).manual_seed(seed)


def without_unknown(logits: torch.Tensor) -> torch.Tensor:
    """A copy of logits (rows, vocab) in which the unknown symbol (id 0) can never be drawn."""
    logits = logits.clone()
    logits[:, 0] = float("-inf")
    return logits


def sample_next(logits: torch.Tensor, sampling: Sampling, generator: torch.Generator) -> int:
    """One character id drawn from logits (1, vocab) as `sampling` says; the unknown symbol is never drawn."""
    probs = filter_logits(without_unknown(logits), sampling.temperature, sampling.top_k, sampling.top_p)
    return int(torch.multinomial(probs, 1, generator=generator)[0, 0])


def prompt_ids(stepper: CharStepper, prompt: str) -> torch.Tensor:
    """The prompt as ids (1, time) on the stepper's device (time 0 for an empty one: CharStepper.prime reads it
    after its lead-in)."""
    text, _ = check_prompt(prompt, stepper.vocab)
    return torch.tensor([encode(text, stepper.vocab)], dtype=torch.long, device=stepper.device).view(1, -1)


def primed(stepper: CharStepper, prompt: str, owner: str | None = None) -> tuple[torch.Tensor, LayerState]:
    """The logits after the prompt (1, vocab) and the state, read once per prompt and kept for `owner`'s next
    requests (None: anyone's; text/primed.py): callers must not modify them in place."""
    check_prompt(prompt, stepper.vocab)  # a refused prompt is never primed or kept

    def prime(text: str) -> tuple[torch.Tensor, LayerState]:
        with torch.inference_mode():
            return stepper.prime(prompt_ids(stepper, text))
    return stepper.primed.get(prompt, prime, owner)


@torch.inference_mode()
def generate(stepper: CharStepper, prompt: str, sampling: Sampling) -> Iterator[str]:
    """Yield new text after priming on `prompt` (not repeated), piece by piece as it is sampled: one request
    on its own. The app serves many at once through `BatchedGeneration` (batcher.py), with the same result."""
    sampling = sampling.validated()
    generator = seeded_generator(sampling, stepper.device)
    logits, state = primed(stepper, prompt)  # (1, vocab)
    text = HeldBackText(sampling.stop)
    for _ in range(sampling.max_new_chars):
        next_id = sample_next(logits, sampling, generator)
        piece, stopped = text.add(stepper.vocab[next_id])
        if piece:
            yield piece
        if stopped:
            return
        logits, state = stepper.step(torch.tensor([next_id], device=stepper.device), state)
    if rest := text.rest():
        yield rest


@torch.inference_mode()
def next_char_table(stepper: CharStepper, prompt: str, k: int = 10,
                    owner: str | None = None) -> list[tuple[str, float]]:
    """The model's `k` most likely next characters after `prompt`, with their probabilities (`owner`: `primed`'s)."""
    logits, _ = primed(stepper, prompt, owner)
    probs = torch.softmax(logits[0], dim=-1)
    top = torch.topk(probs, min(k, probs.numel()))
    return [(stepper.vocab[i], float(p)) for p, i in zip(top.values.tolist(), top.indices.tolist())]
