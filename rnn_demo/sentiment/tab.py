"""The Sentiment tab: a review classified and explained word by word, or a CSV file of reviews classified."""
from __future__ import annotations

import gradio as gr

from ..backbone import CELL_LABELS
from ..runtime import FILES, QUICK
from ..samples import samples
from ..ui import compare
from ..ui.common import (GREEN_POSITIVE, bullets, cell_choices, cell_follows_the_model, clear_first, first_visit,
                         hub_loader, shows_errors, starting_cell)
from . import serve as sentiment
from .compare import agreement, compare_verdicts
from .infer import Verdict
from .plugin import PLUGIN
from .words import strongest_words

TASK = PLUGIN
EXAMPLES = [
    ["A beautiful, moving film. The performances are superb and the ending stayed with me for days."],
    ["Two hours of my life I will never get back. The plot makes no sense and the acting is wooden."],
    ["The first half is gripping and the photography is lovely, but the last act falls apart completely."],
    ["Oh great, another sequel. Because what the world really needed was the same jokes, only louder."],
]
COLOURS = ("**Green** words pushed the review towards *positive*, **red** words towards *negative*. The classifier "
           "keeps, for each of its features, the highest value its states reach over the review; each word is credited "
           "with what its step added to those kept values, so the words' credits add up exactly to the "
           "positive-minus-negative score, less a constant of the model (its output layer's bias difference); each "
           "colour is a word's credit as a multiple of the strongest word's. A word is credited with what the state "
           "gained at its step, not with what leaving it out would change: a word that changes how the next ones read "
           "(*not*, *but*) passes its effect on to them, and its own colour may even have the other sign. The "
           "strongest word has full colour; uncoloured text was not read, carries nothing, or is a word the model does "
           "not know (it reads every such word as the same unknown token: the notes name them).")


@shows_errors
def classify_review(review: str, cell: str, loaded: tuple[str, str] | None = None
                    ) -> tuple[dict[str, float], list[tuple[str, float | None]], str]:
    """The label probabilities, the review coloured word by word, and notes on the input."""
    verdict = sentiment.analyse(review or "", cell, loaded)
    return verdict.probabilities, verdict.spans, verdict_notes(verdict)


def verdict_notes(verdict: Verdict) -> str:
    """The notes on a verdict, and the words that pushed most each way: what the colours say, in words."""
    words = strongest_words(verdict.spans, list(verdict.probabilities))  # the labels, in the model's order
    return bullets(verdict.notes + ([words] if words else []))


@shows_errors
def classify_csv(path: str | None, column: str, cell: str, loaded: tuple[str, str] | None = None,
                 progress: gr.Progress = gr.Progress()) -> tuple[str, str]:
    """Classify every row of an uploaded CSV; return the result file and a summary."""
    if not path:
        raise ValueError("upload a CSV file first")
    return sentiment.classify_upload(path, column, cell, lambda done, total: progress(done / total, "reviews"), loaded)


def _csv_box(cell: gr.Radio, loaded: gr.State) -> None:
    with gr.Accordion("Classify a CSV file", open=False):
        with gr.Row():
            upload = gr.File(label="CSV with a header row, or one review per line", file_types=[".csv", ".tsv", ".txt"],
                             type="filepath")
            column = gr.Textbox(label="Text column", placeholder="default: text or review, or the only column")
        if samples("reviews.csv"):
            gr.Examples([[path] for path in samples("reviews.csv")], inputs=[upload],
                        label="A sample file (64 labelled reviews): click to use it, or download it from the box")
        csv_button = gr.Button("Classify file")
        result_file = gr.File(label="Result: your rows with the predicted label, its probabilities and a note where "
                                    "the prediction means little")
        csv_summary = gr.Markdown()
    clear_first(csv_button.click, [result_file, csv_summary], "sentiment_clear_csv")  # no stale summary after an error
    csv_button.click(classify_csv, [upload, column, cell, loaded], [result_file, csv_summary], api_name="classify_csv",
                     **FILES)


def build() -> None:
    cells = sentiment.bundled_cells()
    best = starting_cell(TASK, cells)  # the best bundled model, by its card
    if best is None:
        return
    gr.Markdown("A recurrent classifier trained on 35,592 IMDB movie reviews reads a review word by word and "
                "says whether it is positive or negative, and which words drove that decision.")
    with gr.Row():
        with gr.Column(scale=3):
            review = gr.Textbox(label="Review", lines=6, placeholder="Paste or type a movie review")
            gr.Examples(EXAMPLES, inputs=[review], label="Reviews")
            classify_button = gr.Button("Classify", variant="primary")
            compare_button = gr.Button(compare.compare_label(cells), variant="secondary")
            # the verdict, then what to know about it (a warning that it means little, the strongest words in
            # words), then the coloured review: in that order on a phone too, where the columns stack
            label = gr.Label(label="Sentiment")
            notes = gr.Markdown()
            words = gr.HighlightedText(label="Why: each word's push on the decision (the strongest ±1)",
                                       show_legend=False,
                                       combine_adjacent=False, elem_classes=[GREEN_POSITIVE])
            with gr.Accordion("How the colours are worked out", open=False):
                gr.Markdown(COLOURS)
        with gr.Column(scale=2):
            cell = gr.Radio(cell_choices(cells), value=best, label="Recurrent cell")
            summary = gr.Markdown(sentiment.model_summary(best))
            loaded = hub_loader(TASK.name, sentiment.VISITORS)
    sentiment_box(review, compare_button)
    _csv_box(cell, loaded)
    cell.change(shows_errors(sentiment.model_summary), cell, summary, api_name="sentiment_model_info")
    cell_follows_the_model(TASK.name, loaded, cell, summary, sentiment.model_summary)
    clear_first(classify_button.click, [label, words, notes], "sentiment_clear_review")
    classify_button.click(classify_review, [review, cell, loaded], [label, words, notes], api_name="classify", **QUICK)
    first_visit(lambda: example_verdict(best), [review, label, words, notes], "sentiment")


def example_verdict(cell: str) -> tuple:
    """The first visit's verdict: the first example review classified by `cell`'s model, each word coloured."""
    review = EXAMPLES[0][0]
    probabilities, spans, notes = classify_review(review, cell)
    return review, probabilities, spans, ("An example review, classified; the colours say which words drove the "
                                          "decision. Type or paste your own and press Classify.\n\n" + notes)


@shows_errors
def compare_review(review: str) -> tuple[object, ...]:
    """For each bundled cell (sentiment.serve.bundled_cells()'s order): its label probabilities, the review coloured
    word by word and its notes; then one line saying whether the cells agree. 3 x cells + 1 values."""
    verdicts = compare_verdicts(review)
    values: list[object] = []
    for verdict in verdicts.values():
        values += [verdict.probabilities, verdict.spans, verdict_notes(verdict)]
    return (*values, agreement(verdicts))


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
                    label = gr.Label(label=CELL_LABELS[cell])
                    words = gr.HighlightedText(label=f"{CELL_LABELS[cell]}: each word's push on the decision",
                                               show_legend=False, combine_adjacent=False,
                                               elem_classes=[GREEN_POSITIVE])
                    outputs += [label, words, gr.Markdown()]
    outputs.append(agree)
    compare.opens(button, box, "sentiment_open_compare")
    clear_first(button.click, outputs, "sentiment_clear_compare")  # no stale words or notes after an error
    button.click(compare_review, review, outputs, api_name="classify_compare", **QUICK)
