"""The shared upload reader on small literal files: a file's bytes decoded at once (the forecasting tab) or
streamed from its path (the Sentiment tab), with the same rules: UTF-8, UTF-16 by its byte-order mark, else
Windows-1252; binary refused; a file with nothing in it called empty."""
import pytest

from rnn_demo.uploads import FALLBACK, decode_upload, find_column, read_upload

TEXT = "time,value\n2024-01-01,café 😀\n"


@pytest.mark.parametrize("data, notes", [
    (TEXT.encode("utf-8"), []),
    (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), []),
    (b"\xff\xfe" + TEXT.encode("utf-16-le"), []),
    (b"\xfe\xff" + TEXT.encode("utf-16-be"), []),
])
def test_utf8_and_utf16_files_are_read_whole_or_streamed(tmp_path, data, notes):
    path = tmp_path / "upload.csv"
    path.write_bytes(data)
    assert decode_upload(data) == (TEXT, notes)
    assert read_upload(path, "".join) == (TEXT, "utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig",
                                          notes)


def test_latin1_is_read_with_a_note_and_streamed_from_the_start_again(tmp_path):
    data = b"text\n" + b"fine\n" * 5000 + "caf\xe9\n".encode("latin-1")
    path = tmp_path / "upload.csv"
    path.write_bytes(data)
    text, notes = decode_upload(data)
    assert text.endswith("café\n") and notes == [
        "The file is not all UTF-8: the bytes that are not were read as Windows-1252 (Latin-1 with Windows' quotes, "
        "dashes and €), the rest as UTF-8."]
    assert read_upload(path, "".join) == (text, FALLBACK, notes)


def test_one_byte_that_is_not_utf8_leaves_the_rest_of_a_utf8_file_as_written(tmp_path):
    """Read whole as Windows-1252, every other row's ’ became â€™ and 😍 ðŸ˜\x8d, in what the model read and in the
    file written back."""
    rows = "review\nI didn’t like it 😍\n" * 3000 + "caf"
    data = rows.encode("utf-8") + b"\xe9 au lait\n"  # one row pasted from a Windows-1252 file
    path = tmp_path / "upload.csv"
    path.write_bytes(data)
    text, notes = decode_upload(data)
    assert text == rows + "é au lait\n" and notes[0].startswith("The file is not all UTF-8")
    assert read_upload(path, "".join) == (text, FALLBACK, notes)


def test_an_excel_file_from_windows_keeps_its_quotes_dashes_and_euros(tmp_path):
    data = "text\n“Worth every €” – superb\n".encode("cp1252") + b"\x81\x9d\n"  # two bytes cp1252 leaves undefined
    path = tmp_path / "upload.csv"
    path.write_bytes(data)
    text, _ = decode_upload(data)
    assert text == "text\n“Worth every €” – superb\n\x81\x9d\n" == read_upload(path, "".join)[0]  # those as Latin-1


@pytest.mark.parametrize("data, message", [
    (b"", "the file is empty"),
    (b" \r\n\t", "the file is empty"),
    (b"\xef\xbb\xbf", "the file is empty"),
    (b"\xff\xfe", "the file is empty"),
    (b"\xfe\xff\x00\n", "the file is empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "not a text file"),
    (b"\xff\xfe" + "a\x00b".encode("utf-16-le"), "not a text file"),
    ("text\nfine\n".encode("utf-16-le"), "or text saved as UTF-16 with no byte-order mark or as UTF-32"),
    ("text\nfine\n".encode("utf-32-le"), "save it as UTF-8"),
    (b"\xff\xfe\x00\xd8a\x00", "not valid UTF-16: save it as UTF-8"),
    (b"\xff\xfea", "not valid UTF-16: save it as UTF-8"),
    # an Excel workbook, named as what it is (a red team's: "binary data, or UTF-16 with no byte-order mark")
    (b"PK\x03\x04\x14\x00\x06\x00xl/workbook.xml", r"it is a zip archive, as an Excel workbook \(.xlsx\) is: open it in "
                                                      "Excel \\(or unzip it\\) and save the table as CSV UTF-8"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00", r"it is an Excel 97-2003 workbook \(.xls\): open it in Excel"),
])
def test_empty_binary_and_broken_utf16_files_are_clear_errors(tmp_path, data, message):
    path = tmp_path / "upload.csv"
    path.write_bytes(data)
    with pytest.raises(ValueError, match=message):
        decode_upload(data)
    if "empty" in message:  # streamed, the reader of the lines says so (see test_sentiment_csv)
        assert not read_upload(path, "".join)[0].strip()
    else:
        with pytest.raises(ValueError, match=message):
            read_upload(path, "".join)


def test_a_column_is_found_by_its_name_with_spaces_and_case_set_aside():
    header = ["id", " Text ", "label"]  # "id, Text ,label": a hand-written header
    assert find_column(header, "text") == find_column(header, " text") == " Text "
    assert find_column(header, "label") == "label" and find_column(header, "stars") is None
    assert find_column(["text", "Text"], "TEXT") is None  # two would match: neither is guessed
    assert find_column(["text", "Text"], "Text") == "Text"  # the exact name first


@pytest.mark.parametrize("header, encoding, named", [
    ("DATE,TIME,エリア需要,原子力,火力(石炭)", "cp932", "Shift-JIS (Japanese)"),  # TEPCO's area data
    ("시간,전력수요(MW),공급능력(MW)", "cp949", "EUC-KR (Korean)"),
    ("时间,负荷(MW),温度", "gbk", "GBK (simplified Chinese)"),
])
def test_an_east_asian_excel_csv_is_read_in_its_encoding(header, encoding, named):
    """Excel's CSV in Japan, Korea and China is no UTF-8: read as Windows-1252, its column names were mojibake that
    no visitor could name."""
    text, notes = decode_upload(f"{header}\r\n2024/4/1,0:00,1,2,3\r\n".encode(encoding))
    assert text.startswith(header) and notes == [f"The file is not UTF-8: it was read as {named}, the encoding its "
                                                 "characters read in."]


@pytest.mark.parametrize("text", ["Zürich;Température;Größe\n1;2;3\n", "Réunion,ÉTÉ,“quoted” — dash,Ægir\n1,2,3,4\n"])
def test_a_western_european_file_is_still_read_as_windows_1252(text):
    from rnn_demo.uploads import FALLBACK_NOTE

    assert decode_upload(text.encode("cp1252")) == (text, [FALLBACK_NOTE])


def test_a_streamed_upload_in_an_east_asian_encoding_is_read_in_it(tmp_path):
    """The reviews CSV of the Sentiment tab is streamed: a Chinese one read as Windows-1252 was mojibake, which no
    note about a review in another language could see."""
    path = tmp_path / "reviews.csv"
    path.write_bytes("text,label\n这部电影很好看,positive\n".encode("gbk"))
    text, encoding, notes = read_upload(path, lambda lines: "".join(lines))
    assert text == "text,label\n这部电影很好看,positive\n" and encoding == "gb18030"
    assert notes == ["The file is not UTF-8: it was read as GBK (simplified Chinese), the encoding its characters "
                     "read in."]
