from rnn_demo.text.convert import join_plays, play_to_text


def test_speakers_headings_and_blank_lines():
    markdown = "# Title\n\n## ACT I\n\n**ROMEO**  \nHello,  \nworld.\n\n\n**JULIET**\nBye.\n\n"
    assert play_to_text(markdown) == "ROMEO:\nHello,\nworld.\n\nJULIET:\nBye.\n"


def test_speaker_gets_one_blank_line_before_it_unless_first():
    assert play_to_text("**A**\nx\n**B**\ny\n") == "A:\nx\n\nB:\ny\n"


def test_one_line_stage_direction_is_dropped():
    assert play_to_text("**A**\n_Enter two Gentlemen_\nHello.\n") == "A:\nHello.\n"


def test_multi_line_stage_direction_is_dropped_up_to_its_closing_line():
    markdown = "**A**\n_Exeunt all but\nthe king, and_\nspeech\n_Exit_\nmore\n"
    assert play_to_text(markdown) == "A:\nspeech\nmore\n"


def test_escapes_removed_and_leading_spaces_kept():
    assert play_to_text("**A**\n  I\\'ll \\*go\\* 1\\. \n") == "A:\n  I'll *go* 1.\n"


def test_headings_with_leading_space_and_trailing_blank_lines_dropped():
    assert play_to_text("\n\n  # note\nline\n\n\n") == "line\n"


def test_plays_joined_with_one_blank_line():
    assert join_plays(["a\n", "b\n"]) == "a\n\nb\n"
