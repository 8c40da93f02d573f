"""The Gradient lab tab through its API (the launched app, gradio_client): presets, a run streamed to the end, two
runs side by side on the same data, and a cancelled run freeing the job slot for the next."""
import json
import time

import pytest

from rnn_demo.lab.presets import PRESETS
from tests.bad_inputs import lab_values

pytestmark = pytest.mark.slow


def _traces(plot: dict) -> list[dict]:
    return json.loads(plot["plot"])["data"]


def test_a_preset_fills_both_runs_settings(client):
    name = "the LSTM remembers at T = 80; the vanilla RNN does not"
    values = client.predict(name, api_name="/lab_preset")
    first, compare, second = list(values[:14]), values[14], list(values[15:])
    assert first[:4] == ["first", 80, "lstm", 32] and first[12:] == [True, 3.0]
    assert compare is True and second[2] == "rnn-tanh" and second[1] == 80
    assert len(PRESETS) == len(client.view_api(print_info=False, return_format="dict")["named_endpoints"]
                               ["/lab_preset"]["parameters"][0]["type"]["enum"])


def test_a_run_streams_its_plots_and_ends_with_its_figures(client):
    updates = list(client.submit(*lab_values(steps=40), False, *lab_values(), api_name="/lab_run"))
    status, training, profile = updates[-1]
    assert status.startswith("Finished.") and "step 40 of 40" in status and "**B**" not in status
    loss = next(trace for trace in _traces(training) if trace.get("xaxis") in (None, "x"))
    assert loss["x"] == list(range(1, 41))
    assert {trace["name"] for trace in _traces(profile)} == {"A at step 1", "A at step 40"}
    assert len(_traces(profile)[-1]["y"]) == 12  # T = 10: the symbol, 10 distractors, the query


def test_two_runs_train_side_by_side_on_the_same_data(client):
    status, training, _ = client.predict(*lab_values(steps=15), True, *lab_values(steps=15, cell="gru"),
                                         api_name="/lab_run")
    assert "**A** (LSTM" in status and "**B** (GRU" in status and status.count("step 15 of 15") == 2
    assert sum(1 for trace in _traces(training) if trace.get("showlegend") is not False) == 2


def test_a_cancelled_run_frees_the_slot(client):
    job = client.submit(*lab_values(steps=3000, length=200, hidden=128), False, *lab_values(), api_name="/lab_run")
    deadline = time.monotonic() + 30
    while not job.outputs() and time.monotonic() < deadline:
        time.sleep(0.1)
    job.cancel()
    started = time.monotonic()
    status, _, _ = client.predict(*lab_values(steps=5), False, *lab_values(), api_name="/lab_run")
    assert status.startswith("Finished.") and time.monotonic() - started < 15
