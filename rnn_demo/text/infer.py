"""What the UI and the command line call: prompt checks, priming, sampling, streamed generation.

The served path is `CharStepper`: one character per step on float32 weights pre-arranged
for batch-1 matrix-vector products, with the embedding folded into the first layer's input
projection. It computes the same function as `CharLM.forward` on the same weights (a test
checks this), so `evaluate`, which runs the batched forward, measures the model as served.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import torch

from ..backbone import State
from .data import encode
from .model import CharLM

MAX_PROMPT_CHARS = 4000
MAX_NEW_CHARS = 2000
START = "\n"  # an empty prompt starts from a new line, as a play's speeches do

LayerState = list[torch.Tensor]  # one (batch, hidden) tensor per layer, [h..., c...] for an LSTM


class CharStepper:
    """Runs a loaded CharLM one character at a time. Holds weights only, never a user's state."""

    def __init__(self, model: CharLM) -> None:
        rnn, self.cell = model.backbone.rnn, model.config.cell
        self.layers, self.vocab = rnn.num_layers, model.config.vocab
        with torch.no_grad():
            w = {name: p.detach().float().clone() for name, p in rnn.named_parameters()}
            # (vocab, gates * hidden): embedding through layer 0's input weights and its input bias
            self.table = model.embed.weight.float() @ w["weight_ih_l0"].T + w["bias_ih_l0"]
            self.w_hh = [w[f"weight_hh_l{k}"].T.contiguous() for k in range(self.layers)]  # (hidden, gates*hidden)
            self.b_hh = [w[f"bias_hh_l{k}"].unsqueeze(0) for k in range(self.layers)]
            self.w_ih = [None] + [w[f"weight_ih_l{k}"].T.contiguous() for k in range(1, self.layers)]
            self.b_ih = [None] + [w[f"bias_ih_l{k}"].unsqueeze(0) for k in range(1, self.layers)]
            self.head_w = model.head.weight.detach().float().T.contiguous()  # (hidden, vocab)
            self.head_b = model.head.bias.detach().float().unsqueeze(0)
        self.model = model
        self.device = self.table.device

    @torch.inference_mode()
    def prime(self, ids: torch.Tensor) -> tuple[torch.Tensor, LayerState]:
        """Run a prompt (batch, time) through the batched forward: last logits (batch, vocab), state."""
        logits, state, _ = self.model(ids)
        return logits[:, -1], self._to_layers(state)

    @torch.inference_mode()
    def step(self, ids: torch.Tensor, state: LayerState) -> tuple[torch.Tensor, LayerState]:
        """One character per sequence: ids (batch,) -> logits (batch, vocab), the next state."""
        n = self.layers
        hs, cs = state[:n], state[n:]
        new_h, new_c = [], []
        x = None
        for k in range(n):
            if k == 0:
                gi = self.table[ids]  # (batch, gates * hidden)
            else:
                gi = torch.addmm(self.b_ih[k], x, self.w_ih[k])
            gh = torch.addmm(self.b_hh[k], hs[k], self.w_hh[k])  # (batch, gates * hidden)
            if self.cell == "lstm":
                x, c = _lstm(gi + gh, cs[k])
                new_c.append(c)
            elif self.cell == "gru":
                x = _gru(gi, gh, hs[k])
            else:
                x = torch.tanh(gi + gh)
            new_h.append(x)
        logits = torch.addmm(self.head_b, x, self.head_w)  # (batch, vocab)
        return logits, new_h + new_c

    def _to_layers(self, state: State) -> LayerState:
        if isinstance(state, tuple):
            return list(state[0].unbind(0)) + list(state[1].unbind(0))
        return list(state.unbind(0))


def _lstm(gates: torch.Tensor, c: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    i, f, g, o = gates.chunk(4, 1)  # PyTorch's gate order
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c), c


def _gru(gi: torch.Tensor, gh: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    i_r, i_z, i_n = gi.chunk(3, 1)
    h_r, h_z, h_n = gh.chunk(3, 1)
    r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
    n = torch.tanh(i_n + r * h_n)
    return (1 - z) * n + z * h


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
