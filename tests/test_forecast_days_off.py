"""Working days: Monday to Friday unless an upload's working-day or holiday column says otherwise (the day to
forecast's too), and the Victoria series' day after the data, New Year's Day, a day off."""
import numpy as np
import pandas as pd
import pytest

from rnn_demo.forecast.days_off import (day_after, days_ahead_note, days_column, said_working_days,
                                        working_days)
from rnn_demo.forecast.upload import read_series_upload

MONDAY = pd.Timestamp("2024-12-23")  # Christmas Day 2024 is a Wednesday, the 28th a Saturday


def hours(days: int, start: pd.Timestamp = MONDAY) -> pd.Series:
    return pd.Series(pd.date_range(start, periods=24 * days, freq="h"))


def test_the_column_is_found_by_its_usual_names_and_never_among_those_taken():
    assert days_column(["Datetime", "Load", "WorkDay"], {"Datetime", "Load"}) == "WorkDay"
    assert days_column(["time", "value", "is_holiday"], {"time", "value"}) == "is_holiday"
    assert days_column(["time", "Public Holiday", "value"], {"time", "value"}) == "Public Holiday"
    assert days_column(["time", "value", "weekday"], {"time", "value"}) is None
    assert days_column(["time", "holiday"], {"time", "holiday"}) is None  # the value column, not flags


def test_a_holiday_column_of_names_marks_its_days_off_and_leaves_the_others_to_monday_to_friday():
    times = hours(7)
    cells = pd.Series([""] * len(times))
    cells[(times.dt.day == 25).to_numpy()] = "Christmas Day"
    cells[(times.dt.day == 26).to_numpy()] = "0"
    cells[(times.dt.day == 27).to_numpy()] = "None"
    said = said_working_days(times, cells, "holiday")
    assert list(said.index) == [pd.Timestamp("2024-12-25")] and list(said) == [0.0]
    index = pd.DatetimeIndex(times)
    workday = working_days(index, said)
    by_day = pd.Series(workday, index=index.normalize()).groupby(level=0).first()
    assert list(by_day) == [1, 1, 0, 1, 1, 0, 0]  # Mon, Tue, Christmas, Thu, Fri, Sat, Sun


def test_a_holiday_column_that_names_its_ordinary_days_marks_only_its_holidays():
    """Seoul's bike data writes "Holiday" and "No Holiday": the text most rows hold marks the ordinary days (it was
    read as a holiday's name, and every day was off)."""
    times = hours(7)
    cells = pd.Series(np.where(times.dt.day == 25, "Holiday", "No Holiday"))
    assert list(said_working_days(times, cells, "Holiday").index) == [pd.Timestamp("2024-12-25")]
    names = pd.Series(np.where(times.dt.day == 25, "Christmas Day", np.where(times.dt.day == 26, "Boxing Day", "")))
    assert len(said_working_days(times, names, "holiday")) == 2  # blank ordinary days: every name a holiday


@pytest.mark.parametrize("ordinary", ["No Holiday", "non-holiday", "Not a holiday", "Normal day", "Working day",
                                      "regular"])
def test_a_text_that_says_a_day_is_ordinary_is_read_so_in_however_few_rows(ordinary):
    """A column that writes its ordinary text on some days only, blank on the others (a red team's: "No Holiday" on
    Mondays alone made every Monday a holiday, since only a text most rows hold was read as ordinary)."""
    times = hours(7)
    cells = pd.Series(np.where(times.dt.day == 25, "Christmas", np.where(times.dt.day_of_week == 0, ordinary, "")))
    assert list(said_working_days(times, cells, "holiday").index) == [pd.Timestamp("2024-12-25")]


def test_a_holiday_columns_type_numbers_mark_holidays_and_odd_numbers_are_refused():
    """0 none, 1 national, 2 regional (a holiday type's code) and a half day's 0.5 mark days off; -1 says something
    else: refused naming the row, where it was silently a day off."""
    times = hours(7)
    day = times.dt.day.to_numpy()
    coded = pd.Series(np.where(day == 25, "1", np.where(day == 26, "2", "0")))
    assert list(said_working_days(times, coded, "holiday").index) == [pd.Timestamp("2024-12-25"),
                                                                       pd.Timestamp("2024-12-26")]
    half = pd.Series(np.where(day == 24, "0.5", "0"))  # Christmas Eve's half day: off, as it was read before
    assert list(said_working_days(times, half, "holiday").index) == [pd.Timestamp("2024-12-24")]
    with pytest.raises(ValueError, match="column 'holiday' holds '-1' in data row 49: a holiday column holds 1"):
        said_working_days(times, pd.Series(np.where(day == 25, "-1", "0")), "holiday")
    # a text that says the day is off, "Non-working day", is no ordinary day's (a review's: its holidays were lost)
    off = pd.Series(np.where(day == 25, "Non-working day", np.where(day == 26, "Not working", "")))
    assert len(said_working_days(times, off, "holiday")) == 2

def test_a_working_day_column_can_make_a_saturday_a_working_day_and_a_weekday_a_day_off():
    times = hours(7)
    day = times.dt.day.to_numpy()
    cells = pd.Series(np.where(day == 28, "yes", np.where(day == 25, "0", np.where(day == 26, "", "1"))))
    workday = working_days(pd.DatetimeIndex(times), said_working_days(times, cells, "is_working_day"))
    by_day = pd.Series(workday, index=pd.DatetimeIndex(times).normalize()).groupby(level=0).first()
    assert list(by_day) == [1, 1, 0, 1, 1, 1, 1]  # the 26th blank: Thursday, a working day; the 29th marked 1


def test_each_days_rows_vote_blank_ones_abstain_and_a_tie_is_a_day_off():
    times = hours(3)
    cells = pd.Series(["1"] * 24 + ["1"] * 11 + ["0"] * 13 + ["0"] * 12 + ["1"] * 12)
    said = said_working_days(times, cells, "workday")
    assert list(said) == [1.0, 0.0, 0.0]
    one_vote = pd.Series(["Boxing Day"] + [""] * 23 + [""] * 48)  # a holiday named on its first row only
    assert list(said_working_days(times, one_vote, "Holiday").index) == [MONDAY]


@pytest.mark.parametrize("cell", ["maybe", "2", "-1"])
def test_a_working_day_column_with_other_cells_is_refused_naming_the_cell_and_its_row(cell):
    times = hours(1)
    cells = pd.Series(["1"] * 5 + [cell] + ["1"] * 18)
    with pytest.raises(ValueError, match=f"column 'workday' holds '{cell}' in data row 6: a working-day column holds "
                                         "1 on working days and 0 on days off"):
        said_working_days(times, cells, "workday")


def test_the_day_after_and_the_note_on_the_days_ahead():
    times = pd.date_range("2014-12-30", periods=96, freq="30min")  # to Wednesday 2014-12-31 23:30
    flags = day_after(times, {pd.Timestamp("2015-01-01"): "New Year's Day"})
    assert flags.shape == (48,) and not flags.any()
    assert day_after(times, {}).all()  # a Thursday
    assert days_ahead_note(times, flags, 0, {pd.Timestamp("2015-01-01"): "New Year's Day"}) == (
        "Thursday 2015-01-01 counts as a day off (New Year's Day).")
    noon = times[:72]  # to Wednesday 11:30: the steps ahead run into Thursday
    assert days_ahead_note(noon, np.r_[np.zeros(24), np.ones(24)], 24, {}) == (
        "Wednesday 2014-12-31 counts as a day off (as the series marks it); Thursday 2015-01-01 counts as a working "
        "day (Monday to Friday).")


def _csv(days: int, holiday_on: dict[str, str], ahead: int = 0) -> bytes:
    """An hourly series of `days` days from MONDAY with a holiday column, then `ahead` rows without a value."""
    times = pd.date_range(MONDAY - pd.Timedelta(days=14), periods=24 * days + ahead, freq="h")
    rows = ["time,value,holiday"]
    for k, stamp in enumerate(times):
        value = "" if k >= 24 * days else f"{100 + 10 * np.sin(k / 24 * 2 * np.pi):.2f}"
        rows.append(f"{stamp:%Y-%m-%d %H:%M},{value},{holiday_on.get(f'{stamp:%Y-%m-%d}', '')}")
    return "\n".join(rows).encode()


def test_an_uploads_holiday_column_marks_its_days_and_the_day_to_forecast():
    series, notes = read_series_upload(_csv(17, {"2024-12-25": "Christmas Day", "2024-12-26": "Boxing Day"}, 24))
    assert len(series) == 17 * 24 and len(series.workday) == 18 * 24  # the flags run on through the day ahead
    days = pd.Series(series.workday, index=pd.DatetimeIndex(
        pd.date_range(series.times[0], periods=len(series.workday), freq="h")).normalize()).groupby(level=0).first()
    assert days[pd.Timestamp("2024-12-25")] == 0 and days[pd.Timestamp("2024-12-24")] == 1
    assert days[pd.Timestamp("2024-12-26")] == 0  # the day to forecast
    assert ("Working days are read from column “holiday”: 2 day(s) differ from Monday to Friday (2024-12-25, "
            "2024-12-26), 1 of them after the last value (the days to forecast).") in notes


def test_without_a_column_the_note_says_monday_to_friday_and_how_to_mark_holidays():
    series, notes = read_series_upload(_csv(16, {}).replace(b",holiday", b"").replace(b",\n", b"\n")[:-1])
    assert series.workday.tolist() == (series.times.day_of_week < 5).astype(float).tolist()
    assert any(note.startswith("Working days are taken as Monday to Friday (a column called workday") for note in notes)


@pytest.mark.slow
def test_past_the_victoria_data_new_years_day_is_forecast_as_a_day_off():
    """The day after the data is New Year's Day 2015, a holiday as the data mark New Year's Day 2014: forecast as a
    day off it is lower than as a working day (Monday to Friday made it one), for every bundled cell."""
    from dataclasses import replace

    from rnn_demo.forecast.infer import forecast_quantiles
    from rnn_demo.forecast.serve import SHELF, bundled_cells, forecast_for, victoria
    from tests.test_readme import README

    series, _ = victoria()
    assert series.times[-1] == pd.Timestamp("2014-12-31 23:30") and series.workday[0] == 0  # 2014-01-01: off
    assert len(series.workday) == len(series) + 48 and not series.workday[len(series):].any()
    for cell in bundled_cells():
        model = SHELF.bundled(cell)
        as_off = forecast_quantiles(model, series, np.array([len(series)]))[0, :, 1]
        as_workday = forecast_quantiles(model, replace(series, workday=series.workday[:len(series)]),
                                        np.array([len(series)]))[0, :, 1]
        assert as_off.mean() < as_workday.mean() - 0.1, cell  # GW
        view = forecast_for(cell)
        assert np.allclose(view.frame["median"].dropna().to_numpy(), as_off, atol=1e-5)
        assert "Thursday 2015-01-01 counts as a day off (New Year's Day, a public holiday in Victoria)." in \
            " ".join(view.notes)
        if cell == "gru":
            actual = pd.Series(series.values, index=series.times)
            new_year, after = actual["2014-01-01"].mean(), actual["2014-01-02"].mean()
            assert (f"averaged {as_workday.mean():.2f} GW where it is {as_off.mean():.2f} now; New Year's Day 2014 "
                    f"averaged {new_year:.2f}, the day after it {after:.2f}") in " ".join(README.split())


def test_null_cells_abstain_as_blank_ones_do():
    """A parquet file's or a Hub dataset's nulls: read as text, a null in a holiday column was a holiday's name and
    every day was off (a red team's)."""
    times = hours(7)
    flags = pd.Series(np.where(times.dt.day == 25, 1.0, np.nan))
    assert list(said_working_days(times, flags, "holiday").index) == [pd.Timestamp("2024-12-25")]
    assert list(said_working_days(times, pd.Series(np.where(times.dt.day == 25, 0.0, np.nan)), "workday")) == [0.0]


def test_a_parquet_file_for_training_gives_its_holidays_too(tmp_path):
    """`train forecast --data` on a data file `datasets` reads (not a CSV): its holiday column marks the days off, as
    booleans here; the last 8 weeks are held out as `test`."""
    from rnn_demo.forecast.data import load_series

    times = pd.date_range("2024-07-01", periods=24 * 170, freq="h")
    frame = pd.DataFrame({"time": times, "value": 100 + np.arange(len(times)) % 24,
                          "is_holiday": times.normalize() == pd.Timestamp("2024-10-14")})  # a Monday
    frame.to_parquet(tmp_path / "load.parquet")
    series = load_series(str(tmp_path / "load.parquet"))
    workday = pd.Series(series["train"]["workday"], index=pd.DatetimeIndex(series["train"]["time"]))
    assert workday["2024-10-14"].eq(0).all() and workday["2024-10-15"].eq(1).all()
    assert len(series["test"]) == 8 * 7 * 24
