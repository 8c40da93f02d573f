"""The tasks and the app's tabs, declared once: the command line, the app and the tab modules read them here.

A new task is one package (a config with its `VISITOR_LIMITS`, a model, a `TaskCLI`, a `serve.py`), one line
in TASKS and one tab module in `rnn_demo/ui/`; a tab that is not a task is one line in TABS. The modules below
the top level (`hub_sync`, `visitor_hub`, `model_sources`) never import this one: they are handed a task's
name and limits.
"""
from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable
from dataclasses import dataclass

from .forecast.cli import ForecastCLI
from .forecast.model import VISITOR_LIMITS as FORECAST_LIMITS
from .sentiment.cli import SentimentCLI
from .sentiment.model import VISITOR_LIMITS as SENTIMENT_LIMITS
from .text.cli import TextCLI
from .text.model import VISITOR_LIMITS as TEXT_LIMITS
from .training import TaskCLI
from .visitor_checks import ConfigLimits


Bench = Callable[[argparse.Namespace], dict]  # a `bench` command: the parsed options -> the measured figures


@dataclass(frozen=True)
class Tab:
    """One tab of the app: its title, the module of `rnn_demo/ui/` whose `build()` fills it (imported by the
    app only, so the command line never loads gradio), and for a tab that is not a task, the module whose
    `BENCHES` (name -> Bench) it adds to `bench` (imported when the command line lists them; a task's benches
    come from its TaskCLI)."""

    title: str
    module: str
    benches: str | None = None
    commands: str | None = None  # a module whose add_commands(subparsers) adds the tab's own commands


@dataclass(frozen=True)
class TaskSpec:
    """One task: its name (in config.json, on the command line, in model directories `<name>-<cell>`), its part
    of the command line, its tab, the model-card metric that picks the tab's starting cell, the bounds of a
    visitor's model, and the model `evaluate` scores by default."""

    name: str
    cli: TaskCLI
    tab: Tab
    metric: str  # a metric type in the model card's model-index
    higher_is_better: bool
    limits: ConfigLimits
    default_model: str  # a directory under models/

    def __post_init__(self) -> None:
        if self.limits.task != self.name:
            raise ValueError(f"task {self.name!r} is handed the limits of {self.limits.task!r} models")


TASKS: dict[str, TaskSpec] = {spec.name: spec for spec in (
    TaskSpec("text", TextCLI(), Tab("Text generation", "rnn_demo.ui.text_tab"), "nats_per_char", False,
             TEXT_LIMITS, "text-lstm"),
    TaskSpec("sentiment", SentimentCLI(), Tab("Sentiment", "rnn_demo.ui.sentiment_tab"), "accuracy", True,
             SENTIMENT_LIMITS, "sentiment-gru"),
    TaskSpec("forecast", ForecastCLI(), Tab("Forecasting", "rnn_demo.ui.forecast_tab"), "mase", False,
             FORECAST_LIMITS, "forecast-gru"),
)}

# The app's tabs, left to right: each task's, then those that are not tasks (one line each).
TABS: list[Tab] = [
    TASKS["text"].tab,
    TASKS["sentiment"].tab,
    TASKS["forecast"].tab,
    Tab("Inside the network", "rnn_demo.ui.inside_tab", benches="rnn_demo.inside.bench"),
    Tab("Gradient lab", "rnn_demo.ui.lab_tab", benches="rnn_demo.lab.bench", commands="rnn_demo.lab.sweep"),
    Tab("Train your own", "rnn_demo.ui.train_tab"),  # after the task tabs: it hands them the models it trains
]


def task_names() -> tuple[str, ...]:
    """The registered tasks' names, in the order they were declared."""
    return tuple(TASKS)


def add_tab_commands(sub: argparse._SubParsersAction) -> None:
    """The commands of the tabs that are not tasks (each sets its handler as the parsed options' `run`)."""
    for tab in TABS:
        if tab.commands:
            importlib.import_module(tab.commands).add_commands(sub)


def all_benches() -> dict[str, Bench]:
    """Every `bench` command of the registry: each task's, then those of the other tabs."""
    return {**{name: run for spec in TASKS.values() for name, run in spec.cli.benches().items()},
            **{name: run for tab in TABS if tab.benches
               for name, run in importlib.import_module(tab.benches).BENCHES.items()}}
