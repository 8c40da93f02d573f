"""The Train tab in a real headless Chromium against the launched app: a visitor uploads a text file, trains a tiny
model for a few seconds and watches the loss plot grow, then writes with it in the Text generation tab and
downloads it; a screenshot for the README."""
import re
import time
import zipfile

import pytest
from playwright.sync_api import expect

from tests.browser import OUTPUT, app_page
from tests.test_train_tab import WORDS

pytestmark = [pytest.mark.slow, pytest.mark.browser]
BUDGET = 10  # seconds of training: a scoring every 1 to 3 s, each drawn as it comes, and enough to learn the letters


def _points(page) -> int:
    """The markers drawn on the training plot so far (one per held-out scoring and curve)."""
    return page.locator("#train-plot .js-plotly-plot .scatterlayer .points path").count()


def test_a_visitor_trains_on_a_text_file_sees_it_learn_uses_it_and_downloads_it(tmp_path, bundled_app):
    path = tmp_path / "letters.txt"
    path.write_text((WORDS * 4 + "\n") * 120)
    with app_page(bundled_app, height=1500) as page:
        page.get_by_role("tab", name="Train your own").click()
        # off a Space no sign-in can push: the page says how to push, and shows no push controls (a UX review)
        expect(page.get_by_text("Signing in with Hugging Face works when this app runs on a Space")).to_be_visible()
        expect(page.get_by_role("button", name="Push to the Hub")).to_be_hidden()
        example = page.get_by_text("An example: a tiny GRU trained")
        expect(example).to_be_visible(timeout=60_000)
        page.locator("#train-upload input[type=file]").set_input_files(str(path))
        expect(example).to_be_hidden()  # the example's run goes once a file is chosen (it stayed, as if the visitor's)
        # the file's row, by its name (gradio renders the stem and the extension in two elements)
        expect(page.locator("#train-upload").get_by_role("cell", name="letters.txt")).to_be_visible(timeout=30_000)
        expect(page.get_by_text("nothing read yet: press Check the data")).to_be_visible()  # gradio's "1 2 3" before
        page.get_by_role("button", name="Check the data").click()
        expect(page.get_by_text("held-out characters")).to_be_visible(timeout=30_000)
        budget = page.get_by_label("number input for Time budget (seconds)")
        budget.fill(str(BUDGET))
        budget.press("Enter")
        stop = page.get_by_role("button", name="Stop", exact=True)
        expect(stop).to_be_disabled()  # nothing of the visitor's runs (pressed, it said nothing: a UX review)
        page.get_by_role("button", name="Train", exact=True).click()
        expect(stop).to_be_enabled()
        finished = page.get_by_text("now the model of the Text generation tab")
        drawn, deadline = set(), time.monotonic() + 120  # the plot's marker counts seen while it trains
        while not finished.is_visible() and time.monotonic() < deadline:
            drawn.add(_points(page))
            time.sleep(0.1)
        expect(finished).to_be_visible()
        expect(stop).to_be_disabled()
        expect(page.get_by_text(re.compile(r"Kept: the checkpoint of step [\d,]+ of [\d,]+, of the lowest held-out loss"))
               ).to_be_visible()  # which model the run kept, and its figure ("Finished." alone: a UX review)
        expect(page.locator("#train-progress progress")).to_be_visible()
        assert len(drawn - {0}) >= 2, f"the plot did not grow while the model trained: {sorted(drawn)}"
        OUTPUT.mkdir(exist_ok=True)
        page.screenshot(path=str(OUTPUT / "train-tab.png"), full_page=True)
        with page.expect_download() as download:
            page.locator("#train-download a").first.click()
        with zipfile.ZipFile(download.value.path()) as archive:
            assert {"config.json", "model.safetensors", "README.md"} <= set(archive.namelist())
        page.get_by_role("tab", name="Text generation").click()
        # the cell choice does not apply to the visitor's model: greyed out, and the summary names the model in use
        # (it described the bundled LSTM, and changing the cell changed nothing)
        expect(page.get_by_text("runs in this tab for your session, whatever the cell")).to_be_visible()
        expect(page.get_by_role("radio", name="LSTM")).to_be_disabled()
        page.get_by_label("Prompt", exact=True).fill("ab")
        page.get_by_role("button", name="Generate", exact=True).click()
        output = page.get_by_label("Prompt and generated text")
        expect(output).to_have_value(re.compile(r"^ab[\s\S]{100,}"), timeout=60_000)
        written = output.input_value()[2:]
        assert set(written) <= set(WORDS + "\n"), written
        # the way back, beside the summary (it was inside the closed Hub box, where a visitor never looked)
        back = page.get_by_role("button", name="Back to the bundled models")
        back.click()
        expect(page.get_by_role("radio", name="LSTM")).to_be_enabled()
        expect(back).to_be_hidden()  # nothing to go back from
        expect(page.get_by_text(re.compile(r"nats/char .* on the validation plays"))).to_be_visible()  # a bundled one
