"""A CSV of reviews on small literal files and a tiny model: read streamed from its path, checked (rows, fields,
delimiter, encoding, cells), classified row for row, written safe for spreadsheets, kept in the app's own folder."""
import csv
import io
import os
import signal
import shutil
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest

from rnn_demo.sentiment.batch import CHUNK_ROWS, FILE_SECONDS, Classified, classify_table, safe_cell
from rnn_demo.sentiment.review_table import MAX_ROWS, read_review_table
from rnn_demo.uploads import header_delimiter
from rnn_demo.sentiment.data import LABELS
from tests.test_sentiment import _trained_tokenizer, tiny_classifier

ROOT = Path(__file__).resolve().parent.parent


def _upload(folder: Path, data: bytes | str, name: str = "reviews.csv") -> Path:
    path = folder / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def _table_result(folder: Path, data: bytes | str, column=None, seconds: float = FILE_SECONDS):
    table = read_review_table(_upload(folder, data), column)
    out = io.StringIO(newline="")
    done = classify_table(tiny_classifier(), _trained_tokenizer(), table, out, seconds=seconds)
    assert done.unreached == 0 or seconds < FILE_SECONDS
    return table, list(csv.reader(io.StringIO(out.getvalue(), newline=""), delimiter=table.out_delimiter)), done.empty


def test_csv_upload_gets_one_output_row_per_input_row_in_order(tmp_path):
    data = "id,review,stars\n1,superb film,5\n2,,3\n3,\"dull, far too long\",1\n\n4,moving,4\n"
    table, rows, empty = _table_result(tmp_path, data)
    assert rows[0] == ["id", "review", "stars", "predicted", "p_negative", "p_positive", "prediction_note"]
    assert [r[0] for r in rows[1:]] == ["1", "2", "3", "", "4"] and table.rows == 5 and empty == 2
    assert rows[2][3:] == ["", "", "", ""] and rows[4] == [""] * 7 and rows[1][3] in ("negative", "positive")


@pytest.mark.slow  # the bundled GRU, through the tab's function
def test_a_file_past_its_time_keeps_the_rows_it_did_not_reach_without_a_prediction(tmp_path, monkeypatch):
    """A visitor's largest model took 45 times the bundled one's time (hours for a large file, the files lane held):
    a file is classified for FILE_SECONDS at most, between chunks; the rest of its rows are kept, and said."""
    data = "n,text\n" + "".join(f"{i},superb film {i}\n" for i in range(600))  # three chunks
    table = read_review_table(_upload(tmp_path, data), None)
    out = io.StringIO(newline="")
    done = classify_table(tiny_classifier(), _trained_tokenizer(), table, out, seconds=0.0)  # past it at the second
    rows = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
    assert done == Classified(empty=0, unreached=600 - CHUNK_ROWS, seconds=0.0) and len(rows) == 601
    assert all(row[2] in ("negative", "positive") for row in rows[1:CHUNK_ROWS + 1])
    assert all(row[2:] == ["", "", "", ""] for row in rows[CHUNK_ROWS + 1:]) and rows[-1][0] == "599"
    from rnn_demo.sentiment import batch, serve

    monkeypatch.setattr(batch, "FILE_SECONDS", 0.0)
    _, summary = serve.classify_upload(str(_upload(tmp_path, data)), "", "gru")
    assert (f"Classified {CHUNK_ROWS:,} reviews" in summary and f"The last {600 - CHUNK_ROWS:,} rows are kept without a "
            "prediction: a file is classified for at most 0 s, and this model (" in summary), summary


def test_csv_at_the_row_cap_keeps_every_row_in_order(tmp_path):
    data = "n,text\n" + "".join(f"{i},{'superb' if i % 3 else ''} film {i}\n" for i in range(MAX_ROWS))
    table, rows, _ = _table_result(tmp_path, data)
    assert len(rows) == MAX_ROWS + 1 and [int(r[0]) for r in rows[1:]] == list(range(MAX_ROWS))
    assert all(r[1] == f"{'superb' if i % 3 else ''} film {i}" and r[2] in LABELS for i, r in enumerate(rows[1:]))


@pytest.mark.parametrize("data, note, text", [
    ("text\ncaf\xe9 superb\n".encode("latin-1"), "Latin-1", "café superb"),
    (b"\xff\xfe" + "text\ncafé superb 😀\n".encode("utf-16-le"), "UTF-16", "café superb 😀"),
    (b"\xfe\xff" + "text\ncafé superb 😀\n".encode("utf-16-be"), "UTF-16", "café superb 😀"),
    ("\ufefftext\ncafé superb\n".encode("utf-8"), None, "café superb"),
])
def test_files_in_other_encodings_are_read_with_a_note(tmp_path, data, note, text):
    table, rows, _ = _table_result(tmp_path, data)
    assert rows[0][0] == "text" and rows[1][0] == text
    assert any(note in n for n in table.notes) if note else table.notes == []


@pytest.mark.parametrize("first", ["sep=;\n", "\ufeffsep=;\r\n"])
def test_an_excel_sep_line_names_the_delimiter_and_the_header_follows(tmp_path, first):
    table, rows, _ = _table_result(tmp_path, first + "id;text\n1;superb, moving\n")
    assert table.delimiter == ";" and table.header == ["id", "text"] and rows[2][:2] == ["1", "superb, moving"]
    assert rows[0] == ["sep=", ""] and rows[1][:2] == ["id", "text"]  # the result names its delimiter to Excel too


@pytest.mark.parametrize("data, delimiter", [
    ("id,text\n1,superb; moving\n", ","),  # prose with semicolons in a comma file
    ('"id;x","text"\n"1;2",superb\n', ","),  # quoted header cells with semicolons
    ("id;text\n1;superb, moving\n", ";"),
    ('"id, if any";"text"\n1;superb\n', ";"),  # a comma inside a quoted header cell
    ("id\ttext\n1\tsuperb, moving; fine\n", "\t"),
])
def test_the_delimiter_comes_from_the_header_line(tmp_path, data, delimiter):
    assert header_delimiter(data.splitlines()[0]) == delimiter
    table, rows, _ = _table_result(tmp_path, data)
    assert table.delimiter == delimiter and len(rows[1]) == len(rows[0])
    assert (delimiter == ",") == (not any("-separated" in note for note in table.notes))


@pytest.mark.parametrize("data, header, reviews, headerless", [
    # one column with a header: a review's commas, semicolons and tabs stay in it (a comma split it into fields
    # and the file was refused for rows of more fields than the header's)
    ("review\nsuperb, moving film\ndull; far\ttoo long\n", "review", ["superb, moving film", "dull; far\ttoo long"],
     False),
    ('text\n"quoted, as Excel writes it"\nplain, again\n', "text", ["quoted, as Excel writes it", "plain, again"],
     False),
    ("Comments\nfine\n", "Comments", ["fine"], False),  # a short first line is the column's name
    ("review\nfine\x1fgood, yes\n", "review", ["fine\x1fgood, yes"], False),  # the character read with: one review
    # no header: the first line is a review too (a sentence, or more than four words)
    ("Loved it, every minute!\nDull.\n", "review", ["Loved it, every minute!", "Dull."], True),
    ("what a waste of two hours\nsuperb\n", "review", ["what a waste of two hours", "superb"], True),
])
def test_a_one_column_file_reads_each_line_as_one_review(tmp_path, data, header, reviews, headerless):
    table, rows, _ = _table_result(tmp_path, data)
    assert table.header == [header] and table.rows == len(reviews) and table.out_delimiter == ","
    assert rows[0][0] == header and [r[0] for r in rows[1:]] == reviews
    assert all(r[1] in LABELS for r in rows[1:]) and all(len(r) == len(rows[0]) for r in rows)
    assert any("no header: its first line was read as a review" in n for n in table.notes) == headerless
    assert not any("-separated" in n for n in table.notes)


def test_a_forms_export_is_a_table_and_a_short_first_line_read_as_a_name_is_said(tmp_path):
    """A red team's: Google Forms' header ends in its question ("...of the film?"), and the file was read as one
    column of whole lines, its header classified too; it now asks for the column, and reads it once named. A list
    with no header whose first review is short ("Great product") lost it to the column's name, saying nothing."""
    forms = b'Timestamp,Email Address,What did you think of the film?\r\n3/5/2024 19:41:12,a@b.com,"Great, loved it"\r\n'
    with pytest.raises(ValueError, match="name the text column; the file's columns are: Timestamp, Email Address, "
                                         "What did you think of the film\\?"):
        read_review_table(_upload(tmp_path, forms * 1))
    named = read_review_table(_upload(tmp_path, forms), "What did you think of the film?")
    assert named.rows == 1 and [row[named.column] for row in named.records()] == ["Great, loved it"]
    listed = read_review_table(_upload(tmp_path, b"Great product\nAbsolutely loved it.\nDull.\n"))
    assert listed.rows == 2 and listed.notes == ["The file's first line, “Great product”, was read as its column's "
                                                 "name: if it is a review, add a first line “review” above it."]


def test_a_surveys_second_header_row_is_left_out_and_said(tmp_path):
    """SurveyMonkey writes two header rows: the second ("", ..., "Open-Ended Response") was classified as a review."""
    data = ("Respondent ID,Start Date,What did you think of the film?\n,,Open-Ended Response\n"
            "1,2024-03-05,\"Loved it, truly.\"\n2,2024-03-05,Dull.\n")
    question = "What did you think of the film?"
    table = read_review_table(_upload(tmp_path, data), question)
    assert table.rows == 2 and [row[table.column] for row in table.records()] == ["Loved it, truly.", "Dull."]
    assert any("second header row" in note for note in table.notes)
    with pytest.raises(ValueError, match="row 4 has 2 fields"):  # rows still counted as in the file
        read_review_table(_upload(tmp_path, data.replace("2,2024-03-05,Dull.", "2,Dull.")), question)


def test_a_headerless_file_counts_its_rows_from_the_first_line(tmp_path):
    with pytest.raises(ValueError, match=f"more than {MAX_ROWS:,} rows"):
        read_review_table(_upload(tmp_path, "A fine film.\n" * (MAX_ROWS + 1)))
    assert read_review_table(_upload(tmp_path, "A fine film.\n" * MAX_ROWS)).rows == MAX_ROWS


def test_each_prediction_has_the_notes_the_single_review_box_gives_it(tmp_path):
    """A row the model can read nothing of (another language, emoji, a long review cut) got a label in the result
    with nothing to say that it means little; the box for one review said so."""
    from rnn_demo.sentiment.infer import explain_review

    long = "superb " * 5000
    data = f'n,text\n1,superb film\n2,"★★★★★ 😀"\n3,qwxz vbnm plkj\n4,{long}\n'
    table, rows, _ = _table_result(tmp_path, data)
    model, tokenizer = tiny_classifier(), _trained_tokenizer()
    for row, text in zip(rows[1:], ["superb film", "★★★★★ 😀", "qwxz vbnm plkj", long]):
        colourless = [n for n in explain_review(model, tokenizer, text).notes if "uncoloured" not in n]  # no colours
        assert row[-1] == " ".join(n for n in colourless if "legend" not in n)
    assert rows[1][-1] == "" and "means little" in rows[2][-1] and "means little" in rows[3][-1]
    assert rows[4][-1].startswith("Long review: only its first")


def test_comma_files_read_exactly_as_the_csv_module_does(tmp_path):
    data = 'id,text,stars\n1,"superb; moving, ""great""",5\n2,"two\nlines",\n3,dull\tfilm,1\n'
    table = read_review_table(_upload(tmp_path, data))
    assert [table.header, *table.records()] == list(csv.reader(io.StringIO(data, newline="")))


@pytest.mark.parametrize("cell, shown", [("=1+2", "'=1+2"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"),
                                         ("\tx", "'\tx"), ("\rx", "'\rx"), ("a=1", "a=1"), ("", ""), ("'x", "'x")])
def test_cells_a_spreadsheet_would_run_get_a_quote_in_front(cell, shown):
    assert safe_cell(cell) == shown


def test_formulas_in_header_and_rows_come_back_as_text(tmp_path):
    _, rows, _ = _table_result(tmp_path, 'text,=note\n"=1+2 superb",-1\n')
    assert rows[0][:2] == ["text", "'=note"] and rows[1][:2] == ["'=1+2 superb", "'-1"]
    # and the summary says how many texts got the quote (a red team's: 150 tweets, "@united ...", all changed unsaid)
    from rnn_demo.sentiment.serve import classify_upload

    _, summary = classify_upload(str(_upload(tmp_path, "text\n@united lost my bag\nfine flight\n+1 great\n")), None,
                                 "rnn")
    assert "2 text(s) starting like a spreadsheet formula (=, +, -, @) have a ' in front in the result" in summary


@pytest.mark.parametrize("data, column, message", [
    (b"", None, "the file is empty"),
    (b"\xef\xbb\xbf", None, "the file is empty"),
    (b"\xff\xfe", None, "the file is empty"),
    (b" \n\n", None, "the file is empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", None, "binary"),
    (b"\xff\xfe\x00\xd8", None, "not valid UTF-16"),
    (b"a,b,c,d,e\n1,2,3,4,5\n", None, "no column named text, review, .* or tweet: name the text column; the file's "
                                     "columns are: a, b, c, d, e"),
    (b"review\nfine\n", "body", "no column 'body'"),
    (b"text\n" + b"good\n" * 20_001, None, "more than 20,000 rows; the limit is 20,000: split it"),
    (b"id,text\n1,a\n2,b,c\n3,d\n", None, "row 3 has 3 fields, the header has 2: put quotes around a cell that contains "
                                          'a comma \\("like, this"\\)'),
    # a quote inside a quoted cell, not doubled: the advice was to add the quotes the cell has (a red team's)
    (b'id,text\n1,"He said "wow, really" loudly"\n', None, 'row 2 has 3 fields, the header has 2: write each double '
                                                        'quote inside a quoted cell twice'),
    (b'id,text\n1,The "premium" case, cracked\n', None, "row 2 has 3 fields, the header has 2: put quotes around"),
    (b"id;text\n" + b"1;a;b\n" * 3 + b"2\n" * 4, None, r"rows 2, 3, 4, 5 and 6 have 1 and 3 fields, the header has 2 "
                                                      r"\(7 rows in all\): put quotes around a cell that contains a "
                                                      r"semicolon .*; give every row a cell for each column"),
    # fewer fields alone: no advice about delimiters (a review split by a line break, a cell left out)
    (b"id,text,stars\n1,a superb\nfilm,5\n", None, r"rows 2 and 3 have 2 fields, the header has 3: give every row a "
                                                   r"cell for each column \(an empty one too\), and put quotes around a "
                                                   r"cell that runs over several lines, so that"),
    (b"text\n" + b"a" * 131_073 + b"\n", None, "row 2 has a cell over 131,072 characters"),
    (b"text\n\"" + b"a" * 140_000, None, "row 2 has a cell over 131,072 characters.*close the quote"),
    (b"text\n" + b"a," * 600_000 + b"\n", None, "line 2 of the file is over 1,000,000 characters"),
    (",".join(map(str, range(1001))).encode(), None, "1,001 columns; the limit is 1,000"),
    (b"sep=|\nid|text\n1|a\n", None, "names a delimiter this app does not read: save it with commas, semicolons or "
                                    "tabs"),
])
def test_bad_csv_uploads_are_clear_errors(tmp_path, data, column, message):
    with pytest.raises(ValueError, match=message):
        read_review_table(_upload(tmp_path, data), column)


@pytest.mark.parametrize("column", [None, "text", " text", "TEXT"])
def test_a_hand_written_header_with_spaces_after_its_commas_finds_its_column(tmp_path, column):
    table = read_review_table(_upload(tmp_path, b"id, text\n1, a great film\n"), column)
    assert table.header[table.column] == " text"


@pytest.mark.parametrize("header, column", [
    (b"marketplace,star_rating,review_headline,review_body", "review_body"),  # Amazon's
    (b"overall,reviewText,summary", "reviewText"),
    (b"Clothing ID,Age,Title,Review Text,Rating", "Review Text"),
    (b"critic_name,review_score,review_content", "review_content"),
    (b"stars,text,review_id", "text"),  # Yelp's: ours first
    (b"Reviewer,Review Title,Review Content,Stars", "Review Content"),  # Trustpilot's: spelled otherwise
    (b"id,review-text", "review-text"),
    (b"Date,Rating,Reviews", "Reviews"),
    (b"user,Comments", "Comments"),
    (b"sentence,label", "sentence"),  # GLUE's SST-2, and a file of tweets
    (b"tweet_id,airline_sentiment,tweet", "tweet"),
])
def test_review_sites_exports_find_their_text_column(tmp_path, header, column):
    fields = header.count(b",") + 1
    table = read_review_table(_upload(tmp_path, header + b"\n" + b",".join([b"a great film"] * fields) + b"\n"))
    assert table.header[table.column] == column


def test_a_huge_file_of_tiny_rows_is_refused_holding_almost_nothing(tmp_path):
    path = _upload(tmp_path, b"text\n" + b"a\n" * 10_000_000)
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="the limit is 20,000"):
            read_review_table(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000, f"{peak:,} bytes at the peak"


def test_results_are_named_after_the_upload_in_a_folder_per_request():
    from rnn_demo.result_files import ResultFiles
    from rnn_demo.sentiment.serve import result_file

    results = ResultFiles()
    first, second = result_file("/x/reviews.csv", results), result_file("/y/reviews.csv", results)
    assert first.name == second.name == "reviews-classified.csv" and first.parent != second.parent
    assert first.parent.parent == second.parent.parent == results.folder
    assert result_file("/x/my reviews (2).csv", results).name == "my_reviews_2-classified.csv"
    assert result_file("/x/..csv", results).name == "reviews-classified.csv"


def test_old_results_are_pruned_on_a_timer_whatever_the_traffic():
    from rnn_demo.result_files import ResultFiles

    results = ResultFiles(keep_seconds=0.3, every=0.1)
    path = results.new_folder() / "reviews-classified.csv"
    path.write_text("a review")
    deadline = time.monotonic() + 10
    while path.parent.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not path.parent.exists() and results.folder.exists()
    shutil.rmtree(results.folder)  # as atexit does while the pruning thread still runs: it prunes nothing, no error
    results.prune()


def _app_with_a_result(*then: str) -> subprocess.Popen:
    code = ("from rnn_demo.sentiment.serve import RESULTS, result_file\nresult_file('r.csv').write_text('x')\n"
            "print(RESULTS.folder, flush=True)\n" + "\n".join(then))
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True)


@pytest.mark.slow  # over 2 s: out of the fast loop (tests/README.md)
def test_results_are_removed_when_the_app_exits_or_at_the_next_start_after_a_kill():
    from rnn_demo.result_files import ResultFiles

    exits = _app_with_a_result()
    folder = Path(exits.stdout.readline().strip())
    assert exits.wait(timeout=60) == 0 and folder.name.startswith(ResultFiles.PREFIX) and not folder.exists()
    killed = _app_with_a_result("import time; time.sleep(60)")
    folder = Path(killed.stdout.readline().strip())
    os.kill(killed.pid, signal.SIGTERM)  # no atexit
    killed.wait(timeout=30)
    assert folder.exists()
    ResultFiles().folder  # the next app
    assert not folder.exists()
    import tempfile

    same_pid = Path(tempfile.mkdtemp(prefix=f"{ResultFiles.PREFIX}{os.getpid()}-"))  # a killed app's, under our pid
    mine = ResultFiles().folder  # (a container restarted keeps its files and its pid 1)
    assert not same_pid.exists() and mine.exists()
    ResultFiles().folder  # another of this process's: its folders are kept
    assert mine.exists()


@pytest.mark.slow
def test_bench_csv_refusal_times_the_refusal_of_a_50_mb_file_and_its_memory():
    import json

    from rnn_demo.uploads import MAX_BYTES
    from tests.conftest import run_cli

    result = run_cli("bench", "csv-refusal", "--json")
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout)
    assert MAX_BYTES - 2 ** 20 < report["file_bytes"] < MAX_BYTES and report["refusal_s"] > 0
    assert report["python_peak_mb"] < 5 and report["rss_peak_mb"] - report["rss_before_mb"] < 100
