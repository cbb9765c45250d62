"""`make test-aws TRACK=express`: the aws tier runs the ECS Express Mode notebooks alone, behind the same
guard.

The track is read from HOSTLAB_TRACK (hostlab.tutorial.pytest_notebooks.chosen_track); a misspelt track stops
the run before anything is created or deleted, with one line naming the tracks; the account guard still runs
for the Express track; the Makefile hands the track's notebooks, and only those, to nbval.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hostlab.tutorial.pytest_notebooks import TRACK_ENV, TrackError, chosen_track

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(("value", "track"), [("", "apprunner"), ("express", "express"), (" Both ", "both")])
def test_known_tracks_are_read(monkeypatch, value, track):
    monkeypatch.setenv(TRACK_ENV, value)
    assert chosen_track() == track


def test_an_unknown_track_is_refused_with_the_tracks_named(monkeypatch):
    monkeypatch.setenv(TRACK_ENV, "expres")
    expected = r"HOSTLAB_TRACK='expres' is not a track; use one of apprunner, express, both"
    with pytest.raises(TrackError, match=expected):
        chosen_track()


def _aws_tier(track: str, **extra: str) -> subprocess.CompletedProcess:
    """The plugin as `make test-aws` loads it, on one Express notebook, with no account configured."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "HOSTLAB_"))}
    env.update(HOSTLAB_BACKEND="aws", HOSTLAB_TRACK=track, HOSTLAB_AWS_REHEARSAL="0", **extra)
    command = [
        sys.executable, "-m", "pytest", "-p", "hostlab.tutorial.pytest_notebooks", "--nbval",
        "--nbval-current-env", "-p", "no:cacheprovider", "notebooks/11-express-create-service.ipynb",
    ]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_the_plugin_stops_a_misspelt_track_before_the_guard():
    run = _aws_tier("expres")
    assert run.returncode == 4, run.stdout + run.stderr
    assert "ERROR: hostlab: HOSTLAB_TRACK='expres' is not a track" in run.stderr


def test_the_express_track_still_runs_the_account_guard():
    run = _aws_tier("express")
    assert run.returncode == 4, run.stdout + run.stderr
    assert "HOSTLAB_AWS_ACCOUNT" in run.stderr
    assert "is not a track" not in run.stderr  # positive control: the track itself was accepted


def _dry_run(*args: str) -> str:
    command = ["make", "-n", "test-aws", *args]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    return run.stdout


def test_make_test_aws_passes_the_track_and_its_notebooks():
    express = _dry_run("TRACK=express")
    assert "HOSTLAB_TRACK=express" in express
    assert "notebooks/11-express-*.ipynb" in express and "notebooks/15-express-*.ipynb" in express
    assert "notebooks/01-*.ipynb" not in express
    default = _dry_run()
    assert "HOSTLAB_TRACK=apprunner" in default
    assert "notebooks/01-*.ipynb" in default and "express" not in default.replace("HOSTLAB_", "")
    both = _dry_run("TRACK=both")
    assert "notebooks/05-*.ipynb" in both and "notebooks/11-express-*.ipynb" in both
