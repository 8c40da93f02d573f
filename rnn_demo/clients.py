"""Who a request comes from, for fairness: the client's address, never the session hash, which a caller of the API
chooses freely. Behind the Space's proxy the address is the one the proxy forwards (the last TRUSTED_PROXIES hops
of X-Forwarded-For are the proxies'; a client cannot forge the entry its proxy adds).

Three shares are bounded per client: the requests it has waiting in the app's queue (`guard_queue`,
PER_CLIENT_WAITING of QUEUE_SIZE), its requests running or waiting in a lane that sets a share (runtime.lane's
per_client: the generation batch's rows), and its heavy jobs going or waiting in the job slot
(jobs.PER_CLIENT_JOBS). A request past its share is refused at once, with its reason (an HTTP 400, whose message
the page shows), so it never holds a place that another visitor needs.

gradio keeps a session's state (a copy of the whole page's configuration, about 0.6 MB here, and the values its
events returned) for its last SESSION_CAPACITY sessions. A plain API call that names no session gets a new one that
no later request can name: `guard_queue` forgets it once its event has ended, so such calls leave nothing behind.
A caller names its sessions freely, so gradio's own eviction (the least recently used of all) let one client that
opened 500 sessions wipe every other visitor's (a model trained or loaded for a session silently became the bundled
one): `fair_sessions` evicts the oldest session of the client that holds the most instead.
"""
from __future__ import annotations

import asyncio
import ipaddress
import os
import time
from collections import Counter
from typing import Any, Protocol

from .jobs import PER_CLIENT_JOBS, SHARE_SPENT, SLOT
from .runtime import LANE_SHARES

# on a Space one proxy stands in front of the app (SPACE_ID is set there); elsewhere the peer is the client
TRUSTED_PROXIES = int(os.environ.get("RNN_DEMO_TRUSTED_PROXIES", "1" if os.environ.get("SPACE_ID") else "0"))
PER_CLIENT_WAITING = 8  # requests one client may have waiting in the queue at once
# requests of one lane (concurrency group) waiting in the queue at once: the queue's places are shared by every lane
# (QUEUE_SIZE in all), so a lane whose workers all wait (for the job slot: trainings, lab runs) cannot fill it and
# shut every other visitor out with "Queue is full" (a red team's: 8 trainings in line, then 64 page loads)
PER_LANE_WAITING = 16
SESSION_CAPACITY = 500  # sessions whose state gradio keeps (its default, 10,000, would hold about 6 GB)
FORGET_EVERY = 5.0  # seconds between two passes over the session-less events
RESULT_KEPT_SECONDS = 60.0  # how long a session-less event's result waits to be read after it ended
REFUSAL_DELAY = 1.0  # seconds before a client past its share hears so
# How often gradio's queue looks for new events and for progress to send while it has none: on Linux gradio looks
# every 1 ms and 10 ms, which costs an idle app about 7% of a core (measured on a 2-core AMD EPYC: 1.35 CPU-s in
# 20 s; 0.4 CPU-s at these). A new event waits at most this much longer; a progress bar moves 20 times a second.
IDLE_POLL, IDLE_PROGRESS_POLL = 0.01, 0.05


class HasClient(Protocol):
    """A gr.Request, or the Starlette request gradio's queue holds: headers, and the peer's address."""

    headers: Any
    client: Any


def client_address(request: HasClient | None, trusted_proxies: int | None = None) -> str:
    """The address the request comes from, as the last of `trusted_proxies` proxies saw it."""
    if request is None:
        return "unknown"
    hops = TRUSTED_PROXIES if trusted_proxies is None else trusted_proxies
    headers = request.headers or {}
    # every X-Forwarded-For line, in order: a proxy that adds a line of its own (not appending to the client's)
    # puts the address it saw last; the first line alone would be the client's own claim
    lines = headers.getlist("x-forwarded-for") if hasattr(headers, "getlist") else [headers.get("x-forwarded-for")]
    forwarded = [part.strip() for line in lines for part in (line or "").split(",") if part.strip()]
    if hops > 0 and forwarded:
        return _as_counted(forwarded[max(len(forwarded) - hops, 0)])
    peer = request.client
    host = getattr(peer, "host", None)
    return _as_counted(str(host)) if host else "unknown"


def _as_counted(host: str) -> str:
    """An address as a client's share counts it: an IPv6 one by its /64 (one host holds a whole /64, and could take
    a new address for every request), an IPv4-mapped IPv6 one as its IPv4 address; anything else as it is."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if address.version == 6 and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(ipaddress.ip_network(f"{address}/64", strict=False)) if address.version == 6 else str(address)


def waiting_from(queue: Any, client: str) -> int:
    """How many requests of `client` wait in gradio's queue (its events not yet started, over every lane)."""
    return sum(client_address(event.request) == client
               for lane in list(queue.event_queue_per_concurrency_id.values()) for event in list(lane.queue))


def in_lane(queue: Any, client: str, lane: str) -> int:
    """How many requests of `client` run or wait in the concurrency group `lane`."""
    waiting = queue.event_queue_per_concurrency_id.get(lane)
    events = [*(list(waiting.queue) if waiting else []),
              *(event for job in list(queue.active_jobs) if job for event in job if event.concurrency_id == lane)]
    return sum(client_address(event.request) == client for event in events)


def waiting_in(queue: Any, lane: str) -> int:
    """How many requests wait in gradio's queue for the concurrency group `lane` (not yet started)."""
    waiting = queue.event_queue_per_concurrency_id.get(lane)
    return len(waiting.queue) if waiting else 0


def _over_share(queue: Any, fn: Any, client: str, limit: int, slot_lanes: tuple[str, ...]) -> str | None:
    """Why `client`'s request for `fn` is refused at the door, or None."""
    if waiting_from(queue, client) >= limit:
        return (f"You have {limit} requests waiting already: wait for them to finish before sending more (one "
                "client's share of the queue, so that every visitor is served).")
    if fn is not None and waiting_in(queue, fn.concurrency_id) >= PER_LANE_WAITING:
        return (f"{PER_LANE_WAITING} requests of this kind are waiting already: try again in a minute (one kind of "
                "request may hold only so many places in the queue, so that every other kind is still served).")
    share = LANE_SHARES.get(fn.concurrency_id) if fn is not None else None
    if share is not None and in_lane(queue, client, fn.concurrency_id) >= share:
        return (f"You have {share} of these requests going or waiting already: wait for one to end, or stop it, "
                "before sending more (one client's share, so that every visitor is served).")
    if fn is not None and fn.concurrency_id in slot_lanes and SLOT.jobs_of(client) >= PER_CLIENT_JOBS:
        return SHARE_SPENT
    return None


def miscounted(fn: Any, data: Any) -> str | None:
    """Why a call to `fn` with inputs `data` is refused at the door, or None: too few or too many inputs (gradio
    answered such a call from outside its client, curl or a script, with an error whose message was null). A call may
    leave out its State inputs (gradio fills them in), or send a null in their place."""
    if fn is None or not isinstance(data, list):
        return None
    names = list(fn.input_parameter_names or [])
    shown = [names[i] if i < len(names) and names[i] else f"input {i + 1}" for i in range(len(fn.inputs))]
    asked = [name for name, block in zip(shown, fn.inputs) if type(block).__name__ != "State"]
    if len(asked) <= len(data) <= len(fn.inputs):
        return None
    return (f"/{fn.api_name} takes {len(asked)} inputs, in this order: {', '.join(asked)}; this call sent "
            f"{len(data)} (the API page, “Use via API” at the foot of the app, shows each)")


def guard_queue(demo: Any, limit: int = PER_CLIENT_WAITING, slot_lanes: tuple[str, ...] = ()) -> None:
    """After `demo.queue()`: refuse a request at the queue's door when it sends too few or too many inputs (miscounted),
    once its client has `limit` requests waiting, or,
    for an event of `slot_lanes` (whose handlers only queue a job in the job slot), once its client has its share of
    the slot; and forget what the queue and the state keep of a request that named no session, a while after its
    event ended.

    gradio bounds the queue as a whole (max_size) but not one client's share of it, and for an API call that names
    no session it keeps the made-up session's state, message queue and event ids for good: this wraps the queue's
    `push` (gradio's private Queue, checked against a launched app by tests/test_fairness.py)."""
    queue, push = demo._queue, demo._queue.push
    sessionless: dict[str, tuple[str, float | None]] = {}  # session -> (its event's id, when it was seen ended)
    pruning: list[asyncio.Task] = []
    owners: dict[str, str] = {}  # session -> the client that first named it at the queue's door

    async def guarded_push(body: Any, request: Any, username: str | None) -> tuple:
        client = client_address(request)
        fn = demo.fns.get(body.fn_index)
        refusal = miscounted(fn, body.data) or _over_share(queue, fn, client, limit, slot_lanes)
        if refusal:
            await asyncio.sleep(REFUSAL_DELAY)  # costs the app nothing; slows a client that loops on refusals
            return False, refusal, "error"  # a 400 whose message the page shows (a 503 shows "busy" only)
        holder = getattr(demo, "state_holder", None)  # the launched app's, made at launch
        if holder is not None and not getattr(holder, "fair", False):
            fair_sessions(holder, owners)
        named = body.session_hash is not None
        answer = await push(body, request, username)
        if named and answer[0]:
            owners.setdefault(body.session_hash, client)
        if not named and answer[0]:
            sessionless[body.session_hash] = (answer[1], None)  # the session the queue made up, and the event id
            if not pruning:
                pruning.append(asyncio.get_running_loop().create_task(forget_sessionless()))
        return answer

    async def forget_sessionless() -> None:  # on the server's event loop, as the queue's own bookkeeping is
        while True:
            await asyncio.sleep(FORGET_EVERY)
            now, holder = time.monotonic(), getattr(demo, "state_holder", None)
            for session, (event_id, ended) in list(sessionless.items()):
                if event_id in queue.event_ids_to_events:  # waiting or running
                    continue
                if ended is None:
                    sessionless[session] = (event_id, now)
                elif now - ended > RESULT_KEPT_SECONDS:  # the caller has had the time to read its result
                    del sessionless[session]
                    queue.pending_messages_per_session.pop(session, None)
                    queue.pending_event_ids_session.pop(session, None)
                    if holder is not None:
                        with holder.lock:
                            holder.session_data.pop(session, None)
                            holder.time_last_used.pop(session, None)

    queue.push = guarded_push


NO_OWNER = ""  # the owner of a session no queued request has named (a queue=False call): it holds no state yet


def fair_sessions(holder: Any, owners: dict[str, str]) -> None:
    """Make gradio's StateHolder `holder` evict fairly: past its capacity, the oldest session of the client holding
    the most sessions (`owners`: session -> client; sessions none named count as one client, NO_OWNER, and go
    first on a tie), never the session in use. Replaces its `update` (gradio's private eviction, checked against a
    launched app by tests/test_fairness.py)."""
    def update(session_id: str) -> None:
        with holder.lock:
            if session_id in holder.session_data:
                holder.session_data.move_to_end(session_id)
            while len(holder.session_data) > max(holder.capacity, 1):
                counts = Counter(owners.get(s, NO_OWNER) for s in holder.session_data if s != session_id)
                heaviest = max(counts, key=lambda owner: (counts[owner], owner == NO_OWNER))
                victim = next(s for s in holder.session_data
                              if s != session_id and owners.get(s, NO_OWNER) == heaviest)  # its oldest
                del holder.session_data[victim]
                holder.time_last_used.pop(victim, None)
                owners.pop(victim, None)
            if len(owners) > 2 * holder.capacity:  # sessions gradio dropped itself
                for session in [s for s in owners if s not in holder.session_data]:
                    del owners[session]
    holder.update, holder.fair = update, True


def calm_idle_queue(demo: Any) -> None:
    """After `demo.queue()`: gradio's queue polls less often while it has nothing to do (IDLE_POLL). Its polling
    intervals are private attributes (checked against gradio's Queue by tests/test_fairness.py)."""
    queue = demo._queue
    queue.sleep_when_free = max(queue.sleep_when_free, IDLE_POLL)
    queue.progress_update_sleep_when_free = max(queue.progress_update_sleep_when_free, IDLE_PROGRESS_POLL)
