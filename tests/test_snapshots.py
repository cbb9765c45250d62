"""snapshots.Refresher, the snapshot holder of the edge and the front: when it reads, when it does not.

Time is a FakeClock the tests move; threads are coordinated with events, never with sleeps.
"""

from __future__ import annotations

import threading

import pytest
from edge_support import FakeClock

from hostlab.local.dataplane.snapshots import Refresher

WAIT = 10.0  # seconds any event wait here may take before the test fails


class Source:
    """A read function counting its calls; ``gate`` (when set up) holds a read until released."""

    def __init__(self):
        self.calls = 0
        self.fail = False
        self.gate: threading.Event | None = None
        self.entered = threading.Event()
        self.finished = threading.Event()

    def __call__(self) -> int:
        self.calls += 1
        self.entered.set()
        if self.gate is not None:
            assert self.gate.wait(WAIT), "the test never released the read"
        self.finished.set()
        if self.fail:
            raise RuntimeError("API down")
        return self.calls


@pytest.fixture
def parts():
    clock, source = FakeClock(), Source()
    refresher = Refresher(source, 0, name="test-snapshot", retry_after=5.0, clock=clock)
    yield clock, source, refresher
    refresher.close()


def test_at_least_reads_only_when_the_snapshot_began_too_early(parts):
    clock, source, refresher = parts
    assert refresher.at_least(clock()) == 1
    clock.advance(1)
    assert refresher.at_least(clock() - 5) == 1  # began 1 s ago: young enough, no read
    assert refresher.at_least(clock()) == 2 and source.calls == 2


def test_callers_waiting_during_a_read_share_it(parts):
    clock, source, refresher = parts
    source.gate = threading.Event()
    wanted = clock()
    results = []
    first = threading.Thread(target=lambda: results.append(refresher.at_least(wanted)))
    first.start()
    assert source.entered.wait(WAIT)
    second = threading.Thread(target=lambda: results.append(refresher.at_least(wanted)))
    second.start()  # blocked behind the read in progress, which began after ``wanted``
    source.gate.set()
    first.join(WAIT)
    second.join(WAIT)
    assert results == [1, 1] and source.calls == 1


def test_within_answers_at_once_and_renews_in_the_background_late_in_the_age(parts):
    clock, source, refresher = parts
    refresher.start()
    refresher.at_least(clock())
    clock.advance(0.7)
    assert refresher.within(1.0) == 1 and source.calls == 1  # under RENEW_AT (0.75) of the age: no read
    source.gate, source.entered, source.finished = threading.Event(), threading.Event(), threading.Event()
    clock.advance(0.1)
    assert refresher.within(1.0) == 1  # returned while the background read is still held at the gate
    assert source.entered.wait(WAIT) and source.calls == 2
    source.gate.set()
    assert source.finished.wait(WAIT)
    source.gate = None
    clock.advance(1.5)
    assert refresher.within(1.0) == 3  # past the age: the caller waits for its own read


def test_a_failed_read_keeps_the_snapshot_and_is_not_retried_at_once(parts):
    clock, source, refresher = parts
    refresher.at_least(clock())
    source.fail = True
    clock.advance(1)
    assert refresher.at_least(clock()) == 1 and source.calls == 2
    clock.advance(1)
    assert refresher.at_least(clock()) == 1 and source.calls == 2  # within retry_after: no call
    source.fail = False
    clock.advance(5)
    assert refresher.at_least(clock()) == 3


def test_expire_runs_the_change_and_forces_the_next_read(parts):
    clock, _, refresher = parts
    refresher.at_least(clock())
    changed = []
    refresher.expire(lambda: changed.append("region"))
    assert changed == ["region"]
    assert refresher.within(60.0) == 2


def test_the_background_reader_polls_and_close_stops_all_reads():
    source = Source()
    refresher = Refresher(source, 0, name="test-poll", retry_after=1.0, poll_every=0.01)
    refresher.start()
    try:
        assert source.entered.wait(WAIT), "no read without any caller"
    finally:
        refresher.close()
    calls = source.calls
    assert refresher.at_least(float("inf")) == refresher.value and source.calls == calls


def test_a_poll_whose_look_finds_nothing_changed_reads_nothing():
    source = Source()
    looked = threading.Event()
    answers = iter([True] + [False] * 1000)  # the first poll reads, every later one is told "unchanged"
    seen_values = []

    def poll_needed(value: int) -> bool:
        seen_values.append(value)
        answer = next(answers)
        if not answer and refresher.polls_skipped >= 3:
            looked.set()
        return answer

    refresher = Refresher(source, 0, name="test-poll-look", retry_after=1.0, poll_every=0.01,
                          poll_needed=poll_needed)
    refresher.start()
    try:
        assert looked.wait(WAIT), "the poll never looked"
    finally:
        refresher.close()
    assert source.calls == 1  # positive control: the poll told "changed" did read
    assert refresher.polls_skipped >= 3
    assert seen_values[0] == 0 and set(seen_values[1:]) == {1}  # each look saw the current snapshot


def test_a_poll_whose_look_fails_reads_instead():
    source = Source()

    def poll_needed(_value: int) -> bool:
        raise RuntimeError("ListServices failed")

    refresher = Refresher(source, 0, name="test-poll-look-fails", retry_after=1.0, poll_every=0.01,
                          poll_needed=poll_needed)
    refresher.start()
    try:
        assert source.entered.wait(WAIT), "a failing look must not stop the poll from reading"
    finally:
        refresher.close()
    assert refresher.polls_skipped == 0


def _unchanged_looks(refresher_kwargs: dict, looks: int) -> Refresher:
    """A started Refresher whose looks all say "unchanged", after ``looks`` of them (closed again)."""
    source = Source()
    enough = threading.Event()

    def poll_needed(_value: int) -> bool:
        if refresher.polls_skipped + 1 >= looks:
            enough.set()
        return False

    refresher = Refresher(source, 0, name="test-poll-idle", retry_after=1.0, poll_every=0.01,
                          poll_needed=poll_needed, **refresher_kwargs)
    refresher.start()
    try:
        assert enough.wait(WAIT), "the poll never looked"
    finally:
        refresher.close()
    return refresher


def test_unchanged_looks_slow_the_poll_down_to_its_idle_wait():
    refresher = _unchanged_looks({"poll_idle_every": 0.04}, looks=5)
    assert refresher.poll_wait == 0.04  # 0.01 doubled at each unchanged look, capped at the idle wait


def test_a_read_brings_the_poll_back_to_its_pace():
    source = Source()
    refresher = Refresher(source, 0, name="test-poll-reset", retry_after=1.0, poll_every=0.01,
                          poll_idle_every=0.04)
    refresher.poll_wait = 0.04  # as after a run of unchanged looks
    refresher.at_least(float("inf"))  # a request's read
    assert source.calls == 1 and refresher.poll_wait == 0.01


def test_without_an_idle_wait_the_poll_keeps_its_pace():
    refresher = _unchanged_looks({}, looks=5)
    assert refresher.poll_wait == 0.01
