"""The Gradient lab tab in a real headless Chromium against the launched app: a preset loaded and trained, its two
runs streamed to the page, a diverged run told apart; a screenshot for the README."""
import re

import pytest
from playwright.sync_api import expect

from rnn_demo.lab.net import CELL_NAMES
from rnn_demo.lab.presets import preset
from tests.browser import OUTPUT, app_page, examples_shown, progress_values

pytestmark = [pytest.mark.slow, pytest.mark.browser]
PRESET = "exploding gradients: unclipped, one step wrecks the run; clipped, it learns"
LONG = "the LSTM remembers at T = 80; the vanilla RNN does not"  # a run long enough to stop or leave


@pytest.fixture(scope="module")
def page(bundled_app):
    with app_page(bundled_app, height=1400) as page:
        page.get_by_role("tab", name="Gradient lab").click()
        page.get_by_role("button", name="Train", exact=True).wait_for(timeout=30_000)
        yield page


def _train_preset(page, name: str, compare: bool = True) -> None:
    """Choose the preset `name`, load it (checking that it sets run B on or off as `compare`), press Train."""
    page.get_by_label("Presets: the classic demonstrations").click()
    page.get_by_role("option", name=name).click()
    expect(page.get_by_text(f"Loaded the preset “{name}”: press Train to run it.")).to_be_visible(timeout=10_000)
    page.get_by_role("button", name="Load the preset").click()
    box = expect(page.get_by_label("Run B beside A, on the same data"))
    (box.to_be_checked if compare else box.not_to_be_checked)(timeout=10_000)
    # the preset's settings landed (the box alone does not show it: the page's example already has it checked, and
    # a Train pressed before the load's answer trains what the page held before)
    first, _ = preset(name)
    shown = {"number input for T: how far back the answer is": first.length, "Learning rate": first.lr,
             "number input for Hidden units": first.hidden, "number input for Training steps": first.steps}
    for label, value in shown.items():
        expect(page.get_by_label(label).first).to_have_value(str(value), timeout=10_000)
    expect(page.get_by_role("radio", name=CELL_NAMES[first.cell], exact=True).first).to_be_checked()
    page.get_by_role("button", name="Train", exact=True).click()


def test_a_preset_trains_live_and_streams_both_runs(page):
    _train_preset(page, PRESET)
    expect(page.get_by_text("Finished.")).to_be_visible(timeout=90_000)
    for run, clip in (("A", "no clipping"), ("B", "clip 1")):
        expect(page.get_by_text(re.compile(rf"{run} \(vanilla RNN \(tanh\), 32 units, T = 50, radius 2, sgd lr 0.03, "
                                           rf"{clip}, seed 0\): step 300 of 300"))).to_be_visible()
    expect(page.locator(".js-plotly-plot")).to_have_count(2)
    expect(page.locator(".js-plotly-plot").get_by_text("Gradient reaching each time step")).to_be_visible()
    expect(page.locator(".js-plotly-plot").get_by_text("gradient norm,")).to_be_visible()  # the panels stacked
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "lab-tab.png"), full_page=True)


def test_stop_ends_a_long_run(page):
    _train_preset(page, LONG)
    expect(page.get_by_text(re.compile(r"T = 80.*: step \d+ of 300")).first).to_be_visible(timeout=60_000)
    page.get_by_role("button", name="Stop", exact=True).click()
    expect(page.get_by_text("Stopped.")).to_be_visible(timeout=30_000)


def test_a_run_shows_a_progress_bar_that_moves(page):
    """A run's progress: a bar in the streamed status, filling with the steps taken; watched until it has moved twice,
    then the run is stopped (the slot is free again soon for the next test's visitor) and the bar goes."""
    _train_preset(page, "the vanilla RNN forgets at T = 40; the GRU remembers")
    shares = progress_values(page, distinct=3)
    page.get_by_role("button", name="Stop", exact=True).click()
    expect(page.get_by_text(re.compile(r"^(Finished|Stopped)"))).to_be_visible(timeout=30_000)
    expect(page.locator("progress:visible")).to_have_count(0)
    assert len(set(shares)) >= 3 and shares == sorted(shares), shares


def test_a_visitor_who_leaves_frees_the_slot(page):
    other = page.context.browser.new_page()
    other.goto(page.url)
    examples_shown(other)
    other.get_by_role("tab", name="Gradient lab").click()
    _train_preset(other, LONG)
    expect(other.get_by_text(re.compile(r"T = 80.*: step \d+ of 300")).first).to_be_visible(timeout=60_000)
    other.close()  # leaves mid-run: gradio cancels the event (and the tab's unload hook stops the run too)
    _train_preset(page, "ReLU states explode in the forward pass, which clipping does not touch", compare=False)
    # the other visitor's two runs would hold the slot for up to 60 s; freed, this one is done in seconds
    expect(page.get_by_text("Finished.")).to_be_visible(timeout=20_000)
    expect(page.get_by_text("The run diverged at step 1")).to_be_visible()


def test_the_summary_picture_has_words_for_who_cannot_see_it(page):
    """Its alt text was empty (a UX review): a screen reader read nothing of the sweep's picture."""
    from rnn_demo.ui.lab_tab import SWEEP_TEXT

    page.get_by_text("The summary: each cell over T, one budget").click()
    expect(page.locator("img[alt^='Accuracy against T, one curve per cell']")).to_be_visible(timeout=10_000)
    assert page.locator("img[alt^='Accuracy against T']").get_attribute("alt").endswith(SWEEP_TEXT)
