"""The Forecasting tab's "compare the three cells" option: one plot with each bundled cell's forecast (the one the
single view gives for that cell), a table with a row per cell and the naive, and the endpoint through the launched
app's API, bad input included."""
import json

import gradio as gr
import numpy as np
import pandas as pd
import pytest

from rnn_demo.backbone import CELL_LABELS
from rnn_demo.forecast.compare import ForecastComparison, compare_forecasts, comparison_notes
from rnn_demo.forecast.serve import METRIC_COLUMNS, ForecastView, bundled_cells, forecast_for

CHRISTMAS = "2014-12-25 00:00"


@pytest.fixture(scope="module")
def christmas() -> ForecastComparison:
    return compare_forecasts(CHRISTMAS)


def _trace(comparison: ForecastComparison, name: str) -> dict:
    return next(trace for trace in comparison.figure.data if trace.name == name)


def test_each_cell_has_a_median_trace_equal_to_its_single_forecast(christmas):
    assert list(christmas.views) == bundled_cells() == ["rnn", "gru", "lstm"]
    for cell in bundled_cells():
        single = forecast_for(cell, CHRISTMAS).frame.dropna(subset=["median"])
        for column, name in [("median", "forecast (median)"), ("upper", "80% interval, upper bound"),
                             ("lower", "80% interval")]:
            trace = _trace(christmas, f"{CELL_LABELS[cell]} {name}")
            assert list(trace.y) == pytest.approx(single[column].tolist(), abs=1e-9), (cell, column)
            assert list(trace.x) == [stamp.isoformat() for stamp in single["time"]]
        assert _trace(christmas, f"{CELL_LABELS[cell]} 80% interval").fill == "tonexty"


def test_the_plot_shows_the_history_the_actual_values_and_the_naive_once(christmas):
    names = [trace.name for trace in christmas.figure.data]
    for shared in ("history", "actual", "seasonal naive (last week)"):
        assert names.count(shared) == 1
    single = forecast_for("gru", CHRISTMAS).frame
    assert list(_trace(christmas, "actual").y) == pytest.approx(single["actual"].dropna().tolist())
    assert len(_trace(christmas, "history").y) == 7 * 48
    assert christmas.figure.layout.yaxis.title.text == "demand (GW)"


def test_the_table_has_a_row_per_cell_then_the_naive(christmas):
    table = christmas.metrics
    assert list(table.columns) == METRIC_COLUMNS
    assert table["forecaster"].tolist() == [f"{CELL_LABELS[cell]} (median, 80% interval)" for cell in bundled_cells()
                                            ] + ["seasonal naive (last week)"]
    for number, cell in enumerate(bundled_cells()):
        single = forecast_for(cell, CHRISTMAS).metrics
        assert table.iloc[number, 1:].tolist() == pytest.approx(single.iloc[0, 1:].tolist(), nan_ok=True)
        assert table.iloc[-1, 1:].tolist() == pytest.approx(single.iloc[1, 1:].tolist(), nan_ok=True)


def test_past_the_end_the_table_is_empty_with_its_headers_and_the_note_said_once():
    comparison = compare_forecasts("")
    assert comparison.metrics.empty and list(comparison.metrics.columns) == METRIC_COLUMNS
    assert "actual" not in [trace.name for trace in comparison.figure.data]
    assert sum("past the end of the data" in note for note in comparison.notes) == 1


def _view(*notes: str) -> ForecastView:
    return ForecastView(pd.DataFrame(), pd.DataFrame(), list(notes))


def test_notes_every_cell_has_are_said_once_and_a_cells_own_are_named():
    views = {"rnn": _view("shared", "below zero"), "gru": _view("shared"), "lstm": _view("shared", "other")}
    assert comparison_notes(views) == ["shared", "**Vanilla RNN**: below zero", "**LSTM**: other"]


@pytest.mark.parametrize("origin, message", [("soon", "cannot read 'soon' as a time"),
                                             ("2014-01-02 00:00", "the origin must be a time step"),
                                             ("x" * 65, "at most 64 are read")])
def test_a_bad_origin_is_refused_as_in_the_single_view(origin, message):
    with pytest.raises(ValueError, match=message) as compared:
        compare_forecasts(origin)
    with pytest.raises(ValueError) as single:
        forecast_for("gru", origin)
    assert str(compared.value) == str(single.value)


def test_a_bad_upload_is_refused_as_in_the_single_view(tmp_path):
    from rnn_demo.forecast.tab import compare_forecast

    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(ValueError, match="the file is empty"):
        compare_forecasts("", str(path))
    with pytest.raises(gr.Error, match="upload a CSV file first"):
        compare_forecast("upload", None, "", "", "")


def test_an_upload_is_compared_with_its_named_temperature_column_and_said_unadapted(tmp_path):
    from rnn_demo.forecast.compare import UNADAPTED
    from tests.test_forecast_temperature import temperature_upload

    path = temperature_upload(tmp_path / "grid.csv", names=("mw", "air"))  # "air": found only when named
    comparison = compare_forecasts("", str(path), "", "mw", "air")
    assert "the forecast is the temperature-aware model's" in " ".join(comparison.notes)
    assert comparison.notes[-1] == UNADAPTED


def test_the_tab_wires_the_button_to_a_plot_a_table_and_notes():
    from rnn_demo.runtime import FILES
    from rnn_demo.forecast import tab as forecast_tab

    with gr.Blocks() as tab:
        forecast_tab.build()
    by_name = {fn.api_name: fn for fn in tab.fns.values()}
    run, single = by_name["forecast_compare"], by_name["forecast"]
    assert [type(block) for block in run.outputs] == [gr.Plot, gr.Dataframe, gr.Markdown]
    assert run.inputs == [*single.inputs[:5], single.inputs[-1]]  # the Forecast button's series and temperature column
    # an upload of up to 50 MB may be read: the files lane, never the quick one that reviews use
    assert run.outputs[1].headers == METRIC_COLUMNS and run.concurrency_id == FILES["concurrency_id"]
    assert by_name["forecast_clear_compare"].outputs == run.outputs[2:]


@pytest.mark.slow
def test_forecast_compare_through_the_api(client):
    """The launched app bundles tiny GRU and LSTM forecasters: a median trace each, equal to /forecast's."""
    plot, table, notes = client.predict("victoria", None, "", "", CHRISTMAS, "", api_name="/forecast_compare")
    traces = {trace.get("name"): trace for trace in json.loads(plot["plot"])["data"]}
    for cell in ("gru", "lstm"):
        single_plot, _, _, _ = client.predict("victoria", None, "", "", CHRISTMAS, True, cell, api_name="/forecast")
        single = next(t for t in json.loads(single_plot["plot"])["data"] if t.get("name") == "forecast (median)")
        assert traces[f"{CELL_LABELS[cell]} forecast (median)"]["y"] == pytest.approx(single["y"])
    assert [row[0] for row in table["data"]] == ["GRU (median, 80% interval)", "LSTM (median, 80% interval)",
                                                 "seasonal naive (last week)"]
    assert np.isfinite([row[1] for row in table["data"]]).all()
    with pytest.raises(Exception, match="upload a CSV file first"):
        client.predict("upload", None, "", "", "", "", api_name="/forecast_compare")
    with pytest.raises(Exception, match="cannot read 'soon' as a time"):
        client.predict("victoria", None, "", "", "soon", "", api_name="/forecast_compare")
