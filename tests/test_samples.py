"""The sample files (samples/): each is offered beside its upload box and, used as it is, gives a result in its tab,
through the API of the launched app."""
from pathlib import Path

import pandas as pd
import pytest
from gradio_client import handle_file

from rnn_demo.samples import sample
from rnn_demo.tasks import trainable_tasks
from rnn_demo.visitor_training.job import column_roles

pytestmark = pytest.mark.slow


def test_every_sample_exists_and_each_trainable_task_has_one():
    for name in ("text.txt", "reviews.csv", "demand-half-hourly.csv", "demand-hourly.csv"):
        assert sample(name), name
    assert all(spec.visitor.sample and sample(spec.visitor.sample) for spec in trainable_tasks().values())


def test_the_review_sample_is_classified_in_the_sentiment_tab(client):
    result, summary = client.predict(handle_file(sample("reviews.csv")), "", "gru", api_name="/classify_csv")
    assert result and "64" in summary


@pytest.mark.parametrize("name, adapt, note", [("demand-half-hourly.csv", True, "the temperature-aware model's"),
                                               ("demand-hourly.csv", False, "Read 1,008 steps")])
def test_the_series_samples_are_forecast_in_the_forecasting_tab(client, name, adapt, note):
    plot, _, notes, _ = client.predict("upload", handle_file(sample(name)), "", "", "", adapt, "gru",
                                       api_name="/forecast")
    assert plot and note in notes and ("Adapted to your series" in notes) == adapt


@pytest.mark.parametrize("task", list(trainable_tasks()))
def test_each_tasks_sample_is_read_by_the_train_tab(client, task):
    columns = {f"{role}_column": "" for role in column_roles()}  # by the API page's names (they were param_5, ...)
    summary, preview = client.predict(task=task, upload=handle_file(sample(trainable_tasks()[task].visitor.sample)),
                                      dataset="", config="", split="train", **columns, api_name="/train_check")
    assert "held-out" in summary and preview["data"]


def test_the_series_samples_are_what_their_command_writes_from_the_protocol_series(tmp_path):
    """They had no working-day column (Melbourne Cup Day read as a working day) and ended on the bundled models'
    own calibration days, so an adaptation's "fair test" table was neither (a red team's): now protocol test days
    that no bundled model saw, with the protocol's working days, written by `python -m rnn_demo.forecast.samples`."""
    from rnn_demo.forecast.samples import write_samples

    for path in write_samples(tmp_path):
        assert path.read_bytes() == Path(sample(path.name)).read_bytes(), path.name
    frame = pd.read_csv(sample("demand-half-hourly.csv"))
    assert frame.loc[frame["time"].str.startswith("2014-11-04"), "workday"].eq(0).all()  # Melbourne Cup Day
    assert frame["time"].iloc[0] == "2014-10-23 00:00" and frame["demand"].isna().sum() == 48
