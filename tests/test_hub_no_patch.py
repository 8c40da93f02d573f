"""Visitors' Hub calls are bounded without patching the app's process (hub_deadline.py): no module of rnn_demo
imports a private module of huggingface_hub, and importing the visitor modules, or bounding a load, leaves
huggingface_hub's process-wide client as it was."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "rnn_demo"


def private_hub_imports(source: str) -> list[str]:
    """Each import in `source` (inside functions and `TYPE_CHECKING` included) of a huggingface_hub module, or a
    name from one, that starts with "_"."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        found += [name for name in modules if name.split(".")[0] == "huggingface_hub"
                  and any(part.startswith("_") for part in name.split(".")[1:])]
    return found


def test_the_check_sees_a_private_import():
    assert private_hub_imports("def f():\n    from huggingface_hub.utils._http import hf_request_event_hook\n") == [
        "huggingface_hub.utils._http", "huggingface_hub.utils._http.hf_request_event_hook"]
    assert private_hub_imports("import huggingface_hub._login as login") == ["huggingface_hub._login"]
    assert private_hub_imports("from huggingface_hub import _CACHED_NO_EXIST") == ["huggingface_hub._CACHED_NO_EXIST"]
    assert private_hub_imports("from huggingface_hub.utils import build_hf_headers\nimport huggingface_hub") == []


def test_no_module_imports_a_private_huggingface_hub_module():
    found = {str(path.relative_to(PACKAGE.parent)): names for path in sorted(PACKAGE.rglob("*.py"))
             if (names := private_hub_imports(path.read_text(encoding="utf-8")))}
    assert found == {}


@pytest.mark.slow  # a process of its own (importing torch): over a second
def test_importing_the_visitor_modules_and_a_bounded_load_leave_the_hub_client_alone():
    code = ("import time, huggingface_hub; before = huggingface_hub.get_session(); "
            "import rnn_demo.visitor_hub, rnn_demo.hub_deadline as d, rnn_demo.visitor_training.hub_data; "
            "client = d.bounded(time.monotonic() + 5).__enter__(); "
            "print(huggingface_hub.get_session() is before, client is not before, before.is_closed)")
    answer = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PACKAGE.parent)
    assert answer.stdout.split() == ["True", "True", "False"], answer.stderr[-2000:]
