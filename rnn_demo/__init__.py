"""rnn-demo: recurrent neural networks (RNN, GRU, LSTM) for text, sentiment and forecasting."""

__version__ = "0.1.0"
