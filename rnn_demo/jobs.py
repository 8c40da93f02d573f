"""One slot for the app's heavy work (gradient-lab runs; later trainings and forecast adaptations): at most one
job at a time, the others waiting in line with their position shown, each job bounded in wall time, stopped when
its visitor presses Stop or leaves, and run in a separate worker process at one thread and a lower priority, so
the other tabs keep their latency and a hung job costs its own request only (the process is killed and replaced).

A job is a generator function named "module:function", called in the worker with keyword arguments and yielding
picklable items; the visitor's handler iterates `JobSlot.run(...)`, which yields `Waiting`, then the items, then
a `Finished`. The worker checks for Stop between two items.
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
from collections.abc import Iterator
from contextlib import closing
from dataclasses import asdict, dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from .child_env import visitor_environment

NICENESS = 10  # the worker's priority below the app's: the tabs' requests come first on a busy CPU
GRACE_SECONDS = 5.0  # how long a stopped or timed-out job has to answer before its process is killed
POLL_SECONDS = 0.5  # how often a waiting visitor hears their position
# A worker's memory after a job: torch alone takes about 220 MB; a 50 MB upload's training left 1.7 GB,
# which glibc keeps for the process. Past RECYCLE_MB the worker is replaced (about 3 s for the next job to start).
RECYCLE_MB = 600.0
PER_CLIENT_JOBS = 2  # jobs going or waiting from one client address (clients.py): two tabs of one person, not more
SHARE_SPENT = (f"{PER_CLIENT_JOBS} heavy jobs from your address are going or waiting already (trainings, lab "
               "runs, forecast adaptations): wait for one to finish")


@dataclass(frozen=True)
class Waiting:
    """The visitor's place in line: 1 is next."""

    position: int


@dataclass(frozen=True)
class Finished:
    """How a job ended: "done", "stopped", "time limit" (the items so far stand) or "failed" (message says why)."""

    reason: str
    message: str = ""


def _send(connection: Connection, message: object) -> None:
    connection.send_bytes(json.dumps(message).encode())


def _receive(connection: Connection) -> object:
    return json.loads(connection.recv_bytes())


def _worker_main(descriptor: int) -> None:  # runs in the worker process
    os.nice(NICENESS)
    import torch

    torch.set_num_threads(1)
    jobs = Connection(descriptor)
    while True:
        try:
            job = _receive(jobs)
        except EOFError:  # the app has ended
            return
        if job == "stop":  # a Stop that came after its job had ended
            continue
        _send(jobs, asdict(_run_one(jobs, job["target"], job["kwargs"], job["seconds"])))
        if torch.cuda.is_initialized():  # the job took the GPU: its cached memory goes back for the served models
            torch.cuda.empty_cache()


def _run_one(jobs: Connection, target: str, kwargs: dict, seconds: float) -> Finished:
    deadline = time.monotonic() + seconds
    module, name = target.split(":")
    try:  # the job is closed before its Finished is sent: what it does on closing (a `finally`) is done by then
        with closing(getattr(importlib.import_module(module), name)(**kwargs)) as items:
            for item in items:
                _send(jobs, {"item": item})
                if jobs.poll() and _receive(jobs) == "stop":
                    return Finished("stopped")
                if time.monotonic() > deadline:
                    return Finished("time limit", f"the run reached its limit of {seconds:g} s")
    except ValueError as error:  # the job's own check of its input: the message is for the visitor
        return Finished("failed", str(error))
    except Exception as error:  # noqa: BLE001 - anything else is reported, and the worker goes on
        return Finished("failed", f"the job failed ({type(error).__name__}): {error}")
    return Finished("done")


class _Worker:
    """The worker process (`python -m rnn_demo.jobs`, so it imports nothing of the app) and its socket, over which
    go JSON messages only; replaced when it has to be killed."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair()
        self.process = subprocess.Popen([sys.executable, "-m", "rnn_demo.jobs", str(theirs.fileno())],
                                        pass_fds=[theirs.fileno()], cwd=Path(__file__).resolve().parent.parent,
                                        env=visitor_environment())  # a visitor's job never holds the Space's token
        theirs.close()
        self.connection = Connection(ours.detach())
        # one message at a time: a message over 16 KB goes as its length, then its bytes, and a Stop sent from
        # another thread between the two corrupted the job (22 times in 30 with a forecast's 30 KB adaptation)
        self.sending = threading.Lock()

    def alive(self) -> bool:
        return self.process.poll() is None

    def resident_mb(self) -> float:
        """The worker's resident memory (0 once it has ended)."""
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return 0.0
        return next((int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmRSS:")), 0.0)

    def send(self, message: object) -> None:
        with self.sending:
            _send(self.connection, message)

    def receive(self) -> object:
        """An item, or a Finished."""
        message = _receive(self.connection)
        return message["item"] if "item" in message else Finished(**message)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=5)
        self.connection.close()


class JobSlot:
    """At most one job at a time for the whole app; visitors (by an owner id, e.g. the session) get one each."""

    def __init__(self, recycle_mb: float = RECYCLE_MB) -> None:
        self.recycle_mb = recycle_mb  # a worker holding more after a job is replaced before the next
        self.line: list[str] = []  # owners in order; the first one's job is running (or starting)
        self.clients: dict[str, str] = {}  # owner -> the client address it came from
        self.stopping: set[str] = set()  # owners who pressed Stop or left
        self.changed = threading.Condition()
        self.worker: _Worker | None = None
        self.running = False  # the worker has a job (a Stop may be sent to it)
        self.winding_down = False  # a job closed early is being stopped: the next one waits for its worker

    def jobs_of(self, client: str) -> int:
        """How many jobs `client` (an address) has going or waiting."""
        with self.changed:
            return sum(self.clients.get(owner) == client for owner in self.line)

    def position(self, owner: str) -> int | None:
        """0 while `owner`'s job runs, k >= 1 while k - 1 are ahead of it, None if it has none."""
        with self.changed:
            return self.line.index(owner) if owner in self.line else None

    def run(self, owner: str, target: str, kwargs: dict, seconds: float,
            client: str | None = None) -> Iterator[Waiting | Finished | object]:
        """Queue `owner`'s job, wait for the slot (yielding Waiting), run it (yielding its items), then a Finished.
        Closing the iterator (the visitor's Stop, or their leaving) stops the job and frees the slot. A `client`
        (its address) has at most PER_CLIENT_JOBS jobs going or waiting, whatever owners it names."""
        with self.changed:
            if owner in self.line:
                raise ValueError("you already have a run going or waiting: stop it, or wait for it to finish")
            if client is not None and self.jobs_of(client) >= PER_CLIENT_JOBS:  # (the condition's lock is an RLock)
                raise ValueError(SHARE_SPENT)
            self.line.append(owner)
            if client is not None:
                self.clients[owner] = client
        try:
            while (ahead := self.position(owner)) != 0:
                if owner in self.stopping:
                    yield Finished("stopped")
                    return
                yield Waiting(ahead)
                with self.changed:
                    self.changed.wait(POLL_SECONDS)
            yield from self._running(owner, target, kwargs, seconds)
        finally:
            with self.changed:
                self.line.remove(owner)
                self.clients.pop(owner, None)
                self.stopping.discard(owner)
                self.changed.notify_all()

    def stop(self, owner: str) -> bool:
        """Stop `owner`'s job (it ends after its current item, its items so far kept) or take it out of the line;
        False if they have none. Their handler then yields Finished("stopped")."""
        with self.changed:
            if owner not in self.line:
                return False
            if owner in self.stopping:  # asked already: a Stop pressed again sends nothing more to the worker
                return True
            self.stopping.add(owner)
            if self.line[0] == owner and self.worker is not None and self.running:
                self.worker.send("stop")
            self.changed.notify_all()
            return True

    def wait_ended(self, owner: str, seconds: float) -> bool:
        """Whether `owner` has no job in the line, waiting up to `seconds` for it to leave (after a Stop). A job
        leaves after its handler has passed on its Finished, so by then the visitor's page has its last word."""
        deadline = time.monotonic() + seconds
        with self.changed:
            while owner in self.line:
                if (left := deadline - time.monotonic()) <= 0:
                    return False
                self.changed.wait(left)
            return True

    def _running(self, owner: str, target: str, kwargs: dict, seconds: float) -> Iterator[object]:
        with self.changed:
            while self.winding_down:
                self.changed.wait()
            if self.worker is None or not self.worker.alive():
                self.worker = _Worker()
            worker, finished, stopped = self.worker, None, owner in self.stopping
            if not stopped:  # sent before `running` says so: a Stop from now on follows the job, never precedes it
                worker.send({"target": target, "kwargs": kwargs, "seconds": seconds})
            self.running = not stopped
        if stopped:  # Stop came as its turn did
            yield Finished("stopped")
            return
        try:
            while finished is None:
                if not worker.connection.poll(seconds + GRACE_SECONDS):  # hung between two items: kill it
                    self._replace(worker)
                    finished = Finished("time limit", f"the run stopped answering within {seconds:g} s")
                elif isinstance(message := worker.receive(), Finished):
                    finished = message
                else:
                    yield message
        except (EOFError, OSError):
            self._replace(worker)
            finished = Finished("failed", "the worker process ended unexpectedly; the next run starts a new one")
        finally:
            with self.changed:
                self.running = False
            if finished is None:  # closed early (the visitor cancelled or left): stopped without making them wait
                self._wind_down(worker)
            elif worker.resident_mb() > self.recycle_mb:  # a large job's memory stays with its process: start anew
                self._replace(worker)
        yield finished

    def _wind_down(self, worker: _Worker) -> None:
        """Stop the job of a closed handler in a thread of its own: closing returns at once, even when a busy CPU
        keeps the worker from answering; the next job waits until the worker is free (or replaced)."""
        with self.changed:
            self.winding_down = True

        def stop() -> None:
            try:
                self._stop(worker)
            finally:
                with self.changed:
                    self.winding_down = False
                    self.changed.notify_all()

        threading.Thread(target=stop, name="job-stop", daemon=True).start()

    def _stop(self, worker: _Worker) -> None:
        """Ask the running job to stop and wait for its Finished, reading past its last items; kill it if it does
        not answer within GRACE_SECONDS."""
        deadline = time.monotonic() + GRACE_SECONDS
        try:
            worker.send("stop")
            while (left := deadline - time.monotonic()) > 0 and worker.connection.poll(left):
                if isinstance(worker.receive(), Finished):
                    return
        except (EOFError, OSError):
            pass
        self._replace(worker)

    def _replace(self, worker: _Worker) -> None:
        worker.kill()
        if self.worker is worker:
            self.worker = None

    def close(self) -> None:
        """Kill the worker process (tests; the app's worker ends with it, as a daemon)."""
        if self.worker is not None:
            self._replace(self.worker)


SLOT = JobSlot()  # the app's one slot, shared by every tab that runs heavy jobs


if __name__ == "__main__":
    _worker_main(int(sys.argv[1]))
