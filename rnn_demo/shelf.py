"""A task's shelf of served models: its bundled models (or the Hub repositories the Space names, model_sources.py),
each loaded once per process and shared by every user, beside the models visitors load from the Hub
(visitor_hub.py). Each tab declares one shelf with its loader; it knows no task itself.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Generic, TypeVar

from . import model_sources
from .visitor_checks import ConfigLimits
from .visitor_hub import VisitorModels

M = TypeVar("M")


class ModelShelf(Generic[M]):
    """The served models of `task`: `load(directory)` makes one ready to serve (a model, or whatever the tab
    serves, e.g. a model and its tokenizer) from a folder in the Hub layout, for the bundled models and for
    visitors' Hub models alike; `limits` bound what a visitor's repository may hold.

    `bundled(cell)` is cached (functools.lru_cache: one load per cell per process; `bundled.cache_clear()` forgets
    them); `visitors` holds the visitors' models, by (repository, commit)."""

    def __init__(self, task: str, load: Callable[[Path], M], limits: ConfigLimits) -> None:
        self.task, self.load = task, load
        self.visitors: VisitorModels = VisitorModels(limits, load)
        self.bundled = lru_cache(maxsize=None)(self._load_bundled)

    def cells(self) -> list[str]:
        """The cells with a bundled model (or a Hub model the Space names), in the backbone's order."""
        return model_sources.available_cells(self.task)

    def model_dir(self, cell: str) -> Path:
        """The directory of `cell`'s model: bundled, or the Hub repository the Space names."""
        return model_sources.model_dir(self.task, cell)

    def _load_bundled(self, cell: str) -> M:
        """The bundled model of `cell`, loaded once and shared by every user; a ValueError naming the cells that
        have one for any other."""
        cells = self.cells()
        if cell not in cells:
            raise ValueError(f"no bundled {self.task} model for {cell!r}: choose one of {', '.join(cells)}")
        return self.load(self.model_dir(cell))

    def for_cell(self, cell: str, loaded: tuple[str, str] | None = None) -> M:
        """The visitor's Hub model (repo id, commit) if they loaded one, else the bundled one of `cell`."""
        return self.visitors.get(*loaded) if loaded else self.bundled(cell)
