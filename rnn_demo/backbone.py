"""The recurrent backbone every task shares: a stack of RNN, GRU or LSTM layers chosen by name."""
from __future__ import annotations

import math

import torch
from torch import _VF, nn

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

    def faster_unpacked(self, x: torch.Tensor, lengths: torch.Tensor) -> bool:
        """Whether `forward_padded` beats packed sequences at inference on x (batch, time, input_size), right-padded
        to lengths (batch,): on the CPU an LSTM runs unpacked through oneDNN's fused kernel, which packed sequences
        never reach (1.8x faster on the bundled bidirectional classifier's test reviews, batched by length), but it
        computes the padding too, so only a batch padded by less than a quarter of its positions goes that way. The
        other cells, and every cell on a GPU, run as fast packed."""
        return (self.cell == "lstm" and x.device.type == "cpu" and torch.backends.mkldnn.is_available()
                and 4 * int(lengths.sum()) > 3 * x.size(0) * x.size(1))

    def forward_padded(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """x (batch, time, input_size), right-padded to lengths (batch,) -> outputs (batch, time, hidden * directions),
        equal to running packed sequences and zero at padding; the final state is not computed.

        For training: on CPU the packed path's backward takes a slice of the whole packed input at each step and
        fills a gradient the size of that input, so a batch costs time * time; here each direction of each layer
        runs unpacked (its backward is linear in time), the reverse one over each sequence reversed in its length."""
        time = torch.arange(x.size(1), device=x.device)  # (time,)
        valid = (time < lengths.to(x.device)[:, None]).unsqueeze(-1)  # (batch, time, 1)
        reverse = torch.where(valid.squeeze(-1), lengths.to(x.device)[:, None] - 1 - time, time)  # (batch, time)
        flip = lambda t: t.gather(1, reverse.unsqueeze(-1).expand_as(t))  # noqa: E731  (its own inverse)
        for layer in range(self.rnn.num_layers):
            if layer:
                x = nn.functional.dropout(x, self.rnn.dropout, self.training)
            outputs = [self._one_direction(x, layer, "")]
            if self.rnn.bidirectional:
                outputs.append(flip(self._one_direction(flip(x), layer, "_reverse")))
            x = torch.cat(outputs, -1).masked_fill(~valid, 0.0)  # (batch, time, hidden * directions)
        return x

    def _one_direction(self, x: torch.Tensor, layer: int, suffix: str) -> torch.Tensor:
        """One direction of one layer, left to right over the whole padded time: (batch, time, hidden)."""
        names = [f"{kind}_{part}_l{layer}{suffix}" for kind, part in
                 (("weight", "ih"), ("weight", "hh"), ("bias", "ih"), ("bias", "hh"))]
        weights = [getattr(self.rnn, name) for name in names]
        h0 = x.new_zeros(1, x.size(0), self.rnn.hidden_size)
        run = {"rnn": _VF.rnn_tanh, "gru": _VF.gru, "lstm": _VF.lstm}[self.cell]
        state = (h0, h0) if self.cell == "lstm" else h0
        return run(x, state, weights, True, 1, 0.0, self.training, False, True)[0]
