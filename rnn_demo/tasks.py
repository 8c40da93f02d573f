"""The registry: the tasks and the app's tabs, declared once; the command line, the app and every shared part loop over
them here.

A new task is one package holding a `plugin.py` (its `PLUGIN`, the contract of plugin.py) and one line in
TASK_PACKAGES (or, for a package of your own beside this one, its name in the RNN_DEMO_TASKS environment variable:
the app, the command line and the app's worker processes all read it); a tab that is not a task is one line in
OTHER_TABS. This is the one module outside the task packages
that imports them. The modules below it (`hub_sync`, `visitor_hub`, `model_sources`, ...) never import it: they are
handed a task's name and limits.
"""
from __future__ import annotations

import argparse
import importlib
import os
from collections.abc import Callable

from .plugin import Tab, TaskPlugin
from .project import PROJECT, Project

Bench = Callable[[argparse.Namespace], dict]  # a `bench` command: the parsed options -> the measured figures

TASK_PACKAGES = (  # the tasks, in the order of their tabs
    "rnn_demo.text",
    "rnn_demo.sentiment",
    "rnn_demo.forecast",
)
MORE_TASKS = "RNN_DEMO_TASKS"  # more task packages, importable names separated by spaces: plug-ins of your own


def plugin_of(package: str) -> TaskPlugin:
    """The PLUGIN of the task package `package` (its `plugin.py`)."""
    return importlib.import_module(f"{package}.plugin").PLUGIN


TASKS: dict[str, TaskPlugin] = {plugin.name: plugin for plugin in map(
    plugin_of, (*TASK_PACKAGES, *os.environ.get(MORE_TASKS, "").split()))}

OTHER_TABS: list[Tab] = [  # the tabs that are not tasks, after the tasks' own
    Tab("Inside the network", "rnn_demo.ui.inside_tab", benches="rnn_demo.inside.bench", builds_on=("text",)),
    Tab("Gradient lab", "rnn_demo.ui.lab_tab", benches="rnn_demo.lab.bench", commands="rnn_demo.lab.cli"),
    Tab("Train your own", "rnn_demo.ui.train_tab",  # after the task tabs: it hands them the models it trains
        benches="rnn_demo.visitor_training.bench"),
]


def tabs() -> list[Tab]:
    """The app's tabs, left to right: each task's (a task added to TASKS gets its tab), then the others."""
    return [spec.tab for spec in TASKS.values()] + OTHER_TABS


def task_names() -> tuple[str, ...]:
    """The registered tasks' names, in the order they were declared."""
    return tuple(TASKS)


def trainable_tasks() -> dict[str, TaskPlugin]:
    """The tasks a visitor can train in the Train tab (those with a `visitor` part)."""
    return {name: spec for name, spec in TASKS.items() if spec.visitor is not None}


def dataset_repos(project: Project = PROJECT) -> dict[str, str]:
    """The protocol datasets' Hub ids under `project`'s account, by task."""
    return {name: project.dataset_repo(spec.dataset) for name, spec in TASKS.items()}


def add_tab_commands(sub: argparse._SubParsersAction) -> None:
    """The commands of the tasks and of the other tabs (each sets its handler as the parsed options' `run`)."""
    for spec in TASKS.values():
        spec.cli.add_commands(sub)
    for tab in OTHER_TABS:
        if tab.commands:
            importlib.import_module(tab.commands).add_commands(sub)


def all_benches() -> dict[str, Bench]:
    """Every `bench` command of the registry: each task's, then those of the other tabs."""
    return {**{name: run for spec in TASKS.values() for name, run in spec.cli.benches().items()},
            **{name: run for tab in OTHER_TABS if tab.benches
               for name, run in importlib.import_module(tab.benches).BENCHES.items()}}
