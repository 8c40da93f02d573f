"""The command line: `python -m rnn_demo <command> ...` (installed: `rnn-demo <command> ...`); see `--help`."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from collections.abc import Callable

from .backbone import CELLS
from .cli_args import device, positive_number, seconds, whole
from .hub import MODELS_DIR, ModelLoadError, bundled_model
from .hub_sync import HubTransferError
from .project import INSTALL
from .tasks import TASKS, add_tab_commands, all_benches, task_names
from .wheels import DataError


def bench_load(args: argparse.Namespace) -> dict:
    """The launched app under concurrent clients of every tab: latencies, throughput, memory over time."""
    from .bench_load import bench_load as measure

    return measure(args.clients, args.seconds, args.warmup, args.with_training, args.sessionless, args.with_flood)


def benches() -> dict[str, Callable[[argparse.Namespace], dict]]:
    """Every `bench` command: the registry's (each task's and tab's), and the app under load."""
    return {**all_benches(), "load": bench_load}


class DEFAULTS(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each option's default where it has a value; options without one say so in their help."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default in (None, False):
            return action.help
        return super()._get_help_string(action)


def _add_train_arguments(p: argparse.ArgumentParser, task: str, d: dict) -> None:
    """The options every task's training shares, with that task's defaults."""
    p.add_argument("--cell", choices=list(CELLS), default=d["cell"], help="recurrent cell")
    p.add_argument("--data", default=None, help="a Hub dataset id or local path for datasets.load_dataset; "
                   "default: the protocol dataset")
    p.add_argument("--hidden-size", type=whole(1), default=d["hidden_size"], help="units per recurrent layer")
    p.add_argument("--layers", type=whole(1), default=d["layers"], help="stacked recurrent layers")
    p.add_argument("--dropout", type=float, default=d["dropout"], help="dropout on embeddings, between layers, before the head")
    p.add_argument("--batch-size", type=whole(1), default=d["batch_size"], help="sequences per step")
    p.add_argument("--lr", type=positive_number, default=d["lr"], help="peak learning rate (AdamW, cosine decay)")
    p.add_argument("--max-steps", type=whole(1), default=d["max_steps"], help="optimizer steps in all")
    p.add_argument("--eval-every", type=whole(1), default=d["eval_every"], help="steps between selection evaluations")
    p.add_argument("--clip-norm", type=positive_number, default=1.0, help="gradient-norm clipping threshold")
    p.add_argument("--weight-decay", type=float, default=d.get("weight_decay", 0.0), help="AdamW weight decay")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    p.add_argument("--device", type=device, default=None, help="cpu, cuda, cuda:1, ...; default: cuda if available "
                   "(under accelerate launch: each process's GPU, or cpu)")
    p.add_argument("--threads", type=whole(1), default=None, help="torch CPU threads; default: torch's choice")
    p.add_argument("--out", type=Path, default=None, help=f"where the best model goes; default: models/{task}-CELL")
    p.add_argument("--run-dir", type=Path, default=None,
                   help=f"resumable checkpoints; default: checkpoints/{task}-CELL (resumes if present)")
    p.add_argument("--no-resume", action="store_true", help="start afresh even if --run-dir holds a checkpoint")
    p.add_argument("--stop-at", type=whole(1), default=None, metavar="STEP",
                   help="stop at this step with a checkpoint written; the same command without it goes on from there")


def _add_task_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("prepare", help="download, convert, split and cache a task's protocol dataset",
                       formatter_class=DEFAULTS)
    p.add_argument("task", choices=task_names(), help="whose protocol dataset to prepare")
    train = sub.add_parser("train", help="train a model and save the best checkpoint in Hub layout")
    sub_tasks = train.add_subparsers(dest="task", required=True, metavar="TASK")
    evaluate = sub.add_parser("evaluate", help="the protocol metrics of a model on the reporting split")
    evaluate_tasks = evaluate.add_subparsers(dest="task", required=True, metavar="TASK")
    for task, spec in TASKS.items():
        p = sub_tasks.add_parser(task, help=spec.cli.train_help, formatter_class=DEFAULTS)
        _add_train_arguments(p, task, spec.cli.train_defaults)
        spec.cli.add_train_arguments(p)
        p = evaluate_tasks.add_parser(task, help=f"score {task} models on the protocol", formatter_class=DEFAULTS)
        p.add_argument("--model", default=bundled_model(spec.default_model), help="model directory or Hub repo id")
        p.add_argument("--json", action="store_true", help="print one JSON object")
        p.add_argument("--device", type=device, default=None,
                       help="cpu, cuda, ...; default: cuda if available, else cpu")
        p.add_argument("--write-card", action="store_true", help="also write the measured figures into the model card")
        p.add_argument("--log-scoring", action="store_true",
                       help="log this scoring in the model's training.json and card even where the folder is outside "
                            "this checkout (a downloaded model's folder is left as it is unless asked)")
        spec.cli.add_evaluate_arguments(p)


def build_parser() -> argparse.ArgumentParser:
    installed = Path(sys.argv[0]).name == "rnn-demo"  # the console script of the installed package
    parser = argparse.ArgumentParser(prog="rnn-demo" if installed else "python -m rnn_demo", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    _add_task_commands(sub)
    p = sub.add_parser("push", help="upload a model directory to the Hugging Face Hub as one commit",
                       formatter_class=DEFAULTS)
    p.add_argument("task", choices=task_names(), help="the model's task (checked against its config.json)")
    p.add_argument("--model", required=True, help="the model directory (config.json, weights, model card)")
    p.add_argument("--repo-id", default=None, help="user/name on the Hub; created if it does not exist; default for a "
                   "bundled model: its repository in rnn_demo/project.py")
    p.add_argument("--private", action="store_true", help="create the repository as private")
    p.add_argument("--revision", default=None, help="the branch to commit to (created if needed); default: main")
    p = sub.add_parser("push-dataset", help="upload a task's prepared protocol dataset to the Hub (training "
                       "accepts the repo id back with --data)", formatter_class=DEFAULTS)
    p.add_argument("task", choices=task_names(), help="whose protocol dataset to upload")
    p.add_argument("--repo-id", default=None, help="user/name of the dataset repository; created if needed; default: "
                   "the task's in rnn_demo/project.py, as the model cards name it")
    p.add_argument("--private", action="store_true", help="create the repository as private")
    p = sub.add_parser("pull", help="download a model repository from the Hub (its task is read from config.json)",
                       formatter_class=DEFAULTS)
    p.add_argument("repo_id", help="user/name on the Hub")
    p.add_argument("--revision", default=None, help="a branch, tag or commit sha; default: main")
    p.add_argument("--out", type=Path, default=None, help="directory to put the model in; default: the Hub cache")
    p = sub.add_parser("publish", help="publish the datasets, the bundled models and the Space on the Hub, in that "
                       "order (run again to finish a cut run; an unchanged repository gets no commit)",
                       formatter_class=DEFAULTS)
    p.add_argument("--owner", default=None, help="the Hub user or organization; default: rnn_demo/project.py's")
    p.add_argument("--models", type=Path, default=MODELS_DIR, help="the folder of the models to publish")
    p.add_argument("--dry-run", action="store_true", help="list every file and its destination; send nothing")
    p = sub.add_parser("cards", help="rewrite what the bundled models' cards and the Space's front matter take from "
                       "rnn_demo/project.py and the tasks' plug-ins (the link, datasets, Use section; the measured "
                       "figures stay)", formatter_class=DEFAULTS)
    p.add_argument("--models", type=Path, default=MODELS_DIR, help="the folder of the models (another than the "
                   "bundled ones: the Space's front matter is left alone)")
    p = sub.add_parser("bench", help="speed benchmarks, the baseline measured in the same run", formatter_class=DEFAULTS)
    p.add_argument("what", choices=list(benches()), help="what to measure: " + "; ".join(
        f"{name}: {run.__doc__.splitlines()[0].rstrip('.')}" for name, run in benches().items()).replace("%", "%%"))
    p.add_argument("--model", default=None, help="model directory; default: the bundled model each bench names")
    p.add_argument("--chars", type=whole(1), default=1000, help="generate: characters generated per timed run")
    p.add_argument("--device", type=device, default=None, help="generate: cpu or cuda; default: cpu")
    p.add_argument("--threads", type=whole(1), default=None, help="torch CPU threads; default: as the app runs")
    p.add_argument("--clients", type=whole(1), default=32, help="load: concurrent clients")
    p.add_argument("--seconds", type=positive_number, default=60.0,
                   help="load: how long the clients send measured requests; train: each training's time budget")
    p.add_argument("--warmup", type=seconds, default=30.0, help="load: seconds of the same load before measuring")
    p.add_argument("--with-training", action="store_true",
                   help="load: measure again while a visitor's training runs in the job slot (the Train tab)")
    p.add_argument("--with-flood", action="store_true",
                   help="load: measure again while one client floods heavy jobs under fresh sessions")
    p.add_argument("--sessionless", action="store_true",
                   help="load: plain HTTP calls of the API that name no session (each request a new session)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    add_tab_commands(sub)
    return parser


def cmd_prepare(args: argparse.Namespace) -> None:
    print(TASKS[args.task].cli.prepare())


def _check_stop(stop_at: int | None, eval_every: int, max_steps: int) -> None:
    """A stop before the end comes at a selection step: a stop between them chose a checkpoint there, a candidate the
    run that was never stopped does not score, so that the two could keep different models (an ML review)."""
    if stop_at and stop_at < max_steps and stop_at % eval_every:
        before = stop_at - stop_at % eval_every
        near = f"{before} or {before + eval_every}" if before else str(eval_every)
        raise ValueError(f"--stop-at {stop_at} is not a multiple of --eval-every {eval_every}: the run chooses its "
                         f"checkpoint at those steps, and a stop between them would add one that the run without a "
                         f"stop never scores (stop at {near})")


def cmd_train(args: argparse.Namespace) -> None:
    import torch

    from .parallel import one_cpu_process_note, replicas_for
    from .run_dir import claim as run_dir_claim
    from .run_dir import run_options
    from .training import TrainSettings

    _check_stop(args.stop_at, args.eval_every, args.max_steps)
    if args.threads:
        torch.set_num_threads(args.threads)
    name = f"{args.task}-{args.cell}"
    settings = TrainSettings(max_steps=args.max_steps, lr=args.lr, clip_norm=args.clip_norm, weight_decay=args.weight_decay,
                             eval_every=args.eval_every, seed=args.seed)
    replicas = replicas_for(args.device)
    if replicas.is_main:
        print("training on " + ", ".join(f"{key} {value}" for key, value in replicas.record().items()), flush=True)
    if note := one_cpu_process_note():
        print(note, file=sys.stderr)
    out, run_dir = args.out or MODELS_DIR / name, args.run_dir or Path("checkpoints") / name
    try:
        run_dir_claim(run_dir, run_options(args, out), resume=not args.no_resume, is_main=replicas.is_main)
        state = TASKS[args.task].cli.train(args, settings, out, run_dir, replicas)
        # every rank done (the main one's last save included) before any tears the process group down: a rank
        # leaving while the other still worked died with "terminate called without an active exception" (SIGABRT)
        # in a fresh clone's CI run. Only on success: after a failure the others may never come.
        replicas.wait()
    finally:
        replicas.finish()
    if replicas.is_main:
        print(f"done: best selection loss {state['best_selection_loss']:.4f} at step {state['best_step']}")


def cmd_evaluate(args: argparse.Namespace) -> None:
    _print(TASKS[args.task].cli.evaluate(args), args.json)


def cmd_bench(args: argparse.Namespace) -> None:
    from .runtime import configure_threads

    configure_threads(args.threads)
    _print(benches()[args.what](args), args.json)


def cmd_push(args: argparse.Namespace) -> None:
    from .hub_sync import push_model

    from .backbone import CELLS
    from .project import model_repo

    name = Path(args.model).name
    if args.repo_id is None and not (name.startswith(f"{args.task}-") and name.rsplit("-", 1)[1] in CELLS):
        raise ValueError(f"name the repository with --repo-id (only bundled models, folders named {args.task}-CELL "
                         f"or {args.task}-VARIANT-CELL, have one in rnn_demo/project.py)")
    repo_id = args.repo_id or model_repo(name)
    print(push_model(args.model, args.task, repo_id, private=args.private, revision=args.revision,
                     use=TASKS[args.task].use))


def cmd_push_dataset(args: argparse.Namespace) -> None:
    from .hub_sync import push_dataset

    from .tasks import dataset_repos

    cli = TASKS[args.task].cli
    print(push_dataset(cli.prepare(), args.repo_id or dataset_repos()[args.task], cli.dataset_card,
                       private=args.private))


def cmd_pull(args: argparse.Namespace) -> None:
    from .hub_sync import pull_model

    print(pull_model(args.repo_id, task_names(), revision=args.revision, out=args.out))


def cmd_publish(args: argparse.Namespace) -> None:
    from .project import HUB_OWNER
    from .publish import publish

    publish(args.owner or HUB_OWNER, models_dir=args.models, tasks=task_names(), dry_run=args.dry_run)


def cmd_cards(args: argparse.Namespace) -> None:
    from .hub import ROOT
    from .tasks import dataset_repos
    from .usage import refresh_front_matter, refreshed_card

    cards = {directory / "README.md": refreshed_card(directory, task, spec.use, spec.dataset,
                                                     language=spec.cli.dataset_card.get("language"))
             for task, spec in TASKS.items() for directory in sorted(Path(args.models).glob(f"{task}-*"))}
    # every card read before any is written: a folder that cannot be refreshed leaves them all as they were
    if args.models == MODELS_DIR and (ROOT / "README.md").is_file():  # in a checkout: the Space's front matter
        refresh_front_matter(ROOT / "README.md", dataset_repos().values())
    for path, text in cards.items():
        path.write_text(text, encoding="utf-8")
        print(path)


def _print(result: dict, as_json: bool) -> None:
    print(json.dumps(result) if as_json else "\n".join(f"{k}: {v}" for k, v in result.items()))


COMMANDS = {"prepare": cmd_prepare, "train": cmd_train, "evaluate": cmd_evaluate,
            "bench": cmd_bench, "push": cmd_push, "push-dataset": cmd_push_dataset,
            "pull": cmd_pull, "publish": cmd_publish, "cards": cmd_cards}


APP_PACKAGES = ("gradio", "gradio_client", "plotly", "authlib", "itsdangerous")  # pyproject.toml's "app" extra


def main(argv: list[str] | None = None) -> int:
    from .training import COMMAND_ARGS

    args = build_parser().parse_args(argv)
    running = COMMAND_ARGS.set(sys.argv[1:] if argv is None else list(argv))
    try:
        (getattr(args, "run", None) or COMMANDS[args.command])(args)
    except (DataError, ModelLoadError, HubTransferError, ValueError, OSError) as error:  # OSError: a path not found
        print(f"error: {error}", file=sys.stderr)
        return 1
    except ModuleNotFoundError as error:
        package = (error.name or "").split(".")[0]
        if package == "sklearn":  # the TF-IDF baseline's, a development tool
            print("error: this benchmark needs scikit-learn, a development tool: pip install -r requirements-dev.txt "
                  "in a checkout", file=sys.stderr)
            return 1
        if package not in APP_PACKAGES:
            raise
        extra = INSTALL.replace(" @ ", "[app] @ ", 1)
        print(f"error: this command runs the app, which needs {error.name}: install the package's app extra, pip "
              f"install \"{extra}\" (or requirements.txt in a checkout)", file=sys.stderr)
        return 1
    finally:
        COMMAND_ARGS.reset(running)
    return 0


if __name__ == "__main__":
    from .parallel import end_rank, launched

    if launched():  # a rank of `accelerate launch ... -m rnn_demo`: its own way out (see end_rank)
        end_rank(main)
    sys.exit(main())
