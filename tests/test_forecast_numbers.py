"""How an uploaded series writes its numbers: the decimal mark and thousands separators, read for the whole file."""
import re

import numpy as np
import pandas as pd
import pytest

from rnn_demo.forecast.numbers import plain_numbers
from rnn_demo.forecast.upload import read_series_upload


def read(cells: list[str], delimiter: str, temperature: list[str] | None = None) -> tuple[list[str], str | None]:
    frame = pd.DataFrame({"value": cells, **({"temperature": temperature} if temperature else {})})
    written, note = plain_numbers(frame, delimiter)
    return list(written["value"]), note


@pytest.mark.parametrize("cells, delimiter, expected, example", [
    (["1.393", "987", "1.482"], ";", ["1393", "987", "1482"], "“1.393” as 1393"),  # German integers, grouped
    (["1.234,5", "6.712"], ";", ["1234.5", "6712"], "“1.234,5” as 1234.5"),  # a cell with both: the last decimal
    (["1,414.1", "987.0"], "\t", ["1414.1", "987.0"], "“1,414.1” as 1414.1"),  # a US export's #,##0.0
    (["1,393", "987"], ",", ["1393", "987"], "“1,393” as 1393"),  # quoted in a comma-separated file: grouped
    (["12,5", "13"], ",", ["12.5", "13"], "“12,5” as 12.5"),
    (["1500,25", "1501,25"], ";", ["1500.25", "1501.25"], "“1500,25” as 1500.25"),
    (["1 234,5", "987,0"], ";", ["1234.5", "987.0"], "“1 234,5” as 1234.5"),  # a space between thousands
    (["1\u202f234,5", "1'234"], ";", ["1234.5", "1234"], "as 1234.5"),  # a narrow no-break space, an apostrophe
    (["", "na", "-1.234,5"], ";", ["", "na", "-1234.5"], "“-1.234,5” as -1234.5"),  # missing cells untouched
    (["1.234.567", "987"], "\t", ["1234567", "987"], "“1.234.567” as 1234567"),  # a mark twice: a separator
    (["1.393", "987"], "\t", ["1393", "987"], "“1.393” as 1393"),  # whole numbers beside it: grouped thousands
    (["1,393", "987"], "\t", ["1393", "987"], "“1,393” as 1393"),
    (["1,50E+03", "2,01E+03"], "\t", ["1.50E+03", "2.01E+03"], "“1,50E+03” as 1.50E+03"),  # a German exponent
])
def test_the_file_says_its_decimal_mark_and_the_note_shows_a_cell_read(cells, delimiter, expected, example):
    written, note = read(cells, delimiter)
    assert written == expected and example in note, note


@pytest.mark.parametrize("cells, delimiter", [
    (["1.393", "987"], ","),  # a comma-separated file: decimal points
    (["1500.25", "2.5e3"], ";"),
    (["0.125", "1.393"], ";"),  # no number starts with a 0 group: 0.125 is a decimal, so 1.393 is too
    (["1234.567", "12.345"], ";"),  # four digits before the point: no separator there
])
def test_plain_numbers_are_left_as_they_are_without_a_note(cells, delimiter):
    assert read(cells, delimiter) == (cells, None)


def test_a_file_that_settles_the_mark_both_ways_or_not_at_all_is_refused_by_example():
    with pytest.raises(ValueError, match="two ways: '1.5' with a decimal point, '2,5' with a decimal comma"):
        read(["1.5", "2,5"], ";")
    with pytest.raises(ValueError, match="two ways: '20.5' with a decimal point, '1.234,5' with a decimal comma"):
        read(["1.234,5"], ";", temperature=["20.5"])  # one format for the whole file
    for delimiter in (";", "\t"):  # a Swiss export's three decimals (20.126 GWh) or German grouped thousands
        with pytest.raises(ValueError, match=r"'20.126' as 20126 \(a separator between thousands\) or as 20.126 "
                                             r"\(a decimal mark\), and no cell tells which"):
            read(["20.126", "22.456"], delimiter)


def test_a_german_export_with_grouped_whole_megawatts_reads_as_the_same_series():
    """Semicolons, whole megawatts with points between thousands (Excel's #.##0): each value of 1,000 or more was
    read 1,000 times smaller, and the series forecast as it was."""
    times = pd.date_range("2024-01-01", periods=24 * 14, freq="h")
    values = (600 + 800 * (np.arange(len(times)) % 24) / 23).round()
    grouped = [f"{v:,.0f}".replace(",", ".") for v in values]
    german = "time;value\n" + "".join(f"{t:%d.%m.%Y %H:%M};{v}\n" for t, v in zip(times, grouped))
    plain = "time,value\n" + "".join(f"{t:%Y-%m-%d %H:%M},{v:.0f}\n" for t, v in zip(times, values))
    ours, notes = read_series_upload(german.encode())
    theirs, _ = read_series_upload(plain.encode())
    assert np.array_equal(ours.values, theirs.values) and ours.values.max() > 1000
    assert any(re.search(r"separated by semicolons\. Numbers were read with a decimal comma and points or spaces "
                         r"between thousands: “1\.(\d{3})” as 1\1\.", note) for note in notes), notes
