"""The lab's network: one recurrent layer of the from-scratch cells (inside/cells.py) and a linear readout of its
last state. Its weights are made from a generator (no global random state), with the recurrent matrices scaled
to a chosen spectral radius, so a visitor can start a vanilla RNN where gradients vanish or explode."""
from __future__ import annotations

import math

import torch
from torch import nn

from ..inside.cells import GATES, LayerWeights, Unrolled, unroll

CELLS = {"rnn-tanh": ("rnn", "tanh"), "rnn-relu": ("rnn", "relu"), "gru": ("gru", "tanh"), "lstm": ("lstm", "tanh")}
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
