"""On a GPU: generation, the batched loop, evaluation, training steps and the app's handlers, against the CPU.

Skipped where no CUDA device is present; `scripts/gpu-check` runs them on a GPU machine (whose image has no gradio or
datasets: nothing here imports them). TF32 is turned off so that float32 means float32 on both sides; results then
agree within TOLERANCE (cuDNN's kernels sum in another order than the CPU's)."""
from __future__ import annotations

import threading

import pytest
import torch

from rnn_demo.hub import MODELS_DIR, load_model
from rnn_demo.text.infer import Sampling, generate
from rnn_demo.text.model import CharLM
from rnn_demo.text.stepper import CharStepper
from tests.conftest import TINY_TEXT, tiny_model

pytestmark = [pytest.mark.cuda,
              pytest.mark.skipif(not torch.cuda.is_available(),
                                 reason="no CUDA device here: scripts/gpu-check runs these on a GPU machine")]
CUDA = torch.device("cuda")
TOLERANCE = 1e-4  # float32 on the GPU against float32 on the CPU, TF32 off


@pytest.fixture(autouse=True)
def strict_float32():
    before = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    yield
    torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = before


def bundled_text(cell: str = "lstm") -> tuple[CharLM, CharLM]:
    """The bundled text model, on the CPU and on the GPU."""
    return (load_model(CharLM, MODELS_DIR / f"text-{cell}", "cpu"), load_model(CharLM, MODELS_DIR / f"text-{cell}", CUDA))


def test_the_gpu_serves_float32_and_predicts_as_the_cpu():
    cpu, gpu = bundled_text()
    stepper = CharStepper(gpu)
    assert stepper.precision == "float32" and stepper.device.type == "cuda"
    ids = torch.tensor([[gpu.config.vocab.index(c) for c in "ROMEO:\nWhat light"]])
    with torch.inference_mode():
        expected, on_gpu = cpu(ids)[0], gpu(ids.to(CUDA))[0].cpu()
    assert torch.allclose(on_gpu, expected, rtol=0, atol=TOLERANCE)


def test_generation_on_the_gpu_repeats_its_seed_and_writes_the_asked_length():
    _, gpu = bundled_text()
    stepper = CharStepper(gpu)
    sampling = Sampling(max_new_chars=200, temperature=0.8, seed=7)
    first, second = ("".join(generate(stepper, "ROMEO:", sampling)) for _ in range(2))
    assert first == second and len(first) == 200


def test_the_batched_loop_on_the_gpu_gives_each_user_their_own_text():
    """Several users at once through the app's batched loop: each gets what `generate` alone gives their seed."""
    from rnn_demo.text.batcher import BatchedGeneration

    _, gpu = bundled_text("gru")
    stepper = CharStepper(gpu)
    batcher = BatchedGeneration(stepper)
    settings = [Sampling(max_new_chars=120, temperature=0.9, seed=seed) for seed in range(6)]
    results: dict[int, str] = {}

    def user(index: int) -> None:
        results[index] = "".join(batcher.stream("JULIET:", settings[index]))

    threads = [threading.Thread(target=user, args=(i,)) for i in range(len(settings))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for index, sampling in enumerate(settings):
        assert results[index] == "".join(generate(stepper, "JULIET:", sampling))


def test_evaluation_on_the_gpu_equals_the_cpu():
    from rnn_demo.text.evaluate import nats_per_char

    cpu, gpu = bundled_text()
    text = TINY_TEXT * 20
    on_cpu = nats_per_char(CharStepper(cpu, "float32"), text)
    on_gpu = nats_per_char(CharStepper(gpu, "float32"), text)
    assert abs(on_gpu - on_cpu) < TOLERANCE, (on_gpu, on_cpu)


def test_sentiment_and_forecast_models_run_on_the_gpu_as_on_the_cpu():
    from rnn_demo.forecast.model import Forecaster
    from rnn_demo.sentiment.model import ReviewClassifier

    ids = torch.randint(1, 5000, (3, 50))
    ids[1, 30:] = 0  # padding, packed away on both devices
    for cls, x in ((ReviewClassifier, ids), (Forecaster, None)):
        cpu, gpu = (load_model(cls, MODELS_DIR / f"{cls.task}-gru", device) for device in ("cpu", CUDA))
        if x is None:
            c = cpu.config
            x = torch.randn(2, c.window + c.horizon, len(c.features), generator=torch.Generator().manual_seed(0))
        with torch.inference_mode():
            expected, on_gpu = cpu(x)[0], gpu(x.to(CUDA))[0].cpu()
        assert torch.allclose(on_gpu, expected, rtol=0, atol=TOLERANCE), cls.__name__


def test_a_few_training_steps_on_the_gpu_follow_the_cpu():
    from rnn_demo.text.train import TextTask
    from rnn_demo.training import TrainSettings, fit

    text, vocab = TINY_TEXT * 30, tiny_model().config.vocab
    histories = []
    for device in (torch.device("cpu"), CUDA):
        model = tiny_model(cell="lstm").to(device)
        task = TextTask(text, TINY_TEXT, vocab, batch_size=4, seq_len=32, device=device)
        state = fit(model, task, TrainSettings(max_steps=6, eval_every=3, warmup_steps=1, lr=1e-2), None,
                    lambda m, s: None)
        histories.append([h["train_loss"] for h in state["history"]])
    assert histories[0][-1] < histories[0][0]  # it learns
    assert all(abs(a - b) < 1e-3 for a, b in zip(*histories)), histories  # six Adam steps apart: a looser bound


def test_the_app_handlers_pick_the_gpu():
    from rnn_demo.forecast import serve as forecast
    from rnn_demo.sentiment import serve as sentiment
    from rnn_demo.text import serve as text

    stepper = text.SHELF.bundled("lstm")
    assert stepper.device.type == "cuda" and stepper.precision == "float32"
    assert len("".join(text.stream_text(stepper, "ROMEO:", Sampling(max_new_chars=50, seed=1)))) == 50
    model, _ = sentiment.SHELF.bundled("gru")
    assert next(model.parameters()).device.type == "cuda"
    assert set(sentiment.analyse("A wonderful, moving film.", "gru").probabilities) == set(model.config.labels)
    assert next(forecast.SHELF.bundled("gru").parameters()).device.type == "cuda"


def test_the_page_and_summaries_name_the_gpu_and_the_cpu_that_trains():
    from rnn_demo.devices import page_note
    from rnn_demo.text.serve import model_summary

    gpu = torch.cuda.get_device_name(0)
    assert gpu in page_note() and "and so does training in the app" in page_note()
    assert model_summary("lstm").endswith(f"Runs on the GPU: {gpu} (CUDA {torch.version.cuda}).")


def test_a_forecast_adapted_to_an_upload_trains_on_the_gpu_and_comes_back_as_json():
    import math

    from rnn_demo.forecast.adapt import Adaptation, finished_adaptation
    from rnn_demo.forecast.serve import SHELF
    from rnn_demo.training import TrainSettings
    from tests.test_forecast_adapt import hourly_demand

    served = SHELF.bundled("gru").for_step(60)
    assert next(served.parameters()).device.type == "cuda"
    few = TrainSettings(max_steps=10, lr=1e-3, warmup_steps=2, eval_every=5, seed=0)
    progress, adaptation = finished_adaptation(served, hourly_demand(weeks=4), math.inf, few)
    assert next(adaptation.model.parameters()).device.type == "cuda" and progress[-1]["step"] == 10
    assert next(served.parameters()).device.type == "cuda"  # the served model stays where it was
    back = Adaptation.from_json(adaptation.to_json())  # as it crosses the job slot: plain JSON, on the CPU
    assert back.table == adaptation.table and next(back.model.parameters()).device.type == "cpu"


def test_many_users_on_the_gpu_each_get_what_generate_alone_gives_them():
    """More users than one float32 block (STEP_ROWS) stepped together: every row's numbers are those of its block's
    fixed shape, so each user's seeded text is `generate`'s, whoever else is generating."""
    from rnn_demo.text.batcher import MAX_GPU_BATCH, BatchedGeneration
    from rnn_demo.text.stepper import STEP_ROWS

    _, gpu = bundled_text("lstm")
    stepper = CharStepper(gpu)
    batcher = BatchedGeneration(stepper)
    assert batcher.max_batch == MAX_GPU_BATCH > STEP_ROWS
    settings = [Sampling(max_new_chars=60, temperature=1.0, seed=seed) for seed in range(STEP_ROWS + 5)]
    results: dict[int, str] = {}
    threads = [threading.Thread(target=lambda i=i: results.__setitem__(i, "".join(batcher.stream("ROMEO:",
                                                                                                 settings[i]))))
               for i in range(len(settings))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert [results[i] for i in range(len(settings))] == ["".join(generate(stepper, "ROMEO:", s)) for s in settings]


def test_a_train_tab_job_trains_on_the_gpu(tmp_path):
    from rnn_demo.hub import read_config
    from rnn_demo.visitor_training.job import train_job

    text = tmp_path / "verse.txt"
    text.write_text(TINY_TEXT * 60)
    updates = list(train_job("text", str(text), {}, "gru", "tiny", 20, str(tmp_path / "model"), max_steps=60))
    progress = [update for update in updates if "step" in update]
    assert progress[-1]["step"] >= 50 and progress[-1]["value"] < progress[0]["value"] + 1e-6
    assert updates[-1]["model_dir"] and read_config(tmp_path / "model")["task"] == "text"
    model = load_model(CharLM, tmp_path / "model", "cpu")  # saved from the GPU, read anywhere
    assert model.config.cell == "gru"


def test_a_lab_run_on_the_gpu_follows_the_cpu():
    from rnn_demo.lab.run import LabSettings, run_lab

    settings = LabSettings(problem="adding", length=30, cell="lstm", hidden=32, steps=20, seed=3).check()
    on_cpu, on_gpu = list(run_lab(settings, device="cpu")), list(run_lab(settings, device=CUDA))
    assert len(on_gpu) == len(on_cpu) == 20 and on_gpu[0].profile and on_gpu[-1].gates
    assert abs(on_gpu[0].loss - on_cpu[0].loss) < TOLERANCE  # the same weights and data: the first step agrees
    assert all(abs(a.loss - b.loss) < 1e-2 for a, b in zip(on_cpu, on_gpu))


def test_how_far_back_each_cell_remembers_is_measured_on_the_gpu_as_on_the_cpu():
    """The Inside tab's memory section backpropagates through the model's recurrent layer, which on a GPU is cuDNN's:
    an eval-mode module's pass refused a backward there ("cudnn RNN backward can only be called in training mode",
    a red team's reading; the memory section and the first page load would have failed)."""
    from rnn_demo.inside.memory import influence

    text = "ROMEO:\nBut soft, what light through yonder window breaks?\n"
    for cell in ("lstm", "gru", "rnn"):
        cpu, gpu = bundled_text(cell)
        on_cpu, on_gpu = influence(cpu, text, [30, 50], look_back=40), influence(gpu, text, [30, 50], look_back=40)
        assert torch.allclose(on_gpu, on_cpu, rtol=1e-3, atol=1e-7, equal_nan=True), cell


def test_a_resumed_gpu_run_with_dropout_equals_an_uninterrupted_one(tmp_path):
    """Dropout on a GPU draws from the device's generator, which checkpoints did not keep: a resumed run went on
    with other masks (an ML review). The CPU's twin: tests/test_training.py."""
    from rnn_demo.parallel import OneReplica
    from rnn_demo.text.model import CharLMConfig
    from rnn_demo.text.train import TextTask
    from rnn_demo.training import TrainSettings, fit

    vocab = ["<unk>", *sorted(set(TINY_TEXT))]

    def run(run_dir, until=None):
        torch.manual_seed(0)
        model = CharLM(CharLMConfig(vocab=vocab, cell="lstm", embedding_dim=8, hidden_size=16, dropout=0.5)).to(CUDA)
        task = TextTask(TINY_TEXT * 30, TINY_TEXT, vocab, batch_size=4, seq_len=16, device=CUDA)
        fit(model, task, TrainSettings(max_steps=12, eval_every=4, warmup_steps=2, lr=1e-2), run_dir,
            lambda m, s: None, until=until, replicas=OneReplica(CUDA))
        return model

    straight = run(tmp_path / "a")
    run(tmp_path / "b", until=6)
    torch.cuda.manual_seed(123)  # the generator moved on, as a new process's would be seeded otherwise
    resumed = run(tmp_path / "b")
    for name, value in straight.state_dict().items():  # other dropout masks move the weights by ~1e-2
        assert torch.allclose(value, resumed.state_dict()[name], rtol=0, atol=1e-5), name
