"""How an uploaded table's double quotes are read: as CSV quoting where they are that, else as part of the text.

Spreadsheets quote a cell that holds the delimiter, a quote (written twice) or a line break: `"Great, ""fun"" film"`.
But plain lists of reviews and some sites' exports (Amazon's review files are tab-separated and never quoted) hold
quotes that are text: `"The Hobbit" is a classic`. Read as CSV, that cell lost its quotes, and a quote that never
closes ran the lines after it into one cell, silently (a list of 200 reviews read as 3).
"""
from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator

# A quoted cell's text up to its closing quote: a doubled quote is text (possessive: no backtracking into a pair)
QUOTED = re.compile(r'((?:[^"]|"")*+)"')


class QuotesDoNotHold(ValueError):
    """Read as CSV with strict quoting (a quoted cell's closing quote followed by the delimiter or the line's end,
    every row the header's field count), a table's quotes did not hold at `row` (the header is row 1)."""

    def __init__(self, row: int):
        super().__init__(f"row {row:,}: the file's quotes are not CSV quoting")
        self.row = row


def list_rows(lines: Iterable[str]) -> Iterator[list[str]]:
    """A one-column file's rows: each line as written, its line end dropped ([] for a blank line), unless the line
    opens a quoted cell whose closing quote ends a line (`quoted_cell`): the cell's text then, over several lines if
    it runs over them. A line that only starts with a quote (`"The Hobbit" is a classic`) is text as written, and so
    is one whose quote never closes. A cell longer than the csv module's field limit is a csv.Error, as it is there.
    Each line is read ahead at most once for a quote that does not close, so a file costs at most twice its length."""
    lines, limit = iter(lines), csv.field_size_limit()
    held: list[str] = []  # lines read ahead for a quote's end that were no cell's: read again, last first

    def next_line() -> str | None:
        return held.pop() if held else next(lines, None)

    while (line := next_line()) is not None:
        cell, ahead = quoted_cell(line, next_line, limit) if line.startswith('"') else (None, [])
        held.extend(reversed(ahead) if cell is None else [])
        cell = line.rstrip("\r\n") if cell is None else cell
        if len(cell) > limit:
            raise csv.Error(f"field larger than field limit ({limit})")
        yield [cell] if cell or line.startswith('"') else []


def quoted_cell(line: str, next_line: Callable[[], str | None], limit: int) -> tuple[str | None, list[str]]:
    """The text of the quoted cell that `line` opens, if its closing quote is followed by nothing but the line's end
    (spaces allowed), else None (the cell then closes within `limit` characters or not at all); and the lines read
    after `line` (with `next_line`) to find where it closes."""
    parts, ahead, rest, size = [], [], line[1:], 0
    while (end := QUOTED.match(rest)) is None:  # no closing quote on this line: the cell runs over a line break
        parts.append(rest)
        size += len(rest)
        if size > limit or (rest := next_line()) is None:
            return None, ahead
        ahead.append(rest)
    closed = not rest[end.end():].strip()
    return ("".join(parts) + end[1]).replace('""', '"') if closed else None, ahead
