"""Grid operators' exports (tests/grid_exports.py: Japan, Korea, France, Spain, Germany, Great Britain, the US, the
EU, India, Brazil, New Zealand, South Africa, Ontario) read as a visitor uploads them: with no column named, each is
read right (every value at its time, the hour the clocks skip filled) or refused with the question that leads to it,
and the naming the question asks for then reads it right. A red team wrote them on 2026-12-07: 2 of the 31 read with
no column named then."""
import re

import numpy as np
import pandas as pd
import pytest

from rnn_demo.forecast.upload import read_series_upload
from tests.grid_exports import CASES

# the exports that ask a question first, by a part of their name: the question's start (several columns may each
# hold the demand, none is called as one, or the file holds several regions)
ASKED = {"SMARD new": "name the value column: Netzlast", "UK ESO": "name the value column: ND, ENGLAND_WALES_DEMAND",
         "ERCOT Native_Load": "name the value column: the file's columns are Hour Ending, COAST",
         "three TAC areas": "time stamps come more than once", "4 subsystems": "time stamps come more than once",
         "IESO": "name the value column: Market Demand, Ontario Demand"}


def _asked(name: str) -> str | None:
    return next((question for part, question in ASKED.items() if part in name), None)


def _read_right(series, expected: pd.Series | None, notes: list[str]) -> None:
    """Every expected value at its time (averaged into the series' steps); the only stamps the series has beyond
    them are the ones the clocks skipped (an hour at most), filled and said so."""
    read = pd.Series(series.values, index=pd.DatetimeIndex(series.times))
    if expected is None:  # the wide files: a whole number of days, steps of an hour or half-hour
        assert len(read) % 24 == 0 and series.step_minutes in (30, 60) and not np.isnan(read.to_numpy()).any()
        return
    told_twice = expected.index[expected.index.duplicated()].floor(f"{int(series.step_minutes)}min")
    means = expected.groupby(expected.index.floor(f"{int(series.step_minutes)}min")).mean()
    clean = means.index.difference(told_twice)
    assert clean.isin(read.index).all()
    np.testing.assert_allclose(read[clean].to_numpy(), means[clean].to_numpy(), rtol=1e-9)
    extra = read.index.difference(means.index)
    filled = any("clocks went forward" in note or "had no row in the file" in note for note in notes)
    assert len(extra) <= 4 and (extra[-1] - extra[0] < pd.Timedelta(hours=1) and filled if len(extra) else True), extra


@pytest.mark.parametrize("name, data, expected, namings", CASES, ids=[case[0] for case in CASES])
def test_an_operators_export_reads_right_or_asks_the_question_that_leads_there(name, data, expected, namings):
    question = _asked(name)
    if question is None:
        series, notes = read_series_upload(data)
        _read_right(series, expected, notes)
        return
    with pytest.raises(ValueError, match=re.escape(question)):
        read_series_upload(data)
    for named in (naming for naming in namings if naming):
        if "several" not in question and "more than once" not in question:
            series, notes = read_series_upload(data, **named)
            _read_right(series, expected, notes)
