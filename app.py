"""rnn-demo: what recurrent neural networks can do, one tab per task. This file only puts the tabs together,
in the order of the registry (rnn_demo/tasks.py); each tab's widgets and handlers live in rnn_demo/ui/."""
from __future__ import annotations

import importlib
import os

import gradio as gr
from starlette.middleware import Middleware

from rnn_demo.clients import SESSION_CAPACITY, calm_idle_queue, guard_queue
from rnn_demo.devices import page_note
from rnn_demo.http_limits import RouteLimits
from rnn_demo.model_sources import LIMITS as MODEL_LIMITS
from rnn_demo.model_sources import NOTES as MODEL_NOTES
from rnn_demo.model_sources import model_dirs
from rnn_demo.runtime import QUEUE_SIZE, configure_threads, start_memory_trimmer
from rnn_demo.tasks import TASKS, tabs
from rnn_demo.ui.common import PAGE_CSS, refuse_unreadable_numbers
from rnn_demo.ui.lab_tab import LAB_LANE
from rnn_demo.ui.train_tab import TRAIN_LANE
from rnn_demo.uploads import MAX_BYTES

MAX_UPLOAD = f"{MAX_BYTES // (1024 * 1024)}mb"
HOUR = 3600

for spec in TASKS.values():
    MODEL_LIMITS[spec.name] = spec.limits  # what a model the Space names is held to, as a visitor's is
    for kind in spec.model_kinds:
        model_dirs(kind)  # the Hub models a Space names in its environment, fetched once before the UI is built

# delete_cache: every hour, gradio removes uploads and result files older than an hour
with gr.Blocks(title="rnn-demo: recurrent neural networks at work", delete_cache=(HOUR, HOUR)) as demo:
    gr.Markdown("# rnn-demo\nRecurrent neural networks (vanilla RNN, GRU, LSTM) trained by this project.")
    gr.Markdown(page_note(), elem_id="device")
    if MODEL_NOTES:
        gr.Markdown("**Models:** " + " ".join(MODEL_NOTES), elem_id="model-sources")
    with gr.Tabs(overflow_behavior="wrap"):  # on a phone, every tab's title in view (the "menu" hid four behind "⋯")
        for tab in tabs():
            with gr.Tab(tab.title):
                importlib.import_module(tab.module).build()
    refuse_unreadable_numbers(demo)  # a number the API sends that gradio cannot read: refused by name

# Events that run a model use the worker pools of rnn_demo/runtime.py; the queue holds QUEUE_SIZE
# waiting requests, and beyond that a user is told the app is busy.
# gradio keeps a record of every event (10,000 by default) for its "Runs" page and rebuilds a pandas summary
# of all of them after each one: under many users that grows the memory and costs time per request.
# Both settings are read when the queue is made.
os.environ.setdefault("GRADIO_ANALYTICS_MAX_EVENTS", "1000")
os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "100")
demo.queue(max_size=QUEUE_SIZE, default_concurrency_limit=2)
# one client's share of it (of the job slot too, for the lanes whose handlers only queue a job), and no state
# kept for calls that name no session (clients.py)
guard_queue(demo, slot_lanes=(LAB_LANE["concurrency_id"], TRAIN_LANE["concurrency_id"]))
calm_idle_queue(demo)

if __name__ == "__main__":
    configure_threads()  # at launch, not import: importing `demo` (tests, tools) leaves torch as it was
    start_memory_trimmer()  # before the server's threads start: they share two malloc arenas, trimmed each minute
    # larger uploads are refused before they reach a handler; gradio's /monitoring pages (every event's
    # timing, open to anyone by default) only when RNN_DEMO_MONITORING=1 asks for them
    # gradio's own routes bounded per client: deep links (a file per call, never deleted) off, uploads counted
    demo.launch(css=PAGE_CSS, max_file_size=MAX_UPLOAD,
                enable_monitoring=os.environ.get("RNN_DEMO_MONITORING") == "1",
                state_session_capacity=SESSION_CAPACITY, app_kwargs={"middleware": [Middleware(RouteLimits)]})
