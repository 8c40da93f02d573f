"""`python -m rnn_demo bench inside`: how long each section of the Inside tab takes on the bundled text models,
on distinct passages of the validation plays per repetition."""
from __future__ import annotations

import argparse
import time

import numpy as np

from ..devices import cpu_name

PASSAGE_CHARS = 2000
REPEATS = 5


def _passages(count: int, chars: int = PASSAGE_CHARS) -> list[str]:
    """`count` distinct passages of the validation plays, spread over them."""
    from ..text.data import protocol_dataset, split_text

    text = split_text(protocol_dataset(), "validation")
    starts = np.linspace(0, len(text) - chars - 1, count).astype(int)
    return [text[start:start + chars] for start in starts]


def _timed(run, inputs: list) -> dict[str, float]:
    seconds = []
    for item in inputs:
        started = time.perf_counter()
        run(item)
        seconds.append(time.perf_counter() - started)
    return {"median_s": round(float(np.median(seconds)), 3), "max_s": round(max(seconds), 3)}


def bench_inside(args: argparse.Namespace) -> dict:
    """Each section of the Inside tab on 2,000-character passages (distinct each repetition), bundled models."""
    import torch

    from . import serve

    serve.compare(_passages(1, 100)[0])  # load the models first: not timed
    passages = _passages(REPEATS + 1)[1:]
    result = {"cpu": cpu_name(), "threads": torch.get_num_threads(), "passage_chars": PASSAGE_CHARS, "repeats": REPEATS}
    result["unrolled_12_chars"] = _timed(lambda text: serve.unrolled(text[:12], "lstm", 1, 48), passages)
    result["find_units_lstm"] = _timed(lambda text: serve.find_units(text, "lstm"), passages)
    result["colour_by_unit_lstm"] = _timed(lambda text: serve.colour_by_unit(text, "lstm", 1, "c", 0), passages)
    result["compare_3_cells"] = _timed(serve.compare, passages)
    result["memory_3_cells_256_back"] = _timed(lambda text: serve.memory_at(text, None), passages)
    return result


BENCHES = {"inside": bench_inside}
