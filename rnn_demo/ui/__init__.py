"""The Gradio tabs, one module per task: widgets wired to the plain functions of each task's `serve` module.

Each tab module has a `build()` that lays out its widgets inside the caller's `gr.Tab`; `app.py` puts
the three together. Handlers turn the library's errors into `gr.Error`, so a user sees the message
and never a stack trace.
"""
