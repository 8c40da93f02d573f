"""Line charts drawn with Pillow (which gradio installs), for the README's figures: the frame, grid, legend,
titles and saving they share. Each figure maps its own data to pixels inside `plot_box`."""
from __future__ import annotations

from pathlib import Path

GRID, LEGEND_X = (225, 225, 225), 15  # grid lines' colour; the legend's start, right of the plot


class LineChart:
    """A white canvas with a plot area of `width` x `height` less the margins (left, top, right, bottom)."""

    def __init__(self, width: int, height: int, margins: tuple[int, int, int, int]) -> None:
        from PIL import Image, ImageDraw, ImageFont

        self.width, self.height = width, height
        self.left, self.top, right, bottom = margins
        self.plot_w, self.plot_h = width - self.left - right, height - self.top - bottom
        self.image = Image.new("RGB", (width, height), "white")
        self.pen, self.font = ImageDraw.Draw(self.image), ImageFont.load_default(size=15)

    def text(self, at: tuple[float, float], words: str, anchor: str, fill: object = "black") -> None:
        self.pen.text(at, words, fill=fill, font=self.font, anchor=anchor)

    def y_grid(self, y: float, label: str) -> None:
        """A horizontal grid line at pixel row `y`, labelled on the left."""
        self.pen.line([(self.left, y), (self.left + self.plot_w, y)], fill=GRID)
        self.text((self.left - 8, y), label, "rm")

    def x_label(self, x: float, label: str, tick: bool = False) -> None:
        """A label under the plot at pixel column `x` (with a tick mark)."""
        bottom = self.top + self.plot_h
        if tick:
            self.pen.line([(x, bottom), (x, bottom + 5)], fill="black")
        self.text((x, bottom + 8), label, "mt")

    def legend(self, row: int, colour: tuple[int, int, int], label: str) -> None:
        y, x = self.top + 20 + 24 * row, self.left + self.plot_w + LEGEND_X
        self.pen.line([(x, y), (x + 30, y)], fill=colour, width=3)
        self.text((x + 37, y), label, "lm")

    def frame(self) -> None:
        self.pen.rectangle([self.left, self.top, self.left + self.plot_w, self.top + self.plot_h], outline="black")

    def titles(self, title: str, x_axis: str) -> None:
        self.text((self.width / 2, 22), title, "mm")
        self.text((self.left + self.plot_w / 2, self.height - 22), x_axis, "mm")

    def save(self, path: str | Path) -> Path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.image.save(path)
        return Path(path)
