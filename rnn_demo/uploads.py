"""Uploaded files, read safely: size-capped, binary refused, UTF-8 (or UTF-16 with its byte-order mark), the bytes
that are not UTF-8 read as Windows-1252 (which loses nothing: see FALLBACK).

`decode_upload` reads a file's bytes at once (the forecasting tab); `read_upload` streams a file from its path, line
by line, so that a reader can stop at its own limits without ever holding the whole file.
"""
from __future__ import annotations

import codecs
import os
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from pathlib import Path
from typing import TypeVar

from .display import column_list, quoted

MAX_BYTES = 50 * 1024 * 1024
MAX_TEXT_CHARS = 5_000_000  # a text a visitor trains on, uploaded or read from a Hub dataset
MAX_LINE_CHARS = 1_000_000  # one line of a streamed file; a longer one is refused before it is parsed
EMPTY = "the file is empty: upload a CSV file with a header row"
BINARY = ("this is not a text file: it holds binary data, or text saved as UTF-16 with no byte-order mark or as UTF-32 "
          "(save it as UTF-8 CSV or plain text)")
# what a file that is no text starts with, where a visitor's upload often is one: an Excel workbook (xlsx is a zip)
SIGNATURES = {b"PK\x03\x04": "a zip archive, as an Excel workbook (.xlsx) is: open it in Excel (or unzip it) and "
                              "save the table as CSV UTF-8",
              b"\xd0\xcf\x11\xe0": "an Excel 97-2003 workbook (.xls): open it in Excel and save it as CSV UTF-8"}


def not_text(head: bytes) -> str:
    """Why a file starting with `head` is refused as binary: what it is where its start says so, else BINARY."""
    kind = next((said for signature, said in SIGNATURES.items() if head.startswith(signature)), None)
    return f"this is not a text file: it is {kind}" if kind else BINARY


NOT_UTF16 = "the file starts with a UTF-16 byte-order mark but is not valid UTF-16: save it as UTF-8"
# A file that is not UTF-8 is read as UTF-8 where it is, and its other bytes as Windows-1252, as Excel saves CSV in
# Western Europe and the Americas: Latin-1 with Windows' quotes, dashes and € where Latin-1 has invisible controls;
# its five undefined bytes read as Latin-1 reads them, so that nothing is lost. A file of Windows-1252 reads as it
# would whole (its bytes above 127 are not UTF-8), and one bad byte in a UTF-8 file no longer turns every other
# row's ’ into â€™.
FALLBACK, FALLBACK_ERRORS = "utf-8-sig, else cp1252", "rnn-demo-cp1252"
FALLBACK_NOTE = ("The file is not all UTF-8: the bytes that are not were read as Windows-1252 (Latin-1 with Windows' "
                 "quotes, dashes and €), the rest as UTF-8.")
T = TypeVar("T")


def _as_cp1252(error: UnicodeDecodeError) -> tuple[str, int]:
    undecoded = error.object[error.start:error.end]
    return "".join(bytes([byte]).decode("cp1252", errors="ignore") or chr(byte) for byte in undecoded), error.end


codecs.register_error(FALLBACK_ERRORS, _as_cp1252)


def _codec(encoding: str) -> tuple[str, str]:
    """The codec and error handler an encoding of this module names."""
    return ("utf-8-sig", FALLBACK_ERRORS) if encoding == FALLBACK else (encoding, "strict")


def bom_encoding(start: bytes) -> str:
    """How to read a file that starts with `start`: "utf-16" after a UTF-16 byte-order mark (the codec reads the
    mark and the byte order), else "utf-8-sig" (UTF-8, a UTF-8 byte-order mark dropped)."""
    return "utf-16" if start[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) else "utf-8-sig"


def _check_size(size: int) -> None:
    if size > MAX_BYTES:
        raise ValueError(f"the file has {size / 1e6:.1f} MB; the limit is {MAX_BYTES // (1024 * 1024)} MB")


# Excel's CSV in Japan, Korea, China and Taiwan (TEPCO's downloads, say), in the order tried: each encoding, its name
# for the notes, and the characters its text is made of: kana and kanji; Hangul alone (Korean read as Chinese gives
# ideographs, Chinese read as Korean gives Hanja among its Hangul); ideographs. Full-width forms and punctuation in all.
EAST_ASIAN = {"cp932": ("Shift-JIS (Japanese)", "\u3000-\u30ff\u4e00-\u9fff\uff01-\uff5e"),
              "cp949": ("EUC-KR (Korean)", "\u3000-\u303f\u3130-\u318f\uac00-\ud7a3\uff01-\uff5e"),
              "gb18030": ("GBK (simplified Chinese)", "\u3000-\u303f\u4e00-\u9fff\uff01-\uff5e"),
              "big5": ("Big5 (traditional Chinese)", "\u3000-\u303f\u4e00-\u9fff\uff01-\uff5e")}
SAMPLE_BYTES = 1 << 20  # the start of a file its encoding is judged on
HIGH_RUNS = re.compile(rb"[\x80-\xff]+")
NON_ASCII = re.compile(r"[^\x00-\x7f]")


def east_asian_encoding(data: bytes) -> str | None:
    """The East Asian encoding a file that is not UTF-8 is written in, or None: its bytes above 127 come in runs
    (two-byte characters; Windows-1252's accented letters mostly stand alone), and the first of EAST_ASIAN its start
    reads in, nine in ten of the characters beyond ASCII it gives being that encoding's script."""
    sample = data[:SAMPLE_BYTES]
    sample = sample[:sample.rfind(b"\n") + 1] or sample
    runs = [len(run) for run in HIGH_RUNS.findall(sample)]
    if not runs or sum(n for n in runs if n >= 2) < 0.8 * sum(runs):
        return None
    for codec, (_, script) in EAST_ASIAN.items():
        try:
            text = sample.decode(codec)
        except UnicodeDecodeError:
            continue
        if len(re.findall(f"[{script}]", text)) >= 0.9 * len(NON_ASCII.findall(text)):
            return codec
    return None


def decode_upload(data: bytes) -> tuple[str, list[str]]:
    """The upload as text, and a note when it was not all UTF-8: read in an East Asian encoding where it is written
    in one (east_asian_encoding), else its other bytes read as Windows-1252, losing nothing."""
    _check_size(len(data))
    encoding = bom_encoding(data)
    try:
        text, notes = data.decode(encoding), []
    except UnicodeDecodeError:
        if encoding == "utf-16":
            raise ValueError(NOT_UTF16) from None
        text, notes = _not_utf8(data)
    if "\x00" in text:
        raise ValueError(not_text(data[:8]))
    if not text.strip():  # nothing, blanks, or only a byte-order mark
        raise ValueError(EMPTY)
    return text, notes


def _east_asian_note(codec: str) -> str:
    return f"The file is not UTF-8: it was read as {EAST_ASIAN[codec][0]}, the encoding its characters read in."


def _not_utf8(data: bytes) -> tuple[str, list[str]]:
    """A file that is not UTF-8 as text, and the note that says how it was read."""
    codec = east_asian_encoding(data)
    if codec is not None:
        try:
            return data.decode(codec), [_east_asian_note(codec)]
        except UnicodeDecodeError:  # past the start the encoding does not hold: read as below
            pass
    return data.decode(*_codec(FALLBACK)), [FALLBACK_NOTE]


def upload_lines(path: str | Path, encoding: str, max_line_chars: int = MAX_LINE_CHARS) -> Iterator[str]:
    """The lines of the file at `path` read as `encoding`, line ends kept (as `csv` wants them), one at a time;
    binary data and lines over `max_line_chars` characters are refused as they come."""
    codec, errors = _codec(encoding)
    with open(path, encoding=codec, errors=errors, newline="") as stream:
        number = 0
        while line := stream.readline(max_line_chars + 1):
            number += 1
            if "\x00" in line:
                with open(path, "rb") as raw:
                    raise ValueError(not_text(raw.read(8)))
            if len(line) > max_line_chars:
                raise ValueError(f"line {number:,} of the file is over {max_line_chars:,} characters: "
                                 "is it a CSV file with a line break after each row?")
            yield line


def read_upload(path: str | Path, consume: Callable[[Iterator[str]], T]) -> tuple[T, str, list[str]]:
    """`consume(lines)` over the upload at `path`, streamed (see `upload_lines`) after its size is checked: as UTF-8
    (or UTF-16, by its byte-order mark), else again from the start in the East Asian encoding its start is written
    in (east_asian_encoding), else with the bytes that are not UTF-8 read as Windows-1252 (FALLBACK). Returns what
    `consume` returned, the encoding to read the file with again, and notes for the user. `consume` stops reading
    where it likes."""
    _check_size(os.path.getsize(path))
    with open(path, "rb") as file:
        start = file.read(SAMPLE_BYTES)
    encoding = bom_encoding(start)
    try:
        with closing(upload_lines(path, encoding)) as lines:
            return consume(lines), encoding, []
    except UnicodeDecodeError:
        if encoding == "utf-16":
            raise ValueError(NOT_UTF16) from None
    if (codec := east_asian_encoding(start)) is not None:
        try:
            with closing(upload_lines(path, codec)) as lines:
                return consume(lines), codec, [_east_asian_note(codec)]
        except UnicodeDecodeError:  # past the start the encoding does not hold: read as below
            pass
    with closing(upload_lines(path, FALLBACK)) as lines:
        return consume(lines), FALLBACK, [FALLBACK_NOTE]


def header_delimiter(line: str, below: str | None = None) -> str:
    """The delimiter a header line implies: a comma, unless the line (outside quotes) has none but has semicolons or
    tabs (then the more frequent), or, with the line `below` it given, the semicolons or tabs split both lines alike
    and the commas do not (a comma in a name: `Data;Ora;Carico (MW, media oraria)`). Only the table's own lines
    decide: a guess from prose (a sniffer's) goes wrong."""
    bare = re.sub(r'"[^"]*"', "", line)
    counts = {delimiter: bare.count(delimiter) for delimiter in ";\t"}
    likely = max(counts, key=counts.get)
    if "," in bare and counts[likely] and below is not None:
        under = re.sub(r'"[^"]*"', "", below)
        commas = bare.count(",")  # decimal commas below may match the header's by chance: more fields win
        if under.count(likely) == counts[likely] and (under.count(",") != commas or counts[likely] > commas):
            return likely
    return likely if "," not in bare and counts[likely] else ","


def find_column(header: list[str], name: str) -> str | None:
    """The header's column called `name`: the same name, else the one name that matches it with spaces around and
    case set aside (a hand-written "id, text" has the column " text"); None when there is none."""
    if name in header:
        return name
    matches = [column for column in header if column.strip().casefold() == name.strip().casefold()]
    return matches[0] if len(matches) == 1 else None


def chosen_column(header: list[str], named: str | None, usual: Iterable[str] = ()) -> str | None:
    """The column a visitor `named` (find_column), else the first of the `usual` names the header has (None when it
    has none); a named column the header lacks is a ValueError listing the file's columns."""
    if named:
        if (found := find_column(header, named)) is None:
            raise ValueError(f"no column {quoted(named)}; the file's columns are: {column_list(header)}")
        return found
    return next((found for name in usual if (found := find_column(header, name)) is not None), None)


EXCEL_SEPARATOR = re.compile(r"sep=(.?)\s*$")  # Excel's first line naming the delimiter: sep=;
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}  # the delimiters the app reads


def table_delimiter(first_line: str, below: str | None = None) -> tuple[str, bool]:
    """The delimiter a table's first line gives, and whether it is an Excel `sep=;` line naming it (then the header
    is the next line), else the header's own (header_delimiter); a `sep=` line naming one the app does not read
    (sep=|) is a clear error."""
    found = EXCEL_SEPARATOR.match(first_line.lstrip("\ufeff"))
    if found is None:
        return header_delimiter(first_line, below), False
    if found[1] not in DELIMITER_NAMES:
        *others, last = (f"{name}s" for name in DELIMITER_NAMES.values())
        raise ValueError(f"the file's first line, {quoted(first_line.strip())}, names a delimiter this app does not "
                         f"read: save it with {', '.join(others)} or {last} between the columns")
    return found[1], True
