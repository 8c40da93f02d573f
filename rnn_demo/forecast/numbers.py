"""How an uploaded table writes its numbers: the decimal mark and the thousands separators, read from every number
cell of the file at once (a spreadsheet writes one format for a whole file), then the cells rewritten plainly.

What settles the decimal mark: a cell with both marks (`1.234,5`, `1,234.5`: the last one is the decimal mark), a
mark not followed by three digits (`12,5`, `1414.1`), a number that starts `0` before its mark (`0,125`), a mark
that comes twice (`1.234.567`: a separator) and an exponent (`1e3`). A file whose cells settle nothing (every mark
followed by groups of three digits: `1.393`, `12,345`) takes the mark for a separator between thousands where it
also has whole numbers with no mark (`987` beside `1.393`: Excel's `#,##0`) and is refused with both readings where
it has none (a Swiss `20.126;...` is as likely as a German `20.126;...`); a comma-separated file reads decimal
points, as it always did here (a quoted `1,393` groups thousands). Cells that settle it both ways are refused by
example. Spaces (also no-break and thin ones) and
apostrophes between digits are thousands separators (`1 234,5`, `1'234.5`).
"""
from __future__ import annotations

import re

import pandas as pd

from ..display import quoted

MARKS = (".", ",")
SIGN = r"^[+-]?"
GROUPS = {mark: re.compile(SIGN + r"[1-9]\d{0,2}(?:" + re.escape(mark) + r"\d{3})+$") for mark in MARKS}
# a decimal mark, by its cells: (mark, pattern of a cell that shows it)
SETTLING = [
    (".", re.compile(SIGN + r"\d{1,3}(?:,\d{3})+\.\d*$")),  # 1,234.5
    (",", re.compile(SIGN + r"\d{1,3}(?:\.\d{3})+,\d*$")),  # 1.234,5
    (".", re.compile(SIGN + r"\d*\.(?:\d{0,2}|\d{4,})$")),  # 1414.1, 2.25, 7.
    (",", re.compile(SIGN + r"\d*,(?:\d{0,2}|\d{4,})$")),  # 12,5
    (".", re.compile(SIGN + r"0?\.\d+$")),  # 0.125, .125
    (",", re.compile(SIGN + r"0?,\d+$")),  # 0,125
    (",", re.compile(SIGN + r"[1-9]\d{0,2}(?:\.\d{3}){2,}$")),  # 1.234.567: points between thousands
    (".", re.compile(SIGN + r"[1-9]\d{0,2}(?:,\d{3}){2,}$")),  # 1,234,567
    (".", re.compile(SIGN + r"\d{4,}\.\d*$")),  # 1234.567: no separator after four digits
    (",", re.compile(SIGN + r"\d{4,},\d*$")),  # 1234,567
    (".", re.compile(SIGN + r"[\d.]*\d[eE][+-]?\d+$")),  # 1.5e3
    (",", re.compile(SIGN + r"\d*,\d+[eE][+-]?\d+$")),  # 1,50E+03: a German exponent
]
USUAL_MARK = {",": ".", ";": ","}  # by the file's delimiter, where no cell has a mark that reads as a number
SPACING = r"(?<=\d)[ \u00a0\u202f\u2009'\u2019](?=\d)"  # between digits: a thousands separator


def decimal_mark(cells: pd.Series, delimiter: str, whole_numbers: bool = False) -> str:
    """"." or ",": the decimal mark of the number cells `cells` that hold a mark (text, spacing removed), by what they
    settle; where none does, by `whole_numbers` (whether the file has number cells with no mark: 987 beside 1.393
    says the mark separates thousands) or else by the delimiter (a comma-separated file: decimal points)."""
    shown: dict[str, str] = {}
    for mark, pattern in SETTLING:
        hits = cells[cells.str.match(pattern)]
        if len(hits):
            shown.setdefault(mark, hits.iloc[0])
    if len(shown) == 2:
        raise ValueError(f"the file writes numbers two ways: {quoted(shown['.'])} with a decimal point, "
                         f"{quoted(shown[','])} with a decimal comma; export it with one decimal mark")
    if shown:
        return next(iter(shown))
    grouped = cells[cells.str.match(GROUPS["."]) | cells.str.match(GROUPS[","])]
    kinds = {mark for mark in MARKS if grouped.str.contains(mark, regex=False).any()}
    if not len(grouped) or delimiter == ",":  # a comma-separated file: decimal points (a quoted 1,393 groups)
        return USUAL_MARK.get(delimiter, ".")
    if len(kinds) == 1 and whole_numbers:  # 1.393 beside 987: a separator between thousands
        return "," if kinds == {"."} else "."
    example = grouped.iloc[0]
    plain = example.replace(".", "").replace(",", "")
    raise ValueError(f"the numbers can be read two ways: {quoted(example)} as {plain} (a separator between "
                     f"thousands) or as {example.replace(',', '.')} (a decimal mark), and no cell tells which: export "
                     "the file without thousands separators, or with a decimal in one cell (1234.0)")


def plain_numbers(frame: pd.DataFrame, delimiter: str) -> tuple[pd.DataFrame, str | None]:
    """The text cells of `frame`'s number columns written plainly (1.234,5 -> 1234.5) in one format for the whole
    file, and a note saying how they were read, with a cell of the file as its example, where any was not plain
    (None where all were)."""
    stripped = frame.apply(lambda column: column.str.strip())
    spaced = stripped.apply(lambda column: column.str.replace(SPACING, "", regex=True))
    cells = pd.concat([spaced[column] for column in spaced.columns], ignore_index=True)
    marked = cells[cells.str.contains(r"\d[.,]|[.,]\d", regex=True)]
    mark = decimal_mark(marked, delimiter, whole_numbers=bool(cells.str.fullmatch(r"[+-]?\d+").any()))
    separator = "," if mark == "." else "."

    def plain(column: pd.Series) -> pd.Series:
        return column.str.replace(separator, "", regex=False).str.replace(",", ".", regex=False)

    written = spaced.apply(plain)
    changed = (written != stripped).to_numpy().nonzero()
    if not len(changed[0]):
        return written, None
    row, column = changed[0][0], changed[1][0]
    grouped = bool(marked.str.contains(separator, regex=False).any()) or bool((spaced != stripped).any().any())
    between = f" and {'commas' if separator == ',' else 'points'} or spaces between thousands" if grouped else ""
    return written, (f"Numbers were read with a decimal {'comma' if mark == ',' else 'point'}{between}: "
                     f"“{stripped.iat[row, column]}” as {written.iat[row, column]}.")
