"""Execute the tutorial's notebooks on a fresh local backend: `make notebooks` and `make tutorial` use it.

A fresh backend (its own state folder, free ports, seeded IDs) means the same calls give the same answers,
so executing the notebooks twice gives byte-identical files: nbclient keeps no timings
(``record_timing=False``) and folds carriage returns in streams (``coalesce_streams=True``), which is what
turns a waiter's progress bar into its one final line ("distribution: Deployed") however many polls it drew.

    python -m hostlab.tutorial.notebook_runner              refresh notebooks/*.ipynb in place (make
    notebooks)
    python -m hostlab.tutorial.notebook_runner NB [NB ...]  refresh only those, in the order given
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from traitlets.config import Config

REPO = Path(__file__).resolve().parents[3]
NOTEBOOKS = REPO / "notebooks"
# Seconds per cell; a cell that waits longer is broken on the local backend (its delays are seconds).
CELL_TIMEOUT = 300

# Short delays for executing notebooks (same names as hostlab.settings reads). Waiting is still exercised:
# with the waiters' local poll every 0.1 s (hostlab.waiters.LOCAL) each wait polls 2-4 times and sees the
# resource in progress first, and 03's UpdateDistribution still answers InProgress. Why not shorter: the
# edge re-reads CloudFront's configuration once its snapshot is 0.9 x the deploy delay old
# (dataplane/edge/__init__.py), and with notebook 06's 15 distributions one re-read takes about 0.1 s (15
# ListInvalidations and a ListDistributions); at 0.1 s every request of 06 waits for one, which costs more
# than 01-05 save (benchmarks/bench_notebooks.py: 0.1 s, 0.15 s and 0.3 s were all slower than 0.2 s).
NOTEBOOK_DELAYS = {
    "HOSTLAB_APPRUNNER_OPERATION_SECONDS": "0.2",
    "HOSTLAB_CLOUDFRONT_DEPLOY_SECONDS": "0.2",
    "HOSTLAB_ACM_VALIDATION_SECONDS": "0.2",
    "HOSTLAB_EXPRESS_OPERATION_SECONDS": "0.2",
}


def tutorial_notebooks(folder: Path = NOTEBOOKS) -> list[Path]:
    """The numbered notebooks, in the order they must run (01-..., 02-..., ...)."""
    return sorted(p for p in folder.glob("[0-9][0-9]-*.ipynb"))


@contextlib.contextmanager
def fresh_local_backend(home: Path | None = None, *, start_early: bool = False) -> Iterator[dict[str, str]]:
    """Point this process (and the kernels it starts) at a new local backend; stop it and remove its state
    folder afterwards, also when a notebook fails.

    The backend is started by the first notebook's ``hostlab.connect()``, with free ports (0) and the short
    delays above. ``start_early`` starts it at once on a background thread instead, so that it boots while
    the first kernel starts (both take about half a second); connect() then waits on the state folder's
    lock for that start and finds it running. Yields the environment variables it set.
    """
    from hostlab.local import lifecycle
    from hostlab.settings import Settings

    made_home = home is None
    home = Path(tempfile.mkdtemp(prefix="hostlab-notebooks-")) if home is None else home
    if home.exists() and not made_home:
        raise FileExistsError(f"{home} exists: remove it, or `HOSTLAB_HOME={home} hostlab down` first")
    env = {
        "HOSTLAB_BACKEND": "local",
        "HOSTLAB_HOME": str(home),
        "HOSTLAB_PORT": "0",
        "HOSTLAB_PROXY_PORT": "0",
        **NOTEBOOK_DELAYS,
    }
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    starter = _start_in_background(Settings.from_env()) if start_early else None
    try:
        yield env
    finally:
        try:
            if starter is not None:
                starter.join()  # down() must not race a start that is still spawning the server
            lifecycle.down(Settings.from_env(), note=lambda _message: None)
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
            shutil.rmtree(home, ignore_errors=True)


def _start_in_background(settings) -> threading.Thread:
    """Start the backend on a thread. A failure is only logged here: the first notebook's connect() then
    tries again and fails with the backend's own message in the cell, where a reader looks."""
    from hostlab.local import lifecycle

    def start() -> None:
        try:
            lifecycle.up(settings, note=lambda _message: None)
        except Exception as exc:  # reported again, in context, by connect()
            print(f"hostlab: starting the local backend early failed: {exc}", file=sys.stderr)

    thread = threading.Thread(target=start, name="hostlab-backend-start", daemon=True)
    thread.start()
    return thread


def kernel_config() -> Config:
    """Kernels whose connection is encrypted, which also silences ipykernel's warning "Kernel is running over
    TCP without encryption" (ipykernel.kernelapp.IPKernelApp.init_sockets logs it for every TCP kernel started
    without CurveZMQ keys; `make tutorial` printed it once per notebook).

    jupyter_client's KernelManager.transport_encryption="auto" gives the kernel CurveZMQ keys when its
    kernelspec declares ``supported_encryption: ["curve"]`` (ipykernel's does) and runs it unencrypted, as
    before, otherwise. It needs a pyzmq built with CurveZMQ (the PyPI wheels are); without one, the setting
    is left alone rather than failing the run.
    """
    import zmq

    config = Config()
    if zmq.has("curve"):
        config.KernelManager.transport_encryption = "auto"
    return config


def execute(source: Path, target: Path | None = None, cwd: Path | None = None) -> nbformat.NotebookNode:
    """Execute ``source`` top to bottom in a new kernel and write it to ``target`` (default: in place).

    Raises nbclient's CellExecutionError, naming the cell, when a cell fails; the target is then not
    written, so a committed notebook never gets a half-run state.
    """
    nb = nbformat.read(source, as_version=4)
    client = NotebookClient(
        nb,
        config=kernel_config(),
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(cwd or source.parent)}},
        record_timing=False,
        coalesce_streams=True,
        allow_errors=False,
    )
    client.execute()
    target = source if target is None else target
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)
    return nb


def track_of(path: Path) -> str:
    """"express" for the ECS Express Mode track (notebooks 11-express-... to 15-...), else "apprunner"."""
    return "express" if path.name[:2].isdigit() and "-express-" in path.name else "apprunner"


def refresh(notebooks: Sequence[Path]) -> None:
    """Execute ``notebooks`` in order, in place (`make notebooks`): each track on a fresh local backend of its
    own, so that each track's seeded IDs are those of a fresh backend, as under nbval."""
    for track in ("apprunner", "express"):
        chosen = [p for p in notebooks if track_of(p) == track]
        if not chosen:
            continue
        with fresh_local_backend(start_early=True):
            for path in chosen:
                shown = path.relative_to(REPO) if path.is_relative_to(REPO) else path
                print(f"executing {shown}", flush=True)
                execute(path)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    notebooks = [Path(a).resolve() for a in args] or tutorial_notebooks()
    if not notebooks:
        print(f"no notebooks found in {NOTEBOOKS}", file=sys.stderr)
        return 1
    refresh(notebooks)
    return 0


if __name__ == "__main__":
    sys.exit(main())
