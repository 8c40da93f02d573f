"""The forecaster: the backbone reads a week of the past then the day to forecast; a head gives quantiles.

(No `from __future__ import annotations` here: the Hub mixin reads the `config` annotation at run time.)
"""

from copy import deepcopy
from dataclasses import dataclass, field, replace

import torch
import torch.nn.functional as F
from torch import nn

from ..backbone import Backbone, Shapes, State, backbone_shapes, check_cell
from ..hub import HubModel
from ..project import CODE_URL
from ..visitor_checks import ConfigLimits
from .features import FEATURES, TEMPERATURE_CENTER, TEMPERATURE_FEATURES, TEMPERATURE_SCALE

INTERVAL = (0.1, 0.9)  # the quantiles bounding the 80% interval
STEPS = {30: "half-hourly", 60: "hourly"}  # series steps (minutes) a forecaster reads


@dataclass
class ForecastConfig:
    """Everything needed to rebuild the forecaster and run it on a series; round-trips through config.json.

    Inputs are scaled by each window's own mean and standard deviation (see features.py); the
    training series' mean and standard deviation are kept to tell when an upload looks unlike it."""

    cell: str = "gru"
    hidden_size: int = 32
    num_layers: int = 1
    dropout: float = 0.1
    window: int = 336  # past steps read before the origin (one week of half-hours)
    horizon: int = 48  # steps forecast at once (one day)
    day: int = 48  # steps per day: the lag of the day-before feature
    week: int = 336  # steps per week: the lag of the week-before feature
    step_minutes: int = 30
    quantiles: list[float] = field(default_factory=lambda: [0.1, 0.5, 0.9])
    features: list[str] = field(default_factory=lambda: list(FEATURES))
    interval_widening: float = 0.0  # added to each side of the outer quantiles (window-scaled units), conformal
    train_mean: float = 0.0
    train_std: float = 1.0
    # a temperature-track model reads (°C - temperature_center) / temperature_scale
    temperature_center: float = TEMPERATURE_CENTER
    temperature_scale: float = TEMPERATURE_SCALE
    unit: str = "GW"
    storage_dtype: str = "float32"
    task: str = "forecast"

    def __post_init__(self) -> None:
        check_cell(self.cell)
        if not {0.5, *INTERVAL} <= set(self.quantiles) or self.quantiles != sorted(self.quantiles):
            raise ValueError(f"quantiles must be increasing and include the median 0.5 and the 80% interval's "
                             f"{INTERVAL[0]} and {INTERVAL[1]}, got {self.quantiles}")
        if not self.horizon <= self.day <= self.week:
            raise ValueError(f"the horizon ({self.horizon} steps), the day ({self.day}) and the week ({self.week}) "
                             "must come in that order: the seasonal naives forecast each step from a day and a week "
                             "before")

    @property
    def temperature_scaling(self) -> tuple[float, float]:
        """(center, scale): a temperature-track model reads (°C - center) / scale."""
        return self.temperature_center, self.temperature_scale

    def for_step(self, minutes: float) -> "ForecastConfig":
        """This config read in real time for a series of `minutes` steps: the same week of window, day of horizon and
        day and week lags, counted in that series' steps (24 and 168 for hourly data). Only STEPS are accepted."""
        if minutes not in STEPS:
            accepted = " or ".join(f"{name} ({m} minutes)" for m, name in STEPS.items())
            coarser = minutes > max(STEPS)  # a daily series: no resampling gives it back its hours
            raise ValueError(f"the series has a step of {minutes:g} minutes; the forecaster reads {accepted} series: "
                             + ("it forecasts each step of the day ahead, so it needs the values within each day (a "
                                "table of a row per day and a column per hour, named 1 to 24, is read so)" if coarser
                                else "resample it to one of these"))
        if minutes == self.step_minutes:
            return self
        ratio = self.step_minutes / minutes
        spans = {name: getattr(self, name) * ratio for name in ("window", "horizon", "day", "week")}
        if any(span != int(span) or span < 1 for span in spans.values()):
            raise ValueError(f"this model's spans ({self.step_minutes}-minute steps) do not divide into "
                             f"{minutes:g}-minute steps")
        return replace(self, step_minutes=int(minutes), **{name: int(span) for name, span in spans.items()})

    @property
    def reads_temperature(self) -> bool:
        """Whether this forecaster is of the temperature track (it reads the temperature, the forecast day's too)."""
        return "temperature" in self.features

    def state_shapes(self) -> Shapes:
        """Forecaster's state_dict shapes for this config, by formula: nothing is built or allocated."""
        features, hidden = len(self.features), self.hidden_size
        return {**backbone_shapes(self.cell, features, hidden, self.num_layers),
                "head.0.weight": (hidden, hidden + features), "head.0.bias": (hidden,),
                "head.3.weight": (len(self.quantiles), hidden), "head.3.bias": (len(self.quantiles),)}


def _inputs_problem(values: dict) -> str | None:
    """A visitor's forecaster reads the app's features, counts a real day and week in its steps (the day and week
    lags, the seasonal naives it is compared with, the conversion to another step), and its unit is shown on the
    page: plain text only."""
    if values.get("features", list(FEATURES)) not in (list(FEATURES), [*FEATURES, *TEMPERATURE_FEATURES]):
        return (f"features must be the app's: {', '.join(FEATURES)}, and for the temperature track "
                f"{', '.join(TEMPERATURE_FEATURES)} after them")
    step = values.get("step_minutes", 30)
    if step not in STEPS:
        return f"step_minutes must be one of {', '.join(map(str, STEPS))} (the series steps this app reads), not {step}"
    day = 24 * 60 // step
    if (values.get("day", 48), values.get("week", 336)) != (day, 7 * day):
        return f"day and week must count 24 hours and 7 days of {step}-minute steps: {day} and {7 * day}"
    if any(ch in "<>&" or not ch.isprintable() for ch in values.get("unit", "")):
        return "unit may not hold <, >, & or control characters"
    return None


# What a visitor's forecaster may hold (visitor_checks.py), every field bounded; the shared fields' bounds are added.
VISITOR_LIMITS = ConfigLimits(
    ForecastConfig,
    whole={"window": (1, 2016), "horizon": (1, 1440), "day": (1, 1440), "week": (1, 10_080), "step_minutes": (1, 10_080)},
    # train_mean and train_std: as large as an upload's values may be (data.HUGE), so a model trained here loads back
    real={"interval_widening": (-10.0, 10.0), "train_mean": (-1e150, 1e150), "train_std": (0.0, 1e150),
          "temperature_center": (-100.0, 100.0), "temperature_scale": (0.1, 100.0)},
    strings={"unit": 16}, lists={"features": (str, 16, 64), "quantiles": (float, 99, (0.001, 0.999))},
    problem=_inputs_problem)


def pinball_loss(predicted: torch.Tensor, target: torch.Tensor, quantiles: torch.Tensor) -> torch.Tensor:
    """Mean quantile loss; predicted (..., quantiles), target (...)."""
    error = target.unsqueeze(-1) - predicted  # (..., quantiles)
    return torch.maximum(quantiles * error, (quantiles - 1) * error).mean()


class Forecaster(nn.Module, HubModel, library_name="rnn-demo", tags=["time-series-forecasting", "electricity"],
                 repo_url=CODE_URL, pipeline_tag="time-series-forecasting"):
    """Maps one window (past steps, then the steps to forecast) to quantiles of the scaled future values."""

    task = "forecast"

    def __init__(self, config: ForecastConfig) -> None:
        super().__init__()
        self.config = config
        n_features, n_quantiles = len(config.features), len(config.quantiles)
        self.backbone = Backbone(config.cell, n_features, config.hidden_size, config.num_layers, config.dropout)
        self.head = nn.Sequential(nn.Linear(config.hidden_size + n_features, config.hidden_size), nn.GELU(),
                                  nn.Dropout(config.dropout), nn.Linear(config.hidden_size, n_quantiles))
        self.register_buffer("quantile_levels", torch.tensor(config.quantiles), persistent=False)

    def forward(
        self, x: torch.Tensor, state: State | None = None, targets: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, State, torch.Tensor | None]:
        """x (batch, window + horizon, features) -> quantiles (batch, horizon, quantiles), state, pinball loss.

        targets (batch, horizon) are the scaled actual values; the quantiles never cross."""
        outputs, state = self.backbone(x, state)  # (batch, window + horizon, hidden)
        future = torch.cat([outputs, x], -1)[:, -self.config.horizon:]  # (batch, horizon, hidden + features)
        quantiles = self._ordered(self.head(future))  # (batch, horizon, quantiles)
        loss = pinball_loss(quantiles, targets, self.quantile_levels) if targets is not None else None
        return quantiles, state, loss

    def for_step(self, minutes: float) -> "Forecaster":
        """This forecaster for a series of `minutes` steps (ForecastConfig.for_step): itself at its own step, else a
        copy with the config in that series' steps (the weights do not depend on the sequence's length)."""
        config = self.config.for_step(minutes)
        if config is self.config:
            return self
        copy = deepcopy(self)
        copy.config = config
        return copy

    def _ordered(self, raw: torch.Tensor) -> torch.Tensor:
        """raw (..., quantiles) -> increasing quantiles: the median, then positive steps outwards."""
        middle = self.config.quantiles.index(0.5)
        median = raw[..., middle:middle + 1]
        below = median - F.softplus(raw[..., :middle]).flip(-1).cumsum(-1).flip(-1)
        above = median + F.softplus(raw[..., middle + 1:]).cumsum(-1)
        return torch.cat([below, median, above], -1)
