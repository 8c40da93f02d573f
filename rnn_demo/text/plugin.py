"""The text task's plug-in (plugin.py's contract): a character language model of Shakespeare's plays."""
from __future__ import annotations

from ..plugin import Tab, TaskPlugin, TinyModel
from .cli import TextCLI
from .data import DATASET
from .model import VISITOR_LIMITS
from .use import USE
from .visitor import VISITOR

TINY_PLAY = """ROMEO:
But soft, what light through yonder window breaks?
It is the east, and Juliet is the sun.

JULIET:
O Romeo, Romeo! wherefore art thou Romeo?
Deny thy father and refuse thy name.
"""

PLUGIN = TaskPlugin(
    "text", TextCLI(), Tab("Text generation", "rnn_demo.text.tab"), metric="nats_per_char", higher_is_better=False,
    limits=VISITOR_LIMITS, default_model="text-lstm", dataset=DATASET, use=USE, served="rnn_demo.text.serve:VISITORS",
    visitor=VISITOR,
    tiny=TinyModel(("lstm", "gru", "rnn"), ("--data", "plays.txt", "--hidden-size", "16", "--layers", "2",
                                            "--embedding-dim", "8", "--max-steps", "12", "--eval-every", "6",
                                            "--batch-size", "4", "--seq-len", "32"), {"plays.txt": TINY_PLAY * 40}),
    load_call=("/generate", ("ROMEO:\n", "lstm", 300, 0.8, 0, 1.0, -1, "")))
