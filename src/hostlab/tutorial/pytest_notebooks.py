"""pytest plugin for running the tutorial notebooks under nbval (`make test`, `make test-aws`).

    pytest -p hostlab.tutorial.pytest_notebooks --nbval --nbval-current-env \
        --nbval-sanitize-with tests/nbval_sanitize.cfg notebooks/

Local backend (default): before the first notebook runs, the process environment (which nbval's kernels
inherit) is pointed at a *fresh* backend in a temporary state folder with free ports and short delays, so
the seeded IDs match the saved outputs; the backend starts right away in the background (it boots while the
first kernel starts), and is stopped and its folder removed at the end, pass or fail.

Both backends: each notebook's kernel is started while the notebook before it runs, and stopped on a thread
(hostlab.tutorial.nbval_kernels); every notebook still runs in a kernel of its own, except a notebook named by
--hostlab-same-kernel and listed twice in a row (pytest --keep-duplicates: `make test`'s re-run sequence),
which runs the second time in the kernel of the first.

aws backend (HOSTLAB_BACKEND=aws): the track is checked (HOSTLAB_TRACK: apprunner, express or both; `make
test-aws TRACK=express`), the account guard runs (hostlab.aws_guard); then everything tagged by an earlier,
interrupted run of that track is deleted, and everything tagged is deleted again at the end whatever
happened, so a failing run leaves nothing behind that costs money (also after Ctrl-C: pytest then still
unconfigures the plugin, which runs the cleanup after).

aws rehearsal (HOSTLAB_BACKEND=aws HOSTLAB_AWS_REHEARSAL=1, `make rehearse-aws`): the same aws run against
a fresh local backend (hostlab.tutorial.rehearsal): the guard accepts its account, the alias gets a hosted
zone in
its Route 53, waits use AWS's settings with shortened delays; the backend is stopped at the end.
"""

from __future__ import annotations

import contextlib

import pytest

_STACK = contextlib.ExitStack()


def _runs_notebooks(config: pytest.Config) -> bool:
    return bool(getattr(config.option, "nbval", False) or getattr(config.option, "nbval_lax", False))


TRACK_ENV = "HOSTLAB_TRACK"
TRACKS = ("apprunner", "express", "both")


class TrackError(ValueError):
    """HOSTLAB_TRACK names no track."""


def chosen_track() -> str:
    """The aws tier's track (`make test-aws TRACK=...`): apprunner (default), express or both."""
    import os

    value = os.environ.get(TRACK_ENV, "").strip().lower() or "apprunner"
    if value not in TRACKS:
        raise TrackError(
            f"{TRACK_ENV}={value!r} is not a track; use one of {', '.join(TRACKS)} "
            "(make test-aws TRACK=express runs the ECS Express Mode notebooks 11-15 alone)"
        )
    return value


def _clean_aws(stage: str) -> None:
    import boto3

    from hostlab import aws_guard

    track = chosen_track()
    if stage == "before":
        _start_rehearsal_if_asked()
    aws_guard.ensure_sandbox()
    print(f"\nhostlab: cleanup {stage} the notebooks (aws backend, track {track})")
    deleted = 0
    if track in ("apprunner", "both"):
        from hostlab.platforms.apprunner import resources as tr

        deleted += tr.delete_everything(
            aws_guard.explained(boto3.client("apprunner")),
            boto3.client("cloudfront"),
            boto3.client("acm", region_name="us-east-1"),
        )
    if track in ("express", "both"):
        # The Express track never calls App Runner: an account closed to App Runner runs it too.
        from hostlab.platforms.express import resources as express

        deleted += express.delete_everything(boto3.client("ecs"), boto3.client("cloudfront"))
    print(f"hostlab: deleted {deleted} tagged resource(s)")
    if stage == "after":
        _report_rehearsal_zone()


def _start_rehearsal_if_asked() -> None:
    """In a rehearsal, start its local backend and point this process (and the kernels) at it. Entered on
    the stack before the cleanup after is registered, so it is left after that cleanup has run."""
    from hostlab import aws_guard
    from hostlab.tutorial import rehearsal

    try:
        asked = rehearsal.rehearsing()
    except rehearsal.RehearsalSettingError as exc:
        raise aws_guard.SandboxError(str(exc)) from None
    if asked:
        _STACK.enter_context(rehearsal.rehearsal_backend())
        print("\nhostlab: aws tier rehearsal on a local backend (HOSTLAB_AWS_REHEARSAL=1)")


def _report_rehearsal_zone() -> None:
    """In a rehearsal, say what the tutorial left in the hosted zone that stands in for the reader's (the
    cleanup removes the validation record with its certificate, so: nothing)."""
    import os

    import boto3

    from hostlab.tutorial import rehearsal
    from hostlab.tutorial.resources import ZONE_ENV

    if rehearsal.rehearsing() and (zone := os.environ.get(ZONE_ENV)):
        left = rehearsal.added_records(boto3.client("route53"), zone)
        print(f"hostlab: rehearsal: {len(left)} record(s) left in hosted zone {zone}")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("hostlab").addoption(
        "--hostlab-same-kernel",
        action="append",
        metavar="NOTEBOOK",
        help="a notebook (file name without .ipynb) that, listed twice in a row (with --keep-duplicates), "
        "runs the second time in the kernel of the first",
    )


def pytest_configure(config: pytest.Config) -> None:
    if not _runs_notebooks(config):
        return
    from hostlab.aws_guard import SandboxError
    from hostlab.backend import BackendChoiceError, chosen_backend

    try:
        aws = chosen_backend() == "aws"
        if aws:
            chosen_track()  # a misspelt track stops here, before anything is created or deleted
            _clean_aws("before")
    except (SandboxError, BackendChoiceError, TrackError) as exc:
        # A refusal is the reader's setting to fix, not a crash: pytest prints a UsageError raised here as one
        # "ERROR: ..." line and exits with code 4, where any other exception became a 20-line INTERNALERROR.
        raise pytest.UsageError(f"hostlab: {exc}") from None
    if aws:
        _STACK.callback(_clean_aws, "after")
        return
    from hostlab.tutorial.notebook_runner import fresh_local_backend

    # fresh_local_backend sets HOSTLAB_HOME, so a backend of the caller's shell is never reused; it starts
    # the backend now, in the background, so that it boots during collection and the first kernel's start.
    _STACK.enter_context(fresh_local_backend(start_early=True))


def pytest_collection_finish(session: pytest.Session) -> None:
    if not _runs_notebooks(session.config):
        return
    from nbval import plugin as nbval_plugin

    from hostlab.tutorial.nbval_kernels import KernelsAhead

    # The notebooks in the order nbval runs them; with --keep-duplicates one file can appear more than once.
    runs: list[nbval_plugin.IPyNbFile] = []
    for item in session.items:
        if isinstance(item.parent, nbval_plugin.IPyNbFile) and (not runs or runs[-1] is not item.parent):
            runs.append(item.parent)
    # A notebook named by --hostlab-same-kernel and listed twice in a row runs again in the same kernel
    # (hostlab.tutorial.nbval_kernels); every other run gets a new one.
    same = set(session.config.getoption("hostlab_same_kernel") or ())
    again = frozenset(
        n for n in range(1, len(runs)) if runs[n].path == runs[n - 1].path and runs[n].path.stem in same
    )
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    for n in sorted(again):
        if reporter is not None:
            reporter.write_line(
                f"hostlab: run {n + 1} ({runs[n].path.name}) runs again in the kernel of run {n}"
            )
    # nbval's IPyNbFile.setup calls the module's RunningKernel(kernel_name, cwd=..., startup_timeout=...).
    kernels = KernelsAhead(nbval_plugin.RunningKernel, len(runs), same_kernel_again=again)
    _STACK.callback(setattr, nbval_plugin, "RunningKernel", nbval_plugin.RunningKernel)
    _STACK.callback(kernels.close)
    nbval_plugin.RunningKernel = kernels


def pytest_unconfigure(config: pytest.Config) -> None:
    _STACK.close()
