"""nbval's kernels, each started while the notebook before it runs (installed by
hostlab.tutorial.pytest_notebooks).

nbval starts a notebook's kernel when its first cell is set up and stops it after its last cell, and nothing
else happens meanwhile: about half a second to start one (a new Python process importing IPython and
ipykernel) and a tenth to stop it, for every notebook. A tutorial notebook spends most of its own time
waiting on the backend, so here the next notebook's kernel is started on a thread as soon as the current one
is ready, and a finished kernel is stopped on a thread.

Nothing about what a notebook runs in changes: each notebook still gets a kernel of its own that has run
nothing before its first cell, started by nbval's own RunningKernel with the arguments nbval gives it; only
the moment the process starts moves. A kernel takes its environment when it starts, and
hostlab.tutorial.pytest_notebooks sets the environment up in pytest_configure, before the first kernel.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

log = logging.getLogger(__name__)


class KernelsAhead:
    """A stand-in for nbval's ``RunningKernel(kernel_name, cwd=..., startup_timeout=...)`` that hands out a
    kernel started in advance when one with the same arguments is ready, and starts the next one.

    ``start`` is nbval's RunningKernel; ``notebooks`` is how many kernels the run will ask for (no kernel is
    started ahead for a notebook that does not exist). :meth:`close` stops what is left.
    """

    def __init__(self, start: Callable[..., Any], notebooks: int):
        self._start = start
        self._still_wanted = notebooks
        self._ahead: tuple[tuple, Future] | None = None
        # Two workers: one starts the next kernel while the other stops the last one.
        self._threads = ThreadPoolExecutor(max_workers=2, thread_name_prefix="nbval-kernel")
        self._stopping: list[Future] = []

    def __call__(self, kernel_name: str, cwd: str | None = None, startup_timeout: float = 60) -> Any:
        arguments = (kernel_name, cwd, startup_timeout)
        kernel = self._take_ahead(arguments)
        if kernel is None:
            kernel = self._start(kernel_name, cwd=cwd, startup_timeout=startup_timeout)
        self._still_wanted -= 1
        if self._still_wanted > 0:
            ahead = self._threads.submit(self._start, kernel_name, cwd=cwd, startup_timeout=startup_timeout)
            self._ahead = (arguments, ahead)
        self._stop_on_a_thread(kernel)
        return kernel

    def _take_ahead(self, arguments: tuple) -> Any | None:
        if self._ahead is None:
            return None
        (started_with, future), self._ahead = self._ahead, None
        if started_with != arguments:
            self._discard(future)
            return None
        try:
            return future.result()
        except Exception:
            # Start it again where nbval can see it: a failure then reads exactly as without this class.
            log.warning("a kernel started ahead failed; starting one now", exc_info=True)
            return None

    def _stop_on_a_thread(self, kernel: Any) -> None:
        """nbval's teardown calls kernel.stop(); let it return at once and stop the kernel on a thread."""
        stop = kernel.stop

        def stop_later() -> None:
            self._stopping.append(self._threads.submit(stop))

        kernel.stop = stop_later

    def _discard(self, future: Future) -> None:
        def stop_when_started() -> None:
            kernel = future.result()
            kernel.stop()  # started ahead and never handed out: nbval's own stop, not stop_later

        self._stopping.append(self._threads.submit(stop_when_started))

    def close(self) -> None:
        """Stop the kernel started ahead for nobody (a run cut short) and wait for every stop."""
        if self._ahead is not None:
            (_, future), self._ahead = self._ahead, None
            self._discard(future)
        for stopping in list(self._stopping):
            try:
                stopping.result()
            except Exception:
                log.warning("stopping a kernel failed", exc_info=True)
        self._threads.shutdown(wait=True)
