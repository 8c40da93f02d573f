"""What the hidden units track (rnn_demo/inside/units.py): the text features on literal inputs, the unit finder
on units planted by hand (an LSTM cell-state counter, a GRU hidden-state counter), traces, colouring and gate
saturation with known answers, and the bundled LSTM's line-position unit (slow)."""
import math
import time

import pytest
import torch

from rnn_demo.hub import load_model
from rnn_demo.inside.probe import Reading, read_passage
from rnn_demo.inside.units import (FEATURES, GateSaturation, after_sentence, coloured_passage, correlations,
                                   describe, inside_brackets, line_position, most_striking, rank_units, saturation,
                                   speaker_line, unit_trace, word_start)
from rnn_demo.text.data import build_vocab
from rnn_demo.text.model import CharLM, CharLMConfig
from tests.conftest import ROOT, TINY_TEXT

PASSAGE = TINY_TEXT + """
ROMEO:
I take thee at thy word: call me but love, and I'll be new baptized.
[Aside] Henceforth I never will be Romeo.

First Citizen:
Speak, speak. Peace!
"""
NEWLINE_DIM = 0  # the embedding dimension that is 1 for the newline and 0 for every other character


def _ones(text: str, feature) -> str:
    return "".join(str(int(v)) for v in feature(text))


def test_position_within_the_line_counts_from_each_newline():
    assert line_position("ab\ncd\n\ne") == [1, 2, 0, 1, 2, 0, 0, 1]
    assert line_position("") == []


def test_speaker_lines_are_capitalised_name_lines_after_a_blank():
    text = "ROMEO:\nSoft!\n\nFirst Citizen:\nGo:\nHere stand I:\n\nDUKE OF VENICE & Senator:\nAy."
    values = _ones(text, speaker_line)
    assert len(values) == len(text)
    lines, start = {}, 0
    for line in text.split("\n"):
        lines[line] = values[start:start + len(line)]
        assert start + len(line) == len(text) or values[start + len(line)] == "0"  # the newline ending it
        start += len(line) + 1
    assert lines["ROMEO:"] == "111111" and lines["First Citizen:"] == "1" * 14
    assert lines["DUKE OF VENICE & Senator:"] == "1" * 25
    assert set(lines["Go:"] + lines["Here stand I:"] + lines["Soft!"] + lines["Ay."]) == {"0"}  # speech
    assert _ones("\nSpeak, friend:\nHe goes.", speaker_line) == "0" * 24  # punctuated: a speech line


def test_brackets_include_the_opening_one_not_the_closing_one():
    assert _ones("a [Exit] b", inside_brackets) == "0011111000"
    assert _ones("[a [b] c] d", inside_brackets) == "11111111000"  # nested: counted once
    assert _ones("x [open", inside_brackets) == "0011111"  # unclosed: to the end
    assert _ones("a] b", inside_brackets) == "0000"  # a stray closing bracket changes nothing


def test_word_starts_are_first_letters_of_letter_apostrophe_hyphen_runs():
    assert _ones("'tis ill-sheathed, children's", word_start) == "01000100000000000001000000000"
    assert _ones("A b\nc3d", word_start) == "1010101"


def test_after_sentence_runs_from_the_mark_to_the_next_letter():
    assert _ones("Go. Now! ok? \n\nYes", after_sentence) == "001100011001111000"
    assert _ones("a, b; c: d", after_sentence) == "0" * 10


def test_every_feature_gives_one_value_per_character():
    for label, feature in FEATURES.values():
        values = feature(PASSAGE)
        assert len(values) == len(PASSAGE) and all(isinstance(v, float) for v in values), label


def _model(cell: str, seed: int = 0, hidden: int = 8) -> CharLM:
    """A 2-layer CharLM on the passage's characters, every weight drawn afresh (std 0.5), the embedding's
    NEWLINE_DIM set to 1 for the newline only."""
    torch.manual_seed(seed)
    config = CharLMConfig(vocab=build_vocab(PASSAGE), cell=cell, embedding_dim=6, hidden_size=hidden,
                          num_layers=2, dropout=0.0)
    model = CharLM(config).eval()
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.normal_(0, 0.5)
        model.embed.weight[:, NEWLINE_DIM] = 0.0
        model.embed.weight[config.vocab.index("\n"), NEWLINE_DIM] = 1.0
    return model


def _plant(model: CharLM, unit: int, gate_biases: dict[int, float], newline_weights: dict[int, float]) -> None:
    """Cut layer 0's `unit` off from the state and from the input but the newline: each gate g (its index in the
    gate order) gets pre-activation gate_biases[g] + newline_weights.get(g, 0) * [the character is a newline]."""
    rnn, hidden = model.backbone.rnn, model.config.hidden_size
    with torch.no_grad():
        for gate, bias in gate_biases.items():
            row = gate * hidden + unit
            for name in ("weight_ih_l0", "weight_hh_l0", "bias_hh_l0"):
                getattr(rnn, name)[row] = 0.0
            rnn.bias_ih_l0[row] = bias
            rnn.weight_ih_l0[row, NEWLINE_DIM] = newline_weights.get(gate, 0.0)


def test_the_finder_finds_a_planted_lstm_cell_state_counter():
    # LSTM gates i, f, g, o = 0, 1, 2, 3. i ≈ 1, o ≈ 1, g = tanh(0.05) ≈ 0.05; f ≈ σ(10) ≈ 1 but σ(-10) ≈ 0 at a
    # newline. So c_t = f c_{t-1} + i g: reset to 0.05 by each newline, 0.05 more per character after it, that is
    # c = 0.05 (position + 1), linear in the position within the line (h = tanh(c) bends it); on the passage's
    # first line, from the zero state, 0.05 position.
    model = _model("lstm")
    _plant(model, 5, {0: 10.0, 1: 10.0, 2: math.atanh(0.05), 3: 10.0}, {1: -20.0})
    ranking = rank_units(read_passage(model, PASSAGE))
    best = ranking.best["line_position"][0]
    assert (best.layer, best.kind, best.unit) == (0, "c", 5) and best.correlation > 0.99
    assert most_striking(ranking) == ("line_position", best)
    trace = unit_trace(read_passage(model, "ab\ncd"), 0, "c", 5)
    assert trace == pytest.approx([0.05, 0.1, 0.05, 0.1, 0.15], abs=1e-3)


def test_the_finder_finds_a_planted_gru_hidden_counter():
    # GRU gates r, z, n = 0, 1, 2. With the unit's recurrent rows at 0, r does not matter and n = tanh(10) ≈ 1
    # but tanh(-10) ≈ -1 at a newline, z = 0.98 but σ(-16) ≈ 0 at a newline. h_t = (1 - z) n + z h_{t-1}: -1 at a
    # newline, then 1 - 2 * 0.98^position, rising with the position within the line (a little bent).
    model = _model("gru", seed=1)
    _plant(model, 2, {0: 0.0, 1: math.log(0.98 / 0.02), 2: 10.0}, {1: -20.0, 2: -20.0})
    ranking = rank_units(read_passage(model, PASSAGE))
    best = ranking.best["line_position"][0]
    assert (best.layer, best.kind, best.unit) == (0, "h", 2) and best.correlation > 0.9
    assert unit_trace(read_passage(model, "\nab"), 0, "h", 2) == pytest.approx([-1, -0.96, -0.9208], abs=1e-3)


def test_the_ranking_lists_pearson_correlations_and_reports_constant_features():
    model = _model("lstm", seed=2)
    text = PASSAGE.replace("[Aside] ", "")
    reading = read_passage(model, text)
    ranking = rank_units(reading, top=3)
    assert ranking.not_measurable == {"brackets": "0 at every character of this passage"}
    assert set(ranking.best) == set(FEATURES) - {"brackets"} and ranking.characters == len(text)
    assert "not measurable" in describe(ranking)[2]
    for name, scores in ranking.best.items():
        assert len(scores) == 3 and all(-1 <= s.correlation <= 1 for s in scores)
        assert [abs(s.correlation) for s in scores] == sorted((abs(s.correlation) for s in scores), reverse=True)
        for score in scores:  # each one what torch.corrcoef says
            pair = torch.stack([reading.layers[score.layer][score.kind][:, score.unit],
                                torch.tensor(FEATURES[name][1](text))])
            assert score.correlation == pytest.approx(torch.corrcoef(pair)[0, 1].item(), abs=1e-4)
    assert "brackets" in rank_units(read_passage(model, PASSAGE)).best  # a passage with a stage direction


def test_a_passage_too_short_to_correlate_over_is_not_measured_and_chance_is_told():
    """Over "ab" a unit of the bundled GRU correlated -1.00 with the position within the line and the page opened on
    it as the most striking: with a few characters some unit of hundreds matches anything."""
    from rnn_demo.inside.units import MIN_CHARACTERS

    model = _model("gru")
    short = rank_units(read_passage(model, "ab\ncd efg"))
    assert short.best == {} and most_striking(short) is None and short.units == 16
    assert all(f"over fewer than {MIN_CHARACTERS} some unit correlates" in why or "at every character" in why
               for why in short.not_measurable.values())
    assert rank_units(read_passage(model, PASSAGE)).best  # a passage as long as the page's example is measured


def test_chance_is_how_far_units_reach_with_the_feature_slid_along_the_passage():
    """Text features and units change slowly along a text: the formula for independent noise, sqrt(2 ln(2 units) /
    characters), said ±0.24 over the tab's 285-character passage, where units reading other passages reached 0.57
    with the speaker-line feature (a red team's). Chance is now measured per feature, with the feature slid along the
    passage (`SHIFTS` offsets, none 0)."""
    from rnn_demo.inside.units import SHIFTS, _offsets

    reading = read_passage(_model("lstm"), PASSAGE)
    ranking = rank_units(reading)
    assert len(_offsets(len(PASSAGE))) == SHIFTS and 0 not in _offsets(len(PASSAGE))
    values = torch.tensor(FEATURES["speaker_line"][1](PASSAGE))
    units = torch.cat([reading.layers[k][kind] for k in range(len(reading.layers)) for kind in ("h", "c")], 1)
    by_hand = max(correlations(units, values.roll(offset)[:, None]).abs().max().item()
                  for offset in _offsets(len(PASSAGE)))
    assert ranking.chance["speaker_line"] == pytest.approx(by_hand, abs=1e-5)
    independent = math.sqrt(2 * math.log(2 * ranking.units) / len(PASSAGE))
    assert all(ranking.chance[name] > independent for name in ("line_position", "speaker_line"))
    assert set(ranking.chance) == set(ranking.best)


def test_a_constant_unit_correlates_zero_not_nan():
    table = correlations(torch.tensor([[1.0, 0.0], [1.0, 1.0], [1.0, 3.0]]), torch.tensor([[0.0], [1.0], [2.0]]))
    assert table[0, 0] == 0 and table[1, 0] == pytest.approx(0.9820, abs=1e-4)
    with pytest.raises(ValueError, match="at least 1"):
        rank_units(read_passage(_model("rnn"), "ab\nc"), top=0)


def test_unit_trace_names_the_valid_ranges():
    gru = read_passage(_model("gru"), "To be.\n")
    assert unit_trace(gru, 1, "h", 7) == gru.layers[1]["h"][:, 7].tolist() and len(unit_trace(gru, 0, "h", 0)) == 7
    for layer, unit, message in ((2, 0, "layers 0 to 1"), (-1, 0, "layers 0 to 1"), (0, 8, "units 0 to 7"),
                                 (1, -1, "units 0 to 7")):
        with pytest.raises(ValueError, match=message):
            unit_trace(gru, layer, "h", unit)
    with pytest.raises(ValueError, match="only for the LSTM"):
        unit_trace(gru, 0, "c", 0)
    with pytest.raises(ValueError, match=r"^unit 1e\+300 is out of range"):  # what the number box gives for 1e300
        unit_trace(gru, 0, "h", int(1e300))
    with pytest.raises(ValueError, match=r"^layer 1e\+300 is out of range"):
        unit_trace(gru, int(1e300), "h", 0)
    with pytest.raises(ValueError, match='"h"'):
        unit_trace(gru, 0, "x", 0)


def test_the_coloured_passage_is_scaled_by_the_largest_activation():
    text = "ab\ncd\n"
    reading = read_passage(_model("lstm"), text)
    pieces = coloured_passage(reading, 1, "c", 3)
    assert [ch for ch, _ in pieces] == list(text) and pieces[2][0] == "\n"
    values = [v for _, v in pieces]
    assert max(abs(v) for v in values) == pytest.approx(1.0) and all(-1 <= v <= 1 for v in values)
    peak = max(abs(v) for v in unit_trace(reading, 1, "c", 3))
    assert values == pytest.approx([v / peak for v in unit_trace(reading, 1, "c", 3)])


def _biased(cell: str, biases: dict[int, float]) -> CharLM:
    """Every weight 0; each layer's gate (by its index in the gate order) given a bias, the rest 0."""
    model = _model(cell)
    hidden = model.config.hidden_size
    with torch.no_grad():
        for name, parameter in model.backbone.rnn.named_parameters():
            parameter.zero_()
            if name.startswith("bias_ih"):
                for gate, bias in biases.items():
                    parameter[gate * hidden:(gate + 1) * hidden] = bias
    return model


def test_saturation_on_gates_set_by_hand():
    lstm = saturation(read_passage(_biased("lstm", {0: 20.0, 1: -20.0, 3: 0.0}), PASSAGE))
    assert len(lstm) == 2 and set(lstm[1]) == {"i", "f", "o"}  # g is a tanh, not a gate
    assert lstm[1]["i"] == GateSaturation(0.0, 1.0) and lstm[1]["f"] == GateSaturation(1.0, 0.0)
    assert lstm[0]["o"] == GateSaturation(0.0, 0.0) and lstm[0]["f"].both == 1.0
    gru = saturation(read_passage(_biased("gru", {0: 20.0, 1: 0.0}), PASSAGE))
    assert gru[0] == {"r": GateSaturation(0.0, 1.0), "z": GateSaturation(0.0, 0.0)}
    assert saturation(read_passage(_biased("rnn", {}), PASSAGE)) == [{}, {}]
    values = torch.tensor([[0.05, 0.5], [0.95, 0.99]])  # (time, hidden): one shut, two open
    reading = Reading("ab", "lstm", torch.zeros(2), [], [{"i": values, "f": values, "o": 1 - values}],
                      torch.zeros(2, 1), ["<unk>"])
    assert saturation(reading)[0]["i"] == GateSaturation(0.25, 0.5)
    assert saturation(reading)[0]["o"].low == 0.5 and saturation(reading)[0]["o"].both == 0.75


def test_a_silent_unit_colours_nothing():
    pieces = coloured_passage(read_passage(_biased("rnn", {}), "ab\n"), 0, "h", 0)
    assert pieces == [("a", 0.0), ("b", 0.0), ("\n", 0.0)]


def test_the_coloured_passages_show_controls_and_direction_overrides_as_symbols():
    """A right-to-left override echoed as it is would show the rest of the passage reversed."""
    from rnn_demo.inside.compare import coloured, surprisal

    text = "a\u202eb\x00\n"
    pieces = coloured_passage(read_passage(_biased("rnn", {}), text), 0, "h", 0)
    assert [ch for ch, _ in pieces] == ["a", "\ufffd", "b", "\u2400", "\n"]
    assert [ch for ch, _ in coloured(text, surprisal(_model("gru"), text))] == ["a", "\ufffd", "b", "\u2400", "\n"]


@pytest.mark.slow
def test_the_bundled_lstm_has_a_line_position_unit():
    from rnn_demo.text.data import protocol_dataset, split_text

    torch.set_num_threads(1)
    passage = split_text(protocol_dataset(), "validation")[:2000]
    reading = read_passage(load_model(CharLM, ROOT / "models" / "text-lstm", "cpu"), passage)
    start = time.perf_counter()
    ranking = rank_units(reading)
    seconds = time.perf_counter() - start
    print(f"\nrank_units on {len(passage)} characters: {seconds * 1000:.0f} ms", *describe(ranking), sep="\n")
    print("saturation:", saturation(reading))
    # measured: layer 0 c 250 at +0.93 (0.79 to 0.93 on four 2,000-character stretches); speaker lines -0.68
    assert abs(ranking.best["line_position"][0].correlation) > 0.8
    assert abs(ranking.best["speaker_line"][0].correlation) > 0.5
    assert "brackets" in ranking.not_measurable  # the protocol drops stage directions
    assert all(ranking.beyond_chance(name) for name in ranking.best)
    from tests.test_readme import README  # the chance levels the README gives for this passage

    said = " ".join(README.split())
    for name, words in (("line_position", "the position within the line"), ("speaker_line", "inside a speaker's name "
                        "line"), ("word_start", "at the start of a word"), ("after_sentence", "after . ! ?")):
        assert f"±{ranking.chance[name]:.2f} {'for ' if name == 'line_position' else ''}{words}" in said, name


@pytest.mark.slow  # the bundled GRU, through the tab's functions
def test_a_unit_or_a_passage_out_of_bounds_is_refused_before_the_passage_is_read(monkeypatch):
    """A refused request cost what a valid one does (0.6 s of the one Inside lane): the unit, the state kind and
    the passage's length are checked first."""
    from rnn_demo.inside import serve

    monkeypatch.setattr(serve, "read_passage", lambda *args, **kwargs: pytest.fail("the passage was read"))
    monkeypatch.setattr(serve, "valid_unicode", lambda text: pytest.fail("the passage was copied"))
    for unit, kind, message in ((10 ** 300, "h", r"unit 1e\+300 is out of range: each layer of this model has units"),
                                (999, "h", "unit 999 is out of range"), (0, "c", '"c" exists only for the LSTM')):
        with pytest.raises(ValueError, match=message):
            serve.colour_by_unit.__wrapped__("ROMEO:\nBut soft", "gru", 1, kind, unit)
    with pytest.raises(ValueError, match="the limit here is 3,000"):
        serve.find_units("x" * 20_000_000, "gru")
