"""Every bad input the app accepts and what it does: one list, read by the README's table (tests/test_readme.py
checks that the table says exactly this) and run through the API client (tests/test_bad_inputs.py)."""
from __future__ import annotations

import csv
import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from gradio_client import Client, handle_file

from rnn_demo.display import md_text
from rnn_demo.lab.run import LabSettings
from rnn_demo.lab.serve import FIELDS, to_widgets
from rnn_demo.sentiment.bench import write_tiny_rows
from rnn_demo.bench_load import call_without_session

PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452") + bytes(range(256)) * 4  # a picture renamed .csv


@dataclass(frozen=True)
class BadInput:
    endpoint: str  # the api_name called
    given: str  # the README's "input" column
    outcome: str  # the README's "what the app does" column
    call: Callable[[Client, Path], object]  # sends the input; files are written under the folder it gets
    expect: str  # a part of the error message (refused) or of the answer as JSON (accepted)
    refused: bool = True
    holds: Callable[[object], bool] | None = None  # what else an accepted answer must satisfy

    @property
    def row(self) -> str:
        return f"| `/{self.endpoint}` | {self.given} | {self.outcome} |"


def _file(folder: Path, name: str, data: bytes | str) -> dict:
    path = folder / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return handle_file(str(path))


def _api(endpoint: str, *args: object, files: dict[int, tuple[str, bytes | str]] | None = None
         ) -> Callable[[Client, Path], object]:
    """A call of `endpoint` with `args`; `files` puts a written file at an argument's position."""
    def call(client: Client, folder: Path) -> object:
        given = list(args)
        for position, (name, data) in (files or {}).items():
            given[position] = _file(folder, name, data)
        return client.predict(*given, api_name=f"/{endpoint}")
    return call


def generate(prompt="ROMEO:", cell="lstm", n=20, temperature=0.8, top_k=0, top_p=1.0, seed=1, stop=""):
    return _api("generate", prompt, cell, n, temperature, top_k, top_p, seed, stop)


def classify_csv(data: bytes | str | None, column: str = "") -> Callable[[Client, Path], object]:
    if data is None:
        return _api("classify_csv", None, column, "gru")
    return _api("classify_csv", None, column, "gru", files={0: ("reviews.csv", data)})


def forecast_upload(data: bytes | str, origin: str = "") -> Callable[[Client, Path], object]:
    return _api("forecast", "upload", None, "", "", origin, True, "gru", files={1: ("series.csv", data)})


def temperature_csv(temperature: np.ndarray | None = None, future: int = 0, blank_future_temperature: int = 0) -> str:
    """A month of hourly values with a temperature column (°C unless given), then `future` rows with no value: the
    coming day's temperatures, the last `blank_future_temperature` of them blank."""
    frame = series_csv(steps=24 * 30 + future)
    frame["temperature"] = 15 + 5 * np.sin(np.arange(len(frame)) / 7) if temperature is None else temperature
    frame["value"] = frame["value"].astype(object)
    frame.loc[len(frame) - future:, "value"] = ""
    if blank_future_temperature:
        frame["temperature"] = frame["temperature"].astype(object)
        frame.loc[len(frame) - blank_future_temperature:, "temperature"] = ""
    return frame.to_csv(index=False)


def series_csv(steps: int = 24 * 30, freq: str = "h", values: np.ndarray | None = None) -> pd.DataFrame:
    times = pd.date_range("2024-01-01", periods=steps, freq=freq)
    if values is None:
        values = 500 + 100 * np.sin(2 * np.pi * np.arange(steps) / 24)
    return pd.DataFrame({"time": times, "value": values})


def _with_gaps() -> str:
    frame = series_csv()
    frame.loc[[100, 101, 400], "value"] = np.nan
    return frame.to_csv(index=False)


def _shuffled_with_repeats() -> str:
    frame = series_csv()
    return pd.concat([frame, frame.iloc[:5]]).sample(frac=1, random_state=0).to_csv(index=False)


def _missing_rows() -> str:
    return series_csv().drop(index=[50, 300, 301]).to_csv(index=False)


def _irregular() -> str:
    frame = series_csv()
    frame.loc[50:, "time"] += pd.Timedelta(minutes=10)  # a step of 70 minutes among hours
    return frame.to_csv(index=False)


def _not_numbers() -> str:
    frame = series_csv().astype({"value": object})
    frame.loc[10, "value"] = "n/a kW"
    return frame.to_csv(index=False)


def _outlier(value: float) -> str:
    frame = series_csv()
    frame.loc[700, "value"] = value  # in the last week: 2024-01-30 04:00
    return frame.to_csv(index=False)


def _local_series(zone: str, start: str, days: int = 30) -> str:
    """Half-hourly demand as a local export: wall-clock times with their UTC offsets, across a clock change."""
    local = pd.date_range(start, periods=days * 48, freq="30min", tz="UTC").tz_convert(zone)
    wall = local.tz_localize(None)
    values = 500 + 100 * np.sin(2 * np.pi * (wall.hour * 60 + wall.minute) / 1440)
    return pd.DataFrame({"time": [stamp.isoformat() for stamp in local], "value": values}).to_csv(index=False)


def _one_offset_row() -> str:
    frame = series_csv().astype({"time": str})
    frame.loc[100, "time"] += "+05:00"
    return frame.to_csv(index=False)


def _day_first() -> str:
    frame = series_csv()
    return frame.assign(time=frame["time"].dt.strftime("%d/%m/%Y %H:%M")).to_csv(index=False)


FORECAST_MARKUP = "<img src=x onerror=alert(1)> *load*"  # a value column's name


def _concurrent_uploads(client: Client, folder: Path) -> str:
    """Four files classified at once, each by its own client: every result holds its own rows, in order."""
    def one(index: int) -> bool:
        ids = [f"{index}-{row}" for row in range(30)]
        data = "id,text\n" + "".join(f"{i},a superb film {i}\n" for i in ids)
        own = Client(client.src, verbose=False)
        result, _ = own.predict(_file(folder, f"upload-{index}.csv", data), "", "gru", api_name="/classify_csv")
        return [row.split(",")[0] for row in Path(result).read_text(encoding="utf-8-sig").splitlines()[1:]] == ids
    with ThreadPoolExecutor(4) as pool:
        kept = sum(pool.map(one, range(4)))
    return f"{kept} of 4 files came back with their own rows"


def _json_call(endpoint: str, arguments: str) -> Callable[[Client, Path], object]:
    """A call of `endpoint` over gradio's HTTP API with its arguments as JSON text, for what gradio_client cannot
    send: a lone surrogate, which JSON carries as an escape ("\\ud800", as a browser sends it) but Python cannot write
    as UTF-8, or NaN. Returns the answer, or raises with the error's message (bench_load.call_without_session, which
    writes the arguments back as the same JSON)."""
    def call(client: Client, folder: Path) -> object:
        return call_without_session(client.src, f"/{endpoint}", tuple(json.loads(arguments)))
    return call


def result_rows(answer: object, delimiter: str = ",") -> list[list[str]]:
    """The rows of the classified file that /classify_csv returned (its path, then the summary)."""
    with open(answer[0], encoding="utf-8", newline="") as file:
        assert file.read(1) == "\ufeff"  # the byte-order mark Excel needs to read UTF-8
        return list(csv.reader(file, delimiter=delimiter))


FORMULAS = 'text,=note\n"=1+2 superb",+1\n"@SUM(A1) film",-1\n"\tfine","\rdull"\n'
MARKUP = "x`<img src=x>` [y](https://e.invalid) *z*"  # a column name


def _formulas_kept_as_text(answer: object) -> bool:
    return [row[:2] for row in result_rows(answer)] == [["text", "'=note"], ["'=1+2 superb", "'+1"],
                                                        ["'@SUM(A1) film", "'-1"], ["'\tfine", "'\rdull"]]


def tiny_rows_file(folder: Path) -> Path:
    """A CSV just under the 50 MB upload limit of 1-character rows (26 million of them)."""
    write_tiny_rows(folder / "tiny-rows.csv")
    return folder / "tiny-rows.csv"


def _tiny_rows(client: Client, folder: Path) -> object:
    return client.predict(handle_file(str(tiny_rows_file(folder))), "", "gru", api_name="/classify_csv")


def _long_stop_strings(client: Client, folder: Path) -> str:
    """Stop strings of 1 to 100 characters taken from a seeded text: each run shows that text up to the stop."""
    free = client.predict("ROMEO:", "lstm", 400, 0.8, 0, 1.0, 1, "", api_name="/generate")
    kept = 0
    for length in (1, 4, 6, 25, 100):
        stop = free[200:200 + length]
        shown = client.predict("ROMEO:", "lstm", 400, 0.8, 0, 1.0, 1, stop, api_name="/generate")
        kept += shown == free[: free.index(stop, len("ROMEO:"))]
    return f"{kept} of 5 stopped texts are the seed's text up to the stop string"


def train(task="text", data: bytes | str | None = None, name="data.txt", dataset="", columns=("", "", "", "", ""),
          cell="gru", size="tiny", seconds=10, lr=0.003, seed=0) -> Callable[[Client, Path], object]:
    """A Train tab call: `data` uploaded as `name` (or the Hub `dataset`), refused before any training starts."""
    files = {1: (name, data)} if data is not None else None
    return _api("train", task, None, dataset, "", "train", *columns, cell, size, seconds, lr, seed, files=files)


def _labelled_csv(labels: int, rows: int = 200) -> str:
    return "text,label\n" + "".join(f"review number {i},label{i % labels}\n" for i in range(rows))


def lab_values(**changes: object) -> list:
    """One lab run's settings as the API takes them: a short run, with `changes` (by the names of lab FIELDS)."""
    values = dict(zip(FIELDS, to_widgets(LabSettings(length=10, hidden=8, steps=20))))
    return list({**values, **changes}.values())


def lab_run(**changes: object) -> Callable[[Client, Path], object]:
    return _api("lab_run", *lab_values(**changes), False, *lab_values())


def _started_lab_run(client: Client):
    """A long lab run of the client's session, once its first step is out (it holds the job slot)."""
    run = client.submit(*lab_values(steps=3000, length=200, hidden=128), False, *lab_values(), api_name="/lab_run")
    deadline = time.monotonic() + 30
    while not run.outputs() and time.monotonic() < deadline:
        time.sleep(0.1)
    return run


def _second_lab_run(client: Client, folder: Path) -> object:
    first = _started_lab_run(client)
    try:
        return client.predict(*lab_values(), False, *lab_values(), api_name="/lab_run")
    finally:
        first.cancel()
        _until_the_slot_is_free(client)


def _train_stop_beside_a_lab_run(client: Client, folder: Path) -> object:
    """The Train tab's Stop, while a lab run of the same session goes: it stopped the lab run ("Stopped."), the job
    slot knowing one owner per session whatever the tab; the run must go on."""
    run = _started_lab_run(client)
    try:
        return client.predict(api_name="/train_stop")
    finally:
        statuses = _next_statuses(run, seen=len(run.outputs()))
        run.cancel()
        _until_the_slot_is_free(client)
        assert len(statuses) == 2 and not any(s.startswith("Stopped") for s in statuses), \
            f"the lab run did not go on after the Train tab's Stop: {statuses}"


def _next_statuses(run, seen: int, count: int = 2, seconds: float = 30) -> list[str]:
    """The status lines of the `count` updates `run` streams after its `seen` first (a busy machine can take seconds
    to send them: a fixed wait failed a CI run), fewer if the run ends or `seconds` pass first. Two, since one sent
    as a Stop arrives may still be on its way; a stopped run's last says "Stopped."."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and len(run.outputs()) < seen + count and not run.done():
        time.sleep(0.1)
    return [str(output[0]) for output in run.outputs()[seen:seen + count]]


def _until_the_slot_is_free(client: Client, seconds: float = 60) -> None:
    """Wait until the client's cancelled lab run has left the job slot (a busy machine takes a while to stop its
    worker), so that the rows after find the slot as a new visitor would: a one-step run is taken once it has."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            client.predict(*lab_values(steps=1), False, *lab_values(), api_name="/lab_run")
            return
        except Exception as error:  # noqa: BLE001 (gradio_client raises its own AppError)
            if "you already have a run going" not in str(error):
                raise
        time.sleep(0.2)
    raise TimeoutError(f"the cancelled lab run still held the job slot after {seconds} s")


CONTROLS = "ROMEO: \x00\x07\u202e 😀"
CASES = [
    # text generation
    BadInput("generate", "an empty prompt", "generates from a new line, as a speech starts",
             generate(prompt="", n=20), "", refused=False, holds=lambda text: len(text) == 20),
    BadInput("next_characters", "an empty prompt", "shows the first characters after a new line, and says so",
             _api("next_characters", "", "lstm"), "Empty prompt: the model starts from a new line", refused=False),
    BadInput("generate", "a prompt over 4,000 characters", "refused: the limit is 4,000 characters",
             generate(prompt="x" * 4001), "the limit is 4,000"),
    BadInput("next_characters", "a prompt over 4,000 characters", "refused: the limit is 4,000 characters",
             _api("next_characters", "x" * 4001, "lstm"), "the limit is 4,000"),
    BadInput("generate", "one 4,000-character word", "generates after it", generate(prompt="x" * 4000, n=20),
             "x" * 4000, refused=False, holds=lambda text: len(text) == 4020),
    BadInput("generate", "control characters, a direction override and emoji",
             "generates; the echoed prompt shows them as symbols (␀ ␇ �), never acting on them",
             generate(prompt=CONTROLS), "ROMEO: ␀␇� 😀", refused=False),
    BadInput("generate", "a lone surrogate (half of a UTF-16 pair)", "generates; the echoed prompt shows it as � (the "
             "page's event stream cannot carry it)",
             _json_call("generate", '["ROMEO \\ud800:", "lstm", 20, 0.8, 0, 1, 1, ""]'), "ROMEO �:", refused=False),
    BadInput("next_characters", "characters the model never saw (emoji, controls)",
             "answers, and lists the characters read as unknown", _api("next_characters", CONTROLS, "lstm"),
             "never saw in training", refused=False),
    BadInput("generate", "temperature 0", "refused: the range is 0.05 to 3", generate(temperature=0),
             "less than minimum value 0.05"),
    BadInput("generate", "0 characters to generate", "refused: the range is 1 to 2,000",
             generate(n=0), "less than minimum value 1"),
    BadInput("generate", "2,001 characters to generate", "refused: the range is 1 to 2,000",
             generate(n=2001), "greater than maximum value 2000"),
    BadInput("generate", "top-p 2", "refused: the range is 0.05 to 1", generate(top_p=2),
             "greater than maximum value 1"),
    BadInput("generate", "seed -5", "refused: -1 (random) or a seed", generate(seed=-5), "less than minimum value -1"),
    BadInput("generate", "a seed that is not a number (NaN)", "refused: the seed must be a whole number",
             _json_call("generate", '["ROMEO:", "lstm", 20, 0.8, 0, 1.0, NaN, ""]'), "Seed must be a whole number"),
    BadInput("generate", "a seed of 1e300", "refused; the message shows the number short",
             generate(seed=1e300), "got 1e+300"),
    BadInput("generate", "a stop string over 100 characters", "refused: at most 100", generate(stop="x" * 101),
             "at most 100 characters"),
    BadInput("generate", "stop strings of 1 to 100 characters", "stops just before the stop string; the text is "
             "the same seed's text up to there", _long_stop_strings,
             "5 of 5 stopped texts are the seed's text up to the stop string", refused=False),
    BadInput("generate", "a stop string of characters the model never writes (emoji)", "refused: it could never be "
             "met", generate(stop="bye 👋"), "the stop string holds characters this model never writes ('👋')"),
    BadInput("generate", "an unknown cell", "refused, naming the cells", generate(cell="transformer"),
             "is not in the list of choices"),
    BadInput("text_model_info", "an unknown cell", "refused, naming the cells", _api("text_model_info", "lstm2"),
             "is not in the list of choices"),
    BadInput("text_load_from_hub", "a repository id that is not user/name", "refused; the tab keeps its model",
             _api("text_load_from_hub", "not a repo!!", ""), "is not a Hub model id"),
    BadInput("text_load_from_hub", "a model id while the Hub cannot be reached (this Space runs offline)",
             "refused: the Hub cannot be reached from this Space right now; the tab keeps its model",
             _api("text_load_from_hub", "user/model", ""), "the Hub cannot be reached from this Space right now"),
    # sentiment
    BadInput("classify", "an empty or blank review", "refused: the review is empty", _api("classify", "   ", "gru"),
             "the review is empty"),
    BadInput("classify", "only words the model does not know", "classifies, and says the prediction means little",
             _api("classify", "qwxzv zzkqj plorf", "gru"), "the prediction means little", refused=False),
    BadInput("classify", "a 1 MB paste", "reads the first 1,000 tokens, and says how many were not read",
             _api("classify", ("A superb film. " * 70_000)[:1_000_000], "gru"), "only its first 1,000 tokens were read",
             refused=False),
    BadInput("classify", "one 10,000-character word", "classifies it as one unknown word, and says so",
             _api("classify", "a" * 10_000, "gru"), "the prediction means little", refused=False),
    BadInput("classify", "control characters, a direction override and emoji",
             "classifies; the coloured review shows the controls as symbols",
             _api("classify", "Superb \x00\x07\u202e 😀", "gru"), "␀␇�", refused=False),
    BadInput("classify", "a lone surrogate (half of a UTF-16 pair)", "classifies; it is read as �, and the notes say so",
             _json_call("classify", '["Superb \\ud800 film", "gru"]'), "not valid Unicode", refused=False),
    BadInput("classify_csv", "no file", "refused: upload a CSV file first", classify_csv(None),
             "upload a CSV file first"),
    BadInput("classify_csv", "a 0-byte file", "refused: the file is empty", classify_csv(b""), "the file is empty"),
    BadInput("classify_csv", "a binary file (a picture renamed .csv)", "refused: not a text file",
             classify_csv(PNG), "not a text file"),
    BadInput("classify_csv", "a file holding only a byte-order mark", "refused: the file is empty",
             classify_csv(b"\xef\xbb\xbf"), "the file is empty"),
    BadInput("classify_csv", "a UTF-16 file (with its byte-order mark)", "read as UTF-16, and says so",
             classify_csv("id,text\n1,un film superbe 😀\n".encode("utf-16")), "UTF-16", refused=False,
             holds=lambda answer: result_rows(answer)[1][:2] == ["1", "un film superbe 😀"]),
    BadInput("classify_csv", "a CSV with 5 columns, none called text or review", "refused, listing the columns",
             classify_csv("a,b,c,d,e\n1,2,3,4,5\n"), "the file's columns are: a, b, c, d, e"),
    BadInput("classify_csv", "a text column that is not in the file", "refused, listing the columns",
             classify_csv("id,text\n1,fine\n", column="body"), "no column 'body'"),
    BadInput("classify_csv", "a column name holding Markdown and HTML", "shown as text in the summary",
             classify_csv(f'"{MARKUP}"\nsuperb\n'), "Classified 1 reviews", refused=False,
             holds=lambda answer: md_text(MARKUP) in answer[1]),
    BadInput("classify_csv", "a row with more fields than the header (an unquoted comma)",
             "refused, naming the rows and the header's count",
             classify_csv("id,text\n1,a superb film\n2,a dull, boring film\n3,fine\n"),
             "row 3 has 3 fields, the header has 2"),
    BadInput("classify_csv", "a semicolon-separated file", "read with semicolons, and says so; the result is too",
             classify_csv("id;text\n1;a superb film, truly\n2;dull\n"), "semicolon-separated", refused=False,
             holds=lambda answer: result_rows(answer, ";")[1][:2] == ["1", "a superb film, truly"]),
    BadInput("classify_csv", "a tab-separated file", "read with tabs, and says so; the result is too",
             classify_csv("id\ttext\n1\ta superb film, truly\n"), "tab-separated", refused=False,
             holds=lambda answer: result_rows(answer, "\t")[1][:2] == ["1", "a superb film, truly"]),
    BadInput("classify_csv", "cells starting with =, +, -, @, a tab or a carriage return",
             "kept, with a ' in front, so a spreadsheet shows them as text", classify_csv(FORMULAS),
             "Classified 3 reviews", refused=False, holds=_formulas_kept_as_text),
    BadInput("classify_csv", "a cell over 131,072 characters", "refused, naming the row and the limit",
             classify_csv("text\n" + "a" * 131_073 + "\n"), "row 2 has a cell over 131,072 characters"),
    BadInput("classify_csv", "empty rows", "kept in place, with no prediction, and counted",
             classify_csv("id,text\n1,a superb film\n2,\n"), "1 empty rows kept", refused=False),
    BadInput("classify_csv", "a Latin-1 file", "read as Windows-1252, which holds Latin-1 (nothing lost), and says so",
             classify_csv("id,text\n1,un film très émouvant\n".encode("latin-1")), "read as Windows-1252",
             refused=False),
    BadInput("classify_csv", "a Windows-1252 file (Excel's, with “quotes” and €)",
             "read as Windows-1252, and says so",
             classify_csv("id,text\n1,“Worth every €” – superb\n".encode("cp1252")), "read as Windows-1252",
             refused=False, holds=lambda answer: result_rows(answer)[1][1] == "“Worth every €” – superb"),
    BadInput("classify_csv", "a UTF-8 file with one row pasted from a Windows-1252 one",
             "that row's bytes read as Windows-1252, the rest as UTF-8, and says so",
             classify_csv("id,text\n1,I didn’t like it 😍\n".encode("utf-8") + b"2,caf\xe9 au lait\n"),
             "the rest as UTF-8", refused=False,
             holds=lambda answer: [row[1] for row in result_rows(answer)[1:]] == ["I didn’t like it 😍", "café au lait"]),
    BadInput("classify_csv", "20,001 rows", "refused: the limit is 20,000 rows",
             classify_csv("text\n" + "fine\n" * 20_001), "the limit is 20,000"),
    BadInput("classify_csv", "a 50 MB file of 1-character rows", "refused at once: the limit is 20,000 rows",
             _tiny_rows, "the limit is 20,000"),
    BadInput("classify_csv", "four files uploaded at once", "each comes back with its own rows, in order",
             _concurrent_uploads, "4 of 4 files came back with their own rows", refused=False),
    BadInput("classify_csv", "a file over 50 MB", "refused at the upload: the limit is 50 MB (52,428,800 bytes)",
             classify_csv(b"text\n" + b"a fine film\n" * (51 * 1024 * 1024 // 12)),
             "exceeds the maximum file size of 52428800"),
    BadInput("sentiment_model_info", "an unknown cell", "refused, naming the cells",
             _api("sentiment_model_info", "lstm2"), "is not in the list of choices"),
    BadInput("sentiment_load_from_hub", "an empty repository id", "refused; the tab keeps its model",
             _api("sentiment_load_from_hub", "", ""), "is not a Hub model id"),
    # forecasting
    BadInput("forecast", "an origin between time steps", "refused: it must be a time step",
             _api("forecast", "victoria", None, "", "", "2014-12-01 00:10", True, "gru"), "must be a time step"),
    BadInput("forecast", "an origin that is not a time", "refused, with the form to use",
             _api("forecast", "victoria", None, "", "", "soon", True, "gru"), "cannot read 'soon' as a time"),
    BadInput("forecast", "an origin without a week of history before it", "refused, naming the first possible origin",
             _api("forecast", "victoria", None, "", "", "2014-01-02 00:00", True, "gru"),
             "must be a time step of the series from 2014-01-15"),
    BadInput("forecast", "upload chosen, no file", "refused: upload a CSV file first",
             _api("forecast", "upload", None, "", "", "", True, "gru"), "upload a CSV file first"),
    BadInput("forecast", "a 0-byte file", "refused: the file is empty", forecast_upload(b""), "the file is empty"),
    BadInput("forecast", "a binary file", "refused: not a text file", forecast_upload(PNG), "not a text file"),
    BadInput("forecast", "a CSV with 5 columns, none called time or value", "refused: name the columns, listing them",
             forecast_upload("a,b,c,d,e\n1,2,3,4,5\n"),
             "name the time and value columns: the file's columns are a, b, c, d, e"),
    BadInput("forecast", "missing values", "filled by linear interpolation, and counted",
             forecast_upload(_with_gaps()), "3 missing values were filled", refused=False),
    BadInput("forecast", "unsorted rows and repeated time stamps", "sorted, the first of each kept, and said",
             forecast_upload(_shuffled_with_repeats()), "rows repeated an earlier time stamp", refused=False),
    BadInput("forecast", "rows missing (a logger's outage, the hour the clocks skip in local times)",
             "added, filled by linear interpolation, and counted", forecast_upload(_missing_rows()),
             "3 time stamps had no row in the file (the longest gap: 2 after 2024-01-13 11:00:00)", refused=False),
    BadInput("forecast", "irregular steps", "refused, naming the two step sizes", forecast_upload(_irregular()),
             "the series is not regular"),
    BadInput("forecast", "a value that is not a number", "refused, naming the row and the value",
             forecast_upload(_not_numbers()), "1 value is not a number, the first in data row 11"),
    BadInput("forecast", "a quarter-hourly series", "averaged into half-hours, and said",
             forecast_upload(series_csv(steps=96 * 30, freq="15min").to_csv(index=False)),
             "15-minute steps were averaged into half-hours", refused=False),
    BadInput("forecast", "a series every 45 minutes", "refused: half-hourly or hourly steps only, resample it",
             forecast_upload(series_csv(steps=32 * 30, freq="45min").to_csv(index=False)),
             "the forecaster reads half-hourly (30 minutes) or hourly (60 minutes) series"),
    BadInput("forecast", "fewer steps than two weeks", "refused, naming the steps needed",
             forecast_upload(series_csv(steps=300).to_csv(index=False)), "a forecast needs at least"),
    BadInput("forecast", "a temperature column in Fahrenheit", "refused: it reads like Fahrenheit, give °C",
             forecast_upload(temperature_csv(70 + 10 * np.sin(np.arange(720) / 7))), "reads like Fahrenheit"),
    BadInput("forecast", "a temperature column in Kelvin", "refused: it reads like Kelvin, give °C",
             forecast_upload(temperature_csv(288 + 5 * np.sin(np.arange(720) / 7))), "reads like Kelvin"),
    BadInput("forecast", "rows after the last value with some of the coming day's temperatures blank",
             "refused, counting the rows without one", forecast_upload(temperature_csv(future=24,
                                                                                      blank_future_temperature=5)),
             "5 of the 24 rows after the last value have no temperature"),
    BadInput("forecast", "blank values at the end of the file", "read as the steps to forecast, never filled, and said",
             forecast_upload(series_csv().to_csv(index=False) + "2024-01-31 00:00:00,\n2024-01-31 01:00:00,\n"),
             "2 row(s) after the last value have no value: they are read as the steps to forecast", refused=False),
    BadInput("forecast", "gaps in the temperature column", "filled by linear interpolation, and counted",
             forecast_upload(temperature_csv(np.where(np.arange(720) % 100 == 50, np.nan,
                                                      15 + 5 * np.sin(np.arange(720) / 7)))),
             "7 missing temperatures were filled", refused=False),
    BadInput("forecast", "a constant series", "forecasts it; MASE is left blank, and the notes say why",
             forecast_upload(series_csv(values=np.full(720, 7.0)).to_csv(index=False), "2024-01-29 00:00"),
             "MASE is left blank",
             refused=False),
    BadInput("forecast", "over 200,000 rows", "refused: upload the recent part",
             forecast_upload(series_csv(steps=200_001, freq="30min").to_csv(index=False)), "the limit is 200,000"),
    BadInput("forecast", "over 200,000 rows ended by a lone carriage return (old Mac style)",
             "refused before parsing: rows are counted as the CSV reader counts them",
             forecast_upload(series_csv(steps=200_001, freq="30min").to_csv(index=False, lineterminator="\r")),
             "the limit is 200,000"),
    BadInput("forecast", "a first row of 20,000 fields under a header of 2", "refused before parsing, naming the row "
             "and both counts", forecast_upload("time,value\n" + ",".join(["1"] * 20_000) + "\n"),
             "data row 1 has 20,000 fields but the header has 2"),
    BadInput("forecast", "a value of 1e12 in the last week", "refused as implausible, naming its time and value",
             forecast_upload(_outlier(1e12)), "1 value is implausible for this series: 1e+12 at 2024-01-30 04:00:00"),
    BadInput("forecast", "a value of 1e300", "refused, naming its time and value: too large to compute with",
             forecast_upload(_outlier(1e300)), "1e+300 at 2024-01-30 04:00:00"),
    BadInput("forecast", "a Melbourne export with UTC offsets, across the clocks going back",
             "read in local time; the repeated hour averaged, and said",
             forecast_upload(_local_series("Australia/Melbourne", "2024-03-20")),
             "The clocks went back on 2024-04-07: the wall-clock times 02:00-03:00 came twice", refused=False),
    BadInput("forecast", "a London export with UTC offsets, across the clocks going forward",
             "read in local time; the skipped hour interpolated, and said",
             forecast_upload(_local_series("Europe/London", "2024-03-10")),
             "The clocks went forward on 2024-03-31: the wall-clock times 01:00-02:00 that never came", refused=False),
    BadInput("forecast", "one row with a +05:00 offset among plain times", "read at its wall-clock time; the row named",
             forecast_upload(_one_offset_row()), "1 rows carry a UTC offset while the rest have none, the first in "
             "data row 101", refused=False),
    BadInput("forecast", "dates written day first (dd/mm/yyyy)", "read day first, and said", forecast_upload(_day_first()),
             "are written day first (dd/mm/yyyy): every date was read day first", refused=False),
    BadInput("forecast", "time stamps 1 nanosecond apart", "refused: the step must be at least one second",
             forecast_upload(series_csv(steps=2000, freq="1ns").to_csv(index=False)), "only 1 nanosecond apart"),
    BadInput("forecast", "a column name holding HTML and Markdown", "shown as text in the notes",
             forecast_upload(series_csv().rename(columns={"value": FORECAST_MARKUP}).to_csv(index=False)),
             "Read 720 steps from column", refused=False,
             holds=lambda answer: md_text(FORECAST_MARKUP) in answer[2] and FORECAST_MARKUP not in answer[2]),
    BadInput("forecast", "an origin with a UTC offset", "read in the series' wall-clock time, and said",
             _api("forecast", "victoria", None, "", "", "2014-12-25T00:00:00+11:00", True, "gru"),
             "The origin's UTC offset (+11:00) was set aside", refused=False),
    BadInput("forecast", "a 10,000-character origin", "refused without echoing it: at most 64 characters",
             _api("forecast", "victoria", None, "", "", "2" * 10_000, True, "gru"), "the origin has 10,000 characters; at "
             "most 64 are read"),
    BadInput("forecast", "no origin: past the end of the data", "forecasts; the day's metrics table is empty, under its "
             "real headers", _api("forecast", "victoria", None, "", "", "", True, "gru"), "past the end of the data",
             refused=False, holds=lambda answer: answer[1]["headers"][:2] == ["forecaster", "MAE"]),
    BadInput("backtest", "an unknown cell", "refused, naming the cells", _api("backtest", "transformer"),
             "is not in the list of choices"),
    BadInput("forecast_model_info", "an unknown cell", "refused, naming the cells",
             _api("forecast_model_info", "lstm2"), "is not in the list of choices"),
    BadInput("forecast_load_from_hub", "a repository id with two slashes", "refused; the tab keeps its model",
             _api("forecast_load_from_hub", "a/b/c", ""), "is not a Hub model id"),
    BadInput("classify_compare", "an empty or blank review", "refused: the review is empty",
             _api("classify_compare", "   "), "the review is empty"),
    BadInput("forecast_compare", "the upload chosen with no file", "refused: upload a CSV file first",
             _api("forecast_compare", "upload", None, "", "", "", ""), "upload a CSV file first"),
    BadInput("forecast_compare", "an origin that is not a time", "refused, as the single forecast is",
             _api("forecast_compare", "victoria", None, "", "", "next tuesday", ""),
             "cannot read 'next tuesday' as a time"),
    BadInput("forecast_temperature", "an origin past the last day with observed temperatures",
             "refused, naming the last origin the oracle can forecast",
             _api("forecast_temperature", "2015-01-01 00:00", "gru"), "choose an origin up to 2014-12-31 00:00"),
    BadInput("forecast_temperature", "an unknown cell", "refused, naming the cells",
             _api("forecast_temperature", "", "transformer"), "is not in the list of choices"),
    # inside the network
    BadInput("inside_unrolled", "an empty input", "refused: type a few characters (up to 12)",
             _api("inside_unrolled", "", "lstm", 1, 48), "type a few characters to unroll (up to 12)"),
    BadInput("inside_unrolled", "13 characters", "refused: unrolling shows up to 12",
             _api("inside_unrolled", "x" * 13, "lstm", 1, 48), "unrolling shows up to 12"),
    BadInput("inside_unrolled", "5,000 characters (past the passages' limit too)", "refused: unrolling shows up to 12",
             _api("inside_unrolled", "x" * 5000, "lstm", 1, 48), "5,000 characters; unrolling shows up to 12"),
    BadInput("inside_unrolled", "a layer the model does not have", "refused, naming the layers",
             _api("inside_unrolled", "ROMEO", "lstm", 3, 48), "this model has layers 1 to 2"),
    BadInput("inside_unrolled", "characters the model never saw (emoji, controls)",
             "unrolls them as the unknown symbol, and names them", _api("inside_unrolled", "RO\x00😀", "lstm", 1, 48),
             "Read as unknown (the model never saw them in training): ␀ 😀", refused=False),
    BadInput("inside_find_units", "an empty passage", "refused: the passage is empty",
             _api("inside_find_units", "", "lstm"), "the passage is empty"),
    BadInput("inside_find_units", "spaces and line breaks alone", "answers: the model reads them as characters; "
             "no feature varies enough to measure", _api("inside_find_units", "  \n ", "lstm"), "No feature can be "
             "measured", refused=False),
    BadInput("inside_find_units", "a passage over 3,000 characters", "refused: the limit is 3,000",
             _api("inside_find_units", "x" * 3001, "lstm"), "the limit here is 3,000"),
    BadInput("inside_find_units", "a passage with no line breaks", "answers; features that do not vary are named "
             "as not measurable", _api("inside_find_units", "To be or not to be", "gru"), "not measurable",
             refused=False),
    BadInput("inside_find_units", "a lone surrogate (half of a UTF-16 pair)", "answers; it is read as �",
             _json_call("inside_find_units", '["ROMEO:\\nBut soft \\ud800 what light", "gru"]'), "\ufffd",
             refused=False),
    BadInput("inside_colour_by_unit", "a unit index out of range", "refused, naming the units",
             _api("inside_colour_by_unit", "ROMEO:\nBut soft", "gru", 1, "h", 100_000), "is out of range: each layer "
             "of this model has units 0 to"),
    BadInput("inside_colour_by_unit", "the cell state of a GRU", 'refused: "c" exists only for the LSTM',
             _api("inside_colour_by_unit", "ROMEO:\nBut soft", "gru", 1, "c", 0), '"c" exists only for the LSTM'),
    BadInput("inside_memory", "a position past the end", "refused, naming the positions",
             _api("inside_memory", "ROMEO:\nBut soft", 500), "is past the end: choose 0 to 13"),
    BadInput("inside_memory", "a one-character passage", "refused: it needs a next character to predict",
             _api("inside_memory", "R", None), "it needs at least 2"),
    BadInput("inside_compare", "a passage over 3,000 characters", "refused: the limit is 3,000",
             _api("inside_compare", "x" * 3001), "the limit here is 3,000"),
    BadInput("inside_compare", "a one-character passage", "refused: the first character has nothing before it",
             _api("inside_compare", "R"), "needs at least two characters"),
    BadInput("inside_compare", "a lone surrogate (half of a UTF-16 pair)", "compares; it is read as �",
             _json_call("inside_compare", '["ROMEO:\\nBut soft \\ud800 what light"]'), "\ufffd", refused=False),
    BadInput("inside_load_from_hub", "a repository id that is not user/name", "refused; the tab keeps its model",
             _api("inside_load_from_hub", "not a repo!!", ""), "is not a Hub model id"),
    # gradient lab
    BadInput("lab_run", "3,001 training steps", "refused: the range is 1 to 3,000", lab_run(steps=3001),
             "greater than maximum value 3000"),
    BadInput("lab_run", "T = 201", "refused: the range is 5 to 200", lab_run(length=201),
             "greater than maximum value 200"),
    BadInput("lab_run", "a learning rate of 0", "refused: the range is 1e-05 to 10", lab_run(lr=0),
             "Run A, Learning rate: Value 0 is less than minimum value 1e-05"),
    BadInput("lab_run", "run B's learning rate of 20", "refused, naming run B and the setting",
             _api("lab_run", *lab_values(), True, *lab_values(lr=20)),
             "Run B, Learning rate: Value 20 is greater than maximum value 10"),
    BadInput("lab_run", "a learning rate that is not a number (NaN)", "refused: the range is 1e-05 to 10",
             _json_call("lab_run", json.dumps([*lab_values(), False, *lab_values()]).replace("0.01", "NaN", 1)),
             "the learning rate must be a number from 1e-05 to 10, not nan"),
    BadInput("lab_run", "T that is not a number", "refused: the range is 5 to 200", lab_run(length="ten"),
             "T: how far back the answer is must be a number from 5 to 200, not 'ten'"),
    BadInput("lab_run", "a seed of 1e300", "refused; the message shows the number short", lab_run(seed=1e300),
             "not 1e+300"),
    BadInput("lab_run", "a spectral radius of 5", "refused: the range is 0.1 to 3", lab_run(scale_on=True, scale=5.0),
             "greater than maximum value 3.0"),
    BadInput("lab_run", "runs A and B on different problems", "refused: compare two runs on the same problem",
             _api("lab_run", *lab_values(), True, *lab_values(problem="adding")), "compare two runs on the same problem"),
    BadInput("lab_run", "a second run while the visitor's first is going", "refused: stop it, or wait for it",
             _second_lab_run, "you already have a run going or waiting"),
    BadInput("lab_preset", "a preset that does not exist", "refused, naming the presets",
             _api("lab_preset", "the transformer wins"), "is not in the list of choices"),
    # train your own
    BadInput("train", "a text file of 500 characters", "refused: at least 2,000 are needed",
             train(data="to be or not " * 40), "at least 2,000 are needed"),
    BadInput("train", "a text of 400 different characters", "refused: at most 300",
             train(data="".join(chr(0x4E00 + i) for i in range(400)) * 10), "at most 300 can be learned"),
    BadInput("train", "a picture renamed .txt", "refused: it holds binary data",
             train(data=PNG, name="verse.txt"), "it holds binary data"),
    BadInput("train", "a labelled CSV with one label only", "refused: a classifier needs two or more",
             train("sentiment", _labelled_csv(1), "reviews.csv"), "a classifier needs two or more"),
    BadInput("train", "a labelled CSV with 30 labels", "refused: at most 10",
             train("sentiment", _labelled_csv(30, 600), "reviews.csv"), "at most 10 are learned here"),
    BadInput("train", "a labelled CSV with 3 rows per label", "refused: too little data to hold out a part",
             train("sentiment", _labelled_csv(2, 6), "reviews.csv"), "too little data"),
    BadInput("train", "a label column that does not exist", "refused, naming the file's columns",
             train("sentiment", _labelled_csv(2), "reviews.csv", columns=("text", "stars", "", "", "")),
             "no column 'stars'"),
    BadInput("train", "a series of 10 days", "refused: needs 35 days",
             train("forecast", series_csv(24 * 10).to_csv(index=False), "grid.csv"), "needs 35 days"),
    BadInput("train", "no file and no dataset", "refused: upload a file or name a Hub dataset",
             train(), "upload a file, or name a Hub dataset"),
    BadInput("train", "a dataset id that is not one", "refused: use the form user/name",
             train(dataset="not a dataset!!"), "is not a Hub dataset id"),
    BadInput("train", "a time budget of 1,000 s", "refused: the range is 5 to 180",
             train(data="to be or not " * 400, seconds=1000), "greater than maximum value 180"),
    BadInput("train", "a time budget that is not a number", "refused: the range is 5 to 180",
             train(data="to be or not " * 400, seconds="ten"), "must be a number from 5 to 180, not 'ten'"),
    BadInput("train", "a size that does not exist", "refused, naming the sizes",
             train(data="to be or not " * 400, size="huge"), "is not in the list of choices"),
    BadInput("train", "a learning rate of 1", "refused: the range is 0.0001 to 0.05",
             train(data="to be or not " * 400, lr=1.0), "greater than maximum value 0.05"),
    BadInput("train_check", "a text file of 500 characters", "refused: at least 2,000 are needed",
             _api("train_check", "text", None, "", "", "train", "", "", "", "", "",
                  files={1: ("short.txt", "to be or not " * 40)}), "at least 2,000 are needed"),
    BadInput("train_stop", "Stop with nothing training", "refused: nothing of yours is running",
             _api("train_stop"), "nothing of yours is running"),
    BadInput("train_stop", "Stop while the session's Gradient lab run goes", "refused: there is no training to stop; "
             "the lab run goes on", _train_stop_beside_a_lab_run, "there is no training to stop"),
    BadInput("train_push", "Push without signing in", "refused: sign in with Hugging Face first",
             _api("train_push", "my-model", False), "Sign in with Hugging Face first"),
]


def answer_text(answer: object) -> str:
    """An answer as the test searches it: JSON, characters kept as they are."""
    return json.dumps(answer, ensure_ascii=False, default=str)
