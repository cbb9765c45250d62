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

A kernel that dies before it answers its first request is started once more (:data:`DIED_WHILE_STARTING`):
seen once in about ten runs of `make test` on a loaded machine, in a nested notebook run of
tests/test_rehearsal.py. The cause was not captured; a likely one is that jupyter_client chooses a kernel's
ports before the kernel binds them, so another process can take one in between, and a second start chooses
new ones. A kernel that dies twice, or does not answer in time, fails the notebook as before.

One exception, asked for by name (--hostlab-same-kernel): a notebook listed twice in a row (`make test`'s
re-run sequence, with pytest's --keep-duplicates) runs the second time in the kernel of the first, as a reader
who runs all cells again in an open notebook does. The README promises re-runs "in a new kernel or the same
one".
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

log = logging.getLogger(__name__)

# What jupyter_client raises when the kernel process ended before replying to kernel_info
# (jupyter_client/client.py, wait_for_ready); start_new_kernel has shut that kernel down by then.
DIED_WHILE_STARTING = "Kernel died before replying to kernel_info"


class KernelsAhead:
    """A stand-in for nbval's ``RunningKernel(kernel_name, cwd=..., startup_timeout=...)`` that hands out a
    kernel started in advance when one with the same arguments is ready, and starts the next one.

    ``start`` is nbval's RunningKernel; ``notebooks`` is how many kernels the run will ask for (no kernel is
    started ahead for a notebook that does not exist). ``same_kernel_again`` holds the positions (0-based, in
    the order nbval asks) of the notebooks that run in the kernel of the one before them. :meth:`close`
    stops what is left.
    """

    def __init__(
        self, start: Callable[..., Any], notebooks: int, same_kernel_again: frozenset[int] = frozenset()
    ):
        self._start = start
        self._notebooks = notebooks
        self._same_kernel_again = same_kernel_again
        self._handed_out = 0
        self._ahead: tuple[tuple, Future] | None = None
        # The kernel nbval has torn down but the next notebook runs in again, with its real stop.
        self._kept: tuple[Any, Callable[[], None]] | None = None
        # Two workers: one starts the next kernel while the other stops the last one.
        self._threads = ThreadPoolExecutor(max_workers=2, thread_name_prefix="nbval-kernel")
        self._stopping: list[Future] = []

    def __call__(self, kernel_name: str, cwd: str | None = None, startup_timeout: float = 60) -> Any:
        arguments = (kernel_name, cwd, startup_timeout)
        position, self._handed_out = self._handed_out, self._handed_out + 1
        kernel = self._take_kept() if position in self._same_kernel_again else None
        if kernel is None:
            kernel = self._take_ahead(arguments) or self._start_kernel(
                kernel_name, cwd=cwd, startup_timeout=startup_timeout
            )
        following = position + 1
        if following < self._notebooks and following not in self._same_kernel_again:
            ahead = self._threads.submit(
                self._start_kernel, kernel_name, cwd=cwd, startup_timeout=startup_timeout
            )
            self._ahead = (arguments, ahead)
        if following in self._same_kernel_again:
            self._keep_for_the_next(kernel)
        else:
            self._stop_on_a_thread(kernel)
        return kernel

    def _start_kernel(self, kernel_name: str, *, cwd: str | None, startup_timeout: float) -> Any:
        try:
            return self._start(kernel_name, cwd=cwd, startup_timeout=startup_timeout)
        except RuntimeError as exc:
            if DIED_WHILE_STARTING not in str(exc):
                raise
            log.warning("a kernel died while starting (%s); starting another", exc)
            return self._start(kernel_name, cwd=cwd, startup_timeout=startup_timeout)

    def _keep_for_the_next(self, kernel: Any) -> None:
        """nbval's teardown calls kernel.stop(); for a kernel the next notebook runs in again: nothing."""
        stop = getattr(kernel, "_hostlab_real_stop", kernel.stop)
        kernel._hostlab_real_stop = stop
        kernel.stop = lambda: None
        self._kept = (kernel, stop)

    def _take_kept(self) -> Any | None:
        if self._kept is None:
            return None
        (kernel, stop), self._kept = self._kept, None
        kernel.stop = stop
        if not kernel.is_alive():  # it died in the first run: a new one, and the failure shows there
            return None
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
        stop = getattr(kernel, "_hostlab_real_stop", kernel.stop)

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
        if self._kept is not None:  # kept for a repeat that never ran
            (_, stop), self._kept = self._kept, None
            self._stopping.append(self._threads.submit(stop))
        for stopping in list(self._stopping):
            try:
                stopping.result()
            except Exception:
                log.warning("stopping a kernel failed", exc_info=True)
        self._threads.shutdown(wait=True)
