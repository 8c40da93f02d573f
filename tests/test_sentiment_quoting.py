"""Quotes in uploaded review files: CSV quoting where they are that, text where they are text (a red team's: a list's
`"The Hobbit" is a classic` lost its quotes, and an unclosed quote ran 197 reviews into one, silently)."""
import csv

import pytest

from rnn_demo.sentiment.quoting import list_rows
from rnn_demo.sentiment.review_table import read_review_table
from tests.test_sentiment_csv import _table_result, _upload


@pytest.mark.parametrize("lines, rows", [
    (["plain\n", "\n", "two, words\r\n"], [["plain"], [], ["two, words"]]),
    # a spreadsheet's quoting: the cell whole in quotes, a quote inside written twice, a line break inside
    (['"Great, ""fun"" film"\n', '"two\n', 'lines" \n', '""\n'], [['Great, "fun" film'], ["two\nlines"], [""]]),
    # quotes that are text: a cell they do not wrap whole, a quote never closed (the lines after it stay rows)
    (['"The Hobbit" is a classic\n', '"Unclosed, this one\n', "Fine.\n", "Also fine.\n"],
     [['"The Hobbit" is a classic'], ['"Unclosed, this one'], ["Fine."], ["Also fine."]]),
    (['"Opens here\n', 'and "closes" mid-line\n', "next\n"], [['"Opens here'], ['and "closes" mid-line'], ["next"]]),
    (['"a\n', 'b"\n', '"c'], [["a\nb"], ['"c']]),
])
def test_a_lists_lines_are_rows_as_written_unless_quoted_whole(lines, rows):
    assert list(list_rows(lines)) == rows


def test_a_list_is_read_from_its_file_once_and_its_cells_keep_the_csv_modules_limit():
    """A quote that does not close is looked for up to the next line that could end it, and the lines read ahead
    are held, not read again from the file: lines that each open a quote give a row each, in one pass."""
    def counted(lines):
        for line in lines:
            counted.reads += 1
            yield line
    for lines in (['"""a b\n'] * 5000, ['"start\n'] + ["plain\n"] * 5000, (['"x y\n'] + ["plain\n"] * 3) * 1250):
        counted.reads = 0
        assert len(list(list_rows(counted(lines)))) == len(lines) and counted.reads == len(lines)
    with pytest.raises(csv.Error, match="field limit"):
        list(list_rows(['"' + "a" * csv.field_size_limit() + "\n"]))


AMAZON = ("review_headline\treview_body\tstar_rating\n" + "".join(f"Five Stars\tGood one {k}.\t5\n" for k in range(3))
          + 'Five Stars\t"Worth it.<br />Love it\t5\n' + 'Meh\tThe "premium" case cracked.\t2\n'
          + 'Ok\t"The Hobbit" is a classic.\t4\n' + "Fine\tFine.\t3\n")


def test_a_file_whose_quotes_are_text_is_read_as_written_and_said(tmp_path):
    """Amazon's review files are tab-separated and never quoted: an unclosed quote ran rows together and a quoted
    title lost its quotes; read as written, every row has the header's fields, and the result keeps the quotes."""
    table, rows, _ = _table_result(tmp_path, AMAZON)
    assert table.rows == 7 and [r[1] for r in rows[1:]] == [
        "Good one 0.", "Good one 1.", "Good one 2.", '"Worth it.<br />Love it', 'The "premium" case cracked.',
        '"The Hobbit" is a classic.', "Fine."] and [r[2] for r in rows[1:]] == ["5", "5", "5", "5", "2", "4", "3"]
    assert any("read as part of its text, not as CSV quoting: row 5 has a cell" in note for note in table.notes)
    one_column = "review\nFine.\nFine.\n" + '"Unclosed quote starts this one\n' + "Fine.\n" * 197
    table, rows, _ = _table_result(tmp_path, one_column)
    assert table.rows == 200 and rows[3][0] == '"Unclosed quote starts this one' and rows[200][0] == "Fine."


@pytest.mark.parametrize("data, texts, note", [
    # CSV quoting that holds: read as CSV, no note
    ('id,text\n1,"Fine, really"\n2,"He said ""wow"""\n', ["Fine, really", 'He said "wow"'], None),
    # one cell's quotes do not hold, and read as written the quoted comma splits a row: each line as CSV where its
    # quotes hold on it (a quote written twice, a file that quotes its header: CSV's), else as written, said
    ('id,text\n1,"The Hobbit" is a classic\n2,"Fine, really"\n', ['"The Hobbit" is a classic', "Fine, really"],
     "Row 2 has a cell that a double quote opens but does not close where the cell ends: each line was read as one"),
    ('id,text\n1,"The ""x"" one" and more\n2,"fine"\n', ['"The ""x"" one" and more', "fine"], "Row 2 has a cell"),
    ('"id","text"\n"1","The Hobbit" is a classic\n', ['"The Hobbit" is a classic'], "Row 2 has a cell"),
    # a red team's: the csv module ran the 3 rows after an unclosed quote into its cell (50 reviews read as 11)
    ('id,text\n1,"Fine, really"\n2,"Unclosed review\n3,fine\n4,also fine\n5,last\n',
     ["Fine, really", '"Unclosed review', "fine", "also fine", "last"], "Row 3 has a cell"),
])
def test_a_file_that_quotes_as_csv_keeps_its_quoting_where_it_holds(tmp_path, data, texts, note):
    table = read_review_table(_upload(tmp_path, data))
    assert [record[table.column] for record in table.records()] == texts
    quote_notes = [n for n in table.notes if "quote" in n.lower()]
    assert quote_notes == [] if note is None else len(quote_notes) == 1 and quote_notes[0].startswith(note)


def test_a_labelled_file_whose_quotes_are_text_trains_on_its_rows_as_written(tmp_path):
    from rnn_demo.sentiment.visitor import labelled_upload

    rows = "".join(f'{"pos" if k % 2 else "neg"}\t"Quoted" start, review {k}.\n' for k in range(300))
    prepared = labelled_upload(str(_upload(tmp_path, "label\ttext\n" + rows, "reviews.tsv")), None, None)
    texts = prepared.train[0] + prepared.held_out[0]
    assert len(texts) == 300 and all(text.startswith('"Quoted" start, review ') for text in texts)
    assert any("read as part of its text" in note for note in prepared.notes)


@pytest.mark.parametrize("data, texts, note", [
    # a quote never closed in a tab file, closed rows later by an inch mark at a cell's end: strict CSV took the rows
    # between as one cell, silently; lines that are whole rows inside a cell say the quotes are text
    ('rating\ttitle\tbody\n5\tGood\t"Worth it<br />Love it\n4\tok\tfine\n3\tmeh\tfine too\n5\tTV\tGreat 65"\n'
     '2\tbad\tbroke\n', ['"Worth it<br />Love it', "fine", "fine too", 'Great 65"', "broke"],
     "each line was read as one row"),
    # a quote written twice outside a quoted cell is no CSV quoting: the unclosed quote no longer runs 39 rows together
    ('id\ttitle\tbody\n1\tThe 12"" Pan\tCooks well.\n2\tok\t"Worth it.<br />Love it\n3\tfine\tGood.\n',
     ["Cooks well.", '"Worth it.<br />Love it', "Good."], "read as part of its text"),
    # a file that quotes as CSV (most quoted cells wrapped whole), one row broken: its labels keep no quotes
    ('text,label\n"Great film","pos"\n"The "Hobbit" rocks","pos"\n"bad","neg"\n',
     ["Great film", '"The "Hobbit" rocks"', "bad"], "Row 3 has a cell"),
    ('id,text\n1,"Great film" \n2,"ok"\n', ["Great film", "ok"], "Row 2 has a cell"),
    # a quoted review over two lines read whole before the row that breaks: CSV's, its lines not split into rows
    ('label,text\npos,"First para.\nSecond para, short."\nneg,"The Hobbit" is dull\n',
     ["First para.\nSecond para, short.", "The Hobbit is dull"], "Row 3 has a cell"),
])
def test_a_broken_row_is_read_as_the_rest_of_the_file_quotes(tmp_path, data, texts, note):
    """A red team's: strict CSV let an inch mark close a quote rows later, one doubled quote anywhere kept the
    quotes as CSV's, and one broken row made every well-quoted cell keep its quotes (labels "pos" with quotes)."""
    table = read_review_table(_upload(tmp_path, data))
    assert [record[table.column] for record in table.records()] == texts
    assert any(note in n for n in table.notes), table.notes


def test_a_file_read_as_written_is_refused_for_what_it_holds_not_for_a_quote(tmp_path):
    """Past MAX_ROWS, a tab file whose quote never closes is refused for its rows (it was told to close the quote of a
    cell of 131,072 characters, which held 20,000 reviews)."""
    from rnn_demo.sentiment.review_table import MAX_ROWS

    rows = ["5\tGood one.\n"] * (MAX_ROWS + 1)
    rows[100] = '5\t"Worth it.<br />Love it\n'
    with pytest.raises(ValueError, match="more than 20,000 rows"):
        read_review_table(_upload(tmp_path, "stars\treview_body\n" + "".join(rows), "reviews.tsv"))


@pytest.mark.parametrize("data, texts", [
    # a quoted cell over two lines after the broken row: split in two, a half review in the label column (a red
    # team's); with a quote written twice elsewhere (read line by line), and without (it was read as written)
    ('text,label\n"Great, ""fun"" film",1\n"The Hobbit" is a classic,1\n"Loved it, the cast was great.\n'
     'Would watch again.",1\nMeh,0\n', ['Great, "fun" film', '"The Hobbit" is a classic',
                                        "Loved it, the cast was great.\nWould watch again.", "Meh"]),
    ('text,label\n"The Hobbit" is a classic,1\n"Loved it, the cast was great.\nWould watch again.",1\nMeh,0\n',
     ['"The Hobbit" is a classic', "Loved it, the cast was great.\nWould watch again.", "Meh"]),
    # as many cells wrapped whole as cells a quote only opens: CSV's wrapping holds (it kept "Great film"'s quotes)
    ('text,label\n"Great film",1\n"The Hobbit" is a classic,1\nBoring,0\n',
     ["Great film", '"The Hobbit" is a classic', "Boring"]),
    # a header that strict CSV refuses: it failed with UnboundLocalError (a red team's), now read as CSV reads it
    ('"review" ,"label"\n"Great film",1\nMeh,0\n', ["Great film", "Meh"]),
    ('sep=;\n"Review" text;Rating\nGood;5\n', ["Good"]),
])
def test_quoted_cells_over_lines_and_broken_headers_are_read_as_csv_writes_them(tmp_path, data, texts):
    table = read_review_table(_upload(tmp_path, data))
    assert [record[table.column] for record in table.records()] == texts
    assert all(len(record) == len(table.header) for record in table.records())
