"""Forecasts on a visitor's own series: hourly as well as half-hourly, the bundled model adapted to the upload with
its last two weeks held out, the naive shown where the model cannot beat it, cached per upload, run in the job slot."""
import json
import math
import re

import numpy as np
import pandas as pd
import pytest

from rnn_demo.forecast.adapt import (CALIBRATING_DAYS, CHOOSING_DAYS, HOLDOUT_DAYS, MODEL_ROW, SCORED_DAYS,
                                     Adaptation, adaptation_notes, finished_adaptation, holdout_start, naive_rows)
from rnn_demo.forecast.features import midnights
from rnn_demo.forecast.infer import Series, forecast_quantiles, interval_of, protocol_series
from rnn_demo.forecast.model import ForecastConfig
from rnn_demo.training import TrainSettings
from tests.test_forecast import tiny_forecaster

QUICK = TrainSettings(max_steps=150, lr=1e-3, warmup_steps=10, eval_every=25, seed=0)  # no time budget: repeatable


def hourly_demand(weeks: int = 8, seed: int = 0) -> Series:
    """A synthetic hourly grid in MW: a morning and an evening peak, quieter weekends, a wandering level, noise."""
    times = pd.date_range("2024-03-04", periods=weeks * 168, freq="h")
    hour = np.arange(len(times)) % 24
    rng = np.random.default_rng(seed)
    values = (1000 + 120 * np.sin(2 * np.pi * (hour - 7) / 24) + 60 * np.sin(4 * np.pi * hour / 24)
              - 150 * (times.day_of_week >= 5) + 0.3 * np.cumsum(rng.normal(0, 8, len(times)))
              + rng.normal(0, 15, len(times)))
    return Series(times, values, (times.day_of_week < 5).astype(float))


def victoria_elsewhere() -> Series:
    """Eight winter weeks of the Victoria training part in MW, moved 26 weeks on (a summer's dates, same weekdays)."""
    series, _ = protocol_series()
    start = 48 * 7 * 20
    part = slice(start, start + 48 * 7 * 8)
    times = series.times[part] + pd.Timedelta(weeks=26)
    return Series(times, series.values[part] * 1000, (times.day_of_week < 5).astype(float))


def test_an_hourly_series_is_read_in_real_time_and_other_steps_are_refused_by_name():
    hourly = ForecastConfig().for_step(60)
    assert (hourly.window, hourly.horizon, hourly.day, hourly.week) == (168, 24, 24, 168)
    assert ForecastConfig().for_step(30) == ForecastConfig()
    for minutes in (15, 45, 1440):
        with pytest.raises(ValueError, match=r"step of .* minutes; the forecaster reads half-hourly \(30 minutes\) or "
                                             r"hourly \(60 minutes\) series"):
            ForecastConfig().for_step(minutes)
    with pytest.raises(ValueError, match="it needs the values within each day"):  # no resampling gives back hours
        ForecastConfig().for_step(1440)
    with pytest.raises(ValueError, match="resample it to one of these"):
        ForecastConfig().for_step(45)


def test_an_adaptation_round_trips_through_json():
    model = tiny_forecaster()
    adaptation = Adaptation(model, 25, {MODEL_ROW: {"mae": 1.0}}, MODEL_ROW, (-1.0, 2.0), 40, 1.5,
                            {MODEL_ROW: {"mae": 0.5}})
    again = Adaptation.from_json(adaptation.to_json())
    assert again.model.config == model.config and again.naive_errors == (-1.0, 2.0) and again.holdout_start == 40
    assert again.choosing_table == {MODEL_ROW: {"mae": 0.5}} and again.scored_start == 40 + 7 * model.config.day
    for name, value in model.state_dict().items():
        assert np.array_equal(value.numpy(), again.model.state_dict()[name].numpy()), name
    parameters = sum(value.numel() for value in model.state_dict().values())
    assert len(json.dumps(adaptation.to_json())) < 6 * parameters + 2_000  # kept in a session: float32 in base64


@pytest.mark.slow
@pytest.mark.parametrize("make", [hourly_demand, victoria_elsewhere], ids=["synthetic-hourly", "victoria-in-mw"])
def test_the_adapted_model_beats_the_better_naive_on_the_held_out_weeks(make):
    from rnn_demo.forecast.serve import SHELF

    series = make()
    model = SHELF.bundled("gru").for_step(series.step_minutes)
    progress, adaptation = finished_adaptation(model, series, math.inf, QUICK)
    table, naives = adaptation.table, naive_rows(model.config)
    assert [p["step"] for p in progress] == [25, 50, 75, 100, 125, 150]
    assert adaptation.shown == MODEL_ROW
    assert table[MODEL_ROW]["mae"] < min(table[row]["mae"] for row in naives)  # on the last 7 days, which chose nothing
    assert 0.72 <= table[MODEL_ROW]["coverage80"] <= 0.90  # days it was not calibrated on: the bundled models' range
    # the interval is calibrated on the choosing days' last CALIBRATING_DAYS, apart from those that chose the steps
    # (a red team's: calibrated on the days that chose, it came out narrow on new days): conformal, at least 80% there
    day = model.config.day
    scored = adaptation.scored_start
    calibrating = midnights(series.times, scored - CALIBRATING_DAYS * day, scored - day + 1)
    _, lower, upper = interval_of(adaptation.model, forecast_quantiles(adaptation.model, series, calibrating))
    actual = series.values[calibrating[:, None] + np.arange(day)[None]]
    covered = ((actual >= lower) & (actual <= upper)).mean()
    assert len(calibrating) == CALIBRATING_DAYS and 0.8 <= covered <= 0.86
    assert adaptation.holdout_start == len(series) - HOLDOUT_DAYS * model.config.day
    assert adaptation.scored_start == len(series) - SCORED_DAYS * model.config.day
    notes = " ".join(adaptation_notes(adaptation, series, len(series)))
    assert "the forecast shown is the adapted model's" in notes and f"covers {table[MODEL_ROW]['coverage80']:.0%}" in notes


@pytest.mark.slow  # two adaptations of a few seconds
def test_the_scored_days_choose_nothing():
    """Whatever the last 7 days hold, the fine-tuning, the steps, the interval and the forecast shown are the same:
    only the scored table changes."""
    from rnn_demo.forecast.serve import SHELF

    series = hourly_demand(weeks=6)
    wild = Series(series.times, series.values.copy(), series.workday)
    wild.values[-SCORED_DAYS * 24:] *= 3
    model = SHELF.bundled("gru").for_step(60)
    few = TrainSettings(max_steps=50, lr=1e-3, warmup_steps=10, eval_every=25, seed=0)
    (_, plain), (_, changed) = (finished_adaptation(model, s, math.inf, few) for s in (series, wild))
    assert plain.steps == changed.steps and plain.shown == changed.shown and plain.naive_errors == changed.naive_errors
    assert plain.model.config == changed.model.config and plain.choosing_table == changed.choosing_table
    for name, value in plain.model.state_dict().items():
        assert np.array_equal(value.numpy(), changed.model.state_dict()[name].numpy()), name
    assert changed.table[MODEL_ROW]["mae"] > 2 * plain.table[MODEL_ROW]["mae"]
    notes = [adaptation_notes(plain, series, origin)[-1] for origin in (plain.holdout_start, plain.scored_start)]
    assert "first 7 held-out days, which chose and calibrated" in notes[0] and "chose nothing" in notes[1]


@pytest.mark.slow
def test_a_series_that_repeats_every_week_falls_back_to_the_naive_with_a_note():
    from rnn_demo.forecast.serve import SHELF, adapted_view

    week = 1000 + 200 * np.sin(np.linspace(0, 14 * np.pi, 336)) + np.linspace(0, 300, 336)
    times = pd.date_range("2024-01-01", periods=336 * 6, freq="30min")
    series = Series(times, np.tile(week, 6), (times.day_of_week < 5).astype(float))
    few = TrainSettings(max_steps=50, lr=1e-3, warmup_steps=10, eval_every=25, seed=0)
    _, adaptation = finished_adaptation(SHELF.bundled("gru"), series, math.inf, few)
    last_week = naive_rows(adaptation.model.config)
    assert adaptation.shown == list(last_week)[1] and adaptation.table[adaptation.shown]["mae"] == 0
    view = adapted_view(series, len(series) - 48, adaptation)  # a held-out day: the naive is exact there
    shown = view.frame.dropna(subset=["median"])
    assert np.allclose(shown["median"], shown["actual"]) and np.allclose(shown["lower"], shown["upper"])
    assert any("does not beat" in note and "the forecast shown is that naive" in note for note in view.notes)


def _upload(tmp_path, series: Series, name: str = "grid.csv") -> str:
    path = tmp_path / name
    pd.DataFrame({"time": series.times, "mw": series.values}).to_csv(path, index=False)
    return str(path)


def test_a_series_too_short_to_hold_out_two_weeks_is_forecast_as_it_is_with_a_note(tmp_path):
    from rnn_demo.forecast.own_series import own_series_forecast
    from rnn_demo.jobs import JobSlot

    slot = JobSlot()
    updates = list(own_series_forecast("me", "gru", "", _upload(tmp_path, hourly_demand(weeks=4)), None, "mw", None,
                                       {}, slot))
    assert len(updates) == 1 and slot.worker is None  # no job was started
    view, adaptation = updates[0]
    assert adaptation is None and any(note.startswith("Not adapted to your series: adapting the model needs 35 days")
                                      for note in view.notes)


@pytest.mark.slow  # over 2 s: out of the fast loop (tests/README.md)
def test_an_adapted_model_is_reused_from_the_session_cache_and_the_other_steps_are_refused(tmp_path):
    from rnn_demo.forecast.own_series import own_series_forecast, upload_key
    from rnn_demo.forecast.serve import SHELF
    from rnn_demo.jobs import JobSlot

    series = hourly_demand(weeks=5)
    path = _upload(tmp_path, series)
    _, adaptation = finished_adaptation(SHELF.bundled("gru").for_step(60), series, math.inf,
                                        TrainSettings(max_steps=25, eval_every=25, warmup_steps=5))
    cache, slot = {upload_key(path, None, "mw", "gru"): adaptation.to_json()}, JobSlot()
    (view, again), = own_series_forecast("me", "gru", "", path, None, "mw", None, cache, slot)
    assert slot.worker is None and again.table == adaptation.table  # no job: the session's copy
    assert len(view.frame.dropna(subset=["median"])) == 24  # the next day, hourly
    every_45 = Series(pd.date_range("2024-01-01", periods=32 * 30, freq="45min"), np.ones(32 * 30), np.ones(32 * 30))
    with pytest.raises(ValueError, match=r"step of 45 minutes; the forecaster reads half-hourly"):
        list(own_series_forecast("me", "gru", "", _upload(tmp_path, every_45, "q.csv"), None, "mw", None, {}, slot))


def test_a_quarter_hourly_series_is_averaged_into_half_hours_and_forecast(tmp_path):
    from rnn_demo.forecast.own_series import own_series_forecast
    from rnn_demo.jobs import JobSlot

    hourly = hourly_demand(weeks=4)  # too short to adapt: forecast as it is, no job
    times = pd.date_range(hourly.times[0], hourly.times[-1] + pd.Timedelta("45min"), freq="15min")
    values = np.interp(times.asi8, hourly.times.asi8, hourly.values)  # (4 * 168 * 4,)
    quarter_hours = Series(times, values, (times.day_of_week < 5).astype(float))
    slot = JobSlot()
    (view, adaptation), = own_series_forecast("me", "gru", "", _upload(tmp_path, quarter_hours, "q.csv"), None, "mw",
                                              None, {}, slot)
    assert adaptation is None and slot.worker is None
    assert len(view.frame.dropna(subset=["median"])) == 48  # the next day, half-hourly
    assert any(note.startswith("The series' 15-minute steps were averaged into half-hours") for note in view.notes)


@pytest.mark.slow
def test_stop_ends_an_adaptation_in_the_job_slot_and_the_forecast_says_so(tmp_path):
    from rnn_demo.forecast.own_series import own_series_forecast
    from rnn_demo.jobs import JobSlot

    slot, cache = JobSlot(), {}
    try:
        statuses, final = [], None
        for update in own_series_forecast("me", "gru", "", _upload(tmp_path, hourly_demand(weeks=5)), None, "mw",
                                          None, cache, slot):
            if isinstance(update, str):
                statuses.append(update)
                slot.stop("me")  # at the first progress report
            else:
                final = update
        assert statuses and re.match(r"Adapting the model to your series: step \d+, held-out loss", statuses[0])
        view, adaptation = final
        assert adaptation is None and cache == {} and "You stopped the adaptation" in " ".join(view.notes)
        assert slot.position("me") is None  # the slot is free again
    finally:
        slot.close()


@pytest.mark.slow  # over 2 s: out of the fast loop (tests/README.md)
def test_adapting_under_a_time_budget_scores_by_the_clock_and_a_plain_loop_takes_the_same_batches():
    from dataclasses import replace

    import torch

    from rnn_demo.forecast.bench import _plain_steps_per_second
    from rnn_demo.forecast.model import Forecaster

    # a run its budget ends, not its steps, and no scoring every eval_every steps within reach: every scoring before
    # the last is the clock's, whatever this machine's speed (150 steps once took under the clock's first second)
    torch.manual_seed(0)
    small, series, budget = Forecaster(ForecastConfig(hidden_size=8)).for_step(60), hourly_demand(weeks=6), 2.5
    endless = replace(QUICK, max_steps=5_000, eval_every=5_000)
    progress, _ = finished_adaptation(small, series, budget, endless)
    steps, seconds = [p["step"] for p in progress], [p["seconds"] for p in progress]
    assert all(b > a for a, b in zip(steps, steps[1:])) and steps[-1] < endless.max_steps
    assert seconds[-1] >= budget and len(progress) >= 2  # the clock's (about 1 s in, 2 s in) and the deadline's
    assert all(b - a >= 0.9 for a, b in zip(seconds[:-1], seconds[1:-1]))  # about a second apart until the deadline
    assert _plain_steps_per_second(small, series, 20) > 0


@pytest.mark.parametrize("last", ["23:30", "11:30", "00:00"])
def test_the_held_out_days_are_whole_wherever_the_series_ends(last):
    """The held-out part starts at the midnight that leaves 14 whole days: a series that ended at noon gave 3
    choosing, 2 calibrating and 6 scored days under notes that said 4, 3 and 7 (an ML review)."""
    config = ForecastConfig()  # half-hourly: 48 steps a day
    times = pd.date_range("2024-01-01", f"2024-02-14 {last}", freq="30min")
    series = Series(times, np.ones(len(times)), np.ones(len(times)))
    start = holdout_start(series, config)
    scored = start + CHOOSING_DAYS * config.day
    assert times[start].strftime("%H:%M") == "00:00" and 0 <= len(series) - start - HOLDOUT_DAYS * config.day < 48
    day = config.day
    blocks = [midnights(times, start, scored - CALIBRATING_DAYS * day - day + 1),
              midnights(times, scored - CALIBRATING_DAYS * day, scored - day + 1),
              midnights(times, scored, len(series) - day + 1)]  # as adapt's task and scoring take them
    assert [len(block) for block in blocks] == [CHOOSING_DAYS - CALIBRATING_DAYS, CALIBRATING_DAYS, SCORED_DAYS]
