"""The Gradient lab tab: a visitor trains small recurrent networks live on problems that need a long memory and
watches the gradients, one run or two side by side. Runs go through the app's one job slot (rnn_demo/jobs.py)."""
from __future__ import annotations

import time
from dataclasses import asdict
from pathlib import Path

import gradio as gr

from ..clients import client_address
from ..jobs import SLOT, Finished, Waiting
from ..lab import serve as lab
from ..lab.net import CELL_NAMES
from ..lab.presets import PRESETS, preset
from ..lab.problems import PROBLEMS
from ..lab.run import BOUNDS, OPTIMIZERS, LabSettings, LabStep
from ..runtime import lane
from .common import first_visit, job_owner, named_for_refusals, progress_line, shows_errors, stop_job

INTRO = ("### Gradient lab\nTrain a small recurrent network here, live, on a problem whose answer lies far back: "
         "**remember the first symbol** (one of 4 symbols, then T distractors, then the question) or **the adding "
         "problem** (T numbers, two of them marked: give their sum). The plot below the training curves is the "
         "lesson: the gradient of the loss with respect to the state at each time step (h, and the LSTM's cell "
         "state c). Before training (dotted), where it falls to nothing towards the start, the network cannot learn "
         "from that far back: the vanishing gradient; after training it also shows what the network learned to "
         "read. A spectral radius above 1 makes a vanilla RNN's gradients explode instead; clipping caps the step, "
         "but not the forward pass, where a ReLU network's states can blow up first. One run at a time on this "
         "Space: others wait in line (your place is "
         f"shown); at most {lab.LAB_SECONDS:g} s of training per run.")
LAB_LANE = lane("lab", 8)  # handlers that mostly wait: for the slot (their place in line shown) or for its items
SWEEP_PICTURE = Path(__file__).resolve().parent.parent.parent / "docs" / "lab_sweep.png"
SWEEP_TEXT = ("Each cell trained on *remember the first symbol* for 300 steps of Adam (learning rate 0.003, 32 units, 32 "
              "sequences a step, seed 0; the GRU's update gate and the LSTM's forget gate opened at the start, bias 3), "
              "at each T: the accuracy over the last 20 steps. Made by `python -m rnn_demo lab sweep`.")
UPDATE_SECONDS = 0.4  # at most this often the plots are sent while a run trains


def _settings_widgets(name: str, defaults: LabSettings) -> dict[str, gr.components.Component]:
    """One run's settings, in lab.FIELDS order."""
    w: dict[str, gr.components.Component] = {}
    with gr.Column():
        gr.Markdown(f"**Run {name}**")
        w["problem"] = gr.Radio([(text, key) for key, text in PROBLEMS.items()], value=defaults.problem, label="Problem")
        w["length"] = gr.Slider(*BOUNDS["length"], value=defaults.length, step=1, label="T: how far back the answer is")
        w["cell"] = gr.Radio([(text, key) for key, text in CELL_NAMES.items()], value=defaults.cell, label="Cell")
        w["hidden"] = gr.Slider(*BOUNDS["hidden"], value=defaults.hidden, step=1, label="Hidden units")
        with gr.Row():
            w["scale_on"] = gr.Checkbox(value=defaults.scale is not None, label="Set the recurrent weights' spectral radius")
            w["scale"] = gr.Slider(*BOUNDS["scale"], value=defaults.scale or 1.0, step=0.05, label="Spectral radius")
        with gr.Row():
            w["lr"] = gr.Number(value=defaults.lr, minimum=BOUNDS["lr"][0], maximum=BOUNDS["lr"][1], label="Learning rate")
            w["optimizer"] = gr.Radio(list(OPTIMIZERS), value=defaults.optimizer, label="Optimizer")
        with gr.Row():
            w["clip_on"] = gr.Checkbox(value=defaults.clip is not None, label="Clip the gradient norm")
            w["clip"] = gr.Number(value=defaults.clip or 1.0, minimum=BOUNDS["clip"][0], maximum=BOUNDS["clip"][1],
                                  label="Clipping threshold")
        with gr.Row():
            w["steps"] = gr.Slider(*BOUNDS["steps"], value=defaults.steps, step=1, label="Training steps")
            w["seed"] = gr.Number(value=defaults.seed, precision=0, minimum=0, label="Seed")
        with gr.Row():
            w["bias_on"] = gr.Checkbox(value=defaults.keep_bias is not None,
                                       label="Open the keep gate at the start (LSTM forget, GRU update)")
            w["keep_bias"] = gr.Slider(*BOUNDS["keep_bias"], value=defaults.keep_bias or 3.0, step=0.5,
                                       label="Its bias")
    assert tuple(w) == lab.FIELDS, "the widgets must be made in FIELDS order"
    named_for_refusals(w, f"Run {name}")
    return w


@shows_errors
def run_lab(request: gr.Request, progress: gr.Progress = gr.Progress(), *values):
    """Stream (status, training plot, gradient plot) while run A (and B if asked) trains in the job slot, with a
    progress bar of the steps taken. `values`: run A's settings (lab.FIELDS order), whether to run B, run B's.
    (gradio hands `request` and `progress` in first.)"""
    count = len(lab.FIELDS)
    runs = [lab.from_widgets(list(values[:count]))] + ([lab.from_widgets(list(values[count + 1:]))] if values[count]
                                                       else [])
    if len(runs) == 2 and runs[0].problem != runs[1].problem:
        raise ValueError("compare two runs on the same problem: choose the same one for A and B")
    history: list[list] = [[] for _ in runs]
    sent = 0.0
    for update in SLOT.run(job_owner(request, "lab"), lab.JOB, {"runs": [asdict(r) for r in runs]},
                           lab.LAB_SECONDS * len(runs), client_address(request)):
        if isinstance(update, Waiting):
            yield f"Waiting for the lab: {update.position} run(s) ahead of yours.", gr.skip(), gr.skip()
        elif isinstance(update, Finished):
            yield _finished(update, runs, history), *_plots(runs, history)
        else:
            index, measured = update
            history[index].append(LabStep(**measured))
            if time.monotonic() - sent > UPDATE_SECONDS:
                sent = time.monotonic()
                done = sum(len(steps) for steps in history) / sum(run.steps for run in runs)
                progress(done, desc=f"step {len(history[0])} of {runs[0].steps}")
                yield progress_line(done, f"{done:.0%} of the steps") + lab.status(runs, history), *_plots(runs,
                                                                                                            history)


def _plots(runs: list[LabSettings], history: list[list]) -> tuple:
    return lab.training_figure(runs, history), lab.profile_figure(runs, history)


def _finished(update: Finished, runs: list[LabSettings], history: list[list]) -> str:
    if update.reason == "failed":
        raise ValueError(update.message)
    ending = {"done": "Finished.", "stopped": "Stopped.", "time limit": f"Stopped at the time limit: {update.message}."}
    return f"{ending[update.reason]}\n\n{lab.status(runs, history)}"


def stop_lab(request: gr.Request) -> object:
    said = stop_job(job_owner(request, "lab"))
    return "Nothing is running." if said is None else said


def load_and_say(name: str) -> list:
    """load_preset's values, and a status saying the preset is loaded and waits for Train."""
    from ..display import md_text

    return [*load_preset(name), f"Loaded the preset “{md_text(name)}”: press **Train** to run it."]


def load_preset(name: str) -> list:
    """Both runs' widget values (lab.FIELDS order, twice) and the compare box, from a preset."""
    first, second = preset(name)
    return [*lab.to_widgets(first), second is not None, *lab.to_widgets(second or first)]


EXAMPLE_LOOK = ("Look at the plot below the training curves: each curve is how much gradient reaches each time "
                "step, at the first training step (dotted) and the latest (solid). At the first step the gradient "
                "grows as it goes back through time (the dotted curves climb to the left): it explodes. Unclipped, "
                "A takes that whole step, which drives every unit to ±1, where no gradient reaches back any more "
                "(its solid curve falls away to the left) and it stays at chance; B, clipped, takes the same "
                "gradients capped, and learns.")


def example_run() -> list:
    """The first visit's run: the first preset's two runs, finished (trained here once, on the first page load), its
    widgets set, and a line on what to look at."""
    name = next(iter(PRESETS))
    runs = [settings for settings in preset(name) if settings is not None]
    history: list[list] = [[] for _ in runs]
    for index, measured in lab.lab_job([asdict(run) for run in runs]):
        history[index].append(LabStep(**measured))
    status = f"An example, the preset \"{name}\", run to its end: {EXAMPLE_LOOK}\n\n{lab.status(runs, history)}"
    return [name, *load_preset(name), status, *_plots(runs, history)]


def build() -> None:
    gr.Markdown(INTRO)
    with gr.Row():
        chosen = gr.Dropdown(list(PRESETS), value=None, label="Presets: the classic demonstrations")
        load = gr.Button("Load the preset", size="sm")
    with gr.Row():
        first = _settings_widgets("A", LabSettings())
        with gr.Column():
            compare = gr.Checkbox(value=False, label="Run B beside A, on the same data (where T is the same)")
            second = _settings_widgets("B", LabSettings(cell="rnn-tanh"))
    with gr.Row():
        start = gr.Button("Train", variant="primary")
        stop = gr.Button("Stop")
    status = gr.Markdown()
    with gr.Row():
        training = gr.Plot(label="Training")
    profile = gr.Plot(label="Gradient reaching each time step")
    _sweep_picture()
    inputs = [*first.values(), compare, *second.values()]
    # answered at once, not in the queue: a Train pressed while the load waited in line would train the old settings
    load.click(shows_errors(load_preset), chosen, inputs, api_name="lab_preset", queue=False)
    # choosing a preset loads it too (the button alone did, and the status still told the example's run)
    chosen.input(shows_errors(load_and_say), chosen, [*inputs, status], api_name="lab_preset_chosen",
                 api_visibility="private", queue=False)
    start.click(run_lab, inputs, [status, training, profile], api_name="lab_run", **LAB_LANE)
    stop.click(stop_lab, None, status, api_name="lab_stop", api_visibility="private", queue=False)  # API: cancel the job
    first_visit(example_run, [chosen, *inputs, status, training, profile], "lab")
    root = gr.context.Context.root_block
    if root is not None:  # the visitor leaves: their run stops and frees the slot
        root.unload(_visitor_left)


def _sweep_picture() -> None:
    """The summary picture, as `python -m rnn_demo lab sweep` drew it (if the Space has it)."""
    if SWEEP_PICTURE.is_file():
        with gr.Accordion("The summary: each cell over T, one budget", open=False):
            gr.Image(str(SWEEP_PICTURE), show_label=False, interactive=False,  # its words for who cannot see it
                     alt_text="Accuracy against T, one curve per cell: " + SWEEP_TEXT)
            gr.Markdown(SWEEP_TEXT)


def _visitor_left(request: gr.Request) -> None:
    SLOT.stop(job_owner(request, "lab"))
