"""The Sentiment tab's "compare the three cells" option: each bundled cell's verdict on one review is the one the
single view gives for that cell, its word colours cover the review, and the endpoint answers (and refuses) through
the launched app's API."""
import gradio as gr
import pytest

from rnn_demo.backbone import CELL_LABELS
from rnn_demo.sentiment.compare import agreement, compare_verdicts, top_label
from rnn_demo.sentiment.infer import Verdict
from rnn_demo.sentiment.serve import analyse, bundled_cells

REVIEW = ("The first half is gripping and the photography is lovely,\nbut the last act falls apart completely. "
          "Oh, and <br /><br />the music: superb!")


@pytest.fixture(scope="module")
def verdicts() -> dict[str, Verdict]:
    return compare_verdicts(REVIEW)


def test_each_cell_gives_the_verdict_of_the_single_view(verdicts):
    assert list(verdicts) == bundled_cells() == ["rnn", "gru", "lstm"]
    for cell, verdict in verdicts.items():
        single = analyse(REVIEW, cell)
        assert verdict.probabilities == pytest.approx(single.probabilities, abs=1e-6)
        assert [piece for piece, _ in verdict.spans] == [piece for piece, _ in single.spans]
        scores = [score for _, score in verdict.spans]
        assert scores == pytest.approx([score for _, score in single.spans], abs=1e-6)
        assert verdict.notes == single.notes


def test_each_cells_word_colours_join_back_to_the_review(verdicts):
    for cell, verdict in verdicts.items():
        assert "".join(piece for piece, _ in verdict.spans) == REVIEW, cell
        scores = [score for _, score in verdict.spans if score is not None]
        assert scores and max(abs(score) for score in scores) == pytest.approx(1.0)  # the strongest word, full colour
        assert all(-1.0 <= score <= 1.0 for score in scores)


@pytest.mark.parametrize("text", ["", "   \n", None])
def test_an_empty_review_is_refused_as_in_the_single_view(text):
    with pytest.raises(ValueError, match="the review is empty"):
        compare_verdicts(text)


def _verdict(positive: float) -> Verdict:
    return Verdict({"negative": 1 - positive, "positive": positive}, [("film", 1.0)])


def test_the_agreement_line_names_the_label_or_each_cells_verdict():
    assert top_label(_verdict(0.7)) == "positive" and top_label(_verdict(0.2)) == "negative"
    same = {cell: _verdict(0.9) for cell in ("rnn", "gru", "lstm")}
    assert agreement(same) == "All 3 cells say **positive**."
    split = {"rnn": _verdict(0.62), "gru": _verdict(0.43), "lstm": _verdict(0.24)}
    assert agreement(split) == ("The cells disagree: Vanilla RNN **positive** (62%); GRU **negative** (57%); "
                                "LSTM **negative** (76%).")


def test_the_handler_gives_each_cells_label_words_and_notes_then_the_agreement(verdicts):
    from rnn_demo.sentiment.tab import compare_review

    values = compare_review(REVIEW)
    assert len(values) == 3 * len(verdicts) + 1 and values[-1] == agreement(verdicts)
    for number, verdict in enumerate(verdicts.values()):
        probabilities, spans, _ = values[3 * number: 3 * number + 3]
        assert probabilities == verdict.probabilities and spans == verdict.spans
    with pytest.raises(gr.Error, match="the review is empty"):
        compare_review("")


def test_the_tab_wires_the_button_to_one_label_and_words_per_cell():
    from rnn_demo.runtime import QUICK
    from rnn_demo.sentiment import tab as sentiment_tab

    with gr.Blocks() as tab:
        sentiment_tab.build()
    by_name = {fn.api_name: fn for fn in tab.fns.values()}
    run, clear = by_name["classify_compare"], by_name["sentiment_clear_compare"]
    labels = [block.label for block in run.outputs if isinstance(block, gr.Label)]
    assert labels == [CELL_LABELS[cell] for cell in bundled_cells()]
    assert sum(isinstance(block, gr.HighlightedText) for block in run.outputs) == len(bundled_cells())
    assert run.concurrency_id == QUICK["concurrency_id"] and run.api_visibility == "public"
    # the words, notes and agreement are emptied in the page first; the labels not (gradio 6 throws on a null Label)
    assert clear.targets == run.targets and not clear.queue
    assert clear.outputs == [block for block in run.outputs if not isinstance(block, gr.Label)]
    assert by_name["sentiment_open_compare"].api_visibility == "private"
    button = next(block for block in tab.blocks.values() if block._id == run.targets[0][0])
    assert button.value == "Compare the three cells" and button.variant == "secondary"


@pytest.mark.slow
def test_classify_compare_through_the_api(client):
    """The launched app bundles tiny GRU and LSTM classifiers: two verdicts, each the /classify one of its cell."""
    review = "A superb and moving film, though dull in places."
    values = client.predict(review, api_name="/classify_compare")
    assert len(values) == 3 * 2 + 1
    for number, cell in enumerate(["gru", "lstm"]):
        label, words, _ = values[3 * number: 3 * number + 3]
        single, single_words, _ = client.predict(review, cell, api_name="/classify")
        assert label == single and words == single_words
        assert "".join(word["token"] for word in words) == review
    assert values[-1].startswith(("All 2 cells say", "The cells disagree"))
    with pytest.raises(Exception, match="the review is empty"):
        client.predict("   ", api_name="/classify_compare")
