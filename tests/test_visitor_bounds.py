"""A visitor's Hub model is bounded before anything is built: every file by its size on the Hub, every field of its
config by type and range, the parameters its config implies, and its weights' header against that config. Crafted
repositories on the local Hub server (tests/hubserver.py) are refused with a clear message, and no model is built."""
import json
import re
import struct
import typing
from dataclasses import dataclass, fields
from pathlib import Path

import httpx2
import pytest
import torch
from huggingface_hub import HfApi
from safetensors.torch import load_file, save_file

from rnn_demo.display import md_text
from rnn_demo.forecast.model import Forecaster, ForecastConfig
from rnn_demo.backbone import num_parameters
from rnn_demo.hub import MODEL_FILES, WEIGHTS_NAME, ModelLoadError, load_model
from rnn_demo.sentiment.model import ReviewClassifier, SentimentConfig
from rnn_demo.sentiment.tokenizer import load_tokenizer, train_tokenizer
from rnn_demo.text.model import CharLM
from rnn_demo.tasks import TASKS
from rnn_demo.visitor_checks import ConfigLimits, MAX_PARAMETERS, check_config, check_weights
from rnn_demo.forecast.model import VISITOR_LIMITS as FORECAST_LIMITS
from rnn_demo.sentiment.model import VISITOR_LIMITS as SENTIMENT_LIMITS
from rnn_demo.text.model import VISITOR_LIMITS as TEXT_LIMITS
from rnn_demo.visitor_hub import VisitorModels
from tests.conftest import ROOT, tiny_model
from tests.hubserver import hub_environment, local_hub

SENTIMENT = {"task": "sentiment", "cell": "gru", "vocab_size": 30, "embedding_dim": 4, "hidden_size": 4,
             "num_layers": 1, "bidirectional": True, "dropout": 0.3, "labels": ["negative", "positive"],
             "max_tokens": 1000, "storage_dtype": "float16"}
REVIEWS = ["a good film", "a bad film", "good acting", "bad acting"] * 3


# -- the config, field by field (pure functions, literal inputs) --------------------------------------------------
@pytest.mark.parametrize("change, message", [
    ({"labels": [f"l{i}" for i in range(50_000)]}, "labels has 50,000 entries; the limit is 32"),
    ({"labels": ["x" * 1000, "y"]}, "labels[0] has 1,000 characters; the limit is 64"),
    ({"labels": ["a", 3]}, "labels[1] must be a string"),
    ({"labels": ["same", "same"]}, "the labels 'same' and 'same' read alike on a page"),
    ({"labels": ["ok", "ok\u200b"]}, "the labels 'ok' and 'ok\\u200b' read alike on a page"),
    ({"labels": ["Positive", "positive ", "negative"]}, "'Positive' and 'positive ' read alike on a page"),
    ({"labels": ["", "x"]}, "the label '' shows nothing on a page"),
    ({"labels": ["\u200e", "x"]}, "shows nothing on a page"),
    ({"labels": "negative,positive"}, "labels must be a list"),
    ({"hidden_size": 16.0}, "hidden_size must be a whole number, not 16.0"),
    ({"hidden_size": True}, "hidden_size must be a whole number, not true"),
    ({"hidden_size": "16"}, 'hidden_size must be a whole number, not "16"'),
    ({"hidden_size": 0}, "hidden_size is 0; it must be between 1 and 1,024"),
    ({"hidden_size": 100_000}, "hidden_size is 100,000; it must be between 1 and 1,024"),
    ({"num_layers": 10 ** 400}, "num_layers is a number of 401 digits; it must be between 1 and 4"),
    ({"dropout": float("nan")}, "dropout must be a finite number between 0 and 0.99"),
    ({"dropout": [0.1]}, "dropout must be a number"),
    ({"bidirectional": "yes"}, "bidirectional must be true or false"),
    ({"cell": "transformer"}, "unknown cell 'transformer'"),
    ({"cell": "x" * 10_000}, "cell has 10,000 characters; the limit is 16"),
    ({"storage_dtype": "int8"}, "storage_dtype must be one of float32, float16, bfloat16"),
    ({"labels": ["only"]}, "a classifier needs at least two labels"),
    ({"vocab_size": 50_000, "embedding_dim": 1024}, f"parameters; the limit here is {MAX_PARAMETERS:,} "),
])
def test_a_config_out_of_bounds_is_refused_naming_the_field(change, message):
    with pytest.raises(ModelLoadError, match="user/m's config.json does not fit this app") as raised:
        check_config({**SENTIMENT, **change}, SENTIMENT_LIMITS, "user/m")
    assert message in str(raised.value)


@pytest.mark.parametrize("change, message", [
    ({"quantiles": [i / 1001 for i in range(1, 1001)]}, "quantiles has 1,000 entries; the limit is 99"),
    ({"quantiles": [0.1, 0.5, "0.9"]}, "quantiles[2] must be a number"),
    ({"quantiles": [0.1, 0.5, 1.5]}, "quantiles[2] must be a finite number between 0.001 and 0.999"),
    ({"features": ["demand"]}, "features must be the app's"),
    ({"unit": "<img src=x>"}, "unit may not hold"),
    ({"window": 100_000}, "window is 100,000; it must be between 1 and 2,016"),
    ({"train_std": float("inf")}, "train_std must be a finite number"),
    ({"quantiles": [0.25, 0.5, 0.75]}, "include the median 0.5 and the 80% interval's 0.1 and 0.9"),
    ({"horizon": 100}, "the horizon (100 steps), the day (48) and the week (336) must come in that order"),
    ({"week": 24}, "day and week must count 24 hours and 7 days of 30-minute steps: 48 and 336"),
    ({"day": 24, "horizon": 24}, "day and week must count 24 hours and 7 days of 30-minute steps: 48 and 336"),
    ({"step_minutes": 60}, "day and week must count 24 hours and 7 days of 60-minute steps: 24 and 168"),
    ({"step_minutes": 15}, "step_minutes must be one of 30, 60 (the series steps this app reads), not 15"),
    ({"train_mean": 2e150}, "train_mean must be a finite number between -1e+150 and 1e+150"),
])
def test_forecast_config_fields_are_bounded(change, message):
    config = {**vars(ForecastConfig(hidden_size=4)), **change}
    with pytest.raises(ModelLoadError) as raised:
        check_config(config, FORECAST_LIMITS, "user/f")
    assert message in str(raised.value)


def test_a_forecaster_of_hourly_steps_or_of_large_units_is_a_visitors_model_too():
    """What the Train tab makes loads back from the Hub: an hourly model, one trained on energy in joules (a mean of
    5e12, refused before as over 1e12)."""
    hourly = {**vars(ForecastConfig(hidden_size=4)), "step_minutes": 60, "day": 24, "week": 168, "window": 168,
              "horizon": 24, "train_mean": 5.4e12, "train_std": 1e12}
    assert check_config(hourly, FORECAST_LIMITS, "user/f").day == 24


def test_labels_that_read_differently_are_kept_apart():
    """Only invisible characters, case, width and spacing are set aside: an emoji joined by ZWJ, a word with a ZWNJ
    and accented letters are other labels."""
    labels = ["\U0001F468\u200d\U0001F469", "\U0001F468\U0001F469", "\u0645\u06cc\u200c\u062e", "\u0645\u06cc\u062e",
              "résumé", "resume", "1", "01", "中文", "emoji \U0001F600"]
    assert check_config({**SENTIMENT, "labels": labels}, SENTIMENT_LIMITS, "user/m").labels == labels


def test_text_vocabularies_are_single_characters_within_the_limit():
    config = {**vars(tiny_model().config)}
    assert check_config(config, TEXT_LIMITS, "user/t").vocab == config["vocab"]
    with pytest.raises(ModelLoadError, match=r"vocab\[3\] must be one character"):
        check_config({**config, "vocab": [*config["vocab"][:3], "ab"]}, TEXT_LIMITS, "user/t")
    with pytest.raises(ModelLoadError, match="vocab has 6,001 entries; the limit is 5,000"):
        check_config({**config, "vocab": ["<unk>", *map(chr, range(0x4E00, 0x4E00 + 6000))]}, TEXT_LIMITS, "user/t")
    with pytest.raises(ModelLoadError, match="vocab holds no character besides the unknown symbol"):
        check_config({**config, "vocab": ["<unk>"]}, TEXT_LIMITS, "user/t")
    with pytest.raises(ModelLoadError, match="vocab must all differ"):  # characters are compared as they are
        check_config({**config, "vocab": [*config["vocab"], config["vocab"][1]]}, TEXT_LIMITS, "user/t")


def test_weights_that_hold_nan_or_infinity_are_refused_once_read(tmp_path):
    folder = sentiment_folder(tmp_path / "nan")
    weights = load_file(str(folder / WEIGHTS_NAME))
    weights["head.bias"][1] = float("inf")
    save_file(weights, str(folder / WEIGHTS_NAME))
    with pytest.raises(ModelLoadError, match=r"its weights hold NaN or infinite values \(head.bias\)"):
        load_model(ReviewClassifier, folder, "cpu")


def test_every_config_field_and_every_model_file_has_its_bound():
    for task in TASKS.values():
        limits = task.limits
        tables = {int: limits.whole, float: limits.real, bool: dict.fromkeys(limits.flags), str: limits.strings,
                  list: limits.lists}
        for field in fields(limits.config):
            kind = typing.get_origin(field.type) or field.type
            assert [field.name in table for table in tables.values()].count(True) == 1, field.name
            assert field.name in tables[kind], field.name
        files = list(limits.file_limits)
        assert files[0] == "config.json" and set(files) <= set(MODEL_FILES)  # config.json is checked first


def test_a_task_whose_config_has_a_field_without_a_bound_is_refused_when_declared():
    @dataclass
    class Unbounded:
        hidden_size: int = 4
        colour: str = "red"
        task: str = "toy"

    with pytest.raises(ValueError, match="Unbounded has fields without a bound: colour"):
        ConfigLimits(Unbounded)


def test_a_config_within_bounds_gives_the_tasks_config_and_unknown_keys_are_dropped():
    config = check_config({**SENTIMENT, "written_by": "a newer version"}, SENTIMENT_LIMITS, "user/m")
    assert config == SentimentConfig(**SENTIMENT)


# -- the weights' header against the config (pure: bytes written to a file) ------------------------------------------
def _safetensors(path: Path, header: dict, data: bytes = b"", length: int | None = None) -> Path:
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw) if length is None else length) + raw + data)
    return path


def _weights_of(config: SentimentConfig, path: Path, dtype=torch.float16) -> Path:
    state = {k: v.to(dtype).contiguous() for k, v in ReviewClassifier(config).state_dict().items()}
    save_file(state, str(path))
    return path


def test_weights_that_match_the_config_pass(tmp_path):
    config = SentimentConfig(**SENTIMENT)
    for dtype in (torch.float32, torch.float16, torch.bfloat16):
        check_weights(_weights_of(config, tmp_path / "w.safetensors", dtype), config, "user/m")


def test_a_header_that_disagrees_with_the_config_is_refused(tmp_path):
    config = SentimentConfig(**SENTIMENT)
    other = SentimentConfig(**{**SENTIMENT, "hidden_size": 8})
    with pytest.raises(ModelLoadError, match=r"backbone.rnn.weight_ih_l0 has shape \[24, 4\]; the config implies "
                                             r"\[12, 4\]"):
        check_weights(_weights_of(other, tmp_path / "a.safetensors"), config, "user/m")
    with pytest.raises(ModelLoadError, match="dtype 'F64'; the app reads F32, F16 or BF16"):
        check_weights(_weights_of(config, tmp_path / "b.safetensors", torch.float64), config, "user/m")
    fewer = SentimentConfig(**{**SENTIMENT, "bidirectional": False})
    with pytest.raises(ModelLoadError, match="lacks backbone.rnn.bias_hh_l0_reverse"):
        check_weights(_weights_of(fewer, tmp_path / "c.safetensors"), config, "user/m")
    with pytest.raises(ModelLoadError, match="holds 'backbone.rnn.bias_hh_l0_reverse' and more, which the config does not"):
        check_weights(_weights_of(config, tmp_path / "d.safetensors"), fewer, "user/m")


@pytest.mark.parametrize("header, data, length, message", [
    ({}, b"", 10 ** 12, "its header would be 1,000,000,000,000 bytes; the limit is 100,000"),
    ({}, b"", 500, "it ends inside its header"),
    (None, b"", None, "it is not a safetensors file"),
    ({"embed.weight": {"dtype": "F16", "shape": [30, 4], "data_offsets": [0, 10 ** 9]}}, b"", None,
     "the data of 'embed.weight' is not where its header says"),
    ({"embed.weight": {"dtype": "F16", "shape": [30, -4], "data_offsets": [0, 240]}}, bytes(240), None,
     "'embed.weight' has shape [30, -4]"),
])
def test_a_malformed_header_is_refused_without_reading_the_tensors(tmp_path, header, data, length, message):
    path = tmp_path / "w.safetensors"
    if header is None:
        path.write_bytes(struct.pack("<Q", 4) + b"\xff{[x" + data)
    else:
        _safetensors(path, header, data, length)
    with pytest.raises(ModelLoadError) as raised:
        check_weights(path, SentimentConfig(**SENTIMENT), "user/m")
    assert message in str(raised.value) and "model.safetensors" in str(raised.value)


# -- crafted repositories on the local Hub, loaded as a visitor would ---------------------------------------------
@pytest.fixture
def hub(tmp_path, monkeypatch):
    with local_hub() as server:
        hub_environment(monkeypatch, server, tmp_path / "hf")
        yield server


def sentiment_folder(folder: Path, config: dict | None = None, weights_config: dict | None = None,
                     tokenizer: bytes | None = None) -> Path:
    """A sentiment model folder: config.json (`config`, default SENTIMENT), weights of `weights_config` (default: the
    same), a tokenizer trained on a few reviews (or `tokenizer`'s bytes)."""
    folder.mkdir(parents=True)
    model = ReviewClassifier(SentimentConfig(**(weights_config or SENTIMENT)))
    model.save_pretrained(folder)
    (folder / "config.json").write_text(json.dumps(config or SENTIMENT))
    if tokenizer is None:
        train_tokenizer(REVIEWS, vocab_size=SENTIMENT["vocab_size"], min_frequency=1).save(str(folder / "tokenizer.json"))
    else:
        (folder / "tokenizer.json").write_bytes(tokenizer)
    return folder


def crafted_tokenizer(vocab: dict[str, int] | None = None, replaces: int = 0, pad_to: int = 0) -> bytes:
    """A tokenizer.json a visitor could publish: the app's own, with `vocab`'s ids, a chain of `replaces` steps
    that each make every "a" ten (1 KB that would make a 100-character review 3.5 GB), padding to `pad_to`."""
    from tokenizers import Tokenizer, models, normalizers

    tokenizer = train_tokenizer(REVIEWS, vocab_size=SENTIMENT["vocab_size"], min_frequency=1)
    if vocab:
        tokenizer.model = models.WordLevel({"<pad>": 0, "<unk>": 1, **vocab}, unk_token="<unk>")
    if replaces:
        tokenizer.normalizer = normalizers.Sequence([normalizers.Replace("a", "a" * 10)] * replaces)
    if pad_to:
        tokenizer.enable_padding(length=pad_to)
    return Tokenizer.to_str(tokenizer).encode()


def publish(repo_id: str, folder: Path) -> None:
    api = HfApi()
    api.create_repo(repo_id)
    api.upload_folder(folder_path=folder, repo_id=repo_id)


class CountedBuilds:
    """The sentiment tab's build (model and tokenizer from the downloaded folder), counting its calls."""

    def __init__(self):
        self.calls = []

    def __call__(self, directory: Path):
        self.calls.append(directory)
        return load_model(ReviewClassifier, directory, "cpu"), load_tokenizer(directory)


def gets(hub, name: str) -> int:
    return sum(1 for method, path in hub.requests if method == "GET" and path.endswith("/" + name))


def test_a_well_formed_repository_loads_and_leaves_no_files_behind(hub, tmp_path):
    publish("user/fine", sentiment_folder(tmp_path / "fine"))
    builds, folder = CountedBuilds(), tmp_path / "visitors"
    visitors = VisitorModels(SENTIMENT_LIMITS, builds, capacity=1, folder=folder)
    (model, tokenizer), commit = visitors.load("user/fine")
    assert commit == hub.head("user/fine") and model.config == SentimentConfig(**SENTIMENT) and len(builds.calls) == 1
    assert tokenizer.get_vocab_size() <= model.config.vocab_size
    assert [p for p in folder.rglob("*") if p.is_file()] == []  # deleted once the model is built
    assert not (tmp_path / "hf" / "hub").exists() or not list((tmp_path / "hf" / "hub").rglob("models--*"))
    assert visitors.load("user/fine")[0][0] is model and len(builds.calls) == 1  # shared: not downloaded again
    assert gets(hub, WEIGHTS_NAME) == 1


@pytest.mark.slow  # over 2 s: out of the fast loop (tests/README.md)
def test_crafted_repositories_are_refused_before_any_model_is_built(hub, tmp_path):
    labels = [f"label {i}" for i in range(1_000_000)]
    million = {**SENTIMENT, "labels": labels}
    huge = {**SENTIMENT, "vocab_size": 50_000, "embedding_dim": 1024, "hidden_size": 1024}
    vocab = train_tokenizer(REVIEWS, vocab_size=30, min_frequency=1).get_vocab()
    token, largest = max(vocab.items(), key=lambda item: item[1])
    (no_tokenizer := sentiment_folder(tmp_path / "g")).joinpath("tokenizer.json").unlink()
    repos = {  # repo -> (folder, what the refusal says, files it must never download)
        "user/million-labels": (sentiment_folder(tmp_path / "a", million),
                                f"config.json has {len(json.dumps(million)) / 2 ** 20:.1f} MB; the limit here is 1 MB",
                                ["config.json", WEIGHTS_NAME]),
        "user/many-labels": (sentiment_folder(tmp_path / "b", {**SENTIMENT, "labels": labels[:50_000]}),
                             "labels has 50,000 entries; the limit is 32", [WEIGHTS_NAME]),
        "user/big-tokenizer": (sentiment_folder(tmp_path / "c", tokenizer=b" " * 6_000_000),
                               "tokenizer.json has 5.7 MB; the limit here is 5 MB", ["tokenizer.json", WEIGHTS_NAME]),
        "user/huge": (sentiment_folder(tmp_path / "d", huge),
                      f"implies {num_parameters(SentimentConfig(**huge).state_shapes()):,} parameters", [WEIGHTS_NAME]),
        "user/disagrees": (sentiment_folder(tmp_path / "e", weights_config={**SENTIMENT, "hidden_size": 8}),
                           "backbone.rnn.weight_ih_l0 has shape [24, 4]; the config implies [12, 4]", []),
        "user/wide-tokenizer": (sentiment_folder(tmp_path / "f", {**SENTIMENT, "vocab_size": 5},
                                                 {**SENTIMENT, "vocab_size": 5}),
                                f"tokenizer.json gives the token '{token}' the id {largest}; the config's vocab_size "
                                "is 5", []),
        "user/sparse-tokenizer": (sentiment_folder(tmp_path / "h",
                                                   tokenizer=crafted_tokenizer(vocab={"great": 40_000})),
                                  "gives the token 'great' the id 40,000; the config's vocab_size is 30", []),
        "user/tokenizer-bomb": (sentiment_folder(tmp_path / "i", tokenizer=crafted_tokenizer(replaces=6)),
                                "its normalizer step 'Replace' is not one of BertNormalizer", []),
        "user/padded-tokenizer": (sentiment_folder(tmp_path / "j", tokenizer=crafted_tokenizer(pad_to=10**8)),
                                  "it sets padding, which this app's tokenizers never do", []),
        "user/no-tokenizer": (no_tokenizer, "has no tokenizer.json: it is not a complete rnn-demo sentiment model",
                              [WEIGHTS_NAME]),
    }
    builds, folder = CountedBuilds(), tmp_path / "visitors"
    visitors = VisitorModels(SENTIMENT_LIMITS, builds, folder=folder)
    for repo_id, (files, message, never) in repos.items():
        publish(repo_id, files)
        requests = len(hub.requests)
        with pytest.raises(ModelLoadError) as raised:
            visitors.load(repo_id)
        assert message in str(raised.value) and repo_id in str(raised.value)
        assert not [p for m, p in hub.requests[requests:] if m == "GET" and p.rsplit("/", 1)[-1] in never], repo_id
    assert builds.calls == []  # no refused repository reached a model constructor
    assert [p for p in folder.rglob("*") if p.is_file()] == []  # nor left a file behind


def test_a_repository_whose_list_of_files_is_too_long_is_refused_as_it_comes(hub, tmp_path, monkeypatch):
    from rnn_demo import hub_deadline

    publish("user/crowded", sentiment_folder(tmp_path / "m"))
    monkeypatch.setattr(hub_deadline, "API_ANSWER_BYTES", 300)  # the Hub's JSON about it is longer than that
    builds = CountedBuilds()
    with pytest.raises(ModelLoadError, match="user/crowded has too many files for this app"):
        VisitorModels(SENTIMENT_LIMITS, builds, folder=tmp_path / "v").load("user/crowded")
    assert builds.calls == [] and gets(hub, "config.json") == 0


@pytest.mark.parametrize("gzip_json", ["asked", "always"])
def test_the_bound_on_the_list_of_files_counts_it_uncompressed(hub, tmp_path, monkeypatch, gzip_json):
    """A Hub that gzips its JSON where asked (the load asks for it uncompressed), or a proxy that gzips whatever is
    asked (counted as it decompresses): the bound is on the list itself, which gzip makes several times smaller."""
    from rnn_demo import hub_deadline

    publish("user/crowded", sentiment_folder(tmp_path / "m"))
    hub.gzip_json = gzip_json
    answers = {}  # the repository's info as the Hub sends it: plain and gzipped sizes
    with httpx2.Client() as client:
        for encoding in ("identity", "gzip"):
            answer = client.get(f"{hub.endpoint}/api/models/user/crowded", params={"blobs": True},
                                headers={"Accept-Encoding": encoding})
            answers[encoding] = int(answer.headers["Content-Length"]), len(answer.content)
    plain, compressed = answers["identity"][1], min(answers["gzip"][0], answers["identity"][0])
    assert compressed < plain, answers  # the bound lies between them
    monkeypatch.setattr(hub_deadline, "API_ANSWER_BYTES", (compressed + plain) // 2)
    builds = CountedBuilds()
    with pytest.raises(ModelLoadError, match="user/crowded has too many files for this app"):
        VisitorModels(SENTIMENT_LIMITS, builds, folder=tmp_path / "v").load("user/crowded")
    assert builds.calls == [] and gets(hub, "config.json") == 0
    monkeypatch.setattr(hub_deadline, "API_ANSWER_BYTES", plain + 1)  # within the bound, gzipped or not: it loads
    assert VisitorModels(SENTIMENT_LIMITS, builds, folder=tmp_path / "w").load("user/crowded")


def test_an_answer_in_an_encoding_that_cannot_be_counted_is_refused_for_what_it_is(hub, tmp_path):
    publish("user/crowded", sentiment_folder(tmp_path / "m"))
    hub.gzip_json = "br"  # not asked for, and not counted as it comes: neither "too many files" nor a traceback
    with pytest.raises(ModelLoadError, match=r"the Hub answered about user/crowded in an encoding this app does not "
                                             r"read \('br'\): try again later"):
        VisitorModels(SENTIMENT_LIMITS, CountedBuilds(), folder=tmp_path / "v").load("user/crowded")


def test_errors_from_building_name_the_repository_not_the_servers_folders(hub, tmp_path):
    publish("user/reviews", sentiment_folder(tmp_path / "m"))
    folder = tmp_path / "visitors"
    wrong_class = VisitorModels(SENTIMENT_LIMITS, lambda directory: load_model(CharLM, directory, "cpu"), folder=folder)
    with pytest.raises(ModelLoadError) as raised:
        wrong_class.load("user/reviews")
    message = str(raised.value)
    assert "holds a 'sentiment' model, not a 'text' one" in message and "user/reviews" in message
    assert str(tmp_path) not in message and "/tmp" not in message and str(folder) not in message


def test_a_long_repository_id_or_revision_is_quoted_cut_short(hub, tmp_path):
    publish("user/fine", sentiment_folder(tmp_path / "m"))
    visitors = VisitorModels(SENTIMENT_LIMITS, CountedBuilds(), folder=tmp_path / "v")
    for repo_id, revision in (("x" * 10_000, ""), ("user/fine", "y" * 10_000)):
        with pytest.raises(ModelLoadError) as raised:
            visitors.load(repo_id, revision)
        assert len(str(raised.value)) < 200 and "…" in str(raised.value)


def test_the_status_note_shows_the_repository_id_as_text(hub, tmp_path):
    from rnn_demo.ui.common import load_from_hub

    publish("user/a-_b_", sentiment_folder(tmp_path / "m"))
    (repo_id, commit), status = load_from_hub(VisitorModels(SENTIMENT_LIMITS, CountedBuilds(), folder=tmp_path / "v"),
                                              "user/a-_b_", "main")
    assert repo_id == "user/a-_b_" and commit == hub.head("user/a-_b_")
    assert md_text("user/a-_b_") in status and "a-_b_" not in status  # `_b_` would show in italics


def test_forecast_and_text_repositories_are_checked_against_their_own_formulas(hub, tmp_path):
    forecast, text = tmp_path / "forecast", tmp_path / "text"
    Forecaster(ForecastConfig(hidden_size=4)).save_pretrained(forecast)
    tiny_model().save_pretrained(text)
    publish("user/demand", forecast)
    publish("user/plays", text)
    loaded, _ = VisitorModels(FORECAST_LIMITS, lambda d: load_model(Forecaster, d, "cpu"),
                              folder=tmp_path / "v").load("user/demand")
    assert loaded.config.hidden_size == 4
    assert VisitorModels(TEXT_LIMITS, lambda d: load_model(CharLM, d, "cpu"), folder=tmp_path / "v").load(
        "user/plays")[0].config.vocab == tiny_model().config.vocab
    config = json.loads((text / "config.json").read_text())
    (text / "config.json").write_text(json.dumps({**config, "hidden_size": 32}))
    HfApi().upload_folder(folder_path=text, repo_id="user/plays")
    with pytest.raises(ModelLoadError, match=r"backbone.rnn.weight_ih_l0 has shape \[64, 8\]; the config implies "
                                             r"\[128, 8\]"):
        VisitorModels(TEXT_LIMITS, lambda d: load_model(CharLM, d, "cpu"), folder=tmp_path / "v").load("user/plays")


def test_a_spaces_named_model_is_held_to_a_visitors_bounds_before_a_tab_is_built_on_it(tiny_models_dir, tmp_path,
                                                                                        monkeypatch):
    """model_sources.checked_cell: what a Space's RNN_DEMO_<TASK>_REPO names, once downloaded; the app starts on
    the bundled model (and says why) where it fails, never builds a tab to crash on it."""
    import shutil

    from rnn_demo import model_sources
    from rnn_demo.hub import card_metrics
    from rnn_demo.model_sources import checked_cell

    monkeypatch.setitem(model_sources.LIMITS, "text", TEXT_LIMITS)  # as app.py hands them over

    good = shutil.copytree(tiny_models_dir / "text-gru", tmp_path / "good")
    assert checked_cell(good, "text", "you/lm") == "gru"
    config = json.loads((good / "config.json").read_text())
    for name, change, message in [("list", {"cell": ["gru"]}, 'cell must be a string, not ["gru"]'),
                                  ("huge", {"hidden_size": 200_000}, "hidden_size is 200,000"),
                                  ("sentiment", {"task": "sentiment"}, "holds a 'sentiment' model")]:
        folder = shutil.copytree(good, tmp_path / name)
        (folder / "config.json").write_text(json.dumps({**config, **change}))
        with pytest.raises(ModelLoadError, match=re.escape(message)):
            checked_cell(folder, "text", f"you/{name}")
    short = shutil.copytree(good, tmp_path / "short")
    (short / WEIGHTS_NAME).write_bytes((good / WEIGHTS_NAME).read_bytes()[:-100])
    with pytest.raises(ModelLoadError, match="model.safetensors does not fit this app"):
        checked_cell(short, "text", "you/short")
    (good / "README.md").write_text("---\nmodel-index:\n- name: theirs\n  results:\n  - metrics:\n"
                                    "    - {type: nats_per_char, value: not measured}\n"
                                    "    - {type: bits_per_char, value: 2}\n---\n# Their card\n")
    assert card_metrics(good) == {"bits_per_char": 2.0}  # numbers only: a tab compares them


@pytest.mark.parametrize("folder", sorted(p.parent.name for p in (ROOT / "models").glob("*/config.json")))
def test_every_bundled_model_is_within_the_bounds_a_visitors_is_held_to(folder):
    """A Space may name a model of the project's in its environment: it is held to a visitor's bounds
    (model_sources.checked_cell), so the bundled ones must be within them, labels and vocabularies included."""
    from rnn_demo.tasks import TASKS

    config = json.loads((ROOT / "models" / folder / "config.json").read_text())
    assert check_config(config, TASKS[config["task"]].limits, f"rnn-demo/{folder}") is not None


def test_labels_of_invisible_characters_alone_show_nothing():
    from rnn_demo.display import unreadable

    for invisible in ("\u200d", "\U000E0041", "\u2062", "\u061c"):  # a joiner, a tag, an invisible operator, ALM
        assert unreadable(["pos", invisible]).endswith("shows nothing on a page"), ascii(invisible)
    assert "read alike" in unreadable(["pos", "pos\u2062"]) and unreadable(["a\u200db", "ab"]) is None
