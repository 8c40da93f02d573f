"""The lab's two problems with a known long-range answer, generated from a seed (pure functions of a generator).

- "first": remember the first symbol. A symbol from an alphabet of SYMBOLS, then T distractors, then a query
  mark; the network must name the first symbol at the query. Chance is 1 / SYMBOLS.
- "adding": the adding problem (Hochreiter and Schmidhuber 1997). T random numbers in [0, 1), each with a
  marker channel; two are marked (one in each half), and the target is their sum. Always answering 1 (the
  target's mean) scores a squared error of about 1/6.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

SYMBOLS = 4  # the alphabet of the first symbol
DISTRACTORS = 4  # symbols that fill the sequence between the first one and the query
FIRST_INPUTS = SYMBOLS + DISTRACTORS + 1  # one-hot: the symbols, the distractors, the query mark
PROBLEMS = {"first": "remember the first symbol", "adding": "the adding problem"}


@dataclass
class Batch:
    """inputs (batch, time, features); targets (batch,) class ids for "first", (batch,) sums for "adding"."""

    inputs: torch.Tensor
    targets: torch.Tensor


def first_symbol(batch: int, distance: int, generator: torch.Generator) -> Batch:
    """Sequences of distance + 2 steps: a symbol, `distance` distractors, the query mark (one-hot each)."""
    first = torch.randint(SYMBOLS, (batch,), generator=generator)  # (batch,)
    fillers = SYMBOLS + torch.randint(DISTRACTORS, (batch, distance), generator=generator)  # (batch, distance)
    query = torch.full((batch, 1), FIRST_INPUTS - 1)
    ids = torch.cat([first[:, None], fillers, query], 1)  # (batch, distance + 2)
    return Batch(torch.nn.functional.one_hot(ids, FIRST_INPUTS).float(), first)


def adding(batch: int, length: int, generator: torch.Generator) -> Batch:
    """Sequences of `length` steps of (value, marker); one marked step in each half, the target their sum."""
    if length < 2:
        raise ValueError(f"the adding problem needs at least 2 steps, not {length}")
    values = torch.rand(batch, length, generator=generator)  # (batch, length)
    half = length // 2
    early = torch.randint(half, (batch,), generator=generator)
    late = half + torch.randint(length - half, (batch,), generator=generator)
    markers = torch.zeros(batch, length)
    rows = torch.arange(batch)
    markers[rows, early] = 1.0
    markers[rows, late] = 1.0
    return Batch(torch.stack([values, markers], -1), values[rows, early] + values[rows, late])


def make_batch(problem: str, batch: int, length: int, generator: torch.Generator) -> Batch:
    """A batch of `problem` ("first" or "adding") with `length` the distance T the answer must be carried."""
    if problem == "first":
        return first_symbol(batch, length, generator)
    if problem == "adding":
        return adding(batch, length, generator)
    raise ValueError(f"unknown problem {problem!r}: choose one of {', '.join(PROBLEMS)}")


def input_size(problem: str) -> int:
    return FIRST_INPUTS if problem == "first" else 2


def output_size(problem: str) -> int:
    return SYMBOLS if problem == "first" else 1
