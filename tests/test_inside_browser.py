"""The "Inside the network" tab in a real headless Chromium (Debian's package) against the launched app on the
bundled weights: each section driven as a visitor would, asserting on what the page shows."""
import json
import re

import pytest
from playwright.sync_api import expect

from rnn_demo.backbone import CELL_LABELS
from rnn_demo.inside.probe import MAX_PASSAGE
from rnn_demo.inside.serve import bundled_cells
from rnn_demo.inside.unrolled import MAX_UNROLLED, shown
from rnn_demo.ui.inside_tab import PASSAGE
from tests.appserver import ROOT
from tests.browser import OUTPUT, app_page

pytestmark = [pytest.mark.slow, pytest.mark.browser]

FIRST_CALL = 30_000  # ms: a section's first call loads its models, on a small shared machine
PASSAGE_LABEL = f"Passage for the sections below (up to {MAX_PASSAGE:,} characters)"
NOTE_OPENED = re.compile(r"Opened on layer (\d+), ([hc]) unit (\d+): correlation [+-]\d\.\d\d with .+\.")


@pytest.fixture(scope="module")
def page(bundled_app):
    with app_page(bundled_app) as page:
        page.get_by_role("tab", name="Inside the network").click()
        page.get_by_role("button", name="Unroll", exact=True).wait_for(timeout=30_000)
        yield page


def _grid(page, label: str):
    return page.get_by_role("grid", name=label, exact=True)


def _block(page, label: str):
    """The visible component (plot, highlighted text) whose block label is `label`."""
    return page.locator("div.block:visible").filter(
        has=page.get_by_test_id("block-label").filter(has_text=re.compile(f"^\\s*{re.escape(label)}\\s*$")))


def _column(grid, column: int, rows: int) -> list[str]:
    return [grid.get_by_test_id(f"cell-{row}-{column}").inner_text().strip() for row in range(rows)]


def _hidden_size(cell: str) -> int:
    return json.loads((ROOT / "models" / f"text-{cell}" / "config.json").read_text())["hidden_size"]


def test_unrolled_shows_the_equations_with_real_shapes_every_step_and_the_next_characters(page):
    text = "To be"
    hidden = _hidden_size("gru")
    page.get_by_label(f"Input (up to {MAX_UNROLLED} characters)").fill(text)
    page.get_by_role("radio", name="GRU", exact=True).first.check()  # section 1's; section 2 has its own
    page.get_by_role("button", name="Unroll", exact=True).click()
    equations = page.locator("code", has_text="h_t = (1 − z) ⊙ n + z ⊙ h_{t-1}")  # the GRU's, not the LSTM's
    expect(equations).to_be_visible(timeout=FIRST_CALL)
    expect(equations).to_contain_text(f"h_t ({hidden},)")
    expect(equations).to_contain_text(f"W_hh ({3 * hidden}, {hidden})")  # three gates stacked
    plot = _block(page, "The state through time, one step below").locator(".js-plotly-plot")
    expect(plot).to_be_visible(timeout=FIRST_CALL)
    expect(plot.locator(".annotation-text", has_text="h_t after each step")).to_have_count(1)
    step = plot.locator(".annotation-text", has_text=re.compile(r"^step \d+: read"))
    expect(step).to_have_count(1)  # one step's computation at a time (a panel each made the tab 8,000 px tall)
    expect(step).to_contain_text("step 1: read T")
    expect(plot.locator(".slider-label-group")).to_have_count(len(text))  # a stop per character read
    plot.locator(".slider-rail-touch-rect").scroll_into_view_if_needed()
    rail = plot.locator(".slider-rail-touch-rect").bounding_box()
    page.mouse.click(rail["x"] + rail["width"] - 2, rail["y"] + rail["height"] / 2)  # the last step
    expect(step).to_contain_text(f"step {len(text)}: read {shown(text[-1])}")
    table = _grid(page, "After each step")
    expect(table).to_have_attribute("aria-rowcount", str(len(text) + 1))  # the header and a row per character
    assert _column(table, 0, len(text)) == [str(t + 1) for t in range(len(text))]
    assert _column(table, 1, len(text)) == [shown(ch) for ch in text]
    assert all("%" in cell for cell in _column(table, 2, len(text))), "no next-character probabilities"


def test_units_finds_units_opens_on_the_most_striking_and_colours_by_any_unit(page):
    page.get_by_role("button", name="Find units", exact=True).click()
    note = page.get_by_text(NOTE_OPENED)
    expect(note).to_be_visible(timeout=FIRST_CALL)
    layer, kind, unit = NOTE_OPENED.search(note.inner_text()).groups()
    ranking = _grid(page, "The units most correlated with each feature")
    expect(ranking.get_by_test_id("cell-0-0")).to_be_visible()
    assert int(ranking.get_attribute("aria-rowcount")) > 3, "the ranking table has too few rows"
    rows = int(ranking.get_attribute("aria-rowcount")) - 1
    ranked = list(zip(_column(ranking, 1, rows), _column(ranking, 2, rows), _column(ranking, 3, rows)))
    assert (layer, kind, unit) in ranked, f"the unit the note opened on is not in the ranking: {ranked}"
    expect(_grid(page, "Gate saturation").get_by_test_id("cell-0-0")).to_be_visible()
    passage = _block(page, "The passage, coloured by the unit")
    characters = passage.locator(".token .text")
    expect(characters.first).to_be_visible()
    assert "".join(characters.all_inner_texts()).startswith("WESTMORELAND")
    assert characters.count() >= len(PASSAGE.replace("\n", "")), "the passage is not coloured character by character"
    # the controls took the note's values: "Colour the passage by this unit" now means that unit
    expect(page.get_by_label("Layer", exact=True).nth(1)).to_have_value(layer)
    state = {"h": "hidden state h", "c": "cell state c (LSTM)"}[kind]
    expect(page.get_by_role("radio", name=state, exact=True)).to_be_checked()
    unit_box = page.get_by_label("Unit (from 0)", exact=True)
    expect(unit_box).to_have_value(unit)
    other = (int(unit) + 1) % _hidden_size(bundled_cells()[-1])
    unit_box.fill(str(other))
    unit_box.press("Tab")
    page.get_by_role("button", name="Colour the passage by this unit", exact=True).click()
    expect(page.get_by_text(re.compile(f"^Layer {layer}, {kind} unit {other}: from -?[\\d.]+ to -?[\\d.]+ "
                                       "over the passage"))).to_be_visible(timeout=FIRST_CALL)
    expect(note).to_have_count(0)
    expect(characters.first).to_be_visible()


def test_memory_plots_the_three_cells_influence_by_distance(page):
    position = page.get_by_label(re.compile(r"^Position in the passage"))
    measure = page.get_by_role("button", name="Measure how far back each cell looks", exact=True)
    last = len(PASSAGE) - 2  # the last position that has a next character
    expect(position).to_have_value(str(last))  # not gradio's 0 for a Number without value: a one-point plot
    position.fill("40")
    measure.click()
    expect(page.get_by_text(f"Position 40: the models read the 41 characters up to it and predict the next one, "
                            f"{shown(PASSAGE[41])}.")).to_be_visible(timeout=FIRST_CALL)
    position.fill("")  # blank: the end
    measure.click()
    expect(page.get_by_text(f"Position {last}: the models read the 257 characters up to it and predict the next "
                            f"one, {shown(PASSAGE[last + 1])}.")).to_be_visible(timeout=FIRST_CALL)
    plot = _block(page, "Influence by distance").locator(".js-plotly-plot")
    expect(plot.locator(".gtitle")).to_contain_text("after …")
    expect(plot.locator(".legendtext")).to_have_text([CELL_LABELS[cell] for cell in bundled_cells()])
    assert plot.locator(".scatterlayer .trace").count() == len(bundled_cells()), "not one curve per cell"


def test_compare_lists_each_cells_surprisal_colours_the_passage_three_times_and_the_gains(page):
    page.get_by_role("button", name="Compare the cells on the passage", exact=True).click()
    labels = [CELL_LABELS[cell] for cell in bundled_cells()]
    table = _grid(page, "Mean surprisal")
    expect(table.get_by_test_id(f"cell-{len(labels) - 1}-0")).to_be_visible(timeout=FIRST_CALL)
    expect(table).to_have_attribute("aria-rowcount", str(len(labels) + 1))
    assert _column(table, 0, len(labels)) == labels
    for cell in _column(table, 1, len(labels)):
        assert 0 < float(cell) < 5, f"a mean surprisal out of range: {cell}"
    for label in labels:
        coloured = _block(page, f"{label}: surprisal").locator(".token .text")
        expect(coloured.first).to_be_visible()
        assert coloured.count() >= len(PASSAGE.replace("\n", "")), f"{label}: the passage is not all coloured"
    gains = _grid(page, "Where the LSTM beats the vanilla RNN most")
    expect(gains.get_by_test_id("cell-0-0")).to_be_visible()
    assert int(gains.get_attribute("aria-rowcount")) > 1
    assert float(_column(gains, 4, 1)[0]) > 0, "the largest gain of the LSTM is not a gain"
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "inside-tab.png"), full_page=True)  # every section filled


def test_an_empty_passage_is_refused_with_a_message_and_clears_the_units_note(page):
    page.get_by_label(PASSAGE_LABEL, exact=True).fill("")
    page.get_by_role("button", name="Find units", exact=True).click()
    toast = page.get_by_test_id("toast-body").last
    expect(toast).to_contain_text("the passage is empty: type or paste some text", timeout=FIRST_CALL)
    expect(page.get_by_text(re.compile(r"^(Opened on layer|Layer \d+, [hc] unit)"))).to_have_count(0)
    page.get_by_test_id("toast-close").last.click()
