"""The lab's network: one recurrent layer of the from-scratch cells (inside/cells.py) and a linear readout of its
last state. Its weights are made from a generator (no global random state), with the recurrent matrices scaled
to a chosen spectral radius, so a visitor can start a vanilla RNN where gradients vanish or explode.

Three ways through the same weights: `forward` runs the from-scratch cells (what the Inside views show, every
intermediate value kept); a lab run trains through PyTorch's fused kernels instead, the whole sequence in one call
(`fused_states`), or one fused cell per step where each step's state must keep its gradient (`stepped_states`, for
the gradient profile); `gate_means` re-derives the gates from the states in batched products. Tests hold the three
to the from-scratch cells."""
from __future__ import annotations

import math

import torch
from torch import _VF, nn

from ..inside.cells import GATES, LayerWeights, Unrolled, replay_layer, unroll

CELLS = {"rnn-tanh": ("rnn", "tanh"), "rnn-relu": ("rnn", "relu"), "gru": ("gru", "tanh"), "lstm": ("lstm", "tanh")}
GATE_MEANS = ("i", "f", "o", "r", "z")  # the gates whose mean a lab run shows (sigmoids: open 1, shut 0)
KEEP_GATE = {"lstm": 1, "gru": 1}  # the block of the forget gate f (i, f, g, o) and the update gate z (r, z, n)
CELL_NAMES = {"rnn-tanh": "vanilla RNN (tanh)", "rnn-relu": "vanilla RNN (ReLU)", "gru": "GRU", "lstm": "LSTM"}


def spectral_radius(matrix: torch.Tensor) -> float:
    """The largest |eigenvalue| of a square matrix."""
    return torch.linalg.eigvals(matrix.double()).abs().max().item()


class LabNet(nn.Module):
    """x (batch, time, inputs) -> outputs (batch, outputs) from the last state; `forward` also returns what the
    cells recorded (every step's h_t, kept to read each step's gradient, and the gates)."""

    def __init__(self, cell: str, inputs: int, hidden: int, outputs: int, scale: float | None,
                 generator: torch.Generator, keep_bias: float | None = None) -> None:
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"unknown cell {cell!r}: choose one of {', '.join(CELLS)}")
        self.cell, self.nonlinearity = CELLS[cell]
        gates = max(1, len(GATES[self.cell]))
        bound = 1 / math.sqrt(hidden)  # PyTorch's own initialisation of nn.RNN, nn.GRU and nn.LSTM

        def uniform(*shape: int) -> nn.Parameter:
            return nn.Parameter(torch.empty(*shape).uniform_(-bound, bound, generator=generator))

        self.w_ih, self.b_ih, self.b_hh = uniform(gates * hidden, inputs), uniform(gates * hidden), uniform(gates * hidden)
        recurrent = torch.empty(gates * hidden, hidden).uniform_(-bound, bound, generator=generator)
        if scale is not None:  # each gate's (hidden, hidden) matrix to the chosen spectral radius
            for block in recurrent.split(hidden):
                block.mul_(scale / spectral_radius(block))
        self.w_hh = nn.Parameter(recurrent)
        if keep_bias is not None and self.cell in KEEP_GATE:  # the gate that keeps the state: open it at the start
            with torch.no_grad():
                self.b_ih[KEEP_GATE[self.cell] * hidden:(KEEP_GATE[self.cell] + 1) * hidden] = keep_bias
                self.b_hh[KEEP_GATE[self.cell] * hidden:(KEEP_GATE[self.cell] + 1) * hidden] = 0.0
        self.readout = nn.Linear(hidden, outputs)
        with torch.no_grad():
            self.readout.weight.uniform_(-bound, bound, generator=generator)
            self.readout.bias.zero_()

    def layer(self) -> LayerWeights:
        return LayerWeights(self.w_ih, self.w_hh, self.b_ih, self.b_hh)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, Unrolled]:
        """outputs (batch, outputs) read from the last step's h; the unrolled record (steps[0]: each h_t)."""
        unrolled = unroll(self.cell, [self.layer()], x, record=True, nonlinearity=self.nonlinearity)
        return self.readout(unrolled.outputs[:, -1]), unrolled  # (batch, outputs)

    def fused_states(self, x: torch.Tensor) -> torch.Tensor:
        """Every step's state h_t (batch, time, hidden) from zero, through PyTorch's fused kernel of the whole sequence
        (what nn.RNN, nn.GRU and nn.LSTM run): the fast path of a training step."""
        h0 = x.new_zeros(1, x.size(0), self.w_hh.size(1))  # (layers, batch, hidden)
        kernel = {"rnn": _VF.rnn_tanh if self.nonlinearity == "tanh" else _VF.rnn_relu, "gru": _VF.gru,
                  "lstm": _VF.lstm}[self.cell]
        weights = [self.w_ih, self.w_hh, self.b_ih, self.b_hh]
        return kernel(x, (h0, h0) if self.cell == "lstm" else h0, weights, True, 1, 0.0, self.training, False,
                      True)[0]

    def stepped_states(self, x: torch.Tensor) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """Each step's state h_t (batch, hidden) from zero, and the LSTM's cell state c_t (none for the other cells),
        one fused cell (torch.lstm_cell, ...) per step: tensors of their own, so that each one's gradient can be read
        after a backward pass (`retain_grad`)."""
        cell = {"rnn": torch.rnn_tanh_cell if self.nonlinearity == "tanh" else torch.rnn_relu_cell,
                "gru": torch.gru_cell, "lstm": torch.lstm_cell}[self.cell]
        h = x.new_zeros(x.size(0), self.w_hh.size(1))  # (batch, hidden)
        c, states, cells = h, [], []
        for t in range(x.size(1)):
            if self.cell == "lstm":
                h, c = cell(x[:, t], (h, c), self.w_ih, self.w_hh, self.b_ih, self.b_hh)
                cells.append(c)
            else:
                h = cell(x[:, t], h, self.w_ih, self.w_hh, self.b_ih, self.b_hh)
            states.append(h)
        return states, cells

    def gate_means(self, x: torch.Tensor, states: torch.Tensor) -> dict[str, float]:
        """Each gate's mean over the batch and the steps (GATE_MEANS of this cell), from the input x (batch, time,
        inputs) and the states (batch, time, hidden) it gave: the gates the from-scratch cells record."""
        with torch.no_grad():
            record = replay_layer(self.cell, self.layer(), x, states)
        return {name: record[name].mean().item() for name in GATE_MEANS if name in record}
