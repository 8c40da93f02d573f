"""Uploads whose times are a date and a period of the day (GB's settlement periods, hour ending), or numbers (Unix
times, Excel's serial days), read on small literal files."""
import numpy as np
import pandas as pd
import pytest

from rnn_demo.forecast.periods import normalized, period_times
from rnn_demo.forecast.upload import read_series_upload


def settlement_csv(days: dict[str, int], date_form: str = "%Y-%m-%d") -> bytes:
    """GB's historic demand export: each day's periods 1..n, ND = 1000 * day number + period."""
    lines = ["SETTLEMENT_DATE,SETTLEMENT_PERIOD,ND,TSD"]
    for k, (day, periods) in enumerate(days.items()):
        lines += [f"{pd.Timestamp(day).strftime(date_form)},{p},{1000 * k + p},{2000 * k + p}"
                  for p in range(1, periods + 1)]
    return ("\n".join(lines) + "\n").encode()


def times_and_values(data: bytes, **columns) -> tuple[pd.Series, list[str]]:
    series, notes = read_series_upload(data, **columns)
    return pd.Series(series.values, index=pd.DatetimeIndex(series.times)), notes


def test_settlement_periods_are_read_as_half_hours_from_midnight():
    values, notes = times_and_values(settlement_csv({"2024-01-08": 48, "2024-01-09": 48}, "%d-%b-%Y"),
                                     value_column="ND")
    assert values.index.tolist() == list(pd.date_range("2024-01-08", periods=96, freq="30min"))
    assert values["2024-01-08 00:00"] == 1 and values["2024-01-09 23:30"] == 1048
    assert notes[0] == ("Each row was read from its date (column “SETTLEMENT\\_DATE”) and its period of the day "
                        "(column “SETTLEMENT\\_PERIOD”): 48 periods of 30 minutes, period 1 starting at midnight.")
    named, _ = times_and_values(settlement_csv({"2024-01-08": 48, "2024-01-09": 48}), time_column="settlement_period",
                                value_column="ND")  # the periods named as the time column: the same rows
    assert named.equals(values)


def test_the_days_the_clocks_change_have_their_hour_skipped_or_told_twice_on_the_wall_clock():
    values, notes = times_and_values(settlement_csv({"2024-03-30": 48, "2024-03-31": 46, "2024-04-01": 48}),
                                     value_column="ND")
    short = values["2024-03-31"]  # GB goes forward at 01:00: 01:00 GMT is 02:00 BST (read at 02:00 before)
    assert len(short) == 48 and short.index[2] == pd.Timestamp("2024-03-31 01:00")  # the hour skipped, filled
    assert short.iloc[:2].tolist() == [1001, 1002] and short.iloc[4:6].tolist() == [1003, 1004]
    assert short.iloc[2:4].tolist() == [1002 + 1 / 3, 1002 + 2 / 3]  # interpolated
    assert short["2024-03-31 02:00"] == 1003 and values["2024-04-01 00:00"] == 2001
    assert any(note.startswith("A day with an hour of periods more or fewer than the others was read as a day the "
                               "clocks changed, at the hour its grid changes them")
               and note.endswith(": 2024-03-31 (46 periods: forward at 01:00).") for note in notes)
    values, _ = times_and_values(settlement_csv({"2024-10-26": 48, "2024-10-27": 50, "2024-10-28": 48}),
                                 value_column="ND")
    long = values["2024-10-27"]
    assert len(long) == 48 and long.iloc[2:4].tolist() == [1003, 1004]  # 01:00 and 01:30 twice: the first kept
    assert long.iloc[4:].tolist() == list(range(1007, 1051)) and values["2024-10-28 00:00"] == 2001


@pytest.mark.parametrize("day, periods, forward, hours", [
    ("2024-03-31", 46, True, "01:00"),  # GB's settlement periods: 01:00 GMT is 02:00 BST
    ("2024-03-31", 23, True, "02:00"),  # the EU's hours: 02:00 CET is 03:00 CEST
    ("2024-03-10", 23, True, "02:00"),  # the US's second Sunday of March
    ("2024-10-27", 50, False, "02:00"),  # GB: 02:00 BST is 01:00 GMT, 01:00 comes twice
    ("2024-10-27", 25, False, "03:00"),  # the EU: 03:00 CEST is 02:00 CET, 02:00 comes twice
    ("2024-11-03", 25, False, "02:00"),  # the US: 02:00 EDT is 01:00 EST
    ("2024-04-07", 25, False, "03:00"),  # Australia and New Zealand go back at 03:00 in April
    ("2024-09-29", 46, True, "02:00"),  # New Zealand's trading periods go forward at 02:00
])
def test_the_clocks_change_at_the_hour_the_grid_of_such_a_file_changes_them(day, periods, forward, hours):
    """The files say neither the zone nor the hour: taken at 02:00 everywhere, GB's spring night and the EU's autumn
    night had two rows an hour off."""
    usual = 48 if periods in (46, 50) else 24
    midnight, one = pd.Timestamp(day), pd.Timedelta(days=1)
    days = pd.DatetimeIndex([midnight - one] * usual + [midnight] * periods + [midnight + one] * usual)
    times, minutes, changed = period_times(days, np.r_[1:usual + 1, 1:periods + 1, 1:usual + 1])
    at = int(hours[:2]) * 60
    assert changed == {midnight: (periods, at)}
    day_times = times[usual:usual + periods]
    k = (at - minutes) // minutes  # the last period before the change
    assert day_times[k] == midnight + pd.Timedelta(minutes=at - minutes)
    assert day_times[k + 1] == midnight + pd.Timedelta(minutes=at + (60 if forward else -60))
    assert day_times[-1] == midnight + pd.Timedelta(minutes=(usual - 1) * minutes)  # ends at its usual last period


def test_hour_ending_and_zero_based_hours_beside_a_date():
    ieso = "Date,Hour,Market Demand,Ontario Demand\n" + "".join(
        f"2024-01-0{d},{h},{20000 + h},{100 * d + h}\n" for d in (1, 2) for h in range(1, 25))
    values, notes = times_and_values(ieso.encode(), value_column="Ontario Demand")
    assert values.index.tolist() == list(pd.date_range("2024-01-01", periods=48, freq="h"))
    assert values.iloc[0] == 101 and values.iloc[-1] == 224  # hour ending 1: the hour from midnight
    assert "24 periods of 60 minutes, period 1 starting at midnight" in notes[0]
    zero = "date,hour,load\n" + "".join(f"13/01/2024,{h},{h}\n14/01/2024,{h},{24 + h}\n" for h in range(24))
    values, notes = times_and_values(zero.encode())  # the rows by hour: sorted
    assert values.index[0] == pd.Timestamp("2024-01-13") and values.iloc[:3].tolist() == [0, 1, 2]
    assert notes[0].startswith("Dates such as '13/01/2024' are written day first") and "period 0 starting" in notes[1]


def test_a_date_column_with_times_beside_an_hour_column_is_read_as_it_stands():
    data = "date,hour,load\n" + "".join(f"2024-01-01 {h:02d}:00,{h + 1},{h}\n" for h in range(24))
    values, notes = times_and_values(data.encode())
    assert values.index[0] == pd.Timestamp("2024-01-01 00:00") and not any("period" in note for note in notes)


@pytest.mark.parametrize("body, columns, message", [
    ("2024-01-01,1.5,10\n2024-01-01,2,10\n", {}, "the period in data row 1 of column 'SETTLEMENT_PERIOD' is '1.5': "
                                                "a period is a whole number"),
    ("2024-01-01,x,10\n2024-01-01,2,10\n", {}, "the period in data row 1 of column 'SETTLEMENT_PERIOD' is 'x'"),
    ("2024-01-01,1234567,10\n2024-01-01,2,10\n", {}, "a period is a whole number from 0 or 1"),
    ("2024-13-45,1,10\n2024-13-45,2,10\n", {}, "the date in data row 1 of column 'SETTLEMENT_DATE' is '2024-13-45': "
                                               "beside a period"),
    ("2024-01-01,3,10\n2024-01-01,4,10\n", {}, "the periods start at 3"),
])
def test_unreadable_periods_and_dates_are_named(body, columns, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        read_series_upload(("SETTLEMENT_DATE,SETTLEMENT_PERIOD,ND\n" + body).encode(), **({"value_column": "ND"}
                                                                                          | columns))


def test_period_times_on_literal_days():
    days = pd.DatetimeIndex(["2024-01-01"] * 96 + ["2024-01-02"] * 3)
    times, minutes, changed = period_times(days, np.r_[1:97, 1:4])  # Grid-India's 96 blocks of 15 minutes
    assert minutes == 15 and changed == {} and times[-1] == pd.Timestamp("2024-01-02 00:30")
    # a day short of its last hour is no clock change: a gap (in January, a Tuesday), a file that ends before midnight
    # (on the Sunday the clocks went forward in GB: the last day of the file), read hour by hour as written
    days = pd.DatetimeIndex(["2024-01-08"] * 24 + ["2024-01-09"] * 23 + ["2024-01-10"] * 24 + ["2024-03-31"] * 23)
    times, _, changed = period_times(days, np.r_[1:25, 1:24, 1:25, 1:24])
    assert changed == {} and (times == days + pd.to_timedelta(np.r_[0:24, 0:23, 0:24, 0:23], unit="h")).all()
    with pytest.raises(ValueError, match="2024-01-03 has period 60, most days only 48 periods"):
        period_times(pd.DatetimeIndex(["2024-01-01"] * 48 + ["2024-01-02"] * 48 + ["2024-01-03"]),
                     np.r_[1:49, 1:49, 60])
    with pytest.raises(ValueError, match=r"no day's periods divide a day into whole minutes \(the days have 7 "):
        period_times(pd.DatetimeIndex(["2024-01-01"] * 7), np.arange(1, 8))
    assert [normalized(n) for n in ("SETTLEMENT_PERIOD", "settlementPeriod", " Hour  Ending ")] == [
        "settlement period", "settlement period", "hour ending"]


def test_numbers_in_the_time_column_are_read_as_unix_times_or_excel_serial_days():
    hours = pd.date_range("2024-01-01", periods=4, freq="h")
    for scale, unit in ((1, "seconds"), (1000, "milliseconds")):
        data = "timestamp,load\n" + "".join(f"{int(t.timestamp()) * scale},{k}\n" for k, t in enumerate(hours))
        values, notes = times_and_values(data.encode())
        assert values.index.tolist() == hours.tolist()
        assert notes[0] == (f"The time stamps are numbers ('{int(hours[0].timestamp()) * scale}'): they were read as "
                            f"Unix times in {unit} since 1970-01-01 UTC, from 2024-01-01 00:00 to 2024-01-01 03:00.")
        assert notes[1].startswith("The time stamps are in UTC")
    serial = "Date;Load\n" + "".join(f"{45292 + k / 24:.10f};{k},5\n".replace(".", ",", 1) for k in range(4))
    values, notes = times_and_values(serial.encode())
    assert values.index.tolist() == hours.tolist() and values.tolist() == [0.5, 1.5, 2.5, 3.5]
    assert "they were read as Excel's serial days (days since 1899-12-30), from 2024-01-01 00:00 to" in notes[1]
    with pytest.raises(ValueError, match="4 time stamps cannot be read, the first in data row 1: '0'"):
        read_series_upload(b"time,load\n0,1\n1,2\n2,3\n3,4\n")  # row numbers are no times
    with pytest.raises(ValueError, match="2 time stamps cannot be read, the first in data row 1: '30000'"):
        read_series_upload(b"time,load\n30000,1\n30001,2\n")  # whole numbers: a count, not Excel's days and times
    values, notes = times_and_values(b"time,load\n2024010100,1\n2024010101,2\n")  # yyyymmddHH: not Unix seconds
    assert values.index[1] == pd.Timestamp("2024-01-01 01:00") and notes[0].startswith("The time stamps are digits")
