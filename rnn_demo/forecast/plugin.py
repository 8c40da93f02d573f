"""The forecasting task's plug-in (plugin.py's contract): day-ahead electricity demand with an 80% interval."""
from __future__ import annotations

from ..plugin import Tab, TaskPlugin, TinyModel
from .cli import ForecastCLI
from .data import DATASET
from .model import VISITOR_LIMITS
from .use import USE
from .visitor import VISITOR

PLUGIN = TaskPlugin(
    "forecast", ForecastCLI(), Tab("Forecasting", "rnn_demo.forecast.tab"), metric="mase", higher_is_better=False,
    limits=VISITOR_LIMITS, default_model="forecast-gru", dataset=DATASET, use=USE,
    served="rnn_demo.forecast.serve:VISITORS", visitor=VISITOR, variants=("temperature",),
    tiny=TinyModel(("gru", "lstm"), ("--hidden-size", "8", "--max-steps", "20", "--eval-every", "10"),  # the protocol
                   variants={"temperature": ("--temperature",)}),
    load_call=("/forecast", ("victoria", None, "", "", "2014-12-01 00:00", True, "gru", "")))  # "": temperature column
