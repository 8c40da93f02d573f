"""When a run with a time budget scores its held-out part: by wall time, not every so many steps.

A visitor's run (the Train tab's job, a forecast's adaptation) has seconds, not steps: scoring every 25 steps spent
a third of them on scoring when the steps were fast, and little when they were slow. The clock spaces the scorings
so that they take a fixed share of the run at most, whatever a step and a scoring cost on this machine and data.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

DEFAULT_SHARE = 0.05  # of a run's wall time, at most, spent scoring the held-out part


@dataclass
class ScoringClock:
    """The next scoring comes once the steps since the last one took (1 - share) / share times what that scoring
    took, so scoring takes at most `share` of the run; but scorings are at least `shortest` and at most `longest`
    seconds apart (the live plot moves, and a job is stopped between two of them), and one comes as soon as
    `deadline` (a `time.perf_counter()` value) has passed. For a run in one process only: ranks of a run on several
    processes would disagree about the time."""

    deadline: float = math.inf
    share: float = DEFAULT_SHARE
    shortest: float = 1.0
    longest: float = 3.0
    last: float = field(default_factory=time.perf_counter)  # when the last scoring ended (at first: the start)
    cost: float = 0.0  # what the last scoring took, in seconds

    @property
    def gap(self) -> float:
        """Seconds of steps between the end of one scoring and the start of the next."""
        return min(self.longest, max(self.shortest, self.cost * (1 - self.share) / self.share))

    def due(self) -> bool:
        now = time.perf_counter()
        return now >= self.deadline or now - self.last >= self.gap

    def scored(self, started: float) -> None:
        """A scoring that began at `started` (perf_counter) has just ended."""
        self.last = time.perf_counter()
        self.cost = self.last - started
