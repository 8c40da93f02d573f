"""Timeouts and a deadline for the Hub calls made for a visitor, without changing the Space's own Hub client.

huggingface_hub 2.4 has one HTTP client per process (`set_client_factory` is process-wide) and no per-call one,
so a visitor's calls are bounded in one of two ways, neither of which touches the app's process-wide client:

- A model load (visitor_hub.py) makes its few requests itself (the repository's info, then one GET per file) on
  an httpx client of its own, made by `bounded(deadline)` for that load alone and closed after it. Its requests
  are the Hub's plain HTTP API, built with huggingface_hub's public helpers.
- What needs huggingface_hub's or datasets' own machinery (reading a Hub dataset: hub_data.py; pushing a trained
  model: `run_in_child`) runs in a child process of its own, which `bound_process(deadline)` bounds as a whole
  (every client it makes): a process-wide setting harms no one there, as that process does nothing else, and the
  app kills it at the deadline whatever it is doing. A child costs a Python start (about 2 s), once per request.

Either way every request gets connect and read timeouts (never past the deadline) on connections of its own, each
chunk of an answer is checked against the deadline, and a watchdog shuts the sockets at the deadline: a Hub that
trickles bytes, which no read timeout catches, is cut there too. The Space's own downloads (its startup models,
push, pull) keep huggingface_hub's defaults. No private module of huggingface_hub is used.
"""
from __future__ import annotations

import importlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2
import huggingface_hub
from huggingface_hub import constants
from huggingface_hub.errors import OfflineModeIsEnabled

from .child_env import visitor_environment

CONNECT_SECONDS = 5.0  # to open a connection to the Hub
READ_SECONDS = 15.0  # between two reads of an answer
API_ANSWER_BYTES = 4 * 1024 * 1024  # the Hub's JSON about one repository (its files' list): more is refused
CHILD_MARGIN = 3.0  # seconds: a child says "took too long" itself before it is killed, when it can


UNREACHABLE = "the Hub cannot be reached from this Space right now"


def unreachable(error: Exception) -> str:
    """What a visitor is told of a Hub the client could not reach (a transport error, or offline mode), with why."""
    why = ("this Space runs offline" if isinstance(error, OfflineModeIsEnabled)
           else "no answer in time" if isinstance(error, httpx2.TimeoutException) else "the connection failed")
    return f"{UNREACHABLE} ({why})"


class DeadlinePassed(Exception):
    """A visitor's Hub call ran past its deadline (raised inside the transfer)."""


class AnswerTooLarge(Exception):
    """An answer of the Hub's API was larger than API_ANSWER_BYTES."""


class AnswerUncountable(Exception):
    """An answer of the Hub's API came in an encoding whose decoded size cannot be counted as it comes (not gzip or
    deflate, though asked for none): `args[0]` names it."""


class ChildFailed(RuntimeError):
    """A child process of `run_in_child` failed other than by a ValueError or its deadline."""


class Budget:
    """One deadline (a time.monotonic() value), the sockets opened under it, and the watchdog that shuts them."""

    def __init__(self, deadline: float) -> None:
        self.deadline, self.expired = deadline, False
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
        """httpcore's `trace` extension: keep each socket opened under the budget, for the watchdog."""
        if event.endswith(("connect_tcp.complete", "start_tls.complete")) and info.get("return_value") is not None:
            sock = info["return_value"].get_extra_info("socket")
            with self.lock:
                if sock is not None:
                    self.sockets.append(sock)
            if self.expired:  # opened as the watchdog fired
                self.expire()

    def expire(self) -> None:
        """At the deadline: shut every socket opened under the budget, which wakes any read blocked on a slow Hub."""
        with self.lock:
            self.expired = True
            for sock in self.sockets:
                try:
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)
                except OSError:  # closed already
                    pass


class BoundedTransport(httpx2.BaseTransport):
    """Connections of their own for one client, every request and every chunk of its answer bounded by `budget`."""

    def __init__(self, budget: Budget) -> None:
        self.budget, self.transport = budget, httpx2.HTTPTransport()

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        left = self.budget.remaining()
        connect, read = min(CONNECT_SECONDS, left), min(READ_SECONDS, left)
        request.extensions = {**request.extensions, "trace": self.budget.trace,
                              "timeout": {"connect": connect, "read": read, "write": read, "pool": connect}}
        api = "/api/" in request.url.path
        if api:  # uncompressed, so that API_ANSWER_BYTES bounds the JSON itself, not its gzipped size
            request.headers["Accept-Encoding"] = "identity"
        try:
            response = self.transport.handle_request(request)
        except httpx2.TransportError:
            self.budget.remaining()  # past the deadline: say so, rather than how the socket broke
            raise
        limit = API_ANSWER_BYTES if api else None
        encoding = response.headers.get("Content-Encoding", "identity").strip().lower() if api else "identity"
        return httpx2.Response(response.status_code, headers=response.headers, extensions=response.extensions,
                               stream=BoundedStream(response.stream, self.budget, limit, encoding))

    def close(self) -> None:
        self.transport.close()


class BoundedStream(httpx2.SyncByteStream):
    """An answer's bytes, checked against the deadline at every chunk, and against `limit` bytes if set: the bytes
    as the client decodes them, where the answer came compressed (`encoding`) although asked for uncompressed (a
    gzip or deflate answer is counted as it decompresses; another encoding is refused, as it cannot be counted)."""

    def __init__(self, stream: httpx2.SyncByteStream, budget: Budget, limit: int | None,
                 encoding: str = "identity") -> None:
        self.stream, self.budget, self.limit = stream, budget, limit
        self.decoder = zlib.decompressobj(zlib.MAX_WBITS | 32) if encoding in ("gzip", "x-gzip", "deflate") else None
        self.encoded, self.encoding = encoding not in ("identity", ""), encoding

    def _decoded_size(self, chunk: bytes) -> int:
        """How many bytes `chunk` decodes to, never holding more than `limit` of them at once."""
        if not self.encoded:
            return len(chunk)
        if self.decoder is None:
            raise AnswerUncountable(self.encoding)
        size, data = 0, chunk
        while data and not self.decoder.eof:
            try:
                size += len(self.decoder.decompress(data, self.limit + 1))
            except zlib.error as error:
                raise httpx2.DecodingError(f"a compressed answer that does not decompress: {error}") from None
            data = self.decoder.unconsumed_tail
            if size > self.limit:
                break
        return size

    def __iter__(self) -> Iterator[bytes]:
        received = 0
        try:
            for chunk in self.stream:
                self.budget.remaining()
                received += len(chunk) if self.limit is None else self._decoded_size(chunk)
                if self.limit is not None and received > self.limit:
                    raise AnswerTooLarge()
                yield chunk
        except httpx2.TransportError:
            self.budget.remaining()
            raise

    def close(self) -> None:
        self.stream.close()


def refuse_offline(request: httpx2.Request) -> None:
    """A request hook: huggingface_hub's offline mode (HF_HUB_OFFLINE) holds for these clients as for its own."""
    if constants.is_offline_mode():
        raise OfflineModeIsEnabled(f"cannot reach {request.url}: offline mode is enabled (HF_HUB_OFFLINE)")


def bounded_client(budget: Budget) -> httpx2.Client:
    """A client as huggingface_hub's default one (redirects followed, offline mode honoured, no timeout of its own)
    on a BoundedTransport of `budget`."""
    return httpx2.Client(event_hooks={"request": [refuse_offline]}, follow_redirects=True, timeout=None,
                         transport=BoundedTransport(budget))


@contextmanager
def bounded(deadline: float) -> Iterator[httpx2.Client]:
    """A client for the block alone, every request of which is bounded by the deadline (a time.monotonic() value);
    closed, with its connections, after the block. Nothing else in the process is affected."""
    budget = Budget(deadline)
    budget.watchdog.start()
    client = bounded_client(budget)
    try:
        yield client
    finally:
        budget.watchdog.cancel()
        client.close()


def bound_process(deadline: float) -> None:
    """Bound every Hub call of this process by the deadline: huggingface_hub's client factory, set process-wide.
    Only for a child process that does one visitor's job and nothing else (hub_data.py's reader, `run_in_child`)."""
    budget = Budget(deadline)
    budget.watchdog.start()
    huggingface_hub.set_client_factory(lambda: bounded_client(budget))


def run_in_child(target: str, kwargs: dict[str, Any], seconds: float) -> Any:
    """`target` ("module:function") called with `kwargs` (JSON) in a child process of its own, every Hub call of
    which is bounded (`bound_process`), killed after `seconds`; returns what it returns (JSON). A ValueError it
    raises is raised here with its message; DeadlinePassed when the time ran out; ChildFailed otherwise. The child
    never gets the Space's token: `target` is handed the visitor's own in `kwargs` where it needs one."""
    request = {"target": target, "kwargs": kwargs, "deadline": time.monotonic() + seconds - CHILD_MARGIN}
    environment = visitor_environment(HF_HUB_DISABLE_PROGRESS_BARS="1")
    try:  # stdin: the kwargs (a token among them) never show in the process's command line or environment
        child = subprocess.run([sys.executable, "-m", "rnn_demo.hub_deadline"], input=json.dumps(request),
                               stdout=subprocess.PIPE, text=True, timeout=seconds, env=environment,
                               cwd=Path(__file__).resolve().parents[1])
    except subprocess.TimeoutExpired:  # subprocess.run has killed it
        raise DeadlinePassed() from None
    answer = _answer(child)
    if "value" in answer:
        return answer["value"]
    if "error" in answer:
        raise ValueError(answer["error"])
    if answer.get("deadline"):
        raise DeadlinePassed()
    raise ChildFailed(f"the child process failed ({answer['failed']})")


def _answer(child: subprocess.CompletedProcess) -> dict[str, Any]:
    """The child's answer: the JSON object on the last line it printed, or what went wrong."""
    lines = child.stdout.strip().splitlines()
    try:
        answer = json.loads(lines[-1]) if child.returncode == 0 and lines else None
    except ValueError:
        answer = None
    return answer if isinstance(answer, dict) else {"failed": f"it ended with code {child.returncode}"}


def _child_main() -> None:  # runs in the child process of run_in_child
    request = json.loads(sys.stdin.read())
    bound_process(request["deadline"])
    module, _, name = request["target"].partition(":")
    try:
        answer = {"value": getattr(importlib.import_module(module), name)(**request["kwargs"])}
    except DeadlinePassed:
        answer = {"deadline": True}
    except ValueError as error:
        answer = {"error": str(error)}
    except Exception as error:  # noqa: BLE001 - any other failure: its kind only (a message might hold a secret)
        answer = {"failed": type(error).__name__}
    print(json.dumps(answer), flush=True)
    exit_now(0)


def exit_now(code: int) -> None:
    """End a child process at once, its output flushed, skipping the interpreter's teardown: there, a daemon thread
    (the watchdog, a download's progress bar, a library's pool) caught holding stderr's lock makes CPython abort
    (SIGABRT), and the parent would read a finished job as failed. This happened under load in CI (the Hub-dataset
    reader ended with code -6 after its work was done)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


if __name__ == "__main__":
    from rnn_demo.hub_deadline import _child_main as main  # the module's own classes, not __main__'s copies

    main()
