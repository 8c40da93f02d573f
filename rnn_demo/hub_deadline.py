"""Timeouts and a deadline for the Hub calls of a visitor's load, through huggingface_hub's own client hook.

`huggingface_hub.set_client_factory` is process-wide, so the client installed here passes every request through
unchanged unless the calling thread is inside `bounded(deadline)`, as a visitor's load is. There each request
gets connect and read timeouts (never past the deadline) on a connection pool of its own, each chunk of an answer
is checked against the deadline, and a watchdog shuts the load's sockets at the deadline: a Hub that trickles bytes,
which no read timeout catches, is cut there too. The Space's own downloads (its startup models, push, pull) keep
huggingface_hub's defaults.
"""
from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import httpx2
import huggingface_hub
from huggingface_hub.utils._http import hf_request_event_hook

CONNECT_SECONDS = 5.0  # to open a connection to the Hub
READ_SECONDS = 15.0  # between two reads of an answer
API_ANSWER_BYTES = 4 * 1024 * 1024  # the Hub's JSON about one repository (its files' list): more is refused


class DeadlinePassed(Exception):
    """A visitor's load ran past its deadline (raised inside the transfer)."""


class AnswerTooLarge(Exception):
    """An answer of the Hub's API was larger than API_ANSWER_BYTES."""


class Budget:
    """One load's deadline (a time.monotonic() value), its own connections, and the sockets they opened."""

    def __init__(self, deadline: float) -> None:
        self.deadline, self.expired = deadline, False
        self.transport = httpx2.HTTPTransport()
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        self.watchdog = threading.Timer(max(0.0, deadline - time.monotonic()), self.expire)
        self.watchdog.daemon = True

    def remaining(self) -> float:
        """Seconds left; DeadlinePassed when none are."""
        left = self.deadline - time.monotonic()
        if left <= 0 or self.expired:
            raise DeadlinePassed()
        return left

    def trace(self, event: str, info: dict) -> None:
        """httpcore's `trace` extension: keep each socket the load opens, for the watchdog."""
        if event.endswith(("connect_tcp.complete", "start_tls.complete")) and info.get("return_value") is not None:
            sock = info["return_value"].get_extra_info("socket")
            with self.lock:
                if sock is not None:
                    self.sockets.append(sock)
            if self.expired:  # opened as the watchdog fired
                self.expire()

    def expire(self) -> None:
        """At the deadline: shut every socket of the load, which wakes any read blocked on a slow Hub."""
        with self.lock:
            self.expired = True
            for sock in self.sockets:
                try:
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)
                except OSError:  # closed already
                    pass

    def send(self, request: httpx2.Request) -> httpx2.Response:
        left = self.remaining()
        connect, read = min(CONNECT_SECONDS, left), min(READ_SECONDS, left)
        request.extensions = {**request.extensions, "trace": self.trace,
                              "timeout": {"connect": connect, "read": read, "write": read, "pool": connect}}
        try:
            response = self.transport.handle_request(request)
        except httpx2.TransportError:
            self.remaining()  # past the deadline: say so, rather than how the socket broke
            raise
        limit = API_ANSWER_BYTES if "/api/" in request.url.path else None
        return httpx2.Response(response.status_code, headers=response.headers, extensions=response.extensions,
                               stream=BoundedStream(response.stream, self, limit))

    def close(self) -> None:
        self.watchdog.cancel()
        self.transport.close()


class BoundedStream(httpx2.SyncByteStream):
    """An answer's bytes, checked against the load's deadline at every chunk (and against `limit` bytes, if set)."""

    def __init__(self, stream: httpx2.SyncByteStream, budget: Budget, limit: int | None) -> None:
        self.stream, self.budget, self.limit = stream, budget, limit

    def __iter__(self) -> Iterator[bytes]:
        received = 0
        try:
            for chunk in self.stream:
                self.budget.remaining()
                received += len(chunk)
                if self.limit is not None and received > self.limit:
                    raise AnswerTooLarge()
                yield chunk
        except httpx2.TransportError:
            self.budget.remaining()
            raise

    def close(self) -> None:
        self.stream.close()


_BUDGET: ContextVar[Budget | None] = ContextVar("rnn_demo_hub_budget", default=None)


class BoundedTransport(httpx2.BaseTransport):
    """The Hub client's transport: requests made inside `bounded()` go through its budget, others straight on."""

    def __init__(self) -> None:
        self.plain = httpx2.HTTPTransport()

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        budget = _BUDGET.get()
        return self.plain.handle_request(request) if budget is None else budget.send(request)

    def close(self) -> None:
        self.plain.close()


def bounded_client() -> httpx2.Client:
    """huggingface_hub's default client (its request hook, redirects followed, no timeout of its own) on a
    BoundedTransport."""
    return httpx2.Client(event_hooks={"request": [hf_request_event_hook]}, follow_redirects=True, timeout=None,
                         transport=BoundedTransport())


_INSTALLED = threading.Lock()
_installed = False


def install() -> None:
    """Make huggingface_hub use `bounded_client` (once per process)."""
    global _installed
    with _INSTALLED:
        if not _installed:
            huggingface_hub.set_client_factory(bounded_client)
            _installed = True


@contextmanager
def bounded(deadline: float) -> Iterator[Budget]:
    """Bound the Hub calls this thread makes in the block by the deadline (a time.monotonic() value)."""
    install()
    budget = Budget(deadline)
    token = _BUDGET.set(budget)
    budget.watchdog.start()
    try:
        yield budget
    finally:
        _BUDGET.reset(token)
        budget.close()
