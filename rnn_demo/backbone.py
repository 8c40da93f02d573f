"""The recurrent backbone every task shares: a stack of RNN, GRU or LSTM layers chosen by name."""
from __future__ import annotations

import math

import torch
from torch import nn

CELLS: dict[str, type[nn.RNNBase]] = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}
CELL_LABELS: dict[str, str] = {"rnn": "Vanilla RNN", "gru": "GRU", "lstm": "LSTM"}
GATES: dict[str, int] = {"rnn": 1, "gru": 3, "lstm": 4}  # weight rows per hidden unit
Shapes = dict[str, tuple[int, ...]]  # a state_dict's tensor names and shapes

# The recurrent state: h of shape (layers * directions, batch, hidden), or (h, c) for an LSTM.
State = torch.Tensor | tuple[torch.Tensor, torch.Tensor]


def check_cell(cell: str) -> str:
    """Return `cell` if it names a known cell, else raise a ValueError listing the valid names."""
    if cell not in CELLS:
        valid = ", ".join(repr(name) for name in CELLS)
        raise ValueError(f"unknown cell {cell!r}: choose one of {valid}")
    return cell


def detach_state(state: State | None) -> State | None:
    """Cut the autograd history of a carried state (truncated backpropagation through time)."""
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)  # type: ignore[return-value]
    return state.detach()


def backbone_shapes(cell: str, input_size: int, hidden_size: int, num_layers: int = 1,
                    bidirectional: bool = False, prefix: str = "backbone.rnn.") -> Shapes:
    """The Backbone's state_dict shapes by formula, without building it (torch's names: weight_ih_l0_reverse...)."""
    rows, shapes = GATES[check_cell(cell)] * hidden_size, {}
    for layer in range(num_layers):
        inputs = input_size if layer == 0 else hidden_size * (2 if bidirectional else 1)
        for suffix in ("", "_reverse") if bidirectional else ("",):
            shapes.update({f"{prefix}weight_ih_l{layer}{suffix}": (rows, inputs),
                           f"{prefix}weight_hh_l{layer}{suffix}": (rows, hidden_size),
                           f"{prefix}bias_ih_l{layer}{suffix}": (rows,), f"{prefix}bias_hh_l{layer}{suffix}": (rows,)})
    return shapes


def num_parameters(shapes: Shapes) -> int:
    """The number of values in tensors of these shapes."""
    return sum(math.prod(shape) for shape in shapes.values())


class Backbone(nn.Module):
    """A multi-layer recurrent network over batch-first sequences.

    forward(x (batch, time, input_size), state) -> (outputs (batch, time, hidden * directions), state)
    """

    def __init__(
        self,
        cell: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        dropout: float = 0.0,
        bidirectional: bool = False,
    ) -> None:
        super().__init__()
        self.cell = check_cell(cell)
        self.rnn = CELLS[cell](
            input_size,
            hidden_size,
            num_layers=num_layers,
            dropout=dropout if num_layers > 1 else 0.0,
            bidirectional=bidirectional,
            batch_first=True,
        )

    @property
    def output_size(self) -> int:
        return self.rnn.hidden_size * (2 if self.rnn.bidirectional else 1)

    def forward(self, x: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, State]:
        outputs, state = self.rnn(x, state)  # (batch, time, hidden * directions)
        return outputs, state
