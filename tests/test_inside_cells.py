"""The from-scratch cells (rnn_demo/inside/cells.py) compute exactly what PyTorch's nn.RNN, nn.GRU and nn.LSTM do,
for every cell, 1 to 3 layers, a batch of several sequences, random and bundled weights; the batched replay gives
what the step-by-step unroll records."""
import pytest
import torch
from torch import nn

from rnn_demo.hub import load_model
from rnn_demo.inside.cells import GATES, layer_outputs, replay, single_layers, unroll, weights_of
from rnn_demo.inside import probe
from rnn_demo.inside.probe import read_passage
from rnn_demo.text.model import CharLM
from tests.conftest import ROOT, TINY_TEXT, tiny_model

MODULES = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}
TOLERANCE = 1e-5  # float32, every layer's outputs and the final state


def _difference(ours, theirs) -> float:
    if isinstance(theirs, tuple):
        return max((a - b).abs().max().item() for a, b in zip(ours, theirs))
    return (ours - theirs).abs().max().item()


@pytest.mark.parametrize("layers", [1, 2, 3])
@pytest.mark.parametrize("cell", list(MODULES))
def test_the_cells_equal_pytorch_with_random_weights(cell, layers):
    torch.manual_seed(layers)
    module = MODULES[cell](6, 9, num_layers=layers, batch_first=True)
    x = torch.randn(4, 13, 6)  # (batch, time, inputs)
    state = torch.randn(layers, 4, 9)
    state = (state, torch.randn(layers, 4, 9)) if cell == "lstm" else state
    for start in (None, state):
        outputs, final = module(x, start)
        unrolled = unroll(cell, weights_of(module), x, start, record=True)
        assert _difference(unrolled.outputs, outputs) <= TOLERANCE
        assert _difference(unrolled.state, final) <= TOLERANCE
    # every layer's outputs: the single-layer modules, layer by layer
    for ours, theirs in zip(unrolled.layers, layer_outputs(single_layers(module), x)):
        assert ours["h"].shape == (4, 13, 9)
    assert set(unrolled.layers[0]) >= {"input_term", "recurrent_term", "h_prev", "h", *GATES[cell]}


@pytest.mark.parametrize("cell", list(MODULES))
def test_a_relu_rnn_and_gradients_through_the_cells_equal_pytorch(cell):
    torch.manual_seed(3)
    kwargs = {"nonlinearity": "relu"} if cell == "rnn" else {}
    module = MODULES[cell](3, 5, num_layers=2, batch_first=True, **kwargs)
    x = torch.randn(2, 7, 3, requires_grad=True)
    module(x)[0].sum().backward()
    expected = x.grad.clone()
    x.grad = None
    unroll(cell, weights_of(module), x, nonlinearity=kwargs.get("nonlinearity", "tanh")).outputs.sum().backward()
    assert (x.grad - expected).abs().max().item() <= TOLERANCE


@pytest.mark.parametrize("cell", list(MODULES))
def test_the_batched_replay_gives_what_the_unroll_records(cell):
    torch.manual_seed(5)
    module = MODULES[cell](4, 6, num_layers=2, batch_first=True).eval()
    x = torch.randn(3, 10, 4)
    with torch.no_grad():
        stepped = unroll(cell, weights_of(module), x, record=True)
        replayed = replay(cell, weights_of(module), x, layer_outputs(single_layers(module), x))
    for ours, theirs in zip(replayed.layers, stepped.layers):
        assert set(ours) == set(theirs)
        assert max((ours[name] - theirs[name]).abs().max().item() for name in ours) <= TOLERANCE
    assert _difference(replayed.state, stepped.state) <= TOLERANCE


@pytest.mark.filterwarnings("ignore:TF32 acceleration")  # torch's note when the oneDNN flags are set
@pytest.mark.parametrize("cell", list(MODULES))
def test_the_cells_reproduce_the_bundled_text_models(cell):
    """Against PyTorch's own (ATen) kernels the cells agree to the last bit; its oneDNN path on the CPU, the default,
    sums in another order: the outputs agree to 1e-5, the LSTM's cell state (up to about 50 here) to 1e-5 of its
    size, a few float32 roundings."""
    model = load_model(CharLM, ROOT / "models" / f"text-{cell}", "cpu")
    ids = torch.randint(1, model.config.vocab_size, (2, 300), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        x = model.embed(ids)
        unrolled = unroll(cell, weights_of(model.backbone.rnn), x, record=True)
        with torch.backends.mkldnn.flags(enabled=False):
            outputs, final = model.backbone.rnn(x)
            every_layer = layer_outputs(single_layers(model.backbone.rnn), x)
        fast_outputs, fast_final = model.backbone.rnn(x)
    assert _difference(unrolled.outputs, outputs) <= TOLERANCE and _difference(unrolled.state, final) <= TOLERANCE
    for ours, theirs in zip(unrolled.layers, every_layer):
        assert (ours["h"] - theirs).abs().max().item() <= TOLERANCE
    assert _difference(unrolled.outputs, fast_outputs) <= TOLERANCE
    finals = fast_final if cell == "lstm" else (fast_final,)
    for ours, theirs in zip(unrolled.state if cell == "lstm" else (unrolled.state,), finals):
        assert (ours - theirs).abs().max().item() <= TOLERANCE * max(1.0, theirs.abs().max().item())


def test_a_passage_read_fast_equals_the_step_by_step_reading():
    model = load_model(CharLM, ROOT / "models" / "text-lstm", "cpu")
    fast, slow = read_passage(model, "ROMEO:\nBut soft!"), read_passage(model, "ROMEO:\nBut soft!", step_by_step=True)
    assert fast.log_probs.shape == (len("ROMEO:\nBut soft!"), model.config.vocab_size)
    assert (fast.log_probs - slow.log_probs).abs().max().item() <= TOLERANCE
    for ours, theirs in zip(fast.layers, slow.layers):
        assert max((ours[name] - theirs[name]).abs().max().item() for name in ours) <= TOLERANCE


@pytest.mark.parametrize("layers", [1, 3])
@pytest.mark.parametrize("cell", list(MODULES))
def test_a_passage_read_in_pieces_equals_the_step_by_step_reading(monkeypatch, cell, layers):
    monkeypatch.setattr(probe, "PIECE", 4)  # 38 characters: ten pieces, the last one short
    model, text = tiny_model(cell, layers=layers, seed=3), TINY_TEXT[:38]
    fast, slow = read_passage(model, text), read_passage(model, text, step_by_step=True)
    assert (fast.log_probs - slow.log_probs).abs().max().item() <= TOLERANCE
    assert len(fast.layers) == layers
    for ours, theirs in zip(fast.layers, slow.layers):
        assert ours.keys() == theirs.keys()
        assert max((ours[name] - theirs[name]).abs().max().item() for name in ours) <= TOLERANCE


@pytest.mark.parametrize("text, message", [("", "the passage is empty"),
                                           ("x" * 3001, "the passage has 3,001 characters; the limit here is 3,000")])
def test_a_passage_is_checked_before_it_is_read(text, message):
    model = load_model(CharLM, ROOT / "models" / "text-rnn", "cpu")
    with pytest.raises(ValueError, match=message):
        read_passage(model, text)


def test_spaces_and_line_breaks_alone_are_a_passage_the_model_reads():
    """They are characters of its vocabulary like any other: three spaces are unrolled, not called empty."""
    model = load_model(CharLM, ROOT / "models" / "text-rnn", "cpu")
    reading = read_passage(model, " \n ")
    assert reading.log_probs.shape[0] == 3 and torch.isfinite(reading.log_probs).all()


def test_the_unrolled_figure_shows_the_state_through_time_and_one_step_at_a_time():
    """A panel per step down the page made a 12-character input's figure thousands of pixels tall: the state h_t
    after each step on top, one step's computation below, picked with a slider, every step's panel in the figure
    (for API clients); the values' colour bar, 200 px, at the top. The gates on a scale of their own, 0 to 1: on
    the values' -3 to 3 a wide-open gate showed a third of the way to red (a red team's)."""
    from rnn_demo.inside.plots import unrolled_figure
    from rnn_demo.inside.unrolled import unrolled_view

    view = unrolled_view(tiny_model("lstm"), "ROMEO: hello", layer=1)
    figure = unrolled_figure(view)
    values, gates = figure.layout.coloraxis, figure.layout.coloraxis2
    assert (values.colorbar.len, values.colorbar.lenmode, values.colorbar.yanchor) == (200, "pixels", "top")
    assert (values.cmin, values.cmax, gates.cmin, gates.cmax, gates.showscale) == (-3, 3, 0, 1, True)
    state, *steps = figure.data
    assert [list(row) for row in state.z] == view.values[:, -1, :64].tolist() and len(steps) == 24  # h_t's row
    assert list(steps[0].y) == list(steps[1].y) == view.rows  # every row in each, blank where it is the other's
    assert steps[1].coloraxis == "coloraxis2" and steps[0].coloraxis == "coloraxis"
    gates = [k for k, row in enumerate(view.rows) if row.endswith(" gate")]
    assert [view.rows[k] for k in gates] == ["i: input gate", "f: forget gate", "o: output gate"]
    for k, (value_row, gate_row) in enumerate(zip(steps[0].z, steps[1].z)):
        shown, blank = (gate_row, value_row) if k in gates else (value_row, gate_row)
        assert list(shown) == view.values[0, k, :64].tolist() and set(blank) == {None}
    assert [trace.visible for trace in steps] == [True, True] + [False] * 22 and figure.layout.height < 1000
    slider = figure.layout.sliders[0]
    assert [step.label for step in slider.steps] == [f"{t + 1} {ch}" for t, ch in enumerate(view.characters)]
    assert slider.steps[4].args[0]["visible"] == [True] + [k // 2 == 4 for k in range(24)]
    assert slider.steps[4].args[1]["annotations[1].text"].startswith("step 5: read O → next: ")
    plain = unrolled_figure(unrolled_view(tiny_model("rnn"), "ROMEO", layer=1))  # no gates: one trace a step
    assert len(plain.data) == 1 + 5 and plain.layout.coloraxis2.showscale is False


def test_the_state_heatmap_is_said_in_words():
    """A text alternative of the state's heatmap (a UX review: no plot had one): the step that moved h most by
    ||h_t - h_{t-1}|| from h_0 = 0, the others' range, and the share of units near ±1 after the last step."""
    from rnn_demo.inside.unrolled import state_in_words, unrolled_view

    view = unrolled_view(tiny_model("gru"), "ROMEO", layer=1)
    h = view.values[:, view.rows.index("h_t")]  # (time, hidden)
    moves = [h[0].norm().item()] + [(h[t] - h[t - 1]).norm().item() for t in range(1, 5)]
    most = max(range(5), key=moves.__getitem__)
    others = [m for t, m in enumerate(moves) if t != most]
    near = (h[-1].abs() > 0.9).float().mean().item()
    assert state_in_words(view) == (
        f"In words: the state h moved most at step {most + 1}, reading “{view.characters[most]}” (by "
        f"{moves[most]:.2f}; the other steps by {min(others):.2f} to {max(others):.2f}); after the last step "
        f"{near:.0%} of its 16 units are near ±1 (|h| > 0.9).")
    assert "(by " in state_in_words(unrolled_view(tiny_model("lstm"), "R", layer=2)) and "the other" not in \
        state_in_words(unrolled_view(tiny_model("lstm"), "R", layer=2))
