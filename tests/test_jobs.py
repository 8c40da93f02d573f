"""The job slot (rnn_demo/jobs.py) with a real worker process: one job at a time, a line with positions, Stop,
time limits, a job that hangs or dies costing its own run only, and the worker's lower priority and one thread."""
import threading
import time

import pytest

from rnn_demo.jobs import Finished, JobSlot, Waiting

pytestmark = pytest.mark.slow  # a worker process starts (and is replaced) several times


@pytest.fixture(scope="module")
def slot():
    slot = JobSlot()
    yield slot
    slot.close()


def test_a_job_streams_its_items_then_finishes(slot):
    assert list(slot.run("a", "tests.jobs_targets:count", {"n": 4}, seconds=30)) == [0, 1, 2, 3, Finished("done")]
    assert slot.position("a") is None


def test_the_worker_runs_at_a_lower_priority_and_one_thread(slot):
    (seen, finished) = list(slot.run("a", "tests.jobs_targets:surroundings", {}, seconds=30))
    assert seen["niceness"] >= 10 and seen["threads"] == 1 and finished == Finished("done")


def test_the_worker_never_holds_the_spaces_hub_token(monkeypatch):
    """A visitor's job (a training, a lab run) runs code on the visitor's data: it must not act as the Space."""
    monkeypatch.setenv("HF_TOKEN", "hf_the_spaces_own")
    monkeypatch.setenv("HUGGING_FACE_HUB_TOKEN", "hf_the_spaces_own")
    own = JobSlot()  # its worker starts now, with this environment
    try:
        (seen, finished) = list(own.run("a", "tests.jobs_targets:tokens", {}, seconds=30))
    finally:
        own.close()
    assert seen == {"HF_TOKEN": None, "HUGGING_FACE_HUB_TOKEN": None, "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1"}, seen


def test_a_second_visitor_waits_in_line_with_their_position(slot):
    first = slot.run("first", "tests.jobs_targets:count", {"n": 6, "pause": 0.2}, seconds=30)
    assert next(first) == 0  # running
    second = slot.run("second", "tests.jobs_targets:count", {"n": 1}, seconds=30)
    assert next(second) == Waiting(1) and slot.position("second") == 1
    with pytest.raises(ValueError, match="you already have a run going or waiting"):
        next(slot.run("second", "tests.jobs_targets:count", {"n": 1}, seconds=30))
    rest = []
    runner = threading.Thread(target=lambda: rest.extend(first))
    runner.start()
    later = list(second)
    runner.join()
    assert rest == [1, 2, 3, 4, 5, Finished("done")]
    assert set(later[:-2]) <= {Waiting(1)} and later[-2:] == [0, Finished("done")]


def test_stop_frees_the_slot_at_once_for_the_next_job(slot):
    job = slot.run("a", "tests.jobs_targets:count", {"n": 1000, "pause": 0.05}, seconds=60)
    assert next(job) == 0
    started = time.monotonic()
    job.close()  # Stop, or the visitor left
    assert slot.position("a") is None and time.monotonic() - started < 2
    assert list(slot.run("b", "tests.jobs_targets:count", {"n": 2}, seconds=30)) == [0, 1, Finished("done")]


def test_closing_a_job_returns_at_once_even_when_the_worker_is_slow_to_stop(slot, tmp_path):
    """A cancel must not wait for a busy worker; the next job starts once the closed one has run its `finally`."""
    marker = tmp_path / "closed"
    job = slot.run("a", "tests.jobs_targets:slow_to_stop", {"marker": str(marker)}, seconds=60)
    assert next(job) == 0
    started = time.monotonic()
    job.close()
    assert time.monotonic() - started < 0.5 and slot.position("a") is None
    assert list(slot.run("b", "tests.jobs_targets:count", {"n": 1}, seconds=30)) == [0, Finished("done")]
    assert marker.read_text() == "closed"  # the closed job finished (its finally ran) before the next one started


def test_a_job_ends_at_its_time_limit_with_its_items_so_far(slot):
    items = list(slot.run("a", "tests.jobs_targets:count", {"n": 1000, "pause": 0.05}, seconds=0.5))
    assert items[-1] == Finished("time limit", "the run reached its limit of 0.5 s") and 3 <= len(items) - 1 <= 20


def test_a_job_that_hangs_is_killed_and_the_next_one_runs(slot):
    items = list(slot.run("a", "tests.jobs_targets:hang", {}, seconds=0.5))
    assert items == ["started", Finished("time limit", "the run stopped answering within 0.5 s")]
    assert list(slot.run("b", "tests.jobs_targets:surroundings", {}, seconds=30))[-1] == Finished("done")


def test_a_refused_input_and_a_dead_worker_are_reported_and_the_slot_goes_on(slot):
    assert list(slot.run("a", "tests.jobs_targets:refuse", {"value": -1}, seconds=30)) == [
        Finished("failed", "value must be at least 0, not -1")]
    items = list(slot.run("a", "tests.jobs_targets:crash", {}, seconds=30))
    assert items[0] == "started" and items[-1].reason == "failed" and "ended unexpectedly" in items[-1].message
    assert list(slot.run("a", "tests.jobs_targets:count", {"n": 1}, seconds=30)) == [0, Finished("done")]


def test_stop_by_owner_ends_a_running_job_after_its_item_and_takes_a_waiting_one_out(slot):
    running = slot.run("a", "tests.jobs_targets:count", {"n": 1000, "pause": 0.05}, seconds=60)
    waiting = slot.run("b", "tests.jobs_targets:count", {"n": 1}, seconds=60)
    assert next(running) == 0 and next(waiting) == Waiting(1)
    assert slot.stop("b") and slot.stop("a") and not slot.stop("nobody")
    assert list(waiting) == [Finished("stopped")]
    rest = list(running)
    assert rest[-1] == Finished("stopped") and len(rest) <= 3
    assert slot.position("a") is None and slot.position("b") is None
    assert list(slot.run("a", "tests.jobs_targets:count", {"n": 2}, seconds=30)) == [0, 1, Finished("done")]


def test_stop_pressed_again_and_again_asks_the_worker_once(slot):
    """Each "stop" sent waits in the worker's socket until the job's next item: a visitor pressing Stop thousands of
    times while a slow item ran filled the socket, and the next send blocked under the slot's lock."""
    running = slot.run("a", "tests.jobs_targets:count", {"n": 1000, "pause": 0.2}, seconds=60)
    assert next(running) == 0
    worker, sent = slot.worker, []
    send = worker.send
    worker.send = lambda message: (sent.append(message), send(message))
    assert all(slot.stop("a") for _ in range(100))
    rest = list(running)
    assert rest[-1] == Finished("stopped") and sent == ["stop"]


def test_a_stop_as_a_large_job_starts_stops_it_and_never_garbles_the_worker(slot):
    """A job's arguments over 16 KB go as their length, then their bytes; a Stop sent from the visitor's thread in
    between garbled the message and killed the worker (10 trials in 10 with 60 KB before: "the worker process ended
    unexpectedly"). Sends are one at a time, and the job goes before `running` lets a Stop follow it."""
    for _ in range(5):
        ended: dict[str, list] = {}
        first = threading.Thread(target=lambda: ended.setdefault("a", list(slot.run(
            "a", "tests.jobs_targets:count", {"n": 2, "pause": 0.05}, seconds=30))))
        first.start()
        deadline = time.monotonic() + 30
        while slot.position("a") != 0 and "a" not in ended and time.monotonic() < deadline:
            time.sleep(0.001)  # a is running (or, on a slow machine, done already)
        second = threading.Thread(target=lambda: ended.setdefault("b", list(slot.run(
            "b", "tests.jobs_targets:count_carrying", {"blob": "x" * 60_000, "n": 20, "pause": 0.05}, seconds=30))))
        second.start()
        while (slot.position("b") != 0 or not slot.running) and time.monotonic() < deadline:
            pass  # b presses Stop as its turn comes
        slot.stop("b")
        first.join(30)
        second.join(30)
        assert ended["b"][-1] == Finished("stopped"), ended["b"][-1]


def test_wait_ended_says_whether_a_visitors_job_has_left_the_line():
    slot = JobSlot()
    assert slot.wait_ended("nobody", 0.0)
    slot.line.append("visitor")  # a job in the line that does not end within the wait
    started = time.monotonic()
    assert not slot.wait_ended("visitor", 0.3) and time.monotonic() - started >= 0.3
    threading.Timer(0.1, lambda: (slot.line.remove("visitor"), slot.changed.acquire(), slot.changed.notify_all(),
                                  slot.changed.release())).start()
    assert slot.wait_ended("visitor", 5.0)


def test_a_worker_left_holding_much_memory_is_replaced_before_the_next_job():
    """A 50 MB upload's training left the worker at 1.7 GB for good: past recycle_mb it is replaced."""
    slot = JobSlot()
    try:
        (first, _) = list(slot.run("a", "tests.jobs_targets:surroundings", {}, seconds=30))
        resting = slot.worker.resident_mb()
        assert slot.worker.process.pid == first["pid"] and 0 < resting < slot.recycle_mb  # a small job: kept
        slot.recycle_mb = resting + 150
        (pid, _) = list(slot.run("a", "tests.jobs_targets:hold", {"mb": 300}, seconds=30))
        assert pid == first["pid"] and slot.worker is None  # replaced once the job had ended
        (after, _) = list(slot.run("a", "tests.jobs_targets:surroundings", {}, seconds=30))
        assert after["pid"] != pid and slot.worker.resident_mb() < slot.recycle_mb
    finally:
        slot.close()
