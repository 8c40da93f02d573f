"""The "compare the cells" option of the Sentiment and Forecasting tabs: the handlers, and the accordion each tab puts
below its widgets, which the tab's "Compare the three cells" button fills (and opens). The comparisons themselves are
sentiment/compare.py's and forecast/compare.py's; the tabs only place the button and call these.
"""
from __future__ import annotations

import gradio as gr

from ..backbone import CELL_LABELS
from ..forecast import serve as forecast
from ..forecast.compare import compare_forecasts
from ..runtime import FILES, QUICK
from ..sentiment import serve as sentiment
from ..sentiment.compare import agreement, compare_verdicts
from .common import bullets, clear_first, shows_errors

COUNTS = {1: "one", 2: "two", 3: "three"}


def compare_label(cells: list[str]) -> str:
    """The button's text: "Compare the three cells" (as many as are bundled)."""
    return f"Compare the {COUNTS.get(len(cells), len(cells))} cells"


@shows_errors
def compare_review(review: str) -> tuple[object, ...]:
    """For each bundled cell (sentiment.serve.bundled_cells()'s order): its label probabilities, the review coloured
    word by word and its notes; then one line saying whether the cells agree. 3 x cells + 1 values."""
    verdicts = compare_verdicts(review)
    values: list[object] = []
    for verdict in verdicts.values():
        values += [verdict.probabilities, verdict.spans, bullets(verdict.notes)]
    return (*values, agreement(verdicts))


@shows_errors
def compare_forecast(source: str, upload: str | None, time_column: str, value_column: str, origin: str
                     ) -> tuple[object, object, str]:
    """The forecast tab's series inputs -> the bundled cells' forecasts on one plot, the day's errors with a row per
    cell and the naive, and notes."""
    if source == "upload" and not upload:
        raise gr.Error("upload a CSV file first, or choose the Victoria series")
    comparison = compare_forecasts(origin, upload if source == "upload" else None, time_column, value_column)
    return comparison.figure, comparison.metrics, bullets(comparison.notes)


def _opens(button: gr.Button, box: gr.Accordion, name: str) -> None:
    """Open `box` when `button` is clicked, so the results it will hold are in view."""
    button.click(lambda: gr.Accordion(open=True), None, box, api_name=name, api_visibility="private", queue=False)


def sentiment_box(review: gr.Textbox, button: gr.Button) -> None:
    """Below the tab: an accordion with, per bundled cell, its verdict, coloured words and notes side by side; filled
    by `button` from `review` (api_name "classify_compare")."""
    cells = sentiment.bundled_cells()
    outputs: list[gr.components.Component] = []
    with gr.Accordion("The cells compared on this review", open=False, elem_id="sentiment-compare") as box:
        agree = gr.Markdown()
        with gr.Row():
            for cell in cells:
                with gr.Column(min_width=240):
                    label = gr.Label(num_top_classes=2, label=CELL_LABELS[cell])
                    words = gr.HighlightedText(label=f"{CELL_LABELS[cell]}: each word's share of the decision",
                                               show_legend=False, combine_adjacent=False)
                    outputs += [label, words, gr.Markdown()]
    outputs.append(agree)
    _opens(button, box, "sentiment_open_compare")
    # no stale words or notes after an error; the labels stay (a Label emptied in the page throws in gradio 6)
    clear_first(button.click, [block for block in outputs if not isinstance(block, gr.Label)],
                "sentiment_clear_compare")
    button.click(compare_review, review, outputs, api_name="classify_compare", **QUICK)


def forecast_box(series: list[gr.components.Component], button: gr.Button) -> None:
    """Below the tab: an accordion with the bundled cells' forecasts on one plot, their errors and notes; filled by
    `button` from the tab's `series` inputs (source, upload, time column, value column, origin; api_name
    "forecast_compare")."""
    with gr.Accordion("The cells on one plot", open=False, elem_id="forecast-compare") as box:
        plot = gr.Plot(label="Demand: history, each cell's forecast and 80% interval, and the naive forecast")
        metrics = gr.Dataframe(forecast.empty_metrics(), label="This day's errors, cell by cell",
                               headers=forecast.METRIC_COLUMNS, interactive=False)
        notes = gr.Markdown()
    _opens(button, box, "forecast_open_compare")
    clear_first(button.click, [notes], "forecast_clear_compare")  # the table keeps its headers: see clear_first
    # FILES: the series may be an upload of up to 50 MB, read three times (a review never waits behind it)
    button.click(compare_forecast, series, [plot, metrics, notes], api_name="forecast_compare", **FILES)
