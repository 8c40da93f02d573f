"""The short-text check's pieces (rnn_demo/sentiment/short_texts.py) on literal reviews."""
import pytest

from rnn_demo.sentiment.short_texts import first_and_last, leaning, sentence_crops, sentences, short_texts

REVIEW = ('I saw this film last week. It was "wonderful!" Then again, Mr. Smith was bad.<br /><br />Overall a 7/10... '
          "Worth it? Yes!")


def test_sentences_end_at_stops_before_a_capital_and_at_html_breaks_but_not_after_titles():
    assert sentences(REVIEW) == ["I saw this film last week.", 'It was "wonderful!"', "Then again, Mr. Smith was bad.",
                                 "Overall a 7/10...", "Worth it?", "Yes!"]
    assert sentences("A 3.5 star film. 2 stars for the cast.") == ["A 3.5 star film.", "2 stars for the cast."]
    assert sentences("no capital. after this") == ["no capital. after this"]
    assert sentences("  <br />  ") == []


def test_the_first_and_last_sentences_of_four_to_forty_words_are_kept():
    assert first_and_last(REVIEW) == ["I saw this film last week.", "Then again, Mr. Smith was bad."]
    assert first_and_last("Great fun for everyone here. Bad.") == ["Great fun for everyone here."]
    assert first_and_last("Yes! No! " + "word " * 41 + ".") == []


def test_short_texts_carry_their_reviews_labels():
    texts, labels = short_texts([REVIEW, "A dull and lifeless film. Avoid."], [1, 0])
    assert texts == ["I saw this film last week.", "Then again, Mr. Smith was bad.", "A dull and lifeless film."]
    assert labels == [1, 1, 0]


def test_leaning_gives_the_share_of_positive_against_the_true_share():
    figures = leaning([1, 1, 1, 0], [1, 0, 0, 0])
    assert figures["accuracy"] == 0.5 and figures["positive_share"] == 0.75 and figures["true_positive_share"] == 0.25
    assert figures["share_gap_points"] == pytest.approx(50.0)


def test_sentence_crops_are_seeded_runs_of_a_reviews_sentences_with_its_label():
    reviews = [REVIEW, "One sentence only, no crop.", "A dull film. Avoid it. Really."]
    crops, labels = sentence_crops(reviews, [1, 1, 0], per_review=3, seed=4)
    assert len(crops) == 6 and labels == [1, 1, 1, 0, 0, 0]
    for crop, review in zip(crops, [REVIEW] * 3 + ["A dull film. Avoid it. Really."] * 3):
        parts = sentences(crop)
        assert 1 <= len(parts) <= 3 and " ".join(parts) in " ".join(sentences(review))
    assert sentence_crops(reviews, [1, 1, 0], per_review=3, seed=4) == (crops, labels)
    assert sentence_crops(reviews, [1, 1, 0], per_review=3, seed=5) != (crops, labels)


@pytest.mark.slow
@pytest.mark.parametrize("cell", ["gru", "lstm", "rnn"])
def test_the_readme_gives_each_bundled_models_short_text_figures(cell):
    from rnn_demo.backbone import CELL_LABELS
    from rnn_demo.hub import load_model
    from rnn_demo.sentiment.data import protocol_dataset, texts_and_labels
    from rnn_demo.sentiment.evaluate import evaluate_short_texts
    from rnn_demo.sentiment.model import ReviewClassifier
    from rnn_demo.sentiment.tokenizer import load_tokenizer
    from tests.conftest import ROOT

    directory = ROOT / "models" / f"sentiment-{cell}"
    figures = evaluate_short_texts(load_model(ReviewClassifier, directory), load_tokenizer(directory),
                                   *texts_and_labels(protocol_dataset()["selection"]))
    row = (f"| {CELL_LABELS[cell]} (bundled) | {figures['accuracy']:.2%} | {figures['positive_share']:.2%} | "
           f"{figures['share_gap_points']:+.2f} points |")
    assert figures["texts"] == 7910 and row in (ROOT / "README.md").read_text()
    if cell == best_bundled_cell():  # issue 16: level with TF-IDF on short texts, leaning at most 3 points
        assert figures["accuracy"] >= TFIDF_SHORT_TEXT_ACCURACY and abs(figures["share_gap_points"]) <= 3


# `bench sentiment-baseline`'s `short_texts` accuracy of TF-IDF, the README's TF-IDF row
TFIDF_SHORT_TEXT_ACCURACY = 0.7321


def best_bundled_cell() -> str:
    """The bundled cell with the best test accuracy on its card."""
    from rnn_demo.hub import card_metrics
    from rnn_demo.sentiment.serve import bundled_cells, model_dir

    return max(bundled_cells(), key=lambda cell: card_metrics(model_dir(cell))["accuracy"])


def test_the_readme_states_tfidfs_short_text_figure():
    from tests.conftest import ROOT

    assert f"| TF-IDF (C=256, fit on the training split only) | {TFIDF_SHORT_TEXT_ACCURACY:.2%} |" in (
        ROOT / "README.md").read_text()
