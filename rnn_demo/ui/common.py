"""What the tabs share: error handling, the "Load a model from the Hub" box, notes as Markdown."""
from __future__ import annotations

import html
import inspect
import threading
from collections.abc import Callable
from functools import partial, wraps

import gradio as gr

from ..backbone import CELL_LABELS
from ..display import number_text
from ..hub import ModelLoadError
from ..model_sources import best_cell
from ..plugin import TaskPlugin
from ..runtime import lane
from ..visitor_hub import LOAD_WORKERS, VisitorModels

# A HighlightedText of scores with this class shows positive scores green and negative ones red: gradio draws them
# red (239, 68, 60) and blue-violet (128, 90, 213) in inline styles, and red read as "bad" to visitors. CSS's
# hue-rotate is one fixed matrix (the same in every browser): at 100 degrees it takes those to green (37, 136, 0) and
# red (208, 81, 68), each score's strength (the colour's alpha) kept, the dark text as it was.
GREEN_POSITIVE = "green-positive"
# A column with this class comes first where a phone stacks a row's columns (gradio's columns wrap below about 660 px):
# the forecasting tab's controls came after every result, 1,900 px down (a UX review)
FIRST_ON_A_PHONE = "first-on-a-phone"
# The page's own CSS (app.py's launch): a focus ring a keyboard user can see (gradio's was a faint 1 px grey, on
# tabs and buttons hardly there at all), and the green-positive scores, their words black on a light page: the
# theme's #27272a on the strongest green was 3.3:1, under the 4.5:1 text needs (black: 4.6 and 4.9 on the red).
PAGE_CSS = (":focus-visible { outline: 3px solid #2563eb !important; outline-offset: 2px; }\n"
            f".{GREEN_POSITIVE} .token.highlighted {{ filter: hue-rotate(100deg); }}\n"
            f".{GREEN_POSITIVE} .score-token .text {{ color: #000; }}\n"
            f".dark .{GREEN_POSITIVE} .score-token .text {{ color: var(--body-text-color); }}\n"
            f"@media (max-width: 660px) {{ .{FIRST_ON_A_PHONE} {{ order: -1; }} }}")
USER_ERRORS = (ValueError, ModelLoadError)  # what the library raises for input it cannot use: the message is for users
MESSAGE_LIMIT = 600  # characters of an error message shown: a message quoting user input must not fill the screen
BUNDLED_NOTE = "Using the bundled models: choose a cell."
# Each task tab's session model (None: bundled, or (repository or name, commit)) and the note saying which it is,
# made by its hub_loader: the Train tab sets them when a visitor's model is trained.
SESSION_MODELS: dict[str, tuple[gr.State, gr.Markdown]] = {}


def user_error(error: Exception) -> gr.Error:
    """The toast for a library error: its message as plain text (gradio renders toasts as HTML, so a user's
    `<img>` in a column name or repository id would otherwise be fetched), cut to MESSAGE_LIMIT characters, on show
    until the visitor closes it (gradio's faded after 10 s, and the tab's outputs show only a red "Error"). No
    traceback in the server's log: a visitor's mistake is not the app's (a red team's session left 21 of them, each
    ending in its message, around any real failure)."""
    message = str(error) or type(error).__name__
    if len(message) > MESSAGE_LIMIT:
        message = message[:MESSAGE_LIMIT] + "…"
    return gr.Error(html.escape(message, quote=False), duration=None, print_exception=False)


def refuse_unreadable_numbers(blocks: gr.Blocks) -> None:
    """Make every Number and Slider of `blocks` refuse, by its label, a value it cannot read ("abc", NaN where a
    whole number is wanted, infinity): gradio's own reading raises a TypeError or ValueError there, which reaches an
    API caller as an error with no message at all."""
    for block in blocks.blocks.values():
        if isinstance(block, (gr.Number, gr.Slider)):
            block.preprocess = _read_or_refuse(block, block.preprocess)


REFUSAL_NAMES: dict[int, str] = {}  # id of a Number or Slider -> how a refusal names it, where its label is not enough


def named_for_refusals(blocks: dict[str, gr.components.Component], owner: str) -> None:
    """Refusals of these inputs name `owner` before each one's label ("Run B, Learning rate"): two groups of inputs
    with the same labels (the lab's runs A and B) were told apart by nothing."""
    for block in blocks.values():
        REFUSAL_NAMES[id(block)] = f"{owner}, {block.label}"


def _read_or_refuse(block: gr.Number | gr.Slider, read: Callable) -> Callable:
    low, high = getattr(block, "minimum", None), getattr(block, "maximum", None)
    span = f" from {low:g} to {high:g}" if low is not None and high is not None else ""
    whole = " whole" if getattr(block, "precision", None) == 0 else ""
    name = REFUSAL_NAMES.get(id(block), block.label or "this value")

    def read_or_refuse(payload: object) -> object:
        try:
            return read(payload)
        except gr.Error as refused:  # gradio's own (out of range: "Value 20 is greater than ..."): named here
            raise gr.Error(html.escape(f"{name}: {refused.message}", quote=False)) from None
        except (TypeError, ValueError, OverflowError):
            raise gr.Error(html.escape(f"{name} must be a{whole} number{span}, not {number_text(payload)}",
                                       quote=False)) from None
    return read_or_refuse


def shows_errors(handler: Callable) -> Callable:
    """`handler` with the library's errors turned into `gr.Error` (message shown, no traceback); works for
    streaming handlers too. gradio reads the signature through `functools.wraps`."""
    if inspect.isgeneratorfunction(handler):
        @wraps(handler)
        def streaming(*args, **kwargs):
            try:
                yield from handler(*args, **kwargs)
            except USER_ERRORS as error:
                raise user_error(error) from None
        return streaming

    @wraps(handler)
    def plain(*args, **kwargs):
        try:
            return handler(*args, **kwargs)
        except USER_ERRORS as error:
            raise user_error(error) from None
    return plain


def name_the_values(handler: Callable, names: list[str], defaults: dict[str, object] | None = None) -> Callable:
    """`handler` (its `*values` last) wrapped, the wrapper's signature showing `names` in their place: gradio names a
    handler's API inputs by its parameters, and called those of `*values` param_5, param_6, ... (gradio still hands
    them in by position). `defaults`: the named values an API caller may leave out, which must be the last ones. A
    new wrapper each time: the handler itself is left as it is (a tab built twice, in one process, named twice)."""
    if inspect.isgeneratorfunction(handler):
        @wraps(handler)
        def named(*args, **kwargs):
            yield from handler(*args, **kwargs)
    else:
        @wraps(handler)
        def named(*args, **kwargs):
            return handler(*args, **kwargs)
    signature = inspect.signature(handler)
    fixed = [p for p in signature.parameters.values() if p.kind is not inspect.Parameter.VAR_POSITIONAL]
    given = defaults or {}
    values = [inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                default=given.get(name, inspect.Parameter.empty)) for name in names]
    named.__signature__ = signature.replace(parameters=[*fixed, *values])
    return named


def clear_first(trigger: Callable, outputs: list[gr.components.Component], name: str) -> None:
    """Empty `outputs` in the browser the moment `trigger` fires, so that a request that fails does not leave
    the previous run's notes on show as if they were its own. Runs in the page only (no server call). For notes and
    text: a Dataframe emptied this way shows "0 1 2" for headers, so leave tables to the next result; a Label is left
    too (emptied in the page it throws in gradio 6, and the next result's bars and colours never showed)."""
    outputs = [block for block in outputs if not isinstance(block, gr.Label)]
    if not outputs:
        return
    empties = ", ".join("null" for _ in outputs)
    trigger(None, None, outputs, js=f"() => [{empties}]" if len(outputs) > 1 else "() => null",
            api_name=name, api_visibility="private", queue=False)


EXAMPLES: dict[str, Callable[[], tuple | list]] = {}  # the page's worked examples, by name (first_visit)
_EXAMPLES_KEPT: dict[str, tuple | list | None] = {}  # ... once computed (None: it failed)
_EXAMPLES_LOCK = threading.Lock()


def _every_example() -> None:
    """Compute every registered example not computed yet, one after another (the first page load of the process)."""
    with _EXAMPLES_LOCK:
        for name, example in EXAMPLES.items():
            if name not in _EXAMPLES_KEPT:
                try:
                    _EXAMPLES_KEPT[name] = example()
                except Exception:  # noqa: BLE001 - an example is a nicety: the page works without it
                    _EXAMPLES_KEPT[name] = None


def first_visit(example: Callable[[], tuple | list], outputs: list[gr.components.Component], name: str) -> None:
    """A worked example in `outputs` as the page loads: `example()`'s values, computed on the first page load of the
    process (not at start: the app starts as fast without them) and kept for every later visitor; the visitor's first
    click replaces them. The first load computes every tab's example before any arrives, so that none lands on a page
    the visitor has started to use while the others are still being made (the examples of the whole page arrive
    together). A failing example leaves its outputs as they were.

    Answered outside the queue: kept values take no time, and in a lane they waited behind that lane's work (the
    Train tab's behind trainings waiting for the job slot), each page load holding places of the queue until it was
    full for every visitor (a red team's)."""
    EXAMPLES[name] = example

    def shown() -> tuple | list:
        if name not in _EXAMPLES_KEPT:
            _every_example()
        values = _EXAMPLES_KEPT[name]
        if values is None:
            return [gr.skip() for _ in outputs] if len(outputs) > 1 else gr.skip()
        return values

    root = gr.context.Context.root_block
    if root is not None:
        root.load(shown, None, outputs, api_name=f"{name}_example", api_visibility="private", queue=False)


def progress_line(share: float, what: str) -> str:
    """A progress bar the page keeps on show (an HTML <progress> in a Markdown output, `what` beside it), for work
    that streams its own updates: gradio's own bar shows only between two of them."""
    return f'<progress value="{max(0.0, min(1.0, share)):.3f}" max="1"></progress> {html.escape(what)}\n\n'


STOP_WAIT_SECONDS = 3.0  # how long a Stop handler waits for the job to end before it answers "Stopping…"


def job_owner(request: gr.Request, tab: str) -> str:
    """Who a job in the slot belongs to: the session, in one tab (the Train tab's Stop stopped a Gradient lab run of
    the same session, and a lab run refused a training as "a run going" where the Train tab showed none)."""
    return f"{request.session_hash or 'api'}:{tab}"


def stop_job(owner: str, stopping: str = "Stopping…"):
    """Stop `owner`'s job in the slot and say so on the page: `stopping` while it winds down, nothing (gr.skip) once
    it has ended, since the job's handler has then already shown how it ended and must not be written over; None if
    the visitor had no job."""
    from ..jobs import SLOT

    if not SLOT.stop(owner):
        return None
    return gr.skip() if SLOT.wait_ended(owner, STOP_WAIT_SECONDS) else stopping


def bullets(notes: list[str]) -> str:
    """Notes for the user as a Markdown list."""
    return "\n".join(f"- {note}" for note in notes)


def cell_choices(cells: list[str] | tuple[str, ...]) -> list[tuple[str, str]]:
    """(label, value) pairs for a cell radio: "GRU", "gru"."""
    return [(CELL_LABELS[cell], cell) for cell in cells]


def starting_cell(task: TaskPlugin, cells: list[str]) -> str | None:
    """The cell a task's tab starts on: the best value of the task's metric its model cards report; or None once
    the tab says that no model is bundled."""
    if not cells:
        gr.Markdown(f"No {task.name} model is bundled yet: train one with `python -m rnn_demo train {task.name}`.")
        return None
    return best_cell(task.name, cells, task.metric, task.higher_is_better)


@shows_errors
def load_from_hub(visitors: VisitorModels, repo_id: str, revision: str) -> tuple[tuple[str, str], str]:
    """Load a visitor's Hub model for this session; on failure the current model stays (the error says why)."""
    from ..display import md_text

    _, commit = visitors.load(repo_id, revision)
    repo_id, asked = repo_id.strip(), (revision or "").strip() or "main"
    return (repo_id, commit), (f"Using **{md_text(repo_id)}** at revision {md_text(asked)} (commit `{commit[:10]}`) "
                               "in place of the bundled models, for this session.")


def cell_follows_the_model(task: str, loaded: gr.State, cell: gr.Radio, summary: gr.Markdown,
                           summarize: Callable[[str], str]) -> None:
    """While the session's own model is in use (`loaded`: loaded from the Hub, or trained in the Train tab) the cell
    choice does not apply: the radio is greyed out and `summary` says which model runs, instead of describing a
    bundled one the tab no longer uses; back to the bundled models, both return (`summarize`: a cell's summary)."""

    def follow(choice: tuple[str, str] | None, chosen: str) -> tuple[dict, str]:
        if choice is None:
            return gr.update(interactive=True), summarize(chosen)
        from ..display import md_text

        return gr.update(interactive=False), (f"**{md_text(choice[0])}** runs in this tab for your session, whatever "
                                              "the cell: “Back to the bundled models” returns to them.")

    loaded.change(follow, [loaded, cell], [cell, summary], api_name=f"{task}_follow_the_model",
                  api_visibility="private", show_progress="hidden")


# Loads from the Hub mostly wait on the network: a lane of their own, wide, each client two at a time. In gradio's
# default lane (two at a time per button), two loads from a Hub that hangs made a third visitor's load of a healthy
# repository wait for both deadlines (41 s, told "took longer than 20 s": a red team's).
HUB_LOADS = lane("hub_loads", LOAD_WORKERS, per_client=2)


def hub_loader(task: str, visitors: VisitorModels, name: str | None = None, title: str = "Load a model from the Hub",
               intro: str | None = None) -> gr.State:
    """A "Load from the Hub" box for `task` models (its events named after `name`, default the task); returns the
    session's choice: None (bundled) or (repo id, commit)."""
    loaded, name = gr.State(None), name or task
    # shown while a model of the session's is in use (one from the Hub, or trained in the Train tab), beside the
    # summary that names it: inside the closed box below, a visitor back from training never found it
    reset_button = gr.Button("Back to the bundled models", size="sm", visible=False)
    with gr.Accordion(title, open=False):
        if intro:
            gr.Markdown(intro)
        with gr.Row():
            repo_id = gr.Textbox(label="Repository id", placeholder=f"user/name of an rnn-demo {task} model")
            revision = gr.Textbox(label="Revision", placeholder="branch, tag or commit (default: main)")
        load_button = gr.Button("Load from the Hub", size="sm")
        status = gr.Markdown(BUNDLED_NOTE)
    load_button.click(partial(load_from_hub, visitors), [repo_id, revision], [loaded, status],
                      api_name=f"{name}_load_from_hub", **HUB_LOADS)
    reset_button.click(lambda: (None, BUNDLED_NOTE), None, [loaded, status], api_name=f"{name}_use_bundled",
                       api_visibility="private")
    loaded.change(lambda model: gr.Button(visible=model is not None), loaded, reset_button, queue=False,
                  api_visibility="private")
    if name == task:
        SESSION_MODELS[task] = (loaded, status)
    return loaded
