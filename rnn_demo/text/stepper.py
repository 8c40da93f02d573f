"""The served arithmetic of a character LM: its trained weights run layer by layer, step by step.

At batch 1 a recurrent step is a few matrix-vector products whose cost is reading the weights:
a 2 x 512 LSTM holds 12 MB of float32 matrices, more than a core's L2 cache. On the CPU the
served path stores each matrix as int8 rows with one scale per row (weight-only quantization:
four times less to read) and multiplies it with bfloat16 activations in PyTorch's
`_weight_int8pack_mm` kernel, the one torchao's int8 weight-only mode runs on. Cell updates,
the embedding table and the state stay in float32.

`CharStepper.run` (whole sequences, for prompts and evaluation) and `CharStepper.step` (one
character, for sampling) compute the same function on the same weights, so `evaluate`, which
scores text through `run`, measures the model exactly as the app serves it. With
`precision="float32"` the stepper computes `CharLM.forward` (a test checks both).
"""
from __future__ import annotations

from typing import Protocol

import torch

from .model import CharLM, CharLMConfig
from .primed import PrimedPrompts

PRECISIONS = ("int8", "float32")


class Generation(Protocol):
    """The loop a stepper keeps for its users' generations: text/batcher.py's BatchedGeneration, which builds on
    this module (so this one names only what it keeps, and imports nothing of the batcher's)."""

    @property
    def users(self) -> int:
        """How many requests are generating or waiting."""


# One (h, c) pair per layer, each (batch, hidden); c is None except for an LSTM.
LayerState = list[tuple[torch.Tensor, torch.Tensor | None]]


# The int8 kernel reads its inputs in blocks of 16 features: other widths crash or give garbage
# (seen with torch 2.13), so int8 is only ever used where every product's width is a multiple.
INT8_WIDTH_MULTIPLE = 16


def int8_supported(device: torch.device, hidden_size: int) -> bool:
    return (device.type == "cpu" and hidden_size % INT8_WIDTH_MULTIPLE == 0
            and hasattr(torch.ops.aten, "_weight_int8pack_mm"))


def served_precision(device: torch.device, hidden_size: int) -> str:
    """int8 weights where the CPU kernel supports them; float32 elsewhere (a GPU is not bandwidth-starved)."""
    return "int8" if int8_supported(device, hidden_size) else "float32"


class Projection:
    """x (rows, in) -> x @ weight.T + bias (rows, out), float32 in and out, the weight int8 or float32."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None, precision: str) -> None:
        weight = weight.detach().float()  # (out, in)
        self.int8 = precision == "int8"
        if self.int8:
            scales = weight.abs().amax(1).clamp_min(1e-12) / 127  # (out,)
            self.weight = torch.round(weight / scales[:, None]).to(torch.int8).contiguous()  # (out, in)
            self.scales = scales.to(torch.bfloat16)
        else:
            self.weight = weight.T.contiguous()  # (in, out), for addmm
        self.bias = torch.zeros(weight.size(0), device=weight.device) if bias is None else bias.detach().float()

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if self.int8:
            y = torch.ops.aten._weight_int8pack_mm(x.to(torch.bfloat16), self.weight, self.scales)
            return self.bias + y  # float32: the bias promotes the bfloat16 product
        return torch.addmm(self.bias, x, self.weight)


def _lstm(gi: torch.Tensor, gh: torch.Tensor, h: torch.Tensor, c: torch.Tensor | None):
    i, f, g, o = (gi + gh).chunk(4, 1)  # PyTorch's gate order
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c), c


def _gru(gi: torch.Tensor, gh: torch.Tensor, h: torch.Tensor, c: None):
    i_r, i_z, i_n = gi.chunk(3, 1)
    h_r, h_z, h_n = gh.chunk(3, 1)
    r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
    return (1 - z) * torch.tanh(i_n + r * h_n) + z * h, None


def _rnn(gi: torch.Tensor, gh: torch.Tensor, h: torch.Tensor, c: None):
    return torch.tanh(gi + gh), None


CELL_UPDATES = {"lstm": _lstm, "gru": _gru, "rnn": _rnn}
# Read before every prompt: a blank line, as before each speech in the plays. The models were trained on streams whose
# state was always carried, so the zero state is foreign to them: from it the first characters of a prompt read far
# worse, most of all the LSTM's (`python -m rnn_demo bench lead-in`).
LEAD_IN = "\n\n"
STEP_ROWS = 16  # a float32 step's rows: a block of this many, padded (see CharStepper.step)


def _row_slice(state: LayerState, start: int, rows: int) -> LayerState:
    return [(h[start:start + rows], None if c is None else c[start:start + rows]) for h, c in state]


def _joined(states: list[LayerState]) -> LayerState:
    """The rows of several states, one after another."""
    return [(torch.cat([state[k][0] for state in states]),
             None if states[0][k][1] is None else torch.cat([state[k][1] for state in states]))
            for k in range(len(states[0]))]


def _padded(ids: torch.Tensor, state: LayerState) -> tuple[torch.Tensor, LayerState]:
    """ids (n,) and the state's rows padded with zeros to STEP_ROWS rows."""
    missing = STEP_ROWS - len(ids)
    if missing == 0:
        return ids, state

    def pad(x: torch.Tensor) -> torch.Tensor:
        return torch.cat([x, x.new_zeros(missing, *x.shape[1:])])

    return pad(ids), [(pad(h), None if c is None else pad(c)) for h, c in state]


class CharStepper:
    """A loaded CharLM as served. Its arithmetic holds weights only, never a user's state: many users share one
    (their generations run in the loop kept as `generation`, text/batcher.py)."""

    def __init__(self, model: CharLM, precision: str | None = None) -> None:
        rnn = model.backbone.rnn
        self.config: CharLMConfig = model.config
        self.vocab = model.config.vocab
        self.device = model.head.weight.device
        self.precision = precision or served_precision(self.device, model.config.hidden_size)
        if self.precision not in PRECISIONS:
            raise ValueError(f"unknown precision {self.precision!r}: choose one of {', '.join(PRECISIONS)}")
        if self.precision == "int8" and not int8_supported(self.device, model.config.hidden_size):
            raise ValueError(f"int8 needs a CPU and a hidden size that is a multiple of {INT8_WIDTH_MULTIPLE} "
                             f"(this model: {model.config.hidden_size} on {self.device}); use float32")
        self.parameter_count = model.num_parameters()  # the trained model's, as its card gives it
        self.update = CELL_UPDATES[model.config.cell]
        w = dict(rnn.named_parameters())
        with torch.no_grad():
            # (vocab, gates * hidden): the embedding through layer 0's input projection, in float32
            self.table = model.embed.weight.float() @ w["weight_ih_l0"].float().T + w["bias_ih_l0"].float()
        self.w_ih = [None] + [Projection(w[f"weight_ih_l{k}"], w[f"bias_ih_l{k}"], self.precision)
                              for k in range(1, rnn.num_layers)]
        self.w_hh = [Projection(w[f"weight_hh_l{k}"], w[f"bias_hh_l{k}"], self.precision)
                     for k in range(rnn.num_layers)]
        self.head = Projection(model.head.weight, model.head.bias, self.precision)
        # The loop that generates for this model's users at once (text/batcher.py), made on first use and
        # kept here so that it goes when the model does (a visitor's model, evicted).
        self.generation: Generation | None = None
        self.primed = PrimedPrompts()  # prompts read once for the table and the generation (text/primed.py)
        self._lead_in: tuple[torch.Tensor | None, LayerState] | None = None  # (logits, state) after LEAD_IN: lead_in()

    def initial_state(self, batch: int) -> LayerState:
        zeros = torch.zeros(batch, self.config.hidden_size, device=self.device)
        return [(zeros, zeros if self.config.cell == "lstm" else None) for _ in self.w_hh]

    @torch.inference_mode()
    def run(self, ids: torch.Tensor, state: LayerState | None = None) -> tuple[torch.Tensor, LayerState]:
        """ids (batch, time) -> logits (batch, time, vocab), the state after the last character.

        Layer by layer: each layer's input projection for the whole sequence is one product."""
        batch, time = ids.shape
        state = state or self.initial_state(batch)
        new_state: LayerState = []
        x = None  # (batch, time, hidden): the previous layer's outputs
        for k, (h, c) in enumerate(state):
            gi_all = self.table[ids] if k == 0 else self.w_ih[k](x.flatten(0, 1)).view(batch, time, -1)
            outputs = []
            for t in range(time):
                h, c = self.update(gi_all[:, t], self.w_hh[k](h), h, c)
                outputs.append(h)
            x = torch.stack(outputs, 1)
            new_state.append((h, c))
        return self.head(x.flatten(0, 1)).view(batch, time, -1), new_state

    @torch.inference_mode()
    def step(self, ids: torch.Tensor, state: LayerState) -> tuple[torch.Tensor, LayerState]:
        """One character per sequence: ids (batch,) -> logits (batch, vocab), the next state.

        In float32 the rows go in blocks of exactly STEP_ROWS (the last padded with zeros): BLAS and cuBLAS choose
        their kernel, and so the order of a sum, by the product's shape, so a fixed shape keeps each row's numbers
        the same whoever else is stepped with it (int8 rows are computed one by one in the kernel already)."""
        if self.precision == "int8":
            return self._step(ids, state)
        logits, states = [], []
        for start in range(0, len(ids), STEP_ROWS):
            rows = min(STEP_ROWS, len(ids) - start)
            block_logits, block_state = self._step(*_padded(ids[start:start + rows], _row_slice(state, start, rows)))
            logits.append(block_logits[:rows])
            states.append(_row_slice(block_state, 0, rows))
        return torch.cat(logits), _joined(states)

    def _step(self, ids: torch.Tensor, state: LayerState) -> tuple[torch.Tensor, LayerState]:
        new_state: LayerState = []
        x = None  # (batch, hidden)
        for k, (h, c) in enumerate(state):
            gi = self.table[ids] if k == 0 else self.w_ih[k](x)  # (batch, gates * hidden)
            x, c = self.update(gi, self.w_hh[k](h), h, c)
            new_state.append((x, c))
        return self.head(x), new_state

    def lead_in(self, batch: int = 1) -> tuple[torch.Tensor | None, LayerState]:
        """The logits (batch, vocab) and state after reading LEAD_IN from the zero state, where every prompt is read
        from; a model whose vocabulary lacks its characters (a visitor's) starts from the zero state (no logits).
        Computed once per model: its tensors are never written to."""
        if self._lead_in is None:
            if all(ch in self.vocab[1:] for ch in LEAD_IN):
                ids = torch.tensor([[self.vocab.index(ch) for ch in LEAD_IN]], device=self.device)
                logits, state = self.run(ids)
                self._lead_in = (logits[:, -1], state)
            else:
                self._lead_in = (None, self.initial_state(1))
        logits, state = self._lead_in
        rows = [(h.expand(batch, -1), None if c is None else c.expand(batch, -1)) for h, c in state]
        return None if logits is None else logits.expand(batch, -1), rows

    def prime(self, ids: torch.Tensor) -> tuple[torch.Tensor, LayerState]:
        """Run a prompt (batch, time) after LEAD_IN: the logits after its last character (batch, vocab), the state.
        An empty prompt (time 0) gives the lead-in's own, where the model has them."""
        logits, state = self.lead_in(ids.size(0))
        if ids.size(1) == 0 and logits is not None:
            return logits, state
        if ids.size(1) == 0:  # no lead-in (a vocabulary without a line break): read the unknown symbol
            ids = torch.zeros((ids.size(0), 1), dtype=torch.long, device=self.device)
        out, state = self.run(ids, state)
        return out[:, -1], state
