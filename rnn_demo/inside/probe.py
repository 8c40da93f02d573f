"""A passage read by a character model, with everything inside kept: each layer's states, terms and gates at
every step (cells.py), and the distribution of the next character after each step.

The states come from PyTorch's fast path, one single-layer module per layer sharing the model's weights, and the
terms and gates are re-derived from them in batched products (`cells.replay_layer`, held equal to the step-by-step
cells by the tests), layer k's while layer k + 1 runs. All in float32, from the zero state.
"""
from __future__ import annotations

import queue
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import torch
from torch import nn

from ..text.data import encode
from ..text.model import CharLM
from .cells import LayerWeights, replay_layer, single_layers, unroll, weights_of

MAX_PASSAGE = 3000  # characters a passage may hold
PIECE = 250  # steps layer 1 reads before the layers above take them up (see _pipelined)

_FAST: weakref.WeakKeyDictionary[CharLM, list[nn.RNNBase]] = weakref.WeakKeyDictionary()
_FAST_LOCK = threading.Lock()
# Re-deriving a layer's gates runs on the other core while the next layer reads the passage (one worker: the app
# serves on two cores).
_REPLAY = ThreadPoolExecutor(max_workers=1, thread_name_prefix="inside-replay")


@dataclass
class Reading:
    """A passage as the model read it. layers[k][name]: (time, hidden) or, for the two terms, (time, gates *
    hidden); log_probs (time, vocab): log p(next character) after each step."""

    text: str
    cell: str
    ids: torch.Tensor  # (time,)
    unknown: list[str]  # characters of the text the model does not know (read as its unknown symbol)
    layers: list[dict[str, torch.Tensor]]
    log_probs: torch.Tensor
    vocab: list[str]

    @property
    def hidden_size(self) -> int:
        return self.layers[0]["h"].shape[-1]


def check_passage(text: str | None, limit: int = MAX_PASSAGE) -> str:
    """The passage if it is non-empty and within `limit` characters; else a ValueError saying which. Spaces and line
    breaks are characters the model reads like any other: a passage of them alone is read."""
    text = text or ""
    if not text:
        raise ValueError("the passage is empty: type or paste some text")
    if len(text) > limit:
        raise ValueError(f"the passage has {len(text):,} characters; the limit here is {limit:,}")
    return text


def _fast_layers(model: CharLM) -> list[nn.RNNBase]:
    with _FAST_LOCK:
        if model not in _FAST:
            _FAST[model] = single_layers(model.backbone.rnn)
        return _FAST[model]


def layer_weights(model: CharLM) -> list[LayerWeights]:
    return weights_of(model.backbone.rnn)


@torch.inference_mode()
def next_char_log_probs(model: CharLM, text: str, limit: int = MAX_PASSAGE) -> tuple[torch.Tensor, torch.Tensor]:
    """ids (time,) of `text` and log p(next character) after each of them (time, vocab): the model's own forward
    pass from the zero state, nothing kept inside."""
    text = check_passage(text, limit)
    ids = torch.tensor([encode(text, model.config.vocab)], device=model.head.weight.device)  # (1, time)
    logits, _, _ = model(ids)  # (1, time, vocab)
    return ids[0], torch.log_softmax(logits[0], -1)


def _run_pieces(modules: list[nn.RNNBase], pieces: queue.SimpleQueue) -> list[torch.Tensor]:
    """Layers 2 and up, piece by piece as layer 1's outputs arrive on `pieces` (None: no more), each carrying its
    state from piece to piece: each layer's outputs (1, time, hidden)."""
    with torch.inference_mode():
        states, outputs = [None] * len(modules), [[] for _ in modules]
        while (piece := pieces.get()) is not None:
            for k, module in enumerate(modules):
                piece, states[k] = module(piece, states[k])  # (1, piece, hidden)
                outputs[k].append(piece)
        return [torch.cat(chunks, 1) for chunks in outputs]


def _pipelined(modules: list[nn.RNNBase], x: torch.Tensor) -> list[torch.Tensor]:
    """Each layer's outputs (1, time, hidden) from x (1, time, inputs), from zero states, on two cores: this thread
    reads the passage through layer 1 a PIECE of steps at a time, and the replay worker runs the layers above on
    each piece as soon as it is out (a wavefront), so a 2-layer model takes about one layer's time plus a piece."""
    pieces: queue.SimpleQueue = queue.SimpleQueue()
    above = _REPLAY.submit(_run_pieces, modules[1:], pieces) if len(modules) > 1 else None
    state, first = None, []
    try:
        for start in range(0, x.shape[1], PIECE):
            out, state = modules[0](x[:, start:start + PIECE], state)  # (1, piece, hidden)
            first.append(out)
            pieces.put(out)
    finally:
        pieces.put(None)  # the worker stops, whatever happened here
    return [torch.cat(first, 1), *(above.result() if above else [])]


def _replayed(cell: str, layer: LayerWeights, x: torch.Tensor, h: torch.Tensor,
              keep: tuple[str, ...] | None) -> dict[str, torch.Tensor]:
    with torch.inference_mode():  # thread-local: the worker enters it itself
        record = replay_layer(cell, layer, x, h)
        return {name: value[0] for name, value in record.items() if keep is None or name in keep}


@torch.inference_mode()
def read_passage(model: CharLM, text: str, limit: int = MAX_PASSAGE, step_by_step: bool = False,
                 keep: tuple[str, ...] | None = None) -> Reading:
    """Read `text` (checked against `limit`) from the zero state. `step_by_step` runs the from-scratch cells one
    step at a time (`cells.unroll`, for short inputs) instead of the fast path and the replay. `keep` names the
    values kept per layer (default: all; a long passage's terms take 16 MB per layer of the bundled LSTM)."""
    text = check_passage(text, limit)
    vocab, cell = model.config.vocab, model.config.cell
    ids = torch.tensor([encode(text, vocab)], device=model.head.weight.device)  # (1, time)
    x = model.embed(ids)  # (1, time, embedding)
    if step_by_step:
        unrolled = unroll(cell, layer_weights(model), x, record=True)
        layers = [{name: value[0] for name, value in layer.items() if keep is None or name in keep}
                  for layer in unrolled.layers]
        outputs = unrolled.outputs
    else:
        outputs_by_layer = _pipelined(_fast_layers(model), x)
        inputs = [x, *outputs_by_layer[:-1]]
        weights = layer_weights(model)
        later = _REPLAY.submit(lambda: [_replayed(cell, w, x_k, h, keep) for w, x_k, h in
                                        zip(weights[1:], inputs[1:], outputs_by_layer[1:])])
        layers = [_replayed(cell, weights[0], x, outputs_by_layer[0], keep), *later.result()]
        outputs = outputs_by_layer[-1]
    log_probs = torch.log_softmax(model.head(outputs[0]), -1)  # (time, vocab)
    known = set(vocab[1:])
    return Reading(text, cell, ids[0], sorted({ch for ch in text if ch not in known}), layers, log_probs, vocab)
