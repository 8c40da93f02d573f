"""Gradio, imported without rewriting its components' type stubs: on every import, each component class writes
its `.pyi` file anew in gradio's own folder (gradio/component_meta.py, `create_or_modify_pyi`), about 2.3 of the 5 s
an import takes on a 2-core AMD EPYC. The stubs serve type checkers only, so the tests' processes (their workers and
the apps they launch) skip it; the app as users run it is untouched."""
from __future__ import annotations

import importlib.abc
import importlib.util
import sys
from types import ModuleType

MODULE = "gradio.component_meta"


class _SkipStubs(importlib.abc.MetaPathFinder):
    """Finds gradio.component_meta as usual, then makes its stub writer do nothing before any component is made."""

    def find_spec(self, name: str, path: object, target: ModuleType | None = None):
        if name != MODULE:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        run_module = spec.loader.exec_module

        def exec_module(module: ModuleType) -> None:
            run_module(module)
            module.create_or_modify_pyi = lambda *args, **kwargs: None

        spec.loader.exec_module = exec_module
        return spec


def skip_component_stubs() -> None:
    """Install the finder (before gradio is imported; after, there is nothing left to skip)."""
    if MODULE not in sys.modules and not any(isinstance(f, _SkipStubs) for f in sys.meta_path):
        sys.meta_path.insert(0, _SkipStubs())


# run before `app.py` by the apps the tests launch (tests/appserver.py)
PREAMBLE = "from tests.quick_gradio import skip_component_stubs\nskip_component_stubs()"
