"""The "Use" section of a model card: the package way, and PyTorch alone for people who only download a model.

Each task's plain snippet rebuilds the network from `config.json` and `model.safetensors` with `torch`, `safetensors`
and `json` (and `tokenizers` for sentiment) and runs it; `tests/test_cards.py` runs every bundled card's snippet
against the package's float32 path. `refresh_card` rewrites what a card takes from `project.py` (the section, the
link to the code, the datasets) and leaves the measured figures as they are.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import yaml

from .backbone import CELLS
from .project import PROJECT, Project

LOAD = '''import json
import torch
from safetensors.torch import load_file
IMPORTS
folder = "FOLDER"  # hf download REPO --local-dir FOLDER
config = json.load(open(f"{folder}/config.json"))
weights = {name: tensor.float() for name, tensor in load_file(f"{folder}/model.safetensors").items()}
Cell = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[config["cell"]]
'''

TEXT = LOAD.replace("IMPORTS", "") + '''\
vocab = config["vocab"]
embed = torch.nn.Embedding(len(vocab), config["embedding_dim"])
rnn = Cell(config["embedding_dim"], config["hidden_size"], config["num_layers"], batch_first=True)
head = torch.nn.Linear(config["hidden_size"], len(vocab))
for name, module in (("embed.", embed), ("backbone.rnn.", rnn), ("head.", head)):
    module.load_state_dict({k[len(name):]: v for k, v in weights.items() if k.startswith(name)})

prompt = "ROMEO:"
ids = torch.tensor([[vocab.index(c) if c in vocab else 0 for c in prompt]])  # 0: "<unk>"
with torch.no_grad():
    outputs, state = rnn(embed(ids))  # (1, time, hidden); `state` goes on with the next character
    probs = torch.softmax(head(outputs[0, -1]), -1)  # (vocab,): the next character
for p, i in zip(*probs.topk(5)):
    print(repr(vocab[i]), round(p.item(), 3))
'''

SENTIMENT = LOAD.replace("IMPORTS", "from tokenizers import Tokenizer\n") + '''\
tokenizer = Tokenizer.from_file(f"{folder}/tokenizer.json")
embed = torch.nn.Embedding(config["vocab_size"], config["embedding_dim"])
rnn = Cell(config["embedding_dim"], config["hidden_size"], config["num_layers"], batch_first=True,
           bidirectional=config["bidirectional"])
head = torch.nn.Linear(config["hidden_size"] * (2 if config["bidirectional"] else 1), len(config["labels"]))
for name, module in (("embed.", embed), ("backbone.rnn.", rnn), ("head.", head)):
    module.load_state_dict({k[len(name):]: v for k, v in weights.items() if k.startswith(name)})

review = "A moving story, wonderfully acted; I was never bored."
ids = torch.tensor([tokenizer.encode(review).ids[:config["max_tokens"]]])
with torch.no_grad():
    outputs, _ = rnn(embed(ids))  # (1, tokens, hidden * directions)
    probs = torch.softmax(head(outputs.amax(1))[0], -1)  # max over the tokens, then the head: (labels,)
print(dict(zip(config["labels"], probs.tolist())))
'''

FORECAST = LOAD.replace("IMPORTS", "import torch.nn.functional as F\n") + '''\
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

SNIPPETS = {"text": TEXT, "sentiment": SENTIMENT, "forecast": FORECAST}
PACKAGE = {  # the package's way: (Python, a command)
    "text": ("""from rnn_demo.text.infer import Sampling, generate
from rnn_demo.text.model import CharLM
from rnn_demo.text.stepper import CharStepper

stepper = CharStepper(CharLM.from_pretrained("REPO"))  # int8 weights on a CPU, float32 on a GPU
print("".join(generate(stepper, "ROMEO:", Sampling(max_new_chars=300, temperature=0.8, seed=1))))""",
             'rnn-demo generate --model REPO --prompt "ROMEO:"'),
    "sentiment": ("""from huggingface_hub import snapshot_download
from rnn_demo.sentiment.infer import classify_reviews
from rnn_demo.sentiment.model import ReviewClassifier
from rnn_demo.sentiment.tokenizer import load_tokenizer

folder = snapshot_download("REPO")
model, tokenizer = ReviewClassifier.from_pretrained(folder), load_tokenizer(folder)
print(classify_reviews(model, tokenizer, ["A moving story, wonderfully acted; I was never bored."]))""",
                  "rnn-demo evaluate sentiment --model REPO"),
    "forecast": ("""from rnn_demo.forecast.infer import Series, forecast_quantiles
from rnn_demo.forecast.model import Forecaster

model = Forecaster.from_pretrained("REPO")
series = Series(times, values, workday)  # your half-hourly pandas DatetimeIndex, demand, working-day flags (numpy)
quantiles = forecast_quantiles(model, series, [len(series)])  # (1, 48, 3): the next day's 10/50/90% quantiles""",
                 "rnn-demo evaluate forecast --model REPO"),
}
EXTRAS = {"text": "", "sentiment": ", `tokenizers`", "forecast": ""}


def use_section(task: str, name: str, project: Project = PROJECT) -> str:
    """The card's "## Use" section for the model in the folder `name`: a bundled model's (e.g. "text-lstm") names its
    Hub repository in `project`, another's names `<user>/<name>` for its owner to fill in."""
    bundled = name in {f"{task}-{cell}" for cell in CELLS}
    repo, code, command = project.model_repo(name) if bundled else f"<user>/{name}", *PACKAGE[task]
    snippet = SNIPPETS[task].replace("FOLDER", f"rnn-demo-{name}").replace("REPO", repo)
    return f"""## Use

With the package (`pip install "{project.install}"`):

```python
{code.replace("REPO", repo)}
```

or on the command line: `{command.replace("REPO", repo)}`.

With PyTorch alone (`torch`, `safetensors`{EXTRAS[task]}), from the downloaded folder:

```python
{snippet.rstrip()}
```
"""


def plain_snippet(card: str) -> str:
    """The PyTorch-alone snippet of a card's text."""
    return re.search(r"With PyTorch alone.*?```python\n(.*?)```", card, re.S).group(1)


def refresh_card(directory: str | Path, task: str, project: Project = PROJECT, language: list[str] | None = None
                 ) -> None:
    """Rewrite what the card in `directory` takes from project.py (`project`: the account it is published under):
    the datasets, the link to the code, and the "## Use" section (the last one); the task of its model-index as
    `pipeline_tag`, and `language` if given. The measured figures stay."""
    path = Path(directory) / "README.md"
    _, front, body = path.read_text(encoding="utf-8").split("---\n", 2)
    data = yaml.safe_load(front)
    data["datasets"] = [project.datasets[task]]
    for entry in data.get("model-index", []):
        for result in entry["results"]:
            result["dataset"]["type"] = project.datasets[task]
            data["pipeline_tag"] = result["task"]["type"]
    if language:
        data["language"] = language
    body = re.sub(r"Part of \[rnn-demo\]\([^)]*\)", f"Part of [rnn-demo]({project.code_url})", body)
    body = body.split("\n## Use\n")[0].rstrip() + "\n\n" + use_section(task, Path(directory).name, project)
    front = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    path.write_text(f"---\n{front}---\n{body}", encoding="utf-8")


def refresh_front_matter(readme: str | Path, project: Project = PROJECT) -> None:
    """The Space's README: its front matter's `datasets` list made the protocol datasets as push-dataset names them."""
    path = Path(readme)
    path.write_text(front_matter_list(path.read_text(encoding="utf-8"), "datasets", project.datasets.values()),
                    encoding="utf-8")


def front_matter_list(text: str, key: str, values: Iterable[str]) -> str:
    """A README's `text` with its front matter's list `key` made `values` (added before the closing line if new)."""
    listed = f"{key}:\n" + "".join(f"- {value}\n" for value in values)
    front, rest = text.split("\n---\n", 1)
    pattern = rf"^{key}:\n(?:- .*\n?)+"
    front = (re.sub(pattern, listed, front + "\n", flags=re.M) if re.search(pattern, front + "\n", flags=re.M)
             else front + "\n" + listed).rstrip("\n")
    return f"{front}\n---\n{rest}"
