"""Prompts primed once: the recurrent state after a prompt, kept for the next request with the same prompt.

A Generate click sends two requests with one prompt, the next-character table and the generation; a 4,000-
character prompt takes seconds to read on a small CPU. The first request to ask primes it, a request asking
while that runs waits for the same result, and the state is kept (a few KB) for the next ones. The cached
tensors are never written to: every step makes new ones, so any number of users may start from them.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

KEEP_PROMPTS = 32  # primed prompts kept per model, the least recently used dropped


class PrimedPrompts:
    """Results of `prime(prompt)` by prompt, computed once even when asked for by several threads at once."""

    def __init__(self, capacity: int = KEEP_PROMPTS) -> None:
        self.capacity = capacity
        self._results: OrderedDict[str, Future] = OrderedDict()
        self._lock = threading.Lock()
        self.computed = 0  # how many prompts were primed (the rest came from here)

    def get(self, prompt: str, prime: Callable[[str], Any]) -> Any:
        """`prime(prompt)`, or its result from an earlier or concurrent call; a failure is not kept."""
        with self._lock:
            future = self._results.get(prompt)
            owner = future is None
            if owner:
                future = self._results[prompt] = Future()
                while len(self._results) > self.capacity:
                    self._results.popitem(last=False)
            else:
                self._results.move_to_end(prompt)
        if owner:
            try:
                future.set_result(prime(prompt))
                self.computed += 1
            except BaseException as error:
                with self._lock:
                    if self._results.get(prompt) is future:
                        del self._results[prompt]
                future.set_exception(error)
        return future.result()
