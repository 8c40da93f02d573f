"""The Inside the network tab: how the bundled text models compute, section by section, on text a visitor chooses."""
from __future__ import annotations

from collections.abc import Callable

import gradio as gr

from ..inside import serve as inside
from ..inside.probe import MAX_PASSAGE
from ..inside.shapes import USES, shapes_html
from ..inside.unrolled import MAX_UNROLLED
from ..runtime import QUICK, lane
from .common import cell_choices, clear_first, first_visit, hub_loader, shows_errors

# a passage read whole (units, memory, the cells compared): a lane of its own, so that it never holds up the text
# tab's next-character table (the PROMPTS lane) nor a review (QUICK)
INSIDE = lane("inside", 1, per_client=4)  # the four sections the page loads at once

PASSAGE = ("WESTMORELAND:\nMy liege, this haste was hot in question,\nAnd many limits of the charge set down\n"
           "But yesternight: when all athwart there came\nA post from Wales loaden with heavy news;\n\n"
           "KING HENRY IV:\nIt seems then that the tidings of this broil\nBrake off our business for the Holy land.\n")
INTRO = ("A recurrent network reads one character at a time and carries what it has read in its **state** h: a vector "
         "of numbers (512 per layer in the bundled models). Each step mixes the new input with the previous state "
         "through the same weights. These sections open up the three bundled text models, trained on Shakespeare.")
UNROLLED_TEXT = ("### 1. Unrolled, step by step\nEach step is one character read. A strip of colour is a vector: one "
                 "cell per hidden unit (red positive, blue negative, white zero). On top, the state h_t after each "
                 "step: the hidden state unrolled through time, a row per character. Below, everything the cell "
                 "computes at one step (the slider picks it) from the previous state h_{t-1} and the input x_t: the "
                 "two pre-activation sums (input and recurrent), the gates (i, f, o of the LSTM, r, z of the GRU: "
                 "numbers between 0 and 1 that decide how much passes, on a scale of their own: white shut, green "
                 "open; the GRU's z open keeps the old state), the candidates (g, n: between -1 and 1) and the "
                 "LSTM's cell state c on the values' scale, and the new state h_t. The network "
                 "starts from h_0 = 0. This is computed by a from-scratch implementation in plain tensor operations, "
                 "checked against PyTorch's to 1e-5.")
COMPARE_TEXT = ("### 4. The three cells on the same text\nSurprisal is how unexpected each character was to a model: "
                "-log p in nats (0: certain; about 4.4: a uniform guess among 80 characters). Darker is more surprised. "
                "The LSTM and the GRU carry context further than the vanilla RNN; the table lists the characters where "
                "the LSTM gained most.")
UNITS_TEXT = ("### 2. What the hidden units track\nSome units learn something you can name: how far into the line the "
              "model is, whether it is inside a speaker's name. **Find units** correlates every unit of every layer "
              "(for the LSTM, also its cell state c) with features computed from the text, lists the best, and colours "
              "the passage by the most striking one (as in Karpathy, Johnson and Fei-Fei 2015). Or choose any unit. "
              "The gate table says how often the gates' values (each unit at each step) are nearly shut (below 0.1) or "
              "wide open (above 0.9).")
MEMORY_TEXT = ("### 3. How far back each cell remembers\nHow sensitive is the model's prediction at one position to "
               "the character d places back? The size of the gradient of the log-probability of the next character "
               "with respect to that character's embedding, for d = 0 (the last character read) to 256, for the three "
               "cells: a local, first-order measure (how much a small nudge to that input would move the "
               "prediction), whose level also depends on how sure that one prediction is. In the vanilla RNN it falls "
               "steadily: the vanishing gradient; the gates of the GRU and LSTM keep it alive much further. Averaged "
               "over the validation plays, the README gives each cell's curve.")
HUB_TEXT = ("A character-level text model of this project on the Hub (for example one you trained) can be opened here "
            "too, in place of the bundled one of the chosen cell, in sections 1 and 2; sections 3 and 4 compare the "
            "three bundled models.")
# A passage coloured character by character should read as text, line breaks kept: gradio lays a coloured piece out
# as a padded word in a flex row, with a space after it. Here the pieces flow as monospace text instead, each
# character's own span carrying its colour, and a newline breaks the line.
CHARACTERS = "inside-characters"
CHARACTERS_CSS = (f"<style>.{CHARACTERS} .textfield {{display: block !important; line-height: 1.7;}} "
                  f".{CHARACTERS} .token.highlighted {{margin: 0 !important; padding: 0 !important; font-size: 0;}} "
                  f".{CHARACTERS} .text {{font-size: var(--text-md); font-family: var(--font-mono); "
                  f"background-color: inherit;}}</style>")
SHAPES_TEXT = "### 5. The four shapes of a recurrent network\nInputs x (blue), recurrent states h (grey), outputs y (red)."


def told(progress: gr.Progress) -> Callable[[float, str], None]:
    """A plain function's progress (share done, what comes next) shown by gradio's progress bar."""
    return lambda share, what: progress(share, desc=what)


@shows_errors
def unroll_input(text: str, cell: str, layer: float, units: float, loaded: tuple[str, str] | None = None):
    figure, rows, equations, note = inside.unrolled(text, cell, layer, units, loaded)
    return figure, rows, f"```\n{equations}\n```\n\n{note}"


@shows_errors
def find_units(passage: str, cell: str, loaded: tuple[str, str] | None = None,
               progress: gr.Progress = gr.Progress()):
    return inside.find_units(passage, cell, loaded, told(progress))


@shows_errors
def colour_by_unit(passage: str, cell: str, layer: float, kind: str, unit: float,
                   loaded: tuple[str, str] | None = None, progress: gr.Progress = gr.Progress()):
    return inside.colour_by_unit(passage, cell, layer, kind, unit, loaded, told(progress))


@shows_errors
def memory_at(passage: str, position: float | None, progress: gr.Progress = gr.Progress()):
    return inside.memory_at(passage, position, told(progress))


@shows_errors
def compare_cells(passage: str, progress: gr.Progress = gr.Progress()):
    table, colourings, gains, note = inside.compare(passage, told(progress))
    return (table, *colourings, gains, note)


def _unrolled_section(cells: list[str], loaded: gr.State) -> None:
    gr.Markdown(UNROLLED_TEXT)
    with gr.Row():
        text = gr.Textbox(value="ROMEO:\nBut", label=f"Input (up to {MAX_UNROLLED} characters)",
                          max_length=MAX_UNROLLED, lines=2)
        cell = gr.Radio(cell_choices(cells), value=cells[-1], label="Cell")
        layer = gr.Number(value=1, precision=0, minimum=1, label="Layer")
        units = gr.Slider(8, inside.MAX_UNITS_SHOWN, value=48, step=8, label="Units shown")
    button = gr.Button("Unroll", variant="primary")
    equations = gr.Markdown()
    plot = gr.Plot(label="The state through time, one step below")
    table = gr.Dataframe(headers=["step", "read", "likeliest next characters"], label="After each step",
                         interactive=False)
    clear_first(button.click, [equations], "inside_clear_unrolled")
    button.click(unroll_input, [text, cell, layer, units, loaded], [plot, table, equations], api_name="inside_unrolled",
                 **QUICK)
    first_visit(lambda: unroll_input(text.value, cell.value, 1, 48), [plot, table, equations], "inside_unrolled")


def _units_section(passage: gr.Textbox, cells: list[str], loaded: gr.State) -> None:
    gr.Markdown(UNITS_TEXT)
    with gr.Row():
        cell = gr.Radio(cell_choices(cells), value=cells[-1], label="Cell")
        layer = gr.Number(value=1, precision=0, minimum=1, label="Layer")
        kind = gr.Radio([("hidden state h", "h"), ("cell state c (LSTM)", "c")], value="h", label="State")
        unit = gr.Number(value=0, precision=0, minimum=0, label="Unit (from 0)")
    with gr.Row():
        find_button = gr.Button("Find units", variant="primary")
        colour_button = gr.Button("Colour the passage by this unit")
    note = gr.Markdown()
    coloured = gr.HighlightedText(label="The passage, coloured by the unit", show_legend=False,
                                  combine_adjacent=False, elem_classes=CHARACTERS)
    with gr.Row():  # the ranking's six columns wider than the gates' five: its last, the chance level, was cut off
        ranking = gr.Dataframe(headers=inside.RANKING_COLUMNS, label="The units most correlated with each feature",
                               interactive=False, wrap=True, scale=3,
                               column_widths=["34%", "10%", "10%", "10%", "18%", "18%"])
        gates = gr.Dataframe(headers=inside.SATURATION_COLUMNS, label="Gate saturation", interactive=False, scale=2)
    clear_first(find_button.click, [note], "inside_clear_units")
    find_button.click(find_units, [passage, cell, loaded], [ranking, coloured, layer, kind, unit, gates, note],
                      api_name="inside_find_units", **INSIDE)
    clear_first(colour_button.click, [note], "inside_clear_unit")
    colour_button.click(colour_by_unit, [passage, cell, layer, kind, unit, loaded], [coloured, note],
                        api_name="inside_colour_by_unit", **INSIDE)
    first_visit(lambda: find_units(PASSAGE, cell.value), [ranking, coloured, layer, kind, unit, gates, note],
                "inside_units")  # the most striking unit, on the default passage


def _memory_section(passage: gr.Textbox) -> None:
    gr.Markdown(MEMORY_TEXT)
    # starts on the last position of the opening passage: gradio's Number shows and sends 0 for value=None (a
    # visitor who empties the box sends None: the end)
    position = gr.Number(value=len(PASSAGE) - 2, precision=0, minimum=0,
                         label="Position in the passage (from 0; blank: the end): the prediction of the next character")
    button = gr.Button("Measure how far back each cell looks", variant="primary")
    note = gr.Markdown()
    plot = gr.Plot(label="Influence by distance")
    clear_first(button.click, [note], "inside_clear_memory")
    button.click(memory_at, [passage, position], [plot, note], api_name="inside_memory", **INSIDE)
    first_visit(lambda: memory_at(PASSAGE, len(PASSAGE) - 2), [plot, note], "inside_memory")


def _compare_section(passage: gr.Textbox, cells: list[str]) -> None:
    gr.Markdown(COMPARE_TEXT)
    button = gr.Button("Compare the cells on the passage", variant="primary")
    note = gr.Markdown()
    table = gr.Dataframe(headers=inside.COMPARE_COLUMNS, label="Mean surprisal", interactive=False)
    with gr.Row():
        colourings = [gr.HighlightedText(label=f"{label}: surprisal", show_legend=False, combine_adjacent=False,
                                         elem_classes=CHARACTERS)
                      for label, _ in cell_choices(cells)]
    gains = gr.Dataframe(headers=inside.GAIN_COLUMNS, label="Where the LSTM beats the vanilla RNN most",
                         interactive=False)
    clear_first(button.click, [note], "inside_clear_compare")
    button.click(compare_cells, [passage], [table, *colourings, gains, note], api_name="inside_compare", **INSIDE)
    first_visit(lambda: compare_cells(PASSAGE), [table, *colourings, gains, note], "inside_compare")


def build() -> None:
    cells = inside.bundled_cells()
    if not cells:
        gr.Markdown("No text model is bundled yet: train one with `python -m rnn_demo train text`.")
        return
    gr.Markdown(INTRO)
    gr.HTML(CHARACTERS_CSS)
    # its own box: the text tab serves its models in int8, this tab reads them as trained
    loaded = hub_loader("text", inside.VISITORS, name="inside", title="Load a text model from the Hub", intro=HUB_TEXT)
    _unrolled_section(cells, loaded)
    passage = gr.Textbox(value=PASSAGE, lines=8, max_length=MAX_PASSAGE,
                         label=f"Passage for the sections below (up to {MAX_PASSAGE:,} characters)")
    _units_section(passage, cells, loaded)
    _memory_section(passage)
    _compare_section(passage, cells)
    gr.Markdown(SHAPES_TEXT)
    gr.HTML(shapes_html())
    gr.Markdown(USES)
