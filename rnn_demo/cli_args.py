"""Argument types of the command line, checked by argparse itself: a bad value is its one-line usage error
(`error: argument --eval-every: '0' is not a whole number of at least 1`), never a traceback from deep inside."""
from __future__ import annotations

import argparse
import math
import re
from collections.abc import Callable

DEVICE = re.compile(r"cpu|cuda(:\d+)?")  # the devices this project runs on (README: CUDA when there is one, else CPU)


def whole(least: int) -> Callable[[str], int]:
    """A type: a whole number of at least `least`."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < least:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least {least}")
        return value
    parse.__name__ = f"whole number >= {least}"
    return parse


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan


def positive_number(text: str) -> float:
    """A type: a finite number above 0."""
    if not (math.isfinite(value := _number(text)) and value > 0):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number above 0")
    return value


def seconds(text: str) -> float:
    """A type: a finite number of seconds, 0 or more."""
    if not (math.isfinite(value := _number(text)) and value >= 0):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds (0 or more)")
    return value


def device(text: str) -> str:
    """A type: cpu, cuda or cuda:N (whether it is there is checked when it is used)."""
    if not DEVICE.fullmatch(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a device: use cpu, cuda or cuda:N")
    return text
