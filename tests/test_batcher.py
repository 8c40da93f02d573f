"""Batched generation gives every user exactly what `generate` gives them alone, whoever else is generating."""
import threading
import time

import pytest
import torch

from rnn_demo.text.batcher import BatchedGeneration
from rnn_demo.text.infer import Sampling, generate
from rnn_demo.text.stepper import STEP_ROWS, CharStepper
from tests.conftest import tiny_model

REQUESTS = [  # different prompts, lengths, settings and stop strings in one batch
    ("ROMEO:", Sampling(120, 0.8, 0, 1.0, 1)),
    ("", Sampling(60, 1.3, 5, 1.0, 2)),
    ("JULIET:\nO Romeo", Sampling(200, 0.5, 0, 0.9, 3, stop="\n\n")),
    ("It is the east", Sampling(1, 1.0, 0, 1.0, 4)),
    ("But soft", Sampling(150, 2.0, 0, 0.5, 5, stop="o")),
    ("ROMEO:", Sampling(120, 0.8, 0, 1.0, 6)),  # the first request's settings: filtered in one group with it
    ("JULIET:", Sampling(90, 0.8, 0, 1.0, 7)),
    ("ROMEO:", Sampling(70, 1.1, 5, 0.9, 8)),  # top-k and top-p cuts, filtered together
    ("O Romeo", Sampling(70, 1.1, 5, 0.9, 9)),
]


def _together(batcher: BatchedGeneration, requests) -> list[str]:
    """Run every request at once, each from its own thread, as users do."""
    results = [None] * len(requests)

    def one(index: int) -> None:
        prompt, sampling = requests[index]
        results[index] = "".join(batcher.stream(prompt, sampling))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("hidden_size, batch", [(16, 7), (64, 2), (512, 5), (512, 16)])
def test_batched_rows_are_computed_exactly_as_single_ones(cell, hidden_size, batch):
    stepper = CharStepper(tiny_model(cell, hidden_size=hidden_size))
    assert stepper.precision == "int8"
    torch.manual_seed(0)
    ids = torch.randint(1, len(stepper.vocab), (batch, 12))
    _, state = stepper.run(ids)
    logits, _ = stepper.step(ids[:, -1], state)
    for row in range(batch):
        alone, _ = stepper.step(ids[row:row + 1, -1], [(h[row:row + 1], None if c is None else c[row:row + 1])
                                                         for h, c in state])
        assert torch.equal(alone[0], logits[row])


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_concurrent_users_get_what_each_would_get_alone(cell):
    stepper = CharStepper(tiny_model(cell))
    alone = ["".join(generate(stepper, prompt, sampling)) for prompt, sampling in REQUESTS]
    batcher = BatchedGeneration(stepper)
    assert batcher.max_batch > 1
    for _ in range(3):  # different arrival orders, same texts
        assert _together(batcher, REQUESTS) == alone
    assert len(alone[3]) == 1 and "o" not in alone[4]


def test_unseeded_users_of_one_batch_get_texts_of_their_own():
    batcher = BatchedGeneration(CharStepper(tiny_model()))
    texts = _together(batcher, [("ROMEO:", Sampling(80, 1.0, 0, 1.0, None))] * 6)
    assert all(len(text) == 80 for text in texts) and len(set(texts)) == 6


def test_float32_models_batch_their_users_with_the_same_result():
    """float32 steps go in fixed blocks of STEP_ROWS rows (`generate` alone too), so a batch of users, one block or
    two, gives each what `generate` gives them alone."""
    stepper = CharStepper(tiny_model(hidden_size=20))  # not a multiple of 16: float32
    assert stepper.precision == "float32"
    assert _together(BatchedGeneration(stepper), REQUESTS) == ["".join(generate(stepper, p, s)) for p, s in REQUESTS]
    many = [("ROMEO:", Sampling(40, 0.9, 0, 1.0, seed)) for seed in range(STEP_ROWS + 3)]
    assert (_together(BatchedGeneration(stepper, max_batch=len(many)), many)
            == ["".join(generate(stepper, p, s)) for p, s in many])


def test_a_float32_step_gives_each_row_the_numbers_it_has_alone():
    stepper = CharStepper(tiny_model(hidden_size=20))
    ids = torch.arange(1, STEP_ROWS + 5) % len(stepper.vocab)  # two blocks
    state = [(torch.randn(len(ids), 20, generator=torch.Generator().manual_seed(k)), c if c is None else
              torch.randn(len(ids), 20, generator=torch.Generator().manual_seed(9 + k)))
             for k, (_, c) in enumerate(stepper.initial_state(len(ids)))]
    together, _ = stepper.step(ids, state)
    for row in (0, 7, STEP_ROWS, len(ids) - 1):
        alone, _ = stepper.step(ids[row:row + 1], [(h[row:row + 1], c if c is None else c[row:row + 1])
                                                    for h, c in state])
        assert torch.equal(alone[0], together[row])


def test_the_loop_goes_with_its_model():
    import gc
    import weakref

    from rnn_demo.text.serve import batcher_for

    stepper = CharStepper(tiny_model())
    assert "".join(batcher_for(stepper).stream("ROMEO:", Sampling(20, 0.8, 0, 1.0, 1)))
    assert batcher_for(stepper) is stepper.generation  # one loop per model
    gone = weakref.ref(stepper)
    deadline = time.monotonic() + 10
    while stepper.generation._running:  # the loop's thread ends once nobody is generating
        assert time.monotonic() < deadline
        time.sleep(0.01)
    del stepper
    gc.collect()
    assert gone() is None, "an evicted model stays in memory"


def test_a_user_who_stops_listening_frees_the_loop():
    batcher = BatchedGeneration(CharStepper(tiny_model()))
    stream = batcher.stream("ROMEO:", Sampling(2000, 0.8, 0, 1.0, 1))
    next(stream)
    stream.close()  # what gradio does when the user presses Stop
    deadline = time.monotonic() + 10
    while batcher._running:
        assert time.monotonic() < deadline, "the loop kept generating for nobody"
        time.sleep(0.01)
    assert "".join(batcher.stream("ROMEO:", Sampling(30, 0.8, 0, 1.0, 1))) != ""  # and starts again


def test_a_failing_step_reaches_every_user_of_the_batch_and_the_loop_goes_on():
    stepper = CharStepper(tiny_model())
    batcher = BatchedGeneration(stepper)
    step = stepper.step
    stepper.step = lambda ids, state: (_ for _ in ()).throw(RuntimeError("out of memory"))
    with pytest.raises(RuntimeError, match="generation failed: out of memory"):
        "".join(batcher.stream("ROMEO:", Sampling(50, 0.8, 0, 1.0, 1)))
    stepper.step = step
    assert len("".join(batcher.stream("ROMEO:", Sampling(50, 0.8, 0, 1.0, 1)))) == 50


def test_at_exit_a_running_loop_stops_at_its_next_step_and_is_waited_for():
    """Python ends daemon threads where they next take the GIL: a loop ended inside a torch call aborted the process
    ("terminate called without an active exception") after two of three short generations. At exit (stop_loops,
    registered with atexit) each loop stops at its next step, its users told, and is waited for."""
    from rnn_demo.text.batcher import _LOOPS, stop_loops

    batcher = BatchedGeneration(CharStepper(tiny_model()))
    stream = batcher.stream("ROMEO:", Sampling(2000, 0.8, 0, 1.0, 1))
    next(stream)
    assert batcher in _LOOPS and batcher._thread.is_alive()
    started = time.monotonic()
    stop_loops([batcher])
    assert not batcher._thread.is_alive() and time.monotonic() - started < 2
    with pytest.raises(RuntimeError, match="the app is stopping: generate again once it is back"):
        "".join(stream)
