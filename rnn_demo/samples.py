"""The sample files of the checkout's samples/ folder, offered beside every upload box: downloadable, and one click
to use (samples/README.md says where each comes from). An installed package has no samples/: the boxes go without."""
from __future__ import annotations


from .hub import ROOT

SAMPLES_DIR = ROOT / "samples"


def sample(name: str) -> str | None:
    """The path of the sample file `name`, or None where there is none (an installed package)."""
    path = SAMPLES_DIR / name
    return str(path) if path.is_file() else None


def samples(*names: str) -> list[str]:
    """The paths of those of `names` that exist, in order."""
    return [path for path in map(sample, names) if path]
