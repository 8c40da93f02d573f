"""The tabs' shared wiring, without a server: errors users see, and the layout's defaults."""
import gradio as gr
import pytest

from rnn_demo.ui.common import shows_errors


def test_library_errors_reach_users_as_messages_plain_and_streaming():
    def plain(cell: str, progress: gr.Progress = gr.Progress()) -> str:
        raise ValueError(f"unknown cell {cell!r}: choose one of 'rnn', 'gru', 'lstm'")

    def streaming(n: int):
        yield "first"
        raise ValueError("the stream broke")

    with pytest.raises(gr.Error, match="choose one of 'rnn', 'gru', 'lstm'") as raised:
        shows_errors(plain)("lstm2")
    assert raised.value.duration is None  # on show until closed: gradio's toast faded after 10 s
    stream = shows_errors(streaming)(1)
    assert next(stream) == "first"
    with pytest.raises(gr.Error, match="the stream broke"):
        next(stream)


def test_other_errors_are_left_to_gradio_and_signatures_kept():
    import inspect

    def broken(x: int, progress: gr.Progress = gr.Progress()) -> int:
        raise KeyError("a bug, not a user's mistake")

    wrapped = shows_errors(broken)
    with pytest.raises(KeyError):
        wrapped(1)
    assert list(inspect.signature(wrapped).parameters) == ["x", "progress"]


def test_non_finite_numbers_are_refused_by_name():
    from rnn_demo.text.serve import sampling_from_controls

    with pytest.raises(ValueError, match="temperature must be a finite number"):
        sampling_from_controls(100, float("inf"), 0, 1.0, -1, "")
    with pytest.raises(ValueError, match="seed must be a finite number"):
        sampling_from_controls(100, 0.8, 0, 1.0, float("nan"), "")


def test_tabs_start_on_the_best_cell_their_cards_report():
    from rnn_demo.hub import card_metrics
    from rnn_demo.model_sources import available_cells, best_cell, model_dir

    cells = available_cells("sentiment")
    accuracy = {cell: card_metrics(model_dir("sentiment", cell))["accuracy"] for cell in cells}
    assert best_cell("sentiment", cells, "accuracy", higher_is_better=True) == max(accuracy, key=accuracy.get)
    assert best_cell("sentiment", cells, "accuracy") == min(accuracy, key=accuracy.get)
    assert best_cell("sentiment", cells[::-1], "no such metric") == cells[-1]  # none reports it: the first offered


def test_choosing_a_file_in_the_train_tab_clears_the_example_run_and_keeps_a_visitors_own():
    from rnn_demo.ui.train_tab import EXAMPLE_STATUS, leave_the_example

    assert leave_the_example(f"{EXAMPLE_STATUS} a tiny GRU trained for 50 steps") == ("", "", None, "")
    assert leave_the_example("Finished: 40 steps in 5 s.") == tuple(gr.skip() for _ in range(4))
    assert leave_the_example(None) == tuple(gr.skip() for _ in range(4))


def test_naming_a_handlers_values_leaves_the_handler_as_it_is():
    """The Train tab built twice in one process (a task registered between) named its values twice over: "duplicate
    parameter name"."""
    import inspect

    from rnn_demo.ui.common import name_the_values

    def handler(first, *values):
        yield first + sum(values)

    for names in (["a", "b"], ["a", "b", "c"]):
        named = name_the_values(handler, names, {"c": 0})
        assert list(inspect.signature(named).parameters) == ["first", *names]
        assert list(named(1, 2, 3)) == [6] and inspect.isgeneratorfunction(named)
    assert list(inspect.signature(handler).parameters) == ["first", "values"]


def test_a_visitors_mistake_is_shown_to_them_and_leaves_no_traceback_in_the_servers_log():
    @shows_errors
    def handler(text: str) -> str:
        raise ValueError(f"the review is empty: {text}")

    with pytest.raises(gr.Error) as raised:
        handler("<b>")
    assert raised.value.message == "the review is empty: &lt;b&gt;" and raised.value.duration is None
    assert raised.value.print_exception is False  # gradio printed each one's traceback: 21 in a red team's session
