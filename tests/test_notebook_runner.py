"""hostlab.tutorial.notebook_runner's fresh backend: started early on request, found by connect(), gone
afterwards."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from hostlab.local import lifecycle, procs
from hostlab.local.state import State
from hostlab.settings import Settings
from hostlab.tutorial.notebook_runner import NOTEBOOK_DELAYS, fresh_local_backend

TIMEOUT = 30.0  # seconds, for a wait on an event (not a speed assertion)


def wait_until_running(settings: Settings) -> State:
    deadline = time.monotonic() + settings.start_timeout
    while time.monotonic() < deadline:
        found = lifecycle.status(settings)
        if found.running and found.state is not None:
            return found.state
        time.sleep(0.05)
    raise AssertionError(f"no backend came up in {settings.home}: {lifecycle.status(settings).detail}")


def test_start_early_boots_the_backend_that_connect_then_finds(tmp_path):
    home = tmp_path / "backend"
    outside = os.environ.get("HOSTLAB_HOME")
    with fresh_local_backend(home, start_early=True) as env:
        assert Path(os.environ["HOSTLAB_HOME"]) == home
        assert {name: env[name] for name in NOTEBOOK_DELAYS} == NOTEBOOK_DELAYS
        settings = Settings.from_env()
        # Nobody called connect(): the background start alone brings the backend up.
        state = wait_until_running(settings)
        # What hostlab.connect() does in the first notebook: it finds that backend, starts no second one.
        found, started_here = lifecycle.ensure_running(settings, note=lambda _message: None)
        assert (found.pid, started_here) == (state.pid, False)
        assert procs.is_hostlab_server(state.pid)
    assert not procs.is_running(state.pid)
    assert not home.exists()
    assert os.environ.get("HOSTLAB_HOME") == outside


def test_without_start_early_nothing_runs_until_someone_connects(tmp_path, monkeypatch):
    """Every start goes through lifecycle.up; a spy in its place records each call. Without start_early no
    starter thread exists and the spy is never called; with it (the positive control), the starter calls
    it, which the test waits for on an event instead of sleeping."""
    calls: list[Path] = []
    called = threading.Event()

    def spy_up(settings, note=None):
        calls.append(settings.home)
        called.set()

    monkeypatch.setattr(lifecycle, "up", spy_up)
    home = tmp_path / "backend"
    with fresh_local_backend(home):
        assert not any(t.name == "hostlab-backend-start" for t in threading.enumerate())
        assert lifecycle.status(Settings.from_env()).detail == "no backend recorded here"
    assert calls == []  # leaving joins any starter, so a start would have been recorded by now
    assert not home.exists()

    early = tmp_path / "early"
    with fresh_local_backend(early, start_early=True):
        assert called.wait(TIMEOUT)
    assert calls == [early]
