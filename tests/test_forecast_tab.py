"""The Forecasting tab's widgets as built, without a server: real headers on its tables, a bounded origin box, and
notes emptied when a forecast starts."""
import gradio as gr
import pytest


@pytest.fixture(scope="module")
def tab() -> gr.Blocks:
    from rnn_demo.forecast import tab as forecast_tab

    with gr.Blocks() as demo:
        forecast_tab.build()
    return demo


def _components(tab: gr.Blocks, kind: type) -> dict[str, gr.components.Component]:
    return {block.label: block for block in tab.blocks.values() if isinstance(block, kind)}


def test_empty_tables_show_their_real_headers(tab):
    from rnn_demo.forecast.serve import METRIC_COLUMNS

    tables = _components(tab, gr.Dataframe)
    backtest = tables["Backtest: the 56 days of the last 8 weeks of 2014, never trained on"]
    day = tables["This day's errors (where the actual values are known)"]  # the first view: past the data's end
    for table in (backtest, day):
        assert table.value["data"] == [] and table.value["headers"] == METRIC_COLUMNS
        assert table.headers == METRIC_COLUMNS  # what an empty answer falls back to


def test_the_origin_box_is_bounded(tab):
    from rnn_demo.forecast.origin import ORIGIN_CHARS

    assert _components(tab, gr.Textbox)["Forecast origin (the first half-hour forecast)"].max_length == ORIGIN_CHARS == 64


def test_notes_are_emptied_in_the_page_when_a_forecast_starts(tab):
    by_name = {fn.api_name: fn for fn in tab.fns.values()}
    clear, forecast = by_name["forecast_clear"], by_name["forecast"]
    assert clear.targets == forecast.targets and clear.js == "() => null" and not clear.queue
    notes = [block for block in forecast.outputs if isinstance(block, gr.Markdown)]
    assert clear.outputs == notes and clear.api_visibility == "private"


def test_the_tab_says_what_clock_victorias_times_are_on(tab):
    """The protocol series is on the market's clock, Australian Eastern Standard Time all year: the test weeks' "day
    from 00:00" starts at 01:00 on Melbourne's daylight-time clocks, and nothing said so (a red team's)."""
    texts = [block.value for block in tab.blocks.values() if isinstance(block, gr.Markdown) and block.value]
    assert any("Australian Eastern Standard Time all year (UTC+10, no daylight saving)" in text for text in texts)
