"""The "Use" section of a model card: the package way, and PyTorch alone for people who only download a model.

Each task's snippets are its plug-in's `Use` (the task's `use.py`); the plain one rebuilds the network from
`config.json` and `model.safetensors` with `torch`, `safetensors` and `json` (and what `Use.extras` names) and runs it; `tests/test_cards.py` runs every bundled card's snippet
against the package's float32 path. `refresh_card` rewrites what a card takes from `project.py` (the section, the
link to the code, the datasets) and leaves the measured figures as they are.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import yaml

from .backbone import CELLS
from .plugin import Use
from .project import PROJECT, Project

LOAD = '''import json
import torch
from safetensors.torch import load_file
IMPORTS
folder = "FOLDER"  # hf download REPO --local-dir FOLDER
config = json.load(open(f"{folder}/config.json"))
weights = {name: tensor.float() for name, tensor in load_file(f"{folder}/model.safetensors").items()}
Cell = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[config["cell"]]
'''  # the start of every task's plain snippet (its `Use.snippet`): IMPORTS stands for the task's own imports


COMMAND_LINE = "on the command line:"  # the sentence of a section that gives the task's command

# What the config.json fields every task's models have hold (each task's Use.config_fields adds its own)
SHARED_FIELDS = {
    "cell": "the recurrent cell: `rnn` (tanh), `gru` or `lstm`, as PyTorch's `nn.RNN`, `nn.GRU` and `nn.LSTM` compute "
            "them",
    "hidden_size": "the size of each recurrent layer's hidden state",
    "num_layers": "how many recurrent layers are stacked",
    "dropout": "the dropout probability used while training; inference applies none",
    "storage_dtype": "the dtype of the tensors in `model.safetensors` (the model computes in float32: the snippets "
                     "convert them)",
    "task": "the rnn-demo task the model is for (`text`, `sentiment` or `forecast`): the package refuses to load a "
            "model of another task",
}


def config_table(fields: Iterable[str], use: Use) -> str:
    """The card's table of the config.json `fields` (sorted, as the file has them): what each holds."""
    described = {**SHARED_FIELDS, **use.config_fields}
    rows = "\n".join(f"| `{name}` | {described[name]} |" for name in sorted(fields))
    return f"| field | what it holds |\n| --- | --- |\n{rows}"


def bundled_repo(task: str, name: str, project: Project = PROJECT) -> str | None:
    """The Hub repository of the bundled model in the folder `name` (text-lstm, forecast-temperature-gru), or None."""
    bundled = name.startswith(f"{task}-") and name.rsplit("-", 1)[1] in CELLS
    return project.model_repo(name) if bundled else None


def use_section(task: str, use: Use, name: str, project: Project = PROJECT, repo: str | None = None,
                protocol: bool = True) -> str:
    """The card's "## Use" section (`use`: the task's snippets) for the model in the folder `name`: the repository
    `repo` it is pushed to if given (its download folder named as the repository); else a bundled model's (e.g.
    "text-lstm") names its Hub repository in `project`, another's names `<user>/<name>` for its owner to fill in.
    `protocol`: a model trained on the protocol's data, with the task's command (it scores that data) and the
    task's "## Limitations" section after it (not for a model of a visitor's own data)."""
    folder = repo.rsplit("/", 1)[-1] if repo else f"rnn-demo-{name}"
    repo = repo or bundled_repo(task, name, project) or f"<user>/{name}"
    snippet = use.snippet.replace("FOLDER", folder).replace("REPO", repo)
    command_line = f"\nor {use.command_does} {COMMAND_LINE} `{use.command.replace('REPO', repo)}`.\n" if protocol else ""
    limitations = (f"\n## Limitations\n\n{use.limitations} The protocol (its data, splits and metrics) is in [the "
                   f"project's README]({project.code_url}/blob/main/README.md#data-and-protocols).\n"
                   f"{citation(use, project)}" if protocol and use.limitations else "")
    return f"""## Use

With the package (`pip install "{project.install}"`: the models, the command line, training and evaluation; the
web app's packages come with the `[app]` extra. On a machine without a GPU, install torch's CPU build first: `pip
install torch --index-url https://download.pytorch.org/whl/cpu`):

```python
{use.package.replace("REPO", repo)}
```
{command_line}
With PyTorch alone (`torch`, `safetensors`{use.extras}), from the downloaded folder:

```python
{snippet.rstrip()}
```

What `config.json` holds:

{config_table(SHARED_FIELDS.keys() | use.config_fields.keys(), use)}
{limitations}"""


def citation(use: Use, project: Project = PROJECT) -> str:
    """The card's "## Citation" section: the project, and the protocol data's source where it asks to be cited."""
    data = f"\n\nand the data's source:\n\n```bibtex\n{use.cite.strip()}\n```" if use.cite else ""
    return f"""
## Citation

```bibtex
@misc{{rnn-demo,
  title = {{rnn-demo: recurrent neural networks at work}},
  howpublished = {{\\url{{{project.code_url}}}}},
  year = {{2026}}
}}
```{data}
"""


def with_use_section(card: str, section: str) -> str:
    """A card's text (or its body) with `section` as its "## Use" section, the last one (added if it had none)."""
    return card.split("\n## Use\n")[0].rstrip() + "\n\n" + section


def card_for_repo(card: str, task: str, use: Use, name: str, repo: str) -> str:
    """The card of the model in the folder `name` as pushed to `repo`: its "## Use" section names that repository,
    so a model trained into a bundled model's folder name (the commands' default) and pushed to its owner's
    repository does not send people to the project's. A card with no such section (the one `train` writes) stays as
    it is."""
    if "\n## Use\n" not in card:
        return card
    section = card.split("\n## Use\n")[-1]
    return with_use_section(card, use_section(task, use, name, repo=repo, protocol=COMMAND_LINE in section))


def plain_snippet(card: str) -> str:
    """The PyTorch-alone snippet of a card's text."""
    return re.search(r"With PyTorch alone.*?```python\n(.*?)```", card, re.S).group(1)


def refresh_card(directory: str | Path, task: str, use: Use, dataset: str, project: Project = PROJECT,
                 language: list[str] | None = None) -> None:
    """Rewrite what the card in `directory` takes from project.py: `refreshed_card`, written back."""
    text = refreshed_card(directory, task, use, dataset, project, language)
    (Path(directory) / "README.md").write_text(text, encoding="utf-8")


def refreshed_card(directory: str | Path, task: str, use: Use, dataset: str, project: Project = PROJECT,
                   language: list[str] | None = None) -> str:
    """The card in `directory` with what it takes from project.py (`project`: the account it is published under)
    made current: the dataset (`dataset`: the task's protocol dataset, its name under the account), the link to the
    code, and the "## Use" section (the last one; `use`: the task's snippets); the task of its model-index as
    `pipeline_tag`, a macro-averaged metric's `args`, and `language` if given; the count of test scorings as
    training.json logs them; a bundled model's
    "Reproduce" commands with its Hub id. The measured figures stay. A folder without a card, or a card without
    front matter, is a clear error."""
    path = Path(directory) / "README.md"
    if not path.is_file():
        raise ValueError(f"{directory} has no model card (README.md): `evaluate` writes one (--write-card)")
    parts = path.read_text(encoding="utf-8").split("---\n", 2)
    if len(parts) < 3 or parts[0].strip():
        raise ValueError(f"{path} does not start with front matter (lines between two `---`): it is not a model card")
    _, front, body = parts
    data = yaml.safe_load(front)
    data["datasets"] = [project.dataset_repo(dataset)]
    for entry in data.get("model-index", []):
        for result in entry["results"]:
            result["dataset"]["type"] = project.dataset_repo(dataset)
            data["pipeline_tag"] = result["task"]["type"]
            for metric in result.get("metrics", []):  # a macro average said where the Hub reads it, in `args`
                if "macro" in str(metric.get("name", "")).lower().split():
                    metric.setdefault("args", {"average": "macro"})
    if language:
        data["language"] = language
    body = re.sub(r"Part of \[rnn-demo\]\([^)]*\)", f"Part of [rnn-demo]({project.code_url})", body)
    body = with_use_section(body, use_section(task, use, Path(directory).name, project))
    body = _counted_scorings(body, directory)
    if repo := bundled_repo(task, Path(directory).name, project):  # the Hub's reader has no checkout's models/
        body = re.sub(r"Reproduce: `python -m rnn_demo (evaluate \w+) --model \S+",
                      rf"Reproduce: `rnn-demo \1 --model {repo}", body)
    front = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    return f"---\n{front}---\n{body}"


def _counted_scorings(body: str, directory: str | Path) -> str:
    """The card's count of looks at the test data as training.json logs them, in words ("once", "3 times")."""
    from .hub import SCORINGS, times_text
    from .training import read_training_record

    count = len(read_training_record(directory).get("test_scorings", []))
    return SCORINGS.sub(lambda found: found.group(1) + times_text(count), body) if count else body


def refresh_front_matter(readme: str | Path, datasets: Iterable[str]) -> None:
    """The Space's README: its front matter's `datasets` list made `datasets` (the protocol datasets' Hub ids, as
    push-dataset names them)."""
    path = Path(readme)
    path.write_text(front_matter_list(path.read_text(encoding="utf-8"), "datasets", datasets), encoding="utf-8")


def front_matter_list(text: str, key: str, values: Iterable[str]) -> str:
    """A README's `text` with its front matter's list `key` made `values` (added before the closing line if new)."""
    listed = f"{key}:\n" + "".join(f"- {value}\n" for value in values)
    front, rest = text.split("\n---\n", 1)
    pattern = rf"^{key}:\n(?:- .*\n?)+"
    front = (re.sub(pattern, listed, front + "\n", flags=re.M) if re.search(pattern, front + "\n", flags=re.M)
             else front + "\n" + listed).rstrip("\n")
    return f"{front}\n---\n{rest}"
