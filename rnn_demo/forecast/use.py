"""The "## Use" section of the forecast model cards (usage.py lays it out): the package's way, and PyTorch alone."""
from __future__ import annotations

from ..plugin import Use
from ..usage import LOAD

PLAIN = LOAD.replace("IMPORTS", "import numpy as np\nimport pandas as pd\nimport torch.nn.functional as F\n") + '''\
features, hidden, levels = len(config["features"]), config["hidden_size"], config["quantiles"]
rnn = Cell(features, hidden, config["num_layers"], batch_first=True)
head = torch.nn.Sequential(torch.nn.Linear(hidden + features, hidden), torch.nn.GELU(), torch.nn.Dropout(0.0),
                           torch.nn.Linear(hidden, len(levels)))
for name, module in (("backbone.rnn.", rnn), ("head.", head)):
    module.load_state_dict({k[len(name):]: v for k, v in weights.items() if k.startswith(name)})


def quantiles(x):
    """x (batch, window + horizon, features): at each step the features config["features"] names, in that order:
    demand minus the past window's mean, over its standard deviation (the population's, ddof=0) plus 0.001 of its
    mean size (observed 1 up to the origin; both 0 after it); the same for demand a day and a week before (so two
    weeks of history: window + week steps); sin and cos of 2 pi minute-of-day / 1440 and of 2 pi weekday / 7 (Monday
    0), from stamps in standard time all year (the training data's: AEST, UTC+10; convert daylight-saving clock times
    first), each the start of its step; workday (0 on weekends and public holidays); for a
    temperature model, the temperature, its day's mean and its day's maximum, each (degrees C -
    config["temperature_center"]) / config["temperature_scale"] -> (batch, horizon, quantiles), in the window's
    scale."""
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


def window(times, values, workday, temperature=None):
    """x (1, window + horizon, features) to forecast the horizon after the last of `values`, built as quantiles()
    reads it, with the window's mean and spread, which take its output back to the series' unit. times: one pandas
    stamp per value, evenly spaced, in standard time, window + week of them at least; workday: 1 or 0 per step through
    the forecast (public holidays 0); temperature (a temperature model's, degrees C): per step through the forecast."""
    n, ahead = len(values), config["horizon"]
    steps = np.arange(n - config["window"], n + ahead)  # (window + horizon,): the window's steps, then the forecast's
    step = times[-1] - times[-2]
    stamps = pd.DatetimeIndex(times).append(pd.date_range(times[-1] + step, periods=ahead, freq=step))
    padded = np.concatenate([np.asarray(values, float), np.zeros(ahead)])
    past = padded[n - config["window"]:n]
    center, spread = past.mean(), past.std() + 1e-3 * np.abs(past).mean() + 1e-8
    minute = 2 * np.pi * (stamps.hour * 60 + stamps.minute).to_numpy() / 1440
    weekday = 2 * np.pi * stamps.day_of_week.to_numpy() / 7
    columns = {"demand": np.where(steps < n, (padded[steps] - center) / spread, 0.0), "observed": 1.0 * (steps < n),
               "demand_day_before": (padded[steps - config["day"]] - center) / spread,
               "demand_week_before": (padded[steps - config["week"]] - center) / spread,
               "time_of_day_sin": np.sin(minute)[steps], "time_of_day_cos": np.cos(minute)[steps],
               "day_of_week_sin": np.sin(weekday)[steps], "day_of_week_cos": np.cos(weekday)[steps],
               "workday": np.asarray(workday, float)[steps]}
    if temperature is not None:  # each step's, and its calendar day's mean and maximum
        t = pd.Series(np.asarray(temperature, float)[:n + ahead], index=stamps)
        by_day = t.groupby(stamps.normalize())
        for name, column in (("temperature", t), ("temperature_day_mean", by_day.transform("mean")),
                             ("temperature_day_max", by_day.transform("max"))):
            columns[name] = ((column.to_numpy() - config["temperature_center"]) / config["temperature_scale"])[steps]
    x = np.stack([columns[name] for name in config["features"]], -1)  # (window + horizon, features)
    return torch.tensor(x, dtype=torch.float32)[None], center, spread


times = pd.date_range("2024-01-01", periods=3 * config["week"], freq=f"{config['step_minutes']}min")  # three weeks
values = 5 + np.sin(np.arange(len(times)) * 2 * np.pi / config["day"])  # your demand at those times (any unit)
workday = np.concatenate([times.day_of_week < 5, np.ones(config["horizon"])]) * 1.0  # the day ahead: a Monday
temperature = None
if "temperature" in config["features"]:  # your observations, then a weather forecast of the day ahead
    temperature = 20 + 5 * np.sin(np.arange(len(times) + config["horizon"]) * 2 * np.pi / config["day"])
x, center, spread = window(times, values, workday, temperature)
print((quantiles(x)[0, :4] * spread + center).numpy().round(3))  # the first four steps: 10%, 50% and 90%, your unit
'''

LIMITATIONS = """\
Trained on one region and one year: the half-hourly electricity demand of Victoria (Australia) in 2014. Another
grid's series is read less well as it stands (the app adapts a model to an upload first). Each window is scaled by
its own mean and spread, so any unit works (a series in MW gives the forecast a series in GW would, in MW), and an
hourly series works through `Forecaster.for_step` (`forecast_quantiles` does it for you). Mark public holidays 0 in
the working-day flag, as the training data does, the day to forecast's too (the flags may run a day past the values):
Monday to Friday alone made the Christmas 2014 forecast much worse. The
80% interval was calibrated on the last 14 days of training, late October to early November (the 14 before them chose
the checkpoint; the hidden size, and the seed where several were tried, were compared on all 28, so the interval may
come out a little narrow for it); its coverage on the test weeks, in summer, is in the table above, and where it is
under 80% the interval is too narrow there. The times it learned are standard time all year (the market's AEST, UTC+10): a series
stamped on daylight-saving clocks reads its summer days an hour off (up to 0.11 GW on the median here), so convert
first."""

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
workday = (times.day_of_week < 5).astype(float)  # 0 on weekends, and on public holidays: mark yours 0 too
ahead = np.ones(day)  # the day to forecast (a Monday here): 0 if it is a public holiday (left out: Monday to Friday)
series = Series(times, values, np.concatenate([workday, ahead]), temperature=temperature)
quantiles = forecast_quantiles(model, series, [len(series)])  # (1, horizon, 3): the 10/50/90% quantiles ahead
print(quantiles[0, :4].round(3))  # the first four steps: 10%, 50% and 90% each""",
          command='rnn-demo evaluate forecast --model REPO', limitations=LIMITATIONS,
          command_does="score it on the protocol's test weeks",
          config_fields={
              "window": "the past steps read before the forecast's origin (a week)",
              "horizon": "the steps forecast at once, after the origin (a day)",
              "day": "steps in a day: the lag of the day-before feature",
              "week": "steps in a week: the lag of the week-before feature",
              "step_minutes": "the minutes between the training series' steps (an hourly series is read through "
                              "`Forecaster.for_step`)",
              "quantiles": "the quantile levels of the head's outputs, in order: 0.1 and 0.9 bound the 80% interval",
              "features": "the inputs at each step, in order (the snippet above says how each is built)",
              "interval_widening": "added to each side of the 80% interval, in the window's scale: its calibration on "
                                   "held-out days",
              "temperature_center": "a temperature-aware model reads (°C - `temperature_center`) / "
                                    "`temperature_scale`",
              "temperature_scale": "see `temperature_center`",
              "train_mean": "the training series' mean, in `unit`: kept for reference (each window is scaled by its "
                            "own mean and spread, not by these)",
              "train_std": "the training series' standard deviation, in `unit`: kept for reference, as `train_mean`",
              "unit": "the training series' unit (the forecast comes in the unit of the series it is given)"})
