"""A snapshot of AWS state read through the public API, re-read when a rule says it is too old.

The edge serves from a snapshot of CloudFront's configuration and the front from one of App Runner's
services; neither calls the API per request unless its freshness rule demands a newer snapshot (edge/config.py
and front.py state the rules). :class:`Refresher` holds the last result of a read and the time that read
*began*: everything in the result is at least that recent, which is what the rules are written in.

- ``at_least(not_before)``: a snapshot whose read began at or after ``not_before`` (on ``clock``,
  time.monotonic() unless a test gives another). The caller waits for a read if needed. One read runs at a
  time, and a caller that waited while another read ran takes that result when it began late enough, so a
  burst of requests costs one read.
- ``within(max_age)``: a snapshot at most ``max_age`` old. Past RENEW_AT of that age a background read
  starts and the current snapshot is returned at once, so under steady traffic requests seldom wait for the
  API; past ``max_age`` the caller waits.
- ``poll_every``: the background reader also re-reads whenever nothing was read for that long (the front
  starts the app of a service that turns RUNNING while no request arrives). ``poll_needed(value)``, if
  given, is asked first (under the read lock) and a False skips that poll's read: a cheap look that finds
  nothing changed spares the whole read. The snapshot then keeps the time its own read began, so the
  freshness rules of at_least() and within() are untouched.
- ``poll_idle_every``: while looks keep finding nothing changed, each wait is twice the last, up to this
  many seconds; any read (the poll's or a caller's) brings the wait back to ``poll_every``. An idle backend
  then costs a look every few seconds instead of two a second (each look is a real API call), and a change
  is still followed at ``poll_every`` once one look has seen it.
- A read that raises keeps the previous snapshot (logged). For ``retry_after`` seconds after a failure,
  callers get the previous snapshot without a new attempt, so a failing API is not called per request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
# Fraction of within()'s max_age past which a background read starts. Late enough that steady traffic does
# not read much more often than the bound requires (a read of App Runner's state costs about 7 ms of CPU
# in the backend process, moto included), early enough that the read (about 9 ms) ends before the bound.
RENEW_AT = 0.75
# How long close() waits for the background reader to finish a read in progress.
CLOSE_WAIT_SECONDS = 5.0


class Refresher(Generic[T]):
    """The current snapshot (``value``) and when its read began; see the module docstring."""

    def __init__(
        self,
        read: Callable[[], T],
        initial: T,
        *,
        name: str,
        retry_after: float,
        poll_every: float | None = None,
        poll_needed: Callable[[T], bool] | None = None,
        poll_idle_every: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._read = read
        self._clock = clock  # the callers' not_before values are on this clock (tests move a fake one)
        self._value = initial
        self._began = float("-inf")
        self._failed_at = float("-inf")
        self.name = name
        self.retry_after = retry_after
        self.poll_every = poll_every
        self._poll_needed = poll_needed
        self.poll_idle_every = poll_idle_every
        self.poll_wait = poll_every  # the background reader's current wait (see poll_idle_every)
        self.polls_skipped = 0  # polls whose poll_needed said no, visible to tests and benchmarks
        self.reads = 0  # successful reads, visible to tests and benchmarks
        self._lock = threading.Lock()  # one read at a time
        self._wanted = float("-inf")  # what the background reader is asked for (a not_before)
        self._wake = threading.Event()
        self._closed = threading.Event()
        self._worker: threading.Thread | None = None

    @property
    def value(self) -> T:
        """The current snapshot, however old."""
        return self._value

    def start(self) -> None:
        """Start the background reader (without it, within() reads on the caller's thread past max_age)."""
        self._worker = threading.Thread(target=self._work, name=self.name, daemon=True)
        self._worker.start()

    def close(self) -> None:
        """Stop the background reader and wait for a read in progress; afterwards nothing is read."""
        self._closed.set()
        self._wake.set()
        if self._worker is not None:
            self._worker.join(CLOSE_WAIT_SECONDS)
        with self._lock:  # a read running on a request thread finishes before close() returns
            pass

    def at_least(self, not_before: float) -> T:
        if self._began >= not_before:
            return self._value
        with self._lock:
            if self._began >= not_before or self._closed.is_set():
                return self._value
            if self._clock() - self._failed_at < self.retry_after:
                return self._value
            began = self._clock()
            try:
                value = self._read()
            except Exception:
                self._failed_at = self._clock()
                log.warning("%s: reading through the API failed; serving the previous snapshot", self.name,
                            exc_info=True)
                return self._value
            # Value first, then its time: a reader that sees the new time also sees the new value.
            self._value = value
            self._began = began
            self.reads += 1
            self.poll_wait = self.poll_every
            return value

    def within(self, max_age: float) -> T:
        age = self._clock() - self._began
        if age > max_age:
            return self.at_least(self._clock() - max_age)
        if age > max_age * RENEW_AT:
            self._wanted = self._clock() - max_age * RENEW_AT
            self._wake.set()
        return self._value

    def expire(self, change: Callable[[], None] | None = None) -> None:
        """Make the next at_least() / within() read; ``change`` (say, another region to read) runs under
        the read lock first, so no read in progress sees half of it."""
        with self._lock:
            if change is not None:
                change()
            self._began = float("-inf")

    def _work(self) -> None:
        while not self._closed.is_set():
            woken = self._wake.wait(self.poll_wait)
            self._wake.clear()
            if self._closed.is_set():
                return
            if woken:
                self.at_least(self._wanted)
            elif self.poll_every is not None:
                if self._poll_needed is not None and not self._still_needed():
                    self.polls_skipped += 1
                    if self.poll_idle_every is not None and self.poll_wait is not None:
                        self.poll_wait = min(self.poll_wait * 2, max(self.poll_idle_every, self.poll_every))
                    continue
                self.at_least(self._clock() - self.poll_every)

    def _still_needed(self) -> bool:
        with self._lock:
            try:
                return bool(self._poll_needed(self._value))  # type: ignore[misc]
            except Exception:
                log.warning("%s: the poll's look failed; reading instead", self.name, exc_info=True)
                return True
