"""The page and the model summaries name the device as torch reports it (rnn_demo/devices.py)."""
from __future__ import annotations

import torch

from rnn_demo.devices import device_name, page_note, pick_device, runs_on, training_device
from tests.conftest import tiny_model


def reported_here() -> str:
    """What torch and the kernel report for the device the app serves on here, read without rnn_demo.devices."""
    if torch.cuda.is_available():
        return f"{torch.cuda.get_device_name(0)} (CUDA {torch.version.cuda})"
    with open("/proc/cpuinfo") as info:
        model = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    return f"{model} ({torch.backends.cpu.get_cpu_capability()}, "


def test_the_cpu_is_named_by_model_and_the_vector_instructions_torch_uses():
    name = device_name("cpu")
    assert name.startswith("the CPU: ") and torch.backends.cpu.get_cpu_capability() in name
    if not torch.cuda.is_available():
        assert reported_here() in name


def test_the_page_names_where_the_served_models_run_and_where_training_runs():
    note = page_note()
    assert reported_here() in note
    assert pick_device() == training_device()  # the job slot trains where the app serves
    if pick_device().type == "cpu":  # a machine without a GPU (or a CPU-only torch)
        assert note.startswith("Every model here runs on the CPU: ")
        assert ("a build without CUDA" if torch.version.cuda is None else "torch sees no GPU") in note
    else:
        assert "served models run on the GPU: " in note and "and so does training in the app" in note


def test_zero_gpu_hardware_runs_the_app_on_the_cpu_and_says_why(monkeypatch):
    """ZeroGPU lends a GPU only inside `@spaces.GPU` calls, which the generation loop and the job worker are not:
    there the app serves and trains on the CPU, whatever torch reports, and the page says so."""
    monkeypatch.setenv("SPACES_ZERO_GPU", "true")
    assert pick_device() == training_device() == torch.device("cpu")
    assert pick_device("cuda") == torch.device("cuda")  # a device named on the command line is still taken
    assert page_note().startswith("Every model here runs on the CPU: ") and "ZeroGPU hardware" in page_note()


def test_a_model_summary_ends_with_the_device_that_holds_its_weights():
    assert runs_on(tiny_model()) == f"Runs on {device_name('cpu')}."
    assert runs_on(torch.device("cpu")) == runs_on(tiny_model())


def test_a_device_torch_has_no_name_for_is_still_said():
    assert device_name("meta") == "the meta device"
