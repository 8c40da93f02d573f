"""The review tokenizer: a `tokenizers` word-level model trained on the training reviews.

It lives beside the weights as `tokenizer.json`, so a model directory is a complete Hub repository.
HTML line breaks (`<br />`, frequent in IMDB reviews) become spaces; text is NFKC-normalized and
lower-cased; words and runs of punctuation are tokens; offsets point into the original text.
"""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers, trainers

PAD, UNK = "<pad>", "<unk>"  # ids 0 and 1
TOKENIZER_NAME = "tokenizer.json"


def train_tokenizer(texts: Iterable[str], vocab_size: int, min_frequency: int = 2) -> Tokenizer:
    """A word-level tokenizer of at most `vocab_size` tokens (the two specials included)."""
    tokenizer = Tokenizer(models.WordLevel(unk_token=UNK))
    tokenizer.normalizer = normalizers.Sequence([
        normalizers.Replace(Regex(r"<br\s*/?>"), " "), normalizers.NFKC(), normalizers.Lowercase()])
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer = trainers.WordLevelTrainer(vocab_size=vocab_size, min_frequency=min_frequency, special_tokens=[PAD, UNK],
                                        show_progress=False)
    tokenizer.train_from_iterator(texts, trainer)
    return tokenizer


def load_tokenizer(directory: str | Path) -> Tokenizer:
    return Tokenizer.from_file(str(Path(directory) / TOKENIZER_NAME))


def encode_batch(tokenizer: Tokenizer, texts: list[str], max_tokens: int) -> list[list[int]]:
    """Token ids per text, cut to the first `max_tokens`."""
    return [encoding.ids[:max_tokens] for encoding in tokenizer.encode_batch(texts)]
