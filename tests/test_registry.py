"""The tasks are declared once (rnn_demo/tasks.py): a fourth task, a tiny package written by the test, joins the
command line, `pull` and the visitors' Hub loads through one registry entry, with no other file edited."""
import importlib
import json
import subprocess
import sys
import textwrap

import pytest

from rnn_demo.__main__ import build_parser, main
from rnn_demo.hub import ModelLoadError, load_model
from rnn_demo.tasks import TABS, TASKS, Tab, TaskSpec, all_benches
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

from rnn_demo.training import TaskCLI, fit

from .model import ToyConfig, ToySum, numbers


class SumTask:
    def batch(self, step):
        return numbers(step)

    def loss(self, model, batch, carry):
        return model(batch[0], targets=batch[1])[2], None

    def batch_units(self, batch):
        return len(batch[1])

    @torch.inference_mode()
    def selection_loss(self, model):
        x, sums = numbers(-1)
        return float(model(x, targets=sums)[2])


class ToyCLI(TaskCLI):
    train_help = "a toy: the sum of six numbers"
    train_defaults = {"cell": "gru", "hidden_size": 4, "layers": 1, "dropout": 0.0, "batch_size": 16, "lr": 1e-2,
                      "max_steps": 4, "eval_every": 2}
    dataset_card = {"license": "mit", "pretty_name": "toy", "text": "numbers drawn from a seed"}

    def add_train_arguments(self, parser):
        parser.add_argument("--numbers", type=int, default=6, help="numbers per sequence")

    def prepare(self):
        return "generated from a seed"

    def train(self, args, settings, out, run_dir, replicas):
        model = ToySum(ToyConfig(cell=args.cell, hidden_size=args.hidden_size, num_layers=args.layers))

        def save_best(model, state):
            model.save_pretrained(out)
            (out / "README.md").write_text("---\\nlibrary_name: rnn-demo\\n---\\n# toy\\n")
        return fit(model, SumTask(), settings, run_dir, save_best, resume=not args.no_resume, until=args.stop_at,
                   replicas=replicas)

    def evaluate(self, args):
        from rnn_demo.hub import load_model

        model = load_model(ToySum, args.model, args.device)
        return {"mse": SumTask().selection_loss(model)}
'''


@pytest.fixture
def toy(tmp_path, monkeypatch):
    """The toy package on the path and its one registry entry; both undone after the test."""
    package = tmp_path / "toy_packages" / "rnn_demo_toy"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "model.py").write_text(textwrap.dedent(TOY_MODEL))
    (package / "cli.py").write_text(textwrap.dedent(TOY_CLI))
    monkeypatch.syspath_prepend(str(package.parent))
    cli, model = importlib.import_module("rnn_demo_toy.cli"), importlib.import_module("rnn_demo_toy.model")
    spec = TaskSpec("toy", cli.ToyCLI(), Tab("Toy sums", "rnn_demo_toy.tab"), "mse", False, model.VISITOR_LIMITS,
                    "toy-gru")
    monkeypatch.setitem(TASKS, "toy", spec)
    yield model
    for name in [name for name in sys.modules if name.startswith("rnn_demo_toy")]:
        del sys.modules[name]


def _subcommands(parser, command):
    action = next(a for a in parser._subparsers._group_actions[0].choices[command]._actions if a.dest == "task")
    return list(action.choices)


def test_the_registry_declares_the_three_tasks_and_their_tabs():
    assert list(TASKS) == ["text", "sentiment", "forecast"]
    assert [tab.title for tab in TABS] == ["Text generation", "Sentiment", "Forecasting", "Inside the network",
                                           "Gradient lab", "Train your own"]
    assert {"inside", "lab"} <= set(all_benches())  # a tab that is not a task brings its benches
    assert build_parser().parse_args(["lab", "sweep", "--lengths", "10"]).lengths == [10]  # and its commands
    for name, spec in TASKS.items():
        assert spec.limits.task == name and spec.tab in TABS
    with pytest.raises(ValueError, match="task 'text' is handed the limits of 'sentiment' models"):
        TaskSpec("text", TASKS["text"].cli, TASKS["text"].tab, "x", False, TASKS["sentiment"].limits, "text-lstm")


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
