"""The forecasting samples (samples/demand-*.csv), written from the protocol series:
`python -m rnn_demo.forecast.samples` (tests/test_samples.py checks the committed files are what it writes).

Six weeks of the protocol's test days, then the day after them to forecast: the bundled models never saw these days
(neither to train, nor to choose a checkpoint, nor to calibrate their intervals), so the table of an adaptation's
held-out days is a fair test of them too. Earlier samples ended on 2014-11-05, the last of the bundled models'
calibration days, and had no working-day column, so Melbourne Cup Day (2014-11-04) was read as a working day: the
adapted model's "80%" interval covered 41% of that week (a red team's).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..samples import SAMPLES_DIR
from .data import protocol_dataset, whole_series

DAYS = 42  # the series' days before the day to forecast
FORECAST_DAY = "2014-12-04"  # the 29th of the protocol's 56 test days


def sample_frames(series: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The half-hourly sample (demand in GW, working day, temperature; then the forecast day's rows with no demand)
    and the hourly one (demand in MW averaged to hours, working day; no day to forecast), by file name, from the
    protocol series (time, value, workday, temperature)."""
    day = pd.Timestamp(FORECAST_DAY)
    series = series.set_index("time")
    past = series[(series.index >= day - pd.Timedelta(days=DAYS)) & (series.index < day)]
    coming = series[(series.index >= day) & (series.index < day + pd.Timedelta(days=1))]
    half_hourly = pd.DataFrame({"time": [*past.index, *coming.index],
                                "demand": [f"{v:.4f}" for v in past["value"]] + [""] * len(coming),
                                "workday": [*past["workday"], *coming["workday"]],
                                "temperature": [f"{v:.1f}" for v in [*past["temperature"], *coming["temperature"]]]})
    hours = past.resample("60min").agg({"value": "mean", "workday": "first"})
    hourly = pd.DataFrame({"time": hours.index, "demand": [f"{v * 1000:.1f}" for v in hours["value"]],
                           "workday": hours["workday"]})
    for frame in (half_hourly, hourly):
        frame["time"] = frame["time"].dt.strftime("%Y-%m-%d %H:%M")
    return {"demand-half-hourly.csv": half_hourly, "demand-hourly.csv": hourly}


def protocol_frame() -> pd.DataFrame:
    """The whole protocol series as a frame (time, value, workday, temperature)."""
    return whole_series(protocol_dataset()).to_pandas()


def write_samples(folder: Path = SAMPLES_DIR) -> list[Path]:
    written = []
    for name, frame in sample_frames(protocol_frame()).items():
        frame.to_csv(folder / name, index=False, lineterminator="\n")
        written.append(folder / name)
    return written


if __name__ == "__main__":
    for path in write_samples():
        print(path)
