"""The lines official exports put around a table: titles, report dates and unit lines above the header (TEPCO's
`2024/12/31 23:55 UPDATE`, IESO's `\\Hourly Demand Report,,,`, AESO's quoted title), a units row under it, and a
totals row, a disclaimer or Excel's empty rows under the data. Each is left out with a note that shows it; what
is left is read as any table.
"""
from __future__ import annotations

import csv
import re
from itertools import islice

import pandas as pd

from ..display import counted, quoted
from ..uploads import header_delimiter, table_delimiter
from .stamps import STAMP_CHARS

PREAMBLE_LINES = 20  # lines above the header looked through
HEAD_CHARS = 65_536  # where the header line is looked for: the delimiter is read from it
EDGE_ROWS = 5  # rows under the data that may hold no time stamp (a totals row, a disclaimer, empty rows)
LINE_END = re.compile(r"\r\n|\r|\n")


def _title(line: str) -> bool:
    """Whether `line` is no header: it names fewer than two fields (by its own delimiter and quotes), and not as a
    header with an unnamed first column does (pandas' `,value`, a sheet's empty A1)."""
    fields = next(csv.reader([line], delimiter=header_delimiter(line)), [])
    named = [bool(field.strip()) for field in fields]
    return sum(named) < 2 and not (len(named) >= 2 and not named[0] and any(named))


def header_and_below(text: str, notes: list[str]) -> tuple[str, str]:
    """The text from its header line on and the delimiter: below Excel's `sep=;` line, or below the lines that are
    no header (titles, dates, units: `_title`; left out, with a note); as it is where every line is one."""
    head = text[:HEAD_CHARS]
    blank = len(head) - len(head.lstrip("\r\n"))  # line ends before the first line
    lines = LINE_END.split(head[blank:], maxsplit=PREAMBLE_LINES)[:PREAMBLE_LINES]
    delimiter, named = table_delimiter(lines[0], lines[1] if len(lines) > 1 else None)
    if named:  # Excel's `sep=;` line: the header is below it
        return text[blank + len(lines[0]):], delimiter
    header = next((k for k, line in enumerate(lines) if not _title(line)), 0)
    if header == 0:
        return text, delimiter
    above = [line for line in lines[:header] if line.strip()]
    shown = ", ".join(quoted(line, 60) for line in above[:3]) + (", ..." if len(above) > 3 else "")
    notes.append(f"The file's {counted(len(above), 'line')} above its header {'was' if len(above) == 1 else 'were'} "
                 f"left out: {shown}.")
    starts = [blank, *(end.end() for end in islice(LINE_END.finditer(head, blank), header))]  # where each begins
    below = lines[header + 1] if header + 1 < len(lines) else None
    return text[starts[header]:], header_delimiter(lines[header], below)


def _no_stamp(cells: pd.Series) -> pd.Series:
    """Cells that cannot be a time stamp: no digit in them (blank, `Total`, prose), or longer than any stamp."""
    return ~cells.str.contains(r"\d") | (cells.str.len() > STAMP_CHARS)


def rows_between_edges(frame: pd.DataFrame, time_name: str, notes: list[str]) -> pd.DataFrame:
    """The frame without a first row and up to EDGE_ROWS last rows whose time cell cannot be a stamp (a units row;
    totals, disclaimers, empty rows), with a note, where most rows can be stamps; any other row without a stamp is
    left for the reader to name."""
    if len(frame) < 3:
        return frame
    stamps = frame[time_name].astype(str).str.strip()
    none = _no_stamp(stamps).to_numpy()
    if none.mean() > 0.5:  # not a table of stamps at all: the reader says what it cannot read
        return frame
    first = int(none[0])
    last = len(frame)
    while last > first and len(frame) - last < EDGE_ROWS and none[last - 1]:
        last -= 1
    left = [frame.iloc[0]] * first + [frame.iloc[k] for k in range(last, len(frame))]
    if left:
        shown = ", ".join(f"({', '.join(quoted(cell, 30) for cell in row)})" for row in left[:3])
        notes.append(f"{counted(len(left), 'row')} with no time stamp at the top or the end of the table "
                     f"{'was' if len(left) == 1 else 'were'} left out: {shown}{', ...' if len(left) > 3 else ''}.")
    return frame.iloc[first:last]
