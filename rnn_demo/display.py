"""Text shown back to users: control and direction-changing characters made visible, never acted on.

A review or prompt may hold control characters (a NUL, a bell) or Unicode direction overrides that
would reorder the page's text around them. What the app echoes shows them as symbols instead, one
character for one, so positions in the text stay where they were.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from numbers import Integral
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

KEPT = "\n\r\t"
# C0 controls as Unicode's control pictures: NUL -> ␀, BEL -> ␇, DEL -> ␡
PICTURES = {code: chr(0x2400 + code) for code in range(32) if chr(code) not in KEPT} | {0x7F: "\u2421"}
# C1 controls, left-to-right/right-to-left marks (the Arabic letter mark too), embeddings, overrides and isolates,
# the line and paragraph separators (a line break to some renderers, none to others), the zero-width no-break space
# and the Mongolian vowel separator -> the replacement character; lone surrogates (half of a UTF-16 pair, which the
# API takes as "\ud800") too: no encoder takes them, and gradio's event stream failed on an update that held one
DIRECTIONAL = [*range(0x80, 0xA0), 0x061C, 0x180E, 0x200E, 0x200F, 0x2028, 0x2029, *range(0x202A, 0x202F),
               *range(0x2066, 0x206A), 0xFEFF]
SHOWN_AS = {**PICTURES, **dict.fromkeys([*DIRECTIONAL, *range(0xD800, 0xE000)], "\ufffd")}


def visible(text: str) -> str:
    """`text` with every control or direction character replaced by a visible one (same length)."""
    return text.translate(SHOWN_AS)


QUOTE_LIMIT = 80  # characters of a user's input that an error or note quotes back


LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # half of a UTF-16 pair: no encoder (the tokenizer's, JSON's) takes it


def valid_unicode(text: str) -> tuple[str, int]:
    """`text` with each lone surrogate (sent through the API as "\\ud800") read as \ufffd, and how many there were."""
    return LONE_SURROGATE.subn("\ufffd", text)


def number_text(value: object) -> str:
    """A number in a message: as given when it is short, else in scientific form (a seed of 1e300 is not written out
    in its 301 digits); anything else quoted."""
    try:
        large = abs(value) >= 1e15  # type: ignore[arg-type]
    except TypeError:
        return quoted(value)
    return f"{float(value):.6g}" if large else str(value)  # type: ignore[arg-type]


def counted(count: int, thing: str, things: str | None = None) -> str:
    """"1 value", "2,001 values" (`things`: a plural not made with an s)."""
    return f"{count:,} {thing if count == 1 else things or thing + 's'}"


def data_row(cells: "pd.Series", position: int) -> int:
    """The file's data row (from 1) of the cell at `position` in `cells`: its label where the labels count the file's
    rows (a reader's frame, some rows at its edges left out), else its position."""
    label = cells.index[position]
    return int(label) + 1 if isinstance(label, Integral) and not isinstance(label, bool) else position + 1


def quoted(text: object, limit: int = QUOTE_LIMIT) -> str:
    """A user's input quoted in a message: repr-quoted, controls made visible, cut to `limit` characters with an
    ellipsis (a 10,000-character input must not fill the screen)."""
    text = str(text)
    cut = text if len(text) <= limit else text[:limit] + "…"
    return repr(visible(cut))


MARKDOWN_SPECIAL = {ord(ch): "\\" + ch for ch in "\\`*_{}[]()<>#+-.!|~&\"'=:/@$%^;,?"}


def md_text(text: object) -> str:
    """A user's text (a column name, a repository id) for a Markdown note: every ASCII punctuation character
    backslash-escaped, so it shows as typed and never becomes a tag, a link or an image."""
    return visible(str(text)).translate(MARKDOWN_SPECIAL)


def column_list(names: Iterable[object], shown: int = 20, width: int = 40) -> str:
    """A file's column names for a message, as plain text: controls made visible, each cut to `width` characters
    with an ellipsis, the first `shown` of them and how many more; each in quotes where one holds a comma or starts
    or ends with a space, or is empty (`Carico (MW, media oraria)` read as two names, ` text` as `text`)."""
    texts = [visible(str(name)) for name in names]
    cut = [text if len(text) <= width else text[:width] + "…" for text in texts[:shown]]
    if any("," in text or text != text.strip() or not text for text in cut):
        cut = [f"“{text}”" for text in cut]
    listed = ", ".join(cut)
    return listed + (f" and {len(texts) - shown:,} more" if len(texts) > shown else "")


# format characters that change what a word or an emoji is (ZWNJ, ZWJ, tag characters): kept when names are compared
SHAPING = {0x200C, 0x200D, *range(0xE0000, 0xE0080)}


def looks(text: str, shaping: bool = True) -> str:
    """How `text` reads on a page: NFKC-normalized (full-width letters, ① as 1), its format characters (zero-width,
    direction marks, invisible operators) dropped but the SHAPING ones (unless `shaping` is False), its ends stripped,
    its case folded. Two labels that look alike this way are one to a reader."""
    import unicodedata

    kept = SHAPING if shaping else set()
    normal = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in normal if unicodedata.category(ch) != "Cf" or ord(ch) in kept).strip().casefold()


def unreadable(names: Iterable[str], what: str = "label") -> str | None:
    """Why `names` (a classifier's labels, say) cannot be told apart on a page: the first that reads as nothing, or
    the first two that read alike (`looks`, once each); None where every one reads as itself."""
    seen: dict[str, str] = {}
    for name in names:
        key = looks(name)
        if not looks(name, shaping=False):  # joiners alone show nothing either
            return f"the {what} {quoted(name)} shows nothing on a page"
        if key in seen:
            return (f"the {what}s {quoted(seen[key])} and {quoted(name)} read alike on a page (the same letters once "
                    "case, width, spacing and invisible characters are set aside)")
        seen[key] = name
    return None


def two_lines(text: str, separator: str = " ", longest: int = 16) -> str:
    """`text` broken with <br> at the `separator` nearest its middle, where it is longer than `longest` (a plotly
    axis title or legend entry does not wrap by itself); the separator's non-space characters end the first line."""
    breaks = [match.start() for match in re.finditer(re.escape(separator), text)]
    if len(text) <= longest or not breaks:
        return text
    at = min(breaks, key=lambda where: abs(where - len(text) / 2))
    return f"{text[:at + len(separator.rstrip())]}<br>{text[at + len(separator):]}"

