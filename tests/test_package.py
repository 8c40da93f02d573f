"""The installable package: pyproject.toml's pins are requirements.txt's, and an install works outside the checkout."""
from __future__ import annotations

import os
import re
import shutil
import site
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.conftest import ROOT


def pins(lines: list[str]) -> list[str]:
    """Requirement lines without comments, options (--extra-index-url) or blanks."""
    return [line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()
            and not line.lstrip().startswith("-")]


def test_the_package_asks_at_least_what_requirements_txt_pins_the_app_only_in_its_extra():
    """requirements.txt pins the Space's versions exactly; the package asks at least those (pins made any other torch
    or numpy a conflict for a user who only wants a model), and what only the app imports is its "app" extra."""
    from rnn_demo.__main__ import APP_PACKAGES

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pinned = [line.replace("==", ">=") for line in pins((ROOT / "requirements.txt").read_text().splitlines())]
    app = project["optional-dependencies"]["app"]
    assert sorted(project["dependencies"] + app) == sorted(pinned)
    assert {line.split(">=")[0] for line in app} == set(APP_PACKAGES) - {"gradio_client"}  # gradio brings its client
    assert project["scripts"] == {"rnn-demo": "rnn_demo.__main__:main"}


def test_requirements_txt_lets_pip_take_pypis_torch_and_requirements_cpu_txt_adds_the_cpu_index():
    """A GPU Space installs requirements.txt: PyPI's torch (the CUDA build on Linux x86_64), no other index;
    requirements-cpu.txt is the same pins with PyTorch's CPU index beside PyPI, for a small CPU machine."""
    runtime = (ROOT / "requirements.txt").read_text().splitlines()
    assert "torch==2.13.0" in pins(runtime)
    assert not [line for line in runtime if line.lstrip().startswith("-")]  # no index, no option, nothing forced
    cpu = (ROOT / "requirements-cpu.txt").read_text().splitlines()
    assert pins(cpu) == [] and [line for line in cpu if line.startswith("-")] == [
        "--extra-index-url https://download.pytorch.org/whl/cpu", "-r requirements.txt"]


def test_the_dev_tools_build_the_package():
    """`license = "MIT"` (PEP 639) needs setuptools 77 or later; requirements-dev.txt pins one, so the package
    builds without build isolation in any environment the README's test command set up."""
    pinned = [line for line in pins((ROOT / "requirements-dev.txt").read_text().splitlines())
              if line.startswith("setuptools==")]
    assert len(pinned) == 1 and int(pinned[0].split("==")[1].split(".")[0]) >= 77
    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]["requires"] == ["setuptools>=77"]


def environment_seeing(where: Path) -> Path:
    """A new virtual environment of its own, isolated from the base interpreter's packages, that sees this
    environment's site-packages (torch, gradio, setuptools...) through a .pth file, after its own."""
    venv = where / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    own = subprocess.run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                         capture_output=True, text=True, check=True, timeout=60).stdout.strip()
    (Path(own) / "outer-environment.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    return venv


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package installed from a copy of its sources, as `pip install .` installs it, into a fresh virtual
    environment that sees this one's dependencies (whether pytest runs in a venv or in the system Python)."""
    where = tmp_path_factory.mktemp("package")
    source = where / "source"
    shutil.copytree(ROOT / "rnn_demo", source / "rnn_demo", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", source)
    venv = environment_seeing(where)
    result = subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
                             "--no-deps", "--no-build-isolation", "--no-index", str(source)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return venv


def run_installed(venv: Path, *args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "RNN_DEMO_MODELS")}
    return subprocess.run([str(venv / "bin" / "rnn-demo"), *args], cwd=cwd, capture_output=True, text=True,
                          env={**environment, "HF_HUB_OFFLINE": "1", **env}, timeout=300)


@pytest.mark.slow
def test_the_installed_command_works_from_another_directory(installed, tmp_path, tiny_models_dir):
    helped = run_installed(installed, "--help", cwd=tmp_path)
    assert helped.returncode == 0 and helped.stdout.startswith("usage: rnn-demo") and "generate" in helped.stdout
    where = subprocess.run([str(installed / "bin" / "python"), "-c", "import rnn_demo; print(rnn_demo.__file__)"],
                           cwd=tmp_path, capture_output=True, text=True, env={"PATH": os.environ["PATH"]})
    assert "site-packages" in where.stdout and str(ROOT) not in where.stdout  # the installed copy, not the checkout
    written = run_installed(installed, "generate", "--prompt", "ROMEO:", "--max-new-chars", "30", "--seed", "1",
                            cwd=tmp_path, RNN_DEMO_MODELS=str(tiny_models_dir))
    assert written.returncode == 0, written.stderr[-2000:]
    assert written.stdout.startswith("ROMEO:") and len(written.stdout.rstrip("\n")) == len("ROMEO:") + 30


@pytest.mark.slow
def test_without_a_models_folder_the_installed_command_says_where_to_get_them(installed, tmp_path):
    result = run_installed(installed, "generate", "--max-new-chars", "5", cwd=tmp_path)
    assert result.returncode == 1
    assert re.search(r"cannot download \S+/rnn-demo-text-lstm from the Hub", result.stderr), result.stderr[-2000:]
    assert "set RNN_DEMO_MODELS to a folder that holds them" in result.stderr


IMPORTS_WITHOUT_THE_APP = """
import importlib.abc, sys
APP_ONLY = {"gradio", "gradio_client", "plotly", "authlib", "itsdangerous", "playwright"}

class NoApp(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in APP_ONLY:
            raise ModuleNotFoundError(f"{name} is the app's, not the model code's", name=name)  # as if not installed

sys.meta_path.insert(0, NoApp())
import rnn_demo.__main__, rnn_demo.text.serve, rnn_demo.sentiment.serve, rnn_demo.forecast.serve, tests.test_cuda
rnn_demo.__main__.build_parser().parse_args(["bench", "generate", "--device", "cuda"])
assert rnn_demo.__main__.main(["bench", "load", "--seconds", "1"]) == 1  # the app's command: says what to install
APP_ONLY.add("sklearn")  # a development tool: the TF-IDF baseline says what to install, before reading any data
assert rnn_demo.__main__.main(["bench", "sentiment-baseline"]) == 1
print("ok")
"""


@pytest.mark.slow  # over 2 s: out of the fast loop (tests/README.md)
def test_the_model_code_and_the_cuda_checks_import_without_the_app():
    """A GPU machine's image has no gradio (scripts/gpu-check): the models, their serving functions, the command line
    and the cuda tests import without it."""
    result = subprocess.run([sys.executable, "-c", IMPORTS_WITHOUT_THE_APP], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr[-2000:]
    assert 'install the package\'s app extra, pip install "rnn-demo[app] @ git+' in result.stderr
    assert "error: this benchmark needs scikit-learn, a development tool: pip install -r requirements-dev.txt" in \
        result.stderr
