"""Dates in an upload's time stamps: read by pandas, and the forms it misreads or cannot read made plain first.

Dates written with slashes, dots or dashes and the year last (13/01/2024, 01/13/2024, 13/01/24) are read day first
when some first number is over 12, or when only that reading makes a regular series, else month first; two-digit
years as POSIX reads them. Dates written year first with a two-digit year (24/03/01, as in Japan, Korea and China) are
read that way where the rows then span far less time than read with the year last, and where some date ends in a
single digit (24/3/1).
"""
from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

from ..display import quoted

DATE_FIRST = r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?!\d)"  # 13/01/2024, 01/13/2024 or 13/01/24, then anything
YY_M_D = r"^(\d{2})([/.-])(\d{1,2})\2(\d{1,2})(?![\d/.-])"  # 24/3/1: a two-digit year first, unpadded
# a time of day with no date (05:00, 5:00 pm), as a stripped cell's whole: pandas gives it today's date. Each space
# matches one way only (two \s* around an optional part made a cell of spaces quadratic)
TIME_OF_DAY = re.compile(r"\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*[ap]\.?m\.?)?", re.IGNORECASE)
# an English weekday before a date written with its year last (Mon 01/04/2024, Monday, 01.04.2024): dateutil read the
# days up to 12 month first and the later ones day first
WEEKDAY_FIRST = re.compile(r"^(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|sday|nesday|rsday|urday)?\.?,?\s+"
                           r"(?=\d{1,2}[/.-]\d{1,2}[/.-]\d)", re.IGNORECASE)
# 24/03/01 is read year first where the rows span a tenth of the time or less that way: read with the year last,
# a series of days becomes one of years (2001-03-24, 2002-03-24, ...), and the other way round
YEAR_FIRST_SPAN = 10


def _parse(text: pd.Series) -> pd.DatetimeIndex:
    """Naive stamps (NaT where unreadable); stamps with a zone pandas knows are read at their wall-clock time."""
    try:
        times = pd.to_datetime(text, errors="coerce", format="mixed")
    except (ValueError, TypeError, OverflowError):
        raise ValueError("the time stamps mix time zones that cannot be read: give local times, with or without "
                         "a UTC offset such as +10:00") from None
    if times.dt.tz is not None:
        times = times.dt.tz_localize(None)
    return pd.DatetimeIndex(times)


def _regular(times: pd.DatetimeIndex) -> bool:
    steps = np.diff(np.unique(times.dropna().asi8))
    return len(steps) > 0 and bool((steps == steps[0]).all())


def read_dates(text: pd.Series) -> tuple[pd.DatetimeIndex, list[str]]:
    """Stamps as naive times. Dates like 13/01/2024 are read day first when some first number is over 12 (or when
    only the day-first reading is a regular series), else month first; mixing both forms is an error. Dates like
    24/03/01 are read year first where only that reading is a regular series."""
    if len(text) and TIME_OF_DAY.fullmatch(text.iloc[0].strip()):  # a series that would change from one day to the next
        raise ValueError(f"the time stamps hold no date ({quoted(text.iloc[0])} in data row 1): give each row its "
                         "date and time, as in 2024-01-01 05:00")
    if len(text) and WEEKDAY_FIRST.match(text.iloc[0]):  # Mon 01/04/2024: the weekday says nothing more
        text = text.str.replace(WEEKDAY_FIRST, "", regex=True)
    if len(text) and re.match(YY_M_D, text.iloc[0]) and (year_first := _unpadded_year_first(text)) is not None:
        return year_first
    if not len(text) or not re.match(DATE_FIRST, text.iloc[0]):
        return _parse(text), []
    parts = text.str.extract(DATE_FIRST)
    year_last = _year_last(text, parts)
    if (parts[0].str.len() == 2).all() and (parts[3].str.len() == 2).all():  # 24/03/01: yy/mm/dd, or a year last
        year_first = _parse(text.str.replace(DATE_FIRST, _yy_mm_dd, regex=True))
        both = np.asarray(year_first.notna() & year_last[0].notna())  # a mistyped 31/04/24 decides nothing
        if year_first.notna().all() and (year_last[0].isna().mean() > 0.5
                                         or _span(year_first[both]) * YEAR_FIRST_SPAN < _span(year_last[0][both])):
            return year_first, [f"Dates such as {quoted(text.iloc[0])} were read year first (yy/mm/dd: "
                                f"{year_first[0]:%Y-%m-%d}): read with the year last, the rows would span far more "
                                "time, or not be read at all."]
    return year_last


def _unpadded_year_first(text: pd.Series) -> tuple[pd.DatetimeIndex, list[str]] | None:
    """Dates like 24/3/1 read year first (yy/m/d), where every stamp is one and some end in a one-digit part: no
    year is written with one digit (pandas read 24/3/1 as 2001-03-24); None otherwise."""
    parts = text.str.extract(YY_M_D)
    if parts[0].isna().any() or not (parts[3].str.len() == 1).any():
        return None
    return _parse(text.str.replace(YY_M_D, _yy_mm_dd, regex=True)), [
        f"Dates such as {quoted(text[parts[3].str.len() == 1].iloc[0])} were read year first (yy/m/d): a date's "
        "last part of one digit is no year."]


def _span(times: pd.DatetimeIndex) -> pd.Timedelta:
    """From the first time to the last (unreadable ones aside); NaT where none is readable."""
    return times.max() - times.min()


def _year_last(text: pd.Series, parts: pd.DataFrame) -> tuple[pd.DatetimeIndex, list[str]]:
    """Dates of DATE_FIRST (`parts`: its groups) read with the year last, day or month first (read_dates)."""


    first, second = pd.to_numeric(parts[0]), pd.to_numeric(parts[2])
    day_first, month_first = (text.str.replace(DATE_FIRST, _year_first(order), regex=True) for order in (3, 1))
    years = [] if parts[3].str.len().max() == 4 else [
        f"Two-digit years were read as POSIX reads them (69 to 99 as 1969 to 1999, 00 to 68 as 2000 to 2068): "
        f"{quoted(text.iloc[0])} is in {_full_year(parts[3].iloc[0])}."]
    if (first > 12).any() and (second > 12).any():
        raise ValueError(f"the dates mix day-first and month-first forms: {quoted(text[first > 12].iloc[0])} "
                         f"and {quoted(text[second > 12].iloc[0])}; write every date the same way")
    if (first > 12).any():
        example = quoted(text[first > 12].iloc[0])
        return _parse(day_first), [f"Dates such as {example} are written day first (dd/mm/yyyy): every date was read "
                                   "day first.", *years]
    if (second > 12).any():
        return _parse(month_first), years
    by_day, by_month = _parse(day_first), _parse(month_first)
    if _regular(by_day) and not _regular(by_month):
        return by_day, [f"Dates such as {quoted(text.iloc[0])} could be day first or month first; read day first "
                        "(dd/mm/yyyy) they make a regular series and read month first they do not, so they were "
                        "read day first.", *years]
    return by_month, years


def _full_year(year: str) -> str:
    """A year of DATE_FIRST in four digits: a two-digit one as POSIX's strptime reads %y (69-99: 19xx, else 20xx)."""
    return year if len(year) == 4 else f"{19 if int(year) >= 69 else 20}{year}"


def _yy_mm_dd(match: re.Match) -> str:
    """A DATE_FIRST match read as a two-digit year, a month and a day, rewritten year-month-day."""
    return f"{_full_year(match.group(1))}-{match.group(3)}-{match.group(4)}"


def _year_first(month_group: int):
    """A DATE_FIRST match rewritten year-month-day, the month its group `month_group` (3: day first, 1: month
    first), the year in four digits."""
    day_group = 4 - month_group
    return lambda match: f"{_full_year(match.group(4))}-{match.group(month_group)}-{match.group(day_group)}"


# Month names pandas does not read, by month: French, German, Spanish, Italian, Dutch and Portuguese, written out or
# cut short (a dot after them is allowed); each is rewritten as the English abbreviation, which pandas reads
FOREIGN_MONTHS = {
    "Jan": "janvier janv januar jänner jän enero ene gennaio gen januari janeiro",
    "Feb": "février fevrier févr fevr fév februar febrero febbraio februari fevereiro fev",
    "Mar": "mars märz marz mär marzo maart mrt março marco",
    "Apr": "avril avr abril abr aprile",
    "May": "mai mayo maggio mag mei maio",
    "Jun": "juin juni junio giugno giu junho",
    "Jul": "juillet juil juli julio luglio lug julho",
    "Aug": "août aout agosto augustus ago",
    "Sep": "septembre sept septiembre setiembre settembre set setembro",
    "Oct": "octobre oktober okt octubre ottobre ott outubro out",
    "Nov": "novembre noviembre novembro",
    "Dec": "décembre decembre déc dezember dez diciembre dic dicembre dezembro",
}
MONTH_WORDS = {word: month for month, words in FOREIGN_MONTHS.items() for word in words.split()}
LETTERS = re.compile(r"[^\W\d_]{2,}")  # a word of two letters or more
# a whole word (not the "mar" of "Marzo"), a dot after it allowed
FOREIGN_MONTH = re.compile(r"(?<![^\W\d_])(" + "|".join(sorted(MONTH_WORDS, key=len, reverse=True))
                           + r")\.?(?![^\W\d_])", re.IGNORECASE)
# around a date written out: weekday names, "de" and "del" (1 de marzo de 2024), "à" and "um" before a time, "Uhr"
# after it, and the French first of the month (1er)
WEEKDAYS = ("lundi mardi mercredi jeudi vendredi samedi dimanche montag dienstag mittwoch donnerstag freitag samstag "
            "sonnabend sonntag lunes martes miércoles jueves viernes sábado domingo lunedì martedì mercoledì giovedì "
            "venerdì sabato domenica maandag dinsdag woensdag donderdag vrijdag zaterdag zondag segunda-feira "
            "terça-feira quarta-feira quinta-feira sexta-feira").split()
DATE_WORDS = re.compile(r"(?<![^\W\d_])(?:" + "|".join(WEEKDAYS) + r"|de|del|à|um|uhr)(?![^\W\d_])[,.]?|(?<=\d)er\b",
                        re.IGNORECASE)
# weekdays cut short, as a stamp's first word before its day (lun. 1 mars, Mo., 1. März, sáb 2 de marzo): elsewhere
# "mar" is March as well as mardi, martes and martedì
SHORT_WEEKDAYS = ("lun mar mer jeu ven sam dim mo di mi do fr sa so mié mie jue vie sáb sab dom gio ma wo vr za zo "
                  "seg ter qua qui sex")
SHORT_WEEKDAY = re.compile(r"^(?:" + SHORT_WEEKDAYS.replace(" ", "|") + r")\.?,?(?=\s*\d{1,2}\.?\s+[^\W\d_]{2,})",
                           re.IGNORECASE)  # before a day and a word (its month): "Mar 1, 2024" is English March
# a stamp with one of these words is rewritten
LOOKED_UP = set(MONTH_WORDS) | {part for day in WEEKDAYS for part in day.split("-")} | set(SHORT_WEEKDAYS.split())
# a stamp's date, and its time of day from where it starts (a word such as "à" before it)
TIME_TAIL = re.compile(r"^(.*?)(\s*(?:[^\W\d_]+\s+)?\d{1,2}[:.h]\d{2}.*)?$")
SAMPLE = 20  # the first stamps with a month name rewritten: where none of them reads, none is rewritten


def english_months(text: pd.Series) -> tuple[pd.Series, list[str]]:
    """Stamps with a month written in French, German, Spanish, Italian, Dutch or Portuguese (1 mars 2024 00:00,
    1. März 2024, 1 de marzo de 2024) rewritten with its English abbreviation, the words around it dropped (a
    weekday written out or cut short: lun. 1 mars, Mo., 1. April), and a note; the other stamps as they were, but
    for accents written apart from their letters (März as a and U+0308), joined. Each stamp's words are looked up,
    not searched for with every name (a 200,000-row file of ISO stamps has no word to look up); the dates and the
    times of day are rewritten once each (a day's 48 stamps share one date), and not at all where the first stamps
    rewritten still do not read."""
    if not text.str.isascii().all():  # accents written apart from their letters (NFD: macOS) as one character
        text = text.map(lambda stamp: unicodedata.normalize("NFC", stamp))
    worded = text[text.str.contains(LETTERS)]
    looked_up = worded.str.findall(LETTERS).map(lambda found: any(word.lower() in LOOKED_UP for word in found))
    named = worded[looked_up.astype(bool)]
    if named.empty or pd.to_datetime(_rewritten(named.iloc[:SAMPLE]), errors="coerce", format="mixed").isna().all():
        return text, []
    parts = named.str.extract(TIME_TAIL).fillna("")
    dates, times = (pd.Series(part.unique()) for part in (parts[0], parts[1]))
    dates, times = dict(zip(dates, _rewritten(dates))), dict(zip(times, _rewritten(times)))
    rewritten = (parts[0].map(dates) + " " + parts[1].map(times)).str.strip()
    changed = rewritten != named.str.split().str.join(" ")  # "1 mar. 2024" (March in English too) is no change
    if not changed.any():
        return text, []
    text = text.copy()
    text[rewritten.index] = rewritten
    return text, [f"Dates written in their language were read: {quoted(named[changed].iloc[0])} as "
                  f"{quoted(rewritten[changed].iloc[0])}."]


def _rewritten(stamps: pd.Series) -> pd.Series:
    """Month names as the English abbreviation, the words around a date dropped, spaces made single."""
    stamps = stamps.str.replace(SHORT_WEEKDAY, "", regex=True)
    stamps = stamps.str.replace(FOREIGN_MONTH, lambda m: MONTH_WORDS[m.group(1).lower()], regex=True)
    return stamps.str.replace(DATE_WORDS, " ", regex=True).str.split().str.join(" ")
