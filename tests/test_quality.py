"""The sentiment and forecasting quality bars, asserted on the bundled weights with the protocol's test data (the text
models' are in test_quality_text.py). The model cards (and, through test_readme.py, the README) must state exactly
what is measured here.
"""
import pytest

from rnn_demo.hub import card_metrics, load_model
from rnn_demo.sentiment.serve import bundled_cells

pytestmark = pytest.mark.slow


SENTIMENT_BAR = 0.89  # issue 3: test accuracy of the best bundled cell
TFIDF_TEST_ACCURACY = 0.9188  # issue 16: the best cell must reach the TF-IDF line (`bench sentiment-baseline`)


@pytest.fixture(scope="module")
def imdb_test():
    from rnn_demo.sentiment.data import protocol_dataset, texts_and_labels

    return texts_and_labels(protocol_dataset()["test"])


@pytest.mark.parametrize("cell", bundled_cells())
def test_bundled_sentiment_model_matches_its_card(cell, imdb_test):
    """Each bundled classifier measured in full on the test reviews (one test per cell, spread over the workers): its
    card states exactly that, so the bar below, read from the cards, is the measured one."""
    from rnn_demo.sentiment.evaluate import evaluate_classifier
    from rnn_demo.sentiment.model import ReviewClassifier
    from rnn_demo.sentiment.serve import model_dir
    from rnn_demo.sentiment.tokenizer import load_tokenizer

    directory = model_dir(cell)
    result = evaluate_classifier(load_model(ReviewClassifier, directory, "cpu"), load_tokenizer(directory), *imdb_test)
    card = card_metrics(directory)
    assert card["accuracy"] == result["test_accuracy"] and card["f1"] == result["macro_f1"]
    assert (directory / "model.safetensors").stat().st_size < 10 * 1024 * 1024


def test_best_bundled_sentiment_cell_meets_the_bar():
    """The best cell's test accuracy, as its card states it (test_bundled_sentiment_model_matches_its_card measures
    every card's figure in full)."""
    from rnn_demo.sentiment.serve import model_dir

    accuracy = {cell: card_metrics(model_dir(cell))["accuracy"] for cell in bundled_cells()}
    assert accuracy, "no bundled sentiment model"
    assert max(accuracy.values()) >= SENTIMENT_BAR
    assert max(accuracy.values()) >= TFIDF_TEST_ACCURACY


def test_the_readme_states_the_tfidf_line():
    from tests.conftest import ROOT

    assert f"| {TFIDF_TEST_ACCURACY:.2%} | {TFIDF_TEST_ACCURACY:.4f} | - | " in (ROOT / "README.md").read_text()


@pytest.mark.parametrize("cell", bundled_cells())
def test_word_colours_pass_the_deletion_check_and_match_the_card(cell, imdb_test):
    """Deleting the 5 words credited most weakens the decision far more than deleting 5 at random."""
    from rnn_demo.sentiment.faithfulness import deletion_check
    from rnn_demo.sentiment.model import ReviewClassifier
    from rnn_demo.sentiment.serve import model_dir
    from rnn_demo.sentiment.tokenizer import load_tokenizer

    directory = model_dir(cell)
    texts, _ = imdb_test
    check = deletion_check(load_model(ReviewClassifier, directory, "cpu"), load_tokenizer(directory), texts[:500])
    assert check["margin_drop_top_k"] > 10 * max(check["margin_drop_random_k"], 0.01)
    card = (directory / "README.md").read_text()
    assert (f"lowers the margin towards the predicted label by {check['margin_drop_top_k']:.2f} on average; "
            f"removing {check['k']} words at random, by {check['margin_drop_random_k']:.2f}") in card


def test_the_bundled_gru_reads_reviews_dressed_as_other_sites_write_them_as_it_reads_them_alone():
    """The tokenizers' CLEANUP was built against test reviews; on selection reviews, which no step was built or
    checked against, no dressing changes a label (the README's figure; the tokenizer before it changed 82)."""
    from rnn_demo.sentiment.cli import load_classifier
    from rnn_demo.sentiment.data import protocol_dataset, texts_and_labels
    from rnn_demo.sentiment.dressed import DRESSINGS, dressed_flips
    from rnn_demo.sentiment.serve import model_dir
    from tests.conftest import ROOT

    reviews, labels = texts_and_labels(protocol_dataset()["selection"].select(range(300)))
    figures = dressed_flips(*load_classifier(model_dir("gru"), "cpu"), reviews, labels)
    flips = sum(dressing["flips"] for dressing in figures["dressings"].values())
    readme = (ROOT / "README.md").read_text()
    assert f"label changes for {flips} of the {300 * len(DRESSINGS):,} dressed reviews" in readme


RATED = [("A fun ride. 4/5", 1), ("\u2605\u2605\u2605\u2605\u00bd", 1), ("Rating: 4 out of 5 stars. Great cast.", 1),
         ("Solid. 3.5/5", 1), ("Meh. 2/5", 0), ("Awful. 1/5", 0), ("\u2605\u00bd\u2606\u2606\u2606 skip it", 0),
         ("\u2605 \u2605 \u2605 \u2605 \u2605 Wonderful.", 1)]


@pytest.mark.parametrize("cell", bundled_cells())
def test_short_reviews_rated_out_of_5_are_read_as_their_ratings_say(cell):
    """Other sites rate out of 5 (Letterboxd in stars): read as IMDB's out of 10, which the models learnt; read as
    typed, "★★★★½" alone was 0.05 positive and "A fun ride. 4/5" 0.72 to 0.82."""
    from rnn_demo.sentiment import serve

    for review, label in RATED:
        positive = serve.analyse(review, cell, None).probabilities["positive"]
        assert (positive > 0.9) if label else (positive < 0.2), (review, positive)
    # a count out of 5 is no rating: read as one, it made this review positive (0.90, a red team's)
    assert serve.analyse("Won 4/5 awards, and deserved none.", cell, None).probabilities["positive"] < 0.5


@pytest.fixture(scope="module")
def forecast_backtests() -> dict[str, dict]:
    """Each bundled forecaster's protocol backtest (card checked on the way)."""
    from rnn_demo.forecast.card import METRIC_NAMES
    from rnn_demo.forecast.serve import backtest, bundled_cells as forecast_cells, model_dir, victoria
    from rnn_demo.forecast.model import Forecaster

    series, test_start = victoria()
    results = {}
    for cell in forecast_cells():
        result = backtest(load_model(Forecaster, model_dir(cell), "cpu"), series, test_start)
        card = card_metrics(model_dir(cell))
        assert {key: card[key] for key in METRIC_NAMES} == {key: result["model"][key] for key in METRIC_NAMES}, cell
        results[cell] = result
    return results


MASE_BAR, INTERVAL_SCORE_BAR = 0.554, 1.0296  # issue 17: the best cell no worse than on 2026-12-01 (GRU)


def test_best_bundled_forecaster_beats_the_naive_baselines_with_calibrated_intervals(forecast_backtests):
    """Issues 4 and 17: MASE <= 0.70 x the better seasonal naive and <= 0.554; the 80% interval covers 72-88% of the
    test weeks with an interval score no worse than 1.0296 GW, and 78-82% of the held-out days it was calibrated on
    (the last 14 of the 28 held out: the 14 before chose the checkpoint)."""
    from rnn_demo.forecast.evaluate import calibration_check, calibration_days_of
    from rnn_demo.forecast.serve import model_dir, victoria
    from rnn_demo.forecast.model import Forecaster

    assert forecast_backtests, "no bundled forecaster"
    cell, best = min(forecast_backtests.items(), key=lambda item: item[1]["model"]["mase"])
    naive = min(best["seasonal_naive_48"]["mase"], best["seasonal_naive_336"]["mase"])
    assert naive == pytest.approx(0.898, abs=5e-4)
    assert best["model"]["mase"] <= min(0.70 * naive, MASE_BAR)
    assert 0.72 <= best["model"]["coverage80"] <= 0.88 and best["model"]["interval_score80"] <= INTERVAL_SCORE_BAR
    days = calibration_days_of(model_dir(cell))
    calibration = calibration_check(load_model(Forecaster, model_dir(cell), "cpu"), *victoria(), days=days)
    assert days == calibration["days"] == 14 and 0.78 <= calibration["coverage80"] <= 0.82


ORACLE_MASE_BAR = 0.42  # issue 35: level with the protocol's reference on the oracle-temperature track


def test_best_oracle_temperature_forecaster_is_level_with_the_reference():
    """Issue 35: the best bundled temperature-aware forecaster scores MASE <= 0.42 on the 56 test days with its 80%
    interval covering 72-88% of them; every bundled one's card holds what the backtest measures, and its training
    record logs its test scorings."""
    import json

    from rnn_demo.forecast.card import METRIC_NAMES
    from rnn_demo.forecast.evaluate import ORACLE, backtest, track_of
    from rnn_demo.forecast.model import Forecaster
    from rnn_demo.forecast.serve import TEMPERATURE_SHELF, victoria

    series, test_start = victoria()
    results = {}
    for cell in TEMPERATURE_SHELF.cells():
        directory = TEMPERATURE_SHELF.model_dir(cell)
        model = load_model(Forecaster, directory, "cpu")
        result = backtest(model, series, test_start)
        card = card_metrics(directory)
        assert track_of(model.config) == ORACLE and result["track"] == ORACLE, cell
        assert {key: card[key] for key in METRIC_NAMES} == {key: result["model"][key] for key in METRIC_NAMES}, cell
        assert "Oracle temperature" in (directory / "README.md").read_text(encoding="utf-8"), cell
        assert json.loads((directory / "training.json").read_text())["test_scorings"], cell
        results[cell] = result["model"]
    assert results, "no bundled oracle-temperature forecaster"
    best = min(results.values(), key=lambda metrics: metrics["mase"])
    assert best["mase"] <= ORACLE_MASE_BAR and 0.72 <= best["coverage80"] <= 0.88, results


def test_the_readme_gives_what_the_bundled_gru_s_unknown_words_pushed_towards():
    """The README's example of the unknown-words note, as the bundled GRU gives it."""
    import re

    from rnn_demo.sentiment import serve
    from tests.test_readme import README

    review = re.search(r'in "(Villeneuve[^"]+)"', " ".join(README.split())).group(1)
    (note,) = [note for note in serve.analyse(review, "gru", None).notes if "does not know" in note]
    said = re.search(r"none of the (\w+) names and rarities, which together pushed towards \*(\w+)\*\s+by ([\d.]+) "
                     r"times", " ".join(README.split()))
    assert note.startswith("4 words the model does not know") and said.group(1) == "four"
    sign = "−" if said.group(2) == "negative" else "+"
    assert f"towards *{said.group(2)}* ({sign}{said.group(3)} times the strongest word's credit)" in note
