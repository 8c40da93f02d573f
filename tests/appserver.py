"""Launch app.py as users meet it (see rnn_demo/launch.py, which `bench load` uses too)."""
from rnn_demo.launch import ROOT, free_port, launched_app

__all__ = ["ROOT", "free_port", "launched_app"]
