"""The tabs in a real headless Chromium (Debian's package) against the launched app on the bundled weights."""
import re
import time

import pytest
from playwright.sync_api import expect

from rnn_demo.sentiment.compare import agreement, compare_verdicts
from rnn_demo.sentiment.serve import bundled_cells
from tests.browser import OUTPUT, app_page, progress_values
from tests.test_devices import reported_here

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture(scope="module")
def page(bundled_app):
    with app_page(bundled_app) as page:
        page.get_by_role("button", name="Generate", exact=True).wait_for(timeout=30_000)
        yield page


def test_the_page_names_the_device_its_models_run_on(page):
    expect(page.locator("#device")).to_contain_text(reported_here())


def test_on_a_phone_every_tab_title_is_in_view(page):
    """At a phone's width the tab titles wrap onto more rows: gradio's default hid four of six behind a "⋯" menu."""
    from rnn_demo.tasks import tabs

    page.set_viewport_size({"width": 390, "height": 800})
    try:
        for tab in tabs():
            expect(page.get_by_role("tab", name=tab.title, exact=True)).to_be_visible()
        # where the columns stack, the forecasting tab's controls come first (they came after every result)
        page.get_by_role("tab", name="Forecasting").click()
        button = page.get_by_role("button", name="Forecast", exact=True)
        plot = page.get_by_text("Demand: history, forecast and 80% interval").first
        assert button.bounding_box()["y"] < plot.bounding_box()["y"] < button.bounding_box()["y"] + 1500
    finally:
        page.set_viewport_size({"width": 1400, "height": 1100})
        page.get_by_role("tab", name="Text generation").click()  # where the module's next tests start


def test_a_keyboard_user_sees_where_the_focus_is(page):
    """Tab from the prompt: the control reached has a 3 px ring (gradio's was faint, on buttons hardly there)."""
    page.get_by_role("tab", name="Text generation").click()
    page.get_by_label("Prompt", exact=True).click()
    page.keyboard.press("Tab")
    ring = page.evaluate("() => { const s = getComputedStyle(document.activeElement);"
                         " return [document.activeElement.tagName, s.outlineStyle, s.outlineWidth]; }")
    assert ring[1:] == ["solid", "3px"], ring


def _set_length(page, n: int) -> None:
    box = page.get_by_label("number input for Characters to generate")
    box.fill(str(n))
    box.press("Tab")


def _output_value(page) -> str:
    return page.get_by_label("Prompt and generated text").input_value()


def test_text_tab_streams_generated_text(page):
    prompt = "ROMEO:\n"
    page.get_by_label("Prompt", exact=True).fill(prompt)
    _set_length(page, 2000)
    page.get_by_role("button", name="Generate", exact=True).click()
    lengths: list[int] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        lengths.append(len(_output_value(page)))
        if lengths[-1] >= len(prompt) + 2000:
            break
        time.sleep(0.02)
    assert lengths[-1] == len(prompt) + 2000, "the full text never arrived"
    growing = sorted({n for n in lengths if len(prompt) < n < lengths[-1]})
    assert len(growing) >= 2, f"the text arrived in one piece, not streamed: {lengths[:5]}..."
    assert _output_value(page).startswith(prompt)
    label = page.locator(".label, [data-testid='label']").first
    label.wait_for(timeout=10_000)
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "text-tab.png"), full_page=True)
    # another prompt's next characters: the bars are its own, led by the headline's character (the example's bars
    # stayed under a new headline: a UX review)
    from rnn_demo.text.serve import bundled_cells
    from rnn_demo.text.tab import next_characters

    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    hamlet = "HAMLET: To be, or not to be"
    table, _ = next_characters(hamlet, page.locator("input[type=radio]:visible:checked").first.get_attribute("value")
                               or bundled_cells()[-1])
    top = max(table, key=table.get)
    page.get_by_label("Prompt", exact=True).fill(hamlet)
    page.get_by_role("button", name="Show next-character probabilities").click()
    expect(page.locator("[data-testid='label-output-value']:visible").first).to_have_text(top, timeout=15_000)
    expect(page.locator(".confidence-set:visible").first).to_contain_text(top)
    assert not errors, errors


def test_switch_cell_and_use_an_example(page):
    page.get_by_role("radio", name="GRU", exact=True).check()  # the shown tab's (other tabs' are in the page too)
    page.locator("strong", has_text="GRU").first.wait_for(timeout=10_000)
    summary = page.locator("strong", has_text="GRU").first.locator("..").inner_text()
    assert "nats/char" in summary and "by each next character: lower is better" in summary  # the unit, glossed
    page.get_by_role("button", name="HAMLET: To be, or not to be").click()  # an example fills the prompt box
    prompt = "HAMLET:\nTo be, or not to be"
    expect(page.get_by_label("Prompt", exact=True)).to_have_value(prompt, timeout=10_000)
    _set_length(page, 100)
    page.get_by_role("button", name="Generate", exact=True).click()
    deadline = time.monotonic() + 30
    while not (_output_value(page).startswith(prompt) and len(_output_value(page)) == len(prompt) + 100):
        assert time.monotonic() < deadline, f"no new text for the example: {_output_value(page)[:40]!r}"
        time.sleep(0.1)


def test_sentiment_tab_classifies_an_example_and_colours_its_words(page):
    from rnn_demo.sentiment.tab import EXAMPLES as SENTIMENT_EXAMPLES

    from rnn_demo.backbone import CELL_LABELS
    from rnn_demo.hub import card_metrics
    from rnn_demo.sentiment.serve import bundled_cells, model_dir

    page.get_by_role("tab", name="Sentiment").click()
    best = max(bundled_cells(), key=lambda cell: card_metrics(model_dir(cell))["accuracy"])
    expect(page.get_by_role("radio", name=CELL_LABELS[best])).to_be_checked()  # the tab starts on its best model
    review = SENTIMENT_EXAMPLES[0][0]
    page.get_by_role("button", name=re.compile("^A beautiful, moving film")).click()
    expect(page.get_by_label("Review", exact=True)).to_have_value(review, timeout=10_000)
    page.get_by_role("button", name="Classify", exact=True).click()
    coloured = page.locator("[data-testid='highlighted-text:textfield'] .token.highlighted")
    coloured.filter(has_text="superb").first.wait_for(timeout=20_000)
    expect(page.get_by_text("positive", exact=True).first).to_be_visible()
    assert coloured.count() >= len(review.split()) // 2, "the review is not coloured word by word"
    assert _tint(coloured.filter(has_text="superb").first) == "green"  # as seen: gradio's own colour was red
    strongest = max(coloured.all(), key=lambda token: _colour_strength(token))
    assert _contrast(strongest) >= 4.5  # the deepest colour's text, as drawn (the theme's grey on it was 3.3:1)
    # without the colours (a colour-blind reader, a screen reader): the strongest words, named with their shares
    expect(page.get_by_text(re.compile("Words that pushed most .* towards positive: .*“superb”"))).to_be_visible()
    # the verdict and its notes above the coloured words (on a phone the columns stack: it came last)
    verdict = page.locator("[data-testid='label-output-value']:visible").first
    assert verdict.bounding_box()["y"] < coloured.first.bounding_box()["y"]
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "sentiment-tab.png"), full_page=True)
    # another review: the bars and the colours are its own (a Label emptied in the page threw, and the bars and
    # colours of the example stayed under the new headline: a UX review)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.get_by_label("Review", exact=True).fill("Two hours of my life I will never get back. The acting is wooden.")
    page.get_by_role("button", name="Classify", exact=True).click()
    coloured.filter(has_text="wooden").first.wait_for(timeout=20_000)
    assert not coloured.filter(has_text="superb").count(), "the example's words are still shown"
    assert _tint(coloured.filter(has_text="wooden").first) == "red"
    bars = page.locator(".confidence-set:visible")  # the Label's bars, largest first: the new verdict's
    expect(bars.first).to_contain_text("negative")
    expect(page.locator("[data-testid='label-output-value']:visible").first).to_have_text("negative")
    assert not errors, errors


def _drawn(token) -> list[tuple[int, int, int]]:
    import io

    from PIL import Image

    return list(Image.open(io.BytesIO(token.screenshot())).convert("RGB").getdata())


def _background(pixels: list[tuple[int, int, int]]) -> tuple[int, int, int]:
    """A word's background as drawn: its most common pixel."""
    from collections import Counter

    return Counter(pixels).most_common(1)[0][0]


def _colour_strength(token) -> int:
    """How far the word's background is from grey."""
    background = _background(_drawn(token))
    return max(background) - min(background)


def _contrast(token) -> float:
    """WCAG's contrast of a word as drawn: its background against its darkest pixel (the text)."""
    pixels = _drawn(token)
    background, text = _background(pixels), min(pixels, key=sum)

    def luminance(rgb: tuple[int, int, int]) -> float:
        linear = [c / 255 / 12.92 if c <= 10 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    lighter, darker = sorted((luminance(background), luminance(text)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _tint(token) -> str:
    """"green" or "red": the hue of a coloured word as the browser drew it (its screenshot's coloured pixels,
    the grey text and the white page left out)."""
    import io

    from PIL import Image

    pixels = [p for p in Image.open(io.BytesIO(token.screenshot())).convert("RGB").getdata() if max(p) - min(p) > 30]
    assert pixels, "the word is not coloured"
    red, green = sum(p[0] for p in pixels) / len(pixels), sum(p[1] for p in pixels) / len(pixels)
    return "green" if green > red else "red"


def test_the_comparison_shows_every_cells_verdict_in_the_page(page):
    """In Chromium on the bundled weights: the button opens the accordion and fills a label and coloured words per
    cell, twice in a row, with no error thrown in the page."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.get_by_role("tab", name="Sentiment").click()
    for review in ("A beautiful, moving film. The performances are superb.",
                   "Two hours of my life I will never get back. The acting is wooden."):
        page.get_by_label("Review", exact=True).fill(review)
        page.get_by_role("button", name="Compare the three cells").click()
        page.get_by_text(agreement(compare_verdicts(review)).replace("**", "")).wait_for(timeout=20_000)
        fields = page.locator("#sentiment-compare [data-testid='highlighted-text:textfield']")
        expect(fields).to_have_count(len(bundled_cells()))
        for number in range(len(bundled_cells())):
            expect(fields.nth(number).locator(".token.highlighted").first).to_be_visible()
    assert not errors, errors


def test_forecast_tab_plots_the_forecast_band_and_runs_the_backtest(page):
    page.get_by_role("tab", name="Forecasting").click()
    plot = page.locator(".js-plotly-plot").first
    plot.wait_for(timeout=20_000)  # the first view: 2014-12-01 with its actual values
    page.get_by_role("button", name="2014-12-25 00:00 (Christmas)").click()  # an example origin
    expect(page.get_by_label("Forecast origin (the first half-hour forecast)")).to_have_value("2014-12-25 00:00")
    page.get_by_role("radio", name="LSTM").check()  # the forecast tab's: the text tab's is hidden
    page.locator("strong:visible", has_text="LSTM").first.wait_for(timeout=10_000)
    page.get_by_role("button", name="Forecast", exact=True).click()
    expect(page.locator(".js-plotly-plot .xtick", has_text="Dec 25").first).to_be_visible(timeout=20_000)
    legend = page.locator(".js-plotly-plot .legendtext")
    expect(legend.filter(has_text="80% interval")).to_have_count(1)
    expect(legend.filter(has_text="forecast (median)")).to_have_count(1)
    assert page.locator(".js-plotly-plot path.js-fill").count() >= 1, "no filled interval band"
    page.get_by_role("button", name="Backtest: 56 days, 8 weeks").click()  # the first view's was the GRU's
    expect(page.get_by_text("LSTM (median, 80% interval)")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("seasonal naive, lag 336 (last week)").last).to_be_visible()
    # every column in the table's width: the last two were cut off, reachable only by scrolling inside the table
    last = page.locator("th:visible", has_text="interval score 80%").first
    table = page.locator(".table-wrap:visible", has=last).first
    assert last.bounding_box()["x"] + last.bounding_box()["width"] <= table.bounding_box()["x"] + \
        table.bounding_box()["width"] + 1
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "forecast-tab.png"), full_page=True)


def test_the_forecast_with_oracle_temperature_is_drawn_beside_the_primary_one(page):
    """The oracle-temperature view: both forecasts of a Victoria day, the actual demand, and the temperature on an
    axis of its own; the notes say what the oracle is."""
    page.get_by_role("tab", name="Forecasting").click()
    page.locator(".js-plotly-plot").first.wait_for(timeout=20_000)
    page.get_by_label("Forecast origin (the first half-hour forecast)").fill("2014-12-01 00:00")
    page.get_by_role("button", name="Beside it: the forecast that knows the day's temperatures (Victoria)").click()
    legend = page.locator(".js-plotly-plot .legendtext")
    expect(legend.filter(has_text="forecast with oracle temperature (median)")).to_have_count(1, timeout=20_000)
    expect(legend.filter(has_text="temperature (°C, right axis)")).to_have_count(1)
    expect(legend.filter(has_text="actual")).to_have_count(1)
    expect(page.get_by_text("standing in for a weather forecast")).to_be_visible()


def test_an_upload_with_the_coming_days_temperature_is_adapted_and_forecast_with_it(page, tmp_path):
    """A series whose file ends with the coming day's temperatures (its demand blank): found by its columns' names,
    adapted in the job slot with the temperature-aware model, and its coming day forecast."""
    from tests.test_forecast_temperature import temperature_upload

    path = temperature_upload(tmp_path / "grid.csv", names=("demand", "temperature"))
    page.get_by_role("tab", name="Forecasting").click()
    held_out = page.get_by_text("Your series' last 7 days, held out")
    expect(held_out).to_be_hidden()  # an empty table of the uploads' figures showed on every visit
    page.get_by_role("radio", name="My CSV upload").check()
    expect(page.locator("#forecast-upload")).to_be_visible()  # choosing the upload opens its box (it stayed shut)
    expect(held_out).to_be_visible()
    page.locator("#forecast-upload input[type=file]").set_input_files(str(path))
    page.get_by_label("Forecast origin (the first half-hour forecast)").fill("")
    stop = page.get_by_role("button", name="Stop adapting")
    expect(stop).to_be_hidden()  # shown only while an adaptation may run
    try:
        page.get_by_role("button", name="Forecast", exact=True).click()
        expect(stop).to_be_visible(timeout=10_000)
        shares = progress_values(page)  # the adaptation's progress, by its steps
        expect(page.get_by_text("the forecast is the temperature-aware model's")).to_be_visible(timeout=120_000)
        expect(stop).to_be_hidden(timeout=10_000)
        expect(page.get_by_text("Adapted to your series")).to_be_visible()
        expect(page.get_by_text("they are read as the steps to forecast")).to_be_visible()
        assert len(set(shares)) >= 2 and shares == sorted(shares), shares
    finally:  # the next tests forecast the Victoria series
        page.get_by_role("radio", name="Victoria electricity demand, 2014 (bundled)").check()
    expect(held_out).to_be_hidden()


def test_an_error_shows_its_message_as_text_and_clears_the_last_runs_notes(page):
    """A refused origin: the toast quotes the input as typed (HTML shown, not rendered, no image fetched) and
    the notes of the previous forecast go, so nothing on show belongs to another run."""
    page.get_by_role("tab", name="Forecasting").click()
    origin = page.get_by_label("Forecast origin (the first half-hour forecast)")
    origin.fill("")  # past the end of the series: the notes say there is nothing to compare with
    page.get_by_role("button", name="Forecast", exact=True).click()
    notes = page.get_by_text("Forecast past the end of the data")
    expect(notes).to_be_visible(timeout=20_000)
    origin.fill('<img src="/favicon.ico" id="injected">')
    page.get_by_role("button", name="Forecast", exact=True).click()
    toast = page.get_by_test_id("toast-body").last
    expect(toast).to_contain_text('<img src="/favicon.ico" id="injected">', timeout=20_000)
    assert page.locator("#injected").count() == 0, "the user's HTML was rendered in the toast"
    expect(notes).to_have_count(0, timeout=10_000)
    page.get_by_test_id("toast-close").last.click()


def test_a_first_visit_sees_a_worked_example_in_every_tab_without_a_click(page):
    """A fresh page (the examples computed at the module's first page load, as for any visitor after the first):
    within 10 s of its load event, each tab shows its example: the text tab a scene, the sentiment
    tab a verdict with its colours, the forecasting tab its day, the Inside tab every section, the lab a finished
    preset run, the Train tab a finished run of its sample text (checked by clicking through the tabs only)."""
    fresh = page.context.browser.new_page(viewport={"width": 1400, "height": 1100})
    fresh.goto(page.url)  # returns at the page's load event
    deadline = time.monotonic() + 10

    def within() -> float:
        return max(1.0, (deadline - time.monotonic()) * 1000)

    expect(fresh.get_by_label("Prompt and generated text")).to_have_value(re.compile(r"ROMEO:\n.{100,}", re.S),
                                                                          timeout=within())
    fresh.get_by_role("tab", name="Sentiment").click()
    expect(fresh.get_by_text("An example review, classified")).to_be_visible(timeout=within())
    fresh.get_by_role("tab", name="Forecasting").click()
    expect(fresh.locator(".js-plotly-plot:visible").first).to_be_visible(timeout=within())
    # a test day beside its actual demand, its errors and the backtest (it opened past the data, its tables empty)
    expect(fresh.get_by_text("An example: the day from 2014-12-01 00:00")).to_be_visible(timeout=within())
    expect(fresh.get_by_label("Forecast origin (the first half-hour forecast)")).to_have_value("2014-12-01 00:00")
    expect(fresh.get_by_text("GRU (median, 80% interval)")).to_be_visible(timeout=within())
    fresh.get_by_role("tab", name="Inside the network").click()
    expect(fresh.locator(".js-plotly-plot:visible")).to_have_count(2, timeout=within())  # unrolled, memory
    striking = fresh.get_by_text(re.compile(r"^Opened on layer \d+, [hc] unit \d+")).first  # the most striking unit
    expect(striking).to_be_visible(timeout=within())
    expect(fresh.get_by_text("Where the LSTM beats the vanilla RNN most")).to_be_visible(timeout=within())
    fresh.get_by_role("tab", name="Gradient lab").click()
    expect(fresh.get_by_text("An example, the preset")).to_be_visible(timeout=within())
    expect(fresh.locator(".js-plotly-plot:visible")).to_have_count(2, timeout=within())
    fresh.get_by_role("tab", name="Train your own").click()
    expect(fresh.get_by_text("An example: a tiny GRU trained for 50 steps")).to_be_visible(timeout=within())
    expect(fresh.locator("#train-plot .js-plotly-plot")).to_be_visible(timeout=within())
    OUTPUT.mkdir(exist_ok=True)  # the first visit, tab by tab, for the README
    for tab, name in (("Text generation", "text"), ("Sentiment", "sentiment"), ("Forecasting", "forecast"),
                      ("Inside the network", "inside"), ("Gradient lab", "lab"), ("Train your own", "train")):
        fresh.get_by_role("tab", name=tab).click()
        fresh.screenshot(path=str(OUTPUT / f"first-visit-{name}.png"), full_page=True)
    fresh.close()
