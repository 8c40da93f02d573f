"""A table of one row per day and a column per hour or half-hour (Korea's KPX `날짜,1시,...,24시`, New Zealand's
`TRADING_DATE,TP1,...,TP50`, a spreadsheet's `Datum;00:00-01:00;...`), made one row per step.

The hour columns are a run of columns whose names count up from 0 or 1 (their first number: `1시`, `TP1`, `H01`,
`00:00-01:00`; beside it, no word but one for an hour or period, so `region1` to `region24` are no hours): 23 to
25 of them (hours; 23 and 25 on the days the clocks change) or 46 to 50 (half-hours), where no other column holds
the values (upload.py: one-hot `hour_0` to `hour_23` beside a load column are features). Each cell becomes a row
of its day's date and its column's place in the run, read as a period of the day (periods.py: period 1 starts at
midnight). Cells past the day's usual count (the 25th hour, TP49 and TP50) are kept only where they hold a value:
they are the clock change's. Pure functions of the column names and the table's cells.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..display import md_text
from .column_names import usual_time
from .stamp_columns import DATE_NAMES
from .periods import normalized

FIRST_NUMBER = re.compile(r"\d{1,3}")
# what an hour column's name may say beside its numbers: nothing (1, 00:00-01:00), or a word for an hour or period
HOUR_WORDS = {"", "시", "時", "h", "he", "hr", "hour", "hourending", "heure", "hora", "stunde", "uur", "ora", "tp",
              "p", "period", "tradingperiod", "sp", "settlementperiod", "interval"}
NOT_WORD = re.compile(r"[\d\s:._\-–()]")
RUNS = {24: range(23, 26), 48: range(46, 51)}  # the usual count of a day's columns, and the counts a run may have
PERIOD_COLUMN = "period of the day"  # the unpivoted table's column of each cell's place in its day's run


def hour_columns(columns: list[str]) -> list[str] | None:
    """The longest run of consecutive columns whose first numbers count up by one from 0 or 1, where it is a day's
    hours or half-hours (RUNS); None otherwise."""
    numbers = [int(found[0]) if (found := FIRST_NUMBER.search(name)) and _hour_like(name) else None
               for name in columns]
    best: tuple[int, int] = (0, 0)  # (start, length)
    start = 0
    for at in range(1, len(columns) + 1):
        ended = at == len(columns) or numbers[at] is None or numbers[at - 1] is None
        if ended or numbers[at] != numbers[at - 1] + 1:
            if at - start > best[1] and numbers[start] in (0, 1):
                best = (start, at - start)
            start = at
    begin, length = best
    if not any(length in counts for counts in RUNS.values()):
        return None
    return columns[begin:begin + length]


def _hour_like(name: str) -> bool:
    """Whether `name` says nothing beside its numbers but a word for an hour or period (HOUR_WORDS)."""
    return NOT_WORD.sub("", name.lower()) in HOUR_WORDS


def day_column(columns: list[str], hours: list[str]) -> str | None:
    """The column of the days' dates beside the hour columns: one called as a date or time, else the first other."""
    others = [name for name in columns if name not in hours]
    named = next((c for c in others if normalized(c) in DATE_NAMES), None) or usual_time(others)
    return named or (others[0] if others else None)


def unpivoted(frame: pd.DataFrame, day: str, hours: list[str], notes: list[str]) -> pd.DataFrame:
    """(day, PERIOD_COLUMN, "value"): a row per cell of the `hours` columns, in the days' order, with a note; the
    cells past a day's usual count are kept where they hold a value."""
    usual = next(count for count, runs in RUNS.items() if len(hours) in runs)
    cells = frame[hours].astype(str).to_numpy()  # (days, columns)
    periods = np.tile(np.arange(1, len(hours) + 1), len(frame))
    values = cells.ravel()
    kept = (periods <= usual) | (np.char.strip(values.astype(str)) != "")
    days = np.repeat(frame[day].astype(str).to_numpy(), len(hours))
    long = pd.DataFrame({day: days, PERIOD_COLUMN: periods.astype(str), "value": values})
    long = long[kept].reset_index(drop=True)
    notes.append(f"The file has a row per day and a column per {'hour' if usual == 24 else 'half-hour'} "
                 f"(“{md_text(hours[0])}” to “{md_text(hours[-1])}”, beside the dates in “{md_text(day)}”): each "
                 "cell was read as its step of the day, in the columns' order.")
    return long
