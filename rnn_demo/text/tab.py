"""The Text generation tab: a prompt, sampling controls, streamed text, next-character probabilities."""
from __future__ import annotations

from collections.abc import Iterator

import gradio as gr

from ..devices import pick_device
from ..display import visible
from ..runtime import PROMPTS, lane
from ..ui.common import (cell_choices, cell_follows_the_model, clear_first, first_visit, hub_loader, shows_errors,
                         starting_cell)
from . import serve as text
from .batcher import MAX_BATCH, MAX_GPU_BATCH
from .infer import MAX_NEW_CHARS
from .plugin import PLUGIN

TASK = PLUGIN
ROWS = MAX_GPU_BATCH if pick_device().type == "cuda" else MAX_BATCH
GENERATION = lane("generation", ROWS, per_client=ROWS // 4)  # one batch, one thread; a client holds a quarter of it
EXAMPLES = [
    ["ROMEO:\nBut soft, what light through yonder window breaks?\n"],
    ["KING HENRY V:\nOnce more unto the breach, dear friends, once more;\n"],
    ["HAMLET:\nTo be, or not to be"],
    ["First Citizen:\n"],
]


def prompt_owner(prompt: str, request: gr.Request | None) -> str | None:
    """Whose read of the prompt a request may reuse (text/primed.py): everyone's for the example prompts, which all
    visitors see; otherwise the session's own, so that no visitor learns by its speed what another one sent."""
    if request is None or [prompt] in EXAMPLES:
        return None
    if request.session_hash:
        return f"session:{request.session_hash}"
    return f"client:{getattr(getattr(request, 'client', None), 'host', 'unknown')}"


@shows_errors
def generate_text(prompt: str, cell: str, max_new_chars: float, temperature: float, top_k: float, top_p: float,
                  seed: float | None, stop: str, loaded: tuple[str, str] | None = None,
                  request: gr.Request = None) -> Iterator[str]:
    """Stream the prompt followed by the generated text, control characters made visible."""
    prompt = prompt or ""
    stepper = text.SHELF.for_cell(cell, loaded)
    sampling = text.sampling_from_controls(max_new_chars, temperature, top_k, top_p, seed, stop)
    text.check_stop(sampling.stop, stepper.vocab)
    text.check_prompt(prompt, stepper.vocab)  # its length, before a copy of it is made to show
    shown = visible(prompt)
    owner = prompt_owner(prompt, request)
    for generated in text.stream_text(stepper, prompt, sampling, owner):  # a visitor's vocabulary may hold controls too
        yield shown + visible(generated)


@shows_errors
def next_characters(prompt: str, cell: str, loaded: tuple[str, str] | None = None,
                    request: gr.Request = None) -> tuple[dict[str, float], str]:
    """The model's next-character probabilities after the prompt, and a note on the prompt."""
    prompt = prompt or ""
    stepper = text.SHELF.for_cell(cell, loaded)
    table = text.candidates(stepper, prompt, owner=prompt_owner(prompt, request))
    return table, text.prompt_note(prompt, stepper)


def _sampling_controls() -> list[gr.components.Component]:
    with gr.Accordion("Sampling", open=True):
        max_new = gr.Slider(1, MAX_NEW_CHARS, value=LENGTH, step=1, label="Characters to generate")
        temperature = gr.Slider(0.05, 3.0, value=0.8, step=0.05, label="Temperature",
                                info="below 1: safer, more repetitive; above 1: wilder")
        top_k = gr.Slider(0, 80, value=0, step=1, label="Top-k", info="0: off")
        top_p = gr.Slider(0.05, 1.0, value=1.0, step=0.05, label="Top-p (nucleus)", info="1: off")
        seed = gr.Number(value=text.RANDOM_SEED, precision=0, minimum=text.RANDOM_SEED, label="Seed",
                         info=f"{text.RANDOM_SEED}: a different text every time; any other number repeats its text")
        stop = gr.Textbox(label="Stop at (matched in the generated text)", max_length=100,
                          placeholder="e.g. a speaker's name such as ROMEO: (empty: never stop early)")
    return [max_new, temperature, top_k, top_p, seed, stop]


def build() -> None:
    cells = text.bundled_cells()
    best = starting_cell(TASK, cells)  # the best bundled model, by its card
    if best is None:
        return
    gr.Markdown("A character-level language model trained on 34 of Shakespeare's plays writes new text, one "
                "character at a time, carrying what it has read in its recurrent state.")
    with gr.Row():
        with gr.Column(scale=3):
            prompt = gr.Textbox(label="Prompt", lines=4, max_length=4000,
                                placeholder="Type the start of a scene, e.g. a speaker's name and a colon")
            gr.Examples(EXAMPLES, inputs=[prompt], label="Prompts")
            with gr.Row():
                generate_button = gr.Button("Generate", variant="primary")
                stop_button = gr.Button("Stop")
            output = gr.Textbox(label="Prompt and generated text", lines=16, autoscroll=True)
            note = gr.Markdown()
        with gr.Column(scale=2):
            cell = gr.Radio(cell_choices(cells), value=best, label="Recurrent cell")
            summary = gr.Markdown(text.model_summary(best))
            loaded = hub_loader(TASK.name, text.VISITORS)
            sampling = _sampling_controls()
            gr.Markdown("What the model expects next after the prompt, as it predicts it: temperature, top-k and "
                        "top-p then reshape it for sampling (at temperature 0.8 the likeliest characters are drawn "
                        "more often than shown here, and top-k 3 never draws a fourth).")
            probabilities_button = gr.Button("Show next-character probabilities", size="sm")
            chars = gr.Label(num_top_classes=10, label="Next character after the prompt")
    cell.change(shows_errors(text.model_summary), cell, summary, api_name="text_model_info")
    cell_follows_the_model(TASK.name, loaded, cell, summary, text.model_summary)
    # UI-only twins of the public endpoints are private: named, but not callable through the API
    for name, trigger in (("next_characters_on_generate", generate_button.click),
                          ("next_characters_on_submit", prompt.submit)):
        clear_first(trigger, [chars, note], f"clear_{name}")  # a refused prompt leaves no earlier table
        trigger(next_characters, [prompt, cell, loaded], [chars, note], api_name=name, api_visibility="private",
                **PROMPTS)
    inputs = [prompt, cell, *sampling, loaded]
    run = generate_button.click(generate_text, inputs, output, api_name="generate", **GENERATION)
    submitted = prompt.submit(generate_text, inputs, output, api_name="generate_on_submit", api_visibility="private",
                              **GENERATION)
    stop_button.click(None, cancels=[run, submitted], api_name="stop_generating", api_visibility="private")
    clear_first(probabilities_button.click, [chars, note], "clear_next_characters")
    probabilities_button.click(next_characters, [prompt, cell, loaded], [chars, note], api_name="next_characters",
                               **PROMPTS)
    first_visit(lambda: example_scene(best), [prompt, output, chars, note], "text")


EXAMPLE_SEED = 1
LENGTH = 400  # characters generated: the box's start, and the first visit's example (a visitor's Generate with seed 1
# gives the example's scene: it was 300 characters against the box's 400)


def example_scene(cell: str) -> tuple[str, str, dict[str, float], str]:
    """The first visit's scene: the first example prompt continued by `cell`'s model with seed EXAMPLE_SEED, what it
    expects next after the prompt, and a line saying so."""
    prompt = EXAMPLES[0][0]
    *_, scene = generate_text(prompt, cell, LENGTH, 0.8, 0, 1.0, EXAMPLE_SEED, "")
    chars, _ = next_characters(prompt, cell)
    return prompt, scene, chars, (f"An example: the {cell.upper()} model's scene from this prompt with seed "
                                  f"{EXAMPLE_SEED} (temperature 0.8); press Generate for one of your own (the Seed "
                                  f"box's {text.RANDOM_SEED} draws a new one each time; {EXAMPLE_SEED} gives this one "
                                  "again).")
