"""Shared fixtures (tiny seeded models, the committed tiny models, the command line run in this process, the
launched app) and how the suite is spread over pytest-xdist's workers.

The suite's time budget: the README's test command within 6 minutes on a 2-core machine, and the fast tests
(`-m "not slow"`) within 2 minutes serially; tests/README.md says how a new test keeps to it.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import string
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

# Torch's OpenMP threads wait for work by sleeping, not spinning, in every test process (the workers, and the apps and
# commands they start inherit it): with more busy threads than the 2 cores, spinning burns the CPU the others need.
# Set before torch is imported.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import pytest  # noqa: E402
import torch  # noqa: E402

from tests.quick_gradio import skip_component_stubs  # noqa: E402

skip_component_stubs()  # before anything imports gradio

from rnn_demo.text.model import UNKNOWN, CharLM, CharLMConfig  # noqa: E402
from rnn_demo.text.plugin import TINY_PLAY as TINY_TEXT  # noqa: E402
from tests.tiny_models import FIXTURES as TINY_MODELS  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


STARTED = time.time()  # when this process began: what gradio_client leaves in the temp folder after it is the run's
GRADIO_FILES: str | None = None  # the folder gradio keeps its files in, where this process made it


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist each worker computes with its share of the cores: two workers at 2 threads each on a
    2-core machine would make both wait on each other's spinning threads.

    The files gradio keeps (the launched apps' uploads and results, gradio_client's downloads) go to a folder of the
    run's own, removed when it ends: an app stopped by a signal never clears its own, which left about 70 MB in
    /tmp/gradio a run. The first process makes it, before any test module imports gradio; the workers, and the apps
    they launch, inherit it."""
    global GRADIO_FILES
    if "GRADIO_TEMP_DIR" not in os.environ:
        GRADIO_FILES = os.environ["GRADIO_TEMP_DIR"] = tempfile.mkdtemp(prefix="rnn-demo-gradio-")
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers > 1:
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // workers))


def pytest_unconfigure(config: pytest.Config) -> None:
    if GRADIO_FILES:
        shutil.rmtree(GRADIO_FILES, ignore_errors=True)
    _remove_download_stages(since=STARTED)


def _remove_download_stages(since: float) -> None:
    """gradio_client (client.py, `_download_file`) moves each file it downloads out of a folder of its own in the temp
    folder, named by 40 hex digits, and leaves that folder there, empty: the run removes the empty ones made since it
    started."""
    for folder in Path(tempfile.gettempdir()).iterdir():
        if len(folder.name) == 40 and set(folder.name) <= set(string.hexdigits.lower()):
            with contextlib.suppress(OSError):  # not empty, not a folder, or gone: left as it is
                if folder.stat().st_mtime >= since:
                    folder.rmdir()


MAX_WORKERS = 4  # `-n auto` on a large machine: each worker launches its own apps and browsers
# The modules that share a launched app, by the app's fixture: one group per app (conftest's `group`), so one worker
# and one launch of it, stopped when the group ends. Two groups, not one: one worker running both would carry about
# 290 s of the suite alone.
SHARED_APPS = {
    "bundled_app": ("test_browser.py", "test_inside_browser.py", "test_lab_browser.py", "test_train_browser.py"),
    "client": ("test_sentiment_compare.py", "test_app.py", "test_bad_inputs.py", "test_fairness.py",
               "test_forecast_compare.py", "test_inside_app.py", "test_lab_app.py", "test_sentiment_app.py",
               "test_publish.py", "test_forecast_temperature.py", "test_samples.py"),
}
APP_GROUP = {fixture: f"{fixture}-modules" for fixture in SHARED_APPS}  # the group of the modules that use it
# Modules whose tests each re-measure one bundled model in full: one group per cell, spread over the workers
PER_CELL = ("test_quality_text.py", "test_quality.py")
CELLS = ("lstm", "gru", "rnn")
# The longest groups (measured: `--durations`, summed per group), handed out first so that none is left running
# alone at the end; the others follow in file order
FIRST = ("client-modules", "bundled_app-modules", "test_parallel", "test_quality_text[lstm]", "test_train_tab",
         "test_cli", "test_quality_text[gru]", "test_quality[lstm]", "test_quality[gru]", "test_forecast_adapt",
         "test_app_hub", "test_inside_memory", "test_lab", "test_quality_text[rnn]", "test_quality[rnn]",
         "test_quality", "test_jobs", "test_hub_dataset_bounds", "test_hub_roundtrip", "test_hub_deadline",
         "test_package", "test_tiny_models")


@pytest.hookimpl(optionalhook=True)  # pytest-xdist's hooks: known only when it is loaded
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """One worker more than the cores: much of the suite waits (on the apps and commands it starts, on deadlines and
    training budgets), and a waiting worker leaves its core to the others (measured on a 2-core AMD EPYC, the same
    tests one after the other: 3 workers 9 min 55 s, 2 workers 11 min 11 s)."""
    return max(1, min(MAX_WORKERS, (os.cpu_count() or 1) + 1))


def group(nodeid: str) -> str:
    """The unit pytest-xdist gives one worker: the module, or the modules of one shared app, or one cell's
    measurement of the bundled models (a test parametrized by cell alone, as `test_x[lstm]`). Read from the test's
    id alone, as the scheduler in the controlling process sees it."""
    module = nodeid.split("::")[0].rsplit("/", 1)[-1]
    for fixture, modules in SHARED_APPS.items():
        if module in modules:
            return APP_GROUP[fixture]
    cell = nodeid.rpartition("[")[2].rstrip("]") if nodeid.endswith("]") else ""
    if module in PER_CELL and cell in CELLS:
        return f"{module.removesuffix('.py')}[{cell}]"
    return module.removesuffix(".py")


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """`--dist loadscope` (pytest.ini) with the scope a group. pytest-xdist's own grouping (`--dist loadgroup` and
    `xdist_group` marks) works by renaming `item._nodeid`, which pytest 9.2 no longer reads (a test's id comes from
    `item._id`): under xdist 3.8 it silently hands out single tests."""
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return group(nodeid)

    return GroupScheduling(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The longest groups first (FIRST), each group's tests together in file order. With every module collected, a
    name in FIRST that no group has (a typo, a module renamed) stops the run."""
    if {item.path.name for item in items} == {path.name for path in Path(__file__).parent.glob("test_*.py")}:
        if unknown := set(FIRST) - {group(item.nodeid) for item in items}:
            raise pytest.UsageError(f"tests/conftest.py's FIRST names groups that no test has: {sorted(unknown)}")

    def rank(item: pytest.Item) -> tuple[int, str]:
        name = group(item.nodeid)
        return (FIRST.index(name) if name in FIRST else len(FIRST)), "" if name in FIRST else str(item.path)
    items.sort(key=rank)


def tiny_model(cell: str = "lstm", layers: int = 2, seed: int = 0, hidden_size: int = 16) -> CharLM:
    torch.manual_seed(seed)
    vocab = [UNKNOWN, *sorted(set(TINY_TEXT))]
    config = CharLMConfig(vocab=vocab, cell=cell, embedding_dim=8, hidden_size=hidden_size, num_layers=layers,
                          dropout=0.0)
    return CharLM(config).eval()


def run_cli(*args: str, cwd: Path = ROOT, env: dict | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    """`python -m rnn_demo ARGS` in a new process: for the one smoke test of each command family (the others run
    the command in this process, with the `cli` fixture)."""
    return subprocess.run([sys.executable, "-m", "rnn_demo", *args], cwd=cwd, capture_output=True, text=True,
                          env=env, timeout=timeout)


@pytest.fixture(autouse=True)
def _worker_threads() -> Iterator[None]:
    """Torch's thread count put back after each test: commands run in this process (`--threads`), the lab and the
    benchmarks change it for the whole process, and the worker must keep its share of the cores."""
    threads = torch.get_num_threads()
    yield
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)


def main_in_process(*args: str) -> int:
    """`python -m rnn_demo ARGS` run in this process (`main(argv)`): its exit code. Torch's thread count, which
    `--threads` changes for the process, is put back after the command."""
    from rnn_demo.__main__ import main

    threads = torch.get_num_threads()
    try:
        return main(list(args))
    except SystemExit as exit:  # argparse: --help, or a usage error
        return exit.code if isinstance(exit.code, int) else 1
    finally:
        torch.set_num_threads(threads)


@pytest.fixture
def cli(capfd: pytest.CaptureFixture) -> Callable[..., subprocess.CompletedProcess]:
    """`main_in_process(ARGS)`, answered as `run_cli` answers: the exit code and what the command wrote to stdout
    and stderr."""
    def run(*args: str) -> subprocess.CompletedProcess:
        capfd.readouterr()
        code = main_in_process(*args)
        out, err = capfd.readouterr()
        return subprocess.CompletedProcess(["python", "-m", "rnn_demo", *args], code, out, err)

    return run


class _NoSleepTime:
    """The `time` module without its waits, for the Hub client's retry loops (every retry meets the fault anyway)."""

    def __getattr__(self, name: str) -> object:
        return getattr(time, name)

    @staticmethod
    def sleep(seconds: float) -> None:
        pass


@pytest.fixture
def no_retry_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """huggingface_hub waits 1 s between download retries and 1+2+4+8+8 s between upload retries: skip the waits (the
    retries themselves still happen), in this process."""
    import huggingface_hub.file_download
    import huggingface_hub.utils._http

    monkeypatch.setattr(huggingface_hub.file_download, "time", _NoSleepTime())
    monkeypatch.setattr(huggingface_hub.utils._http, "time", _NoSleepTime())


@pytest.fixture(scope="session")
def tiny_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small local text file, read through datasets' "text" builder like any user file."""
    path = tmp_path_factory.mktemp("corpus") / "plays.txt"
    path.write_text(TINY_TEXT * 40)
    return path


@pytest.fixture(scope="session")
def tiny_models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny models (tests/tiny_models.py: text, every cell; sentiment and forecast, two), laid out like models/:
    this worker's own copy of the committed ones, which tests may change."""
    directory = tmp_path_factory.mktemp("tiny") / "models"
    shutil.copytree(TINY_MODELS, directory)
    return directory


@pytest.fixture(scope="session")
def client(tiny_models_dir: Path):
    """A gradio_client Client of app.py launched on the tiny models, behind one trusted proxy: one server for the
    modules that use it (one group, `client-modules`), stopped when the group's last test ends."""
    from gradio_client import Client

    from tests.appserver import launched_app

    with ExitStack() as stack:  # as on a Space, behind one proxy (clients.py)
        url = stack.enter_context(launched_app(tiny_models_dir, env={"RNN_DEMO_TRUSTED_PROXIES": "1"}))
        AFTER_GROUP[APP_GROUP["client"]].append(stack.close)
        # gradio_client's plain POSTs (joining the queue, a cancel) take httpx's 5 s limit, which the app can miss
        # while three workers share two cores (a lab run's cancel did, once, and left the run going): 60 s here
        yield Client(url, verbose=False, httpx_kwargs={"timeout": 60})


@pytest.fixture(scope="session")
def bundled_app() -> Iterator[str]:
    """The URL of app.py launched on the bundled weights, offline, as a visitor meets it: one server for the
    browser modules (one group, `bundled_app-modules`, on one worker); stopped when the group's last test ends."""
    from tests.appserver import launched_app

    with ExitStack() as stack:
        url = stack.enter_context(launched_app())
        AFTER_GROUP[APP_GROUP["bundled_app"]].append(stack.close)
        yield url


AFTER_GROUP: dict[str, list[Callable[[], None]]] = {name: [] for name in APP_GROUP.values()}  # stopped after a group


def pytest_runtest_setup(item: pytest.Item) -> None:
    for fixture, name in APP_GROUP.items():
        if fixture in item.fixturenames and group(item.nodeid) != name:
            pytest.fail(f"{item.path.name} uses the launched app `{fixture}`: add it to SHARED_APPS[{fixture!r}] "
                        "in tests/conftest.py")


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """An app launched for one group stops with it: an idle app costs a few percent of a core, for the rest of
    the run."""
    name = group(item.nodeid)
    if AFTER_GROUP.get(name) and (nextitem is None or group(nextitem.nodeid) != name):
        while AFTER_GROUP[name]:
            AFTER_GROUP[name].pop()()
