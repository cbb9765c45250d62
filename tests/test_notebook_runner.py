"""hostlab.notebook_runner's fresh backend: started early on request, found by connect(), gone afterwards."""

from __future__ import annotations

import os
from pathlib import Path

from hostlab.local import lifecycle, procs
from hostlab.notebook_runner import NOTEBOOK_DELAYS, fresh_local_backend
from hostlab.settings import Settings


def test_start_early_boots_the_backend_that_connect_then_finds(tmp_path):
    home = tmp_path / "backend"
    outside = os.environ.get("HOSTLAB_HOME")
    with fresh_local_backend(home, start_early=True) as env:
        assert Path(os.environ["HOSTLAB_HOME"]) == home
        assert {name: env[name] for name in NOTEBOOK_DELAYS} == NOTEBOOK_DELAYS
        # What hostlab.connect() does in the first notebook: it waits on the state folder's lock for the
        # background start and finds that backend running instead of starting a second one.
        state, started_here = lifecycle.ensure_running(Settings.from_env(), note=lambda _message: None)
        assert started_here is False
        assert procs.is_hostlab_server(state.pid)
        assert lifecycle.answers(state.api_url)
    assert not procs.is_running(state.pid)
    assert not home.exists()
    assert os.environ.get("HOSTLAB_HOME") == outside


def test_without_start_early_nothing_runs_until_someone_connects(tmp_path):
    home = tmp_path / "backend"
    with fresh_local_backend(home):
        assert not lifecycle.status(Settings.from_env()).running
    assert not home.exists()
