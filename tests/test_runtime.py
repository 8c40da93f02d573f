"""How the app uses the machine: the memory trimmer hands freed memory back to the system."""
from pathlib import Path

from rnn_demo.runtime import trim_memory


def _rss_mb() -> float:
    line = next(line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def test_trimming_returns_freed_small_allocations_to_the_system():
    import gc

    trim_memory()
    before = _rss_mb()
    kept = [bytearray(3000) for _ in range(30_000)]  # ~90 MB in blocks malloc serves (above pymalloc's 512 bytes)
    del kept[1::4], kept[1::3], kept[1::2]  # three in four freed, between live blocks: malloc keeps the holes
    gc.collect()
    held = _rss_mb()
    assert trim_memory()
    assert held - _rss_mb() > 15, (before, held, _rss_mb())  # the free holes go back to the system
    del kept


def test_the_trimmer_runs_in_the_background():
    """In a process of its own: the trimmer sets the allocator for the whole process, and runs for its life."""
    import subprocess
    import sys

    check = ("from rnn_demo.runtime import start_memory_trimmer\nthread = start_memory_trimmer(every=0.05)\n"
             "assert thread is not None and thread.daemon and thread.is_alive()\nprint('running')")
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "running", result.stderr[-2000:]


def test_bench_load_reports_the_memory_slope_overall_and_over_the_second_half():
    from rnn_demo.bench_load import rss_slope

    levelling = [(t, 500 + min(t, 600) / 60) for t in range(0, 1800, 2)]  # +1 MB a minute, then flat
    assert rss_slope(levelling, 0) > 0 and abs(rss_slope(levelling, 900)) < 1e-6
    assert rss_slope([(t, 500 + t / 3600) for t in range(0, 100, 2)], 10) == 1.0  # 1 MB an hour
