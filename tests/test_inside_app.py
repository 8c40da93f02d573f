"""The Inside the network tab through its API, as other programs use a Space: the launched app on the tiny models
and gradio_client. The bundled weights' figures are tested in test_inside_*.py; bad input is in bad_inputs.py."""
import json

import pytest

from rnn_demo.inside.unrolled import MAX_UNROLLED
from tests.conftest import TINY_TEXT

pytestmark = pytest.mark.slow
PASSAGE = TINY_TEXT * 3  # line breaks, speakers' names and speeches, in the tiny models' vocabulary


def test_unrolled_gives_a_step_per_character_and_the_equations_with_real_shapes(client):
    plot, table, equations = client.predict("ROMEO", "gru", 2, 16, api_name="/inside_unrolled")
    assert [row[:2] for row in table["data"]] == [[t + 1, ch] for t, ch in enumerate("ROMEO")]
    assert all(len(row[2].split(", ")) == 5 for row in table["data"])  # the five likeliest next characters
    assert "z = σ(W_iz x_t" in equations and "Layer 2: x_t (16,) is layer 1's output h_t" in equations
    assert "W_hh (48, 16)" in equations and "h_0 = 0." in equations and "unknown" not in equations
    assert plot["type"] == "plotly"


def test_unrolled_names_unknown_characters_and_refuses_a_long_input(client):
    _, table, equations = client.predict("RO☃", "lstm", 1, 8, api_name="/inside_unrolled")
    assert len(table["data"]) == 3 and "Read as unknown" in equations and "☃" in equations
    with pytest.raises(Exception, match=f"unrolling shows up to {MAX_UNROLLED}"):
        client.predict("x" * (MAX_UNROLLED + 1), "lstm", 1, 8, api_name="/inside_unrolled")


def test_find_units_opens_on_its_best_unit_and_colour_by_unit_shows_any(client):
    ranking, coloured, layer, kind, unit, gates, note = client.predict(PASSAGE, "lstm", api_name="/inside_find_units")
    assert f"Opened on layer {layer}, {kind} unit {unit}" in note
    # how far chance reaches over this passage among the tiny LSTM's 2 layers of 16 h and 16 c units, per feature
    assert "chance alone reaches ±" in note
    assert f"the best of 64 units with the feature slid along the {len(PASSAGE):,} characters" in note
    assert all(row[5] is None or 0 < row[5] <= 1 for row in ranking["data"])  # each feature's chance, in its rows
    assert "".join(piece["token"] for piece in coloured) == PASSAGE
    features = {row[0] for row in ranking["data"]}
    assert "position within the line" in features and len(ranking["data"]) >= 3
    assert {row[1] for row in gates["data"]} == {"i", "f", "o"}  # the sigmoid gates and {row[0] for row in gates["data"]} == {1, 2}
    coloured, note = client.predict(PASSAGE, "lstm", 2, "c", 15, api_name="/inside_colour_by_unit")
    assert note.startswith("Layer 2, c unit 15: from ") and len(coloured) == len(PASSAGE)
    with pytest.raises(Exception, match="units 0 to 15"):
        client.predict(PASSAGE, "lstm", 1, "h", 16, api_name="/inside_colour_by_unit")


def test_memory_plots_one_curve_per_bundled_cell(client):
    plot, note = client.predict(PASSAGE, 40, api_name="/inside_memory")
    assert note.startswith("Position 40: the models read the 41 characters up to it")
    assert plot["type"] == "plotly"
    assert {trace.get("name") for trace in json.loads(plot["plot"])["data"]} >= {"Vanilla RNN", "GRU", "LSTM"}
    _, note = client.predict(PASSAGE, None, api_name="/inside_memory")  # blank: the end
    assert note.startswith(f"Position {len(PASSAGE) - 2}:")


def test_compare_colours_the_passage_by_each_cells_surprisal(client):
    table, rnn, gru, lstm, gains, note = client.predict(PASSAGE, api_name="/inside_compare")
    assert [row[0] for row in table["data"]] == ["Vanilla RNN", "GRU", "LSTM"]  # the order of the cells' radio
    assert all(row[1] > 0 for row in table["data"])
    for coloured in (rnn, gru, lstm):
        assert "".join(piece["token"] for piece in coloured) == PASSAGE
        assert coloured[0]["class_or_confidence"] is None  # nothing predicts the first character
    assert len(gains["data"]) == 10 and note == ""
