"""The app through its API, as other programs use a Space: a launched server and gradio_client."""
import pytest
from gradio_client import Client

from tests.appserver import launched_app


def test_app_builds_one_tab_per_task_and_names_its_events():
    import app
    from rnn_demo.sentiment.serve import bundled_cells

    public = {dep.api_name for dep in app.demo.fns.values() if dep.api_visibility == "public"}
    expected = {"generate", "next_characters", "text_model_info"}
    if bundled_cells():
        expected |= {"classify", "classify_csv", "sentiment_model_info"}
    assert public == expected  # and nothing else: UI-only twins are private, none is called "false"
    assert all(dep.api_name for dep in app.demo.fns.values())
    tabs = {block.label for block in app.demo.blocks.values() if type(block).__name__ == "Tab"}
    assert {"Text generation", "Sentiment"} <= tabs


@pytest.fixture(scope="module")
def client(tiny_models_dir):
    with launched_app(tiny_models_dir) as url:
        yield Client(url, verbose=False)


def _generate(client, prompt="ROMEO:", cell="lstm", n=80, temperature=0.8, top_k=0, top_p=1.0, seed=1, stop=""):
    return client.submit(prompt, cell, n, temperature, top_k, top_p, seed, stop, api_name="/generate")


@pytest.mark.slow
@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_generate_streams_the_prompt_and_new_text(client, cell):
    job = _generate(client, cell=cell, n=300)
    updates = list(job)
    assert updates[-1].startswith("ROMEO:") and len(updates[-1]) == len("ROMEO:") + 300
    assert all(later.startswith(earlier) for earlier, later in zip(updates, updates[1:]))


@pytest.mark.slow
def test_same_seed_same_text_and_minus_one_is_random(client):
    assert _generate(client, seed=11).result() == _generate(client, seed=11).result()
    assert _generate(client, seed=-1, n=200).result() != _generate(client, seed=-1, n=200).result()


@pytest.mark.slow
def test_next_characters_and_unknown_character_note(client):
    label, note = client.predict("ROM☃", "gru", api_name="/next_characters")
    assert len(label["confidences"]) == 10
    assert sum(c["confidence"] for c in label["confidences"]) <= 1.0 + 1e-6
    assert "☃" in note


@pytest.mark.slow
def test_empty_prompt_starts_from_a_new_line(client):
    _, note = client.predict("", "lstm", api_name="/next_characters")
    assert "new line" in note
    assert len(_generate(client, prompt="", n=20).result()) == 20


@pytest.mark.slow
@pytest.mark.parametrize("kwargs, message", [
    ({"prompt": "x" * 4001}, "limit is 4,000"),
    ({"temperature": 0}, "less than minimum value 0.05"),  # the UI's own range check
    ({"n": 0}, "less than minimum value 1"),
    ({"top_p": 2}, "greater than maximum value 1"),
    ({"cell": "transformer"}, "transformer"),
    ({"seed": -5}, "less than minimum value -1"),
])
def test_bad_input_is_a_clear_error_and_the_app_keeps_serving(client, kwargs, message):
    with pytest.raises(Exception) as raised:
        _generate(client, **kwargs).result()
    assert message in str(raised.value) and "Traceback" not in str(raised.value)
    assert len(_generate(client, n=10).result()) == len("ROMEO:") + 10


@pytest.mark.slow
def test_model_info_shows_the_cards_metric(client):
    info = client.predict("rnn", api_name="/text_model_info")
    assert "Vanilla RNN" in info and "parameters" in info


@pytest.mark.slow
def test_classify_gives_both_probabilities_and_coloured_words(client):
    label, words, notes = client.predict("A superb and moving film.", "gru", api_name="/classify")
    assert {c["label"] for c in label["confidences"]} == {"negative", "positive"}
    assert label["label"] == "positive"
    scores = [w["class_or_confidence"] for w in words if w["class_or_confidence"] is not None]
    assert len(scores) == 6 and max(abs(s) for s in scores) == pytest.approx(1.0)
    assert "".join(w["token"] for w in words) == "A superb and moving film."


@pytest.mark.slow
@pytest.mark.parametrize("text", ["", "   "])
def test_empty_review_is_a_clear_error(client, text):
    with pytest.raises(Exception, match="empty") as raised:
        client.predict(text, "lstm", api_name="/classify")
    assert "Traceback" not in str(raised.value)


@pytest.mark.slow
def test_classify_csv_returns_one_row_per_row(client, tmp_path):
    import csv

    from gradio_client import handle_file

    path = tmp_path / "in.csv"
    path.write_text("id,text\n1,a superb film\n2,\n3,\"dull, boring\"\n")
    result, summary = client.predict(handle_file(str(path)), "", "gru", api_name="/classify_csv")
    rows = list(csv.reader(open(result, encoding="utf-8")))
    assert [r[0] for r in rows] == ["id", "1", "2", "3"] and rows[2][2:] == ["", "", ""]
    assert "Classified 2 reviews" in summary and "1 empty rows" in summary
    with pytest.raises(Exception, match="no column 'body'"):
        client.predict(handle_file(str(path)), "body", "gru", api_name="/classify_csv")
