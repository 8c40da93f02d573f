"""One lab run: a LabNet trained on a problem from a seed, yielding after every step what the plots show: the
loss, the accuracy (or the adding problem's squared error), the total gradient norm before clipping, the largest
state, and every few steps the gradient norm of the loss with respect to each time step's hidden state.

This is an instrument, not the project's training loop (`training.fit` trains models to keep: checkpoints,
selection, AdamW with clipping always on). Here clipping is a setting, plain SGD is offered beside Adam because
exploding gradients only wreck the run when the step follows the gradient's size, and a run stops at the first
non-finite number, saying whether the forward activations or the gradients blew up.
"""
from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

import torch

from ..display import number_text
from .net import CELLS, LabNet
from .problems import PROBLEMS, input_size, make_batch, output_size

BATCH = 32
PROFILE_EVERY = 10  # steps between two measurements of the gradient profile over time
OPTIMIZERS = ("adam", "sgd")
BOUNDS = {"length": (5, 200), "hidden": (4, 128), "scale": (0.1, 3.0), "lr": (1e-5, 10.0), "clip": (0.01, 1000.0),
          "steps": (1, 3000), "seed": (0, 2**31 - 1), "keep_bias": (-5.0, 5.0)}
# how a refusal names each setting, as the lab's page labels it
NAMES = {"length": "T", "hidden": "the hidden units", "scale": "the spectral radius", "lr": "the learning rate",
         "clip": "the clipping threshold", "steps": "the training steps", "seed": "the seed",
         "keep_bias": "the keep gate's bias"}
HUGE = 1e6  # a state this large has exploded, and the run stops (a tanh or gated state stays within 1)
RECURRENT = ("w_ih", "w_hh", "b_ih", "b_hh")  # LabNet's recurrent layer (the rest of its parameters: the readout)


def _bound(value: int | float) -> str:
    """A bound as a refusal gives it: a whole one in full (the seed's 2147483647, not 2.14748e+09)."""
    return str(value) if isinstance(value, int) else f"{value:g}"


@dataclass(frozen=True)
class LabSettings:
    """Everything a run depends on: the same settings give the same curves on the same machine."""

    problem: str = "first"
    length: int = 50  # T: distractors between the symbol and the query, or the adding problem's steps
    cell: str = "lstm"
    hidden: int = 32
    scale: float | None = None  # each recurrent weight block's spectral radius at the start; None: PyTorch's init
    lr: float = 0.01
    optimizer: str = "adam"
    clip: float | None = 1.0  # the gradient-norm threshold; None: no clipping
    steps: int = 300
    seed: int = 0
    keep_bias: float | None = None  # the LSTM's forget-gate / the GRU's update-gate bias at the start; None: PyTorch's

    def check(self) -> LabSettings:
        """The settings if every one is known and within BOUNDS; else a ValueError naming the valid range."""
        for name, options in (("problem", PROBLEMS), ("cell", CELLS), ("optimizer", OPTIMIZERS)):
            if getattr(self, name) not in options:
                raise ValueError(f"unknown {name} {getattr(self, name)!r}: choose one of {', '.join(options)}")
        for name, (low, high) in BOUNDS.items():
            value = getattr(self, name)
            if name in ("clip", "scale", "keep_bias") and value is None:
                continue
            if not isinstance(value, (int, float)) or not math.isfinite(value) or not low <= value <= high:
                raise ValueError(f"{NAMES[name]} must be a number from {_bound(low)} to {_bound(high)}, not "
                                 f"{number_text(value)}")
            if name in ("length", "hidden", "steps", "seed") and int(value) != value:
                raise ValueError(f"{NAMES[name]} must be a whole number, not {number_text(value)}")
        return self


@dataclass
class LabStep:
    """What one training step measured. profile: ||dL/dh_t|| for t = 1 .. time (every PROFILE_EVERY steps, else
    None); score: the batch's accuracy ("first") or mean squared error ("adding")."""

    step: int
    loss: float
    score: float
    grad_norm: float  # before clipping
    largest_state: float  # max |h_t| over the batch and the steps
    seconds: float
    profile: list[float] | None = None
    diverged: str | None = None  # why the run stopped at this step, if it did
    gates: dict[str, float] = field(default_factory=dict)  # each gate's mean over the batch and the steps
    recurrent_grad_norm: float = 0.0  # the recurrent layer's part of grad_norm (the rest is the readout's)


def _loss_and_score(problem: str, outputs: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, float]:
    if problem == "first":
        loss = torch.nn.functional.cross_entropy(outputs, targets)
        return loss, (outputs.argmax(-1) == targets).float().mean().item()
    loss = torch.nn.functional.mse_loss(outputs[:, 0], targets)
    return loss, loss.item()


FORWARD_EXPLODED = ("the forward activations exploded (a state passed 1e6 as it was carried through time, and the lab "
                    "stops a run there): clipping bounds the gradients, not the forward pass; lower the recurrent scale "
                    "or use tanh or a gated cell")
GRADIENTS_EXPLODED = ("the gradients exploded (their norm is no longer a finite number): clipping them, or a smaller "
                      "learning rate, keeps the run finite")
READOUT_DIVERGED = ("the output layer diverged, not the gradient through time: its gradient was most of the norm "
                    "and grew every step, as each step of this learning rate overshoots for its inputs (the states, "
                    "saturated at ±1 or near); a smaller learning rate fixes it, clipping keeps it finite")


def diagnosis(loss: torch.Tensor, largest_state: float, grad_norm: float, recurrent_norm: float,
               before: LabStep | None) -> str | None:
    """None while the run is healthy; else what blew up, in words for the visitor. `recurrent_norm`: the recurrent
    layer's part of `grad_norm`; `before`: the step before this one, if any. Where the recurrent layer's gradient
    stayed finite, or was under 1% of the norm the step before, it was the readout's that overflowed."""
    if not math.isfinite(largest_state) or largest_state > HUGE:
        return FORWARD_EXPLODED
    if not math.isfinite(loss.item()) or not math.isfinite(grad_norm):
        readout_led = math.isfinite(recurrent_norm) or (before is not None and math.isfinite(before.grad_norm)
                                                        and before.recurrent_grad_norm < 0.01 * before.grad_norm)
        return READOUT_DIVERGED if readout_led else GRADIENTS_EXPLODED
    return None


def gradient_profile(states: list[torch.Tensor], cells: list[torch.Tensor] = ()) -> list[float]:
    """The norm of the loss's gradient with respect to the recurrent state at each step, after a backward pass of the
    loss L on tensors that `retain_grad()` was called on: ||dL/dh_t|| for the states h_t (batch, hidden), and for an
    LSTM, whose memory is its cell state, ||(dL/dh_t, dL/dc_t)|| with its c_t (`cells`): how much of the loss's
    signal reaches step t (0 where none does). h alone missed the LSTM's memory: a trained LSTM that remembers at T =
    80 had dL/dh_1 at 0.07 times dL/dh_T, where dL/dc_1 was 11 times dL/dc_T."""
    def norm(t: torch.Tensor | None) -> float:
        return 0.0 if t is None or t.grad is None else t.grad.norm().item()

    return [math.hypot(norm(h), norm(c)) for h, c in zip(states, cells or [None] * len(states))]


def _optimizer(settings: LabSettings, model: LabNet) -> torch.optim.Optimizer:
    if settings.optimizer == "sgd":
        return torch.optim.SGD(model.parameters(), lr=settings.lr)
    return torch.optim.Adam(model.parameters(), lr=settings.lr)


def starting_point(settings: LabSettings, device: torch.device | str = "cpu", data_seed: int | None = None
                   ) -> tuple[LabNet, torch.optim.Optimizer, torch.Generator]:
    """A run's network on `device`, its optimizer, and the generator its batches come from: weights and data from
    generators of their own seeded by `settings.seed` (the data by `data_seed` if given: run B draws run A's), so
    every run with one seed starts alike."""
    data_seed = settings.seed if data_seed is None else data_seed
    weights, data = torch.Generator().manual_seed(settings.seed), torch.Generator().manual_seed(data_seed + 1)
    model = LabNet(settings.cell, input_size(settings.problem), settings.hidden, output_size(settings.problem),
                   settings.scale, weights, settings.keep_bias).to(device)
    return model, _optimizer(settings, model), data


def run_lab(settings: LabSettings, seconds: float = math.inf, device: torch.device | str = "cpu",
            data_seed: int | None = None) -> Iterator[LabStep]:
    """Train as `settings` say on `device`, yielding a LabStep after every step, until `settings.steps`, `seconds`
    of wall time, or the first non-finite number (that step says why). Weights and data come from their own
    generators on the CPU, the same for every cell and device, so two runs with one seed (or one `data_seed`) see
    the same sequences."""
    settings.check()
    model, optimizer, data = starting_point(settings, device, data_seed)
    started, measured = time.perf_counter(), None
    for step in range(1, settings.steps + 1):
        batch = make_batch(settings.problem, BATCH, settings.length, data)
        inputs, targets = batch.inputs.to(device), batch.targets.to(device)
        profiled = step % PROFILE_EVERY == 1 or step == settings.steps
        before, measured = measured, measure_step(settings, model, inputs, targets, step, profiled, measured)
        if measured.diverged and not profiled:  # the step again, its states kept: the profile of what blew up
            measured = measure_step(settings, model, inputs, targets, step, True, before)
        measured.seconds = round(time.perf_counter() - started, 3)
        if measured.diverged is None:
            optimizer.step()
        yield measured
        if measured.diverged or time.perf_counter() - started > seconds:
            return


def measure_step(settings: LabSettings, model: LabNet, inputs: torch.Tensor, targets: torch.Tensor, step: int,
                 profiled: bool, before: LabStep | None = None) -> LabStep:
    """One step's forward and backward pass (the gradients left in the model, clipped) and what it measured. Through
    PyTorch's fused sequence kernel; `profiled`: one fused cell per step instead, each state's gradient kept for the
    profile. `before`: the step before, which tells a readout's divergence from the recurrent gradient's."""
    if profiled:
        kept, cells = model.stepped_states(inputs)  # each h_t (batch, hidden), and the LSTM's c_t
        for state in kept + cells:
            state.retain_grad()
        states = torch.stack(kept, 1)  # (batch, time, hidden)
    else:
        states = model.fused_states(inputs)  # (batch, time, hidden)
    loss, score = _loss_and_score(settings.problem, model.readout(states[:, -1]), targets)
    model.zero_grad(set_to_none=True)
    loss.backward()
    recurrent = torch.linalg.vector_norm(torch.stack([getattr(model, name).grad.norm() for name in RECURRENT])).item()
    grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), settings.clip or math.inf).item()
    largest = states.detach().abs().max().item()
    profile = gradient_profile(kept, cells) if profiled else None
    return LabStep(step, loss.item(), score, grad_norm, largest, 0.0, profile,
                   diagnosis(loss, largest, grad_norm, recurrent, before), model.gate_means(inputs, states.detach()),
                   recurrent)


def reach_backs(steps: list[LabStep]) -> list[tuple[int, float]]:
    """(step, the profile's first value / its last) at each step whose profile was measured with both ends finite
    (and the last above 0): how far the gradient reaches back. At the first step, before any update, above 1 it grows
    back through time (explodes), far below 1 it vanishes; later it also shows what the network learned to read (one
    that ignores the distractors lets little reach them; one that reads the first symbol, more than reaches the
    last step)."""
    return [(s.step, s.profile[0] / s.profile[-1]) for s in steps
            if s.profile and 0 < s.profile[-1] < math.inf and math.isfinite(s.profile[0])]


def summary(settings: LabSettings, steps: list[LabStep]) -> dict:
    """A run's settings and its last figures: the score averaged over the last 20 steps, the largest gradient norm
    before clipping, and at the first and the last step whose profile was measured how far the gradient reaches back
    (reach_backs)."""
    tail = [s.score for s in steps[-20:]]
    norms = [s.grad_norm for s in steps if math.isfinite(s.grad_norm)]
    reach = [ratio for _, ratio in reach_backs(steps)]
    return {"settings": asdict(settings), "steps": len(steps), "seconds": steps[-1].seconds if steps else 0.0,
            "final_score": sum(tail) / len(tail) if tail else None,
            "diverged": steps[-1].diverged if steps else None, "largest_grad_norm": max(norms, default=None),
            "first_reach_back": reach[0] if reach else None, "last_reach_back": reach[-1] if reach else None}
