"""The review classifier: embedding -> recurrent backbone over packed sequences -> max-pool over time -> head.

(No `from __future__ import annotations` here: the Hub mixin reads the `config` annotation at run time.)
"""

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from ..backbone import Backbone, Shapes, State, backbone_shapes, check_cell
from ..hub import HubModel
from ..project import CODE_URL
from ..visitor_checks import MB, ConfigLimits, TaskFile
from .tokenizer import TOKENIZER_NAME, check_tokenizer


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

    def state_shapes(self) -> Shapes:
        """ReviewClassifier's state_dict shapes for this config, by formula: nothing is built or allocated."""
        features = self.hidden_size * (2 if self.bidirectional else 1)
        return {"embed.weight": (self.vocab_size, self.embedding_dim),
                **backbone_shapes(self.cell, self.embedding_dim, self.hidden_size, self.num_layers, self.bidirectional),
                "head.weight": (len(self.labels), features), "head.bias": (len(self.labels),)}


# What a visitor's classifier may hold (visitor_checks.py), every field bounded; the shared fields' bounds are added.
# Its tokenizer is required, at most 5 MB, and may give no id beyond the embedding.
VISITOR_LIMITS = ConfigLimits(SentimentConfig, whole={"embedding_dim": (1, 1024), "vocab_size": (2, 50_000),
                                                      "max_tokens": (1, 5000)},
                              flags=("bidirectional",), lists={"labels": (str, 32, 64)}, distinct=("labels",),
                              readable=("labels",),
                              files={TOKENIZER_NAME: TaskFile(5 * MB, check_tokenizer)})


def _max_over_time(outputs: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The max over the valid positions of outputs (batch, time, features), and where it fell, (batch, features)
    each. A row with no valid position (a review that cleaning left with no token) pools to zeros: its max was -inf,
    which made the logits NaN, and in training every weight after one step."""
    pooled, winner = outputs.masked_fill(~mask.unsqueeze(-1), float("-inf")).max(1)
    return torch.where(mask.any(1, keepdim=True), pooled, 0.0), winner


class ReviewClassifier(nn.Module, HubModel, library_name="rnn-demo", tags=["text-classification", "sentiment"],
                       repo_url=CODE_URL, pipeline_tag="text-classification", language=["en"]):
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

    def encode(self, ids: torch.Tensor, state: State | None = None, for_training: bool = False,
               final_state: bool = True) -> tuple[torch.Tensor, torch.Tensor, State | None]:
        """ids (batch, time) -> states (batch, time, hidden * directions), valid mask (batch, time), final state.

        Padding never reaches the recurrence: sequences are packed by their lengths. With `for_training`, or
        without `final_state` where it is faster (Backbone.faster_unpacked), the backbone runs unpacked instead
        (Backbone.forward_padded: the same outputs, a backward linear in time on the CPU) and the state is None."""
        mask = ids != 0  # (batch, time)
        lengths = mask.sum(1).clamp_min(1).cpu()
        x = self.drop(self.embed(ids))  # (batch, time, embedding)
        if for_training or (not final_state and state is None and self.backbone.faster_unpacked(x, lengths)):
            return self.backbone.forward_padded(x, lengths), mask, None
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        outputs, state = self.backbone(packed, state)
        outputs, _ = pad_packed_sequence(outputs, batch_first=True, total_length=ids.size(1))
        return outputs, mask, state  # outputs: (batch, time, hidden * directions)

    def forward(
        self, ids: torch.Tensor, state: State | None = None, targets: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, State | None, torch.Tensor | None]:
        """ids (batch, time) -> logits (batch, labels), final state, mean cross-entropy or None.

        A training step (targets given, gradients on, no state) skips the final state (None): nothing carries it."""
        training_step = targets is not None and state is None and torch.is_grad_enabled()
        outputs, mask, state = self.encode(ids, state, for_training=training_step)
        logits = self._pooled_logits(outputs, mask)
        loss = F.cross_entropy(logits, targets) if targets is not None else None
        return logits, state, loss

    def classify(self, ids: torch.Tensor) -> torch.Tensor:
        """ids (batch, time) -> logits (batch, labels), forward's without the final state: the fastest way to
        classify many reviews (see encode)."""
        return self._pooled_logits(*self.encode(ids, final_state=False)[:2])

    def _pooled_logits(self, outputs: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.head(self.drop(_max_over_time(outputs, mask)[0]))  # (batch, labels)

    def explain(self, ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """ids (batch, time) -> logits (batch, labels), contributions (batch, time).

        Each pooled feature is one position's state (the max over time). That state was built step by
        step, so its value telescopes into the changes each word made to it on the way: for the forward
        direction the changes at positions up to the max, for the backward one those from the max to the
        end. A word contributes the changes it made to the pooled features, weighted by their effect on
        the margin logit[-1] - logit[0]: contributions plus the bias difference equal the margin exactly,
        and a word that moved no pooled feature gets nothing, wherever the max fell."""
        outputs, mask, _ = self.encode(ids, final_state=False)  # (batch, time, features), (batch, time)
        pooled, winner = _max_over_time(outputs, mask)  # (batch, features) each
        logits = self.head(self.drop(pooled))  # (batch, labels)
        changes, on_path = self._state_changes(outputs, winner)  # (batch, time, features) each
        margin_weight = self.head.weight[-1] - self.head.weight[0]  # (features,)
        contributions = (changes * on_path * margin_weight).sum(-1)  # (batch, time)
        return logits, contributions.masked_fill(~mask, 0.0)

    def _state_changes(self, outputs: torch.Tensor, winner: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """What each position changed in each feature, and whether it lies on the path to the feature's max.

        outputs (batch, time, features) are zero at padding, so the backward direction starts from zero
        after each sequence's last word, as the forward one does before its first."""
        hidden = self.config.hidden_size
        time = torch.arange(outputs.size(1), device=outputs.device).view(1, -1, 1)  # (1, time, 1)
        forward, backward = outputs[..., :hidden], outputs[..., hidden:]
        changes = [forward - F.pad(forward, (0, 0, 1, 0))[:, :-1]]  # h_t - h_{t-1}, h_{-1} = 0
        on_path = [time <= winner[:, None, :hidden]]
        if backward.size(-1):
            changes.append(backward - F.pad(backward, (0, 0, 0, 1))[:, 1:])  # h_t - h_{t+1}, zero past the end
            on_path.append(time >= winner[:, None, hidden:])
        return torch.cat(changes, -1), torch.cat(on_path, -1)
