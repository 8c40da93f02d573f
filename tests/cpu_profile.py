"""A CPU-time profile of the suite: `python -m pytest -n auto -p tests.cpu_profile`.

On two cores the suite is bound by CPU (both cores stay busy from its first test to its last), so a test's cost is
the CPU its processes use, not its wall time, which counts the waits on the other workers. Each test is charged the
CPU seconds its worker's process tree used while it ran: the worker, every process it started (the apps, their job
workers, Chromium, the commands) and every child already reaped. A shared app's background work is charged to
whichever test is running beside it, and a group's last test gets back (negatively) what stopping its app reaps.
The summary, at the end of the run: the groups (tests/conftest.py's `group`) and the tests that cost the most, then
when each worker's tests ended; with RNN_DEMO_CPU_PROFILE_ROWS=FILE, every test's row (id, CPU s, wall s, start,
worker) as JSON in FILE too.
Reading /proc twice per test costs about 10 ms each time: use it to profile, not in CI.
"""
from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from pathlib import Path

import pytest

TICK = os.sysconf("SC_CLK_TCK")
_charged: list[tuple[str, float, float, float, str]] = []  # (test id, CPU s of the tree, wall s, start, worker)


def processes() -> dict[int, tuple[int, int, float, float]]:
    """Every live process: pid -> (its parent, its start tick, its CPU seconds, its reaped children's)."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        times = [int(ticks) / TICK for ticks in fields[11:15]]  # utime, stime, cutime, cstime
        found[int(entry)] = int(fields[1]), int(fields[19]), times[0] + times[1], times[2] + times[3]
    return found


def descends(pid: int, root: int, live: dict[int, tuple]) -> bool:
    """Whether `pid` is `root` or one of its live descendants (`live`: `processes()`)."""
    while pid not in (root, 0, 1) and pid in live:
        pid = live[pid][0]
    return pid == root


def tree_cpu(root: int) -> float:
    """CPU seconds used so far by `root` and its live descendants, each with its reaped children."""
    live = processes()
    return sum(own + children for pid, (_, _, own, children) in live.items() if descends(pid, root, live))


def _folder() -> Path:
    """Where the workers leave their rows for the controlling process (its pid names it)."""
    controller = os.getppid() if os.environ.get("PYTEST_XDIST_WORKER") else os.getpid()
    return Path(tempfile.gettempdir()) / f"rnn-demo-cpu-profile-{controller}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    import time

    cpu, wall, start = tree_cpu(os.getpid()), time.perf_counter(), time.time()
    yield
    _charged.append((item.nodeid, tree_cpu(os.getpid()) - cpu, time.perf_counter() - wall, start,
                     os.environ.get("PYTEST_XDIST_WORKER", "main")))


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _charged:
        _folder().mkdir(exist_ok=True)
        name = os.environ.get("PYTEST_XDIST_WORKER", "main")
        (_folder() / f"{name}.json").write_text(json.dumps(_charged))


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    from tests.conftest import group

    if os.environ.get("PYTEST_XDIST_WORKER") or not _folder().is_dir():
        return
    rows = [row for path in sorted(_folder().glob("*.json")) for row in json.loads(path.read_text())]
    if os.environ.get("RNN_DEMO_CPU_PROFILE_ROWS"):
        Path(os.environ["RNN_DEMO_CPU_PROFILE_ROWS"]).write_text(json.dumps(rows))
    for path in _folder().glob("*.json"):
        path.unlink()
    _folder().rmdir()
    by_group, walls = Counter(), Counter()
    for test, cpu, wall, _, _ in rows:
        by_group[group(test)] += cpu
        walls[group(test)] += wall
    write = terminalreporter.write_line
    terminalreporter.section("CPU seconds by group (each test's process tree), wall seconds beside")
    write(f"all tests: {sum(by_group.values()):.1f} CPU s")
    for name, cpu in by_group.most_common(20):
        write(f"{cpu:8.1f} {walls[name]:8.1f}  {name}")
    terminalreporter.section("the tests that cost the most CPU")
    for test, cpu, wall, _, _ in sorted(rows, key=lambda row: -row[1])[:25]:
        write(f"{cpu:8.1f} {wall:8.1f}  {test}")
    _write_timeline(terminalreporter, rows)


def _write_timeline(terminalreporter, rows: list) -> None:
    """When each worker's tests ended, in seconds from the first test's start, and its last group's start: a worker
    ending well before the others shows a tail that one group ran alone (conftest's FIRST orders the groups)."""
    from tests.conftest import group

    began = min(row[3] for row in rows)
    terminalreporter.section("the workers' timelines (seconds from the first test's start)")
    for worker in sorted({row[4] for row in rows}):
        mine = sorted((row for row in rows if row[4] == worker), key=lambda row: row[3])
        last = group(mine[-1][0])
        last_start = min(row[3] for row in mine if group(row[0]) == last) - began
        end = max(row[3] + row[2] for row in mine) - began
        terminalreporter.write_line(f"{worker}: {len(mine)} tests, ended at {end:.0f} s; its last group, {last}, "
                                    f"started at {last_start:.0f} s")
