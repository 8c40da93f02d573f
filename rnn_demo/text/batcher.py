"""Generation for many users at once: every active request on a model advances together, one batched step
per character, so they share each read of the weights.

At batch 1 a step's cost is reading the weights (see stepper.py), so 16 rows cost about three times one
row (2 x 512 LSTM, int8: 0.31 ms for 1 row, 0.90 ms for 8). One thread per model runs the loop: it
admits waiting requests between steps (each primed on its prompt in its user's thread), samples every row with that
request's own settings and random generator, hands each user their new characters, and drops rows that
finish, stop or are cancelled. The thread ends when no request is left and starts again with the next. At the
interpreter's exit each running loop is stopped at its next step and waited for (`stop_loops`): Python ends its
daemon threads where they next take the GIL, and one ended inside a torch call aborted the process ("terminate
called without an active exception", exit code 134) after two of three short generations.

Results do not depend on who else is generating, so a seed repeats its text under any load (tests check each
user's text against `generate` alone, on the CPU and, in tests/test_cuda.py, on a GPU): on the int8 path every row
of a batched product is computed exactly as on its own; float32 products (on a GPU, or with a hidden size the int8
kernel cannot take) are not row-independent across shapes (BLAS and cuBLAS pick their kernel, and the order of a
sum, by the batch size), so the stepper runs every float32 step, `generate`'s single row included, as blocks of
exactly STEP_ROWS rows (stepper.py): one call for up to 16 users, the same numbers for each row whatever the others.
An unseeded request draws from a generator of its own too, seeded from the system's entropy: no text depends on
another visitor's draws.
"""
from __future__ import annotations

import atexit
import queue
import threading
import weakref
from collections import defaultdict
from collections.abc import Iterator

import torch

from .infer import HeldBackText, Sampling, filter_logits, primed, seeded_generator, without_unknown
from .stepper import CharStepper, LayerState

MAX_BATCH = 16  # rows stepped together on a CPU; more requests wait for a free row
MAX_GPU_BATCH = 64  # ... on a GPU, where 64 rows (four float32 blocks) cost about what one does
DONE = object()  # the end of a request's pieces
EXIT_SECONDS = 2.0  # how long the interpreter's exit waits for a running loop to stop
_LOOPS: "weakref.WeakSet[BatchedGeneration]" = weakref.WeakSet()  # generations that have started a loop


class Request:
    """One user's generation inside the batch: its settings, random generator, held-back text and outbox."""

    def __init__(self, sampling: Sampling, logits: torch.Tensor, state: LayerState, device: torch.device) -> None:
        self.sampling = sampling
        self.logits, self.state = logits, state  # after the prompt: (1, vocab) and its recurrent state
        self.generator = seeded_generator(sampling, device)
        self.text = HeldBackText(sampling.stop)
        self.left = sampling.max_new_chars
        self.pieces: queue.SimpleQueue = queue.SimpleQueue()  # str pieces, then DONE or an exception
        self.cancelled = False  # set by the user's side when they stop listening

    def take(self, char: str) -> bool:
        """Pass on what `char` makes showable; True while the request wants more characters."""
        piece, stopped = self.text.add(char)
        self.left -= 1
        if piece:
            self.pieces.put(piece)
        if stopped or self.left == 0:
            if not stopped and (rest := self.text.rest()):
                self.pieces.put(rest)
            self.pieces.put(DONE)
            return False
        return True


def _rows(state: LayerState, index: torch.Tensor) -> LayerState:
    return [(h[index], None if c is None else c[index]) for h, c in state]


def _stack(first: LayerState | None, second: LayerState) -> LayerState:
    if first is None:
        return second
    return [(torch.cat([h1, h2]), None if c1 is None else torch.cat([c1, c2]))
            for (h1, c1), (h2, c2) in zip(first, second)]


class BatchedGeneration:
    """Streams generated text for any number of concurrent users of one `CharStepper`."""

    def __init__(self, stepper: CharStepper, max_batch: int | None = None) -> None:
        self.stepper = stepper
        self.max_batch = max_batch or (MAX_GPU_BATCH if stepper.device.type == "cuda" else MAX_BATCH)
        self._waiting: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()  # guards the decision to start or end the loop's thread
        self._running = False
        self._stopping = False  # set at exit: the loop ends at its next step
        self._thread: threading.Thread | None = None
        self._users = 0

    @property
    def users(self) -> int:
        """How many requests are generating or waiting for a row (read without a lock: an estimate)."""
        return self._users

    def stream(self, prompt: str, sampling: Sampling, owner: str | None = None) -> Iterator[str]:
        """The new text after `prompt`, piece by piece, as `generate` would give it (`owner`: infer.primed's)."""
        sampling = sampling.validated()
        # in the caller's thread: a long prompt never holds up the batch
        logits, state = primed(self.stepper, prompt, owner)
        request = Request(sampling, logits, state, self.stepper.device)
        with self._lock:
            self._users += 1
            self._waiting.put(request)
            if not self._running:
                self._start_loop()
        try:
            while (piece := request.pieces.get()) is not DONE:
                if isinstance(piece, BaseException):
                    raise piece
                yield piece
        finally:
            request.cancelled = True  # a user who stops listening frees their row at the next step
            with self._lock:
                self._users -= 1

    def _start_loop(self) -> None:
        """Start the loop's thread (the caller holds the lock); if it cannot start, nobody is left waiting."""
        try:
            self._thread = threading.Thread(target=self._serve, name="generation", daemon=True)
            self._thread.start()
            self._running = True
            _LOOPS.add(self)
        except RuntimeError:  # e.g. "can't start new thread": the waiting users hear it in their own threads
            self._fail(self._drain(), "the generation loop could not start: try again in a moment")

    def _drain(self) -> list[Request]:
        waiting = []
        while not self._waiting.empty():
            waiting.append(self._waiting.get())
        return waiting

    @staticmethod
    def _fail(requests: list[Request], message: str) -> None:
        """Tell each user what stopped their text (one exception each: they are raised in different threads)."""
        for request in requests:
            request.pieces.put(RuntimeError(message))

    def _serve(self) -> None:
        active: list[Request] = []
        logits, state = None, None  # (rows, vocab), the rows' recurrent state
        try:
            while True:
                with self._lock:
                    if self._stopping:
                        self._running = False
                        self._fail(active + self._drain(), "the app is stopping: generate again once it is back")
                        return
                    if not active and self._waiting.empty():
                        self._running = False
                        return
                try:
                    active, logits, state = self._admit(active, logits, state)
                    active, logits, state = self._advance(active, logits, state)
                except Exception as error:  # every user of the batch hears of it; the loop goes on for new ones
                    self._fail(active, f"generation failed: {error}")
                    active, logits, state = [], None, None
        except BaseException:  # the thread itself is ending: release everyone, let the next request restart it
            with self._lock:
                self._running = False
                self._fail(active + self._drain(), "the generation loop stopped")
            raise

    @torch.inference_mode()
    def _admit(self, active: list[Request], logits: torch.Tensor | None, state: LayerState | None):
        """Add waiting (primed) requests as rows, up to `max_batch`."""
        while len(active) < self.max_batch and not self._waiting.empty():
            request = self._waiting.get()
            active.append(request)
            logits = request.logits if logits is None else torch.cat([logits, request.logits])
            state = _stack(state, request.state)
            request.logits = request.state = None  # the batch holds them now
        return active, logits, state

    @torch.inference_mode()
    def _advance(self, active: list[Request], logits: torch.Tensor, state: LayerState):
        """Sample one character for every row, hand it over, and step the rows that go on."""
        going, ids = [], []
        for row, next_id in enumerate(sample_rows(logits, active)):
            if next_id is not None and active[row].take(self.stepper.vocab[next_id]):
                going.append(row)
                ids.append(next_id)
        if not going:
            return [], None, None
        if len(going) < len(active):
            state = _rows(state, torch.tensor(going, device=self.stepper.device))
        logits, state = self.stepper.step(torch.tensor(ids, device=self.stepper.device), state)
        return [active[row] for row in going], logits, state

def sample_rows(logits: torch.Tensor, requests: list[Request]) -> list[int | None]:
    """One character id per row of logits (rows, vocab), None for a cancelled request. Rows with the same
    settings are filtered together; each row is drawn with its request's own generator, exactly as `sample_next`
    draws it alone."""
    groups: dict[tuple, list[int]] = defaultdict(list)
    for row, request in enumerate(requests):
        if not request.cancelled:
            sampling = request.sampling
            groups[(sampling.temperature, sampling.top_k, sampling.top_p)].append(row)
    ids: list[int | None] = [None] * len(requests)
    for (temperature, top_k, top_p), rows in groups.items():
        probs = filter_logits(without_unknown(logits[rows]), temperature, top_k, top_p)  # (len(rows), vocab)
        for i, row in enumerate(rows):
            ids[row] = int(torch.multinomial(probs[i:i + 1], 1, generator=requests[row].generator)[0, 0])
    return ids


@atexit.register
def stop_loops(generations: list[BatchedGeneration] | None = None, seconds: float = EXIT_SECONDS) -> None:
    """Stop the running loops of `generations` (default: every one started) at their next step, their users told,
    and wait for them (at most `seconds` each), so that no loop is inside a torch call when the interpreter ends its
    daemon threads."""
    generations = list(_LOOPS) if generations is None else generations
    for generation in generations:
        with generation._lock:
            generation._stopping = True
    for generation in generations:
        if generation._thread is not None:
            generation._thread.join(seconds)
