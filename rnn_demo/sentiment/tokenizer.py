"""The review tokenizer: a `tokenizers` word-level model trained on the training reviews.

It lives beside the weights as `tokenizer.json`, so a model directory is a complete Hub repository.
Text from other sites is first read as IMDB's reviews are written (CLEANUP): characters that do not show (a soft
hyphen or a zero-width space copied from a web page, which split a word in two) are dropped, the HTML entities of
apostrophes, quotes and ampersands and curly quotes become plain ones, HTML line breaks (`<br />`, frequent in
IMDB reviews) become spaces, links, markup and review pages' own lines are dropped, and ratings out of 5 (4/5,
★★★★½) are written out of 10, as IMDB's reviewers rate; then text is NFKC-normalized and lower-cased; words and
runs of punctuation are tokens; offsets point into the original text.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tokenizers import Encoding, Regex, Tokenizer, models, normalizers, pre_tokenizers, trainers

from ..display import quoted
from ..hub import ModelLoadError

PAD, UNK = "<pad>", "<unk>"  # ids 0 and 1
TOKENIZER_NAME = "tokenizer.json"
# A text is tokenized from a bounded prefix, never whole (a 10 MB paste took 4.7 s and 1.4 GB): max_tokens * FIRST_LOOK
# characters at first (1,000 tokens of English take about 5,500), four times as many for a text whose prefix holds
# too few tokens, and never more than MOST_CHARS. A token that ends MARGIN characters before the cut is what the
# whole text gives (the normalizer's longest bounded match, an HTML tag of CLEANUP's, is shorter; a link cut short
# is dropped as the whole one is).
FIRST_LOOK, MOST_CHARS, MARGIN = 16, 256_000, 256


def _replace(pattern: str, content: str) -> dict:
    """A Replace normalizer step as tokenizer.json holds it."""
    return {"type": "Replace", "pattern": {"Regex": pattern}, "content": content}


LINE_BREAKS = _replace(r"<br\s*/?>", " ")  # the one step of the tokenizers written before CLEANUP


# What other sites write, read as IMDB's reviews are (in this order, before NFKC): reviews with a soft hyphen inside
# two words, curly quotes or `&#39;` flipped the bundled classifiers' verdicts.
CLEANUP = [  # the patterns as tokenizer.json holds them (Oniguruma reads \uHHHH), so that the file shows what it drops
    _replace(r"[\u00ad\u200b-\u200f\u2060\ufeff]", ""),  # soft hyphen, zero-width and direction marks
    _replace("&amp;", "&"),  # first: &amp;#39; is an escaped &#39;
    _replace(r"&(?:#0*39|#[xX]0*27|apos|lsquo|rsquo|#8216|#8217);|[\u2018\u2019\u201a\u201b\u2032]", "'"),
    _replace(r"&(?:#0*34|#[xX]0*22|quot|ldquo|rdquo|#8220|#8221);|[\u201c\u201d\u201e\u201f\u2033]", '"'),
    _replace(r"<[bB][rR]\s*/?>|&lt;[bB][rR]\s*/?&gt;", " "),  # <BR>, and an escaped <br />
    # Added by a second round (each step above is kept as it was: a visitor's tokenizer may hold it): links, a review
    # page's own lines, HTML and forum markup, more entities, and line breaks escaped in a JSON dump
    _replace(r"(?:https?://|www\.)[^\s<>\"]+", " "),  # a link read as words flipped short reviews
    _replace(r"\d[\d,]* out of \d[\d,]* (?:people )?found this (?:review )?helpful\.?|Was this review helpful\?"
             r"(?:\s+Sign in to vote\.?)?|\bPermalink\b", " "),  # IMDb's page around a review copied with it
    _replace(r"(?i)</?(?:p|i|b|em|strong|u|s|strike|del|ins|span|div|a|blockquote|q|cite|small|big|sup|sub|font|"
             r"h[1-6]|li|ul|ol|hr|center)\b[^<>]{0,200}>", " "),  # HTML tags (<i> read as the word "i")
    _replace(r"(?i)\[/?(?:spoiler|b|i|u|s|quote|url|img|color|size|center)(?:=[^\[\]]{0,100})?\]", " "),  # BBCode
    _replace(r"&nbsp;|\\[nrt]", " "),  # a no-break space's entity; \n written out (a JSON dump's line breaks)
    _replace(r"&hellip;", "..."),
    _replace(r"&[mn]dash;", " - "),
    _replace(r"&#[xX]0*201[89];", "'"),
    _replace(r"&#[xX]0*201[cdCD];", '"'),
    _replace(r"&eacute;", "\u00e9"),  # cliché, café: the accented letters English reviews use most
    _replace(r"&egrave;", "\u00e8"),
    _replace(r"&iuml;", "\u00ef"),
    _replace(r"&gt;", ">"),
    _replace(r"&lt;", "<"),
    _replace(r"\bHelpful\s*[\u2022\u00b7]\s*\d[\d,.]*[kK]?(?:\s+(?:Not helpful\s*[\u2022\u00b7]\s*)?\d[\d,.]*[kK]?)?"
             r"\s+Report\b", " "),  # IMDb's current review page: "Helpful•45 7 Report"
]


# Ratings out of 5 (_five_point_ratings): a fraction there is a rating where it ends the text, a sentence or a
# bracket, or comes before "stars", or starts the text as 4/5; not a count ("won 4/5 awards", "part 1/5", "on 1/5 we")
RATED_AFTER = r"(?=\s{0,3}(?:stars?\b|[^\w\s]|\z))"
COUNTED_AFTER = ("part ", "episode ", "ep ", "page ", "chapter ", "disc ", "season ", "volume ", "vol ", "issue ",
                 "book ", "no ", "#")
STARS, EMPTY_STAR = r"\u2605\u2b50", r"\u2606"  # ★ and ⭐ (perhaps with its emoji selector \ufe0f), ☆


def _five_point_ratings() -> list[dict]:
    """A third round: ratings out of 5 as other sites give them (4/5, 3.5 out of 5, 4½/5, Letterboxd's ★★★★½),
    written as IMDB's out of 10. The models learnt IMDB's 10-point scale (7/10 alone reads 0.98 positive) and read
    4/5 as negative (0.26) and ★★★★½ as 0.05. One step per value: a Replace step writes no group back. No step
    matches what another writes, and each match is bounded (about 40 characters at most, see MARGIN): a lone ★ (one
    character) becomes six, the most any step lengthens a text, once. Each pattern starts with the character it
    consumes first and looks behind it from there: a look-behind first was tried at every character of a review
    (the steps took twice as long)."""
    steps = []
    for tenths in range(11):  # 0 to 5 by halves
        whole, half = divmod(tenths, 2)
        fraction = "(?:[.,]5| ?\\u00bd| 1/2)" if half else "(?:[.,]0)?"  # 4.5, 4,5, 4½, 4 1/2; 4, 4.0
        out_of = "\\s{0,3}%s\\s{0,3}5(?:[.,]0)?(?![\\w/]|[.,]\\d)"  # not 4/5/2024, 1/5th
        not_counted = f"(?<!{'|'.join(word + str(whole) for word in COUNTED_AFTER)})(?<![\\d.,/]{whole})"
        rating = f"{whole}{not_counted}{fraction}{out_of % '(?:/|out of)'}{RATED_AFTER}"
        first = f"\\A\\s{{0,3}}{whole}{fraction}{out_of % '/'}"  # "2 out of 5 dentists" starts texts
        steps.append(_replace(f"(?i){rating}|{first}", f" {tenths}/10 "))
        if whole:  # a run of at most 5 stars, spaced or not: ★ whole times, ½ or not, ☆ up to the 5th
            around = f"[{STARS}{EMPTY_STAR}\\u00bd\\ufe0f]"  # no star just before or after the run
            run = (f"[{STARS}](?<!{around}[{STARS}]|{around} [{STARS}])\\ufe0f?(?: ?[{STARS}]\\ufe0f?){{{whole - 1}}}"
                   + (" ?\\u00bd" if half else ""))
            empties = f"(?: ?{EMPTY_STAR}){{0,{5 - whole - half}}}"
            steps.append(_replace(f"{run}{empties}(?! ?{around})", f" {tenths}/10 "))
    return steps


CLEANUP += _five_point_ratings()

# What a visitor's tokenizer.json may hold (check_tokenizer): steps that lengthen a text by a bounded factor at most,
# with no pattern of the file's own (a chain of Replace steps multiplied a 100-character review into 3.5 GB).
SAFE_NORMALIZERS = {"NFC", "NFD", "NFKC", "NFKD", "Lowercase", "Strip", "StripAccents", "BertNormalizer"}
SAFE_PRE_TOKENIZERS = {"Whitespace", "WhitespaceSplit", "BertPreTokenizer"}
# of each, besides CLEANUP's (which shorten a text, or lengthen it six times at most, once: none matches what another
# writes, so repeating one does nothing more): a safe step repeated (BertNormalizer spaces out CJK
# characters each time) still grows a text
MAX_STEPS = 8


def _word_level(vocab: dict[str, int] | None = None) -> Tokenizer:
    """A word-level tokenizer reading text as this app's do: CLEANUP, NFKC, lower case, words and punctuation."""
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token=UNK))
    tokenizer.normalizer = normalizers.Sequence([
        *(normalizers.Replace(Regex(step["pattern"]["Regex"]), step["content"]) for step in CLEANUP),
        normalizers.NFKC(), normalizers.Lowercase()])
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    return tokenizer


def nothing_to_read(texts: Sequence[str]) -> list[bool]:
    """Whether each text has no token left once cleaned as this app's tokenizers clean it (a link alone, markup): a
    review a model reads as nothing. Read for its first token from 2 * MARGIN characters (first_tokens): a review's
    first word settles it, which reading the whole text (up to MOST_CHARS) did for every review."""
    reader = _word_level({UNK: 0})
    return [not tokens.ids for tokens in first_tokens(reader, texts, 1, look=2 * MARGIN)]


def train_tokenizer(texts: Iterable[str], vocab_size: int, min_frequency: int = 2) -> Tokenizer:
    """A word-level tokenizer of at most `vocab_size` tokens (the two specials included)."""
    tokenizer = _word_level()
    trainer = trainers.WordLevelTrainer(vocab_size=vocab_size, min_frequency=min_frequency, special_tokens=[PAD, UNK],
                                        show_progress=False)
    tokenizer.train_from_iterator(texts, trainer)
    return tokenizer


def load_tokenizer(directory: str | Path) -> Tokenizer:
    """The model folder's tokenizer.json; a missing or unreadable one is a ModelLoadError naming it."""
    path = Path(directory) / TOKENIZER_NAME
    if not path.is_file():
        raise ModelLoadError(f"{directory} has no {TOKENIZER_NAME}: a sentiment model needs its tokenizer")
    try:
        return Tokenizer.from_file(str(path))
    except Exception as error:  # noqa: BLE001 - tokenizers raises a bare Exception for a file it cannot read
        raise ModelLoadError(f"{path} cannot be read: {quoted(str(error), 200)}") from None


@dataclass(frozen=True)
class FirstTokens:
    """A text's first tokens, from the encoding of what was read of it; `cut`: the text goes on with what was not
    read (tokens past the first max_tokens, or characters past MOST_CHARS)."""

    encoding: Encoding
    max_tokens: int
    cut: bool

    @property
    def ids(self) -> list[int]:
        return self.encoding.ids[: self.max_tokens]

    @property
    def offsets(self) -> list[tuple[int, int]]:
        """Each token's (start, end) character offsets in the text."""
        return self.encoding.offsets[: self.max_tokens]


def first_tokens(tokenizer: Tokenizer, texts: Sequence[str], max_tokens: int,
                 look: int | None = None) -> list[FirstTokens]:
    """Each text's first `max_tokens` tokens, as tokenizing the whole text gives them, read from a prefix of at most
    MOST_CHARS characters: `look` characters at first (default max_tokens * FIRST_LOOK, see FIRST_LOOK), four times
    as many while a prefix leaves them unsettled. A 50 MB row costs what a long review does."""
    texts = list(texts)  # a dataset's column read once, not item by item
    found: dict[int, FirstTokens] = {}
    pending, limit = list(range(len(texts))), min(look or max_tokens * FIRST_LOOK, MOST_CHARS)
    while pending:
        left = []
        for i, encoding in zip(pending, tokenizer.encode_batch([texts[i][:limit] for i in pending])):
            whole, more = len(texts[i]) <= limit, len(encoding) > max_tokens
            if whole or limit >= MOST_CHARS or (more and encoding.offsets[max_tokens - 1][1] + MARGIN <= limit):
                found[i] = FirstTokens(encoding, max_tokens, more or not whole)
            else:
                left.append(i)
        pending, limit = left, min(limit * 4, MOST_CHARS)
    return [found[i] for i in range(len(texts))]


def encode_batch(tokenizer: Tokenizer, texts: list[str], max_tokens: int) -> list[list[int]]:
    """Token ids per text, cut to the first `max_tokens` (first_tokens)."""
    return [tokens.ids for tokens in first_tokens(tokenizer, texts, max_tokens)]


def _steps(part: dict | None, key: str) -> list:
    """A normalizer's or pre-tokenizer's steps: [] for none, the list of a Sequence, else the one step."""
    if part is None:
        return []
    steps = part.get(key) if isinstance(part, dict) and part.get("type") == "Sequence" else None
    return steps if isinstance(steps, list) else [part]


def _model_problem(model: Any) -> str | None:
    """What makes a tokenizer.json's model other than this app's: a word-level one (WordPiece's longest-match search
    took 64 s for one 16,000-character word, BPE's dropout gives random tokens) whose unknown token is in its
    vocabulary (a word it does not know is an error otherwise) and that keeps the id 0 for <pad> (a word of id 0 was
    taken for padding, and as many words dropped from the end of the review)."""
    kind = model.get("type") if isinstance(model, dict) else None
    if kind != "WordLevel":
        return f"its model is {quoted(str(kind), 40)}; this app runs word-level ones (WordLevel) only"
    vocab, unknown = model.get("vocab"), model.get("unk_token")
    if not isinstance(vocab, dict) or not isinstance(unknown, str) or unknown not in vocab:
        return f"its unknown token {quoted(str(unknown), 40)} is not in its vocabulary"
    if vocab.get(PAD) != 0:
        return f"it does not give {PAD} the id 0, which this app keeps for padding"
    return None


def unsafe_part(data: dict) -> str | None:
    """What in a tokenizer.json's JSON this app does not run for a visitor, or None: a model other than a word-level
    one that keeps 0 for padding (_model_problem), normalizers and pre-tokenizers beyond the safe kinds (and the
    line-break step) or MAX_STEPS, padding, truncation, a post-processor."""
    for key in ("padding", "truncation", "post_processor"):
        if data.get(key) is not None:
            return f"it sets {key}, which this app's tokenizers never do"
    if problem := _model_problem(data.get("model")):
        return problem
    for part, key, safe, also in (("normalizer", "normalizers", SAFE_NORMALIZERS, " or this app's Replace steps"),
                                  ("pre_tokenizer", "pretokenizers", SAFE_PRE_TOKENIZERS, "")):
        steps = _steps(data.get(part), key)
        if len(steps) > MAX_STEPS + len(CLEANUP) or len([s for s in steps if s not in CLEANUP]) > MAX_STEPS:
            return f"its {part} has {len(steps):,} steps; the limit is {MAX_STEPS} besides this app's Replace steps"
        for step in steps:
            kind = step.get("type") if isinstance(step, dict) else None
            if kind not in safe and step != LINE_BREAKS and step not in CLEANUP:
                return f"its {part} step {quoted(str(kind), 40)} is not one of {', '.join(sorted(safe))}{also}"
    return None


def check_tokenizer(path: Path, config: Any, repo_id: str) -> None:
    """A visitor's tokenizer.json (its size already bounded) holds only safe steps (unsafe_part), reads, and gives no
    id at or beyond the config's `vocab_size`."""
    try:
        problem = unsafe_part(json.loads(path.read_bytes()))
        vocab = Tokenizer.from_file(str(path)).get_vocab(with_added_tokens=True)
    except Exception as error:  # noqa: BLE001 - tokenizers raises a bare Exception for a file it cannot read
        raise ModelLoadError(f"{repo_id}'s {path.name} cannot be read: {quoted(str(error), 200)}") from None
    if problem:
        raise ModelLoadError(f"{repo_id}'s {path.name} does not fit this app: {problem}")
    token, largest = max(vocab.items(), key=lambda item: item[1], default=("", -1))
    if largest >= config.vocab_size:
        raise ModelLoadError(f"{repo_id}'s {path.name} gives the token {quoted(token, 40)} the id {largest:,}; the "
                             f"config's vocab_size is {config.vocab_size:,}")
