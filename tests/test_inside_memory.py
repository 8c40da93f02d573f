"""How far back each cell remembers (rnn_demo/inside/memory.py): gradient norms by distance match a closed form on a
hand-built network and a brute-force backward through the from-scratch cells, one position at a time; NaN where a
window does not reach; the errors for bad positions; reach on literal curves; the picture."""
import math

import pytest
import torch
from PIL import Image
from torch import nn

from rnn_demo.hub import load_model
from rnn_demo.inside.cells import unroll, weights_of
from rnn_demo.inside.memory import (by_distance, check_position, differentiable_outputs, draw, gradient_norms,
                                    influence, influence_at, main, measure, normalised_mean, normalised_median, reach,
                                    sample_positions, table)
from rnn_demo.text.data import encode
from rnn_demo.text.model import CharLM
from tests.conftest import ROOT, TINY_TEXT, tiny_model

CELLS = ("rnn", "gru", "lstm")


def _halving_relu_rnn(size: int) -> nn.RNN:
    """h_t = relu(x_t + 0.5 h_{t-1}): W_ih = I, W_hh = 0.5 I, no bias."""
    rnn = nn.RNN(size, size, nonlinearity="relu", batch_first=True).double()
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(torch.eye(size))
        rnn.weight_hh_l0.copy_(0.5 * torch.eye(size))
        rnn.bias_ih_l0.zero_()
        rnn.bias_hh_l0.zero_()
    return rnn


def test_the_norms_match_the_closed_form_of_a_halving_relu_rnn():
    # With positive inputs the ReLU is the identity, so h_T = sum_t 0.5^(T-t) x_t and the output sum(h_T) has
    # gradient 0.5^d * (1, ..., 1) with respect to the input d steps back: norm 0.5^d * sqrt(E).
    torch.manual_seed(0)
    size, time = 5, 12
    rnn = _halving_relu_rnn(size)
    x = torch.rand(3, time, size, dtype=torch.float64) + 0.1  # (batch, time, E), positive
    norms = gradient_norms(lambda x: rnn(x)[0][:, -1].sum(-1), x)  # (batch, time)
    expected = 0.5 ** torch.arange(time, dtype=torch.float64) * math.sqrt(size)
    torch.testing.assert_close(norms, expected.expand(3, time), rtol=1e-12, atol=0)


def test_right_padded_rows_are_read_at_their_own_last_step_and_nan_beyond():
    torch.manual_seed(1)
    size, time = 4, 9
    rnn = _halving_relu_rnn(size)
    lengths = torch.tensor([9, 4, 1])
    x = torch.rand(3, time, size, dtype=torch.float64) + 0.1
    rows = torch.arange(3)
    norms = gradient_norms(lambda x: rnn(x)[0][rows, lengths - 1].sum(-1), x, lengths)
    for row, length in enumerate(lengths.tolist()):
        expected = 0.5 ** torch.arange(length, dtype=torch.float64) * math.sqrt(size)
        torch.testing.assert_close(norms[row, :length], expected, rtol=1e-12, atol=0)
        assert norms[row, length:].isnan().all()


@pytest.mark.parametrize("make", [lambda: nn.LSTM(3, 4, 2, batch_first=True, dropout=0.5),
                                  lambda: nn.GRU(3, 4, 2, batch_first=True, dropout=0.5),
                                  lambda: nn.RNN(3, 4, batch_first=True), lambda: nn.RNN(3, 4, nonlinearity="relu",
                                                                                         batch_first=True),
                                  lambda: nn.GRU(3, 4, batch_first=True, bidirectional=True)])
def test_the_differentiable_pass_is_the_modules_own_without_its_dropout(make):
    """The memory section's pass (cuDNN refuses a backward through an eval-mode RNN on a GPU): the module's outputs
    and gradients, its dropout off, the module left in eval mode."""
    torch.manual_seed(0)
    rnn = make().eval()
    x = torch.randn(2, 7, 3, requires_grad=True)
    ours = differentiable_outputs(rnn, x)
    torch.testing.assert_close(ours, rnn(x)[0], rtol=0, atol=1e-6)
    (ours_grad,) = torch.autograd.grad(ours[:, -1].sum(), x)
    (theirs_grad,) = torch.autograd.grad(rnn(x)[0][:, -1].sum(), x)
    torch.testing.assert_close(ours_grad, theirs_grad, rtol=0, atol=1e-6)
    assert not rnn.training


def test_by_distance_reorders_each_row_from_its_last_step():
    norms = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 0.0]])  # (batch, time), row 1 padded after 2 steps
    assert by_distance(norms).tolist() == [[3.0, 2.0, 1.0], [0.0, 5.0, 4.0]]
    got = by_distance(norms, torch.tensor([3, 2]))
    assert got[0].tolist() == [3.0, 2.0, 1.0] and got[1, :2].tolist() == [5.0, 4.0] and got[1, 2].isnan()


def _brute_force(model: CharLM, text: str, position: int, look_back: int) -> torch.Tensor:
    """One position, one backward, through the step-by-step from-scratch cells: (look_back + 1,)."""
    ids = torch.tensor(encode(text, model.config.vocab))
    window = ids[max(0, position - look_back): position + 1]
    x = model.embed(window[None]).detach().requires_grad_(True)  # (1, time, embedding)
    last = unroll(model.config.cell, weights_of(model.backbone.rnn), x).outputs[0, -1]  # (hidden,)
    torch.log_softmax(model.head(last), -1)[ids[position + 1]].backward()
    norms = x.grad[0].norm(dim=-1).flip(0)  # (time,) by distance
    return torch.cat([norms, torch.full((look_back + 1 - len(norms),), math.nan, dtype=norms.dtype)])


@pytest.mark.parametrize("cell", CELLS)
def test_the_batched_influence_equals_a_brute_force_backward_per_position(cell):
    model = tiny_model(cell, layers=2, seed=3).double()
    look_back, positions = 10, [0, 4, 10, 11, 37, 80, len(TINY_TEXT) - 2]
    got = influence(model, TINY_TEXT, positions, look_back, batch_size=3)
    assert got.shape == (len(positions), look_back + 1) and got.dtype == torch.float64
    expected = torch.stack([_brute_force(model, TINY_TEXT, p, look_back) for p in positions])
    torch.testing.assert_close(got, expected, rtol=1e-9, atol=1e-15, equal_nan=True)


def test_ids_and_text_and_inference_mode_give_the_same_influence():
    model = tiny_model("gru", seed=4)
    ids = torch.tensor(encode(TINY_TEXT, model.config.vocab))
    from_text = influence(model, TINY_TEXT, [20, 60], 16)
    with torch.inference_mode():
        from_ids = influence(model, ids, [20, 60], 16)
    torch.testing.assert_close(from_ids, from_text)


def test_windows_at_the_start_of_a_text_are_nan_beyond_its_first_character():
    model = tiny_model("lstm", seed=5)
    look_back = 8
    got = influence(model, TINY_TEXT, [0, 3, 8, 13], look_back)
    for row, position in enumerate([0, 3, 8, 13]):
        reached = min(position, look_back) + 1
        assert (got[row, :reached] > 0).all()
        assert got[row, reached:].isnan().all()


def test_bad_positions_and_texts_are_refused_with_the_valid_range():
    models = {cell: tiny_model(cell, seed=6) for cell in CELLS}
    text = "To be, or not"  # 13 characters: positions 0 to 11 have a next character
    with pytest.raises(ValueError, match="before the first character: choose 0 to 11"):
        influence_at(models, text, -1)
    with pytest.raises(ValueError, match="past the end: choose 0 to 11"):
        influence_at(models, text, 12)
    with pytest.raises(ValueError, match="empty"):
        influence_at(models, "", 0)
    with pytest.raises(ValueError, match="at least 2"):
        influence_at(models, "T", 0)
    with pytest.raises(ValueError, match="past the end: choose 0 to 11"):
        influence(models["rnn"], text, [3, 40])
    assert check_position(13, 11) == 11
    with pytest.raises(ValueError, match="eval mode"):
        influence(tiny_model("rnn").train(), text, [3])


def test_influence_at_gives_each_cell_the_distances_its_window_reaches():
    models = {cell: tiny_model(cell, seed=7) for cell in CELLS}
    for position, look_back in [(5, 8), (30, 8), (0, 8)]:
        got = influence_at(models, TINY_TEXT, position, look_back)
        assert list(got) == list(CELLS)
        for cell, norms in got.items():
            assert len(norms) == min(position, look_back) + 1
            assert norms == influence(models[cell], TINY_TEXT, [position], look_back)[0, : len(norms)].tolist()


def test_reach_on_literal_curves():
    assert reach(torch.tensor([1.0, 0.5, 0.2, 0.05, 0.005, 0.001])) == 4
    assert reach(torch.tensor([1.0, 0.5, 0.2, 0.05, 0.005, 0.001]), 0.1) == 3
    assert reach(torch.tensor([1.0, 0.005, 0.02, 0.001])) == 3  # the bump at 2 counts: it stays below after 3
    assert reach(torch.tensor([0.5, 1.0, 0.002])) == 2  # the fraction is of the peak, wherever it lies
    assert reach(torch.tensor([1.0, 0.5, 0.2])) is None  # still above 1% at the last distance measured
    assert reach(torch.tensor([1.0, 0.001, math.nan])) == 1  # distances not measured are ignored
    assert reach(torch.tensor([2.0, 0.01999])) == 1 and reach(torch.tensor([2.0, 0.02])) is None  # 1% of 2


def test_the_curve_weighs_each_position_equally():
    norms = torch.tensor([[2.0, 1.0, math.nan], [10.0, 1.0, 0.5]])  # (positions, distance)
    torch.testing.assert_close(normalised_mean(norms), torch.tensor([1.0, 0.3, 0.05]))
    few = torch.tensor([[1.0, 0.5], [1.0, 0.001], [1.0, 0.002]])  # one position carries the mean far back
    torch.testing.assert_close(normalised_median(few), torch.tensor([1.0, 0.002]))
    assert normalised_mean(few)[1] > 80 * normalised_median(few)[1]
    peak_later = torch.tensor([[1.0, 4.0]])
    torch.testing.assert_close(normalised_mean(peak_later), torch.tensor([0.25, 1.0]))


def test_positions_are_seeded_distinct_and_have_full_windows():
    positions = sample_positions(1000, 50, 256, seed=3)
    assert positions == sample_positions(1000, 50, 256, seed=3) != sample_positions(1000, 50, 256, seed=4)
    assert len(set(positions)) == 50 and min(positions) >= 256 and max(positions) <= 998
    assert sample_positions(10, 2, 7, 0) == [7, 8]
    with pytest.raises(ValueError, match="holds 2 positions"):
        sample_positions(10, 3, 7, 0)


def test_the_figures_and_the_picture(tmp_path):
    models = {cell: tiny_model(cell, seed=8) for cell in CELLS}
    results = measure(models, TINY_TEXT * 3, sample_positions(len(TINY_TEXT) * 3, 12, 40, 0), 40)
    for cell, (values, figures) in results.items():
        assert values.shape == (41,) and values.max() <= 1.0 + 1e-6
        assert set(figures) == {"reach_1pct", "reach_10pct", "at", "median_at", "seconds"}
        assert list(figures["at"]) == list(figures["median_at"]) == ["1", "2", "5", "10", "20"]
    path = draw({cell: values for cell, (values, _) in results.items()}, tmp_path / "memory.png", "tiny")
    with Image.open(path) as image:
        assert image.format == "PNG" and image.size == (960, 560)


@pytest.mark.slow
def test_the_bundled_models_answer_one_position():
    models = {cell: load_model(CharLM, ROOT / "models" / f"text-{cell}", "cpu") for cell in CELLS}
    text = "ROMEO.\nBut soft, what light through yonder window breaks?\n" * 8
    got = influence_at(models, text, len(text) - 2)
    for norms in got.values():
        assert len(norms) == 257 and all(math.isfinite(v) and v >= 0 for v in norms) and norms[0] > 0


@pytest.mark.slow
def test_the_plot_title_quotes_the_passage_as_typed_never_as_markup():
    """plotly reads <b>, <br> and &entities; in a title: the quoted end of the passage is escaped."""
    from rnn_demo.inside.serve import memory_at

    figure, _ = memory_at("ROMEO:\nx<b>soft</b>ly<br>n &amp; ow", None)
    title = figure.layout.title.text
    assert title.endswith("…ft&lt;/b&gt;ly&lt;br&gt;n␣&amp;amp;␣o") and "<" not in title, title


@pytest.mark.slow
def test_the_readme_gives_the_memory_commands_figures(tmp_path, capsys):
    # the README's command (made with torch's default threads), on the worker's one thread: the figures do not
    # depend on it, and two threads on a busy 2-core machine cost twice the CPU for the same figures
    figures = main(["--out", str(tmp_path / "memory.png"), "--threads", "1"])
    printed = capsys.readouterr().out
    readme = (ROOT / "README.md").read_text()
    assert table(figures["cells"]) in printed and table(figures["cells"]) in readme
    assert "python -m rnn_demo.inside.memory --out docs/memory.png" in readme
    with Image.open(tmp_path / "memory.png") as ours, Image.open(ROOT / "docs" / "memory.png") as theirs:
        assert ours.size == theirs.size
