import json
import re

import pytest
import torch
from safetensors.torch import save_file

from rnn_demo.backbone import Backbone, check_cell
from rnn_demo.hub import ModelLoadError, load_model
from rnn_demo.text.model import CharLM, CharLMConfig
from tests.conftest import tiny_model


def test_unknown_cell_names_the_valid_ones():
    with pytest.raises(ValueError, match="'rnn', 'gru', 'lstm'"):
        check_cell("transformer")
    with pytest.raises(ValueError, match="unknown cell"):
        CharLMConfig(cell="LSTM ")


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_backbone_shapes(cell):
    backbone = Backbone(cell, input_size=3, hidden_size=5, num_layers=2)
    out, state = backbone(torch.randn(4, 7, 3))
    assert out.shape == (4, 7, 5)
    h = state[0] if cell == "lstm" else state
    assert h.shape == (2, 4, 5)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_forward_contract(cell):
    model = tiny_model(cell)
    ids = torch.randint(1, model.config.vocab_size, (3, 10))
    logits, state, loss = model(ids)
    assert logits.shape == (3, 10, model.config.vocab_size) and loss is None
    _, _, loss = model(ids[:, :-1], targets=ids[:, 1:])
    assert loss.ndim == 0 and loss.item() > 0


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("layers, bidirectional", [(1, True), (2, True), (2, False)])
def test_padded_run_equals_the_packed_one_with_its_gradients(cell, layers, bidirectional):
    """forward_padded (training's fast path) gives the packed run's outputs and weight gradients; padding stays zero."""
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    torch.manual_seed(0)
    backbone = Backbone(cell, 5, 7, layers, 0.0, bidirectional)
    lengths = torch.tensor([9, 3, 6, 1])
    x = torch.randn(4, 9, 5) * (torch.arange(9)[None, :, None] < lengths[:, None, None])  # (batch, time, input)
    packed, _ = backbone(pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False))
    expected, _ = pad_packed_sequence(packed, batch_first=True, total_length=9)
    padded = backbone.forward_padded(x, lengths)
    torch.testing.assert_close(padded, expected)
    assert padded[1, 3:].abs().sum() == 0
    for want, got in zip(torch.autograd.grad(expected.square().sum(), backbone.parameters()),
                         torch.autograd.grad(padded.square().sum(), backbone.parameters())):
        torch.testing.assert_close(got, want)


def test_state_is_passed_not_stored():
    """Two users interleaved on one model get exactly what each would get alone."""
    model = tiny_model("lstm")
    a, b = torch.randint(1, 20, (1, 12)), torch.randint(1, 20, (1, 12))
    alone, _, _ = model(a)
    with torch.inference_mode():
        _, state_a, _ = model(a[:, :6])
        model(b[:, :6])  # another user's request in between
        second_half, _, _ = model(a[:, 6:], state_a)
    assert torch.allclose(alone[:, 6:], second_half, atol=1e-6)


def test_config_round_trips_through_config_json(tmp_path):
    model = tiny_model("gru")
    model.save_pretrained(tmp_path)
    saved = json.loads((tmp_path / "config.json").read_text())
    assert saved["cell"] == "gru" and saved["vocab"][0] == "<unk>" and saved["task"] == "text"
    loaded = load_model(CharLM, tmp_path)
    assert loaded.config == model.config
    ids = torch.randint(1, 20, (2, 9))
    # weights are stored in float16: the loaded model matches within half-precision rounding
    assert torch.allclose(model(ids)[0], loaded(ids)[0], atol=2e-2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md", "config.json", "model.safetensors"]


def test_missing_directory_names_the_path(tmp_path):
    with pytest.raises(ModelLoadError, match="nowhere"):
        load_model(CharLM, tmp_path / "nowhere")


def test_missing_config_and_wrong_task(tmp_path):
    tmp_path.joinpath("model.safetensors").write_bytes(b"")
    with pytest.raises(ModelLoadError, match="config.json is missing"):
        load_model(CharLM, tmp_path)
    tmp_path.joinpath("config.json").write_text(json.dumps({"task": "sentiment"}))
    with pytest.raises(ModelLoadError, match="'sentiment' model"):
        load_model(CharLM, tmp_path)


def test_corrupt_weights_and_config(tmp_path):
    tiny_model().save_pretrained(tmp_path)
    (tmp_path / "model.safetensors").write_bytes(b"\x00garbage")
    with pytest.raises(ModelLoadError, match=str(tmp_path)):
        load_model(CharLM, tmp_path)
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(ModelLoadError, match="corrupt"):
        load_model(CharLM, tmp_path)


def test_weights_that_do_not_fit_the_config(tmp_path):
    tiny_model().save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    config["hidden_size"] = 99
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelLoadError, match="cannot load"):
        load_model(CharLM, tmp_path)


def test_a_pickle_is_never_loaded(tmp_path):
    model = tiny_model()
    model.save_pretrained(tmp_path)
    (tmp_path / "model.safetensors").unlink()
    torch.save(model.state_dict(), tmp_path / "pytorch_model.bin")
    with pytest.raises(ModelLoadError, match="model.safetensors"):
        load_model(CharLM, tmp_path)


def test_safetensors_with_extra_tensors_is_refused(tmp_path):
    model = tiny_model()
    model.save_pretrained(tmp_path)
    tensors = {k: v.half() for k, v in model.state_dict().items()}
    tensors["surprise"] = torch.zeros(1)
    save_file(tensors, str(tmp_path / "model.safetensors"))
    with pytest.raises(ModelLoadError):
        load_model(CharLM, tmp_path)


def test_paths_and_hub_repository_ids_are_told_apart(tmp_path):
    from rnn_demo.hub import is_repo_id

    assert is_repo_id("rnn-demo/text-lstm") and is_repo_id("gpt2")
    assert not is_repo_id(tmp_path) and not is_repo_id("./text-lstm") and not is_repo_id("a/b/c")


@pytest.mark.parametrize("text, message", [
    ('["task", "text"]', "it holds a JSON list, not an object"),
    ("[" * 100_000 + "]" * 100_000, "RecursionError"),
    ('{"task": "text", "pad": "' + "x" * (9 * 2**20) + '"}', "has 9.0 MB: an rnn-demo config holds less than 8 MB"),
])
def test_a_config_json_that_is_not_a_small_object_is_a_clear_error(tmp_path, text, message):
    """What `pull` and `generate --model REPO` read from a downloaded model: refused by name, never a traceback."""
    from rnn_demo.hub import ModelLoadError, read_config

    (tmp_path / "config.json").write_text(text)
    with pytest.raises(ModelLoadError, match=re.escape(message)):
        read_config(tmp_path)
