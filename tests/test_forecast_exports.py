"""Grid operators' exports as the Forecasting tab reads them, on small literal files: a table whose rows are finer
than its values, a file that changes its spacing, and the ways a time is written beside or around the table."""
import pandas as pd
import pytest

from rnn_demo.display import md_text
from rnn_demo.forecast.upload import read_series_upload


def csv(rows: list[tuple], header: str = "time,load", delimiter: str = ",") -> bytes:
    return (header + "\n" + "".join(delimiter.join(map(str, row)) + "\n" for row in rows)).encode()


def read(data: bytes, **columns) -> tuple[pd.Series, list[str]]:
    series, notes = read_series_upload(data, **columns)
    return pd.Series(series.values, index=pd.DatetimeIndex(series.times)), notes


def test_values_given_on_every_other_row_are_read_in_their_own_steps():
    """RTE's eCO2mix: a row every 15 minutes, the consumption on the half-hour only (newest first)."""
    quarters = pd.date_range("2022-01-03", periods=4 * 24 * 3, freq="15min")
    rows = [(f"{t:%Y-%m-%dT%H:%M}:00+01:00", 60000 + k if t.minute % 30 == 0 else "") for k, t in enumerate(quarters)]
    values, notes = read(csv(rows[::-1], "Date - Heure,Consommation (MW)"))
    assert values.index.tolist() == quarters[::2].tolist() and values.tolist() == list(range(60000, 60288, 2))
    assert ("The values are given every 30 minutes, on rows every 15 minutes (the rows between them blank): the "
            "series was read in 30-minute steps.") in notes
    rows[5] = (rows[5][0], 60005)  # one value off the half-hour: a quarter-hourly series with gaps, read as one
    values, notes = read(csv(rows))
    assert not any("given every" in note for note in notes)
    assert any(note.startswith("The series' 15-minute steps were averaged into half-hours") for note in notes)


def test_a_file_that_changes_its_spacing_is_refused_by_its_parts():
    hours = pd.date_range("2025-09-20", "2025-09-30 23:00", freq="h")
    quarters = pd.date_range("2025-10-01", "2025-10-12 23:45", freq="15min")
    rows = [(f"{t:%Y-%m-%d %H:%M}", 1000 + k % 24) for k, t in enumerate(hours.append(quarters))]
    with pytest.raises(ValueError, match=r"the rows are 60 minutes apart from 2025-09-20 00:00:00 to 2025-10-01 "
                                         r"00:00:00, and 15 minutes apart from 2025-10-01 00:00:00 to 2025-10-12 "
                                         r"23:45:00: the file changes its spacing"):
        read(csv(rows))
    outage = [row for row in rows[:len(hours)] if not row[0].startswith(("2025-09-24", "2025-09-25"))]
    values, notes = read(csv(outage))  # two days missing from an hourly file: one gap, filled, not a spacing
    assert len(values) == len(hours) and any("48 time stamps had no row" in note for note in notes)


HOURS = pd.date_range("2024-01-08", periods=48, freq="h")


@pytest.mark.parametrize("header, row, columns, beside", [
    ("Date;Heures;Consommation", "{t:%Y-%m-%d};{t:%H:%M};{v}", {"value_column": "Consommation"}, "Heures"),  # RTE
    ("Datum;Anfang;Ende;Last", "{t:%d.%m.%Y};{t:%H:%M};{e:%H:%M};{v}", {"time_column": "Anfang"}, "Anfang"),  # SMARD
    ("Datum;Anfang;Ende;Last", "{t:%d.%m.%Y};{t:%H:%M};{e:%H:%M};{v}", {"time_column": "Datum"}, "Anfang"),
    ("Date,Time,Load", "{t:%Y-%m-%d},{t:%H:%M},{v}", {"time_column": "Time"}, "Time"),  # the Time column named
    ("date,time,load", "{t:%Y%m%d},{t:%H%M},{v}", {}, "time"),  # yyyymmdd and HHMM
    ("Date,Time,Load", "{t:%Y-%m-%d},1899-12-30 {t:%H:%M:%S},{v}", {}, "Time"),  # an Excel time's day taken off
    ("Date,Block,Demand", "{t:%Y-%m-%d},{t:%H:%M}-{e:%H:%M},{v}", {}, "Block"),  # India's block ranges
])
def test_a_date_and_a_time_of_day_in_two_columns_are_read_together(header, row, columns, beside):
    delimiter = ";" if ";" in header else ","
    data = (header + "\n" + "".join(row.format(t=t, e=t + pd.Timedelta("1h"), v=1000 + k) + "\n"
                                    for k, t in enumerate(HOURS))).encode()
    values, notes = read(data, **{"value_column": header.split(delimiter)[-1]} | columns)
    assert values.index.tolist() == HOURS.tolist() and values.tolist() == list(range(1000, 1048))
    assert any(note.startswith(f"The times of day in column “{beside}” were read with the dates") for note in notes)


@pytest.mark.parametrize("header, row, value", [
    ("OperDay,HourEnding,COAST,TOTAL", "{t:%m/%d/%Y},{h:02d}:00,1,{v}", "TOTAL"),  # ERCOT: hour ending, 24:00
    ("Market Day,HourEnding,LRZ1 ActualLoad (MWh)", "{t:%m/%d/%Y},{h},{v}", "LRZ1 ActualLoad (MWh)"),  # MISO
    ("Data;Godz.;Rzeczywiste zapotrzebowanie KSE", "{t:%Y%m%d};{h};{v}", "Rzeczywiste zapotrzebowanie KSE"),  # PSE
])
def test_hour_ending_exports_are_read_with_no_column_named_but_the_values(header, row, value):
    data = (header + "\n" + "".join(row.format(t=t, h=t.hour + 1, v=1000 + k) + "\n"
                                    for k, t in enumerate(HOURS))).encode()
    values, _ = read(data, value_column=value)  # hour ending 1, or 01:00: the hour from midnight, read at its start
    assert values.index.tolist() == HOURS.tolist() and values.tolist() == list(range(1000, 1048))


def test_a_date_and_an_hour_alone_are_read_as_that_hour():
    """AESO's hour ending: `10/01/2024 01` to `10/01/2024 24`, the hour told twice when the clocks go back `02*`."""
    rows = [(f"{t:%m/%d/%Y} {t.hour + 1:02d}", 9000 + k) for k, t in enumerate(HOURS)]
    rows.insert(2, (rows[1][0] + "*", 1))  # 02 twice: the first kept
    values, notes = read(csv(rows, "Date (HE),Actual AIL"), value_column="Actual AIL")
    assert values.index.tolist() == HOURS.tolist() and values.iloc[:2].tolist() == [9000, 9001]  # at the hours' starts
    assert notes[:2] == ["The time stamps give an hour alone ('01/08/2024 01'): each was read as that hour, 00 minutes.",
                         "Times written 24:00 (2 of them), and none 00:00: the stamps end their intervals (hour "
                         "ending), so each row was read at its interval's start, 60 minutes earlier."]


@pytest.mark.parametrize("header", ["Timestamp (Hour Ending),Load", "Local Time at End of Hour,Load", "HE,Load"])
def test_a_time_column_whose_name_says_hour_ending_is_read_at_the_hours_starts(header):
    """EIA-930's "Timestamp (Hour Ending)", ERCOT's "Hour Ending" once Excel wrote its 24:00 as the next day's 0:00: the
    stamps end their hours, and without a 24:00 to tell it they were read an hour late, silently (a red team's)."""
    ends = [(f"{t + pd.Timedelta(hours=1):%m/%d/%Y %H:%M}", 9000 + k) for k, t in enumerate(HOURS)]
    values, notes = read(csv(ends, header), time_column=header.split(",")[0], value_column="Load")
    assert values.index.tolist() == HOURS.tolist() and values.iloc[0] == 9000
    assert notes[0] == (f"The stamps of column “{md_text(header.split(',')[0])}” end their intervals, as its name says: "
                        "each row was read at its interval's start, 60 minutes earlier.")
    late = [(stamp.replace("00:00", "24:00") if stamp.endswith("00:00") else stamp, value) for stamp, value in ends]
    late = [(f"{pd.Timestamp(s[:10]) - pd.Timedelta(days=1):%m/%d/%Y} 24:00" if s.endswith("24:00") else s, v)
            for s, v in late]
    values, notes = read(csv(late, header), time_column=header.split(",")[0], value_column="Load")
    assert values.index.tolist() == HOURS.tolist() and notes[0].startswith("Times written 24:00")  # moved once only
    for plain in ("Time", "Time (FIN)"):  # a name that says nothing (Finland's FIN is no "fin"): stamps as they are
        values, _ = read(csv(ends, f"{plain},Load"), time_column=plain, value_column="Load")
        assert values.index[0] == HOURS[0] + pd.Timedelta(hours=1)


@pytest.mark.parametrize("marker", ["ND", "n/e", "#N/A", "—"])
def test_other_grids_markers_of_a_missing_value_are_read_as_missing(marker):
    rows = [(f"{t:%Y-%m-%d %H:%M}", marker if k == 5 else 1000 + k) for k, t in enumerate(HOURS)]
    values, notes = read(csv(rows))
    assert values.iloc[5] == 1005 and any("filled by linear interpolation" in note for note in notes)
    assert f"Cells written '{marker}' (1) in column 'load' were read as missing values." in notes


PLAIN = "".join(f"{t:%Y-%m-%d %H:%M},{1000 + k}\n" for k, t in enumerate(HOURS))


@pytest.mark.parametrize("above, left_out", [
    ("2024/12/31 23:55 UPDATE\n", "The file's 1 line above its header was left out: '2024/12/31 23:55 UPDATE'."),
    ("\\\\Hourly Demand Report,,\n\\\\For 2024,,\n\n", "The file's 2 lines above its header were left out: "
                                                      "'\\\\\\\\Hourly Demand Report,,', '\\\\\\\\For 2024,,'."),
    ('"Actual / Forecast"\n"January 1, 2024 through January 2, 2024"\n',
     """The file's 2 lines above its header were left out: '"Actual / Forecast"', '"January 1, 2024 through January """
     """2, 2024"'."""),
])
def test_title_lines_above_the_header_are_left_out_and_shown(above, left_out):
    values, notes = read(f"{above}time,unused,load\n{PLAIN.replace(',', ',x,')}".encode(), value_column="load")
    assert values.tolist() == list(range(1000, 1048)) and notes[0] == left_out


@pytest.mark.parametrize("before, after, left_out", [
    (",MW\n", "", "1 row with no time stamp at the top or the end of the table was left out: ('', 'MW')."),
    ("", "Total,49128\n", "1 row with no time stamp at the top or the end of the table was left out: ('Total', "
                          "'49128')."),
    ("", ",\n,\n", "2 rows with no time stamp at the top or the end of the table were left out: ('', ''), ('', '')."),
])
def test_a_units_row_and_rows_under_the_data_with_no_time_stamp_are_left_out(before, after, left_out):
    values, notes = read(f"time,load\n{before}{PLAIN}{after}".encode())
    assert values.tolist() == list(range(1000, 1048)) and notes[0] == left_out
    with pytest.raises(ValueError, match="1 time stamp cannot be read, the first in data row 3: 'Total'"):
        read(f"time,load\n{PLAIN[:44]}Total,1\n{PLAIN[44:]}".encode())  # inside the table: named, not left out
    with pytest.raises(ValueError, match=f"1 time stamp cannot be read, the first in data row {3 + bool(before)}: "):
        read(f"time,load\n{before}{PLAIN[:44]}Total,1\n{PLAIN[44:]}".encode())  # rows counted as in the file


def test_local_times_across_the_clocks_going_back_are_said_to_be_that():
    """New Zealand's EMI, SMARD, PJM: local times, no offsets, 02:00-03:00 twice in a file in order."""
    wall = pd.date_range(pd.Timestamp("2024-04-06", tz="Pacific/Auckland"), periods=96, freq="30min").tz_localize(None)
    values, notes = read(csv([(f"{t:%Y-%m-%d %H:%M}", 1000 + k) for k, t in enumerate(wall)]))
    assert notes[0] == ("The clocks went back on 2024-04-07: the wall-clock times 02:00-03:00 came twice that night, "
                        "and the first reading of each was kept (the file gives no UTC offsets to tell them apart).")
    assert len(values) == 94 and values["2024-04-07 02:00"] == 1052  # the first 02:00 of the two
    # hourly (PJM, ERCOT): the hour told twice follows itself, a gap of none; it was "1 row repeated an earlier time
    # stamp" (a red team's); a row repeated on another night still is
    hourly = pd.date_range(pd.Timestamp("2024-10-28", tz="America/New_York"), periods=24 * 10, freq="h").tz_localize(None)
    values, notes = read(csv([(f"{t:%Y-%m-%d %H:%M}", 1000 + k) for k, t in enumerate(hourly)]))
    assert notes[0].startswith("The clocks went back on 2024-11-03: the wall-clock times 01:00-02:00 came twice")
    assert len(values) == 24 * 10 - 1 and values["2024-11-03 01:00"] == 1000 + 24 * 6 + 1
    doubled = [(f"{t:%Y-%m-%d %H:%M}", 1000 + k) for k, t in enumerate(HOURS)]
    doubled.insert(30, doubled[29])  # a Tuesday's 05:00 twice
    assert read(csv(doubled))[1][0] == "1 row repeated an earlier time stamp: the first of each was kept."
    may = [(f"{t:%Y-%m-%d %H:%M}", k) for k, t in enumerate(pd.date_range("2024-04-29", periods=24 * 10, freq="h"))]
    may.insert(24 * 6 + 3, may[24 * 6 + 2])  # Sunday 2024-05-05 02:00 twice: no clocks go back in May
    assert read(csv(may))[1][0] == "1 row repeated an earlier time stamp: the first of each was kept."
    newest_first = read(csv([(f"{t:%Y-%m-%d %H:%M}", 1000 + k) for k, t in enumerate(HOURS)][::-1]))[1]
    assert newest_first[0] == "The rows were not in time order: they were sorted."


@pytest.mark.parametrize("text", [
    ",value\n" + PLAIN,  # pandas' Series.to_csv: an unnamed index column, its header one named field
    "Timestamp (UTC),Data\n" + PLAIN,  # two columns: the first is the time, whatever the second is called
])
def test_ordinary_files_the_export_readers_must_leave_as_they_are(text):
    values, notes = read(text.encode())
    assert values.tolist() == list(range(1000, 1048)) and not any("left out" in note for note in notes)


def test_daily_files_keep_their_other_columns_apart():
    """A daily file's dates do not repeat: the column beside them (a year, a peak's time, a period-named one) is no
    time of day to join (a year of 4 digits read as HHMM stamped every row 20:24)."""
    days = pd.date_range("2024-01-01", periods=40, freq="D")
    for header, other in (("Date,Year,Demand", "{t:%Y}"), ("Date,Peak time,Demand", "18:30"), ("Date,SP,Demand", "7")):
        values, notes = read(csv([(f"{t:%Y-%m-%d}", other.format(t=t), 500 + k) for k, t in enumerate(days)], header),
                             value_column="Demand")
        assert values.index.tolist() == days.tolist() and not any("were read" in note for note in notes[:1]), header


def test_a_stretch_at_another_spacing_inside_the_file_is_rows_missing():
    hours = pd.date_range("2024-01-01", periods=24 * 20, freq="h")
    keep = ~((hours >= "2024-01-05") & (hours < "2024-01-07 12:00") & (hours.hour % 2 == 1))  # 2.5 days every 2 h
    values, notes = read(csv([(f"{t:%Y-%m-%d %H:%M}", 1000) for t in hours[keep]]))
    assert len(values) == len(hours) and any("30 time stamps had no row" in note for note in notes)


AEMO = "REGION,SETTLEMENTDATE,TOTALDEMAND,RRP,PERIODTYPE"  # AEMO's aggregated price and demand files


@pytest.mark.parametrize("minutes", [30, 5])
def test_aemos_interval_ending_stamps_are_read_at_their_intervals_starts(minutes):
    """AEMO stamps each interval at its end (SETTLEMENTDATE 00:30 is the half-hour from 00:00; the day's last one,
    00:00 of the next day): read as they were, every half-hour held the previous one's demand (a 5-minute file mixed
    each half-hour's first value into the one before), and TOTALDEMAND was no value column found by its name."""
    starts = pd.date_range("2024-01-01", periods=2 * 24 * 60 // minutes, freq=f"{minutes}min")
    data = (AEMO + "\n" + "".join(f"VIC1,{t + pd.Timedelta(minutes=minutes):%Y/%m/%d %H:%M:%S},{4000 + k},55.1,TRADE\n"
                                  for k, t in enumerate(starts))).encode()
    values, notes = read(data)
    per_half_hour = 30 // minutes
    assert values.index.tolist() == starts[::per_half_hour].tolist()  # midnight to 23:30, two whole days
    assert values.tolist() == [4000 + k * per_half_hour + (per_half_hour - 1) / 2 for k in range(96)]
    assert (f"The stamps of column “SETTLEMENTDATE” end their intervals, as AEMO writes them: each row was read at its "
            f"interval's start, {minutes} minutes earlier.") in notes


def test_aemos_settlement_date_and_period_are_read_at_the_periods_starts():
    """SETTLEMENTDATE as a date beside PERIODID (1 to 48): the periods' starts, not moved a step earlier."""
    days = pd.date_range("2024-01-01", periods=2, freq="D")
    data = ("SETTLEMENTDATE,PERIODID,TOTALDEMAND\n" + "".join(f"{d:%Y/%m/%d},{p},{4000 + 48 * k + p - 1}\n"
                                                             for k, d in enumerate(days) for p in range(1, 49))).encode()
    values, notes = read(data)
    assert values.index[0] == pd.Timestamp("2024-01-01 00:00") and values.tolist() == list(range(4000, 4096))
    assert not any("end their intervals" in note for note in notes)
