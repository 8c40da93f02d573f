"""An uploaded table of reviews, read and checked in one streamed pass before anything is classified: its delimiter
and quoting, its header (or none), its text column and its row count. The rows stay in the file (ReviewTable.records
streams them again). The file is never held whole: the pass stops at the first limit it meets (rows, line length,
cell size) and keeps only the header and counts.
"""
from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from functools import partial
from itertools import chain
from pathlib import Path

from ..display import column_list, md_text
from ..uploads import DELIMITER_NAMES, EMPTY, chosen_column, read_upload, table_delimiter, upload_lines
from .quoting import AS_WRITTEN, BY_LINE, CSV, STRICT, QuoteTrial, QuotesDoNotHold, list_rows, table_rows

MAX_ROWS = 20_000
MAX_COLUMNS = 1_000
# tried in this order when no column is named: ours, then what review sites' exports call it (Amazon's review_body
# and reviewText, Rotten Tomatoes' review_content, a retailer's "Review Text")
TEXT_COLUMNS = ("text", "review", "review_text", "review text", "reviewtext", "review_body", "review_content",
                "content", "comment", "body", "sentence", "tweet")  # the last: GLUE's SST-2, tweets' datasets
SHOWN_ROWS = 5  # row numbers an error names
ONE_COLUMN = "\x1f"  # the delimiter of a one-column file: none (no text holds it); its lines are read by list_rows
HEADERLESS_COLUMN = "review"  # the name the result gives a one-column file's column when the file has no header
SENTENCE_ENDS = (".", "!", "?", "…")
# the first column of a form's or survey's export, in the languages Google Forms writes it, and SurveyMonkey's: a
# header whose last column is a question ("What did you think of the film?") is no review with commas in it
FORM_FIRST_COLUMNS = {"timestamp", "marca temporal", "horodateur", "zeitstempel", "informazioni cronologiche",
                      "carimbo de data/hora", "tijdstempel", "タイムスタンプ", "respondent id"}


@dataclass
class ReviewTable:
    """An uploaded CSV of reviews, checked: how to read it, its header and text column, and its row count. The rows
    stay in the file (`records` streams them)."""

    path: Path
    encoding: str
    delimiter: str
    header: list[str]
    column: int  # index of the text column
    rows: int
    notes: list[str] = field(default_factory=list)
    separator_line: bool = False  # the file starts with Excel's `sep=;`: the result does too
    named_column: str | None = None  # the column the visitor named (a one-column file's first line is then its name)
    reading: str = CSV  # how its quotes are read (quoting.py; read_review_table)

    def records(self) -> Iterator[list[str]]:
        """The data rows in order, each with the header's fields (a blank line gives empty ones)."""
        with closing(upload_lines(self.path, self.encoding)) as lines:
            for record in _open_table(lines, self.named_column, self.reading).rows:
                yield record or [""] * len(self.header)

    @property
    def out_delimiter(self) -> str:
        """The result's delimiter: the file's, a comma for a one-column file."""
        return "," if self.delimiter == ONE_COLUMN else self.delimiter


@dataclass
class _Opened:
    """A table's first lines read: how to read the rest, its header, a reader of its rows."""

    delimiter: str  # ONE_COLUMN for a file of one column
    separator_line: bool  # an Excel `sep=;` line named the delimiter
    header: list[str]  # [HEADERLESS_COLUMN] for a one-column file without a header
    rows: Iterator[list[str]]
    headerless: bool = False
    subheader: list[str] | None = None  # a survey's second header row, left out


def _open_table(lines: Iterator[str], column: str | None, reading: str = CSV) -> _Opened:
    """The first line that is not blank (after an Excel `sep=;` line) is the header, unless the file has one column
    (`_one_column`), no `column` was named and that line reads as a review (`_reads_as_review`). A table's rows are
    read with its quotes as `reading` says (quoting.table_rows), a one-column file's lines by `list_rows`."""
    for line in lines:
        if line.strip():
            break
    else:
        raise ValueError(EMPTY)
    delimiter, named = table_delimiter(line)
    if named:
        line = next(lines, "")
    elif _one_column(line, delimiter, column):
        delimiter = ONE_COLUMN  # a review's commas stay in it
    reader = list_rows(chain([line], lines)) if delimiter == ONE_COLUMN else \
        table_rows(chain([line], lines), delimiter, reading)
    header = next(reader)
    if delimiter == ONE_COLUMN and not column and _reads_as_review(header[0]):
        return _Opened(delimiter, named, [HEADERLESS_COLUMN], chain([header], reader), headerless=True)
    if header and spelled_name(header[0]) == "respondent id":  # SurveyMonkey's: a second header row, its first
        second = next(reader, None)  # cell blank ("", "", ..., "Open-Ended Response")
        if second is not None and second and not second[0].strip():
            return _Opened(delimiter, named, header, reader, subheader=second)
        reader = chain([second], reader) if second is not None else reader
    return _Opened(delimiter, named, header, reader)


def _one_column(line: str, delimiter: str, column: str | None) -> bool:
    """Whether a file whose first line is `line` has one column: that line has no delimiter outside quotes, or it
    is a review with commas in it (a sentence, when no column was named and none of its fields names a text
    column: a header seldom ends like one)."""
    if not any(d in re.sub(r'"[^"]*"', "", line) for d in DELIMITER_NAMES):
        return True
    if column or not line.rstrip().endswith(SENTENCE_ENDS):
        return False
    fields = next(csv.reader([line], delimiter=delimiter))
    if spelled_name(fields[0]) in FORM_FIRST_COLUMNS:  # a form's export: its last column asks a question
        return False
    return not (chosen_column(fields, None, TEXT_COLUMNS) or _usual_text_column(fields))


def _reads_as_review(line: str) -> bool:
    """Whether a one-column file's first line is a review rather than its column's name: not one of TEXT_COLUMNS,
    and a sentence (it ends like one) or more than four words."""
    return spelled_name(line) not in map(spelled_name, TEXT_COLUMNS) and (
        len(line.split()) > 4 or line.rstrip().endswith(SENTENCE_ENDS))


def spelled_name(name: str) -> str:
    """A column name as TEXT_COLUMNS spell theirs: lower case, words apart, no plural ("Review-Text", "Reviews")."""
    words = re.sub(r"[\s_\-.]+", " ", name).strip().lower()
    return words[:-1] if words.endswith("s") and not words.endswith("ss") else words


def usual_column(header: list[str], names: tuple[str, ...]) -> str | None:
    """The first column whose name is one of `names` (in their order) spelled otherwise (spelled_name)."""
    spelled = {spelled_name(name): name for name in reversed(header)}  # the first column of a spelling wins
    return next((spelled[key] for key in map(spelled_name, names) if key in spelled), None)


def _usual_text_column(header: list[str]) -> str | None:
    """The first column whose name is one of TEXT_COLUMNS spelled otherwise: Trustpilot's "Review Content",
    "review-text", "Reviews", "Comments"."""
    return usual_column(header, TEXT_COLUMNS)


def text_column(header: list[str], column: str | None) -> int:
    """The index of the text column: `column`, else the first of TEXT_COLUMNS present (names matched as
    `uploads.chosen_column` does, then spelled alike: `_usual_text_column`), else the only column."""
    if len(header) > MAX_COLUMNS:
        raise ValueError(f"the file has {len(header):,} columns; the limit is {MAX_COLUMNS:,}")
    name = chosen_column(header, column, TEXT_COLUMNS) or _usual_text_column(header) or \
        (header[0] if len(header) == 1 else None)
    if name is None:
        raise ValueError(f"no column named {', '.join(TEXT_COLUMNS[:-1])} or {TEXT_COLUMNS[-1]}: name the text "
                         f"column; the file's columns are: {column_list(header)}")
    return header.index(name)


def _and(items: list[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _ragged(bad: list[tuple[int, int]], count: int, width: int, delimiter: str, stray_quote: bool = False) -> str:
    """The message for rows whose field count is not the header's: the first few by number (the header is row 1);
    `stray_quote`: one of them holds a quote left over from a quoted cell (a quote inside it, not doubled)."""
    numbers, fields = [f"{row:,}" for row, _ in bad], sorted({n for _, n in bad})
    rows = f"row {numbers[0]} has" if count == 1 else f"rows {_and(numbers)} have"
    more = f" ({count:,} rows in all)" if count > len(bad) else ""
    example = f' ("like{delimiter} this")' if delimiter != "\t" else ""
    advice = []  # more fields: a delimiter inside a cell; fewer: a line break inside one, or cells left out
    if stray_quote:  # "He said "wow, really" loudly": the cell's quotes end at the first inner one
        advice.append('write each double quote inside a quoted cell twice ("He said ""wow"" loudly")')
    if fields[-1] > width and not stray_quote:
        advice.append(f"put quotes around a cell that contains a {DELIMITER_NAMES[delimiter]}{example}")
    if fields[0] < width:
        advice.append("give every row a cell for each column (an empty one too), and put quotes around a cell that "
                      "runs over several lines")
    return (f"{rows} {_and([str(n) for n in fields])} fields, the header has {width}{more}: {'; '.join(advice)}, so "
            f"that every row has the header's {width} fields")


def _stray_quote(cell: str) -> bool:
    """Whether `cell` is what is left of a quoted cell whose inner quote was not doubled: the csv module ends the
    cell at that quote and keeps the rest, its closing quote included (`He said wow`, ` really" loudly"`); a cell
    that quotes a word in its middle (`The "premium" case`) is no such."""
    return cell.rstrip().endswith('"') or cell.count('"') % 2 == 1


def _scan(lines: Iterator[str], column: str | None, reading: str = CSV) -> tuple[_Opened, int, int]:
    """Read the table once to check it, holding no rows: how it opens, its text column, its rows. A reading of its
    quotes other than CSV's is a trial (quoting.QuoteTrial) that stops at the first row that does not fit it:
    QuotesDoNotHold."""
    row, trial = 0, None  # the file's row read last (a header is row 1)
    try:
        table = _open_table(lines, column, reading)
        row = first = 0 if table.headerless else 1 + (table.subheader is not None)  # the header's rows
        bad, count, width, stray_quote = [], 0, len(table.header), False
        trial, index = _header_read(table, column, reading)
        for row, record in enumerate(table.rows, start=row + 1):
            if row > MAX_ROWS + first:
                raise ValueError(f"the file has more than {MAX_ROWS:,} rows; the limit is {MAX_ROWS:,}: "
                                 "split it into smaller files")
            if trial and record:
                trial.check(row, record)
            elif record and len(record) != width:
                count += 1
                stray_quote = stray_quote or any(_stray_quote(cell) for cell in record)
                bad += [(row, len(record))] if len(bad) < SHOWN_ROWS else []
    except csv.Error as error:
        raise (QuotesDoNotHold(row + 1, trial.multiline if trial else False) if reading != CSV
               else ValueError(_csv_error(row + 1, error))) from None
    if trial:
        trial.finish(row)
    if count:
        raise ValueError(_ragged(bad, count, width, table.delimiter, stray_quote))
    return table, index, row - first


def _header_read(table: _Opened, column: str | None, reading: str) -> tuple[QuoteTrial | None, int]:
    """The trial of a reading other than CSV's (None for CSV's, and for a one-column file), and the text column's
    index; a header that the trial's reading does not fit (quoted cells read as text, no text column found where
    `"Review" text` is the name) is QuotesDoNotHold."""
    trial = QuoteTrial(reading, table.delimiter, len(table.header)) \
        if reading != CSV and table.delimiter != ONE_COLUMN else None
    if trial and reading == AS_WRITTEN and any(cell.startswith('"') for cell in table.header):
        raise QuotesDoNotHold(1)  # a file that quotes its header quotes its cells
    try:
        return trial, text_column(table.header, column)
    except ValueError:
        if reading in (AS_WRITTEN, BY_LINE):  # CSV's reading may find it
            raise QuotesDoNotHold(1) from None
        raise


def _csv_error(row: int, error: csv.Error) -> str:
    if "field limit" in str(error):
        return (f"row {row:,} has a cell over {csv.field_size_limit():,} characters, the most a cell may hold: "
                "shorten it, or close the quote that opens it")
    return f"row {row:,} cannot be read as CSV ({error}): check its quotes"


def read_review_table(path: str | Path, column: str | None = None) -> ReviewTable:
    """Check an uploaded CSV, streamed from `path`, and find its text column (`column`, else one of TEXT_COLUMNS,
    else the only one). Refuses, naming the problem: over MAX_ROWS rows, rows whose field count is not the
    header's, binary data, an over-long line or cell."""
    (opened, index, rows), encoding, notes, reading = _read_quotes(path, column)
    if opened.delimiter in ";\t":
        notes.append(f"The file was read as {DELIMITER_NAMES[opened.delimiter]}-separated (its header has no comma); "
                     "the result is too.")
    if opened.headerless:
        notes.append(f"The file has one column and no header: its first line was read as a review, and the result "
                     f"names the column “{HEADERLESS_COLUMN}”.")
    elif opened.delimiter == ONE_COLUMN and not column and not _usual_text_column(opened.header):
        notes.append(f"The file's first line, “{md_text(opened.header[0][:60])}”, was read as its column's name: if it "
                     f"is a review, add a first line “{HEADERLESS_COLUMN}” above it.")
    if opened.subheader is not None:
        notes.append("The file's second line is a survey's second header row (SurveyMonkey's “Open-Ended "
                     "Response”, …): it was left out, of the rows and of the result.")
    if encoding == "utf-16":
        notes.append("The file is UTF-16: it was read as such, and the result is UTF-8.")
    return ReviewTable(Path(path), encoding, opened.delimiter, opened.header, index, rows, notes,
                       separator_line=opened.separator_line, named_column=column, reading=reading)


# a table read: how it opened, its text column and rows; its encoding, the notes on reading it, how its quotes are read
Read = tuple[tuple[_Opened, int, int], str, list[str], str]


def _read_quotes(path: str | Path, column: str | None) -> Read:
    """`read_upload(path, _scan)` with the reading of its quotes the file holds to, and that reading (quoting.py):
    STRICT CSV quoting (most files, read once); else, where no quoted cell over several lines came before the row
    the quotes broke at, AS_WRITTEN (quotes as text: every line then has the header's fields, the header quotes no
    cell, no quoted cell holds a quote written twice, and more cells only open with a quote than are wrapped in
    quotes whole), else BY_LINE (each line a row, as CSV where its quotes hold on it: a file quoting as CSV but
    one unclosed quote); else CSV's as the csv module reads them (its refusal naming the rows whose fields do not
    fit, or a note)."""
    scan = partial(_scan, column=column)
    try:
        return *read_upload(path, partial(scan, reading=STRICT)), CSV
    except QuotesDoNotHold as broken:
        row, multiline = broken.row, broken.multiline
    for reading, note in () if multiline else ((AS_WRITTEN, AS_WRITTEN_NOTE), (BY_LINE, BY_LINE_NOTE)):
        try:
            (opened, index, rows), encoding, notes = read_upload(path, partial(scan, reading=reading))
        except QuotesDoNotHold:  # it does not fit; any other refusal of the table so read (over MAX_ROWS rows) passes
            continue
        return (opened, index, rows), encoding, notes + [note.format(row=row, width=len(opened.header))], reading
    (opened, index, rows), encoding, notes = read_upload(path, scan)
    return (opened, index, rows), encoding, notes + [CSV_NOTE.format(row=row)], CSV


AS_WRITTEN_NOTE = ("The file's double quotes were read as part of its text, not as CSV quoting: row {row:,} has a cell "
                   "whose quotes do not wrap it whole, and read as written every row has the header's {width} fields.")
BY_LINE_NOTE = ("Row {row:,} has a cell that a double quote opens but does not close where the cell ends: each line "
                "was read as one row, its quotes as CSV's where they hold on the line (a cell wrapped whole, a quote "
                "in it written twice) and as text where not, so that no row runs into the next.")
CSV_NOTE = ("Row {row:,} has a cell that a double quote opens but does not close at the cell's end (“\"The Hobbit\" is "
            "a classic”): read as CSV, as the rest of the file is, such a cell loses its quotes, and where its quote "
            "never closes, the rows after it run into it. To keep them, put the whole cell in quotes and write each "
            "quote inside it twice.")
