"""The character-level language model: embedding -> recurrent backbone -> linear head.

(No `from __future__ import annotations` here: the Hub mixin reads the `config` annotation
at run time to rebuild the dataclass from config.json.)
"""

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from ..backbone import Backbone, Shapes, State, backbone_shapes, check_cell
from ..display import quoted
from ..hub import HubModel
from ..project import CODE_URL
from ..visitor_checks import ConfigLimits

UNKNOWN = "<unk>"


@dataclass
class CharLMConfig:
    """Everything needed to rebuild the model and run it; round-trips through config.json."""

    vocab: list[str] = field(default_factory=lambda: [UNKNOWN])  # index 0 is the unknown symbol
    cell: str = "lstm"
    embedding_dim: int = 64
    hidden_size: int = 512
    num_layers: int = 2
    dropout: float = 0.2
    storage_dtype: str = "float16"
    task: str = "text"

    def __post_init__(self) -> None:
        check_cell(self.cell)
        if not self.vocab or self.vocab[0] != UNKNOWN:
            raise ValueError(f"vocab must start with the unknown symbol {UNKNOWN!r}")

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def state_shapes(self) -> Shapes:
        """CharLM's state_dict shapes for this config, by formula: nothing is built or allocated."""
        return {"embed.weight": (self.vocab_size, self.embedding_dim),
                **backbone_shapes(self.cell, self.embedding_dim, self.hidden_size, self.num_layers),
                "head.weight": (self.vocab_size, self.hidden_size), "head.bias": (self.vocab_size,)}


def _vocab_problem(values: dict) -> str | None:
    """A text model's vocabulary holds characters to write after the unknown symbol, each one character."""
    vocab = values.get("vocab", [])
    if len(vocab) < 2:
        return "vocab holds no character besides the unknown symbol: the model has nothing to write"
    if long := next((i for i, ch in enumerate(vocab) if i and len(ch) != 1), None):
        return f"vocab[{long}] must be one character, not {quoted(vocab[long])}"
    return None


# What a visitor's text model may hold (visitor_checks.py), every field bounded; the shared fields' bounds are added.
VISITOR_LIMITS = ConfigLimits(CharLMConfig, whole={"embedding_dim": (1, 1024)}, lists={"vocab": (str, 5000, 5)},
                              distinct=("vocab",), problem=_vocab_problem)


class CharLM(nn.Module, HubModel, library_name="rnn-demo", tags=["text-generation", "char-rnn"],
             repo_url=CODE_URL, pipeline_tag="text-generation", language=["en"]):
    """Predicts the next character. Holds weights only: the recurrent state is passed in and out."""

    task = "text"

    def __init__(self, config: CharLMConfig) -> None:
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(config.vocab_size, config.embedding_dim)
        self.backbone = Backbone(config.cell, config.embedding_dim, config.hidden_size,
                                 config.num_layers, config.dropout)
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(config.hidden_size, config.vocab_size)

    def forward(
        self, ids: torch.Tensor, state: State | None = None, targets: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, State, torch.Tensor | None]:
        """ids (batch, time) -> logits (batch, time, vocab), new state, mean cross-entropy or None."""
        x = self.embed(ids)  # (batch, time, embedding)
        outputs, state = self.backbone(x, state)  # (batch, time, hidden)
        logits = self.head(self.drop(outputs))  # (batch, time, vocab)
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.flatten(0, 1), targets.flatten())
        return logits, state, loss
