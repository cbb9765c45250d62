"""Execute the tutorial's notebooks on a fresh local backend: `make notebooks` and `make tutorial` use it.

A fresh backend (its own state folder, free ports, seeded IDs) means the same calls give the same answers,
so executing the notebooks twice gives byte-identical files: nbclient keeps no timings
(``record_timing=False``) and folds carriage returns in streams (``coalesce_streams=True``), which is what
turns a waiter's progress bar into its one final line ("distribution: Deployed") however many polls it drew.

    python -m hostlab.notebook_runner              refresh notebooks/*.ipynb in place (make notebooks)
    python -m hostlab.notebook_runner NB [NB ...]  refresh only those, in the order given
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
# Seconds per cell; a cell that waits longer is broken on the local backend (its delays are seconds).
CELL_TIMEOUT = 300

# Short delays for executing notebooks: waiting is still exercised (the waiters poll several times) but
# a whole run stays within seconds. Same names as hostlab.settings reads.
NOTEBOOK_DELAYS = {
    "HOSTLAB_APPRUNNER_OPERATION_SECONDS": "0.2",
    "HOSTLAB_CLOUDFRONT_DEPLOY_SECONDS": "0.2",
    "HOSTLAB_ACM_VALIDATION_SECONDS": "0.2",
}


def tutorial_notebooks(folder: Path = NOTEBOOKS) -> list[Path]:
    """The numbered notebooks, in the order they must run (01-..., 02-..., ...)."""
    return sorted(p for p in folder.glob("[0-9][0-9]-*.ipynb"))


@contextlib.contextmanager
def fresh_local_backend(home: Path | None = None) -> Iterator[dict[str, str]]:
    """Point this process (and the kernels it starts) at a new local backend; stop it and remove its state
    folder afterwards, also when a notebook fails.

    The backend itself is started by the first notebook's ``hostlab.connect()``, with free ports (0) and
    the short delays above. Yields the environment variables it set.
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
    try:
        yield env
    finally:
        try:
            lifecycle.down(Settings.from_env(), note=lambda _message: None)
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
            shutil.rmtree(home, ignore_errors=True)


def execute(source: Path, target: Path | None = None, cwd: Path | None = None) -> nbformat.NotebookNode:
    """Execute ``source`` top to bottom in a new kernel and write it to ``target`` (default: in place).

    Raises nbclient's CellExecutionError, naming the cell, when a cell fails; the target is then not
    written, so a committed notebook never gets a half-run state.
    """
    nb = nbformat.read(source, as_version=4)
    client = NotebookClient(
        nb,
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


def refresh(notebooks: Sequence[Path]) -> None:
    """Execute ``notebooks`` in order, in place, on one fresh local backend (`make notebooks`)."""
    with fresh_local_backend():
        for path in notebooks:
            print(f"executing {path.relative_to(REPO) if path.is_relative_to(REPO) else path}", flush=True)
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
