"""The "compare the cells" option of a task's tab: the button's text, and the accordion's opening. The Sentiment and
Forecasting tabs put their own comparison below their widgets (their `*_box`), filled by a "Compare the three cells"
button; the comparisons themselves are the tasks' `compare.py`.
"""
from __future__ import annotations

import gradio as gr

COUNTS = {1: "one", 2: "two", 3: "three"}


def compare_label(cells: list[str]) -> str:
    """The button's text: "Compare the three cells" (as many as are bundled)."""
    return f"Compare the {COUNTS.get(len(cells), len(cells))} cells"


def opens(button: gr.Button, box: gr.Accordion, name: str) -> None:
    """Open `box` when `button` is clicked, so the results it will hold are in view."""
    button.click(lambda: gr.Accordion(open=True), None, box, api_name=name, api_visibility="private", queue=False)
