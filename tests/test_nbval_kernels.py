"""KernelsAhead (hostlab.tutorial.nbval_kernels) with stand-in kernels: who gets which kernel, and when."""

from __future__ import annotations

import itertools

import pytest

from hostlab.tutorial.nbval_kernels import DIED_WHILE_STARTING, KernelsAhead


class FakeKernel:
    numbers = itertools.count(1)

    def __init__(self, name, cwd=None, startup_timeout=60):
        self.number = next(self.numbers)
        self.stopped = 0
        self.alive = True

    def is_alive(self):
        return self.alive

    def stop(self):
        self.stopped += 1
        self.alive = False


def run(kernels: KernelsAhead, notebooks: int) -> list[FakeKernel]:
    """Ask for a kernel per notebook and tear each down, as nbval does."""
    handed = []
    for _ in range(notebooks):
        kernel = kernels("python3", cwd="notebooks", startup_timeout=60)
        handed.append(kernel)
        if kernel.is_alive():
            kernel.stop()  # nbval's teardown
    kernels.close()
    return handed


def test_every_notebook_gets_a_kernel_of_its_own_and_each_is_stopped_once():
    handed = run(KernelsAhead(FakeKernel, 4), 4)
    assert len({k.number for k in handed}) == 4
    assert [k.stopped for k in handed] == [1, 1, 1, 1]


def test_a_notebook_listed_twice_in_a_row_runs_again_in_the_same_kernel():
    # 01, 02, 02, 03: the second 02 (position 2) runs in the kernel of the first.
    handed = run(KernelsAhead(FakeKernel, 4, same_kernel_again=frozenset({2})), 4)
    assert handed[2] is handed[1]
    assert len({k.number for k in handed}) == 3  # the positive control: the others are all different
    assert handed[0] is not handed[1] and handed[3] is not handed[2]
    assert all(k.stopped == 1 for k in handed)  # the shared kernel is stopped once, after its second run


def test_a_kernel_kept_for_a_repeat_that_never_runs_is_stopped_at_close():
    kernels = KernelsAhead(FakeKernel, 2, same_kernel_again=frozenset({1}))
    first = kernels("python3", cwd="notebooks", startup_timeout=60)
    first.stop()  # nbval's teardown: kept alive for the repeat
    assert first.is_alive()
    kernels.close()  # the run was cut short before the repeat
    assert not first.is_alive() and first.stopped == 1


def test_a_repeat_whose_kernel_died_gets_a_new_one():
    kernels = KernelsAhead(FakeKernel, 2, same_kernel_again=frozenset({1}))
    first = kernels("python3", cwd="notebooks", startup_timeout=60)
    first.alive = False  # the kernel died during the first run
    second = kernels("python3", cwd="notebooks", startup_timeout=60)
    assert second is not first and second.is_alive()
    second.stop()
    kernels.close()


class DiesWhileStarting:
    """nbval's RunningKernel whose first ``deaths`` kernels die before answering (jupyter_client's words)."""

    def __init__(self, deaths: int, message: str = DIED_WHILE_STARTING):
        self.deaths, self.message, self.calls = deaths, message, 0

    def __call__(self, name, cwd=None, startup_timeout=60):
        self.calls += 1
        if self.calls <= self.deaths:
            raise RuntimeError(self.message)
        return FakeKernel(name, cwd=cwd, startup_timeout=startup_timeout)


def test_a_kernel_that_dies_while_starting_is_started_once_more():
    start = DiesWhileStarting(deaths=1)
    handed = run(KernelsAhead(start, 1), 1)
    assert start.calls == 2 and handed[0].stopped == 1


def test_a_kernel_that_dies_twice_or_times_out_still_fails_the_notebook():
    for start in (DiesWhileStarting(deaths=2), DiesWhileStarting(deaths=1, message="Kernel didn't respond")):
        kernels = KernelsAhead(start, 1)
        with pytest.raises(RuntimeError):
            kernels("python3", cwd="notebooks", startup_timeout=60)
        kernels.close()
        assert start.calls == (2 if "died" in start.message else 1)
