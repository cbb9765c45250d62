"""Benchmark: how many times each waiter of the notebooks polls, with the delays nbval runs them with.

Prints figures, asserts nothing (timing is not a test). It shows that the short delays of
hostlab.tutorial.notebook_runner.NOTEBOOK_DELAYS still make every wait wait: each waiter should poll more
than once
and see the resource in progress before it sees it done.

    .venv/bin/python benchmarks/bench_waits.py [notebooks ...]   (default: 01 to 05, which show waits)

The notebooks run on a fresh local backend, as under nbval, in memory: nothing is written. Their streams are
kept raw (not folded), so every redraw of a waiter's progress bar ("<name>: ... 3/1200 polls, InProgress")
is still there to count.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from hostlab.tutorial.notebook_runner import (
    CELL_TIMEOUT,
    NOTEBOOK_DELAYS,
    fresh_local_backend,
    tutorial_notebooks,
)

# One redraw of hostlab.waiters' bar: "<description>: <bar> <n>/<total> polls[, <state>]".
_REDRAW = re.compile(r"([^\r\n:]+): [^\r\n]*? (\d+)/\d+ polls(?:, ([^\r\n]*))?")
_LABEL = re.compile(r"#\| label: (\S+)")


def waits_in(nb: nbformat.NotebookNode) -> list[tuple[str, str, int, list[str]]]:
    """(cell label, waiter, polls, states seen in order) for each waiter bar the executed notebook drew."""
    found = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        label = (_LABEL.match(cell.source) or [None, "(no label)"])[1]
        text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
        polls: dict[str, int] = {}
        states: dict[str, list[str]] = {}
        for name, count, state in _REDRAW.findall(text):
            name = name.strip()
            polls[name] = max(polls.get(name, 0), int(count))
            if state and state not in states.setdefault(name, []):
                states[name].append(state.strip())
        found += [(label, name, polls[name], states.get(name, [])) for name in polls]
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args()
    notebooks = [p.resolve() for p in args.notebooks] or tutorial_notebooks()[:5]
    print("delays:", ", ".join(f"{k.removeprefix('HOSTLAB_')}={v} s" for k, v in NOTEBOOK_DELAYS.items()))
    fewest = None
    with fresh_local_backend(start_early=True):
        for path in notebooks:
            nb = nbformat.read(path, as_version=4)
            NotebookClient(
                nb,
                timeout=CELL_TIMEOUT,
                kernel_name="python3",
                resources={"metadata": {"path": str(path.parent)}},
                coalesce_streams=False,
            ).execute()
            for label, name, polls, states in waits_in(nb):
                print(f"  {path.name[:2]} {label:24} {name:20} {polls:3} polls  {' -> '.join(states)}")
                fewest = polls if fewest is None else min(fewest, polls)
    print(f"fewest polls of any wait: {fewest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
