"""The Train tab: a visitor trains a small model of any task on their own data (an upload or a Hub dataset), watches
it learn, then uses it in the task's tab for their session, downloads it or pushes it to the Hub with their own
sign-in. Trainings share the app's one job slot with lab runs and forecast adaptations (rnn_demo/jobs.py); the plain
functions are in rnn_demo/visitor_training/serve.py."""
from __future__ import annotations

import itertools
from pathlib import Path

import gradio as gr
from gradio.utils import get_space

from ..backbone import CELL_LABELS
from ..jobs import PER_CLIENT_JOBS, SLOT, Finished, Waiting
from ..clients import client_address
from ..runtime import lane
from ..samples import sample
from ..visitor_training import serve as training
from ..tasks import trainable_tasks
from ..visitor_training.data import Prepared
from ..visitor_training.job import (DEFAULT_LR, DEFAULT_SECONDS, LR_RANGE, MAX_SECONDS, MIN_SECONDS, column_roles,
                                   size_names)
from .common import SESSION_MODELS, cell_choices, first_visit, job_owner, name_the_values, shows_errors

SIZE_TEXT = {"tiny": "tiny (fastest)", "small": "small (learns more, slower)"}  # other presets: shown by name
# handlers that mostly wait: for the slot or for its items; one client's share is the slot's (jobs.PER_CLIENT_JOBS)
TRAIN_LANE = lane("train", 8, per_client=PER_CLIENT_JOBS)
NOT_ON_A_SPACE = ("Signing in with Hugging Face works when this app runs on a Space. Here, download the model and "
                  "push it with `python -m rnn_demo push`, or call this app's API with your own token "
                  "(`gradio_client.Client(url, oauth_token=...)`).")
RUNS: dict[str, str] = {}  # session -> its current run's folder
USING_TRAINED = (f"Using **{training.TRAINED_NAME}** (in the Train tab) in place of the bundled models, for this "
                 "session.")


def intro() -> str:
    return ("### Train your own\nUpload " + ", ".join(spec.visitor.upload for spec in trainable_tasks().values()) +
            ", or name a Hub dataset. A part of the data (a tenth of each label's rows; of a text, its last tenth; of "
            "a series, its last two weeks) is held out: it chooses the checkpoint and gives the metric (a series' "
            "first week does, its second calibrates the interval). One training at a time on this Space (lab runs "
            "and forecast adaptations share the CPU; your place in line is shown), at most "
            f"{MAX_SECONDS:g} s each. The trained model then works in its task's tab for your session.")


def _columns(names: tuple[str | None, ...]) -> dict[str, str | None]:
    """The columns named in the boxes of column_roles(), in order (a blank box, or None from the page, means: found by
    name)."""
    return {role: (name or "").strip() or None for role, name in zip(column_roles(), names)}


def _new_run(owner: str) -> Path:
    """A fresh folder for the visitor's run, refused while a run of theirs is still going or waiting (as the job
    slot would). Their previous run (and model) stays until this one is accepted (`_accept`)."""
    if SLOT.position(owner) is not None:
        raise ValueError("you already have a run going or waiting: stop it, or wait for it to finish")
    return training.FOLDERS.new_folder()


def _accept(session: str, folder: Path) -> None:
    """The job slot took the visitor's new run: it becomes their session's, and their previous run (and model)
    goes."""
    training.remove_run(RUNS.pop(session, None))
    RUNS[session] = str(folder)


@shows_errors
def check_data(request: gr.Request, task: str, upload: str | None, dataset: str, config: str, split: str,
               *names: str):
    """(summary, preview rows) of what a training would use, without training (a Hub dataset is read into a
    folder of its own, removed afterwards: the visitor's trained model stays). `names`: the boxes of column_roles()."""
    columns = _columns(names)
    folder = training.FOLDERS.new_folder()
    try:
        source = training.source_of(task, upload, dataset, config, split, columns, folder, client_address(request))
        prepared = training.check_data(task, source)
    finally:
        training.remove_run(folder)
    return training.summary_markdown(prepared, source), training.preview_frame(prepared)


def _outputs(status, progress=None, figure=None, card=None, download=None, task=None, loaded=None) -> tuple:
    """One value per output: the tab's own, then each task tab's session model and note (skipped but for `task`)."""
    skip = gr.skip()
    tabs = []
    for name in SESSION_MODELS:
        tabs += [loaded, USING_TRAINED] if name == task and loaded else [skip, skip]
    return (status, skip if progress is None else progress, skip if figure is None else figure,
            skip if card is None else card, skip if download is None else download, *tabs)


@shows_errors
def train_model(request: gr.Request, task: str, upload: str | None, dataset: str, config: str, split: str,
                *values: object):
    """Stream the training's status, progress bar, plot; at the end its card and zip, and the model in its tab.
    `values`: the boxes of column_roles(), then the cell, size, seconds, learning rate and seed."""
    owner, session = job_owner(request, "train"), request.session_hash or "api"
    count = len(column_roles())
    names, (cell, size, seconds, lr, seed) = values[:count], (*values[count:], DEFAULT_LR, 0)[:5]
    settings = training.check_settings(task, cell, size, seconds, lr, seed)
    seconds = settings.seconds
    columns = _columns(names)
    folder, accepted = _new_run(owner), False
    try:  # a refused run leaves nothing behind, and the visitor's previous model where it was
        source = training.source_of(task, upload, dataset, config, split, columns, folder, client_address(request))
        prepared = training.check_data(task, source)
        history: list[dict] = []
        yield _outputs(training.summary_markdown(prepared, source), training.progress_html(None, seconds),
                       training.progress_figure(history), "", None)
        updates = training.train_in_slot(owner, task, source, settings, folder, client=client_address(request))
        first = next(updates, None)  # the slot refuses a run (the visitor's share spent) before its first update
        _accept(session, folder)
        accepted = True
    finally:
        if not accepted:
            training.remove_run(folder)
    ending = "Finished."
    for update in itertools.chain([first] if first is not None else [], updates):
        if isinstance(update, Waiting):
            yield _outputs(f"Waiting for the CPU: {update.position} heavy job(s) ahead of yours (trainings, lab "
                           "runs, forecast adaptations).")
        elif isinstance(update, Finished):
            ending = {"stopped": "Stopped: the best checkpoint so far is kept.",
                      "time limit": f"Stopped at the time limit ({update.message})."}.get(update.reason, ending)
        else:
            history.append(update)
            yield _outputs(training.status_line(update), training.progress_html(update, seconds),
                           training.progress_figure(history))
    yield _finished(task, folder, ending, history, seconds, prepared)


def _finished(task: str, folder, ending: str, history: list[dict], seconds: float, prepared: Prepared) -> tuple:
    model = training.trained_model(folder)
    if model is None:
        return _outputs(f"{ending} The run ended before its first held-out scoring, so there is no model: give it "
                        "more time.")
    loaded = training.use_in_tab(task, model) if task in SESSION_MODELS else None
    where = (f"It is now the model of the **{trainable_tasks()[task].tab.title}** tab, for your session."
             if loaded else "")
    last = history[-1] if history else None
    caution = training.baseline_note(task, prepared, training.best_scoring(history))
    said = f"{ending} {training.kept_note(history)} {where} {caution}"
    return _outputs(said.strip(), training.progress_html(last, seconds) if last else None,
                    training.progress_figure(history), training.card_text(model),
                    str(training.download_zip(model)), task, loaded)


@shows_errors
def stop_training(request: gr.Request) -> str:
    if not SLOT.stop(job_owner(request, "train")):
        raise ValueError("nothing of yours is running: there is no training to stop")
    return "Stopping…"


@shows_errors
def push_to_hub(request: gr.Request, repo_name: str, private: bool, oauth_token: gr.OAuthToken | None) -> str:
    """Push the session's trained model with the visitor's own token (their sign-in, or the API's oauth_token), to a
    public or a `private` repository."""
    from ..hub import read_config

    folder = RUNS.get(request.session_hash or "api")
    model = training.trained_model(Path(folder)) if folder else None
    task = read_config(model)["task"] if model else ""
    url, private = training.push_trained(model, task, repo_name, oauth_token.token if oauth_token else None,
                                         bool(private))
    return f"Pushed to a {'private' if private else 'public'} repository: {url}"


def _visitor_left(request: gr.Request) -> None:
    SLOT.stop(job_owner(request, "train"))
    training.remove_run(RUNS.pop(request.session_hash, None))


EXAMPLE_SAMPLE, EXAMPLE_STEPS, EXAMPLE_SCORED_EVERY = "text.txt", 50, 5
EXAMPLE_STATUS = "An example:"  # how the first visit's status starts


def leave_the_example(status: str | None) -> tuple:
    """Once a visitor chooses a file of their own, the example's run (status, progress, plot, card) goes: it stayed on
    show beside their file as if it were theirs. A run of their own stays."""
    if (status or "").startswith(EXAMPLE_STATUS):
        return "", "", None, ""
    return gr.skip(), gr.skip(), gr.skip(), gr.skip()


def example_training() -> tuple:
    """The first visit's run: a tiny GRU trained for EXAMPLE_STEPS steps on the sample text, in this process once
    (about 3 s on 2 cores): its status, progress, plot and card, as a visitor's own run shows them."""
    from ..visitor_training.job import train_job

    folder = training.FOLDERS.new_folder() / "model"
    updates = list(train_job("text", sample(EXAMPLE_SAMPLE), {}, "gru", "tiny", 30.0, str(folder),
                             data_name=f"the sample file {EXAMPLE_SAMPLE}", max_steps=EXAMPLE_STEPS,
                             score_every=EXAMPLE_SCORED_EVERY))
    history, card = [update for update in updates if "step" in update], training.card_text(folder)
    training.remove_run(folder.parent)  # what the page shows is kept; the files go
    status = (f"{EXAMPLE_STATUS} a tiny GRU trained for {EXAMPLE_STEPS} steps on the sample text (a passage of *A "
              "Midsummer Night's Dream*). Choose your file, or a sample above, and press Train for your own.")
    last = history[-1]
    return status, training.progress_html(last, last["seconds"]), training.progress_figure(history), card


def _data_widgets() -> dict[str, gr.components.Component]:
    w: dict[str, gr.components.Component] = {}
    tasks = trainable_tasks()
    w["task"] = gr.Radio([(spec.tab.title, name) for name, spec in tasks.items()], value=next(iter(tasks)),
                         label="Task")
    with gr.Tab("Upload a file"):
        w["upload"] = gr.File(label="A .txt file, or a .csv", file_types=[".txt", ".csv", ".tsv"], type="filepath",
                              elem_id="train-upload")
        offered = [[sample(spec.visitor.sample), name] for name, spec in tasks.items()
                   if spec.visitor.sample and sample(spec.visitor.sample)]
        if offered:
            gr.Examples(offered, inputs=[w["upload"], w["task"]], label="Sample files, one per task: click to use one "
                        "(the task follows), or download it from the box")
    with gr.Tab("A Hub dataset"):
        with gr.Row():
            w["dataset"] = gr.Textbox(label="Dataset id", placeholder="user/name")
            w["config"] = gr.Textbox(label="Config", placeholder="(default)")
            w["split"] = gr.Textbox(label="Split", value="train")
    with gr.Accordion("Columns (default: found by name)", open=False):
        with gr.Row():
            for name, role in column_roles().items():
                w[f"column {name}"] = gr.Textbox(label=role.label, placeholder=role.placeholder)
    return w


def build() -> None:
    gr.Markdown(intro())
    data = _data_widgets()
    check = gr.Button("Check the data", size="sm")
    summary = gr.Markdown()
    preview = gr.Dataframe(label="Preview: the first rows as they will be read", interactive=False, wrap=True,
                           headers=["nothing read yet: press Check the data"])  # not gradio's "1 2 3"
    with gr.Row():
        cell = gr.Radio(cell_choices(list(CELL_LABELS)), value="gru", label="Recurrent cell")
        sizes = size_names()
        size = gr.Radio([(SIZE_TEXT.get(s, s), s) for s in sizes], value=sizes[0], label="Size")
        seconds = gr.Slider(MIN_SECONDS, MAX_SECONDS, value=DEFAULT_SECONDS, step=5, label="Time budget (seconds)")
    with gr.Accordion("Advanced", open=False):
        with gr.Row():
            lr = gr.Number(value=DEFAULT_LR, minimum=LR_RANGE[0], maximum=LR_RANGE[1], label="Learning rate (AdamW)")
            seed = gr.Number(value=0, precision=0, minimum=0, label="Seed")
    with gr.Row():
        start = gr.Button("Train", variant="primary")
        stop = gr.Button("Stop", interactive=False)  # while a run of the visitor's goes (there is nothing to stop)
    status = gr.Markdown()
    progress = gr.HTML()
    plot = gr.Plot(label="Training", elem_id="train-plot")
    with gr.Row():
        download = gr.File(label="Download (the model in the Hub layout, zipped)", interactive=False,
                           elem_id="train-download")
        with gr.Column():
            on_a_space = get_space() is not None  # off one, the push is for API callers with a token of their own
            if on_a_space:
                gr.LoginButton()
            else:
                gr.Markdown(NOT_ON_A_SPACE)
            repo_name = gr.Textbox(label="Repository name", placeholder="my-first-rnn (under your account)",
                                   visible=on_a_space)
            private = gr.Checkbox(label="Private repository (only you can see it)", value=False, visible=on_a_space)
            push = gr.Button("Push to the Hub", visible=on_a_space)
            pushed = gr.Markdown()
    with gr.Accordion("The model card", open=False):
        card = gr.Markdown()
    inputs = list(data.values())
    columns = [f"{role}_column" for role in column_roles()]  # the API's names of the column boxes
    check.click(name_the_values(check_data, columns), inputs, [summary, preview], api_name="train_check")
    session_outputs = [component for pair in SESSION_MODELS.values() for component in pair]
    named_train = name_the_values(train_model, [*columns, "cell", "size", "seconds", "learning_rate", "seed"],
                                  {"learning_rate": DEFAULT_LR, "seed": 0})
    # before the training's listener: the page runs one click's listeners in turn, a queued one to its end
    start.click(lambda: gr.Button(interactive=True), None, stop, queue=False, api_visibility="private")
    trained = start.click(named_train, [*inputs, cell, size, seconds, lr, seed],
                          [status, progress, plot, card, download, *session_outputs], api_name="train", **TRAIN_LANE)
    trained.then(lambda: gr.Button(interactive=False), None, stop, queue=False, api_visibility="private")
    # the API's /train_stop refuses with a message when nothing runs; the page's Stop is only pressable while a run
    # goes (queue=False, so that it never waits behind the lane: its refusal never reached the page)
    stop.click(stop_training, None, status, api_name="train_stop", queue=False)
    push.click(push_to_hub, [repo_name, private], pushed, api_name="train_push")
    if sample(EXAMPLE_SAMPLE):
        first_visit(example_training, [status, progress, plot, card], "train")
        data["upload"].change(leave_the_example, status, [status, progress, plot, card], api_name="train_leave_example",
                              api_visibility="private", queue=False, show_progress="hidden")
    root = gr.context.Context.root_block
    if root is not None:
        root.unload(_visitor_left)
