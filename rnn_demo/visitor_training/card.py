"""The model card of a model a visitor trained in the Train tab, written by the code that writes the bundled models'
cards (`hub.write_model_card`): the data described, the held-out metric, the settings and the wall time."""
from __future__ import annotations

from pathlib import Path

from ..backbone import CELL_LABELS
from ..display import md_text
from ..hub import write_model_card
from ..plugin import VisitorTraining
from ..project import CODE_URL
from ..scoring_clock import ScoringClock
from ..tasks import TASKS
from ..training import TrainSettings
from ..usage import use_section



def summary_lines(summary: dict[str, object]) -> str:
    """What the task's reader measured of the file, as the page's summary shows it: a visitor's text (a label
    named `<img src=...>` or `[a](link)`, from their file or a Hub dataset's) as text, never as Markdown or HTML."""
    def shown(value: object) -> str:
        if isinstance(value, dict):  # labels and their training rows
            return ", ".join(f"{md_text(str(label))} ({count:,})" for label, count in value.items())
        return f"{value:,}" if isinstance(value, int) else md_text(str(value))
    return "\n".join(f"- {name}: {shown(value)}" for name, value in summary.items())


def write_visitor_card(folder: str | Path, kind: str, part: VisitorTraining, cell: str, size: str, data_name: str,
                       summary: dict[str, object], best: dict, budget: float, settings: TrainSettings,
                       chosen_by: str = "held-out loss", device: str = "cpu", dataset_id: str | None = None,
                       scorings: int = 1) -> None:
    """README.md for a visitor's model of the task `kind` (`part`: its Train tab part) in `folder`: `best` is the
    training job's progress entry of the best step (its held-out metric and loss), `summary` what the task's reader
    measured of the file, `dataset_id` the Hub dataset it came from (linked in the card's metadata), if it did;
    `scorings`: how many times the run scored the held-out part, whose best the card's figure is."""
    what = part.what
    metric = {"type": part.metric_type, "name": f"held-out {best['metric']}",
              "value": round(best["value"], 4)}
    body = f"""Trained in the [rnn-demo]({CODE_URL}) app's Train tab on a visitor's own data: {what}, a \
{CELL_LABELS[cell]} of the "{size}" size preset.

## Data

The file: {md_text(data_name)}, as the app read it:

{summary_lines(summary)}

## Evaluation

On the held-out part, which also chose the checkpoint: the best of its {scorings:,} scoring{'s' if scorings != 1 else ''} \
there, so the figure flatters the model, the more so the smaller the part and the more the scorings: \
{best['metric']} {best['value']:.4f}, held-out loss {best['held_out_loss']:.4f}, at step {best['step']:,}.

## Training

The project's own training loop (`rnn_demo.training.training_run`): AdamW, learning rate {settings.lr:g} after a \
{settings.warmup_steps}-step warm-up, seed {settings.seed}, the held-out part scored by wall time \
(every {ScoringClock.shortest:g} to {ScoringClock.longest:g} s, aiming at {ScoringClock.share:.0%} of the run), the \
checkpoint of lowest {chosen_by} kept; {best['seconds']:.0f} s of wall time to \
that step, on {"one thread of the app's CPU" if device == "cpu" else "the app's GPU"} (the run had {budget:.0f} s and \
stops at the first scoring past them).

{use_section(kind, TASKS[kind].use, f"my-{kind}-{cell}", protocol=False)}"""
    write_model_card(folder, title=f"rnn-demo {kind} {CELL_LABELS[cell]} (trained in the app)",
                     summary=f"{what[0].upper()}{what[1:]} trained on a visitor's own data.",
                     tags=[kind, cell, "trained-in-the-app"],
                     datasets=[dataset_id] if dataset_id else [], metrics=[metric],
                     task_type=part.task_type, dataset_name=data_name, body=body, license="other")
