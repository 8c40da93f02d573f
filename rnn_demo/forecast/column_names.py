"""The time and value columns of an upload that names none, found by their names as grid operators write them.

First a column called exactly as TIME_COLUMNS or VALUE_COLUMNS; else one whose name holds a word for a time
(TIME_WORDS: "Time (CET/CEST)", "datetime_beginning_ept", "din_instante"; a local one before one in UTC) or for
demand (VALUE_WORDS: "Consommation", "Actual Total Load [MW]"; of several, the one said actual, else none: GB's
ND and TSD, IESO's Market and Ontario Demand are the visitor's to choose), else the one column with a unit alone
(UNITS: "実績(万kW)", PJM's "mw"); never a forecast's ("Day-ahead Total Load Forecast", "予測値"), a price's, a
factor's, a residual's or a source's of generation. Pure functions of the column names, read as
periods.normalized writes them (ActualTotalLoad as "actual total load") and as they are, in lower case ("万kw").
"""
from __future__ import annotations

import re

from .periods import normalized

# tried in this order when no column is named (as periods.normalized writes them): a column of whole stamps before
# a column of dates, whose times may stand beside it (RTE's "Date - Heure" with its UTC offsets, not "Date", "Heure")
TIME_COLUMNS = ("time", "timestamp", "time stamp", "datetime", "date time", "date heure", "fecha hora", "data ora",
                "datum zeit", "datum von", "date")  # SMARD's "Datum von": the interval's start
VALUE_COLUMNS = ("value", "demand", "load", "y", "totaldemand")  # the last: AEMO's
TIME_WORDS = re.compile(r"\b(?:time|timestamp|datetime|date ?time|date ?heure|hour ending|mtu|instante|zeit|"
                        r"zeitstempel|horodate|fecha ?hora|data ?ora|tijdstip)\b|日時|일시")
VALUE_WORDS = re.compile(r"\b(?:demand|load|consumption|consommation|demande|demanda|domanda|consumo|carico|last|"
                         r"belasting|forbrug|förbrukning|ail|nd|total)\b|\b(?:carga|consum|verbrauch|netzlast)|"
                         r"需要|負荷|수요|부하")  # ONS's val_cargaenergiahomwmed: a stem at a word's start
UNITS = re.compile(r"(?<![a-z])(?:mw|mwh|gw|gwh|kw|kwh)(?![a-z])")  # "Demand (MW)", "実績(万kW)"
FORECAST_WORDS = re.compile(r"forecast|day ahead|prévision|prevision|previsión|prevista|previsto|programad|"
                            r"prognose|previsione|predic|予測|予想|예측")
ACTUAL_WORDS = re.compile(r"actual|réalis|realis|\breal\b|tatsächlich|\bist\b|metered|measured|実績|실적")
UTC_WORDS = re.compile(r"\b(?:utc|gmt|z)\b")  # stamps in UTC: a local time column beside them keeps the day's cycle
# names of what is no demand: prices, factors, generation by source, labels ("Real-Time Price ($/MWh)", "Load
# factor", "Solar (MW)", PJM's "load_area")
NOT_DEMAND = re.compile(r"price|\blmp\b|cost|[$€£]|factor|residual|solar|wind|hydro|nuclear|biomass|\bgas\b|coal|"
                        r"lignite|generation|\bgen\b|export|import|\barea\b|region|\bzone\b|\bid\b|name|type|flag|"
                        r"verified|code|temperature|capacity|reserve|太陽光|風力|火力|原子力|水力|揚水|地熱|連系")


BRACKETED = re.compile(r"\s*[(\[][^)\]]*[)\]]")  # "(UTC)", "[MW]": a unit or zone beside a name


def bare_name(name: str) -> str:
    """`name` as periods.normalized writes it, less its bracketed parts: "Datetime (UTC)" -> "datetime"."""
    return BRACKETED.sub("", normalized(name)).strip()


def called(columns: list[str], names: tuple[str, ...]) -> str | None:
    """The first column called as one of `names` (in their order, as bare_name writes it), or None."""
    return next((c for name in names for c in columns if bare_name(c) == name), None)


def _says(pattern: re.Pattern, name: str) -> bool:
    """Whether `name` holds a word of `pattern`, its camel case split (ActualTotalLoad) or not (万kW)."""
    return bool(pattern.search(normalized(name)) or pattern.search(name.lower()))


def usual_time(columns: list[str]) -> str | None:
    """The first column called as TIME_COLUMNS (in their order), else the first whose name holds a TIME_WORDS word."""
    exact = called(columns, TIME_COLUMNS)
    worded = [c for c in columns if _says(TIME_WORDS, c)]
    local = [c for c in worded if not _says(UTC_WORDS, c)]  # PJM's datetime_beginning_ept, not its _utc
    return exact or next(iter(local or worded), None)


def usual_value(columns: list[str], taken: set[str]) -> str | None:
    """The first column (not `taken`) called as VALUE_COLUMNS, else the one whose name says demand (or the one of them
    said actual), else the one column whose name gives a unit (MW) alone; never a forecast's, a price's, a factor's,
    a residual's or a source's of generation (NOT_DEMAND). None where none is, or several are alike: the visitor
    says."""
    free = [c for c in columns if c not in taken]
    exact = called(free, VALUE_COLUMNS)
    if exact is not None:
        return exact
    worded = demand_columns(columns, taken)
    actual = [c for c in worded if _says(ACTUAL_WORDS, c)]
    if len(worded) == 1 or len(actual) == 1:
        return (actual or worded)[0]
    if worded:  # several, none said actual (IESO's Market and Ontario Demand): the visitor says which
        return None
    units = [c for c in free if _says(UNITS, c) and not _says(NOT_DEMAND, c) and not _says(FORECAST_WORDS, c)]
    return units[0] if len(units) == 1 else None


def demand_columns(columns: list[str], taken: set[str]) -> list[str]:
    """The columns (not `taken`) whose names say demand, a forecast's, a price's and the like (NOT_DEMAND) aside."""
    return [c for c in columns if c not in taken and _says(VALUE_WORDS, c) and not _says(NOT_DEMAND, c)
            and not _says(FORECAST_WORDS, c)]
