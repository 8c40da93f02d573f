"""Section 5, the four shapes of a recurrent network: a small diagram of each (inline SVG, drawn here) and which
tab of the app uses which, and how."""
from __future__ import annotations

# Each shape: which steps take an input (x), which give an output (y); an encoder-decoder passes the encoder's
# last state to a decoder that reads its own outputs back.
SHAPES = {
    "one to many": ([0], [0, 1, 2, 3]),
    "many to one": ([0, 1, 2, 3], [3]),
    "many to many": ([0, 1, 2, 3], [0, 1, 2, 3]),
    "encoder-decoder": ([0, 1, 2], [3, 4, 5]),
}
USES = """
| shape | in this app |
| --- | --- |
| **many to many** | **Text generation, in training**: the network reads a stretch of a play and, at every character, \
predicts the next one (one output per input). |
| **one to many** | **Text generation, when it writes**: from a prompt (or one newline) the network runs on its own \
output, each sampled character becoming the next input. |
| **many to one** | **Sentiment**: the network reads the whole review (in both directions) and gives one verdict, from \
the highest value each feature reaches over the review. |
| **many to many, read out at the end** | **Forecasting**: one pass over the past week and then the 48 half-hours to \
forecast (their calendar and last-day and last-week demand are known in advance; their demand is not); the head \
reads the states of those last 48 steps only. No separate decoder: not an encoder-decoder. |
| **encoder-decoder** | Not used here: translation and summarising models read a whole sequence into a state, then \
a second network writes another sequence from it (Sutskever et al. 2014). |
"""

BOX, GAP = 26, 40  # pixels


def _box(x: int, y: int, label: str, fill: str) -> str:
    return (f'<rect x="{x}" y="{y}" width="{BOX}" height="{BOX}" rx="4" fill="{fill}" stroke="#333"/>'
            f'<text x="{x + BOX / 2}" y="{y + BOX / 2 + 4}" font-size="11" text-anchor="middle">{label}</text>')


def _arrow(x1: float, y1: float, x2: float, y2: float) -> str:
    return f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#333" marker-end="url(#arrow)"/>'


def shape_svg(name: str) -> str:
    """One shape as an SVG: inputs (blue) below, the recurrent cells (grey) in a row, outputs (red) above."""
    inputs, outputs = SHAPES[name]
    steps = max(inputs + outputs) + 1
    width, parts = 20 + steps * GAP, []
    for t in range(steps):
        x = 10 + t * GAP
        parts.append(_box(x, 50, "h", "#dddddd"))
        if t:
            parts.append(_arrow(x - GAP + BOX, 63, x, 63))
        if t in inputs:
            parts += [_box(x, 100, "x", "#9ecae1"), _arrow(x + BOX / 2, 100, x + BOX / 2, 76)]
        if t in outputs:
            parts += [_box(x, 0, "y", "#fc9272"), _arrow(x + BOX / 2, 50, x + BOX / 2, 26)]
    marker = ('<defs><marker id="arrow" markerWidth="8" markerHeight="8" refX="7" refY="4" orient="auto">'
              '<path d="M0,0 L8,4 L0,8 z" fill="#333"/></marker></defs>')
    return (f'<figure style="display:inline-block;margin:0 18px 8px 0"><svg width="{width}" height="130" '
            f'role="img" aria-label="{name}">{marker}{"".join(parts)}</svg><figcaption style="text-align:center">'
            f'{name}</figcaption></figure>')


def shapes_html() -> str:
    """The four diagrams side by side."""
    return "<div>" + "".join(shape_svg(name) for name in SHAPES) + "</div>"
