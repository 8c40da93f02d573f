"""The import graph of rnn_demo/, read from the source (every import: at the top, inside functions, under
TYPE_CHECKING): the shared code never imports a task package (only the registry, `tasks.py`, does; and a tab that is
not a task, the tasks it declares it builds on), a task package imports no other task and nothing that loops over the
registry, and no module takes part in a cycle. (tests/test_hub_no_patch.py walks them for private modules of
huggingface_hub.)"""
from __future__ import annotations

import ast
from pathlib import Path

from rnn_demo.tasks import OTHER_TABS, TASKS

PACKAGE = Path(__file__).resolve().parents[1] / "rnn_demo"
REGISTRY = "rnn_demo.tasks"


def _module_names() -> dict[str, Path]:
    names = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return names


MODULES = _module_names()


def _run_at_start(statements: list[ast.stmt]) -> list[ast.Import | ast.ImportFrom]:
    """The imports among `statements` that run when the module is imported: not in a function, a class's method or an
    `if TYPE_CHECKING:` block."""
    found = []
    for statement in statements:
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            found.append(statement)
        elif isinstance(statement, ast.If) and not (isinstance(statement.test, ast.Name)
                                                    and statement.test.id == "TYPE_CHECKING"):
            found += _run_at_start(statement.body) + _run_at_start(statement.orelse)
        elif isinstance(statement, ast.Try):
            found += _run_at_start(statement.body + statement.orelse + statement.finalbody
                                   + [line for handler in statement.handlers for line in handler.body])
        elif isinstance(statement, ast.With):
            found += _run_at_start(statement.body)
    return found


def _imported(module: str, path: Path, at_start: bool = False) -> set[str]:
    """Every name `module` imports (with `at_start`, only the imports that run when it is imported), resolved: a module
    of rnn_demo where the name is one, else the name itself."""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = _run_at_start(tree.body) if at_start else [
        node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))]
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        else:
            base = ".".join([*package[:len(package) - node.level + 1], *([node.module] if node.module else [])]) \
                if node.level else node.module
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base)
    return found


GRAPH = {module: _imported(module, path) for module, path in MODULES.items()}
EDGES = {module: {name for name in names if name in MODULES} for module, names in GRAPH.items()}


def _task_of(module: str) -> str | None:
    return next((name for name in TASKS if module == f"rnn_demo.{name}" or module.startswith(f"rnn_demo.{name}.")),
                None)


def _builds_on(module: str) -> set[str]:
    """The tasks a module may import: those its tab declares (`Tab.builds_on`), for the tab's modules and packages."""
    allowed = set()
    for tab in OTHER_TABS:
        places = {place for place in (tab.module, tab.benches, tab.commands) if place}
        places |= {place.rsplit(".", 1)[0] for place in places if place.rsplit(".", 1)[0] != "rnn_demo.ui"}
        if any(module == place or module.startswith(place + ".") for place in places):
            allowed |= set(tab.builds_on)
    return allowed


def _reaching_the_registry() -> set[str]:
    """The modules that import the registry, directly or through others."""
    reaching, grown = {REGISTRY}, True
    while grown:
        more = {module for module, names in EDGES.items() if names & reaching} - reaching
        reaching |= more
        grown = bool(more)
    return reaching


def test_the_walk_sees_every_kind_of_import():
    assert "rnn_demo.tasks" in EDGES["rnn_demo.visitor_training.job"]  # a relative import at the top
    assert "rnn_demo.hub" in EDGES["rnn_demo.text.cli"]  # an import inside a function
    assert "rnn_demo.training" in EDGES["rnn_demo.plugin"]  # an import under TYPE_CHECKING
    assert "rnn_demo.text.serve" in EDGES["rnn_demo.text.tab"]  # `from . import serve`


def test_shared_code_imports_no_task_package():
    wrong = sorted(f"{module} imports {name}" for module, names in EDGES.items() if module != REGISTRY
                   and _task_of(module) is None for name in names
                   if (task := _task_of(name)) is not None and task not in _builds_on(module))
    assert wrong == []


def test_a_task_package_imports_no_other_task_and_nothing_above_it():
    above = _reaching_the_registry()
    wrong = sorted(f"{module} imports {name}" for module, names in EDGES.items() if (task := _task_of(module))
                   for name in names if _task_of(name) not in (None, task) or (name in above and _task_of(name) is None))
    assert wrong == []


def test_no_module_takes_part_in_a_cycle():
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(module: str) -> None:  # Tarjan's strongly connected components
        index[module] = low[module] = len(index)
        stack.append(module)
        for name in sorted(EDGES[module]):
            if name not in index:
                visit(name)
                low[module] = min(low[module], low[name])
            elif name in stack:
                low[module] = min(low[module], index[name])
        if low[module] == index[module]:
            component = []
            while True:
                name = stack.pop()
                component.append(name)
                if name == module:
                    break
            if len(component) > 1:  # (a module importing itself, as `python -m` runs it, is no cycle)
                cycles.append(sorted(component))

    for module in sorted(EDGES):
        if module not in index:
            visit(module)
    assert cycles == []


def test_the_registry_loads_each_task_by_its_package_name():
    source = MODULES[REGISTRY].read_text(encoding="utf-8")
    for name in TASKS:
        assert f'"rnn_demo.{name}",' in source  # one line each in TASK_PACKAGES


def _imported_at_start(module: str) -> set[str]:
    """What `module` (its packages' `__init__` first) and the modules of rnn_demo it imports at their top import there."""
    parts = module.split(".")
    seen, todo = set(), [".".join(parts[:end]) for end in range(1, len(parts) + 1)]
    while todo:
        name = todo.pop()
        seen.add(name)
        for found in _imported(name, MODULES[name], at_start=True) - seen:
            seen.add(found)
            if found in MODULES:
                todo.append(found)
    return seen


def test_the_hub_dataset_reader_starts_without_torch_or_the_registry():
    """The process that reads a visitor's Hub dataset (`python -m rnn_demo.visitor_training.hub_data`) is told the
    task's file and columns: starting it costs the `datasets` import, not torch's and every task's (about 1 s)."""
    started = _imported_at_start("rnn_demo.visitor_training.hub_data")
    assert {"rnn_demo.hub_deadline", "rnn_demo.uploads"} <= started  # the walk follows the reader's own imports
    assert not {name for name in started if name == "torch" or name.startswith("torch.")}
    assert REGISTRY not in started and "rnn_demo.visitor_training.job" not in started
    assert "torch" in _imported_at_start("rnn_demo.visitor_training.job")  # and sees torch where it is imported
