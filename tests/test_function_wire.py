"""hostlab.local.functions.wire: how the backend tells a worker that never read its request from one that
exited after reading it (the pool retries the first on another worker, and reports the second as a crash)."""

from __future__ import annotations

import socket

import pytest

from hostlab.local.functions import wire


@pytest.fixture
def pair():
    ours, theirs = socket.socketpair()
    yield ours, theirs
    ours.close()
    theirs.close()


def test_a_peer_that_closes_with_the_request_unread_is_a_reset(pair):
    ours, theirs = pair
    wire.write(ours.fileno(), {"op": "run"})
    theirs.close()  # exits without reading: the request never ran
    with pytest.raises(wire.PeerReset):
        wire.read(ours.fileno(), deadline=None)


def test_a_peer_that_read_the_request_and_exited_is_gone_but_not_reset(pair):
    ours, theirs = pair
    wire.write(ours.fileno(), {"op": "run"})
    assert wire.read(theirs.fileno(), deadline=None) == {"op": "run"}  # read it (and may have run it)
    theirs.close()
    with pytest.raises(wire.PeerGone) as raised:
        wire.read(ours.fileno(), deadline=None)
    assert not isinstance(raised.value, wire.PeerReset)


def test_an_answer_still_reads_as_before(pair):
    ours, theirs = pair
    wire.write(theirs.fileno(), {"result": 42})
    assert wire.read(ours.fileno(), deadline=None) == {"result": 42}
