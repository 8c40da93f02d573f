"""The bundled models' cards, for people who only download a model: both "Use" ways, the plain-PyTorch snippet run
against the package's float32 path, and the names they take from project.py."""
from __future__ import annotations

import ast
import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch
import yaml

from rnn_demo.backbone import CELLS
from rnn_demo.hub import MODELS_DIR, load_model
from rnn_demo.project import CODE_URL, INSTALL, model_repo
from rnn_demo.tasks import TASKS, dataset_repos
from rnn_demo.usage import plain_snippet, refresh_card
from tests.conftest import ROOT
from tests.hubserver import hub_environment, local_hub

BUNDLED = [(task, folder.name) for task in ("text", "sentiment", "forecast")  # a task's variants too
           for folder in sorted(MODELS_DIR.glob(f"{task}-*")) if (folder / "config.json").is_file()]
TOLERANCE = 1e-5


def card_of(name: str) -> str:
    return (MODELS_DIR / name / "README.md").read_text(encoding="utf-8")


def run_snippet(name: str) -> dict:
    """The card's PyTorch-alone snippet run on the bundled folder (its `folder = ...` line pointed there)."""
    code = plain_snippet(card_of(name))
    line = f'folder = "rnn-demo-{name}"'
    assert line in code
    namespace: dict = {}
    with contextlib.redirect_stdout(io.StringIO()):  # it prints what it found
        exec(compile(code.replace(line, f"folder = {str(MODELS_DIR / name)!r}"), f"{name}/README.md", "exec"), namespace)
    return namespace


@pytest.mark.parametrize("task, name", BUNDLED)
def test_every_card_shows_the_package_way_and_the_plain_way(task, name):
    card = card_of(name)
    use = card.split("\n## Use\n")[1]
    assert f'pip install "{INSTALL}"' in use and f'"{model_repo(name)}"' in use
    assert f"hf download {model_repo(name)} --local-dir rnn-demo-{name}" in plain_snippet(card)
    assert "rnn_demo" not in plain_snippet(card)  # PyTorch alone
    assert f"Part of [rnn-demo]({CODE_URL})" in card and "github.com/rnn-demo" not in card


@pytest.mark.parametrize("task, name", BUNDLED)
def test_every_card_says_what_each_field_of_its_config_holds(task, name):
    """People who only download a model read config.json beside the card: each field is in the card's table, once,
    in the file's order, with what it holds (train_mean, dropout and the like were named nowhere)."""
    table = card_of(name).split("What `config.json` holds:\n\n")[1].split("\n\n")[0]
    rows = [re.fullmatch(r"\| `(\w+)` \| (.+) \|", line) for line in table.splitlines()[2:]]
    assert all(rows) and [row[1] for row in rows] == list(json.loads((MODELS_DIR / name / "config.json").read_text()))
    assert all(len(row[2]) > 10 for row in rows)


@pytest.mark.parametrize("task", sorted(TASKS))
def test_every_field_of_a_tasks_config_is_described_for_its_cards(task):
    """A field added to a task's config dataclass must be described for the cards (Use.config_fields)."""
    import dataclasses

    from rnn_demo.forecast.model import ForecastConfig
    from rnn_demo.sentiment.model import SentimentConfig
    from rnn_demo.text.model import CharLMConfig
    from rnn_demo.usage import SHARED_FIELDS

    config = {"text": CharLMConfig, "sentiment": SentimentConfig, "forecast": ForecastConfig}[task]
    assert {f.name for f in dataclasses.fields(config)} == SHARED_FIELDS.keys() | TASKS[task].use.config_fields.keys()


@pytest.mark.parametrize("task, name", BUNDLED)
def test_cards_are_in_step_with_the_project_settings(task, name, tmp_path):
    """`python -m rnn_demo cards` would change nothing: the link, datasets and Use section are project.py's."""
    shutil.copytree(MODELS_DIR / name, tmp_path / name, ignore=shutil.ignore_patterns("*.safetensors"))
    refresh_card(tmp_path / name, task, TASKS[task].use, TASKS[task].dataset)
    assert (tmp_path / name / "README.md").read_text(encoding="utf-8") == card_of(name)
    front = yaml.safe_load(card_of(name).split("---\n")[1])
    assert front["datasets"] == [dataset_repos()[task]]
    assert front["model-index"][0]["results"][0]["dataset"]["type"] == dataset_repos()[task]
    # the split the figures were measured on, as benchmarks.md names it and the protocol dataset holds it
    assert front["model-index"][0]["results"][0]["dataset"]["split"] == ("validation" if task == "text" else "test")
    # a macro average says so where the Hub reads it (the sentiment cards' F1 said it in its name alone)
    for metric in front["model-index"][0]["results"][0]["metrics"]:
        assert ("macro" in metric["name"]) == (metric.get("args") == {"average": "macro"}), metric


def test_cards_reads_every_card_before_writing_any(tmp_path, cli):
    """A folder that cannot be refreshed (no card, or a README that is not one) stops `cards` before it has rewritten
    the others, and is named."""
    for name in ("forecast-gru", "text-lstm"):
        shutil.copytree(MODELS_DIR / name, tmp_path / name, ignore=shutil.ignore_patterns("*.safetensors"))
        card = tmp_path / name / "README.md"
        card.write_text(card.read_text(encoding="utf-8").replace(f"Part of [rnn-demo]({CODE_URL})",
                                                                 "Part of [rnn-demo](https://example.org/old)"))
    before = {path: path.read_text(encoding="utf-8") for path in tmp_path.glob("*/README.md")}
    (tmp_path / "text-rnn").mkdir()  # sorted after forecast-gru and text-lstm
    result = cli("cards", "--models", str(tmp_path))
    assert result.returncode != 0 and f"{tmp_path / 'text-rnn'} has no model card (README.md)" in result.stderr
    assert {path: path.read_text(encoding="utf-8") for path in tmp_path.glob("*/README.md")} == before
    (tmp_path / "text-rnn" / "README.md").write_text("# notes\n")
    assert "does not start with front matter" in cli("cards", "--models", str(tmp_path)).stderr
    (tmp_path / "text-rnn" / "README.md").unlink()
    (tmp_path / "text-rnn").rmdir()
    assert cli("cards", "--models", str(tmp_path)).returncode == 0
    assert all(f"Part of [rnn-demo]({CODE_URL})" in path.read_text(encoding="utf-8") for path in before)


@pytest.mark.parametrize("task, name", BUNDLED)
def test_a_cards_count_of_test_scorings_is_the_records(task, name):
    """The cards that say how often the test data were scored say what training.json logs (a benchmark's scoring
    after the card was written had left the GRU's card one short)."""
    scorings = json.loads((MODELS_DIR / name / "training.json").read_text()).get("test_scorings", [])
    from rnn_demo.hub import times_text

    counts = re.findall(r"been scored (once|twice|[\d,]+ times)", card_of(name))
    assert counts == ([times_text(len(scorings))] if scorings and task != "text" else []), counts


@pytest.mark.parametrize("name", [name for task, name in BUNDLED if task == "forecast"])
def test_a_forecast_cards_cited_reference_says_what_it_is_and_reads(name):
    """The reference row is cited from benchmarks.md, which a Hub user cannot open: the card says what it reads (a
    Hub user's review: the row named no source)."""
    from rnn_demo.forecast.card import _reference_line
    from rnn_demo.forecast.evaluate import ORACLE, PRIMARY, REFERENCES

    track = ORACLE if "temperature" in name else PRIMARY
    said = _reference_line({"reference": REFERENCES[track], "track": track}).strip()
    assert said.startswith("The reference row is the protocol's own figure, cited, not measured here")
    assert said in card_of(name)
    assert ("the forecast day's mean, maximum and minimum temperature" in said) == (track == ORACLE)


def test_the_space_front_matter_names_the_datasets_as_push_dataset_names_them():
    front = yaml.safe_load((ROOT / "README.md").read_text(encoding="utf-8").split("---\n")[1])
    assert front["datasets"] == list(dataset_repos().values())


@pytest.mark.parametrize("cell", list(CELLS))
def test_the_text_snippet_gives_the_package_next_character_probabilities(cell):
    from rnn_demo.text.data import encode
    from rnn_demo.text.model import CharLM

    name = f"text-{cell}"
    from rnn_demo.text.stepper import LEAD_IN

    namespace = run_snippet(name)
    assert namespace["read"] == LEAD_IN + namespace["prompt"]  # read after the package's lead-in, as the app reads it
    model = load_model(CharLM, str(MODELS_DIR / name), "cpu")
    ids = torch.tensor([encode(LEAD_IN + namespace["prompt"], model.config.vocab)])
    with torch.inference_mode():
        expected = torch.softmax(model(ids)[0][0, -1], -1)
    assert namespace["probs"].shape == expected.shape
    assert torch.allclose(namespace["probs"], expected, rtol=0, atol=TOLERANCE)


@pytest.mark.parametrize("cell", list(CELLS))
def test_the_sentiment_snippet_gives_the_package_verdict(cell):
    from rnn_demo.sentiment.infer import classify_reviews
    from rnn_demo.sentiment.model import ReviewClassifier
    from rnn_demo.sentiment.tokenizer import load_tokenizer

    name = f"sentiment-{cell}"
    namespace = run_snippet(name)
    model = load_model(ReviewClassifier, str(MODELS_DIR / name), "cpu")
    expected = classify_reviews(model, load_tokenizer(MODELS_DIR / name), [namespace["review"]])[0]
    assert np.allclose(namespace["probs"].tolist(), list(expected.values()), rtol=0, atol=TOLERANCE)


@pytest.mark.parametrize("name", [f"forecast-{variant}{cell}" for variant in ("", "temperature-") for cell in CELLS])
def test_the_forecast_snippet_gives_the_package_quantiles_for_a_window(name):
    from rnn_demo.forecast.features import extend_times, known_rows, window_inputs
    from rnn_demo.forecast.infer import forecast_quantiles, protocol_series
    from rnn_demo.forecast.model import Forecaster

    namespace = run_snippet(name)
    model = load_model(Forecaster, str(MODELS_DIR / name), "cpu")
    series, test_start = protocol_series()
    c = model.config
    times, workday = extend_times(series.times, series.workday, c.horizon)
    rows = known_rows(times, workday, series.temperature, c.features)  # the calendar, and the temperature if read
    x, center, scale = window_inputs(series.values, rows, np.array([test_start]), c.window, c.horizon, c.day, c.week)
    scaled = namespace["quantiles"](torch.from_numpy(x)).numpy()  # (1, horizon, quantiles)
    expected = forecast_quantiles(model, series, np.array([test_start]))  # in GW
    assert scaled.shape == expected.shape
    assert np.allclose(scaled * scale[:, None, None] + center[:, None, None], expected, rtol=TOLERANCE, atol=TOLERANCE)


@pytest.mark.parametrize("name", [f"forecast-{variant}{cell}" for variant in ("", "temperature-") for cell in CELLS])
def test_the_forecast_snippet_builds_its_window_from_a_series_as_the_package_does(name):
    """The card's `window` (a series, its working days and, for the oracle track, its temperatures, in: the model's
    input out) on the protocol's series up to its first test day gives the package's forecast of that day; the
    snippet's own example prints the package's forecast of its series (a Hub user's review: the snippet stopped at
    `torch.zeros`, a window left to build from a docstring)."""
    from rnn_demo.forecast.infer import Series, forecast_quantiles, protocol_series
    from rnn_demo.forecast.model import Forecaster

    namespace = run_snippet(name)
    model = load_model(Forecaster, str(MODELS_DIR / name), "cpu")
    series, origin = protocol_series()
    ahead = origin + model.config.horizon
    temperature = series.temperature[:ahead] if model.config.reads_temperature else None
    x, center, spread = namespace["window"](series.times[:origin], series.values[:origin], series.workday[:ahead],
                                            temperature)
    built = namespace["quantiles"](x).numpy() * spread + center
    assert np.allclose(built, forecast_quantiles(model, series, np.array([origin])), rtol=TOLERANCE, atol=TOLERANCE)
    example = Series(namespace["times"], namespace["values"], namespace["workday"],
                     temperature=namespace["temperature"])
    shown = namespace["quantiles"](namespace["x"]).numpy() * namespace["spread"] + namespace["center"]
    assert np.allclose(shown, forecast_quantiles(model, example, np.array([len(example.times)])), rtol=TOLERANCE,
                       atol=TOLERANCE)


MARK = "=== {} ==="  # between the snippets' outputs


@pytest.mark.slow
def test_the_package_way_runs_the_models_the_cards_name_from_the_hub(tmp_path, monkeypatch):
    """Each task's bundled GRU pushed to the repository its card names, on a local server that speaks the Hub's API;
    each card's package snippet, run as written (one after the other in one Python), downloads it and runs it."""
    from rnn_demo.hub_sync import push_model

    script = ""
    with local_hub() as hub:
        env = hub_environment(monkeypatch, hub, tmp_path / "hf")
        for task, name in (("text", "text-gru"), ("sentiment", "sentiment-gru"), ("forecast", "forecast-gru"),
                           ("forecast", "forecast-temperature-gru")):  # the temperature variant's card too
            push_model(MODELS_DIR / name, task, model_repo(name))
            code = re.search(r"With the package.*?```python\n(.*?)```", card_of(name), re.S).group(1)
            script += f"print({MARK.format(task)!r})\n" + code  # as written: the forecast's makes its own series
            script += "\nprint(quantiles.shape)\n" if task == "forecast" else ""  # the forecast snippet's result
        result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path,
                                env={**os.environ, **env, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
                                timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    text, sentiment, forecast, temperature = (part.strip() for part in re.split(r"=== \w+ ===", result.stdout)[1:])
    assert len(text) >= 250  # 300 characters of Shakespeare-like text
    assert ast.literal_eval(sentiment)[0]["positive"] > 0.5  # the printed list of one {label: probability}
    for printed in (forecast, temperature):  # the snippet's first four steps (10/50/90% each), then the shape
        *steps, shape = printed.splitlines()
        assert shape == "(1, 48, 3)" and len(steps) == 4 and all(len(step.strip(" []").split()) == 3 for step in steps)
