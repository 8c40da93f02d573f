"""The recurrent cells from scratch, in plain tensor operations, step by step: what `nn.RNN`, `nn.GRU` and
`nn.LSTM` compute, with every intermediate value kept for display and for gradients.

The equations, as PyTorch documents them (x_t the layer's input, h_{t-1} its previous state, H hidden units):

    Elman RNN  h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)                (or ReLU)
    GRU        r = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)                      reset gate
               z = σ(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)                      update gate
               n = tanh(W_in x_t + b_in + r ⊙ (W_hn h_{t-1} + b_hn))             candidate
               h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}
    LSTM       i, f, g, o = σ(·), σ(·), tanh(·), σ(·) of W_i* x_t + b_i* + W_h* h_{t-1} + b_h*
               c_t = f ⊙ c_{t-1} + i ⊙ g                                         cell state
               h_t = o ⊙ tanh(c_t)

W_ih stacks the gates' input matrices (gates * H, inputs) in PyTorch's order (r, z, n for the GRU; i, f, g, o
for the LSTM), W_hh their recurrent ones (gates * H, H). The input terms of a whole sequence are one product;
the recurrence runs step by step. The products are PyTorch's own (`F.linear`), in PyTorch's order: against its
ATen kernels the results agree to the last bit; its oneDNN path (the CPU default) sums in another order, a few
float32 roundings away (tests/test_inside_cells.py). Nothing here is under `inference_mode`: the same code serves the unrolled view
(no gradients) and gradient measurements (the gradient lab keeps each step's state to read its gradient).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from ..backbone import State

GATES = {"rnn": (), "gru": ("r", "z", "n"), "lstm": ("i", "f", "g", "o")}
NONLINEARITIES = {"tanh": torch.tanh, "relu": torch.relu}


@dataclass
class LayerWeights:
    """One layer's weights: w_ih (gates * hidden, inputs), w_hh (gates * hidden, hidden), biases (gates * hidden,)."""

    w_ih: torch.Tensor
    w_hh: torch.Tensor
    b_ih: torch.Tensor
    b_hh: torch.Tensor

    @property
    def hidden_size(self) -> int:
        return self.w_hh.shape[1]


@dataclass
class Unrolled:
    """A sequence run through the cells.

    outputs (batch, time, hidden): the last layer's states; state: as PyTorch returns it, h (layers, batch,
    hidden) or (h, c). With `record`, `layers[k]` holds layer k's values at every step, each (batch, time, hidden)
    unless said: "h_prev", "input_term" and "recurrent_term" (batch, time, gates * hidden, the two
    pre-activation sums W_ih x_t + b_ih and W_hh h_{t-1} + b_hh), the gates by name, "c" and "c_prev" (LSTM),
    "h"; and `steps[k]` the state tensors h_t themselves, one per step (batch, hidden), to read gradients from
    (`cell_steps[k]`: the LSTM's c_t likewise; empty for the other cells)."""

    outputs: torch.Tensor
    state: State
    layers: list[dict[str, torch.Tensor]] = field(default_factory=list)
    steps: list[list[torch.Tensor]] = field(default_factory=list)
    cell_steps: list[list[torch.Tensor]] = field(default_factory=list)


def weights_of(rnn: nn.RNNBase) -> list[LayerWeights]:
    """The layers' weights of a unidirectional PyTorch RNN, GRU or LSTM (shared, not copied)."""
    if rnn.bidirectional or getattr(rnn, "proj_size", 0):
        raise ValueError("the from-scratch cells read one direction and no projection")
    if not rnn.bias:
        raise ValueError("the from-scratch cells expect biases (nn.RNNBase's default)")
    return [LayerWeights(*(getattr(rnn, f"{name}_l{k}") for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")))
            for k in range(rnn.num_layers)]


def cell_name(rnn: nn.RNNBase) -> str:
    """"rnn", "gru" or "lstm" for a PyTorch recurrent module."""
    return {nn.LSTM: "lstm", nn.GRU: "gru", nn.RNN: "rnn"}[type(rnn)]


def step(cell: str, x_term: torch.Tensor, h: torch.Tensor, c: torch.Tensor | None, layer: LayerWeights,
         nonlinearity: str = "tanh") -> tuple[torch.Tensor, torch.Tensor | None, dict[str, torch.Tensor]]:
    """One step of one layer. x_term (batch, gates * hidden) = W_ih x_t + b_ih; h, c (batch, hidden).

    Returns h_t, c_t (None but for the LSTM) and the step's parts: "recurrent_term" and the gates."""
    h_term = F.linear(h, layer.w_hh, layer.b_hh)  # (batch, gates * hidden)
    parts = {"recurrent_term": h_term}
    if cell == "rnn":
        return NONLINEARITIES[nonlinearity](x_term + h_term), None, parts
    if cell == "gru":
        x_r, x_z, x_n = x_term.chunk(3, 1)
        h_r, h_z, h_n = h_term.chunk(3, 1)
        r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
        n = torch.tanh(x_n + r * h_n)
        parts.update(r=r, z=z, n=n)
        return (1 - z) * n + z * h, None, parts
    gates = (x_term + h_term).chunk(4, 1)
    i, f, o = torch.sigmoid(gates[0]), torch.sigmoid(gates[1]), torch.sigmoid(gates[3])
    g = torch.tanh(gates[2])
    c = f * c + i * g
    parts.update(i=i, f=f, g=g, o=o)
    return o * torch.tanh(c), c, parts


def unroll(cell: str, layers: list[LayerWeights], x: torch.Tensor, state: State | None = None,
           record: bool = False, nonlinearity: str = "tanh") -> Unrolled:
    """Run x (batch, time, inputs) through the stacked layers, step by step, from `state` (default zeros).

    Equal to the PyTorch module the weights came from (tests hold it to 1e-5 in float32)."""
    if cell not in GATES:
        raise ValueError(f"unknown cell {cell!r}: choose one of {', '.join(GATES)}")
    batch, time, _ = x.shape
    h0, c0 = _initial(cell, layers, batch, x, state)
    result = Unrolled(outputs=x, state=None)  # type: ignore[arg-type]
    finals_h, finals_c = [], []
    for k, layer in enumerate(layers):
        x_terms = F.linear(x, layer.w_ih, layer.b_ih)  # (batch, time, gates * hidden): all steps' input terms at once
        h, c, hs, record_k = h0[k], (c0[k] if c0 is not None else None), [], {}
        for t in range(time):
            h_prev, c_prev = h, c
            h, c, parts = step(cell, x_terms[:, t], h, c, layer, nonlinearity)
            hs.append(h)
            if record:
                for name, value in {"h_prev": h_prev, "c_prev": c_prev, "c": c, **parts}.items():
                    if value is not None:
                        record_k.setdefault(name, []).append(value)
        x = torch.stack(hs, 1)  # (batch, time, hidden): the next layer's input
        finals_h.append(h)
        finals_c.append(c)
        if record:
            result.layers.append({"input_term": x_terms, **{n: torch.stack(v, 1) for n, v in record_k.items()}, "h": x})
            result.steps.append(hs)
            result.cell_steps.append(record_k.get("c", []))
    result.outputs = x
    h_n = torch.stack(finals_h)  # (layers, batch, hidden)
    result.state = (h_n, torch.stack(finals_c)) if cell == "lstm" else h_n
    return result


def _initial(cell: str, layers: list[LayerWeights], batch: int, x: torch.Tensor, state: State | None):
    """Each layer's h0 (and c0 for the LSTM), zeros unless given as PyTorch gives states: (layers, batch, hidden)."""
    if state is None:
        zeros = [x.new_zeros(batch, layer.hidden_size) for layer in layers]
        return zeros, (zeros if cell == "lstm" else None)
    if cell == "lstm":
        return list(state[0]), list(state[1])
    return list(state), None


def replay_layer(cell: str, layer: LayerWeights, x: torch.Tensor, h: torch.Tensor) -> dict[str, torch.Tensor]:
    """What `unroll(..., record=True)` records for one layer, re-derived in batched products from its input x
    (batch, time, inputs) and its outputs h (batch, time, hidden) computed by a fast path, from zero states: every
    step's terms and gates at once, given h_{t-1}; only the LSTM's cell state is an elementwise loop over time."""
    h_prev = torch.cat([torch.zeros_like(h[:, :1]), h[:, :-1]], 1)  # (batch, time, hidden)
    x_terms = F.linear(x, layer.w_ih, layer.b_ih)  # (batch, time, gates * hidden)
    h_terms = F.linear(h_prev, layer.w_hh, layer.b_hh)
    record = {"input_term": x_terms, "h_prev": h_prev, "recurrent_term": h_terms}
    if cell == "gru":
        (x_r, x_z, x_n), (h_r, h_z, h_n) = x_terms.chunk(3, -1), h_terms.chunk(3, -1)
        r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
        record.update(r=r, z=z, n=torch.tanh(x_n + r * h_n))
    elif cell == "lstm":
        i, f, g, o = (x_terms + h_terms).chunk(4, -1)
        i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
        c, cs = torch.zeros_like(h[:, 0]), []
        for t in range(h.shape[1]):
            c = f[:, t] * c + i[:, t] * g[:, t]
            cs.append(c)
        c_all = torch.stack(cs, 1)  # (batch, time, hidden)
        record.update(c_prev=torch.cat([torch.zeros_like(c_all[:, :1]), c_all[:, :-1]], 1), c=c_all,
                      i=i, f=f, g=g, o=o)
    record["h"] = h
    return record


def replay(cell: str, layers: list[LayerWeights], x: torch.Tensor, layer_outputs: list[torch.Tensor]) -> Unrolled:
    """`replay_layer` for every layer: x (batch, time, inputs) the first layer's input, layer_outputs each
    layer's outputs (batch, time, hidden)."""
    inputs = [x, *layer_outputs[:-1]]
    return from_records(cell, [replay_layer(cell, layer, x_k, h) for layer, x_k, h in zip(layers, inputs, layer_outputs)])


def from_records(cell: str, records: list[dict[str, torch.Tensor]]) -> Unrolled:
    """An Unrolled from each layer's record: the last layer's outputs, the final states, the records."""
    h_n = torch.stack([record["h"][:, -1] for record in records])  # (layers, batch, hidden)
    state = (h_n, torch.stack([record["c"][:, -1] for record in records])) if cell == "lstm" else h_n
    return Unrolled(records[-1]["h"], state, records)


def single_layers(rnn: nn.RNNBase) -> list[nn.RNNBase]:
    """A multi-layer PyTorch RNN as one single-layer module per layer, sharing its weights: the fast path that
    gives every layer's outputs (for `replay`)."""
    modules = []
    for k, layer in enumerate(weights_of(rnn)):
        kwargs = {"nonlinearity": rnn.nonlinearity} if isinstance(rnn, nn.RNN) else {}
        module = type(rnn)(layer.w_ih.shape[1], layer.hidden_size, batch_first=True, **kwargs)
        for name, value in zip(("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"),
                               (layer.w_ih, layer.w_hh, layer.b_ih, layer.b_hh)):
            setattr(module, name, value if isinstance(value, nn.Parameter) else nn.Parameter(value))
        modules.append(module.to(layer.w_ih.device).eval())
    return modules


def layer_outputs(modules: list[nn.RNNBase], x: torch.Tensor) -> list[torch.Tensor]:
    """Each layer's outputs (batch, time, hidden) through the single-layer modules, from zero states."""
    outputs = []
    for module in modules:
        x, _ = module(x)
        outputs.append(x)
    return outputs
