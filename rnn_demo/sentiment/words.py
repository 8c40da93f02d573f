"""What a review's colours say, in words: each word's credit for the decision as a multiple of the strongest word's,
the words that pushed most, and the words the model does not know, which are left uncoloured."""
from __future__ import annotations

from collections.abc import Sequence

from ..display import md_text

STRONGEST_SHOWN = 3  # words named on each side
WORD_CHARS = 30  # characters of a word named (one "word" may be 10,000 characters)


def word_shares(contributions: Sequence[float], unknown: Sequence[bool]) -> list[float]:
    """Each token's contribution to the margin as a multiple of the strongest known token's (+-1; every token's where
    none is known). An unknown word is read as the one unknown token wherever it stands: its credit is kept (the
    credits, unscaled, still add up to the margin less the head's bias difference) but it is not the word's own, so
    it does not set the scale."""
    known = [abs(c) for c, is_unknown in zip(contributions, unknown) if not is_unknown]
    scale = max(known or [abs(c) for c in contributions], default=0.0)
    return [c / max(scale, 1e-12) for c in contributions]


def unknown_words_note(text: str, offsets: Sequence[tuple[int, int]], shares: Sequence[float],
                       unknown: Sequence[bool], labels: Sequence[str], shown: int = STRONGEST_SHOWN) -> str | None:
    """Which words the model does not know (left uncoloured) and what they pushed towards together; None: none."""
    pieces = [(text[start:end], share) for (start, end), share, is_unknown in zip(offsets, shares, unknown)
              if is_unknown]
    if not pieces:
        return None
    names = list(dict.fromkeys(md_text(_cut(piece)) for piece, _ in pieces))
    named = ", ".join(f"“{name}”" for name in names[:shown]) + (f" and {len(names) - shown} more"
                                                                 if len(names) > shown else "")
    total = sum(share for _, share in pieces)
    words = "word" if len(pieces) == 1 else "words"
    towards = md_text(labels[-1] if total > 0 else labels[0])
    push = "" if abs(total) < 0.005 else (f"; together they pushed towards *{towards}* ({'+' if total > 0 else '−'}"
                                          f"{abs(total):.2f} times the strongest word's credit)")
    return (f"{len(pieces)} {words} the model does not know ({named}) {'is' if len(pieces) == 1 else 'are'} left "
            f"uncoloured: it reads every such word as the same unknown token, so a colour would not be the word's "
            f"own{push}.")


def strongest_words(spans: Sequence[tuple[str, float | None]], labels: Sequence[str],
                    shown: int = STRONGEST_SHOWN) -> str | None:
    """The words that pushed most towards the last label and the first, with their credits (the strongest is 1),
    as a note: what the colours say, for a reader who cannot see them (None: no word carries anything)."""
    best: dict[str, tuple[float, str]] = {}  # a word (any case) -> its strongest share, and the piece that had it
    for piece, score in spans:
        word = piece.strip()
        if score is not None and word and abs(score) >= 0.005 and abs(score) > abs(best.get(word.lower(), (0.0,))[0]):
            best[word.lower()] = score, word
    sides = []
    for label, sign in ((labels[-1], 1), (labels[0], -1)):
        words = sorted((pair for pair in best.values() if pair[0] * sign > 0), key=lambda pair: -abs(pair[0]))[:shown]
        if words:
            named = ", ".join(f"“{md_text(_cut(word))}” ({'+' if score > 0 else '−'}{abs(score):.2f})"
                              for score, word in words)
            sides.append(f"towards *{md_text(label)}*: {named}")
    return f"Words that pushed most (each one's credit, the strongest word's 1): {'; '.join(sides)}." if sides else None


def _cut(word: str) -> str:
    return word if len(word) <= WORD_CHARS else word[:WORD_CHARS] + "…"
