"""The command line (`python -m rnn_demo`), run in this process (conftest's `cli`: `main(argv)`), with one test
of each command family run as users run it, in a new process (`run_cli`): help, train, generate, evaluate."""
import json
import math
import os
import shutil

import pytest

from rnn_demo.sentiment.infer import CPU_BATCH_PER_THREAD, GPU_BATCH
from tests.conftest import run_cli


def test_the_command_explains_itself_in_a_new_process():
    result = run_cli("--help")
    assert result.returncode == 0 and "usage: python -m rnn_demo" in result.stdout


@pytest.mark.parametrize("command", [[], ["prepare"], ["train"], ["train", "text"], ["train", "sentiment"], ["evaluate"],
                                     ["evaluate", "sentiment"], ["train", "forecast"], ["evaluate", "forecast"],
                                     ["generate"], ["bench"]])
def test_every_command_explains_itself(cli, command):
    result = cli(*command, "--help")
    assert result.returncode == 0 and "usage: python -m rnn_demo" in result.stdout


@pytest.mark.parametrize("task, own_options", [("text", ["--seq-len", "--text-column"]),
                                               ("sentiment", ["--label-column", "--text-column"]),
                                               ("forecast", ["--time-column", "--value-column", "--validation-days"])])
def test_train_help_explains_every_option(cli, task, own_options):
    out = cli("train", task, "--help").stdout
    for option in ("--cell", "--seed", "--max-steps", "--device", "--data", "--run-dir", "--weight-decay", *own_options):
        assert option in out
    assert "(default:" in out


@pytest.mark.slow  # over 2 s: out of the fast loop (tests/README.md)
def test_forecaster_trains_on_a_local_csv_with_named_columns(cli, tmp_path):
    import numpy as np
    import pandas as pd

    times = pd.date_range("2023-01-01", periods=170 * 48, freq="30min")
    load = 800 + 200 * np.sin(2 * np.pi * np.arange(len(times)) / 48)
    pd.DataFrame({"ts": times, "load_mw": load}).to_csv(tmp_path / "load.csv", index=False)
    out = tmp_path / "model"
    result = run_cli("train", "forecast", "--data", str(tmp_path / "load.csv"), "--time-column", "ts",
                     "--value-column", "load_mw", "--hidden-size", "8", "--max-steps", "6", "--eval-every", "3",
                     "--threads", "1", "--out", str(out), "--run-dir", str(tmp_path / "run"))
    assert result.returncode == 0, result.stderr[-2000:]
    config = json.loads((out / "config.json").read_text())
    assert config["task"] == "forecast" and config["train_mean"] == pytest.approx(800, abs=5)
    assert (config["step_minutes"], config["day"], config["window"], config["unit"]) == (30, 48, 336, "")
    # an hourly series trains an hourly model: a day of 24 steps, a week's window of 168 (it trained as half-hourly,
    # its "day" two days long, and named the protocol's GW)
    pd.DataFrame({"ts": times[::2], "load_mw": load[::2]}).to_csv(tmp_path / "hourly.csv", index=False)
    hourly = cli("train", "forecast", "--data", str(tmp_path / "hourly.csv"), "--time-column", "ts", "--value-column",
                 "load_mw", "--hidden-size", "8", "--max-steps", "2", "--eval-every", "2", "--threads", "1", "--out",
                 str(tmp_path / "hourly"), "--run-dir", str(tmp_path / "hourly-run"))
    assert hourly.returncode == 0, hourly.stderr[-2000:]
    config = json.loads((tmp_path / "hourly" / "config.json").read_text())
    assert (config["step_minutes"], config["day"], config["week"], config["window"], config["horizon"],
            config["unit"]) == (60, 24, 168, 168, 24, "")
    missing = cli("train", "forecast", "--data", str(tmp_path / "load.csv"), "--value-column", "mw",
                      "--max-steps", "1", "--out", str(tmp_path / "other"), "--run-dir", str(tmp_path / "run2"))
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert "no column 'mw'; the file's columns are: ts, load_mw" in missing.stderr
    # Excel's CSV where commas are decimal: read as the Forecasting tab reads it (datasets' reader refused it), the
    # columns found by their usual names
    (tmp_path / "excel.csv").write_text("sep=;\nDate;Load\n" + "".join(
        f"{t:%d/%m/%Y %H:%M};{v:.1f}\n".replace(".", ",") for t, v in zip(times, load)))
    excel = cli("train", "forecast", "--data", str(tmp_path / "excel.csv"), "--hidden-size", "8", "--max-steps", "1",
                "--eval-every", "1", "--threads", "1", "--out", str(tmp_path / "excel"), "--run-dir",
                str(tmp_path / "excel-run"))
    assert excel.returncode == 0, excel.stderr[-2000:]
    assert "note: The file's columns are separated by semicolons. Numbers were read with a decimal comma" in excel.stderr
    assert json.loads((tmp_path / "excel" / "config.json").read_text())["train_mean"] == pytest.approx(800, abs=5)


@pytest.mark.slow  # over 2 s: out of the fast loop (tests/README.md)
def test_trained_model_is_a_hub_directory_that_generates(cli, tiny_models_dir):
    model = tiny_models_dir / "text-gru"
    assert {p.name for p in model.iterdir()} >= {"config.json", "model.safetensors", "README.md"}
    first = run_cli("generate", "--model", str(model), "--prompt", "ROMEO:", "--max-new-chars", "30", "--seed", "5")
    again = cli("generate", "--model", str(model), "--prompt", "ROMEO:", "--max-new-chars", "30", "--seed", "5")
    assert first.returncode == 0 and first.stdout == again.stdout
    assert first.stdout.startswith("ROMEO:") and len(first.stdout) == len("ROMEO:") + 30 + 1


def test_generate_notes_unknown_characters(cli, tiny_models_dir):
    result = cli("generate", "--model", str(tiny_models_dir / "text-rnn"), "--prompt", "☃", "--max-new-chars", "5")
    assert result.returncode == 0 and "☃" in result.stderr


def test_bad_sampling_is_refused_before_anything_is_written(cli, tiny_models_dir):
    result = cli("generate", "--model", str(tiny_models_dir / "text-rnn"), "--prompt", "ROMEO:", "--top-p", "1.5")
    assert result.returncode == 1 and result.stdout == "" and "top_p" in result.stderr


def test_missing_model_is_a_clear_error_not_a_traceback(cli, tmp_path):
    result = cli("generate", "--model", str(tmp_path / "absent"))
    assert result.returncode == 1
    assert str(tmp_path / "absent") in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("args, message", [
    (("train", "forecast", "--eval-every", "0"), "argument --eval-every: '0' is not a whole number of at least 1"),
    (("train", "text", "--threads", "-1"), "argument --threads: '-1' is not a whole number of at least 1"),
    (("train", "sentiment", "--batch-size", "two"), "argument --batch-size: 'two' is not a whole number"),
    (("train", "forecast", "--window", "0"), "argument --window: '0' is not a whole number of at least 1"),
    (("train", "forecast", "--stop-at", "-1"), "argument --stop-at: '-1' is not a whole number of at least 1"),
    (("train", "forecast", "--lr", "nan"), "argument --lr: 'nan' is not a number above 0"),
    (("train", "forecast", "--device", "foo"), "argument --device: 'foo' is not a device: use cpu, cuda or cuda:N"),
    (("evaluate", "forecast", "--device", "gpu0"), "argument --device: 'gpu0' is not a device"),
    (("bench", "load", "--seconds", "-5"), "argument --seconds: '-5' is not a number above 0"),
])
def test_bad_options_are_usage_errors_before_anything_runs(cli, args, message):
    result = cli(*args)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr, result.stderr


def test_a_stop_between_selections_is_refused_before_anything_runs(cli, tmp_path):
    """A stop between selection steps chose a checkpoint there, which the run never stopped does not score: a
    stopped-and-resumed run could keep another model (an ML review)."""
    result = cli("train", "forecast", "--stop-at", "12", "--eval-every", "5", "--run-dir", str(tmp_path / "run"),
                 "--out", str(tmp_path / "out"))
    assert result.returncode == 1 and result.stderr == (
        "error: --stop-at 12 is not a multiple of --eval-every 5: the run chooses its checkpoint at those steps, and a "
        "stop between them would add one that the run without a stop never scores (stop at 10 or 15)\n")
    assert not (tmp_path / "run").exists() and not (tmp_path / "out").exists()
    assert "(stop at 5)" in cli("train", "forecast", "--stop-at", "3", "--eval-every", "5").stderr


def test_data_that_is_not_there_is_a_clear_error(cli, tmp_path):
    result = cli("train", "forecast", "--data", str(tmp_path / "absent.csv"), "--run-dir", str(tmp_path / "run"),
                 "--out", str(tmp_path / "out"))
    assert result.returncode == 1 and result.stderr.startswith("error: ") and "Traceback" not in result.stderr


def test_bad_sampling_value_is_a_clear_error(cli, tiny_models_dir):
    result = cli("generate", "--model", str(tiny_models_dir / "text-lstm"), "--temperature", "0")
    assert result.returncode == 1 and "temperature must be between" in result.stderr


def test_bench_generate_reports_both_paths(cli, tiny_models_dir):
    result = cli("bench", "generate", "--model", str(tiny_models_dir / "text-lstm"), "--chars", "50", "--json")
    figures = json.loads(result.stdout)
    assert figures["naive_chars_per_s"] > 0 and figures["chars_per_s"] > 0
    assert figures["speedup"] == pytest.approx(figures["chars_per_s"] / figures["naive_chars_per_s"], rel=0.01)
    assert figures["users_at_once"] == 16 and figures["batched_chars_per_s"] > 0
    assert figures["batched_speedup"] == pytest.approx(figures["batched_chars_per_s"] / figures["chars_per_s"], rel=0.01)
    assert figures["cpu"] and figures["device"] == "cpu" and figures["precision"] in ("int8", "float32")


@pytest.mark.slow
def test_evaluate_json_on_the_protocol_text(tiny_models_dir):
    result = run_cli("evaluate", "text", "--model", str(tiny_models_dir / "text-lstm"), "--json", "--log-scoring")
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    assert figures["val_bits_per_char"] == pytest.approx(figures["val_nats_per_char"] / 0.693147, abs=2e-3)
    assert figures["characters"] == 416_714
    logged = json.loads((tiny_models_dir / "text-lstm" / "training.json").read_text())["test_scorings"][-1]
    assert logged["split"] == "validation" and logged["val_nats_per_char"] == figures["val_nats_per_char"]


def test_a_hub_repository_id_goes_to_the_hub(tmp_path):
    """Offline, a repo id is looked up on the Hub (and fails clearly), not mistaken for a missing folder."""
    import os

    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path)}
    result = run_cli("generate", "--model", "rnn-demo/text-lstm", "--max-new-chars", "5", env=env)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "cannot download rnn-demo/text-lstm from the Hub" in result.stderr, result.stderr


def test_train_sentiment_on_a_local_csv_makes_a_complete_hub_directory(cli, tmp_path):
    from rnn_demo.hub import load_model
    from rnn_demo.sentiment.data import load_reviews
    from rnn_demo.sentiment.infer import predict_ids
    from rnn_demo.sentiment.model import ReviewClassifier
    from rnn_demo.sentiment.tokenizer import encode_batch, load_tokenizer

    words = {"positive": "great superb moving", "negative": "dull boring awful"}
    path = tmp_path / "reviews.csv"
    path.write_text("review,sentiment\n" + "".join(
        f"{words[label]} film. Number {i} was it,{label}\n" for i in range(80) for label in words))
    out = tmp_path / "model"
    result = cli("train", "sentiment", "--data", str(path), "--text-column", "review", "--label-column", "sentiment",
                     "--hidden-size", "16", "--embedding-dim", "8", "--vocab-size", "200", "--batch-size", "8",
                     "--max-steps", "60", "--eval-every", "30", "--lr", "0.01", "--threads", "1", "--out", str(out),
                     "--run-dir", str(tmp_path / "run"), "--short-crops", "2")
    assert result.returncode == 0, result.stderr[-2000:]
    assert {p.name for p in out.iterdir()} >= {"config.json", "model.safetensors", "tokenizer.json", "README.md"}
    record = json.loads((out / "training.json").read_text())
    reviews = len(load_reviews(str(path), "review", "sentiment")["train"])
    assert record["short_crops_per_review"] == 2 and record["train_reviews"] == 3 * reviews  # each: itself, 2 crops
    model, tokenizer = load_model(ReviewClassifier, out), load_tokenizer(out)
    probs = predict_ids(model, encode_batch(tokenizer, ["a superb moving film", "an awful boring film"], 100))
    assert probs[0, 1] > 0.5 > probs[1, 1]


@pytest.mark.slow
def test_bench_sentiment_reports_latency_and_what_batching_buys(cli, tiny_models_dir):
    result = cli("bench", "sentiment", "--model", str(tiny_models_dir / "sentiment-gru"), "--json")
    assert result.returncode == 0, result.stderr[-2000:]
    figures = json.loads(result.stdout)
    for key in ("predict_median_ms", "explain_median_ms", "batch_reviews_per_s", "batch_speedup"):
        assert figures[key] > 0, key
    assert figures["batch_speedup"] == pytest.approx(figures["batch_reviews_per_s"] / figures["single_reviews_per_s"],
                                                     rel=0.01)
    assert figures["batch_size"] == CPU_BATCH_PER_THREAD * figures["threads"]
    assert figures[f"speedup_over_batch_{GPU_BATCH}"] == pytest.approx(
        figures["batch_reviews_per_s"] / figures[f"batch_{GPU_BATCH}_reviews_per_s"], rel=0.01)


@pytest.mark.slow
def test_bench_train_runs_the_train_tabs_job_and_a_plain_loop_on_each_task(cli):
    result = cli("bench", "train", "--seconds", "1", "--json")
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout)
    assert report["threads"] == 1 and set(report["tasks"]) == {"text", "sentiment", "forecast"}
    for kind, figures in report["tasks"].items():
        job, plain = figures["job"], figures["plain_loop"]
        assert job["steps"] >= 1 and plain["steps"] >= 1 and figures["scorings"] >= 1, kind
        assert figures["steps_ratio"] == pytest.approx(job["steps"] / plain["steps"], abs=1e-3)
        assert all(math.isfinite(f["held_out_loss"]) and math.isfinite(f["metric"]) for f in (job, plain))
    text = report["tasks"]["text"]  # lower is better: the job is worse by how much its figure is higher
    assert text["job_worse_by"] == pytest.approx(text["job"]["metric"] - text["plain_loop"]["metric"], abs=1e-4)
    sentiment = report["tasks"]["sentiment"]  # higher is better
    assert sentiment["job_worse_by"] == pytest.approx(sentiment["plain_loop"]["metric"] - sentiment["job"]["metric"],
                                                      abs=1e-4)


@pytest.mark.slow
def test_bench_load_runs_clients_against_a_launched_app(cli):
    result = cli("bench", "load", "--clients", "3", "--seconds", "3", "--warmup", "1", "--with-training",
                     "--with-flood", "--sessionless", "--json")
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout)
    assert report["sessionless"] and report["failures"] == 0 and report["requests"] >= 3 and report["rss_end_mb"] > 0
    # again while a visitor's training runs, and while one client floods heavy jobs (most refused at once)
    flood = report["with_flood"]
    assert flood["failures"] == 0 and flood["flood_calls"]["taken"] >= 1
    for figures in (report, report["with_training"], flood):
        assert all(figures[task]["requests"] >= 1 and figures[task]["p95_ms"] >= figures[task]["p50_ms"]
                   for task in ("generate", "classify", "forecast"))
    assert report["with_training"]["training_still_going"] and report["with_training"]["failures"] == 0
    assert report["with_training"]["classify"]["p95_vs_without"] > 0


@pytest.mark.slow
def test_evaluate_sentiment_short_texts_reports_accuracy_and_leaning(cli, tiny_models_dir):
    result = cli("evaluate", "sentiment", "--model", str(tiny_models_dir / "sentiment-gru"), "--short-texts",
                     "--json")
    assert result.returncode == 0, result.stderr[-2000:]
    figures = json.loads(result.stdout)
    assert figures["texts"] == 7910 and figures["true_positive_share"] == 0.5133
    assert 0 <= figures["accuracy"] <= 1 and figures["share_gap_points"] == pytest.approx(
        100 * (figures["positive_share"] - figures["true_positive_share"]), abs=0.01)


@pytest.mark.slow
def test_evaluate_sentiment_logs_its_test_scoring_and_writes_the_card(cli, tiny_models_dir, tmp_path):
    import shutil

    model = tmp_path / "sentiment-gru"
    shutil.copytree(tiny_models_dir / "sentiment-gru", model)
    result = cli("evaluate", "sentiment", "--model", str(model), "--deletion-reviews", "0", "--write-card",
                     "--json")
    assert result.returncode == 0, result.stderr[-2000:]
    figures = json.loads(result.stdout)
    logged = json.loads((model / "training.json").read_text())["test_scorings"]
    assert [entry["test_accuracy"] for entry in logged] == [figures["test_accuracy"]]
    assert "evaluate sentiment" in logged[0]["command"]
    card = (model / "README.md").read_text()
    assert f"accuracy {figures['short_texts']['accuracy']:.2%}" in card and "scored once" in card
    from rnn_demo.hub import card_metadata

    results = card_metadata(model)["model-index"][0]["results"][0]
    assert results["dataset"]["split"] == "test"
    assert [metric.get("args") for metric in results["metrics"]] == [None, {"average": "macro"}]  # accuracy, F1


def test_a_training_never_resumes_another_trainings_checkpoint(cli, tmp_path, tiny_corpus):
    """The default --run-dir is checkpoints/<task>-<cell> whatever the data: a second training on other data
    continued the first's checkpoint (it printed the other data's best loss and wrote no model). A run resumes a
    checkpoint only under the options it was written with, save those that may change (how long it goes on)."""
    tiny = ["--hidden-size", "16", "--layers", "1", "--embedding-dim", "8", "--batch-size", "4", "--seq-len", "16",
            "--eval-every", "2", "--threads", "1", "--run-dir", str(tmp_path / "run")]
    other = tmp_path / "other.txt"
    other.write_text(tiny_corpus.read_text()[::-1])  # the same characters, other text
    first = cli("train", "text", *tiny, "--data", str(tiny_corpus), "--max-steps", "2", "--out", str(tmp_path / "a"))
    assert first.returncode == 0, first.stderr[-2000:]
    second = cli("train", "text", *tiny, "--data", str(other), "--max-steps", "4", "--out", str(tmp_path / "b"))
    assert second.returncode == 1 and not (tmp_path / "b").exists()
    assert f"{tmp_path / 'run'} holds the checkpoint of another training (--data: '{tiny_corpus}' there, " \
           f"'{other}' now; --out: " in second.stderr and "with --no-resume, or give it its own --run-dir" in second.stderr
    longer = cli("train", "text", *tiny, "--data", str(tiny_corpus), "--max-steps", "4", "--out", str(tmp_path / "a"))
    assert longer.returncode == 0, longer.stderr[-2000:]  # the same training goes on to step 4
    state = json.loads((tmp_path / "run" / "last" / "trainer_state.json").read_text())["loop"]
    assert [entry["step"] for entry in state["history"]] == [2, 4]
    failed = cli("train", "text", *tiny, "--data", str(tmp_path / "absent.txt"), "--max-steps", "2", "--no-resume",
                 "--out", str(tmp_path / "b"))  # starts afresh: the other checkpoint goes, so run.json never lies
    assert failed.returncode == 1 and not (tmp_path / "run" / "last").exists()
    fresh = cli("train", "text", *tiny, "--data", str(other), "--max-steps", "2", "--out", str(tmp_path / "b"),
                "--no-resume")
    assert fresh.returncode == 0 and (tmp_path / "b" / "model.safetensors").is_file()
    relative = cli("train", "text", *tiny, "--data", os.path.relpath(other), "--max-steps", "4", "--out",
                   str(tmp_path / "b"))  # the same file, however written: it goes on
    assert relative.returncode == 0, relative.stderr[-1000:]


def test_a_model_trained_into_another_models_folder_gets_a_card_of_its_own(cli, tmp_path, tiny_corpus):
    """The default --out is the bundled model's folder; huggingface_hub's mixin never replaces a card, so a model
    trained there kept the old one (its figures, its command), and `push` would have sent it with the new weights."""
    from rnn_demo.hub import MODELS_DIR, card_metadata

    out = tmp_path / "text-gru"
    shutil.copytree(MODELS_DIR / "text-gru", out, ignore=shutil.ignore_patterns("*.safetensors"))
    assert "model-index" in card_metadata(out)
    trained = cli("train", "text", "--hidden-size", "16", "--layers", "1", "--embedding-dim", "8", "--batch-size", "4",
                  "--seq-len", "16", "--max-steps", "2", "--threads", "1", "--data", str(tiny_corpus), "--out", str(out),
                  "--run-dir", str(tmp_path / "run"))
    assert trained.returncode == 0, trained.stderr[-2000:]
    assert "model-index" not in card_metadata(out) and "--max-steps 2800" not in (out / "README.md").read_text()


@pytest.mark.parametrize("task, name, content, message", [
    ("text", "tiny.txt", "To be, or\nnot", "the training text has 9 characters: a step needs 4 streams of 17 at least"),
    ("text", "numbers.csv", "text\n1\n2\n3\n", "row 1 of the train split's text column is not text (1)"),
    ("text", "broken.csv", 'text\n"never closed\n', "cannot read {path}: ParserError: Error tokenizing data"),
    ("sentiment", "few.csv", "text,label\ngood film,1\nbad film,0\n", "the training split has 1 reviews: a step needs"),
    ("sentiment", "numbers.csv", "text,label\n5,1\n3,0\n", "the review in data row 1 of its split is not text (5)"),
    ("sentiment", "blank.csv", "text,label\ngood,1\n,0\n", "the review in data row 2 of its split is blank: fill or "
                                                             "drop blank cells"),
    ("forecast", "broken.csv", 'time,value\n"2024-01-01,1\n', "{path}: a double quote opens a field in data row 1 "
                                                               "and is never closed: close it, or remove it"),
])
def test_data_too_small_or_unreadable_is_a_clear_error_not_a_traceback(cli, tmp_path, task, name, content, message):
    path = tmp_path / name
    path.write_text(content)
    result = cli("train", task, "--data", str(path), "--batch-size", "4", "--hidden-size", "16", "--max-steps", "2",
                 *(["--seq-len", "16"] if task == "text" else []), "--out", str(tmp_path / "out"),
                 "--run-dir", str(tmp_path / "run"))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"error: {message.format(path=path)}" in result.stderr, result.stderr[-1000:]
