"""The Sentiment tab's files through the API of the launched app: a file of tiny rows refused without the memory
it once took, results named after the upload, no server path in an error; and the tab's wiring."""
import os
import re
import threading
from pathlib import Path

import pytest
from gradio_client import handle_file

from tests.bad_inputs import PNG, tiny_rows_file


def app_pid(url: str) -> int:
    """The pid of the process listening on `url`'s port: the socket's inode from /proc/net, then whose fd it is."""
    port = int(url.rstrip("/").rsplit(":", 1)[1])
    sockets = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":  # 0A: listening
                sockets.add(f"socket:[{fields[9]}]")
    for fd in Path("/proc").glob("[0-9]*/fd/*"):
        try:
            if os.readlink(fd) in sockets:
                return int(fd.parts[2])
        except OSError:  # a process or descriptor that went away, or another user's
            continue
    raise LookupError(f"no process listens on port {port}")


def resident_mb(pid: int) -> float:
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2 ** 20


def _peak_while(pid: int, run) -> tuple[float, float]:
    """`pid`'s resident memory before `run()` and its peak while it runs (sampled every 20 ms)."""
    before, peak, done = resident_mb(pid), [0.0], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], resident_mb(pid))
            done.wait(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        run()
    finally:
        done.set()
        sampler.join()
    return before, max(peak[0], resident_mb(pid))


def _classify_file(client, path: Path, column: str = ""):
    return client.predict(handle_file(str(path)), column, "gru", api_name="/classify_csv")


@pytest.mark.slow
def test_a_50_mb_file_of_tiny_rows_is_refused_with_little_memory(client, tmp_path):
    path = tiny_rows_file(tmp_path)
    pid = app_pid(client.src)

    def refused() -> None:
        with pytest.raises(Exception, match="the limit is 20,000"):
            _classify_file(client, path)

    before, peak = _peak_while(pid, refused)
    assert peak - before < 100, f"the app's memory rose from {before:.0f} MB to {peak:.0f} MB"


@pytest.mark.slow
@pytest.mark.parametrize("name, result", [("reviews.csv", "reviews-classified.csv"),
                                          ("my reviews (2).CSV", "my_reviews_2-classified.csv")])
def test_the_result_is_named_after_the_upload(client, tmp_path, name, result):
    path = tmp_path / name
    path.write_text("id,text\n1,a superb film\n")
    answer, _ = _classify_file(client, path)
    assert Path(answer).name == result


@pytest.mark.slow
def test_no_sentiment_error_shows_a_server_path(client, tmp_path):
    uploads = [PNG, b"", b"\xef\xbb\xbf", b"\xff\xfe\x00\xd8", b"id,text\n1,a, b\n", b"text\n" + b"a" * 200_000,
               b"a,b\n1,2\n", b"\xff\xfe" + "text\n\x00".encode("utf-16-le")]
    for number, data in enumerate(uploads):
        path = tmp_path / f"upload-{number}.csv"
        path.write_bytes(data)
        with pytest.raises(Exception) as raised:
            _classify_file(client, path)
        message = str(raised.value)
        assert not re.search(r"/\w+/|\\\w+\\|upload-\d", message), message
        assert "has raised an exception" not in message  # gradio's words for a bare "Error"


def test_each_sentiment_run_first_clears_what_the_last_one_showed():
    """Every output but a Label, which the page must not empty (it threw in gradio 6, and the next result's bars and
    colours never showed: tests/test_browser.py classifies twice); a Label shows the next result whole."""
    import gradio as gr

    import app

    events = list(app.demo.fns.values())
    for api_name in ("classify", "classify_csv"):
        run = next(event for event in events if event.api_name == api_name)
        clears = [event for event in events if event.targets == run.targets and event.js and event is not run]
        cleared = {id(o) for o in run.outputs if not isinstance(o, gr.Label)}
        assert any(cleared <= {id(o) for o in clear.outputs} for clear in clears), api_name
        assert not any(isinstance(o, gr.Label) for clear in clears for o in clear.outputs), api_name
