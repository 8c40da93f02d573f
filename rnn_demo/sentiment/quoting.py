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
from dataclasses import dataclass

# A quoted cell's text up to its closing quote: a doubled quote is text (possessive: no backtracking into a pair)
QUOTED = re.compile(r'((?:[^"]|"")*+)"')
# A cell wrapped whole in quotes as CSV writes one (spaces after it aside), read with no quoting
WRAPPED = re.compile(r'"(?:[^"]|"")*"\s*')
# How a table's quotes are read: CSV's quoting as the csv module reads it, strictly (a quote that does not hold is an
# error), not at all (quotes are text), or line by line (each line a row: CSV's quoting where it holds on the line)
CSV, STRICT, AS_WRITTEN, BY_LINE = "csv", "strict", "as written", "by line"


MULTILINE = 10  # lines at most that a quoted cell read line by line runs over (a review's paragraphs)


class Lines:
    """A file's lines read one at a time; lines read ahead (for a quoted cell's end) that belong to no cell are given
    back, to be read again in their order."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines, self._held = iter(lines), []  # held: given back, last first

    def next(self) -> str | None:
        return self._held.pop() if self._held else next(self._lines, None)

    def give_back(self, ahead: list[str]) -> None:
        self._held.extend(reversed(ahead))


def table_rows(lines: Iterable[str], delimiter: str, reading: str) -> Iterator[list[str]]:
    """The rows of a table of `delimiter`-separated cells, its quotes read as `reading` says."""
    if reading == BY_LINE:
        return _line_rows(lines, delimiter)
    return csv.reader(lines, delimiter=delimiter, strict=reading == STRICT,
                      quoting=csv.QUOTE_NONE if reading == AS_WRITTEN else csv.QUOTE_MINIMAL)


def _line_rows(lines: Iterable[str], delimiter: str) -> Iterator[list[str]]:
    """Each line a row ([] for a blank one): as CSV where its quotes hold on it, or where a quote left open at its
    end closes as CSV's within the next MULTILINE lines (a cell over several lines: a tab file's never holds a tab
    on a later line, which would be rows run into it); else as written, cells wrapped whole in quotes unwrapped."""
    lines = Lines(lines)
    while (line := lines.next()) is not None:
        if not line.strip("\r\n"):
            yield []
            continue
        try:
            yield next(csv.reader([line], delimiter=delimiter, strict=True))
            continue
        except csv.Error as error:
            opened = "unexpected end of data" in str(error)  # a quote left open at the line's end
        ahead, row, size = [], None, len(line)
        while opened and len(ahead) < MULTILINE and size <= 2 * csv.field_size_limit() and \
                (more := lines.next()) is not None:
            ahead.append(more)
            size += len(more)
            if '"' in more:  # only a line with a quote can close the cell: read the lines so far as CSV
                row, opened = _closed(line, ahead, delimiter)
        if row is None:
            lines.give_back(ahead)
        yield row if row is not None else [
            cell.rstrip()[1:-1].replace('""', '"') if WRAPPED.fullmatch(cell) else cell
            for cell in next(csv.reader([line], delimiter=delimiter, quoting=csv.QUOTE_NONE))]


def _closed(line: str, ahead: list[str], delimiter: str) -> tuple[list[str] | None, bool]:
    """The row `line` and the lines `ahead` make, read as CSV, where it is one row whose quoted cell holds them (else
    None), and whether the cell is still open (more lines may close it)."""
    try:
        rows = list(csv.reader([line, *ahead], delimiter=delimiter, strict=True))
    except csv.Error as error:
        return None, "unexpected end of data" in str(error)
    if len(rows) != 1 or delimiter == "\t" and any("\t" in cell for cell in rows[0] if "\n" in cell or "\r" in cell):
        return None, False  # a tab in a cell over lines: rows run into a quote never closed (an inch mark, 65")
    return rows[0], False


class QuotesDoNotHold(ValueError):
    """A trial reading of a table's quoting did not fit it at `row` (the header is row 1); `multiline`: before that
    row, a quoted cell over several lines was read whole (the file quotes as CSV)."""

    def __init__(self, row: int, multiline: bool = False):
        super().__init__(f"row {row:,}: the file's quotes are not read this way")
        self.row, self.multiline = row, multiline


@dataclass
class QuoteTrial:
    """A table read once with a `reading` of its quotes other than CSV's (STRICT, AS_WRITTEN, BY_LINE) to see
    whether the file holds to it: `check` each row, then `finish`; either raises QuotesDoNotHold where it does not."""

    reading: str
    delimiter: str
    width: int  # the header's fields
    multiline: bool = False  # strict: a quoted cell over several lines read whole
    wrapped: int = 0  # QUOTE_NONE: cells wrapped whole in quotes, as CSV writes them
    opened: int = 0  # QUOTE_NONE: cells that a quote opens and does not close at their end (text: "The Hobbit" is)
    left_open: int = -MULTILINE  # QUOTE_NONE: the last row with a cell whose quote is left open at its end

    def check(self, row: int, record: list[str]) -> None:
        if len(record) != self.width:
            raise QuotesDoNotHold(row, self.multiline)
        if self.reading == STRICT:
            self._check_quoted(row, record)
        elif self.reading == AS_WRITTEN:
            self._check_as_written(row, record)

    def _check_as_written(self, row: int, record: list[str]) -> None:
        """Quotes as text do not fit a quote written twice in a quoted cell, or a quote left open at a cell's end
        that a cell's last quote closes within MULTILINE rows (a CSV cell over several lines: `"Loved it` ...
        `Would watch again."`)."""
        for cell in record:
            opens, odd, wrapped = cell.startswith('"'), cell.count('"') % 2 == 1, bool(WRAPPED.fullmatch(cell))
            if opens and '""' in cell:
                raise QuotesDoNotHold(row)
            if odd and not opens and cell.rstrip().endswith('"') and row - self.left_open <= MULTILINE:
                raise QuotesDoNotHold(row)
            self.left_open = row if odd and opens else self.left_open
            self.wrapped += wrapped
            self.opened += opens and not wrapped

    def _check_quoted(self, row: int, record: list[str]) -> None:
        """A quoted cell over several lines is CSV's writing, unless a tab file's cell holds lines that are whole
        rows (each the header's tabs): a quote that never closed ran the rows after it into one, until a later
        quote (an inch mark, `65"`) closed it where a cell ends."""
        broken = [cell.splitlines()[1:] for cell in record if "\n" in cell or "\r" in cell]
        if self.delimiter == "\t" and any(line.count("\t") == self.width - 1 for lines in broken for line in lines):
            raise QuotesDoNotHold(row, self.multiline)
        self.multiline = self.multiline or bool(broken)

    def finish(self, rows: int) -> None:
        """Read with quotes as text, cells that CSV quoting wraps whole are as many as those that only open with a
        quote, or more: the file quotes as CSV (one row of it broken), and its quotes are not text."""
        if self.wrapped and self.wrapped >= self.opened:
            raise QuotesDoNotHold(rows)


def list_rows(lines: Iterable[str]) -> Iterator[list[str]]:
    """A one-column file's rows: each line as written, its line end dropped ([] for a blank line), unless the line
    opens a quoted cell whose closing quote ends a line (`quoted_cell`): the cell's text then, over several lines if
    it runs over them. A line that only starts with a quote (`"The Hobbit" is a classic`) is text as written, and so
    is one whose quote never closes. A cell longer than the csv module's field limit is a csv.Error, as it is there.
    Each line is read ahead at most once for a quote that does not close, so a file costs at most twice its length."""
    lines, limit = Lines(lines), csv.field_size_limit()
    while (line := lines.next()) is not None:
        cell, ahead = quoted_cell(line, lines.next, limit) if line.startswith('"') else (None, [])
        if cell is None:
            lines.give_back(ahead)
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
