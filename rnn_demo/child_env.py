"""The environment of a process that runs a visitor's work (the job slot's worker, the Hub readers and pushers):
the app's, without the Space's own Hub token and with huggingface_hub's implicit token (a saved login) turned off,
so that nothing a visitor runs acts as the Space. A process that needs a visitor's token is handed it otherwise."""
from __future__ import annotations

import os

SPACE_TOKENS = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")  # the Space's: never handed to a child that acts for a visitor


def visitor_environment(**extra: str) -> dict[str, str]:
    """os.environ without SPACE_TOKENS, the implicit token off, and `extra` set."""
    environment = {key: value for key, value in os.environ.items() if key not in SPACE_TOKENS}
    return {**environment, "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1", **extra}
