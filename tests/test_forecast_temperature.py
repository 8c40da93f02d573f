"""The forecasting protocol's second track, oracle temperature: the temperature features on literal series, the
forecast day's temperature required, the track named in `evaluate`, and the tab's view of both forecasts."""
import json
import shutil

import numpy as np
import pandas as pd
import pytest

from rnn_demo.backbone import CELL_LABELS

from rnn_demo.forecast.evaluate import ORACLE, PRIMARY, REFERENCES, track_of
from rnn_demo.forecast.features import (FEATURES, TEMPERATURE_CENTER, TEMPERATURE_FEATURES, TEMPERATURE_SCALE,
                                        calendar, known_rows, temperature_rows)
from rnn_demo.forecast.infer import forecast_quantiles
from rnn_demo.forecast.model import VISITOR_LIMITS, ForecastConfig
from rnn_demo.visitor_checks import check_config
from tests.test_forecast import tiny_forecaster, toy_series

WITH_TEMPERATURE = [*FEATURES, *TEMPERATURE_FEATURES]


def test_temperature_rows_give_each_step_its_days_mean_and_maximum():
    times = pd.date_range("2024-01-01", periods=4, freq="12h")  # two days, two steps each
    rows = temperature_rows(times, np.array([10.0, 20.0, 30.0, 34.0]))
    expected = np.array([[10, 15, 20], [20, 15, 20], [30, 32, 34], [34, 32, 34]], float)
    assert np.allclose(rows * TEMPERATURE_SCALE + TEMPERATURE_CENTER, expected)


def test_known_rows_add_the_temperature_only_for_the_temperature_track():
    times = pd.date_range("2024-01-01", periods=4, freq="12h")
    workday = np.ones(4)
    assert np.array_equal(known_rows(times, workday, None, FEATURES), calendar(times, workday))
    rows = known_rows(times, workday, np.array([10.0, 20.0]), WITH_TEMPERATURE)  # none given past the second step
    assert rows.shape == (4, 8) and np.isfinite(rows[:2]).all() and np.isnan(rows[2:, 5]).all()
    with pytest.raises(ValueError, match="reads the temperature .* the series has none"):
        known_rows(times, workday, None, WITH_TEMPERATURE)


def _with_temperature(series, extra_steps: int = 0):
    steps = len(series) + extra_steps
    series.temperature = 20 + 5 * np.sin(np.arange(steps) / 3)
    return series


def test_a_temperature_forecaster_needs_the_forecast_days_temperature():
    model = tiny_forecaster(features=WITH_TEMPERATURE)
    assert model.config.reads_temperature and track_of(model.config) == ORACLE
    series = _with_temperature(toy_series())
    inside = forecast_quantiles(model, series, np.array([len(series) - 8]))
    assert inside.shape == (1, 4, 3) and np.isfinite(inside).all()
    with pytest.raises(ValueError, match="temperature is not known for every step"):
        forecast_quantiles(model, series, np.array([len(series)]))  # past the end: the day's temperatures missing
    ahead = _with_temperature(toy_series(), extra_steps=4)  # the coming day's temperatures given (future rows)
    assert np.isfinite(forecast_quantiles(model, ahead, np.array([len(ahead)]))).all()
    series.temperature = None
    with pytest.raises(ValueError, match="the series has none"):
        forecast_quantiles(model, series, np.array([len(series) - 8]))
    plain, gap = tiny_forecaster(), toy_series()
    gap.values[-3] = np.nan  # a missing value, for a model that reads no temperature: said as such
    with pytest.raises(ValueError, match=r"the series has missing values \(NaN\) among the steps the forecast reads"):
        forecast_quantiles(plain, gap, np.array([len(gap)]))


def test_the_temperature_scaling_is_the_configs():
    """config.json holds it, for who builds the inputs without the package; the bundled models' are the defaults."""
    model = tiny_forecaster(features=WITH_TEMPERATURE)
    series = _with_temperature(toy_series(), extra_steps=4)
    shifted = tiny_forecaster(features=WITH_TEMPERATURE)
    shifted.load_state_dict(model.state_dict())
    shifted.config.temperature_center, shifted.config.temperature_scale = TEMPERATURE_CENTER + 8, TEMPERATURE_SCALE
    series_warmer = _with_temperature(toy_series(), extra_steps=4)
    series_warmer.temperature = series.temperature + 8  # 8 degrees warmer, read 8 degrees lower: the same inputs
    origin = np.array([len(series)])
    assert np.allclose(forecast_quantiles(model, series, origin), forecast_quantiles(shifted, series_warmer, origin))
    assert (ForecastConfig().temperature_center, ForecastConfig().temperature_scale) == (TEMPERATURE_CENTER,
                                                                                         TEMPERATURE_SCALE)


def test_the_temperature_changes_the_forecast():
    model = tiny_forecaster(features=WITH_TEMPERATURE)
    series = _with_temperature(toy_series())
    before = forecast_quantiles(model, series, np.array([len(series) - 8]))
    series.temperature = series.temperature + 15  # a heatwave on every day
    assert not np.allclose(before, forecast_quantiles(model, series, np.array([len(series) - 8])))


def test_visitors_models_may_be_of_either_track_and_nothing_else():
    for features in (list(FEATURES), WITH_TEMPERATURE):
        assert check_config({**vars(ForecastConfig()), "features": features}, VISITOR_LIMITS, "user/model")
    with pytest.raises(Exception, match="features must be the app's"):
        check_config({**vars(ForecastConfig()), "features": [*FEATURES, "rain"]}, VISITOR_LIMITS, "user/model")
    assert track_of(ForecastConfig()) == PRIMARY


@pytest.mark.slow
def test_evaluate_scores_the_track_a_model_was_trained_for_and_logs_it(cli, tiny_models_dir, tmp_path):
    for name, track in (("forecast-gru", PRIMARY), ("forecast-temperature-gru", ORACLE)):
        model = shutil.copytree(tiny_models_dir / name, tmp_path / name)
        files = {path.name: path.read_bytes() for path in model.iterdir()}
        answer = cli("evaluate", "forecast", "--model", str(model), "--json")  # a folder outside the checkout
        assert {path.name: path.read_bytes() for path in model.iterdir()} == files  # a download's: left as it is
        answer = cli("evaluate", "forecast", "--model", str(model), "--json", "--log-scoring")
        result = json.loads(answer.stdout)
        assert answer.returncode == 0 and result["track"] == track and result["reference"] == REFERENCES[track]
        assert {"seasonal_naive_48", "seasonal_naive_336"} <= set(result) and result["origins"] == 56
        logged = json.loads((model / "training.json").read_text())["test_scorings"]
        assert logged[-1]["track"] == track and logged[-1]["mase"] == result["model"]["mase"]


def test_the_tab_shows_both_forecasts_and_the_temperature(client):
    """Through the API: the primary forecast, the oracle-temperature one and the temperature on one plot; the day's
    errors of both beside the naive; a note saying what the oracle is."""
    plot, metrics, notes = client.predict("2014-12-01 00:00", "gru", api_name="/forecast_temperature")
    names = [trace["name"] for trace in json.loads(plot["plot"])["data"]]
    assert {"forecast (median)", "forecast with oracle temperature (median)", "temperature (°C, right axis)",
            "actual"} <= set(names)
    rows = [row[0] for row in metrics["data"]]
    assert any("oracle temperature" in row for row in rows) and len(rows) == 3
    assert rows[1] == f"{CELL_LABELS['gru']} (median, 80% interval)"  # the bundled cell's, by name
    assert "standing in for a weather forecast" in notes
    with pytest.raises(Exception, match="needs the observed temperature of the day it forecasts"):
        client.predict("2015-01-01 00:00", "gru", api_name="/forecast_temperature")


def _upload(rows: int = 8, future: int = 0, temperature=None, header="time,demand,temperature") -> bytes:
    """A half-hourly CSV: `rows` with demand, then `future` without (the steps to forecast)."""
    times = pd.date_range("2024-01-01", periods=rows + future, freq="30min")
    temps = temperature if temperature is not None else [f"{15 + i % 7}" for i in range(rows + future)]
    lines = [f"{t:%Y-%m-%d %H:%M},{100 + i if i < rows else ''},{temps[i]}" for i, t in enumerate(times)]
    return (header + "\n" + "\n".join(lines) + "\n").encode()


def test_an_upload_with_a_temperature_column_and_future_rows():
    from rnn_demo.forecast.upload import read_series_upload

    series, notes = read_series_upload(_upload(rows=8, future=4))
    assert len(series) == 8 and len(series.temperature) == 12 and series.temperature[-1] == 15 + 11 % 7
    assert any("4 row(s) after the last value have no value" in note for note in notes)
    assert any("4 step(s) of it past the last value (the coming day's)" in note for note in notes)
    plain, _ = read_series_upload(_upload(rows=8, header="time,demand,wind"))  # no temperature column: today's path
    assert plain.temperature is None and len(plain) == 8
    named, _ = read_series_upload(_upload(rows=8, header="time,demand,air"), temperature_column="air")
    assert named.temperature is not None


@pytest.mark.parametrize("temperature, future, message", [
    ([f"{60 + i}" for i in range(12)], 4, "reads like Fahrenheit"),
    ([f"{285 + i}" for i in range(12)], 4, "reads like Kelvin"),
    (["20"] * 9 + ["", "21", ""], 4, "2 of the 4 rows after the last value have no temperature"),
    ([""] * 12, 4, "the temperature column is empty"),
    (["20"] * 5 + ["-80"] + ["20"] * 6, 4, "1 temperatures lie outside -60 to 60 °C"),
    ([""] * 8 + ["21"] * 4, 4, "8 of the series' 8 rows have no temperature: the model would read temperatures made up"),
    ([""] * 5 + ["20"] * 7, 4, "5 of the series' 8 rows have no temperature"),  # more than half
])
def test_bad_temperature_columns_are_clear_errors(temperature, future, message):
    from rnn_demo.forecast.upload import read_series_upload

    with pytest.raises(ValueError, match=message):
        read_series_upload(_upload(rows=12 - future, future=future, temperature=temperature))


def test_temperature_gaps_are_filled_and_said_and_missing_future_rows_noted():
    from rnn_demo.forecast.upload import read_series_upload

    series, notes = read_series_upload(_upload(rows=8, future=4, temperature=["20", "", "22"] + ["21"] * 9))
    assert series.temperature[1] == 21.0 and "1 missing temperatures were filled" in " ".join(notes)
    series, notes = read_series_upload(_upload(rows=8, future=4, temperature=["", "", "22"] + ["21"] * 9))
    assert list(series.temperature[:2]) == [22.0, 22.0]
    assert "2 missing temperatures were filled by linear interpolation between their neighbours (2 of them, before the " \
           "first temperature given or after the last, with the nearest one)." in notes
    series, notes = read_series_upload(_upload(rows=8, future=4, temperature=["20"] * 8 + [""] * 4))
    assert len(series.temperature) == 8 and any("give no temperature" in note for note in notes)


def temperature_upload(path, weeks: int = 6, names: tuple[str, str] = ("mw", "temp")):
    """An hourly grid with a temperature column, then a day of rows with the coming day's temperature and no demand."""
    from tests.test_forecast_adapt import hourly_demand

    series = hourly_demand(weeks=weeks)
    hours = np.arange(len(series) + 24)
    temperature = 18 + 8 * np.sin(2 * np.pi * (hours % 24 - 9) / 24) + 3 * np.sin(hours / 100)
    times = series.times.append(pd.date_range(series.times[-1] + pd.Timedelta(hours=1), periods=24, freq="h"))
    demand = [f"{value:.3f}" for value in series.values] + [""] * 24
    pd.DataFrame({"time": times, names[0]: demand, names[1]: temperature.round(2)}).to_csv(path, index=False)
    return path


@pytest.mark.slow
def test_an_upload_with_the_coming_days_temperature_is_adapted_and_forecast_with_it(client, tmp_path):
    """Through the API: an hourly series whose file ends with the coming day's temperatures (blank demand) is read
    with its temperature, the temperature-aware model is adapted to it in the job slot, and its day is forecast."""
    from gradio_client import handle_file

    path = temperature_upload(tmp_path / "grid.csv")
    plot, _, notes, holdout = client.predict("upload", handle_file(str(path)), "", "mw", "", True, "gru", "temp",
                                                api_name="/forecast")
    assert "24 row(s) after the last value have no value: they are read as the steps to forecast" in notes
    assert "the forecast is the temperature-aware model's" in notes and "24 step(s) of it past the last value" in notes
    assert "Adapted to your series" in notes and holdout["data"]  # adapted, with its held-out table
    names = [trace["name"] for trace in json.loads(plot["plot"])["data"]]
    assert "forecast (median)" in names and "actual" not in names  # the coming day: nothing to compare with yet


def test_the_train_tabs_forecasting_task_reads_a_temperature_column(tmp_path):
    """Train your own: a series with a temperature column builds a temperature-aware forecaster; without one, today's."""
    from rnn_demo.forecast.visitor import VISITOR, build_forecaster

    assert "temperature" in [role.name for role in VISITOR.columns]
    path = temperature_upload(tmp_path / "grid.csv")
    prepared = VISITOR.read(path, {"value": "mw", "temperature": "temp"})
    assert prepared.summary["temperature"].startswith("read")
    assert build_forecaster(prepared, "gru", "tiny", "cpu").model.config.reads_temperature
    plain = VISITOR.read(path, {"value": "mw", "temperature": None, "time": None})
    assert plain.summary["temperature"].startswith("read")  # found by its name, "temp"
    without = tmp_path / "plain.csv"
    pd.read_csv(path).drop(columns="temp").dropna().to_csv(without, index=False)
    built = build_forecaster(VISITOR.read(without, {"value": "mw"}), "gru", "tiny", "cpu")
    assert not built.model.config.reads_temperature


@pytest.mark.slow  # the bundled models, through the tab's handler
def test_the_oracle_comparison_says_a_visitors_model_has_no_part_in_it():
    """With a visitor's own model loaded, the button showed the bundled GRU's forecast in its place without a word."""
    from rnn_demo.forecast.tab import forecast_with_temperature

    _, _, notes = forecast_with_temperature("2014-12-01 00:00", "gru", ("user/my-grid", "0" * 40))
    from rnn_demo.display import md_text

    assert notes.startswith(f"- The oracle-temperature comparison is of the bundled GRU models: your model "
                            f"({md_text('user/my-grid')}) has no part in it"), notes

