"""Limits on gradio's own HTTP routes, which no handler of the app sees (an ASGI middleware, `RouteLimits`, handed to
the app at launch):

- `/gradio_api/deep_link` is not offered (404): gradio writes the whole page state of the caller's session to a
  file for each call (264 KB to 620 KB here) and never deletes it; one client wrote 50 MB in 20 s (9 GB an hour).
  The app links to nothing by session.
- `/gradio_api/upload` takes at most UPLOAD_BYTES from one client (clients.client_address) in UPLOAD_WINDOW seconds,
  counted by the Content-Length each upload declares, what it never sends given back when it ends (an upload that
  declares none is refused: 411): gradio keeps uploads an hour and bounds only each file (one client uploaded
  0.5 GB in 2.7 s). All clients together may upload at most ALL_UPLOAD_BYTES in KEPT_SECONDS, the longest gradio
  keeps an upload (503 past it): many addresses, each within its own budget, would otherwise fill the disk.
"""
from __future__ import annotations

import json
import threading
import time
from collections import defaultdict, deque
from typing import Any

from starlette.requests import Request

from .clients import client_address
from .uploads import MAX_BYTES

UPLOAD_BYTES = 4 * MAX_BYTES  # what one client may upload in UPLOAD_WINDOW: four files of the largest size
UPLOAD_WINDOW = 600.0
ALL_UPLOAD_BYTES = 50 * MAX_BYTES  # what all clients together may upload in KEPT_SECONDS (2.5 GB)
KEPT_SECONDS = 7200.0  # app.py's delete_cache: every hour, the files older than an hour go
EVERYONE = "everyone"  # the one client of the app-wide budget
FORGET_PAST = 1_000  # clients kept before those with nothing in the window are dropped


class UploadBudget:
    """Bytes each client has uploaded in the last `window` seconds, against `budget`."""

    def __init__(self, budget: int = UPLOAD_BYTES, window: float = UPLOAD_WINDOW) -> None:
        self.budget, self.window = budget, window
        self.spent: defaultdict[str, deque[list]] = defaultdict(deque)  # client -> [when, bytes] per upload
        self.lock = threading.Lock()

    def take(self, client: str, size: int, now: float | None = None) -> list | None:
        """Count `size` bytes for `client` if they fit in its budget: the entry counted (for `refund`); None (nothing
        counted) if they do not."""
        now = time.monotonic() if now is None else now
        with self.lock:
            if len(self.spent) > FORGET_PAST:  # clients whose uploads have all left the window
                for gone in [c for c, entries in self.spent.items() if entries[-1][0] <= now - self.window]:
                    del self.spent[gone]
            spent = self.spent[client]
            while spent and spent[0][0] <= now - self.window:
                spent.popleft()
            if sum(size for _, size in spent) + size > self.budget:
                if not spent:
                    del self.spent[client]
                return None
            entry = [now, size]
            spent.append(entry)
            return entry

    def refund(self, entry: list, size: int) -> None:
        """Take `size` bytes back from an upload's `entry` (bytes it declared and never sent, or all of an upload
        another budget refused)."""
        with self.lock:
            entry[1] = max(0, entry[1] - size)


class RouteLimits:
    """The ASGI middleware: deep links refused, uploads counted against each client's UploadBudget and against
    everyone's."""

    def __init__(self, app: Any, budget: UploadBudget | None = None, everyone: UploadBudget | None = None) -> None:
        self.app, self.budget = app, budget or UploadBudget()
        self.everyone = everyone or UploadBudget(ALL_UPLOAD_BYTES, KEPT_SECONDS)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            path = scope["path"].rstrip("/")
            if path.endswith("/deep_link"):
                return await _answer(send, 404, "this app offers no deep links")
            if scope["method"] == "POST" and path.endswith("/upload"):
                return await self._upload(scope, receive, send)
        await self.app(scope, receive, send)

    async def _upload(self, scope: dict, receive: Any, send: Any) -> None:
        """An upload counted by the length it declares, the bytes it never sends given back when it ends (a client
        declaring 200 MB and sending nothing held everyone's budget for two hours)."""
        refusal, entries, declared = self._take(Request(scope))
        if refusal:
            return await _answer(send, *refusal)
        received = 0

        async def counted() -> dict:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            return message

        try:
            await self.app(scope, counted, send)
        finally:
            for budget, entry in entries:
                budget.refund(entry, max(0, declared - received))

    def _take(self, request: Request) -> tuple[tuple[int, str] | None, list, int]:
        """(a refusal or None, the budgets' entries counted, the length declared)."""
        declared = request.headers.get("content-length", "")
        if not declared.isdigit():
            return (411, "an upload must declare its length (Content-Length)"), [], 0
        size = int(declared)
        mine = self.budget.take(client_address(request), size)
        if mine is None:
            return (429, (f"this upload would take you past the {self.budget.budget // 2**20} MB one visitor may "
                          f"upload in {self.budget.window / 60:.0f} minutes: try again later")), [], size
        everyone = self.everyone.take(EVERYONE, size)
        if everyone is None:
            self.budget.refund(mine, size)
            return (503, (f"the app has taken all the uploads it keeps at once ({self.everyone.budget // 2**20} MB "
                          f"from all its visitors in {self.everyone.window / 3600:.0f} hours): try again later")), \
                [], size
        return None, [(self.budget, mine), (self.everyone, everyone)], size


async def _answer(send: Any, status: int, message: str) -> None:
    body = json.dumps({"error": message, "detail": message}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
