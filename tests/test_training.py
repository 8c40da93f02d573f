from pathlib import Path

import torch

from rnn_demo.text.evaluate import chunk_plan, nats_per_char
from rnn_demo.text.stepper import CharStepper
from rnn_demo.text.model import CharLM, CharLMConfig
from rnn_demo.text.train import TextTask
from rnn_demo.training import TrainSettings, fit, learning_rate
from tests.conftest import TINY_TEXT

TEXT = TINY_TEXT * 30
VOCAB = ["<unk>", *sorted(set(TEXT))]


def _train(run_dir: Path, until: int | None = None, resume: bool = True, steps: int = 16) -> tuple[CharLM, dict]:
    torch.manual_seed(0)
    model = CharLM(CharLMConfig(vocab=VOCAB, cell="lstm", embedding_dim=8, hidden_size=16, dropout=0.2))
    task = TextTask(TEXT, TINY_TEXT, VOCAB, batch_size=4, seq_len=16, device=torch.device("cpu"))
    best: list[int] = []
    settings = TrainSettings(max_steps=steps, eval_every=5, warmup_steps=2, lr=1e-2)
    state = fit(model, task, settings, run_dir, lambda m, s: best.append(s["step"]), resume=resume, until=until)
    return model, state | {"saved_best": best}


def test_training_lowers_the_selection_loss(tmp_path):
    model, state = _train(tmp_path, steps=40)
    losses = [h["selection_loss"] for h in state["history"]]
    assert losses[-1] < losses[0] - 0.3  # from the uniform guess towards the character frequencies and beyond
    assert state["best_step"] == state["saved_best"][-1]


def test_resumed_run_equals_an_uninterrupted_one(tmp_path):
    straight, _ = _train(tmp_path / "a", resume=False)
    _train(tmp_path / "b", until=7)  # stopped mid-run, as a session that ends
    resumed, state = _train(tmp_path / "b")
    assert state["step"] == 16
    for name, value in straight.state_dict().items():
        assert torch.equal(value, resumed.state_dict()[name]), name


def test_a_save_interrupted_anywhere_leaves_a_whole_checkpoint_to_resume(tmp_path):
    """A checkpoint was written file by file in place: a Ctrl-C between its files left new weights beside old
    optimizer moments (resumed without a word), and a file cut short a traceback. A save now writes a folder of its
    own and swaps it in with two renames."""
    import shutil

    import pytest

    straight, _ = _train(tmp_path / "a", resume=False)
    run = tmp_path / "b"
    _train(run, until=7)
    last, previous, partial = run / "last", run / "last.previous", run / "last.partial"
    shutil.copytree(last, partial)  # a later save cut short while writing: its folder is never read
    (partial / "weights.safetensors").write_bytes(b"cut short")
    last.rename(previous)  # a later save cut short between its two renames: the previous checkpoint stands
    resumed, state = _train(run)
    assert state["step"] == 16 and not previous.exists() and not partial.exists()
    assert 5 not in state["saved_best"]  # it went on from step 7: a run started afresh selects at step 5
    for name, value in straight.state_dict().items():
        assert torch.equal(value, resumed.state_dict()[name]), name
    (last / "weights.safetensors").write_bytes(b"damaged by hand")
    with pytest.raises(ValueError, match="the checkpoint in .* is damaged .*: start afresh with --no-resume"):
        _train(run, steps=20)


def test_a_run_in_memory_yields_each_selection_and_stops_when_closed(tmp_path):
    from rnn_demo.training import training_run

    torch.manual_seed(0)
    model = CharLM(CharLMConfig(vocab=VOCAB, embedding_dim=8, hidden_size=16))
    task = TextTask(TEXT, TINY_TEXT, VOCAB, batch_size=4, seq_len=16, device=torch.device("cpu"))
    saved: list[int] = []
    run = training_run(model, task, TrainSettings(max_steps=40, eval_every=5, lr=1e-2), None,
                       lambda m, s: saved.append(s["step"]), progress=False)
    steps = [state["step"] for _, state in zip(range(3), run)]  # three selections, then the visitor stops
    run.close()
    assert steps == [5, 10, 15] and saved and saved[-1] <= 15
    assert not any(tmp_path.iterdir())  # and nothing was written to disk


def test_the_scoring_clock_keeps_scoring_to_its_share_of_the_time_within_its_bounds():
    import time

    from rnn_demo.scoring_clock import ScoringClock

    clock = ScoringClock(share=0.05, shortest=1.0, longest=3.0)
    assert clock.gap == 1.0  # nothing scored yet: the first scoring after the shortest gap
    for cost, gap in ((0.01, 1.0), (0.1, 1.9), (1.0, 3.0)):  # 19 times the cost, within 1 to 3 s
        clock.cost = cost
        assert abs(clock.gap - gap) < 1e-9
    clock.cost, clock.last = 0.1, time.perf_counter() - 1.0
    assert not clock.due()
    clock.last = time.perf_counter() - 2.0
    assert clock.due()
    clock.last, clock.deadline = time.perf_counter(), time.perf_counter() - 0.01  # the budget is spent: score now
    assert clock.due()
    started = time.perf_counter() - 0.25
    clock.scored(started)
    assert 0.25 <= clock.cost < 1.0 and clock.last >= started + clock.cost


class _Every:
    """A clock that is due at the given steps (the loop asks once per step)."""

    def __init__(self, steps: set[int]) -> None:
        self.steps, self.asked, self.scorings = steps, 0, 0

    def due(self) -> bool:
        self.asked += 1
        return self.asked in self.steps

    def scored(self, started: float) -> None:
        self.scorings += 1


def test_a_run_with_a_clock_scores_when_the_clock_says_and_each_scoring_scores_once():
    from rnn_demo.training import training_run
    from rnn_demo.visitor_training.data import Built
    from rnn_demo.visitor_training.job import ScoredTask

    torch.manual_seed(0)
    model = CharLM(CharLMConfig(vocab=VOCAB, embedding_dim=8, hidden_size=16))
    task = TextTask(TEXT, TINY_TEXT, VOCAB, batch_size=4, seq_len=16, device=torch.device("cpu"))
    passes: list[float] = []

    def score(m):  # the held-out pass: the loss and a metric from it
        passes.append(task.selection_loss(m))
        return passes[-1], passes[-1] * 2

    scored, clock = ScoredTask(Built(model, task, score)), _Every({3, 4, 11})
    states = [dict(state) for state in training_run(model, scored, TrainSettings(max_steps=12, eval_every=5, lr=1e-2),
                                                    None, lambda m, s: None, progress=False, clock=clock)]
    assert [state["step"] for state in states] == [3, 4, 11, 12]  # the clock's steps and the last, not every 5
    assert len(passes) == 4 == clock.scorings  # one held-out pass per scoring, each told to the clock
    assert [h["selection_loss"] for h in states[-1]["history"]] == passes and scored.last_metric == passes[-1] * 2
    chosen = ScoredTask(Built(model, task, score, chosen_by=lambda loss, metric: -metric))  # what chooses: its own
    assert chosen.selection_loss(model) == -2 * passes[-1] and chosen.last_loss == passes[-1]


def test_learning_rate_warms_up_then_decays():
    s = TrainSettings(max_steps=100, warmup_steps=10, lr=1.0, min_lr_ratio=0.1)
    assert learning_rate(0, s) == 0.1 and learning_rate(9, s) == 1.0
    assert learning_rate(99, s) > learning_rate(100, s) == 0.1


def test_stream_batches_carry_the_state():
    task = TextTask(TEXT, TINY_TEXT, VOCAB, batch_size=2, seq_len=8, device=torch.device("cpu"))
    first, second = task.batch(0), task.batch(1)
    assert first.reset and not second.reset
    assert torch.equal(first.targets[:, -1], second.inputs[:, 0])
    assert task.batch(task.steps_per_pass).reset


def test_chunk_plan_scores_every_target_once():
    plan = chunk_plan(1000, 7, 256)
    scored = [t for _, first, end in plan for t in range(first, end)]
    assert scored == list(range(1, 1001))
    assert all(first - 1 - start == min(256, first - 1) for start, first, _ in plan)


def test_batched_metric_equals_the_plain_loss_when_context_is_complete():
    torch.manual_seed(0)
    model = CharLM(CharLMConfig(vocab=VOCAB, embedding_dim=8, hidden_size=16, num_layers=2)).eval()
    text = TINY_TEXT * 3
    ids = torch.tensor([[VOCAB.index(c) for c in text]])
    with torch.no_grad():
        _, _, plain = model(ids[:, :-1], targets=ids[:, 1:])
    stepper = CharStepper(model, "float32")
    assert abs(nats_per_char(stepper, text, chunks=5, warmup=len(text)) - plain.item()) < 1e-5
    assert abs(nats_per_char(stepper, text, chunks=1) - plain.item()) < 1e-5
    assert abs(nats_per_char(stepper, text, chunks=1, segment=7) - plain.item()) < 1e-5  # state carried across segments


def test_a_short_run_is_not_all_warm_up():
    s = TrainSettings(max_steps=30, warmup_steps=100, lr=1.0)
    assert learning_rate(2, s) == 1.0 and learning_rate(29, s) < 1.0


def test_test_scorings_are_appended_to_the_training_record(tmp_path):
    import json

    from rnn_demo.training import log_test_scoring

    log_test_scoring(tmp_path, {"test_accuracy": 0.5}, asked=True)  # no record: nothing written
    assert not (tmp_path / "training.json").exists()
    (tmp_path / "training.json").write_text(json.dumps({"step": 3}))
    assert not log_test_scoring(tmp_path, {"test_accuracy": 0.5})  # outside the checkout, unasked: a download's
    assert json.loads((tmp_path / "training.json").read_text()) == {"step": 3}
    log_test_scoring(tmp_path, {"test_accuracy": 0.5}, asked=True)
    log_test_scoring(tmp_path, {"test_accuracy": 0.75}, asked=True)
    record = json.loads((tmp_path / "training.json").read_text())
    assert record["step"] == 3 and [entry["test_accuracy"] for entry in record["test_scorings"]] == [0.5, 0.75]
    assert all(entry["date"].endswith("UTC") and entry["command"].startswith("python -m rnn_demo")
               for entry in record["test_scorings"])
    card = "# A model\n\n- The test split has been scored 2 time(s), each logged under `test_scorings`.\n"  # as before
    (tmp_path / "README.md").write_text(card)
    log_test_scoring(tmp_path, {"test_accuracy": 0.8}, asked=True)  # a benchmark's, after the card: its count kept
    assert (tmp_path / "README.md").read_text() == card.replace("2 time(s)", "3 times")
    # a folder of huggingface_hub's cache holds links to its blobs: scoring a downloaded model changes none of them
    snapshot, blobs = tmp_path / "snapshot", tmp_path / "blobs"
    blobs.mkdir()
    snapshot.mkdir()
    for name in ("training.json", "README.md"):
        (blobs / name).write_bytes((tmp_path / name).read_bytes())
        (snapshot / name).symlink_to(blobs / name)
    log_test_scoring(snapshot, {"test_accuracy": 0.9}, asked=True)
    assert all((blobs / name).read_bytes() == (tmp_path / name).read_bytes() for name in ("training.json", "README.md"))


def test_a_model_of_the_checkout_is_logged_unasked(tmp_path, monkeypatch):
    """The project's own models (models/, a training's --out in the checkout) keep every look at their test split."""
    import json

    from rnn_demo import training

    monkeypatch.setattr(training, "CHECKOUT", tmp_path)
    model = tmp_path / "models" / "sentiment-gru"
    model.mkdir(parents=True)
    (model / "training.json").write_text(json.dumps({"step": 3}))
    assert not training.log_test_scoring(model, {"test_accuracy": 0.5})  # not a git checkout: an installed package's
    (tmp_path / ".git").mkdir()
    assert training.log_test_scoring(model, {"test_accuracy": 0.5})
    assert json.loads((model / "training.json").read_text())["test_scorings"][0]["test_accuracy"] == 0.5


def test_a_step_whose_gradients_are_not_finite_stops_the_run_before_it_spoils_the_weights(tmp_path):
    """A NaN gradient step made every weight NaN, and the run went on, choosing nothing after it."""
    import math

    import pytest

    from rnn_demo.training import TrainingDiverged

    torch.manual_seed(0)
    model = CharLM(CharLMConfig(vocab=VOCAB, cell="gru", embedding_dim=8, hidden_size=16))
    task = TextTask(TEXT, TINY_TEXT, VOCAB, batch_size=4, seq_len=16, device=torch.device("cpu"))
    plain_loss, calls = task.loss, []

    def loss_nan_at_step_3(m, batch, carry):
        calls.append(1)
        loss, carry = plain_loss(m, batch, carry)
        return loss * (math.nan if len(calls) == 3 else 1.0), carry

    task.loss = loss_nan_at_step_3
    saved: list[int] = []
    with pytest.raises(TrainingDiverged, match="at step 3, the gradients became nan"):
        fit(model, task, TrainSettings(max_steps=6, eval_every=1, warmup_steps=1, lr=1e-2), None,
            lambda m, s: saved.append(s["step"]))
    assert saved and max(saved) <= 2  # the best of the steps before it was kept
    assert all(torch.isfinite(p).all() for p in model.parameters())
