"""Prompts primed once: the recurrent state after a prompt, kept for the next request with the same prompt.

A Generate click sends two requests with one prompt, the next-character table and the generation; a 4,000-
character prompt takes seconds to read on a small CPU. The first request to ask primes it, a request asking
while that runs waits for the same result, and the state is kept (a few KB) for the next ones. The cached
tensors are never written to: every step makes new ones, so any number of users may start from them.

Each kept prompt belongs to the one who sent it (`owner`: a visitor's session), shared only where the owner is None
(the app's example prompts, which everyone sees): a prompt kept for everyone would tell another visitor, by how fast
it is answered, that someone sent those very words a moment ago.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

KEEP_PROMPTS = 32  # primed prompts kept per model, the least recently used dropped


class PrimedPrompts:
    """Results of `prime(prompt)` by (owner, prompt), computed once even when asked for by several threads at once."""

    def __init__(self, capacity: int = KEEP_PROMPTS) -> None:
        self.capacity = capacity
        self._results: OrderedDict[tuple[str | None, str], Future] = OrderedDict()
        self._lock = threading.Lock()
        self.computed = 0  # how many prompts were primed (the rest came from here)

    def get(self, prompt: str, prime: Callable[[str], Any], owner: str | None = None) -> Any:
        """`prime(prompt)`, or its result from an earlier or concurrent call of the same `owner` (None: anyone's); a
        failure is not kept."""
        key = (owner, prompt)
        with self._lock:
            future = self._results.get(key)
            computes = future is None
            if computes:
                future = self._results[key] = Future()
                while len(self._results) > self.capacity:
                    self._results.popitem(last=False)
            else:
                self._results.move_to_end(key)
        if computes:
            try:
                future.set_result(prime(prompt))
                self.computed += 1
            except BaseException as error:
                with self._lock:
                    if self._results.get(key) is future:
                        del self._results[key]
                future.set_exception(error)
        return future.result()
