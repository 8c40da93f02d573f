"""The CPU of a whole run, by kind of process: `python -m tests.cpu_sample [-- COMMAND ...]` (default: the README's
`python -m pytest -n auto`).

tests/cpu_profile.py charges each test its worker's process tree, which misses what leaves the tree (an app's job
worker once its app is stopped, Chromium's helpers); this samples every process the command starts, every half
second, from /proc, and keeps each one's last CPU figure, so the kinds add up to what the machine spent (a process
that lives under half a second is missed, less than a second each). It prints the machine's busy CPU seconds over
the run (/proc/stat), then the CPU seconds and process count of each kind.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from tests.cpu_profile import TICK, descends, processes

KINDS = (  # (kind, what its command line holds), the first match wins
    ("Chromium", "chrom"), ("Playwright's driver", "playwright"), ("job workers", "rnn_demo.jobs"),
    ("launched apps", "app.py"), ("Hub dataset readers", "visitor_training.hub_data"),
    ("accelerate launchers", "accelerate.commands.launch"), ("commands", "-m rnn_demo"), ("commands", "bin/rnn-demo"),
    ("pytest-xdist workers", "exec(eval(sys.stdin"), ("pytest", "pytest"),
)


def kind_of(command: str) -> str:
    return next((kind for kind, mark in KINDS if mark in command), "other")


def sample(root: int, seen: dict[tuple[int, int], list]) -> None:
    """Record the CPU so far of `root` and each of its descendants, keyed by (pid, start tick)."""
    live = processes()
    for pid, (_, start, cpu, _) in live.items():
        if not descends(pid, root, live):
            continue
        if (pid, start) not in seen:
            try:
                command = Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")
            except OSError:
                continue
            seen[(pid, start)] = [kind_of(command), cpu]
        seen[(pid, start)][1] = max(seen[(pid, start)][1], cpu)


def busy_seconds() -> float:
    """The machine's CPU seconds spent on anything but idle and I/O wait since boot."""
    ticks = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / TICK


def main(command: list[str]) -> int:
    busy, started = busy_seconds(), time.monotonic()
    process, seen = subprocess.Popen(command), {}
    while process.poll() is None:
        sample(process.pid, seen)
        time.sleep(0.5)
    cpu, count = Counter(), Counter()
    for kind, seconds in seen.values():
        cpu[kind] += seconds
        count[kind] += 1
    print(f"\n{time.monotonic() - started:.0f} s; the machine busy {busy_seconds() - busy:.0f} CPU s of "
          f"{(time.monotonic() - started) * os.cpu_count():.0f}; the command's processes {sum(cpu.values()):.0f}:")
    for kind, seconds in cpu.most_common():
        print(f"{seconds:8.1f} CPU s  {count[kind]:4d}  {kind}")
    return process.returncode


if __name__ == "__main__":
    arguments = sys.argv[1:]
    sys.exit(main(arguments[arguments.index("--") + 1:] if "--" in arguments
                  else [sys.executable, "-m", "pytest", "-n", "auto", "-q"]))
