"""The review classifier: embedding -> recurrent backbone over packed sequences -> max-pool over time -> head.

(No `from __future__ import annotations` here: the Hub mixin reads the `config` annotation at run time.)
"""

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from ..backbone import Backbone, State, check_cell
from ..hub import REPO_URL, HubModel


@dataclass
class SentimentConfig:
    """Everything needed to rebuild the classifier and run it; round-trips through config.json.

    The vocabulary itself lives in tokenizer.json beside the weights; token id 0 is padding."""

    vocab_size: int = 20000
    cell: str = "gru"
    embedding_dim: int = 128
    hidden_size: int = 128
    num_layers: int = 1
    bidirectional: bool = True
    dropout: float = 0.3
    labels: list[str] = field(default_factory=lambda: ["negative", "positive"])
    max_tokens: int = 1000  # longer reviews are cut to their first max_tokens tokens
    storage_dtype: str = "float16"
    task: str = "sentiment"

    def __post_init__(self) -> None:
        check_cell(self.cell)
        if len(self.labels) < 2:
            raise ValueError(f"a classifier needs at least two labels, got {self.labels}")


class ReviewClassifier(nn.Module, HubModel, library_name="rnn-demo", tags=["text-classification", "sentiment"],
                       repo_url=REPO_URL):
    """Classifies token sequences (right-padded with id 0). Holds weights only, no per-user state."""

    task = "sentiment"

    def __init__(self, config: SentimentConfig) -> None:
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(config.vocab_size, config.embedding_dim, padding_idx=0)
        self.backbone = Backbone(config.cell, config.embedding_dim, config.hidden_size, config.num_layers,
                                 config.dropout, config.bidirectional)
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(self.backbone.output_size, len(config.labels))

    def encode(self, ids: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, torch.Tensor, State]:
        """ids (batch, time) -> states (batch, time, hidden * directions), valid mask (batch, time), final state.

        Padding never reaches the recurrence: sequences are packed by their lengths."""
        mask = ids != 0  # (batch, time)
        lengths = mask.sum(1).clamp_min(1).cpu()
        x = self.drop(self.embed(ids))  # (batch, time, embedding)
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        outputs, state = self.backbone(packed, state)
        outputs, _ = pad_packed_sequence(outputs, batch_first=True, total_length=ids.size(1))
        return outputs, mask, state  # outputs: (batch, time, hidden * directions)

    def forward(
        self, ids: torch.Tensor, state: State | None = None, targets: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, State, torch.Tensor | None]:
        """ids (batch, time) -> logits (batch, labels), final state, mean cross-entropy or None."""
        outputs, mask, state = self.encode(ids, state)
        pooled = outputs.masked_fill(~mask.unsqueeze(-1), float("-inf")).amax(1)  # (batch, hidden * directions)
        logits = self.head(self.drop(pooled))  # (batch, labels)
        loss = F.cross_entropy(logits, targets) if targets is not None else None
        return logits, state, loss

    def explain(self, ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """ids (batch, time) -> logits (batch, labels), contributions (batch, time).

        Each pooled feature is the value of one position's state (the max over time), so the margin
        logit[-1] - logit[0] splits exactly over positions: a position contributes what the features it
        won add to the margin. Contributions plus the bias difference equal the margin."""
        outputs, mask, _ = self.encode(ids)
        pooled, winner = outputs.masked_fill(~mask.unsqueeze(-1), float("-inf")).max(1)  # (batch, features) each
        logits = self.head(self.drop(pooled))  # (batch, labels)
        margin_weight = self.head.weight[-1] - self.head.weight[0]  # (features,)
        contributions = torch.zeros(ids.shape, dtype=pooled.dtype, device=ids.device)
        return logits, contributions.scatter_add_(1, winner, pooled * margin_weight)  # (batch, time)
