"""rnn-demo: what recurrent neural networks can do, one tab per task. This file only wires the UI."""
from __future__ import annotations

from collections.abc import Iterator

import gradio as gr

from rnn_demo.backbone import CELL_LABELS
from rnn_demo.runtime import configure_threads
from rnn_demo.text.infer import MAX_NEW_CHARS, check_prompt
from rnn_demo.text.serve import (CELLS_OFFERED, RANDOM_SEED, bundled_stepper, candidates, model_summary, prompt_note,
                                 sampling_from_controls, stream_text)


CELL_CHOICES = [(CELL_LABELS[c], c) for c in CELLS_OFFERED]
TEXT_EXAMPLES = [
    ["ROMEO:\nBut soft, what light through yonder window breaks?\n"],
    ["KING HENRY V:\nOnce more unto the breach, dear friends, once more;\n"],
    ["HAMLET:\nTo be, or not to be"],
    ["First Citizen:\n"],
]


def generate_text(prompt: str, cell: str, max_new_chars: float, temperature: float, top_k: float, top_p: float,
                  seed: float | None, stop: str) -> Iterator[str]:
    """Stream the prompt followed by the generated text."""
    prompt = prompt or ""
    try:
        stepper = bundled_stepper(cell)
        sampling = sampling_from_controls(max_new_chars, temperature, top_k, top_p, seed, stop)
        check_prompt(prompt, stepper.vocab)
    except ValueError as error:
        raise gr.Error(str(error)) from None
    for text in stream_text(stepper, prompt, sampling):
        yield prompt + text


def next_characters(prompt: str, cell: str) -> tuple[dict[str, float], str]:
    """The model's next-character probabilities after the prompt, and a note on the prompt."""
    prompt = prompt or ""
    try:
        stepper = bundled_stepper(cell)
        return candidates(stepper, prompt), prompt_note(prompt, stepper)
    except ValueError as error:
        raise gr.Error(str(error)) from None


def text_tab() -> None:
    gr.Markdown("A character-level language model trained on 34 of Shakespeare's plays writes new text, one "
                "character at a time, carrying what it has read in its recurrent state.")
    with gr.Row():
        with gr.Column(scale=3):
            prompt = gr.Textbox(label="Prompt", lines=4, max_length=4000,
                                placeholder="Type the start of a scene, e.g. a speaker's name and a colon")
            gr.Examples(TEXT_EXAMPLES, inputs=[prompt], label="Prompts")
            with gr.Row():
                generate_button = gr.Button("Generate", variant="primary")
                stop_button = gr.Button("Stop")
            output = gr.Textbox(label="Prompt and generated text", lines=16, autoscroll=True)
            note = gr.Markdown()
        with gr.Column(scale=2):
            cell = gr.Radio(CELL_CHOICES, value="lstm", label="Recurrent cell")
            summary = gr.Markdown(model_summary("lstm"))
            with gr.Accordion("Sampling", open=True):
                max_new = gr.Slider(1, MAX_NEW_CHARS, value=400, step=1, label="Characters to generate")
                temperature = gr.Slider(0.05, 3.0, value=0.8, step=0.05, label="Temperature",
                                        info="below 1: safer, more repetitive; above 1: wilder")
                top_k = gr.Slider(0, 80, value=0, step=1, label="Top-k", info="0: off")
                top_p = gr.Slider(0.05, 1.0, value=1.0, step=0.05, label="Top-p (nucleus)", info="1: off")
                seed = gr.Number(value=RANDOM_SEED, precision=0, minimum=RANDOM_SEED, label="Seed",
                                 info=f"{RANDOM_SEED}: a different text every time; any other number repeats its text")
                stop = gr.Textbox(label="Stop at", max_length=100,
                                  placeholder="e.g. a speaker's name such as ROMEO: (empty: never stop early)")
            gr.Markdown("What the model expects next after the prompt, before temperature, top-k and top-p "
                        "reshape it: the distribution each generated character is drawn from.")
            probabilities_button = gr.Button("Show next-character probabilities", size="sm")
            chars = gr.Label(num_top_classes=10, label="Next character after the prompt")
    inputs = [prompt, cell, max_new, temperature, top_k, top_p, seed, stop]
    cell.change(model_summary, cell, summary, api_name="text_model_info")
    for trigger in (generate_button.click, prompt.submit):
        trigger(next_characters, [prompt, cell], [chars, note], api_name=False)
    run = generate_button.click(generate_text, inputs, output, api_name="generate")
    submitted = prompt.submit(generate_text, inputs, output, api_name=False)
    stop_button.click(None, cancels=[run, submitted], api_name=False)
    probabilities_button.click(next_characters, [prompt, cell], [chars, note], api_name="next_characters")


with gr.Blocks(title="rnn-demo: recurrent neural networks at work") as demo:
    gr.Markdown("# rnn-demo\nRecurrent neural networks (vanilla RNN, GRU, LSTM) trained by this project, "
                "running on the CPU of this Space.")
    with gr.Tab("Text generation"):
        text_tab()

demo.queue(max_size=64, default_concurrency_limit=4)

if __name__ == "__main__":
    configure_threads()  # at launch, not import: importing `demo` (tests, tools) leaves torch as it was
    demo.launch()
