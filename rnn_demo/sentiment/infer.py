"""What the UI and the command line call: reviews in, class probabilities out."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
from tokenizers import Tokenizer
from tqdm.auto import tqdm

from ..display import md_text, valid_unicode
from .model import ReviewClassifier
from .tokenizer import MOST_CHARS, UNK, FirstTokens, encode_batch, first_tokens
from .words import unknown_words_note, word_shares

# what a review that cleaning leaves with nothing to read gets instead of a prediction
NOTHING_LEFT = "Nothing is left to read once links and markup are set aside: no prediction."
SHOWN_CHARS = 2000  # how much unread text after a truncated review the UI still shows
# a character that shows: not a space, nor a zero-width or direction mark, joiner or byte-order mark
SHOWING = re.compile(r"[^\s\u200b-\u200f\u2028-\u202f\u2060-\u206f\ufeff]")


def pad_batch(sequences: list[list[int]]) -> torch.Tensor:
    """Token id lists -> (batch, longest) right-padded with 0; an empty list keeps one padding slot."""
    ids = torch.zeros(len(sequences), max(1, max(map(len, sequences))), dtype=torch.long)
    for row, sequence in enumerate(sequences):
        ids[row, : len(sequence)] = torch.tensor(sequence, dtype=torch.long)
    return ids


# Reviews per forward pass when classifying many. On the CPU small batches are faster: each step's products stay in
# the cache and reviews sorted by length pad less. The bundled classifiers' 9,941 test reviews at one thread (AMD EPYC
# with AVX-512, 2026-12-06), 256 a batch against 32: GRU 25.8 s against 18.4, LSTM 16.9 against 11.7, RNN 14.4 against
# 8.5, the same predictions; on a third of them at two threads, 256 against 64: GRU 6.1 s against 5.4, LSTM 4.6
# against 3.0, RNN 3.4 against 2.5. A batch grows with the threads, which split its products; a GPU takes large ones.
CPU_BATCH_PER_THREAD, GPU_BATCH = 32, 256


def reviews_per_batch(device: torch.device) -> int:
    """How many reviews go through the model at once on `device` when many are classified."""
    return CPU_BATCH_PER_THREAD * torch.get_num_threads() if device.type == "cpu" else GPU_BATCH


def length_batches(ids: list[list[int]], batch_size: int) -> list[list[int]]:
    """The row numbers of `ids` sorted by length, cut into batches of `batch_size`: a batch of similar lengths pads
    little."""
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    return [order[start:start + batch_size] for start in range(0, len(order), batch_size)]


@torch.inference_mode()
def predict_ids(model: ReviewClassifier, ids: list[list[int]], batch_size: int | None = None,
                progress: bool = False) -> torch.Tensor:
    """Class probabilities (reviews, labels) for token id lists, batched by similar length (`batch_size` reviews a
    batch, default `reviews_per_batch`), in input order; `progress`: a tqdm bar of the batches (on a terminal)."""
    model.eval()
    device = next(model.parameters()).device
    probs = torch.empty(len(ids), len(model.config.labels))
    for rows in tqdm(length_batches(ids, batch_size or reviews_per_batch(device)), desc="classifying the reviews",
                     unit="batch", leave=False, disable=None if progress else True):
        logits = model.classify(pad_batch([ids[i] for i in rows]).to(device))  # (batch, labels)
        probs[rows] = torch.softmax(logits.float(), -1).cpu()
    return probs


@dataclass
class Verdict:
    """A review's classification, explained."""

    probabilities: dict[str, float]  # label -> probability
    spans: list[tuple[str, float | None]]  # the review in pieces: words with their contribution in [-1, 1], gaps None
    notes: list[str] = field(default_factory=list)  # what the user should know about the input


def _with_marks(text: str, end: int) -> int:
    """`end` moved past the combining marks (accents, variation selectors) that follow it."""
    while end < len(text) and unicodedata.category(text[end]).startswith("M"):
        end += 1
    return end


RATING_GLYPHS = frozenset("0123456789/.,\u00bd\u2605\u2b50\u2606\ufe0f")  # a rating's: 4/5, 3,5, ★★★★½, ⭐️


OUT_OF = re.compile(r"\d\s*out\s+of\s*$", re.IGNORECASE)  # 3,5 out of 5


def _rating_start(text: str, start: int, position: int) -> int:
    """Where a rating ending at `start` begins, back over its glyphs (4 / 5, ★★★★½) and the words "out of", no further
    than `position`; `start` for any other token."""
    while start > position:
        if text[start - 1] in RATING_GLYPHS or (text[start - 1] == " " and start - 2 >= position
                                                and text[start - 2] in RATING_GLYPHS):
            start -= 1
        elif words := OUT_OF.search(text, max(position, start - 12), start):
            start = words.start() + 1
        else:
            return start
    return start


def review_spans(text: str, offsets: list[tuple[int, int]], scores: list[float | None],
                 shown_chars: int = SHOWN_CHARS) -> list[tuple[str, float | None]]:
    """Cut `text` into the tokens at `offsets` (with their scores: None, uncoloured) and the gaps between them (None).

    Text after the last scored token is shown up to `shown_chars` characters, then elided. Tokens that overlap the
    text shown already (NFKC reads one character as several: "3½" as "31⁄2") add to it rather than show it again:
    the piece keeps the score of the largest size. Combining marks after a token are its own ("cafe" and U+0301, as
    macOS writes "café"): the accent showed uncoloured, apart from its letter. A rating the tokenizer rewrites (4/5
    read as 8/10) gives its tokens the offsets of its last character: its other characters, which no token covers,
    are its own (only the 5 of 4/5, the ½ of ★★★★½, was coloured)."""
    spans: list[tuple[str, float | None]] = []
    position = 0
    for (start, end), score in zip(offsets, scores):
        end = _with_marks(text, end)
        start = _rating_start(text, start, position)
        if start < position and spans:  # within the last piece shown, or reaching past it
            shown, kept = spans[-1]
            spans[-1] = (shown + text[position:end], max((kept, score), key=lambda s: -1 if s is None else abs(s)))
            position = max(position, end)
            continue
        if start > position:
            spans.append((text[position:start], None))
        spans.append((text[start:end], score))
        position = end
    rest = text[position:]
    if len(rest) > shown_chars:
        rest = rest[:shown_chars] + f" … ({len(rest) - shown_chars:,} more characters, not read)"
    if rest:
        spans.append((rest, None))
    return spans


def shows_something(text: str | None) -> bool:
    """Whether `text` holds a character that shows (SHOWING): a review of spaces and zero-width marks is empty."""
    return bool(text and SHOWING.search(text))


# Common English words that other languages written in Latin letters seldom use (no "is", "was": Dutch and German
# have them): a review of many words with almost none of these, many of them unknown, is not English
ENGLISH = frozenset("the and it this that of to with for but not you have are be they he she his her very just what "
                    "there from or my we its were been would could about than more when who which".split())


def _word_notes(tokens: FirstTokens, text: str, unknown_id: int | None) -> list[str]:
    """What the review's words (tokens holding a letter or digit; punctuation is known to every model) say about
    how far the prediction can be trusted."""
    words = [(token, i == unknown_id, text[start:end]) for token, i, (start, end)
             in zip(tokens.encoding.tokens, tokens.ids, tokens.offsets) if any(ch.isalnum() for ch in text[start:end])]
    unknown = sum(is_unknown for _, is_unknown, _ in words)
    if not words or unknown == len(words):
        return ["None of these words are in the model's English vocabulary: the prediction means little."] if words \
            else []
    if unknown > len(words) / 2:
        return [f"{unknown} of {len(words)} words are unknown to the model: the prediction is unreliable."]
    common, long = sum(token in ENGLISH for token, _, _ in words), len(words) >= 10
    # a short text has too few words for "almost none": none at all, its unknown words counted without the
    # capitalised ones (names: "I love Paul McCartney." is English). Of the 7,910 selection reviews' first and last
    # sentences it flags 4 (2 of them French and Norwegian); "Un film magnifique, je le recommande." had no note
    lower = sum(is_unknown and not piece[:1].isupper() for _, is_unknown, piece in words)
    if (long and common < len(words) / 20 and unknown >= len(words) / 4) or (
            not long and len(words) >= 4 and common == 0 and lower >= len(words) / 4):
        none = "almost none are common English ones" if long else "none is a common English one"
        return [f"This does not read as English ({unknown} of its {len(words)} words are unknown to the model, and "
                f"{none}): the model was trained on English reviews, so the prediction means little."]
    return []


def _notes(tokens: FirstTokens, text: str, unknown_id: int | None, max_tokens: int) -> list[str]:
    """What the reader of a review's prediction should know about how it was read (a cut, its words)."""
    notes, n_read = [], len(tokens.ids)
    if tokens.cut and n_read == max_tokens:
        notes.append(f"Long review: only its first {max_tokens:,} tokens were read (up to character "
                     f"{tokens.offsets[-1][1]:,} of {len(text):,}).")
    elif tokens.cut:
        notes.append(f"Long review: only its first {MOST_CHARS:,} characters were read (of {len(text):,}).")
    notes += _word_notes(tokens, text, unknown_id)
    if not any(ch.isalnum() for start, end in tokens.offsets for ch in text[start:end]):
        notes.append("The review has no words, only punctuation or symbols: the prediction means little.")
    return notes


def unknown_token_id(tokenizer: Tokenizer) -> int | None:
    """The id of the tokenizer's unknown token (a visitor's may not be <unk>)."""
    return tokenizer.token_to_id(getattr(tokenizer.model, "unk_token", UNK))


LEGEND_LABELS = ("negative", "positive")  # what the tab's legend calls red and green: a model's first and last labels


def colours_note(labels: Sequence[str]) -> str | None:
    """What the colours mean for a model whose labels are not the legend's (None where they are): the margin the
    words are credited with is the last label's logit minus the first's (ReviewClassifier.explain)."""
    if [label.strip().lower() for label in labels] == list(LEGEND_LABELS):
        return None
    between = " (the labels between them are not weighed)" if len(labels) > 2 else ""
    return (f"For this model's labels, green words pushed the review towards *{md_text(labels[-1])}*, red words "
            f"towards *{md_text(labels[0])}*{between}.")


@torch.inference_mode()
def explain_review(model: ReviewClassifier, tokenizer: Tokenizer, text: str) -> Verdict:
    """Classify one review and split the decision over its words (see ReviewClassifier.explain)."""
    if not shows_something(text):
        raise ValueError("the review is empty: enter some text to classify")
    text, surrogates = valid_unicode(text)
    max_tokens = model.config.max_tokens
    tokens = first_tokens(tokenizer, [text], max_tokens)[0]
    ids, offsets = tokens.ids, tokens.offsets
    if not ids:
        raise ValueError("the review has no words to read (links and markup are set aside): enter the review's text")
    device = next(model.parameters()).device
    logits, contributions = model.explain(pad_batch([ids]).to(device))
    probabilities = torch.softmax(logits[0].float(), -1).tolist()
    unknown_id = unknown_token_id(tokenizer)
    unknown = [i == unknown_id for i in ids]  # each token: read as the one unknown token
    shares = word_shares(contributions[0, : len(ids)].float().tolist(), unknown)
    notes = _notes(tokens, text, unknown_id, max_tokens)
    if unknown_note := unknown_words_note(text, offsets, shares, unknown, model.config.labels):
        notes.append(unknown_note)
    if how := colours_note(model.config.labels):
        notes.append(how)
    if surrogates:
        notes.append(f"{surrogates:,} of the review's characters {'is' if surrogates == 1 else 'are'} not valid "
                     "Unicode (half of a UTF-16 pair): read as �.")
    coloured = [None if is_unknown else share for is_unknown, share in zip(unknown, shares)]
    return Verdict(dict(zip(model.config.labels, probabilities)), review_spans(text, offsets, coloured), notes)


def _readable(texts: list[str]) -> tuple[list[int], list[str]]:
    """The rows of the reviews with something to read, and those reviews with invalid Unicode replaced."""
    readable = [i for i, text in enumerate(texts) if shows_something(text)]
    return readable, [valid_unicode(texts[i])[0] for i in readable]


def classify_reviews(model: ReviewClassifier, tokenizer: Tokenizer, texts: list[str],
                     batch_size: int | None = None) -> list[dict[str, float]]:
    """Label probabilities per review, batched (predict_ids), in input order; an empty review, or one with nothing
    left to read once cleaned (a link alone), gets {} (nothing to classify)."""
    readable, valid = _readable(texts)
    ids = encode_batch(tokenizer, valid, model.config.max_tokens)
    kept = [k for k, sequence in enumerate(ids) if sequence]  # a link alone, once cleaned, leaves no token
    probs = predict_ids(model, [ids[k] for k in kept], batch_size)
    results: list[dict[str, float]] = [{} for _ in texts]
    for k, p in zip(kept, probs.tolist()):
        results[readable[k]] = dict(zip(model.config.labels, p))
    return results


def classify_reviews_noted(model: ReviewClassifier, tokenizer: Tokenizer,
                           texts: list[str]) -> list[tuple[dict[str, float], list[str]]]:
    """classify_reviews' probabilities per review, each with the notes the single-review box gives it (a long review
    cut, words the model does not know, not English, no words): ({}, []) for an empty review, ({}, [NOTHING_LEFT]) for
    one that holds nothing to read once cleaned (a link alone, markup)."""
    readable, valid = _readable(texts)
    max_tokens, unknown_id = model.config.max_tokens, unknown_token_id(tokenizer)
    tokens = first_tokens(tokenizer, valid, max_tokens)
    read = [k for k, t in enumerate(tokens) if t.ids]
    probs = iter(predict_ids(model, [tokens[k].ids for k in read]).tolist())
    results: list[tuple[dict[str, float], list[str]]] = [({}, []) for _ in texts]
    for row, text, first in zip(readable, valid, tokens):
        results[row] = (dict(zip(model.config.labels, next(probs))), _notes(first, text, unknown_id, max_tokens)) \
            if first.ids else ({}, [NOTHING_LEFT])
    return results
