"""The app through its API, as other programs use a Space: a launched server and gradio_client."""
import pytest
from gradio_client import Client

from tests.appserver import launched_app


def test_app_builds_one_tab_per_task_and_names_its_events():
    import app

    api_names = {dep.api_name for dep in app.demo.fns.values() if dep.api_name}
    assert {"generate", "next_characters", "text_model_info"} <= api_names
    assert "Text generation" in {block.label for block in app.demo.blocks.values() if type(block).__name__ == "Tab"}


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
