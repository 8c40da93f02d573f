"""Data-parallel training with Accelerate: each rank's part of the data, and real two-process CPU trainings (gloo)
started by `accelerate launch`, checked against one process with the same global batch and seed."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from rnn_demo.forecast.train import ForecastTask
from rnn_demo.parallel import Shard, replicas_for
from rnn_demo.sentiment.train import ReviewTask
from rnn_demo.text.train import TextTask
from rnn_demo.training import command_line
from tests.conftest import ROOT, TINY_TEXT, main_in_process
from tests.test_forecast import tiny_config, toy_series

TEXT = TINY_TEXT * 30
VOCAB = ["<unk>", *sorted(set(TEXT))]
CPU = torch.device("cpu")
TOLERANCE = 1e-5  # two ranks' averaged gradients against one process's: float32 sums in another order


def test_a_shard_is_a_contiguous_equal_part_of_the_batch():
    assert [Shard(rank, 2).rows(8) for rank in range(2)] == [slice(0, 4), slice(4, 8)]
    assert Shard().rows(5) == slice(0, 5)
    with pytest.raises(ValueError, match="multiple of 3"):
        Shard(0, 3).rows(8)


def test_each_text_rank_reads_its_own_streams_of_the_corpus():
    whole = TextTask(TEXT, TINY_TEXT, VOCAB, batch_size=4, seq_len=16, device=CPU)
    ranks = [TextTask(TEXT, TINY_TEXT, VOCAB, batch_size=4, seq_len=16, device=CPU, shard=Shard(r, 2)) for r in (0, 1)]
    assert torch.equal(torch.cat([rank.streams for rank in ranks]), whole.streams)
    for step in (0, 3, whole.steps_per_pass):
        parts = [rank.batch(step) for rank in ranks]
        assert torch.equal(torch.cat([part.inputs for part in parts]), whole.batch(step).inputs)
        assert all(part.reset == whole.batch(step).reset for part in parts)


def test_each_forecast_rank_windows_its_own_rows_of_the_same_draw():
    series, config = toy_series(days=40), tiny_config()
    start = len(series) - 14 * 4
    whole = ForecastTask(series, config, start, batch_size=8, device=CPU, seed=3)
    ranks = [ForecastTask(series, config, start, batch_size=8, device=CPU, seed=3, shard=Shard(r, 2)) for r in (0, 1)]
    for step in (0, 7):
        inputs, targets = whole.batch(step)
        parts = [rank.batch(step) for rank in ranks]
        assert torch.equal(torch.cat([p[0] for p in parts]), inputs)
        assert torch.equal(torch.cat([p[1] for p in parts]), targets)


def test_each_review_rank_pads_its_own_rows_of_the_same_batch():
    rng = np.random.default_rng(0)
    ids = [rng.integers(1, 50, rng.integers(3, 30)).tolist() for _ in range(64)]
    labels = [i % 2 for i in range(64)]
    whole = ReviewTask(ids, labels, ids[:8], labels[:8], batch_size=8, device=CPU)
    ranks = [ReviewTask(ids, labels, ids[:8], labels[:8], batch_size=8, device=CPU, shard=Shard(r, 2)) for r in (0, 1)]
    tokens, targets = whole.batch(5)
    parts = [rank.batch(5) for rank in ranks]
    assert torch.equal(torch.cat([p[1] for p in parts]), targets)
    for row, part_row in zip(tokens, [row for part in parts for row in part[0]]):  # the same ids, padded per rank
        assert torch.equal(row[row != 0], part_row[part_row != 0])


def test_a_launch_asking_for_what_it_cannot_have_is_refused_by_name(monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    with pytest.raises(ValueError, match="--gpu_ids"):
        replicas_for("cuda:1")
    monkeypatch.setenv("ACCELERATE_MIXED_PRECISION", "bf16")
    with pytest.raises(ValueError, match="--mixed_precision bf16 is for GPUs"):
        replicas_for("cpu")


def test_training_json_records_the_launch_as_typed(monkeypatch):
    monkeypatch.setattr(sys, "argv", ["rnn_demo", "train", "text", "--out", "a b"])
    assert command_line() == "python -m rnn_demo train text --out 'a b'"
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("ACCELERATE_MIXED_PRECISION", "bf16")
    assert command_line() == ("accelerate launch --multi_gpu --num_processes 2 --mixed_precision bf16 -m rnn_demo "
                              "train text --out 'a b'")


RANK = """
import atexit, sys
from rnn_demo.parallel import end_rank
atexit.register(print, "the interpreter's teardown ran")

def command():
    print("the rank's output, not yet flushed", end="")
    {ending}

end_rank(command)
"""


@pytest.mark.slow
@pytest.mark.parametrize("ending, code, said", [
    ("return 3", 3, ""),
    ("raise RuntimeError('the step failed')", 1, "RuntimeError: the step failed"),
    ("sys.exit('error: a message')", 1, "error: a message")])
def test_a_rank_ends_with_its_code_and_output_and_without_the_interpreter_s_teardown(ending: str, code: int, said: str):
    """`end_rank` (the way out of `python -m rnn_demo` under a launch): its exit code, its output flushed, what went
    wrong said, and no teardown (where gloo's left threads killed finished ranks)."""
    result = subprocess.run([sys.executable, "-c", RANK.format(ending=ending)], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert (result.returncode, result.stdout) == (code, "the rank's output, not yet flushed"), result.stderr[-2000:]
    assert said in result.stderr


# ---- real launches: two CPU processes through accelerate launch (torchrun), gloo between them ----

TINY_TEXT_TRAINING = ["text", "--hidden-size", "16", "--layers", "2", "--embedding-dim", "8", "--batch-size", "4",
                      "--seq-len", "32", "--dropout", "0", "--max-steps", "12", "--eval-every", "6", "--threads", "1"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(processes: int, *args: str, scratch: Path, form: str = "--multi_gpu") -> subprocess.CompletedProcess:
    """`accelerate launch --multi_gpu --num_processes N -m rnn_demo train ... --device cpu`, as the README gives it:
    with no GPU (or --device cpu) the ranks train on the CPU and talk through gloo. `scratch`: the temporary folder
    of the launch (torchelastic leaves a folder of its logs there, which in /tmp stayed after each run)."""
    # niced as the app's job worker is: two busy ranks must not starve the workers of tests running beside them
    command = ["nice", "-n", "10", sys.executable, "-m", "accelerate.commands.launch", form,
               "--num_processes", str(processes),
               "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
               "--main_process_port", str(free_port()), "-m", "rnn_demo", "train", *args, "--device", "cpu"]
    scratch.mkdir(exist_ok=True)
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600,
                            env={**os.environ, "TMPDIR": str(scratch)})
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def last_checkpoint(run_dir: Path) -> dict[str, torch.Tensor]:
    """The weights, optimizer moments and carried state of a run's last checkpoint."""
    last = run_dir / "last"
    tensors = {**load_file(str(last / "weights.safetensors")),
               **{f"optimizer.{k}": v for k, v in load_file(str(last / "optimizer.safetensors")).items()}}
    return tensors | {k: v for k, v in load_file(str(last / "extra.safetensors")).items() if k.startswith("carry")}


@pytest.fixture(scope="module")
def text_runs(tmp_path_factory: pytest.TempPathFactory, tiny_corpus: Path) -> Path:
    """Four trainings of a tiny LSTM text model, 12 steps of 4 streams, the state carried between steps: one
    process; two processes; two processes stopped at step 6 and then run again to go on."""
    runs = tmp_path_factory.mktemp("parallel")
    data = ["--data", str(tiny_corpus)]
    assert main_in_process("train", *TINY_TEXT_TRAINING, *data, "--out", str(runs / "one"), "--run-dir",
                           str(runs / "one-run")) == 0  # the one-process run, in this process
    for name, extra in (("two", []), ("resumed", ["--stop-at", "6"]), ("resumed", [])):
        launch(2, *TINY_TEXT_TRAINING, *data, *extra, "--out", str(runs / name),
               "--run-dir", str(runs / f"{name}-run"), scratch=runs / "tmp")
    return runs


@pytest.mark.slow
def test_two_processes_train_as_one_with_the_same_global_batch(text_runs: Path):
    one, two = last_checkpoint(text_runs / "one-run"), last_checkpoint(text_runs / "two-run")
    assert one.keys() == two.keys() and any(k.startswith("carry") for k in one)  # the LSTM's (h, c) of all 4 streams
    for name, value in one.items():
        assert torch.allclose(value.float(), two[name].float(), rtol=0, atol=TOLERANCE), name
    histories = [json.loads((text_runs / f"{n}-run/last/trainer_state.json").read_text())["loop"]["history"]
                 for n in ("one", "two")]
    for mine, theirs in zip(*histories):  # the selections (the main rank's) and the ranks' mean training loss
        assert mine["step"] == theirs["step"] and abs(mine["selection_loss"] - theirs["selection_loss"]) < TOLERANCE
        assert abs(mine["train_loss"] - theirs["train_loss"]) < TOLERANCE
    record = json.loads((text_runs / "two" / "training.json").read_text())
    assert record["processes"] == 2 and record["command"].startswith("accelerate launch --multi_gpu --num_processes 2")


@pytest.mark.slow
def test_a_stopped_two_process_run_goes_on_where_it_stopped(text_runs: Path):
    straight, resumed = last_checkpoint(text_runs / "two-run"), last_checkpoint(text_runs / "resumed-run")
    for name, value in straight.items():
        assert torch.allclose(value.float(), resumed[name].float(), rtol=0, atol=1e-6), name
    state = json.loads((text_runs / "resumed-run/last/trainer_state.json").read_text())["loop"]
    assert state["step"] == 12 and [h["step"] for h in state["history"]] == [6, 12]  # no step taken twice


FORECAST_TRAINING = ["forecast", "--cell", "gru", "--hidden-size", "8", "--max-steps", "20", "--eval-every", "10",
                     "--threads", "1"]


def scored(cli, model: Path) -> dict:
    result = cli("evaluate", "forecast", "--model", str(model), "--json")
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)["model"]


@pytest.mark.slow
def test_a_two_process_forecast_training_writes_a_model_evaluate_scores(tmp_path: Path, cli):
    out = tmp_path / "forecast-gru"
    launch(2, *FORECAST_TRAINING, "--out", str(out), "--run-dir", str(tmp_path / "run"),
           scratch=tmp_path / "tmp")
    assert json.loads((out / "training.json").read_text())["processes"] == 2
    scores = scored(cli, out)
    assert 0 < scores["mase"] < 5 and 0 <= scores["coverage80"] <= 1, scores


@pytest.mark.slow
def test_accelerate_launch_cpu_trains_in_one_process_and_says_how_to_get_more(tmp_path: Path):
    """Accelerate 1.15's `--cpu --num_processes 2` starts one process (several CPU ones only through mpirun): the
    training runs, and the command says how to start several."""
    out = tmp_path / "forecast-gru"
    result = launch(2, *FORECAST_TRAINING, "--out", str(out), "--run-dir", str(tmp_path / "run"),
                    scratch=tmp_path / "tmp", form="--cpu")
    assert "accelerate launch --multi_gpu --num_processes N" in result.stderr
    assert json.loads((out / "training.json").read_text())["processes"] == 1
    from rnn_demo.forecast.model import Forecaster
    from rnn_demo.hub import load_model

    assert load_model(Forecaster, out, "cpu").config.hidden_size == 8  # a whole model (evaluate scores it: above)


BF16_CHECK = """
import json, torch
from rnn_demo.parallel import AcceleratedReplicas
from tests.conftest import tiny_model
replicas = AcceleratedReplicas(cpu=True)  # launched with bf16: prepare wraps the forward in autocast
model = tiny_model(cell="gru", hidden_size=64)
ids = torch.randint(1, len(model.config.vocab), (2, 40))
with torch.no_grad():
    plain = model(ids)[0]
    trained, _ = replicas.prepare(model, torch.optim.AdamW(model.parameters()))
    autocast = trained(ids)[0]
    with replicas.full_precision(model) as module:
        full = module(ids)[0]
    again = trained(ids)[0]
print(json.dumps({"autocast": (autocast - plain).abs().max().item(), "full": (full - plain).abs().max().item(),
                  "again": (again - autocast).abs().max().item(), "dtype": str(full.dtype)}))
"""


@pytest.mark.slow  # over 2 s: out of the fast loop (tests/README.md)
def test_selection_and_saving_compute_in_float32_under_bf16_training():
    """With --mixed_precision bf16 the training forward runs under autocast; the selection loss, the forecast
    calibration and the saved model are computed from the float32 forward (Replicas.full_precision)."""
    env = {**os.environ, "ACCELERATE_MIXED_PRECISION": "bf16", "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", BF16_CHECK], cwd=ROOT, capture_output=True, text=True, env=env,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    diffs = json.loads(result.stdout.strip().splitlines()[-1])
    assert diffs["autocast"] > 1e-4  # bf16 is really in use while training
    assert diffs["full"] == 0 and diffs["again"] == 0 and diffs["dtype"] == "torch.float32"
