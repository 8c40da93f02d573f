"""Where the project is published: the one place that names the Hub account, its repositories and the code's address.

The model cards (their link, install line, `from_pretrained` ids and datasets), the README's front matter, the
defaults of `push` and `push-dataset`, and the bundled models' fallback when no folder holds them all read these
names; `python -m rnn_demo cards` rewrites the bundled cards from them and the tests keep the README and cards in
step. The code lives in the Space's own git repository (a Space is one), so pip installs the package from there:
change `HUB_OWNER` and everything follows.
"""
from __future__ import annotations

HUB_OWNER = "rnn-demo"  # the Hub user or organization that holds the Space, the models and the datasets
SPACE_ID = f"{HUB_OWNER}/rnn-demo"
CODE_URL = f"https://huggingface.co/spaces/{SPACE_ID}"  # the Space's git repository, which holds this code
INSTALL = f"rnn-demo @ git+{CODE_URL}"  # what `pip install` takes

# The protocol datasets as `push-dataset` names them, by task
DATASETS = {"text": f"{HUB_OWNER}/rnn-demo-shakespeare", "sentiment": f"{HUB_OWNER}/rnn-demo-imdb",
            "forecast": f"{HUB_OWNER}/rnn-demo-elecdemand"}


def model_repo(name: str) -> str:
    """The Hub repository of the bundled model `name` (a folder name under models/, e.g. "text-lstm")."""
    return f"{HUB_OWNER}/rnn-demo-{name}"
