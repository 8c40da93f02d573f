"""The README and the bundle say what is true: set-up commands, model figures, weight sizes."""
import os
import re
import sys
from pathlib import Path

import yaml

from rnn_demo.hub import MODELS_DIR, card_metrics
from rnn_demo.sentiment.serve import bundled_cells
from rnn_demo.text.serve import CELLS_OFFERED

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
MB = 1024 * 1024


def _bash_block_after(marker: str) -> list[str]:
    block = re.search(rf"{re.escape(marker)}\n```bash\n(.*?)```", README, re.S)
    assert block, f"no bash block under {marker}"
    return block.group(1).strip().splitlines()


def test_front_matter_has_what_a_space_needs():
    front = yaml.safe_load(README.split("---")[1])
    for key in ("title", "emoji", "sdk", "sdk_version", "app_file", "python_version", "license",
                "short_description", "datasets", "tags"):
        assert key in front, key
    assert front["sdk"] == "gradio" and front["app_file"] == "app.py"
    assert len(front["short_description"]) <= 60
    pinned = dict(line.split("==") for line in (ROOT / "requirements.txt").read_text().splitlines()
                  if "==" in line and not line.startswith("#"))
    assert front["sdk_version"] == pinned["gradio"] and pinned["torch"] == "2.13.0"


def test_exactly_two_set_up_commands_and_ci_runs_the_second():
    assert README.count("```bash\npip install") + README.count("```bash\napt-get") == 2
    start, tests = _bash_block_after("<!-- start-app -->"), _bash_block_after("<!-- run-tests -->")
    assert len(start) == 1 and "requirements.txt" in start[0] and "app.py" in start[0]
    assert len(tests) == 1 and "requirements-dev.txt" in tests[0] and tests[0].endswith("python -m pytest -n auto")
    assert "<!-- run-tests -->" in (ROOT / ".ci" / "run").read_text()


def test_ci_runs_the_tests_in_a_fresh_isolated_virtual_environment():
    lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert '"$python" -m venv "$venv"' in lines and 'source "$venv/bin/activate"' in lines  # no system site-packages
    assert lines.index('source "$venv/bin/activate"') < lines.index('bash -c "$command"')
    if os.environ.get("CI") == "true":  # this very run is CI's: it must be inside that environment
        assert sys.prefix != sys.base_prefix and Path(sys.executable).parent == Path(sys.prefix) / "bin"
        settings = (Path(sys.prefix) / "pyvenv.cfg").read_text()
        assert re.search(r"^include-system-site-packages = false$", settings, re.M), settings


def _table_rows(task: str) -> dict[str, list[str]]:
    rows = re.finditer(rf"^\| `models/({task}-\w+)` \|(.*)$", README, re.M)
    return {m.group(1): [c.strip() for c in m.group(2).split("|")] for m in rows}


def _weights_mb(name: str) -> str:
    return f"{(MODELS_DIR / name / 'model.safetensors').stat().st_size / 1e6:.1f} MB"


def test_models_table_states_what_the_cards_measured():
    rows = _table_rows("text")
    assert set(rows) == {f"text-{cell}" for cell in CELLS_OFFERED}
    for name, cells in rows.items():
        card = card_metrics(MODELS_DIR / name)
        assert f"{card['nats_per_char']:.4f}" in cells and f"{card['bits_per_char']:.4f}" in cells, name
        assert _weights_mb(name) in cells, name


def test_sentiment_table_states_what_the_cards_measured():
    rows = _table_rows("sentiment")
    assert set(rows) == {f"sentiment-{cell}" for cell in bundled_cells()}
    for name, cells in rows.items():
        card = card_metrics(MODELS_DIR / name)
        assert f"{card['accuracy']:.2%}" in cells and f"{card['f1']:.4f}" in cells, name
        assert _weights_mb(name) in cells, name
        deletion = re.search(r"by ([\d.]+) on average; removing 5 words at random, by ([\d.]+)\.",
                             (MODELS_DIR / name / "README.md").read_text(encoding="utf-8"))
        assert deletion and f"{deletion[1]} / {deletion[2]}" in cells, name


def test_forecast_table_states_what_the_cards_measured():
    from rnn_demo.forecast.serve import bundled_cells as forecast_cells

    rows = _table_rows("forecast")
    assert set(rows) == {f"forecast-{cell}" for cell in forecast_cells()}
    for name, cells in rows.items():
        card = card_metrics(MODELS_DIR / name)
        for key, digits in (("mae", 4), ("mape", 2), ("mase", 4), ("coverage80", 3), ("width80", 3),
                            ("interval_score80", 3)):
            assert f"{card[key]:.{digits}f}" in cells, (name, key)
        size = (MODELS_DIR / name / "model.safetensors").stat().st_size
        assert f"{size / 1000:.0f} KB" in cells, name


def test_oracle_temperature_table_states_what_the_cards_measured():
    from rnn_demo.forecast.serve import TEMPERATURE_SHELF

    rows = {m.group(1): [c.strip() for c in m.group(2).split("|")]
            for m in re.finditer(r"^\| `models/(forecast-temperature-\w+)` \|(.*)$", README, re.M)}
    assert set(rows) == {f"forecast-temperature-{cell}" for cell in TEMPERATURE_SHELF.cells()} and rows
    for name, cells in rows.items():
        card = card_metrics(MODELS_DIR / name)
        for key, digits in (("mae", 4), ("mape", 2), ("mase", 4), ("coverage80", 3), ("width80", 3),
                            ("interval_score80", 3)):
            assert f"{card[key]:.{digits}f}" in cells, (name, key)


def test_bundled_weights_fit_a_space():
    sizes = {p.parent.name: p.stat().st_size for p in MODELS_DIR.glob("*/model.safetensors")}
    assert sizes and all(size < 10 * MB for size in sizes.values()), sizes
    assert sum(sizes.values()) < 60 * MB
    for directory in MODELS_DIR.iterdir():
        assert {"config.json", "model.safetensors", "README.md"} <= {p.name for p in directory.iterdir()}, directory


def test_bad_input_table_is_the_list_the_api_test_runs():
    from tests.bad_inputs import CASES

    section = README.split("## Bad input", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `/")]
    assert rows == [case.row for case in CASES]


def test_readme_shows_a_screenshot_of_every_tab():
    for tab in ("text", "sentiment", "forecast"):
        path = f"docs/screenshots/{tab}-tab.png"
        assert f"]({path})" in README, path
        assert (ROOT / path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", path


def test_the_protocol_is_published_with_the_project_and_its_digests_are_the_codes():
    """docs/protocol.md, the protocol every figure follows, goes with the project (a clone and the Space: the README
    pointed at ../shared/benchmarks.md, which neither has); each digest it gives is one the code or the tests check
    the data against; where the team's copy is beside the checkout, it is that copy."""
    from rnn_demo.publish import space_files

    protocol = (ROOT / "docs" / "protocol.md").read_text()
    digests = re.findall(r"\b[0-9a-f]{64}\b", protocol)
    code = "".join(path.read_text() for folder in ("rnn_demo", "tests") for path in (ROOT / folder).rglob("*.py"))
    assert len(digests) == 5 and all(digest in code for digest in digests)
    assert "docs/protocol.md" in space_files(ROOT) and "(docs/protocol.md)" in README
    team = ROOT.parent / "shared" / "benchmarks.md"
    assert not team.is_file() or protocol.endswith("-->\n\n" + team.read_text())
