"""The tasks are declared once (rnn_demo/tasks.py): a fourth task, a tiny package written by the test, joins the
command line, `pull` and the visitors' Hub loads through one registry entry, with no other file edited."""
import importlib
import json
import os
import subprocess
import sys
import textwrap
from dataclasses import replace

import pytest

from rnn_demo.__main__ import build_parser, main
from rnn_demo.hub import ModelLoadError, load_model
from rnn_demo.tasks import MORE_TASKS, TASKS, all_benches, plugin_of, tabs
from rnn_demo.visitor_hub import VisitorModels
from tests.hubserver import hub_environment, local_hub

TOY_MODEL = '''
"""A toy task: the sum of a sequence of numbers, read by the shared backbone."""
from dataclasses import dataclass

import torch
from torch import nn

from rnn_demo.backbone import Backbone, backbone_shapes, check_cell
from rnn_demo.hub import HubModel
from rnn_demo.visitor_checks import ConfigLimits


@dataclass
class ToyConfig:
    cell: str = "gru"
    hidden_size: int = 4
    num_layers: int = 1
    dropout: float = 0.0
    storage_dtype: str = "float32"
    task: str = "toy"

    def __post_init__(self):
        check_cell(self.cell)

    def state_shapes(self):
        return {**backbone_shapes(self.cell, 1, self.hidden_size, self.num_layers),
                "head.weight": (1, self.hidden_size), "head.bias": (1,)}


VISITOR_LIMITS = ConfigLimits(ToyConfig)


class ToySum(nn.Module, HubModel, library_name="rnn-demo"):
    task = "toy"

    def __init__(self, config: ToyConfig):
        super().__init__()
        self.config = config
        self.backbone = Backbone(config.cell, 1, config.hidden_size, config.num_layers)
        self.head = nn.Linear(config.hidden_size, 1)

    def forward(self, x, state=None, targets=None):
        outputs, state = self.backbone(x, state)  # (batch, time, hidden)
        total = self.head(outputs[:, -1]).squeeze(-1)  # (batch,)
        loss = nn.functional.mse_loss(total, targets) if targets is not None else None
        return total, state, loss


def numbers(seed: int, batch: int = 16, time: int = 6):
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, time, 1, generator=generator)
    return x, x.sum((1, 2))
'''

TOY_CLI = '''
import torch
from datasets import Dataset, DatasetDict

from rnn_demo.training import TaskCLI, fit
from rnn_demo.usage import refresh_card

from .model import ToyConfig, ToySum, numbers
from .use import DATASET, USE


class SumTask:
    def __init__(self, x=None, sums=None, held_x=None, held_sums=None):
        self.data = (x, sums) if x is not None else None
        self.held = (held_x, held_sums) if held_x is not None else numbers(-1)

    def batch(self, step):
        if self.data is None:
            return numbers(step)
        rows = torch.arange(step * 4, step * 4 + 4) % len(self.data[1])
        return self.data[0][rows], self.data[1][rows]

    def loss(self, model, batch, carry):
        return model(batch[0], targets=batch[1])[2], None

    def batch_units(self, batch):
        return len(batch[1])

    @torch.inference_mode()
    def selection_loss(self, model):
        return float(model(self.held[0], targets=self.held[1])[2])


def write_card(folder):
    (folder / "README.md").write_text("---\\nlibrary_name: rnn-demo\\n---\\n# toy\\n\\nSums six numbers.\\n")
    refresh_card(folder, "toy", USE, DATASET)


class ToyCLI(TaskCLI):
    train_help = "a toy: the sum of six numbers"
    train_defaults = {"cell": "gru", "hidden_size": 4, "layers": 1, "dropout": 0.0, "batch_size": 16, "lr": 1e-2,
                      "max_steps": 4, "eval_every": 2}
    dataset_card = {"license": "mit", "pretty_name": "toy sums", "text": "numbers drawn from a seed",
                    "source": "https://example.org/toy", "language": ["en"], "task_categories": ["tabular-regression"]}

    def add_train_arguments(self, parser):
        parser.add_argument("--numbers", type=int, default=6, help="numbers per sequence")

    def prepare(self):
        def split(seed):
            x, sums = numbers(seed)
            return Dataset.from_dict({"numbers": x.squeeze(-1).tolist(), "sum": sums.tolist()})
        return DatasetDict({"train": split(0), "test": split(1)})

    def train(self, args, settings, out, run_dir, replicas):
        model = ToySum(ToyConfig(cell=args.cell, hidden_size=args.hidden_size, num_layers=args.layers))

        def save_best(model, state):
            model.save_pretrained(out)
            write_card(out)
        return fit(model, SumTask(), settings, run_dir, save_best, resume=not args.no_resume, until=args.stop_at,
                   replicas=replicas)

    def evaluate(self, args):
        from rnn_demo.hub import load_model

        model = load_model(ToySum, args.model, args.device)
        return {"mse": SumTask().selection_loss(model)}

    def benches(self):
        return {"toy-sums": bench_sums}


def bench_sums(args):
    \"\"\"Sums per second of a fresh toy model, against a Python loop.\"\"\"
    import time

    model, (x, sums) = ToySum(ToyConfig()), numbers(0, batch=256)
    started = time.perf_counter()
    with torch.inference_mode():
        model(x)
    batched = 256 / (time.perf_counter() - started)
    started = time.perf_counter()
    [sum(row) for row in x.squeeze(-1).tolist()]
    return {"sums_per_s": round(batched, 1), "python_sums_per_s": round(256 / (time.perf_counter() - started), 1)}
'''

TOY_USE = '''
from rnn_demo.plugin import Use

DATASET = "rnn-demo-toy-sums"
USE = Use("import torch  # TOY-PLAIN: FOLDER from REPO\\\\nprint(torch.zeros(6).sum())\\\\n",
          package="from rnn_demo_toy.model import ToySum  # TOY-PACKAGE\\\\nmodel = ToySum.from_pretrained('REPO')",
          command="rnn-demo evaluate toy --model REPO")
'''

TOY_VISITOR = '''
import csv
from pathlib import Path

import torch

from rnn_demo.plugin import ColumnRole, VisitorTraining
from rnn_demo.visitor_training.data import Built, Prepared

from .cli import SumTask
from .model import ToyConfig, ToySum


def read_numbers(path, columns):
    with open(path, newline="") as file:
        rows = list(csv.DictReader(file))
    name = columns.get("numbers") or "numbers"
    if not rows or name not in rows[0]:
        raise ValueError(f"no column {name!r}")
    x = torch.tensor([[float(v) for v in row[name].split()] for row in rows]).unsqueeze(-1)  # (rows, 6, 1)
    sums = x.sum((1, 2))
    return Prepared("toy", (x[:-4], sums[:-4]), (x[-4:], sums[-4:]), {"rows": len(rows)}, [[r[name]] for r in rows[:5]])


def build(prepared, cell, size, device):
    model = ToySum(ToyConfig(cell=cell, **SIZES[size]))
    task = SumTask(*prepared.train, *prepared.held_out)

    def score(m):
        loss = task.selection_loss(m)
        return loss, loss ** 0.5

    return Built(model, task, score)


SIZES = {"tiny": {"hidden_size": 4}, "wee": {"hidden_size": 2}}
VISITOR = VisitorTraining(upload="a CSV of six numbers a row (a model learns their sum)", what="a summing toy",
                          task_type="tabular-regression", metric="RMSE", metric_type="rmse",
                          columns=(ColumnRole("numbers", "Numbers column", ("numbers",)),), preview_headers=("numbers",),
                          sizes=SIZES, read=read_numbers, build=build, hub_file="numbers.csv")
'''

TOY_SERVE = '''
from rnn_demo.hub import load_model
from rnn_demo.visitor_hub import VisitorModels

from .model import VISITOR_LIMITS, ToySum

VISITORS = VisitorModels(VISITOR_LIMITS, lambda directory: load_model(ToySum, directory, "cpu"))
'''

TOY_PLUGIN = '''
from rnn_demo.plugin import Tab, TaskPlugin, TinyModel

from .cli import ToyCLI
from .model import VISITOR_LIMITS
from .use import DATASET, USE
from .visitor import VISITOR

PLUGIN = TaskPlugin("toy", ToyCLI(), Tab("Toy sums", "rnn_demo_toy.tab"), metric="mse", higher_is_better=False,
                    limits=VISITOR_LIMITS, default_model="toy-gru", dataset=DATASET, use=USE,
                    served="rnn_demo_toy.serve:VISITORS", visitor=VISITOR, tiny=TinyModel(("gru",), ("--numbers", "6")))
'''

TOY_FILES = {"model.py": TOY_MODEL, "cli.py": TOY_CLI, "use.py": TOY_USE, "visitor.py": TOY_VISITOR,
             "serve.py": TOY_SERVE, "plugin.py": TOY_PLUGIN, "__init__.py": ""}


@pytest.fixture
def toy(tmp_path, monkeypatch):
    """The toy package on the path and its one registry entry (here, and in the processes the test starts: the app's
    job worker, commands), both undone after the test."""
    package = tmp_path / "toy_packages" / "rnn_demo_toy"
    package.mkdir(parents=True)
    for name, text in TOY_FILES.items():
        (package / name).write_text(textwrap.dedent(text))
    monkeypatch.syspath_prepend(str(package.parent))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(package.parent),
                                                                   os.environ.get("PYTHONPATH")])))
    monkeypatch.setenv(MORE_TASKS, "rnn_demo_toy")
    monkeypatch.setitem(TASKS, "toy", plugin_of("rnn_demo_toy"))
    yield importlib.import_module("rnn_demo_toy.model")
    for name in [name for name in sys.modules if name.startswith("rnn_demo_toy")]:
        del sys.modules[name]


def _subcommands(parser, command):
    action = next(a for a in parser._subparsers._group_actions[0].choices[command]._actions if a.dest == "task")
    return list(action.choices)


def test_the_registry_declares_the_three_tasks_and_their_tabs():
    assert list(TASKS) == ["text", "sentiment", "forecast"]
    assert [tab.title for tab in tabs()] == ["Text generation", "Sentiment", "Forecasting", "Inside the network",
                                           "Gradient lab", "Train your own"]
    assert {"inside", "lab"} <= set(all_benches())  # a tab that is not a task brings its benches
    assert build_parser().parse_args(["lab", "sweep", "--lengths", "10"]).lengths == [10]  # and its commands
    for name, spec in TASKS.items():
        assert spec.limits.task == name and spec.tab in tabs()
    with pytest.raises(ValueError, match="task 'text' is handed the limits of 'sentiment' models"):
        replace(TASKS["text"], limits=TASKS["sentiment"].limits)


def test_a_registered_task_trains_and_evaluates_from_the_command_line(toy, tmp_path, capsys):
    parser = build_parser()
    for command in ("train", "evaluate", "prepare", "push", "push-dataset"):
        assert "toy" in _subcommands(parser, command), command
    assert parser.parse_args(["train", "toy", "--numbers", "3"]).numbers == 3  # the task's own flag
    out = tmp_path / "toy-gru"
    assert main(["train", "toy", "--out", str(out), "--run-dir", str(tmp_path / "run")]) == 0
    assert json.loads((out / "config.json").read_text())["task"] == "toy"
    capsys.readouterr()
    assert main(["evaluate", "toy", "--model", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["mse"] >= 0
    assert main(["evaluate", "text", "--model", str(out)]) == 1  # a toy model is not a text model
    assert "holds a 'toy' model, not a 'text' one" in capsys.readouterr().err


@pytest.mark.slow
def test_pull_and_visitors_accept_a_registered_task(toy, tmp_path, monkeypatch, capsys):
    out = tmp_path / "toy-gru"
    assert main(["train", "toy", "--out", str(out), "--run-dir", str(tmp_path / "run")]) == 0
    with local_hub() as hub:
        hub_environment(monkeypatch, hub, tmp_path / "hf")
        assert main(["push", "toy", "--model", str(out), "--repo-id", "user/toy"]) == 0
        assert main(["pull", "user/toy", "--out", str(tmp_path / "pulled")]) == 0
        assert json.loads((tmp_path / "pulled" / "config.json").read_text())["task"] == "toy"

        visitors = VisitorModels(TASKS["toy"].limits, lambda directory: load_model(toy.ToySum, directory, "cpu"),
                                 folder=tmp_path / "visitors")
        model, commit = visitors.load("user/toy")
        assert commit == hub.head("user/toy") and model.config == toy.ToyConfig()
        config = json.loads((out / "config.json").read_text())
        (out / "config.json").write_text(json.dumps({**config, "hidden_size": 5000}))
        assert main(["push", "toy", "--model", str(out), "--repo-id", "user/huge-toy"]) == 0
        with pytest.raises(ModelLoadError, match="hidden_size is 5,000; it must be between 1 and 1,024"):
            visitors.load("user/huge-toy")

        monkeypatch.delitem(TASKS, "toy")  # without its registry entry, pull refuses the same repository
        capsys.readouterr()
        assert main(["pull", "user/toy", "--out", str(tmp_path / "again")]) == 1
        assert "holds a 'toy' model, not one of 'text', 'sentiment', 'forecast'" in capsys.readouterr().err


def test_the_hub_and_runtime_modules_stay_below_the_tasks():
    """hub_sync, visitor_hub, visitor_checks, model_sources and runtime are handed task names and limits: importing
    them loads no task package, no tab and not the registry (so the registry can import the tasks without a cycle)."""
    code = ("import sys; import rnn_demo.hub_sync, rnn_demo.visitor_hub, rnn_demo.visitor_checks, "
            "rnn_demo.model_sources, rnn_demo.runtime; print(' '.join(sorted(sys.modules)))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    above = [name for name in loaded if name.split(".")[:2] in (["rnn_demo", "tasks"], ["rnn_demo", "ui"],
                                                                 ["rnn_demo", "text"], ["rnn_demo", "sentiment"],
                                                                 ["rnn_demo", "forecast"])]
    assert "rnn_demo.visitor_hub" in loaded and above == []


def _numbers_csv(path, rows: int = 40):
    lines = [" ".join(str((row * 7 + i) % 5 - 2) for i in range(6)) for row in range(rows)]
    path.write_text("numbers\n" + "\n".join(lines) + "\n")
    return path


@pytest.mark.slow
def test_a_registered_task_trains_in_the_train_tab(toy, tmp_path):
    """The Train tab offers the toy (its title, its column's box, its size presets), reads its upload with the toy's
    reader and trains it in the job slot's worker process (which reads the registry entry from the environment); the
    model gets its card and goes to the toy's tab for the session."""
    import gradio as gr

    from rnn_demo.jobs import Finished, JobSlot
    from rnn_demo.ui import train_tab
    from rnn_demo.visitor_training import serve as training

    with gr.Blocks() as page:
        train_tab.build()
    radios = {block.label: block for block in page.blocks.values() if isinstance(block, gr.Radio)}
    assert ("Toy sums", "toy") in radios["Task"].choices and ("wee", "wee") in radios["Size"].choices
    assert "Numbers column" in {block.label for block in page.blocks.values() if isinstance(block, gr.Textbox)}
    columns = {"numbers": None}
    source = training.source_of("toy", str(_numbers_csv(tmp_path / "sums.csv")), None, None, None, columns, tmp_path)
    prepared = training.check_data("toy", source)
    assert prepared.summary == {"rows": 40} and training.preview_frame(prepared).columns.tolist() == ["numbers"]
    with pytest.raises(ValueError, match="no size 'small': choose one of tiny, wee"):
        training.check_settings("toy", "gru", "small", 10)
    slot, folder = JobSlot(), tmp_path / "run"
    try:
        updates = list(training.train_in_slot("visitor", "toy", source,
                                              training.check_settings("toy", "gru", "tiny", 5), folder, slot=slot))
    finally:
        slot.close()
    progress = [update for update in updates if isinstance(update, dict)]
    assert progress and progress[0]["metric"] == "RMSE" and updates[-1] in (Finished("done"), Finished("time limit"))
    model = training.trained_model(folder)
    assert model is not None and "a summing toy" in training.card_text(model)
    assert json.loads((model / "config.json").read_text())["task"] == "toy"
    loaded = training.use_in_tab("toy", model)
    assert TASKS["toy"].visitor_models().get(*loaded).config == toy.ToyConfig()


@pytest.mark.slow
def test_a_registered_task_gets_cards_datasets_pushes_and_benches(toy, tmp_path, monkeypatch, capsys):
    """`cards` writes the toy's Use section into its card, `push-dataset` sends its dataset to the repository its
    plug-in names, `push` its model, and `bench` runs its benchmark: no shared module knows the toy."""
    models = tmp_path / "models"
    assert main(["train", "toy", "--out", str(models / "toy-gru"), "--run-dir", str(tmp_path / "run")]) == 0
    card = models / "toy-gru" / "README.md"
    card.write_text(card.read_text().split("## Use")[0])  # as an older card without the section
    assert main(["cards", "--models", str(models)]) == 0
    text = card.read_text()
    assert "TOY-PACKAGE" in text and "TOY-PLAIN: rnn-demo-toy-gru from rnn-demo/rnn-demo-toy-gru" in text
    assert "datasets:\n- rnn-demo/rnn-demo-toy-sums" in text
    with local_hub() as hub:
        hub_environment(monkeypatch, hub, tmp_path / "hf")
        capsys.readouterr()
        assert main(["push-dataset", "toy"]) == 0
        assert capsys.readouterr().out.strip() == f"{hub.endpoint}/datasets/rnn-demo/rnn-demo-toy-sums"
        readme = hub.files("rnn-demo/rnn-demo-toy-sums", repo_type="dataset")["README.md"].decode()
        assert "pretty_name: toy sums" in readme and "https://example.org/toy" in readme
        assert main(["push", "toy", "--model", str(models / "toy-gru")]) == 0  # a bundled name: its default repo
        assert "README.md" in hub.files("rnn-demo/rnn-demo-toy-gru")
    capsys.readouterr()
    assert main(["bench", "toy-sums", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["sums_per_s"] > 0 and figures["python_sums_per_s"] > 0
