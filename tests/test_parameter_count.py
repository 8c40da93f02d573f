"""Each task's config gives its model's tensors and parameter count by formula, without building the model: the
app bounds a visitor's Hub model with it before anything is allocated. The formula must agree with the model."""
import pytest

from rnn_demo.backbone import CELLS, num_parameters
from rnn_demo.forecast.model import ForecastConfig, Forecaster
from rnn_demo.sentiment.model import ReviewClassifier, SentimentConfig
from rnn_demo.text.model import UNKNOWN, CharLM, CharLMConfig

CONFIGS = [  # (model class, config fields) of every task, several sizes
    (CharLM, {"vocab": [UNKNOWN, *"abc"], "embedding_dim": 8, "hidden_size": 16, "num_layers": 2}),
    (CharLM, {"vocab": [UNKNOWN, *"abcdefghij"], "embedding_dim": 5, "hidden_size": 7, "num_layers": 1}),
    (CharLM, {"vocab": [UNKNOWN, "x"], "embedding_dim": 3, "hidden_size": 4, "num_layers": 4}),
    (ReviewClassifier, {"vocab_size": 300, "embedding_dim": 8, "hidden_size": 16, "num_layers": 1}),
    (ReviewClassifier, {"vocab_size": 50, "embedding_dim": 4, "hidden_size": 6, "num_layers": 3,
                        "bidirectional": False, "labels": ["bad", "fine", "good"]}),
    (ReviewClassifier, {"vocab_size": 20, "embedding_dim": 9, "hidden_size": 5, "num_layers": 2, "bidirectional": True}),
    (Forecaster, {"hidden_size": 8, "num_layers": 1}),
    (Forecaster, {"hidden_size": 5, "num_layers": 3, "quantiles": [0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95]}),
    (Forecaster, {"hidden_size": 3, "num_layers": 2, "quantiles": [0.1, 0.5, 0.9], "horizon": 24}),
]


@pytest.mark.parametrize("cell", list(CELLS))
@pytest.mark.parametrize("model_class, fields", CONFIGS, ids=lambda x: getattr(x, "__name__", None))
def test_the_formula_gives_the_built_models_tensors_and_parameter_count(cell, model_class, fields):
    config_class = {CharLM: CharLMConfig, ReviewClassifier: SentimentConfig, Forecaster: ForecastConfig}[model_class]
    config = config_class(**fields, cell=cell)
    model = model_class(config)
    assert config.state_shapes() == {name: tuple(tensor.shape) for name, tensor in model.state_dict().items()}
    assert num_parameters(config.state_shapes()) == sum(p.numel() for p in model.parameters())


def test_the_count_of_a_large_config_is_computed_without_building_it():
    config = SentimentConfig(vocab_size=1_000_000, embedding_dim=1024, hidden_size=1024, num_layers=4)
    assert num_parameters(config.state_shapes()) > 1_000_000 * 1024  # the embedding alone; nothing was allocated
