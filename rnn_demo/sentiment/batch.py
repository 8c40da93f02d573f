"""Classify a CSV of reviews: check the upload in one streamed pass, then classify its rows in order, streamed
again from the file, writing the result as CSV.

Every input row gives exactly one output row, in order; empty reviews get empty predictions. The file is never
held whole: the first pass stops at the first limit it meets (rows, line length, cell size) and keeps only the
header and counts; the second holds a chunk of rows at a time.
"""
from __future__ import annotations

import csv
import re
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from functools import partial
from itertools import chain
from pathlib import Path
from typing import TextIO

from tokenizers import Tokenizer

from ..display import column_list, md_text
from ..uploads import DELIMITER_NAMES, EMPTY, chosen_column, read_upload, table_delimiter, upload_lines
from .infer import classify_reviews_noted
from .model import ReviewClassifier

MAX_ROWS = 20_000
MAX_COLUMNS = 1_000
# tried in this order when no column is named: ours, then what review sites' exports call it (Amazon's review_body
# and reviewText, Rotten Tomatoes' review_content, a retailer's "Review Text")
TEXT_COLUMNS = ("text", "review", "review_text", "review text", "reviewtext", "review_body", "review_content",
                "content", "comment", "body", "sentence", "tweet")  # the last: GLUE's SST-2, tweets' datasets
CHUNK_ROWS = 256
CHUNK_CHARS = 4_000_000  # a chunk of rows held while classifying stops at this many characters too
SHOWN_ROWS = 5  # row numbers an error names
ONE_COLUMN = "\x1f"  # how a one-column file is read: with a delimiter no text holds, so a review's commas stay in it
HEADERLESS_COLUMN = "review"  # the name the result gives a one-column file's column when the file has no header
SENTENCE_ENDS = (".", "!", "?", "…")
# the first column of a form's or survey's export, in the languages Google Forms writes it, and SurveyMonkey's: a
# header whose last column is a question ("What did you think of the film?") is no review with commas in it
FORM_FIRST_COLUMNS = {"timestamp", "marca temporal", "horodateur", "zeitstempel", "informazioni cronologiche",
                      "carimbo de data/hora", "tijdstempel", "タイムスタンプ", "respondent id"}
NOTE_COLUMN = "prediction_note"  # what the single-review box would say of the prediction (a long review cut, ...)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet may run as a formula (OWASP's list)


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

    def records(self) -> Iterator[list[str]]:
        """The data rows in order, each with the header's fields (a blank line gives empty ones)."""
        with closing(upload_lines(self.path, self.encoding)) as lines:
            for record in _open_table(lines, self.named_column).rows:
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


def _open_table(lines: Iterator[str], column: str | None) -> _Opened:
    """The first line that is not blank (after an Excel `sep=;` line) is the header, unless the file has one column
    (`_one_column`), no `column` was named and that line reads as a review (`_reads_as_review`)."""
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
    reader = csv.reader(chain([line], lines), delimiter=delimiter)
    if delimiter == ONE_COLUMN:  # a line holding the character itself stays one review
        reader = ([ONE_COLUMN.join(record)] if record else record for record in reader)
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


def _scan(lines: Iterator[str], column: str | None) -> tuple[_Opened, int, int]:
    """Read the table once to check it, holding no rows: how it opens, its text column, its rows."""
    row = 0  # the file's row read last (a header is row 1)
    try:
        table = _open_table(lines, column)
        row = first = 0 if table.headerless else 1 + (table.subheader is not None)  # the header's rows
        index = text_column(table.header, column)
        bad, count, width, stray_quote = [], 0, len(table.header), False
        for row, record in enumerate(table.rows, start=row + 1):
            if row > MAX_ROWS + first:
                raise ValueError(f"the file has more than {MAX_ROWS:,} rows; the limit is {MAX_ROWS:,}: "
                                 "split it into smaller files")
            if record and len(record) != width:
                count += 1
                stray_quote = stray_quote or any(_stray_quote(cell) for cell in record)
                bad += [(row, len(record))] if len(bad) < SHOWN_ROWS else []
    except csv.Error as error:
        raise ValueError(_csv_error(row + 1, error)) from None
    if count:
        raise ValueError(_ragged(bad, count, width, table.delimiter, stray_quote))
    return table, index, row - first


def _csv_error(row: int, error: csv.Error) -> str:
    if "field limit" in str(error):
        return (f"row {row:,} has a cell over {csv.field_size_limit():,} characters, the most a cell may hold: "
                "shorten it, or close the quote that opens it")
    return f"row {row:,} cannot be read as CSV ({error}): check its quotes"


def read_review_table(path: str | Path, column: str | None = None) -> ReviewTable:
    """Check an uploaded CSV, streamed from `path`, and find its text column (`column`, else one of TEXT_COLUMNS,
    else the only one). Refuses, naming the problem: over MAX_ROWS rows, rows whose field count is not the
    header's, binary data, an over-long line or cell."""
    (opened, index, rows), encoding, notes = read_upload(path, partial(_scan, column=column))
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
                       separator_line=opened.separator_line, named_column=column)


def safe_cell(cell: str) -> str:
    """`cell` as a spreadsheet shows it as text: one that starts like a formula (=, +, -, @, a tab or a carriage
    return) gets a single quote in front, as OWASP advises against CSV injection."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def _chunks(records: Iterator[list[str]]) -> Iterator[list[list[str]]]:
    """`records` in chunks of at most CHUNK_ROWS rows and about CHUNK_CHARS characters."""
    chunk, size = [], 0
    for record in records:
        chunk.append(record)
        size += sum(map(len, record))
        if len(chunk) == CHUNK_ROWS or size >= CHUNK_CHARS:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


FILE_SECONDS = 240.0  # a file's classifying, at most (the bundled models take about 60 s for the largest file)


@dataclass(frozen=True)
class Classified:
    """What classify_table did: rows left empty (nothing to classify), rows not reached in its `seconds`, rows whose
    prediction has a note (NOTE_COLUMN)."""

    empty: int
    unreached: int
    seconds: float = FILE_SECONDS
    noted: int = 0
    guarded: int = 0  # texts written with a ' in front (safe_cell)


def classify_table(model: ReviewClassifier, tokenizer: Tokenizer, table: ReviewTable, out: TextIO,
                   on_progress: Callable[[int, int], None] | None = None,
                   seconds: float | None = None) -> Classified:
    """Write the table to `out` as CSV (in the file's delimiter) with the predicted label, each label's probability
    and what the single-review box would note of the prediction appended, every cell made safe for spreadsheets
    (`safe_cell`). Rows are classified for at most `seconds` (default FILE_SECONDS), checked between chunks, the
    first chunk always (a visitor's largest model took 45 times the bundled one's time); the rows after that are
    written too, without a prediction."""
    labels = model.config.labels
    writer = csv.writer(out, delimiter=table.out_delimiter)
    if table.separator_line:
        out.write(f"sep={table.delimiter}\r\n")
    writer.writerow(map(safe_cell, table.header + ["predicted"] + [f"p_{label}" for label in labels] + [NOTE_COLUMN]))
    done = empty = unreached = noted = guarded = 0
    seconds = FILE_SECONDS if seconds is None else seconds
    deadline = time.monotonic() + seconds
    for chunk in _chunks(table.records()):
        texts = [r[table.column] for r in chunk]
        late = done > 0 and time.monotonic() > deadline  # the first chunk always
        for row, (probs, notes) in zip(chunk, [({}, [])] * len(chunk) if late else
                                       classify_reviews_noted(model, tokenizer, texts)):
            predicted = max(probs, key=probs.get) if probs else ""
            shares = [f"{probs[label]:.4f}" if probs else "" for label in labels]
            writer.writerow(map(safe_cell, row + [predicted] + shares + [" ".join(notes)]))
            empty += not probs and not late
            noted += bool(notes)
            guarded += row[table.column].startswith(FORMULA_STARTS)
        unreached += len(chunk) if late else 0
        done += len(chunk)
        if on_progress:
            on_progress(done, table.rows)
    return Classified(empty, unreached, seconds, noted, guarded)
