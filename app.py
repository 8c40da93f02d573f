"""rnn-demo: what recurrent neural networks can do, one tab per task. This file only wires the UI."""
from __future__ import annotations

from collections.abc import Iterator
from functools import partial

import gradio as gr

from rnn_demo.backbone import CELL_LABELS
from rnn_demo.forecast import serve as forecast
from rnn_demo.forecast.plot import forecast_figure
from rnn_demo.hub import ModelLoadError
from rnn_demo.model_sources import NOTES as MODEL_NOTES
from rnn_demo.model_sources import model_dirs
from rnn_demo.runtime import configure_threads
from rnn_demo.sentiment import serve as sentiment
from rnn_demo.text import serve as text
from rnn_demo.text.infer import MAX_NEW_CHARS, check_prompt
from rnn_demo.text.serve import (CELLS_OFFERED, RANDOM_SEED, candidates, model_summary, prompt_note,
                                 sampling_from_controls, stepper_for, stream_text)
from rnn_demo.uploads import MAX_BYTES
from rnn_demo.visitor_hub import VisitorModels


def _bullets(notes: list[str]) -> str:
    """Notes for the user as a Markdown list."""
    return "\n".join(f"- {note}" for note in notes)


BUNDLED_NOTE = "Using the bundled models: choose a cell."


def load_from_hub(visitors: VisitorModels, repo_id: str, revision: str) -> tuple[tuple[str, str], str]:
    """Load a visitor's Hub model for this session; on failure the current model stays (the error says why)."""
    try:
        _, commit = visitors.load(repo_id, revision)
    except ModelLoadError as error:
        raise gr.Error(str(error)) from None
    repo_id, asked = repo_id.strip(), (revision or "").strip() or "main"
    return (repo_id, commit), (f"Using **{repo_id}** at revision `{asked}` (commit `{commit[:10]}`) in place of the "
                               "bundled models, for this session.")


def hub_loader(task: str, visitors: VisitorModels) -> gr.State:
    """A "Load from the Hub" box; returns the session's choice: None (bundled) or (repo id, commit)."""
    loaded = gr.State(None)
    with gr.Accordion("Load a model from the Hub", open=False):
        with gr.Row():
            repo_id = gr.Textbox(label="Repository id", placeholder=f"user/name of an rnn-demo {task} model")
            revision = gr.Textbox(label="Revision", placeholder="branch, tag or commit (default: main)")
        with gr.Row():
            load_button = gr.Button("Load from the Hub", size="sm")
            reset_button = gr.Button("Back to the bundled models", size="sm")
        status = gr.Markdown(BUNDLED_NOTE)
    load_button.click(partial(load_from_hub, visitors), [repo_id, revision], [loaded, status],
                      api_name=f"{task}_load_from_hub")
    reset_button.click(lambda: (None, BUNDLED_NOTE), None, [loaded, status], api_name=f"{task}_use_bundled",
                       api_visibility="private")
    return loaded


MAX_UPLOAD = f"{MAX_BYTES // (1024 * 1024)}mb"
CELL_CHOICES = [(CELL_LABELS[c], c) for c in CELLS_OFFERED]
TEXT_EXAMPLES = [
    ["ROMEO:\nBut soft, what light through yonder window breaks?\n"],
    ["KING HENRY V:\nOnce more unto the breach, dear friends, once more;\n"],
    ["HAMLET:\nTo be, or not to be"],
    ["First Citizen:\n"],
]


def generate_text(prompt: str, cell: str, max_new_chars: float, temperature: float, top_k: float, top_p: float,
                  seed: float | None, stop: str, loaded: tuple[str, str] | None = None) -> Iterator[str]:
    """Stream the prompt followed by the generated text."""
    prompt = prompt or ""
    try:
        stepper = stepper_for(cell, loaded)
        sampling = sampling_from_controls(max_new_chars, temperature, top_k, top_p, seed, stop)
        check_prompt(prompt, stepper.vocab)
    except (ValueError, ModelLoadError) as error:
        raise gr.Error(str(error)) from None
    for generated in stream_text(stepper, prompt, sampling):
        yield prompt + generated


def next_characters(prompt: str, cell: str, loaded: tuple[str, str] | None = None) -> tuple[dict[str, float], str]:
    """The model's next-character probabilities after the prompt, and a note on the prompt."""
    prompt = prompt or ""
    try:
        stepper = stepper_for(cell, loaded)
        return candidates(stepper, prompt), prompt_note(prompt, stepper)
    except (ValueError, ModelLoadError) as error:
        raise gr.Error(str(error)) from None


def text_tab() -> None:
    gr.Markdown("A character-level language model trained on 34 of Shakespeare's plays writes new text, one "
                "character at a time, carrying what it has read in its recurrent state.")
    with gr.Row():
        with gr.Column(scale=3):
            prompt = gr.Textbox(label="Prompt", lines=4, max_length=4000,
                                placeholder="Type the start of a scene, e.g. a speaker's name and a colon")
            gr.Examples(TEXT_EXAMPLES, inputs=[prompt], label="Prompts")
            with gr.Row():
                generate_button = gr.Button("Generate", variant="primary")
                stop_button = gr.Button("Stop")
            output = gr.Textbox(label="Prompt and generated text", lines=16, autoscroll=True)
            note = gr.Markdown()
        with gr.Column(scale=2):
            cell = gr.Radio(CELL_CHOICES, value="lstm", label="Recurrent cell")
            summary = gr.Markdown(model_summary("lstm"))
            loaded = hub_loader("text", text.VISITORS)
            with gr.Accordion("Sampling", open=True):
                max_new = gr.Slider(1, MAX_NEW_CHARS, value=400, step=1, label="Characters to generate")
                temperature = gr.Slider(0.05, 3.0, value=0.8, step=0.05, label="Temperature",
                                        info="below 1: safer, more repetitive; above 1: wilder")
                top_k = gr.Slider(0, 80, value=0, step=1, label="Top-k", info="0: off")
                top_p = gr.Slider(0.05, 1.0, value=1.0, step=0.05, label="Top-p (nucleus)", info="1: off")
                seed = gr.Number(value=RANDOM_SEED, precision=0, minimum=RANDOM_SEED, label="Seed",
                                 info=f"{RANDOM_SEED}: a different text every time; any other number repeats its text")
                stop = gr.Textbox(label="Stop at", max_length=100,
                                  placeholder="e.g. a speaker's name such as ROMEO: (empty: never stop early)")
            gr.Markdown("What the model expects next after the prompt, before temperature, top-k and top-p "
                        "reshape it: the distribution each generated character is drawn from.")
            probabilities_button = gr.Button("Show next-character probabilities", size="sm")
            chars = gr.Label(num_top_classes=10, label="Next character after the prompt")
    inputs = [prompt, cell, max_new, temperature, top_k, top_p, seed, stop, loaded]
    cell.change(model_summary, cell, summary, api_name="text_model_info")
    # UI-only twins of the public endpoints are private: named, but not callable through the API
    for name, trigger in (("next_characters_on_generate", generate_button.click),
                          ("next_characters_on_submit", prompt.submit)):
        trigger(next_characters, [prompt, cell, loaded], [chars, note], api_name=name, api_visibility="private")
    run = generate_button.click(generate_text, inputs, output, api_name="generate")
    submitted = prompt.submit(generate_text, inputs, output, api_name="generate_on_submit", api_visibility="private")
    stop_button.click(None, cancels=[run, submitted], api_name="stop_generating", api_visibility="private")
    probabilities_button.click(next_characters, [prompt, cell, loaded], [chars, note], api_name="next_characters")


SENTIMENT_EXAMPLES = [
    ["A beautiful, moving film. The performances are superb and the ending stayed with me for days."],
    ["Two hours of my life I will never get back. The plot makes no sense and the acting is wooden."],
    ["The first half is gripping and the photography is lovely, but the last act falls apart completely."],
    ["Oh great, another sequel. Because what the world really needed was the same jokes, only louder."],
]


def classify_review(review: str, cell: str, loaded: tuple[str, str] | None = None
                    ) -> tuple[dict[str, float], list[tuple[str, float | None]], str]:
    """The label probabilities, the review coloured word by word, and notes on the input."""
    try:
        verdict = sentiment.analyse(review or "", cell, loaded)
    except (ValueError, ModelLoadError) as error:
        raise gr.Error(str(error)) from None
    return verdict.probabilities, verdict.spans, _bullets(verdict.notes)


def classify_csv(path: str | None, column: str, cell: str, loaded: tuple[str, str] | None = None,
                 progress: gr.Progress = gr.Progress()) -> tuple[str, str]:
    """Classify every row of an uploaded CSV; return the result file and a summary."""
    if not path:
        raise gr.Error("upload a CSV file first")
    try:
        return sentiment.classify_upload(path, column, cell, lambda done, total: progress(done / total, "reviews"),
                                         loaded)
    except (ValueError, ModelLoadError) as error:
        raise gr.Error(str(error)) from None


def sentiment_tab() -> None:
    cells = sentiment.bundled_cells()
    if not cells:
        gr.Markdown("No sentiment model is bundled yet: train one with `python -m rnn_demo train sentiment`.")
        return
    gr.Markdown("A recurrent classifier trained on 35,592 IMDB movie reviews reads a review word by word and "
                "says whether it is positive or negative, and which words drove that decision.")
    with gr.Row():
        with gr.Column(scale=3):
            review = gr.Textbox(label="Review", lines=6, placeholder="Paste or type a movie review")
            gr.Examples(SENTIMENT_EXAMPLES, inputs=[review], label="Reviews")
            classify_button = gr.Button("Classify", variant="primary")
            words = gr.HighlightedText(label="Why: each word's share of the decision", show_legend=False,
                                       combine_adjacent=False)
            gr.Markdown("**Red** words pushed the review towards *positive*, **blue** words towards *negative*. "
                        "The classifier keeps, for each of its features, the highest value its states reach over "
                        "the review; each word is credited with what its step added to those kept values, so the "
                        "colours add up exactly to the positive-minus-negative score. The strongest word has full "
                        "colour; uncoloured text was not read or carries nothing.")
            notes = gr.Markdown()
        with gr.Column(scale=2):
            cell = gr.Radio([(CELL_LABELS[c], c) for c in cells], value=cells[0], label="Recurrent cell")
            summary = gr.Markdown(sentiment.model_summary(cells[0]))
            loaded = hub_loader("sentiment", sentiment.VISITORS)
            label = gr.Label(num_top_classes=2, label="Sentiment")
    with gr.Accordion("Classify a CSV file", open=False):
        with gr.Row():
            upload = gr.File(label="CSV with a header row", file_types=[".csv"], type="filepath")
            column = gr.Textbox(label="Text column", placeholder="default: text or review, or the only column")
        csv_button = gr.Button("Classify file")
        result_file = gr.File(label="Result: your rows with the predicted label and probabilities")
        csv_summary = gr.Markdown()
    cell.change(sentiment.model_summary, cell, summary, api_name="sentiment_model_info")
    classify_button.click(classify_review, [review, cell, loaded], [label, words, notes], api_name="classify")
    csv_button.click(classify_csv, [upload, column, cell, loaded], [result_file, csv_summary], api_name="classify_csv")


FORECAST_SOURCES = [("Victoria electricity demand, 2014 (bundled)", "victoria"), ("My CSV upload", "upload")]
ORIGIN_EXAMPLES = [[""], ["2014-12-01 00:00"], ["2014-12-25 00:00"], ["2014-11-10 00:00"]]
ORIGIN_LABELS = ["past the end: 2015-01-01", "2014-12-01 00:00", "2014-12-25 00:00 (Christmas)", "2014-11-10 00:00"]


def forecast_demand(source: str, upload: str | None, time_column: str, value_column: str, origin: str,
                    cell: str, loaded: tuple[str, str] | None = None) -> tuple[object, object, str]:
    """The forecast plot, the window's metrics beside the seasonal naive forecast, and notes."""
    if source == "upload" and not upload:
        raise gr.Error("upload a CSV file first, or choose the Victoria series")
    try:
        view = forecast.forecast_for(cell, origin, upload if source == "upload" else None, time_column, value_column,
                                     loaded)
    except (ValueError, ModelLoadError) as error:
        raise gr.Error(str(error)) from None
    return forecast_figure(view.frame, view.unit), view.metrics, _bullets(view.notes)


def run_backtest(cell: str, loaded: tuple[str, str] | None = None, progress: gr.Progress = gr.Progress()) -> object:
    """The protocol backtest of the chosen model beside the seasonal naive baselines."""
    progress(0.1, desc="forecasting 56 days at once")
    try:
        return forecast.backtest_table(cell, loaded)
    except (ValueError, ModelLoadError) as error:
        raise gr.Error(str(error)) from None


def forecast_tab() -> None:
    cells = forecast.bundled_cells()
    if not cells:
        gr.Markdown("No forecaster is bundled yet: train one with `python -m rnn_demo train forecast`.")
        return
    gr.Markdown("A recurrent network reads the last week of half-hourly electricity demand in Victoria (Australia) "
                "and forecasts the next day, with an 80% interval, beside the naive forecast \"same as last week\".")
    with gr.Row():
        with gr.Column(scale=3):
            initial = forecast.forecast_for(cells[0])  # from the end of the series, as the origin box says
            plot = gr.Plot(forecast_figure(initial.frame, initial.unit), label="Demand: history, forecast and 80% interval")
            metrics = gr.Dataframe(initial.metrics, label="This day's errors (where the actual values are known)",
                                   interactive=False)
            notes = gr.Markdown(_bullets(initial.notes))
            backtest = gr.Dataframe(label="Backtest on the last 8 weeks of 2014 (the protocol)", interactive=False)
        with gr.Column(scale=2):
            source = gr.Radio(FORECAST_SOURCES, value="victoria", label="Series")
            with gr.Accordion("Upload a CSV (a time column and a value column, regular steps)", open=False):
                upload = gr.File(label="CSV", file_types=[".csv"], type="filepath")
                with gr.Row():
                    time_column = gr.Textbox(label="Time column", placeholder="default: time, timestamp or date")
                    value_column = gr.Textbox(label="Value column", placeholder="default: value or demand")
            origin = gr.Textbox(label="Forecast origin (the first half-hour forecast)",
                                placeholder="blank: the end of the series; or a time such as 2014-12-01 00:00")
            gr.Examples(ORIGIN_EXAMPLES, inputs=[origin], label="Origins", example_labels=ORIGIN_LABELS)
            cell = gr.Radio([(CELL_LABELS[c], c) for c in cells], value=cells[0], label="Recurrent cell")
            summary = gr.Markdown(forecast.model_summary(cells[0]))
            loaded = hub_loader("forecast", forecast.VISITORS)
            forecast_button = gr.Button("Forecast", variant="primary")
            backtest_button = gr.Button("Backtest: 56 days, 8 weeks")
    cell.change(forecast.model_summary, cell, summary, api_name="forecast_model_info")
    forecast_button.click(forecast_demand, [source, upload, time_column, value_column, origin, cell, loaded],
                          [plot, metrics, notes], api_name="forecast")
    backtest_button.click(run_backtest, [cell, loaded], backtest, api_name="backtest")


for task in ("text", "sentiment", "forecast"):
    model_dirs(task)  # the Hub models a Space names in its environment, fetched once before the UI is built

with gr.Blocks(title="rnn-demo: recurrent neural networks at work") as demo:
    gr.Markdown("# rnn-demo\nRecurrent neural networks (vanilla RNN, GRU, LSTM) trained by this project, "
                "running on the CPU of this Space.")
    if MODEL_NOTES:
        gr.Markdown("**Models:** " + " ".join(MODEL_NOTES), elem_id="model-sources")
    with gr.Tab("Text generation"):
        text_tab()
    with gr.Tab("Sentiment"):
        sentiment_tab()
    with gr.Tab("Forecasting"):
        forecast_tab()

demo.queue(max_size=64, default_concurrency_limit=4)

if __name__ == "__main__":
    configure_threads()  # at launch, not import: importing `demo` (tests, tools) leaves torch as it was
    demo.launch(max_file_size=MAX_UPLOAD)  # larger uploads are refused before they reach a handler
