"""The plug-in contract: what a task package gives every shared part of the project.

A task is one package whose `plugin.py` holds a `TaskPlugin` named PLUGIN, and one line in `tasks.TASK_PACKAGES`.
The shared code reads a task only through this contract, looping over the registry (`tasks.TASKS`): the command
line (`train`, `evaluate`, `prepare`, `push`, `push-dataset`, `pull`, `bench`, the task's own commands), the cards'
"Use" section, `publish`, the app's tabs, the Train tab (`VisitorTraining`), the load benchmark and the tests' tiny
models. It never imports a task package nor names a task (tests/test_imports.py walks the imports to keep it so).

This module is at the bottom of the import graph: it imports no task package and nothing that loops over the
registry, so a task package may import it.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .training import TaskCLI
    from .visitor_checks import ConfigLimits
    from .visitor_hub import VisitorModels
    from .visitor_training.data import Built, Prepared


@dataclass(frozen=True)
class Tab:
    """One tab of the app: its title, the module whose `build()` fills it (imported by the app only, so the command
    line never loads gradio); for a tab that is not a task, the module whose `BENCHES` (name -> bench) it adds to
    `bench`, the module whose `add_commands(subparsers)` adds its commands, and the tasks whose models it shows
    (`builds_on`: the only task packages it may import)."""

    title: str
    module: str
    benches: str | None = None
    commands: str | None = None
    builds_on: tuple[str, ...] = ()


@dataclass(frozen=True)
class Use:
    """The "## Use" section of the task's model cards: REPO stands for the model's Hub id, FOLDER for a local
    folder name."""

    snippet: str  # plain PyTorch: the weights read with safetensors, no rnn_demo needed
    package: str  # the same with the package (Python)
    command: str  # ... and on the command line
    command_does: str = "run it"  # what the command does, as "or <this> on the command line" says it
    extras: str = ""  # what the plain snippet needs besides torch, safetensors and huggingface_hub (", `tokenizers`")
    limitations: str = ""  # the bundled models' "## Limitations" section: what they learned from, what they are not
    cite: str = ""  # BibTeX of the protocol data's source, where it asks to be cited (the card's "## Citation")
    # what the task's own config.json fields hold (usage.SHARED_FIELDS has those of every task): the card's table
    config_fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ColumnRole:
    """A column a task reads from a visitor's table: its key in the `columns` dict (and its header in the file the
    Train tab writes from a Hub dataset), the Train tab's box for it, and the names looked for when none is given."""

    name: str
    label: str
    guesses: tuple[str, ...]
    optional: bool = False  # a column the task reads where there is one (a temperature), else goes without

    @property
    def placeholder(self) -> str:
        return ", ".join(self.guesses[:2]) + ", …"


@dataclass(frozen=True)
class VisitorTraining:
    """What the Train tab needs of a task: how a visitor's file is read and checked (`read`: path, columns ->
    Prepared; ValueError saying what to change), how a model of a size preset is built on it (`build`: prepared,
    cell, size, device -> Built), and what the page and the card say."""

    upload: str  # what a visitor uploads, for the tab's introduction ("a text file (...)")
    what: str  # what the trained model is, for its card ("a character-level language model")
    task_type: str  # the card's pipeline_tag and model-index task
    metric: str  # the held-out metric's name as shown ("bits per character")
    metric_type: str  # ... and its model-index type ("bits_per_char")
    columns: tuple[ColumnRole, ...]  # the columns read from a table; none for a plain text file
    preview_headers: tuple[str, ...]  # the preview's columns
    sizes: dict[str, dict[str, Any]]  # preset name -> the config's sizes; presets train in minutes on one thread
    read: Callable[[str | Path, dict[str, str | None]], Prepared]
    build: Callable[[Prepared, str, str, str], Built]
    hub_file: str  # the file a Hub dataset's columns are written to: "*.txt" (one column, a line per row) or "*.csv"
    max_rows: int | None = None  # the most rows `read` takes from a table: a Hub dataset's are counted as written
    sample: str | None = None  # a file of the checkout's samples/ that trains it (samples.py), offered in the tab
    # `bench train`'s file: written from the protocol data into the folder given, its path returned (None: not benched)
    bench_file: Callable[[Path], Path] | None = None
    # what a model that learned nothing of the inputs scores on the held-out part, and what it is ("always answering
    # 'good'"), in the metric's terms: a trained model no better is told so (None: no such baseline)
    baseline: Callable[[Prepared], tuple[float, str]] | None = None


@dataclass(frozen=True)
class TinyModel:
    """The tests' tiny models of a task: `train` run with `args` for each of `cells` (folders `<task>-<cell>`), in a
    folder where `files` (name -> text) are written first; and for each of `variants` (name -> more arguments) the
    same again with those arguments added (folders `<task>-<variant>-<cell>`)."""

    cells: tuple[str, ...]
    args: tuple[str, ...]
    files: dict[str, str] = field(default_factory=dict)
    variants: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class TaskPlugin:
    """One task: its name (in config.json, on the command line, in model folders `<name>-<cell>`), its part of the
    command line, its tab, the model-card metric that picks the tab's starting cell, the bounds of a visitor's model,
    the model `evaluate` scores by default, the protocol dataset's repository name under the project's account, the
    cards' Use section, where the tab keeps the models visitors bring, the Train tab's part, the tests' tiny models,
    and one request of its tab for `bench load` (api name, arguments)."""

    name: str
    cli: TaskCLI
    tab: Tab
    metric: str  # a metric type in the model card's model-index
    higher_is_better: bool
    limits: ConfigLimits
    default_model: str  # a folder under models/
    dataset: str  # e.g. "rnn-demo-shakespeare": the Hub dataset is <owner>/<dataset>
    use: Use
    served: str  # "module:name" of the VisitorModels holding the models visitors bring to the tab (Hub, Train tab)
    visitor: VisitorTraining | None = None
    variants: tuple[str, ...] = ()  # other kinds of models its tab serves: folders <name>-<variant>-<cell>
    tiny: TinyModel | None = None
    load_call: tuple[str, tuple] | None = None

    def __post_init__(self) -> None:
        if self.limits.task != self.name:
            raise ValueError(f"task {self.name!r} is handed the limits of {self.limits.task!r} models")

    @property
    def model_kinds(self) -> tuple[str, ...]:
        """The kinds of bundled models the task serves (model_sources.py): its own, then its variants'."""
        return (self.name, *(f"{self.name}-{variant}" for variant in self.variants))

    def visitor_models(self) -> VisitorModels:
        """The tab's models that visitors bring (imported on first use: the tab's serving code is the app's)."""
        module, name = self.served.split(":")
        return getattr(importlib.import_module(module), name)
