"""The text tab's plain functions: bundled models, streamed generation with UI-friendly updates.

`ui/text_tab.py` wires these to widgets; tests call them directly.
"""
from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from ..backbone import CELL_LABELS
from ..devices import pick_device, runs_on
from ..display import number_text, visible
from ..hub import card_metrics, load_model
from ..shelf import ModelShelf
from .batcher import BatchedGeneration
from .infer import Sampling, check_prompt, next_char_table, plain_forms, unknown_characters
from .model import VISITOR_LIMITS, CharLM
from .stepper import CharStepper

CELLS_OFFERED = ("lstm", "gru", "rnn")
SHOWN = {"\n": "⏎ newline", " ": "␣ space", "\t": "⇥ tab", "\r": "␍ carriage return"}
UPDATE_SECONDS = 0.05  # one user alone sees the text grow 20 times a second
UPDATES_PER_SECOND = 40  # ... and all users of a model together about this many: each message costs the server
RANDOM_SEED = -1  # the UI's seed for "a different text every time"


def load_stepper(directory: Path) -> CharStepper:
    """The text model in `directory` as served (text/stepper.py), on the device this process serves from."""
    return CharStepper(load_model(CharLM, directory, pick_device()))


# The bundled models, loaded once and shared by every user, and the visitors' Hub models: SHELF.for_cell(cell, loaded)
SHELF = ModelShelf("text", load_stepper, VISITOR_LIMITS)
VISITORS = SHELF.visitors
model_dir = SHELF.model_dir  # model_dir(cell): bundled, or a Hub repo the Space names
bundled_cells = SHELF.cells  # bundled_cells(): the cells with a model


def prompt_note(prompt: str, stepper: CharStepper) -> str:
    """What the UI says about the prompt: empty, characters read in their plain form, or characters the model maps
    to unknown."""
    _, unknown = check_prompt(prompt, stepper.vocab)
    if not prompt:
        return "Empty prompt: the model starts from a new line." if "\n" in stepper.vocab else (
            "Empty prompt: this model's vocabulary has no line break, so it starts from the unknown symbol.")
    notes = []
    if forms := plain_forms(prompt, stepper.vocab):
        read = ", ".join(f"{ch!r} as {plain!r}" for ch, plain in sorted(forms.items())[:20])
        notes.append(f"Read in the plain form the plays use: {read}.")
    if unknown:
        shown = " ".join(repr(ch) for ch in unknown[:20])
        notes.append(f"Characters the model never saw in training, read as an unknown symbol: {shown}")
    return " ".join(notes)


def sampling_from_controls(max_new_chars: float, temperature: float, top_k: float, top_p: float,
                           seed: float | None, stop: str | None) -> Sampling:
    """Validated sampling settings from the UI's controls (numbers arrive as floats; seed -1 or blank: random)."""
    for name, value in (("characters to generate", max_new_chars), ("temperature", temperature), ("top-k", top_k),
                        ("top-p", top_p), ("seed", seed)):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{name} must be a finite number, got {value}")
    for name, value in (("characters to generate", max_new_chars), ("top-k", top_k), ("seed", seed)):
        if isinstance(value, float) and value != int(value):  # an API call's 1.5 was seed 1, its -1.5 "random"
            raise ValueError(f"{name} must be a whole number, got {number_text(value)}")
    random = seed is None or seed == "" or int(seed) == RANDOM_SEED
    return Sampling(int(max_new_chars), float(temperature), int(top_k), float(top_p),
                    None if random else int(seed), stop or "").validated()


def check_stop(stop: str, vocab: list[str]) -> None:
    """Refuse a stop string the model can never write (a character outside its vocabulary): it was accepted, never
    met, and the text ran to its length with nothing said (a red team's)."""
    unknown = unknown_characters(stop, vocab)
    if unknown:
        shown = " ".join(repr(ch) for ch in unknown[:10])  # escaped: a lone surrogate or a control shows as such
        raise ValueError(f"the stop string holds characters this model never writes ({shown}), so it could never be "
                         "met: leave them out")


_BATCHERS_LOCK = threading.Lock()


def batcher_for(stepper: CharStepper) -> BatchedGeneration:
    """The one batched generation loop of a loaded model, kept on the model: it goes when the model goes."""
    with _BATCHERS_LOCK:
        if not isinstance(stepper.generation, BatchedGeneration):  # None, the first time (stepper.Generation)
            stepper.generation = BatchedGeneration(stepper)
        return stepper.generation


def stream_text(stepper: CharStepper, prompt: str, sampling: Sampling, owner: str | None = None) -> Iterator[str]:
    """The growing generated text, yielded at most every UPDATE_SECONDS (less often when many users share
    the model) and once at the end; generated in one batch with every other user of the same model. `owner`: whose
    read of the prompt it may reuse (infer.primed)."""
    text, last = "", time.monotonic()
    batcher = batcher_for(stepper)
    for piece in batcher.stream(prompt, sampling, owner):
        text += piece
        if time.monotonic() - last >= max(UPDATE_SECONDS, batcher.users / UPDATES_PER_SECOND):
            last = time.monotonic()
            yield text
    yield text


def candidate_label(ch: str) -> str:
    """A next character as the table shows it: named where it is blank; a control, direction or lone-surrogate
    character (a visitor's vocabulary may hold one) as its symbol and code point, since `visible` shows several as
    one symbol and the table's labels must differ; any other as itself."""
    if ch in SHOWN:
        return SHOWN[ch]
    shown = visible(ch)
    return ch if shown == ch else f"{shown} U+{ord(ch):04X}"


def candidates(stepper: CharStepper, prompt: str, k: int = 10, owner: str | None = None) -> dict[str, float]:
    """The top-k next characters after the prompt, labelled for display (candidate_label), with probabilities."""
    return {candidate_label(ch): p for ch, p in next_char_table(stepper, prompt, k, owner)}


def model_summary(cell: str) -> str:
    """One line of Markdown: the chosen bundled model and its card's validation metric."""
    directory = model_dir(cell)
    stepper = SHELF.bundled(cell)
    config = stepper.config
    parameters = stepper.parameter_count
    metrics = card_metrics(directory)
    metric = (f"{metrics['nats_per_char']:.3f} nats/char ({metrics['bits_per_char']:.3f} bits/char) on the "
              "validation plays (how surprised it is, on average, by each next character: lower is better)"
              if "nats_per_char" in metrics else "validation metric not measured yet")
    return (f"**{CELL_LABELS[cell]}**: {config.num_layers} x {config.hidden_size} units, {parameters / 1e6:.1f}M "
            f"parameters; {metric}. {runs_on(stepper.device)}")
