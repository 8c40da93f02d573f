from rnn_demo.display import visible


def test_controls_and_direction_overrides_become_visible_one_for_one():
    text = "ok\x00\x07\x7f \u202eevil\u2066 \x85"
    shown = visible(text)
    assert shown == "ok\u2400\u2407\u2421 \ufffdevil\ufffd \ufffd" and len(shown) == len(text)
    assert visible("ROMEO \ud800:\udfff") == "ROMEO \ufffd:\ufffd"  # lone surrogates: no encoder takes them
    # a red team's: the Arabic letter mark (bidi), line and paragraph separators, zero-width no-break space, U+180E
    assert visible("a\u061cb\u2028c\u2029d\ufeffe\u180ef") == "a\ufffdb\ufffdc\ufffdd\ufffde\ufffdf"


def test_newlines_tabs_emoji_and_accents_stay_as_they_are():
    text = "To be,\r\n\tor not 😀 — déjà vu"
    assert visible(text) == text


def test_two_lines_breaks_a_long_title_at_the_separator_nearest_its_middle():
    from rnn_demo.display import two_lines

    assert two_lines("held-out bits per character") == "held-out bits<br>per character"
    assert two_lines("held-out accuracy") == "held-out<br>accuracy" and two_lines("held-out loss") == "held-out loss"
    assert two_lines("LSTM, 32 units, T = 80, seed 0", ", ", longest=0) == "LSTM, 32 units,<br>T = 80, seed 0"
    assert two_lines("a-long-title-with-no-space") == "a-long-title-with-no-space"


def test_column_lists_quote_every_name_where_a_comma_or_an_edge_space_would_make_them_ambiguous():
    from rnn_demo.display import column_list

    assert column_list(["ts", "load_mw"]) == "ts, load_mw"
    assert column_list(["Data", "Carico (MW, media oraria)"]) == "“Data”, “Carico (MW, media oraria)”"
    assert column_list(["id", " text", ""]) == "“id”, “ text”, “”"
    assert column_list([f"c{i}" for i in range(25)], shown=3) == "c0, c1, c2 and 22 more"
    assert column_list(["x" * 50]) == "x" * 40 + "…"
