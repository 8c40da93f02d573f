"""Tables of a row per day and a column per hour or half-hour, read as one series (a red team's: KPX's file was
refused with "name the time column", and named as asked, read as a daily series of one hour a day, silently)."""
import numpy as np
import pandas as pd
import pytest

from rnn_demo.forecast.upload import read_series_upload
from rnn_demo.forecast.wide import hour_columns

HOURS = pd.date_range("2024-01-01", periods=24 * 21, freq="h")


@pytest.mark.parametrize("names, run", [
    ([f"{h}시" for h in range(1, 25)], 24),  # KPX
    ([f"TP{p}" for p in range(1, 51)], 50),  # New Zealand's trading periods, 49 and 50 for the clock change
    ([f"{h:02d}:00-{h + 1:02d}:00" for h in range(24)], 24),
    ([f"Hour {h}" for h in range(1, 26)], 25),
    ([f"region{k}" for k in range(1, 25)], None),  # numbered, but no hours
    ([f"c{k}" for k in range(24)], None),
    ([f"H{h}" for h in range(1, 13)], None),  # half a day
])
def test_a_run_of_hour_columns_is_found_by_names_that_count_up(names, run):
    found = hour_columns(["date", *names, "total"])
    assert (found is None) if run is None else found == names[:run]


def test_a_korean_table_of_a_row_per_day_is_read_hour_by_hour():
    cells = np.arange(len(HOURS), dtype=float).reshape(21, 24) + 60000
    rows = "".join(f"{day:%Y-%m-%d}," + ",".join(f"{v:.0f}" for v in values) + "\n"
                   for day, values in zip(HOURS[::24], cells))
    data = ("날짜," + ",".join(f"{h}시" for h in range(1, 25)) + "\n" + rows).encode("cp949")
    series, notes = read_series_upload(data)
    assert series.times.tolist() == HOURS.tolist() and series.values.tolist() == cells.ravel().tolist()
    assert "The file has a row per day and a column per hour (“1시” to “24시”, beside the dates in “날짜”)" in notes[1]
    assert not any("period of the day" in note for note in notes) and notes[-1].endswith("over “날짜”.")


def test_half_hour_columns_with_the_clock_changes_periods_blank_on_other_days():
    """New Zealand's TP1..TP50: TP49 and TP50 hold values only on the night the clocks go back (50 periods)."""
    days = pd.date_range("2024-04-01", periods=14, freq="D")  # NZ's clocks went back on Sunday 2024-04-07
    rows = []
    for day in days:
        count = 50 if day == pd.Timestamp("2024-04-07") else 48
        rows.append(f"{day:%Y-%m-%d}," + ",".join(str(3000 + p) for p in range(count)) + "," * (50 - count))
    data = ("TRADING_DATE," + ",".join(f"TP{p}" for p in range(1, 51)) + "\n" + "\n".join(rows) + "\n").encode()
    series, notes = read_series_upload(data)
    assert len(series) == 14 * 48 and series.times[0] == pd.Timestamp("2024-04-01 00:00")
    assert series.times[1] - series.times[0] == pd.Timedelta(minutes=30)
    assert any("half-hour" in note for note in notes) and any("clocks went back" in note for note in notes)


@pytest.mark.parametrize("features", [[f"hour_{h}" for h in range(24)], [f"h{h}" for h in range(1, 25)]])
def test_hour_columns_beside_a_value_column_are_left_as_they_are(features):
    """One-hot hours (pandas' get_dummies) or 24 horizons beside a load column: the file is one row per hour, its
    values in "load" (a review's: it was read as a table of a row per day, and refused)."""
    rows = "".join(f"{t:%Y-%m-%d %H:%M},{1000 + k}," + ",".join("1" if h == t.hour else "0" for h in range(24)) + "\n"
                   for k, t in enumerate(HOURS[:24 * 14]))
    series, notes = read_series_upload((",".join(["datetime", "load", *features]) + "\n" + rows).encode())
    assert series.times.tolist() == HOURS[:24 * 14].tolist() and notes[-1].startswith("Read 336 steps from column “load”")
