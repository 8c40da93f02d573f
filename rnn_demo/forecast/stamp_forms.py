"""The ways exports write a time stamp that pandas does not read, each made one it does, with a note: intervals
(ENTSO-E's `01.01.2024 00:00 - 01.01.2024 01:00`, `00:00-00:15`) as their starts, 24:00 as 00:00 of the next day and,
where no stamp is at 00:00 (hour ending: ERCOT's), every stamp at its interval's start, a date and an hour alone
(AESO's `10/01/2024 01`, its repeated hour `11/03/2024 02*`) as that whole hour, time-zone abbreviations (EIA's
`1/1/2024 1 a.m. EST`) as UTC offsets, numbers as the digits of a date and time (2024010100), Unix times (APIs'
1704067200, in seconds or milliseconds) or Excel's serial days (45292.5, a date-time cell saved as a number).
stamps.py reads the rest.
The cells are at most stamps.STAMP_CHARS long by then.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..display import md_text, quoted


def offset_text(minutes: float) -> str:
    """+11:00, -03:30, +00:00."""
    sign, minutes = ("-" if minutes < 0 else "+"), int(abs(minutes))
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


# Time-zone abbreviations grid operators write after a stamp (EIA's "1/1/2024 1 a.m. EST"), as UTC offsets in
# minutes (UTC and GMT are read as offsets already); ambiguous ones (IST; CST is the US one) are left out
ZONES = {"WET": 0, "WEST": 60, "BST": 60, "CET": 60, "CEST": 120, "EET": 120, "EEST": 180,
         "EST": -300, "EDT": -240, "CST": -360, "CDT": -300, "MST": -420, "MDT": -360, "PST": -480, "PDT": -420,
         "AKST": -540, "AKDT": -480, "HST": -600, "AWST": 480, "ACST": 570, "ACDT": 630, "AEST": 600, "AEDT": 660,
         "NZST": 720, "NZDT": 780, "JST": 540, "KST": 540}
ZONE = re.compile(r"(.*\S)\s+\(?(" + "|".join(ZONES) + r")\)?")


def zone_offsets(text: pd.Series) -> tuple[pd.Series, list[str]]:
    """Stamps ending in a time-zone abbreviation (EST, "(CET)") with its UTC offset in its place, and a note."""
    parts = text.str.fullmatch(ZONE.pattern)
    if not parts.any():
        return text, []
    found = text[parts].str.extract(ZONE.pattern)
    text = text.copy()
    text[parts] = found[0] + " " + found[1].map(lambda zone: offset_text(ZONES[zone]))
    named = ", ".join(f"{zone} as {offset_text(ZONES[zone])}" for zone in sorted(found[1].unique()))
    return text, [f"Time-zone abbreviations were read as their UTC offsets: {named}."]


# 01.01.2024 00:00 - 01.01.2024 00:15, each side perhaps with a zone marker: 27/10/2024 02:00:00 (CEST) - ...
INTERVAL = re.compile(r"(.*\d:\d{2}\S*(?:\s*\([A-Z]{2,5}\))?)\s+[-–]\s+(.*\d:\d{2}.*)")
HOUR_24 = re.compile(r"(.*[\sT])24:00(?::00)?")  # 01/01/2024 24:00, hour-ending: 00:00 of the next day


# 01.01.2024 00:00-01:00, India's 00:00-00:15: an end time with no spaces, which reads as a UTC offset too
CLOSE_INTERVAL = re.compile(r"(.*?(\d{1,2}):(\d{2})(?::\d{2})?)\s*[-–]\s*(\d{1,2}):(\d{2})")


def _close_intervals(text: pd.Series) -> pd.Series | None:
    """The starts of stamps ending in `-HH:MM` where that is an interval's end, not a UTC offset: every row's interval
    is as long, and the ends are many (a series' offsets are one or two). The first stamp, then each one's end, is
    looked at before any is taken apart."""
    if not CLOSE_INTERVAL.fullmatch(text.iloc[0]) or not text.str.contains(r"[-–]\s*\d{1,2}:\d{2}$").all():
        return None
    parts = text.str.extract(CLOSE_INTERVAL.pattern + "$")
    if parts[0].isna().any() or (parts[3] + parts[4]).nunique() <= 2:
        return None
    minutes = parts[[1, 2, 3, 4]].astype(int)
    length = (minutes[3] * 60 + minutes[4] - minutes[1] * 60 - minutes[2]) % (24 * 60)
    return parts[0] if length.nunique() == 1 and length.iloc[0] > 0 else None


def interval_starts(text: pd.Series) -> tuple[pd.Series, list[str]]:
    """Stamps written as intervals (ENTSO-E's `01.01.2024 00:00 - 01.01.2024 01:00`, `01.01.2024 00:00-01:00`) as
    their starts, with a note; other stamps as they are. Only where every stamp is an interval."""
    if not len(text):
        return text, []
    if INTERVAL.fullmatch(text.iloc[0]) and text.str.fullmatch(INTERVAL.pattern).all():
        starts = text.str.extract(INTERVAL.pattern)[0].str.strip()
    elif (starts := _close_intervals(text)) is None:
        return text, []
    return starts, [f"The time stamps are intervals ({quoted(text.iloc[0])}): each row was read at its interval's "
                    "start."]


def _usual_step(wall: pd.DatetimeIndex) -> pd.Timedelta | None:
    """The most common gap between the distinct stamps read (None for fewer than two): an interval's length."""
    steps = np.diff(np.unique(wall.dropna().asi8))
    return pd.Timedelta(int(pd.Series(steps).mode().iloc[0]), unit=wall.unit) if len(steps) else None


def hour_ending_starts(wall: pd.DatetimeIndex, late: np.ndarray,
                       notes: list[str]) -> tuple[pd.DatetimeIndex, list[str], bool]:
    """Stamps that end their intervals (hour ending: some written 24:00, `late`, and none 00:00) read at their
    intervals' starts, a step earlier, as intervals and periods of the day are; others as they are, with `notes`
    (hours_24's), and whether they were moved."""
    others = wall[~late].dropna()
    step = _usual_step(wall)
    if not late.any() or (others == others.normalize()).any() or step is None:
        return wall, notes, False
    return wall - step, [f"Times written 24:00 ({int(late.sum()):,} of them), and none 00:00: the stamps end their "
                         "intervals (hour ending), so each row was read at its interval's start, "
                         f"{step / pd.Timedelta(minutes=1):g} minutes earlier."], True


# time columns whose stamps end their intervals, by name (as periods.normalized writes it), and who writes them:
# AEMO's SETTLEMENTDATE (its price and demand files, its MMS data model): 00:30 stamps the half-hour from 00:00
INTERVAL_ENDING_COLUMNS = {"settlementdate": "AEMO"}
# a time column whose name says its stamps end their intervals: EIA's "Timestamp (Hour Ending)" and "Local Time at
# End of Hour", ERCOT's "Hour Ending" once Excel wrote its 24:00 as the next day's 0:00, "HE", SMARD's "Ende"/"bis"
# (not "fin" or a "he" inside a name: "Time (FIN)" is Finland's)
ENDING_NAME = re.compile(r"\b(?:ending|end|ende|bis)\b|^he$|\(he\)")


def interval_ending(name: str) -> str | None:
    """Why the stamps of a time column called `name` (as periods.normalized writes it) end their intervals ("as AEMO
    writes them", "as its name says"), or None."""
    if name in INTERVAL_ENDING_COLUMNS:
        return f"as {INTERVAL_ENDING_COLUMNS[name]} writes them"
    return "as its name says" if ENDING_NAME.search(name) else None


def interval_ending_starts(wall: pd.DatetimeIndex, column: str, why: str) -> tuple[pd.DatetimeIndex, list[str]]:
    """The stamps of `column`, which end their intervals (`why`: interval_ending), read at their starts, a step
    earlier, with a note (dates alone: as they are)."""
    known, step = wall.dropna(), _usual_step(wall)
    if step is None or (known == known.normalize()).all():
        return wall, []
    return wall - step, [f"The stamps of column “{md_text(column)}” end their intervals, {why}: each row was read at "
                         f"its interval's start, {step / pd.Timedelta(minutes=1):g} minutes earlier."]


def hours_24(text: pd.Series) -> tuple[pd.Series, np.ndarray, list[str]]:
    """Stamps whose time is 24:00 (hour-ending, as ERCOT writes midnight) as 00:00, where to add a day, a note."""
    late = text.str.fullmatch(HOUR_24.pattern).to_numpy(bool)
    if not late.any():
        return text, late, []
    text = text.where(~late, text.str.replace(HOUR_24.pattern, r"\g<1>00:00", regex=True))
    return text, late, [f"Times written 24:00 ({int(late.sum()):,} of them) were read as 00:00 of the next day."]


NUMBER = re.compile(r"\d+(?:[.,]\d+)?")  # 45292,5 in a semicolon file saved where commas are decimal
# what a number in a time column is read as: digits of a date and time (2024010100), or by its range, from 1980 to
# 2100 in each: Unix times on whole minutes, Excel's serial days with times of day (fractions)
DIGIT_FORMS = {10: "%Y%m%d%H", 12: "%Y%m%d%H%M", 14: "%Y%m%d%H%M%S"}
NUMBER_FORMS = (("Unix times in seconds", 315_532_800, 4_102_444_800, "s"),
                ("Unix times in milliseconds", 315_532_800_000, 4_102_444_800_000, "ms"),
                ("Excel's serial days (days since 1899-12-30)", 29_221, 73_051, "D"))
UNIT_MINUTE = {"s": 60, "ms": 60_000}
EXCEL_DAY_ZERO = pd.Timestamp("1899-12-30")


def _digit_stamps(text: pd.Series) -> pd.Series | None:
    """Stamps written as the digits of a date and time (2024010100: yyyymmddHH), as text stamps; else None."""
    form = DIGIT_FORMS.get(len(text.iloc[0]))
    if form is None or not text.str.fullmatch(r"\d{%d}" % len(text.iloc[0])).all():
        return None
    times = pd.to_datetime(text, format=form, errors="coerce")
    return None if times.isna().any() else times.dt.strftime("%Y-%m-%d %H:%M:%S")


def _read_as(numbers: pd.Series) -> tuple[str, str] | None:
    """The NUMBER_FORMS reading (name, unit) the numbers take, or None."""
    for name, low, high, unit in NUMBER_FORMS:
        if not numbers.between(low, high).all():
            continue
        if unit in UNIT_MINUTE and (numbers % UNIT_MINUTE[unit] == 0).all():
            return name, unit
        if unit == "D" and (numbers % 1 != 0).any():
            return name, unit
    return None


def number_stamps(text: pd.Series) -> tuple[pd.Series, list[str]]:
    """Stamps written as numbers (every cell one) as text stamps, with a note: the digits of a date and time, else
    Unix times with the offset +00:00 (they count UTC seconds), serial days at the wall-clock time they show."""
    if not len(text) or not NUMBER.fullmatch(text.iloc[0]) or not text.str.fullmatch(NUMBER.pattern).all():
        return text, []
    if (digits := _digit_stamps(text)) is not None:
        return digits, [f"The time stamps are digits ({quoted(text.iloc[0])}): they were read as year, month, day, "
                        "hour (and minutes), from the left."]
    numbers = pd.to_numeric(text.str.replace(",", ".", regex=False))
    if (reading := _read_as(numbers)) is None:
        return text, []
    name, unit = reading
    if unit == "D":
        times = EXCEL_DAY_ZERO + pd.to_timedelta((numbers * 86_400).round(), unit="s")
        stamps, since = times.dt.strftime("%Y-%m-%d %H:%M:%S"), ""
    else:
        times = pd.to_datetime(numbers.round(), unit=unit)
        stamps, since = times.dt.strftime("%Y-%m-%d %H:%M:%S+00:00"), " since 1970-01-01 UTC"
    return stamps, [f"The time stamps are numbers ({quoted(text.iloc[0])}): they were read as {name}{since}, from "
                    f"{times.min():%Y-%m-%d %H:%M} to {times.max():%Y-%m-%d %H:%M}."]


BARE_HOUR = re.compile(r"([^:]*\d)\s+(\d{1,2})\*?")  # 10/01/2024 01: a date, then an hour with no minutes


def bare_hours(text: pd.Series) -> tuple[pd.Series, list[str]]:
    """Stamps of a date and an hour alone (AESO's hour ending, `02*` its hour told twice when the clocks go back)
    as that hour's HH:00, with a note; only where every stamp is one, its hours 0 to 24."""
    if not len(text) or not BARE_HOUR.fullmatch(text.iloc[0]):
        return text, []
    parts = text.str.extract(f"^{BARE_HOUR.pattern}$")
    if parts[0].isna().any() or (parts[1].astype(int) > 24).any():
        return text, []
    return parts[0] + " " + parts[1].str.zfill(2) + ":00", [
        f"The time stamps give an hour alone ({quoted(text.iloc[0])}): each was read as that hour, 00 minutes."]
