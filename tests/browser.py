"""The launched app in a real headless Chromium (Debian's package), for the browser tests."""
from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager

from tests.appserver import ROOT

OUTPUT = ROOT / "test-output"  # screenshots, on every run
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@contextmanager
def app_page(url: str, width: int = 1400, height: int = 1100) -> Iterator[object]:
    """A Playwright page showing the app at `url` (conftest's `bundled_app`: app.py on the bundled weights)."""
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    assert executable, "Debian's chromium is not installed: run the README's test command"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": width, "height": height})
        page.goto(url)
        examples_shown(page)
        try:
            yield page
        finally:
            browser.close()


def examples_shown(page) -> None:
    """Wait for the page's worked examples, which arrive together (ui/common.py first_visit): a test drives a page
    after them, as a visitor does, so that none lands on inputs the test has already set."""
    page.get_by_text("An example: the").first.wait_for(timeout=90_000)


def progress_values(page, seconds: float = 120, distinct: int | None = None) -> list[float]:
    """The shares done (0 to 1) the page's progress bar (an HTML <progress> in the streamed status) shows, from now
    until it has come and gone (the work ended), or has shown `distinct` different shares, or `seconds` have passed,
    read every 0.2 s."""
    values, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        shown = page.locator("progress:visible").evaluate_all("bars => bars.map(bar => bar.value)")
        if shown:
            values.append(max(shown))
            if distinct and len(set(values)) >= distinct:
                break
        elif values:  # it came and went
            break
        time.sleep(0.2)
    return values
