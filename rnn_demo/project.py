"""Where the project is published: the one place that names the Hub account, its repositories and the code's address.

The model cards (their link, install line, `from_pretrained` ids and datasets), the README's front matter, the
defaults of `push`, `push-dataset` and `publish`, and the bundled models' fallback when no folder holds them all
read these names; `python -m rnn_demo cards` rewrites the bundled cards from them and the tests keep the README and
cards in step. The code lives in the Space's own git repository (a Space is one), so pip installs the package from
there: change `HUB_OWNER` and everything follows. `publish --owner NAME` publishes under another account: it uses
`Project(NAME)`, the same names under that owner.
"""
from __future__ import annotations

from dataclasses import dataclass

HUB_OWNER = "rnn-demo"  # the Hub user or organization that holds the Space, the models and the datasets


@dataclass(frozen=True)
class Project:
    """The project's repositories under one Hub account."""

    owner: str = HUB_OWNER

    @property
    def space_id(self) -> str:
        return f"{self.owner}/rnn-demo"

    @property
    def code_url(self) -> str:
        """The Space's git repository, which holds this code."""
        return f"https://huggingface.co/spaces/{self.space_id}"

    @property
    def install(self) -> str:
        """What `pip install` takes."""
        return f"rnn-demo @ git+{self.code_url}"

    def dataset_repo(self, name: str) -> str:
        """The Hub id of the protocol dataset `name` (a task plug-in's `dataset`, e.g. "rnn-demo-shakespeare");
        `tasks.dataset_repos` gives them by task."""
        return f"{self.owner}/{name}"

    def model_repo(self, name: str) -> str:
        """The Hub repository of the bundled model `name` (a folder name under models/, e.g. "text-lstm")."""
        return f"{self.owner}/rnn-demo-{name}"


PROJECT = Project()
SPACE_ID, CODE_URL, INSTALL = PROJECT.space_id, PROJECT.code_url, PROJECT.install
model_repo = PROJECT.model_repo
