"""The Forecasting tab: a day-ahead forecast with its 80% interval beside the naive forecast, and the backtest."""
from __future__ import annotations

import gradio as gr

from ..backbone import CELL_LABELS
from ..clients import client_address
from ..display import md_text
from ..runtime import FILES, QUICK, lane
from ..samples import samples
from ..ui import compare
from ..ui.common import (FIRST_ON_A_PHONE, bullets, cell_choices, cell_follows_the_model, clear_first, first_visit,
                         hub_loader, job_owner, progress_line, shows_errors, starting_cell, stop_job)
from . import serve as forecast
from .compare import compare_forecasts
from .origin import ORIGIN_CHARS
from .own_series import holdout_frame, own_series_forecast
from .plot import forecast_figure
from .plugin import PLUGIN
from .temperature import oracle_view

TASK = PLUGIN
FORECAST_LANE = lane("forecasts", 8)  # an adaptation mostly waits (for the job slot, or on its worker): not QUICK
SAMPLE_FILES = ("demand-half-hourly.csv", "demand-hourly.csv")
UPLOAD_LABEL = "Upload a CSV (a time column and a value column, half-hourly or hourly; finer steps are averaged)"
SOURCES = [("Victoria electricity demand, 2014 (bundled)", "victoria"), ("My CSV upload", "upload")]
# the market's clock, as AEMO keeps it: the series has no gap or repeat at the clock changes, and its morning ramp
# moves an hour in its stamps exactly there (a red team's): a "day from 00:00" of the test weeks starts at 01:00 in
# Melbourne
VICTORIA_TIME = ("Victoria's times are the electricity market's: Australian Eastern Standard Time all year (UTC+10, "
                 "no daylight saving), so from October to April Melbourne's clocks read an hour later.")
# what the tables' columns mean, for visitors who do not forecast for a living
METRICS_GLOSSARY = ("*The tables:* MAE is the mean absolute error, in the series' unit (GW for Victoria); MAPE "
                    "the same in % of the actual demand; MASE the MAE over the in-sample error of last week's naive "
                    "forecast (below 1: better than that naive). *coverage 80%* is the share of actual values inside "
                    "the 80% interval (it aims at 0.8 over many days; one day's 48 values move together, so one "
                    "day's coverage says little), *width* its mean width, and the *interval score* its width plus 10 "
                    "times how far the actual values fall outside it (lower is better).")
# the metrics tables' seven columns in the plot's width, headers wrapped (the last two were cut off at desktop width,
# MASE and the coverage reachable only by scrolling inside the table on a phone: a UX review)
METRICS_LAYOUT = {"wrap": True, "column_widths": ["28%", "11%", "11%", "11%", "13%", "13%", "13%"]}
EXAMPLE_ORIGIN = "2014-12-01 00:00"  # the first visit's day: in the test weeks, its actual demand known
ORIGIN_EXAMPLES = [[""], [EXAMPLE_ORIGIN], ["2014-12-25 00:00"], ["2014-11-10 00:00"]]
ORIGIN_LABELS = ["past the end: 2015-01-01", "2014-12-01 00:00", "2014-12-25 00:00 (Christmas)", "2014-11-10 00:00"]


@shows_errors
def forecast_demand(request: gr.Request, source: str, upload: str | None, time_column: str, value_column: str,
                    origin: str, adapt: bool, cell: str, loaded: tuple[str, str] | None = None,
                    adapted: dict | None = None, temperature_column: str | None = None,
                    progress: gr.Progress = gr.Progress()):
    """Stream (plot, the day's metrics, notes, the held-out table, the session's adapted models). The Victoria
    series is forecast at once; an upload first adapts the model to it (in the job slot, cached per upload)
    unless `adapt` is off; with a temperature column giving the coming day's, the temperature-aware model. (gradio
    hands `request` in first; the temperature column comes last, so that API callers without it are answered.)"""
    if source != "upload":
        view = forecast.forecast_for(cell, origin, None, time_column, value_column, loaded)
        yield _shown(view, None, adapted)
        return
    if not upload:
        raise ValueError("upload a CSV file first, or choose the Victoria series")
    if not adapt:
        view = forecast.forecast_for(cell, origin, upload, time_column, value_column, loaded,
                                     temperature_column=temperature_column)
        yield _shown(view, None, adapted)
        return
    adapted = dict(adapted or {})
    for update in own_series_forecast(job_owner(request, "forecast"), cell, origin, upload, time_column, value_column,
                                      loaded, adapted, client=client_address(request),
                                      temperature_column=temperature_column):
        if isinstance(update, str):
            share = getattr(update, "share", 0.0)
            progress(share, desc="adapting the model to your series")
            yield gr.skip(), gr.skip(), progress_line(share, f"{share:.0%} of the steps") + update, gr.skip(), gr.skip()
        else:
            yield _shown(*update, adapted)


def example_day(cell: str) -> tuple:
    """The first visit's view (origin, plot, the day's errors, notes, backtest): `cell`'s forecast of EXAMPLE_ORIGIN
    beside the actual demand, and its backtest, where the tab opened on a day past the data, its tables empty."""
    view = forecast.forecast_for(cell, EXAMPLE_ORIGIN)
    notes = [f"An example: the day from {EXAMPLE_ORIGIN}, one of the 8 test weeks, beside the actual demand; below "
             "it, the backtest of all 56 test days. Choose an origin or your own series, then Forecast."] + view.notes
    return (EXAMPLE_ORIGIN, forecast_figure(view.frame, view.unit), view.metrics, bullets(notes),
            forecast.backtest_table(cell))


def _shown(view: forecast.ForecastView, adaptation, adapted: dict | None) -> tuple:
    return (forecast_figure(view.frame, view.unit), view.metrics, bullets(view.notes), holdout_frame(adaptation),
            adapted or {})


def stop_adapting(request: gr.Request) -> object:
    said = stop_job(job_owner(request, "forecast"))
    return "Nothing is being adapted." if said is None else said


@shows_errors
def forecast_with_temperature(origin: str, cell: str, loaded: tuple[str, str] | None = None) -> tuple:
    """The Victoria series' day from `origin`: `cell`'s bundled forecast and the oracle-temperature one, with the
    temperature (plot, the day's metrics for both, notes); a visitor's own model (`loaded`) is said to have no part
    in it, where the bundled one replaced theirs on the plot without a word."""
    view = oracle_view(cell, origin)
    if loaded:
        view.notes.insert(0, f"The oracle-temperature comparison is of the bundled {CELL_LABELS[cell]} models: your "
                             f"model ({md_text(loaded[0])}) has no part in it; Forecast shows yours again.")
    return forecast_figure(view.frame, view.unit), view.metrics, bullets(view.notes)


@shows_errors
def run_backtest(cell: str, loaded: tuple[str, str] | None = None, progress: gr.Progress = gr.Progress()) -> object:
    """The protocol backtest of the chosen model beside the seasonal naive baselines."""
    progress(0.1, desc="forecasting 56 days at once")
    return forecast.backtest_table(cell, loaded)


def _series_controls() -> list[gr.components.Component]:
    """Series, upload, its columns, the origin and whether to adapt: the forecast's inputs before the cell."""
    source = gr.Radio(SOURCES, value="victoria", label="Series")
    with gr.Accordion(UPLOAD_LABEL, open=False) as upload_box:
        upload = gr.File(label="CSV", file_types=[".csv"], type="filepath", elem_id="forecast-upload")
        if samples(*SAMPLE_FILES):
            gr.Examples([[path] for path in samples(*SAMPLE_FILES)], inputs=[upload], label="Sample files: click to "
                        "use one (half-hourly with the temperature and the day to forecast; hourly, in MW)")
        with gr.Row():
            time_column = gr.Textbox(label="Time column", placeholder="default: time, timestamp or date")
            value_column = gr.Textbox(label="Value column", placeholder="default: value or demand")
        temperature = gr.Textbox(label="Temperature column (°C; optional)",
                                 placeholder="default: temperature or temp; rows after the last value: the coming day's")
        adapt = gr.Checkbox(value=True, label="Adapt the model to my series first (fine-tuned on its history, "
                                              "the last two weeks held out to check it against the naive forecasts)")
    origin = gr.Textbox(label="Forecast origin (the first half-hour forecast)", max_length=ORIGIN_CHARS,
                        placeholder="blank: the end of the series; or a time such as 2014-12-01 00:00")
    gr.Examples(ORIGIN_EXAMPLES, inputs=[origin], label="Origins", example_labels=ORIGIN_LABELS)
    # choosing the upload opens its box (it stayed shut, and Forecast then said only "upload a CSV file first")
    source.input(lambda chosen: gr.Accordion(open=chosen != "victoria"), source, upload_box,
                 api_name="forecast_open_upload", api_visibility="private", queue=False, show_progress="hidden")
    return [source, upload, time_column, value_column, origin, adapt, temperature]


def build() -> None:
    cells = forecast.bundled_cells()
    best = starting_cell(TASK, cells)  # the best bundled model, by its card
    if best is None:
        return
    gr.Markdown("A recurrent network reads the last week of half-hourly electricity demand in Victoria (Australia) "
                "and forecasts the next day, with an 80% interval, beside the naive forecast \"same as last week\". "
                f"{VICTORIA_TIME}")
    initial = forecast.forecast_for(best)  # from the end of the series, as the origin box says
    with gr.Row():
        with gr.Column(scale=3):
            plot = gr.Plot(forecast_figure(initial.frame, initial.unit),
                           label="Demand: history, forecast and 80% interval")
            metrics = gr.Dataframe(initial.metrics, label="This day's errors (where the actual values are known)",
                                   headers=forecast.METRIC_COLUMNS, interactive=False, **METRICS_LAYOUT)
            notes = gr.Markdown(bullets(initial.notes))
            holdout = gr.Dataframe(forecast.empty_metrics(), interactive=False, headers=forecast.METRIC_COLUMNS,
                                   label="Your series' last 7 days, held out and used for no choice: the adapted model "
                                         "against the naive forecasts", visible=False,  # shown with "my series"
                                   **METRICS_LAYOUT)
            backtest = gr.Dataframe(forecast.empty_metrics(), headers=forecast.METRIC_COLUMNS, interactive=False,
                                    label="Backtest: the 56 days of the last 8 weeks of 2014, never trained on",
                                    **METRICS_LAYOUT)
            gr.Markdown(METRICS_GLOSSARY)
        with gr.Column(scale=2, elem_classes=[FIRST_ON_A_PHONE]):
            series = _series_controls()
            cell = gr.Radio(cell_choices(cells), value=best, label="Recurrent cell")
            summary = gr.Markdown(forecast.model_summary(best))
            loaded = hub_loader(TASK.name, forecast.VISITORS)
            with gr.Row():
                forecast_button = gr.Button("Forecast", variant="primary")
                stop = gr.Button("Stop adapting", size="sm", visible=False)  # shown while an adaptation may run
            oracle_button = gr.Button("Beside it: the forecast that knows the day's temperatures (Victoria)",
                                      visible=bool(forecast.TEMPERATURE_SHELF.cells()))
            backtest_button = gr.Button("Backtest: 56 days, 8 weeks")
            compare_button = gr.Button(compare.compare_label(cells))
    adapted = gr.State({})  # this session's adapted models, by upload (own_series.CACHE_SIZE at most)
    forecast_box([*series[:5], series[6]], compare_button)  # the series, its origin and its temperature column
    cell.change(shows_errors(forecast.model_summary), cell, summary, api_name="forecast_model_info")
    cell_follows_the_model(TASK.name, loaded, cell, summary, forecast.model_summary)
    # no stale notes after an error (the plot and its table stay: a table emptied in the page loses its headers)
    clear_first(forecast_button.click, [notes], "forecast_clear")
    source, adapt = series[0], series[5]
    source.input(lambda chosen: gr.Dataframe(visible=chosen == "upload"), source, holdout,
                 api_name="forecast_show_holdout", api_visibility="private", queue=False, show_progress="hidden")
    forecast_button.click(lambda chosen, adapting: gr.Button(visible=chosen == "upload" and adapting), [source, adapt],
                          stop, api_name="forecast_show_stop", api_visibility="private", queue=False,
                          show_progress="hidden")
    forecast_button.click(forecast_demand, [*series[:6], cell, loaded, adapted, series[6]],
                          [plot, metrics, notes, holdout, adapted],
                          api_name="forecast", **FORECAST_LANE).then(
        lambda: gr.Button(visible=False), None, stop, api_name="forecast_hide_stop", api_visibility="private",
        queue=False, show_progress="hidden")
    stop.click(stop_adapting, None, notes, api_name="forecast_stop", api_visibility="private", queue=False)
    backtest_button.click(run_backtest, [cell, loaded], backtest, api_name="backtest", **QUICK)
    first_visit(lambda: example_day(best), [series[4], plot, metrics, notes, backtest], "forecast")
    clear_first(oracle_button.click, [notes], "forecast_clear_temperature")
    oracle_button.click(forecast_with_temperature, [series[4], cell, loaded], [plot, metrics, notes],
                        api_name="forecast_temperature", **QUICK)


@shows_errors
def compare_forecast(source: str, upload: str | None, time_column: str, value_column: str, origin: str,
                     temperature_column: str = "") -> tuple[object, object, str]:
    """The forecast tab's series inputs -> the bundled cells' forecasts on one plot, the day's errors with a row per
    cell and the naive, and notes."""
    if source == "upload" and not upload:
        raise ValueError("upload a CSV file first, or choose the Victoria series")
    comparison = compare_forecasts(origin, upload if source == "upload" else None, time_column, value_column,
                                   (temperature_column or "").strip() or None)
    return comparison.figure, comparison.metrics, bullets(comparison.notes)


def forecast_box(series: list[gr.components.Component], button: gr.Button) -> None:
    """Below the tab: an accordion with the bundled cells' forecasts on one plot, their errors and notes; filled by
    `button` from the tab's `series` inputs (source, upload, time column, value column, origin, temperature column;
    api_name "forecast_compare")."""
    with gr.Accordion("The cells on one plot", open=False, elem_id="forecast-compare") as box:
        plot = gr.Plot(label="Demand: history, each cell's forecast and 80% interval, and the naive forecast")
        metrics = gr.Dataframe(forecast.empty_metrics(), label="This day's errors, cell by cell",
                               headers=forecast.METRIC_COLUMNS, interactive=False, **METRICS_LAYOUT)
        notes = gr.Markdown()
    compare.opens(button, box, "forecast_open_compare")
    clear_first(button.click, [notes], "forecast_clear_compare")  # the table keeps its headers: see clear_first
    # FILES: the series may be an upload of up to 50 MB, read three times (a review never waits behind it)
    button.click(compare_forecast, series, [plot, metrics, notes], api_name="forecast_compare", **FILES)
