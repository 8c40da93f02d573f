"""The Inside tab's plain functions, on the bundled text models (or a visitor's Hub text model): each section's
figures and tables from the UI's inputs, every input checked. `ui/inside_tab.py` wires these to widgets; tests
call them directly.
"""
from __future__ import annotations

import html
from collections.abc import Callable
from functools import partial, wraps
from pathlib import Path
from typing import TypeVar

import plotly.graph_objects as go

from ..backbone import CELL_LABELS
from ..devices import pick_device
from ..display import number_text, valid_unicode
from ..hub import card_metrics, load_model
from ..shelf import ModelShelf
from ..text.model import VISITOR_LIMITS, CharLM
from .compare import biggest_gains, coloured, compare_cells
from .memory import LOOK_BACK, check_position, influence_at
from .plots import influence_figure, unrolled_figure
from .probe import MAX_PASSAGE, check_passage, read_passage
from .units import FEATURES, check_unit, coloured_passage, most_striking, rank_units, saturation, unit_trace
from .unrolled import MAX_UNROLLED, check_layer, check_short_input, shown, state_in_words, unrolled_view

MAX_UNITS_SHOWN = 512
COMPARE_COLUMNS = ["model", "mean surprisal on this passage (nats/char)", "the 3 held-out validation plays (nats/char)"]
RANKING_COLUMNS = ["feature", "layer", "state", "unit", "correlation", "chance ±"]
SATURATION_COLUMNS = ["layer", "gate", "shut (< 0.1)", "open (> 0.9)", "saturated"]
KEPT = ("h", "c", "i", "f", "o", "r", "z")  # what the units section reads of a passage
T = TypeVar("T")
GAIN_COLUMNS = ["position", "text before [character]", "vanilla RNN (nats)", "LSTM (nats)", "LSTM's gain (nats)"]


def load_text_model(directory: Path) -> CharLM:
    """The text model in `directory` in float32 (as trained), on the device this process serves from."""
    return load_model(CharLM, directory, pick_device())


# The bundled text models, loaded once and shared, and the text models visitors load from the Hub for this tab (the
# text tab serves its own in int8; this one reads them as trained), shared by every visitor and bounded like the
# other tabs' loads: SHELF.for_cell(cell, loaded)
SHELF = ModelShelf("text", load_text_model, VISITOR_LIMITS)
VISITORS = SHELF.visitors
bundled_cells = SHELF.cells  # bundled_cells(): the cells with a text model


def unknown_note(text: str, model: CharLM) -> str:
    """A sentence naming the characters of `text` the model never saw in training (read as its unknown symbol),
    or "" if there are none."""
    known = set(model.config.vocab[1:])
    unknown = sorted({ch for ch in text if ch not in known})
    if not unknown:
        return ""
    listed = " ".join(shown(ch) for ch in unknown[:20]) + (" …" if len(unknown) > 20 else "")
    return f" Read as unknown (the model never saw them in training): {listed}."


def check_units(units: float | None) -> int:
    if units is None or units != units or not 1 <= units <= MAX_UNITS_SHOWN:
        raise ValueError(f"units shown must be between 1 and {MAX_UNITS_SHOWN}, not {number_text(units)}")
    return int(units)


def reads_valid_unicode(section: Callable[..., T], limit: int = MAX_PASSAGE,
                        check: Callable[[str], object] = check_passage) -> Callable[..., T]:
    """`section` reading its passage (the first argument) with each lone surrogate, which the API can carry but no
    page or JSON encoder can, as \ufffd: an unknown character to the models, as any other they never saw. A passage
    over `limit` characters is refused by `check` before it is copied."""
    @wraps(section)
    def read(text: str | None, *args, **kwargs) -> T:
        if len(text or "") > limit:
            check(text)
        return section(valid_unicode(text or "")[0], *args, **kwargs)
    return read


@partial(reads_valid_unicode, limit=MAX_UNROLLED, check=check_short_input)  # its own limit, not the passages'
def unrolled(text: str, cell: str, layer: float, units: float, loaded: tuple[str, str] | None = None
             ) -> tuple[go.Figure, list[list], str, str]:
    """Section 1: the heatmaps of every step, the next characters after each step (table rows), the equations, and
    notes: the state's heatmap in words, and characters the model does not know (if any)."""
    model = SHELF.for_cell(cell, loaded)
    view = unrolled_view(model, text, layer)
    figure = unrolled_figure(view, min(check_units(units), model.config.hidden_size))
    rows = [[t + 1, ch, ", ".join(f"{c} {p:.1%}" for c, p in view.next_chars[t])]
            for t, ch in enumerate(view.characters)]
    notes = (state_in_words(view), unknown_note(text, model).strip())
    return figure, rows, view.equations, "\n\n".join(note for note in notes if note)


@reads_valid_unicode
def compare(text: str, progress: Callable[[float, str], None] | None = None
            ) -> tuple[list[list], list[list[tuple[str, float | None]]], list[list], str]:
    """Section 4 on the bundled models: each one's mean surprisal beside its protocol metric, the passage coloured
    by each one's surprisal (in the order of `bundled_cells()`), where the LSTM beats the vanilla RNN most, and a
    note on characters the models do not know ("" if none; the bundled models share one vocabulary)."""
    cells = bundled_cells()
    results = compare_cells({cell: SHELF.bundled(cell) for cell in cells}, text, progress)
    table = []
    for cell, result in zip(cells, results):
        metric = card_metrics(SHELF.model_dir(cell)).get("nats_per_char")
        table.append([CELL_LABELS[cell], round(result.mean, 3), None if metric is None else round(metric, 3)])
    by_cell = dict(zip(cells, results))
    gains = biggest_gains(text, by_cell["lstm"], by_cell["rnn"]) if {"lstm", "rnn"} <= set(by_cell) else []
    return table, [coloured(text, result) for result in results], gains, unknown_note(text, SHELF.bundled(cells[0])).strip()


@reads_valid_unicode
def colour_by_unit(text: str, cell: str, layer: float, kind: str, unit: float,
                   loaded: tuple[str, str] | None = None,
                   progress: Callable[[float, str], None] = lambda share, what: None
                   ) -> tuple[list[tuple[str, float]], str]:
    """Section 2: the passage coloured by one unit (layer from 1; kind "h", or "c" for the LSTM; unit from 0)."""
    model = SHELF.for_cell(cell, loaded)
    index = check_layer(model, layer)
    if unit is None or unit != unit or int(unit) != unit:
        raise ValueError(f"the unit must be a whole number from 0 to {model.config.hidden_size - 1}, not "
                         f"{number_text(unit)}")
    config = model.config  # a unit or kind it does not have is said before the passage is read
    check_unit(config.cell, config.num_layers, config.hidden_size, index, kind, int(unit))
    progress(0.0, "reading the passage, every unit kept")
    reading = read_passage(model, text, keep=KEPT)
    progress(0.8, f"colouring by unit {int(unit)}")
    trace = unit_trace(reading, index, kind, int(unit))
    low, high = min(trace), max(trace)
    note = (f"Layer {index + 1}, {kind} unit {int(unit)}: from {low:.3f} to {high:.3f} over the passage; red positive, "
            f"blue negative.{unknown_note(text, model)}")
    return coloured_passage(reading, index, kind, int(unit)), note


@reads_valid_unicode
def find_units(text: str, cell: str, loaded: tuple[str, str] | None = None,
               progress: Callable[[float, str], None] = lambda share, what: None):
    """Section 2: per feature of the text, the units most correlated with it; the passage coloured by the most
    striking one (and its layer from 1, kind and unit, to put in the controls); the gates' saturation."""
    model = SHELF.for_cell(cell, loaded)
    progress(0.0, "reading the passage, every unit and gate kept")
    reading = read_passage(model, text, keep=KEPT)
    progress(0.5, "correlating each unit with each feature of the text")
    ranking = rank_units(reading)
    progress(0.9, "the gates' saturation")
    rows = [[FEATURES[name][0], score.layer + 1, score.kind, score.unit, round(score.correlation, 3),
             round(ranking.chance[name], 3)] for name, scores in ranking.best.items() for score in scores[:3]]
    rows += [[FEATURES[name][0], None, None, None, f"not measurable: {why}", None]
             for name, why in ranking.not_measurable.items()]
    gates = [[k + 1, gate, f"{value.low:.1%}", f"{value.high:.1%}", f"{value.both:.1%}"]
             for k, layer in enumerate(saturation(reading)) for gate, value in layer.items()]
    best = most_striking(ranking)
    if best is None:
        return rows, [], 1, "h", 0, gates, ("No feature can be measured over this passage: try a longer one (40 "
                                            "characters at least), with line breaks." + unknown_note(text, model))
    name, score = best
    note = (f"Opened on layer {score.layer + 1}, {score.kind} unit {score.unit}: correlation {score.correlation:+.2f} "
            f"with {FEATURES[name][0]}; chance alone reaches ±{ranking.chance[name]:.2f} (the best of "
            f"{ranking.units:,} units with the feature slid along the {ranking.characters:,} characters, where no "
            f"unit can track it){'' if ranking.beyond_chance(name) else ': no feature goes beyond chance here'}. "
            f"In the table, a correlation within its feature's \"chance ±\" may be chance alone."
            f"{unknown_note(text, model)}")
    return rows, coloured_passage(reading, score.layer, score.kind, score.unit), score.layer + 1, score.kind, score.unit, \
        gates, note


@reads_valid_unicode
def memory_at(text: str, position: float | None, progress: Callable[[float, str], None] | None = None
              ) -> tuple[go.Figure, str]:
    """Section 3: the bundled cells' influence by distance for predicting the character after `position` (0-based;
    blank: the last position that has a next character), looking back at most LOOK_BACK characters."""
    text = check_passage(text)
    last = len(text) - 2
    if position is None or position == "":
        position = last
    if position != position or int(position) != position:
        raise ValueError(f"the position must be a whole number from 0 to {last}, not {number_text(position)}")
    position = check_position(len(text), int(position))
    curves = influence_at({cell: SHELF.bundled(cell) for cell in bundled_cells()}, text, position, LOOK_BACK, progress)
    before = "".join(shown(ch) for ch in text[max(0, position - 20):position + 1])
    # plotly reads <b>, <br> and &entities; in a title: the passage's own are escaped, shown as typed
    title = f"Predicting {html.escape(shown(text[position + 1]))} after …{html.escape(before)}"
    window = text[max(0, position - LOOK_BACK):position + 2]
    read = min(position, LOOK_BACK) + 1
    note = (f"Position {position}: the models read the {read} character{'s' if read > 1 else ''} up to it and predict "
            f"the next one, {shown(text[position + 1])}.{unknown_note(window, SHELF.bundled(bundled_cells()[0]))}")
    return influence_figure(curves, title), note
