"""The "## Use" section of the forecast model cards (usage.py lays it out): the package's way, and PyTorch alone."""
from __future__ import annotations

from ..plugin import Use
from ..usage import LOAD

PLAIN = LOAD.replace("IMPORTS", "import torch.nn.functional as F\n") + '''\
features, hidden, levels = len(config["features"]), config["hidden_size"], config["quantiles"]
rnn = Cell(features, hidden, config["num_layers"], batch_first=True)
head = torch.nn.Sequential(torch.nn.Linear(hidden + features, hidden), torch.nn.GELU(), torch.nn.Dropout(0.0),
                           torch.nn.Linear(hidden, len(levels)))
for name, module in (("backbone.rnn.", rnn), ("head.", head)):
    module.load_state_dict({k[len(name):]: v for k, v in weights.items() if k.startswith(name)})


def quantiles(x):
    """x (batch, window + horizon, features): at each step the features config["features"] names, demand scaled
    by the past window's mean and spread (0 and observed=0 after the origin) -> (batch, horizon, quantiles), scaled."""
    with torch.no_grad():
        outputs, _ = rnn(x)  # (batch, window + horizon, hidden)
        raw = head(torch.cat([outputs, x], -1)[:, -config["horizon"]:])
    m = levels.index(0.5)  # the median, then positive steps outwards: the quantiles never cross
    median = raw[..., m:m + 1]
    below = median - F.softplus(raw[..., :m]).flip(-1).cumsum(-1).flip(-1)
    above = median + F.softplus(raw[..., m + 1:]).cumsum(-1)
    q = torch.cat([below, median, above], -1)
    q[..., levels.index(0.1)] -= config["interval_widening"]  # the 80% interval, calibrated on held-out days
    q[..., levels.index(0.9)] += config["interval_widening"]
    return q.sort(-1).values  # times the window's spread, plus its mean: the series' unit


x = torch.zeros(1, config["window"] + config["horizon"], features)  # your window here
print(quantiles(x).shape)
'''

USE = Use(PLAIN, package="""import numpy as np
import pandas as pd
from rnn_demo.forecast.infer import Series, forecast_quantiles
from rnn_demo.forecast.model import Forecaster

model = Forecaster.from_pretrained("REPO")
day = model.config.day  # steps in a day: 48 half-hours (24 for a model of an hourly series)
times = pd.date_range("2024-01-01", periods=3 * 7 * day, freq=f"{model.config.step_minutes}min")  # two weeks at least
values = 5 + np.sin(np.arange(len(times)) * 2 * np.pi / day)  # your demand at those times (in the model's unit)
temperature = None  # a temperature-aware model reads it (°C): at those times and through the day ahead
if model.config.reads_temperature:
    temperature = 20 + 5 * np.sin(np.arange(len(times) + day) * 2 * np.pi / day)  # your observations and forecast
series = Series(times, values, (times.day_of_week < 5).astype(float), temperature=temperature)  # workdays: Mon-Fri
quantiles = forecast_quantiles(model, series, [len(series)])  # (1, horizon, 3): the 10/50/90% quantiles ahead""",
          command='rnn-demo evaluate forecast --model REPO')
