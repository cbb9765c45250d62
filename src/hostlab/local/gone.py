"""When the local backend that a notebook or script was connected to went away: one line that says what
happened and what to do, instead of a raw ``EndpointConnectionError``, ``ProxyError`` or ``Tunnel connection
failed: 502``.

A backend keeps AWS resources in its own memory only, so a backend that was stopped (`hostlab down`, a
reboot, a crash) or restarted (stopped, then started again by the next `connect()` or `hostlab up`) has lost
everything the tutorial created; the only way on is to run the tutorial again from its first notebook.

:func:`install` (called by ``hostlab.connect()``) remembers which backend this process was connected to and
hooks the explanation in where the reader sees errors:
  * in IPython and Jupyter kernels, a custom exception handler (``InteractiveShell.set_custom_exc``) shows
    the line as the cell's error, with the original error's last line below it;
  * in a plain script, ``sys.excepthook`` prints the usual traceback and then the line.
Errors that happen while the same backend still runs are shown unchanged.
"""

from __future__ import annotations

import os
import sys
from types import TracebackType

from hostlab.local import lifecycle
from hostlab.local.state import State
from hostlab.settings import Settings

# Where the tutorial starts again: the notebook that creates the App Runner service.
FIRST_NOTEBOOK = "notebooks/01-create-service.ipynb"

# The backend this process was connected to by connect(); None before that.
_connected: State | None = None
_previous_excepthook = None


class BackendGoneError(RuntimeError):
    """The local backend this process was connected to is no longer the one that runs (the name a notebook
    shows for the error)."""


def watched_errors() -> tuple[type[BaseException], ...]:
    """The errors that a vanished backend produces in boto3, requests and the standard library.

    A stopped backend refuses connections (botocore's EndpointConnectionError, requests' ProxyError or
    ConnectionError); one restarted on the same fixed ports answers, but without the old resources
    (ClientError such as ResourceNotFoundException, or the proxy's 502 for a name it no longer serves); a
    waiter that polled it raises WaiterError.
    """
    import botocore.exceptions as boto_errors
    import requests

    return (
        boto_errors.HTTPClientError,
        boto_errors.ConnectionError,
        boto_errors.ClientError,
        boto_errors.WaiterError,
        requests.RequestException,
        ConnectionError,
    )


def remember(state: State | None) -> None:
    global _connected
    _connected = state


def connected() -> State | None:
    return _connected


def explain(error: BaseException, was: State | None = None) -> str | None:
    """The line for ``error`` when the backend ``was`` (default: the one connect() remembered) is gone or
    replaced; None when it still runs (then ``error`` is some other problem, shown as it is)."""
    was = _connected if was is None else was
    if was is None or not isinstance(error, watched_errors()):
        return None
    settings = Settings.from_env({**os.environ, "HOSTLAB_HOME": was.home})
    now = lifecycle.status(settings)
    same = now.state is not None and (now.state.pid, now.state.started_at) == (was.pid, was.started_at)
    if now.running and same:
        return None
    again = f"run {FIRST_NOTEBOOK} again, from its first cell, then the notebook you were in"
    if now.running and now.state is not None:
        return (
            f"hostlab: the local backend at {was.api_url} is gone: it was restarted (a new, empty one runs "
            f"at {now.state.api_url} since {now.state.started_at}), and everything created before is gone "
            f"with it; {again}"
        )
    if same:  # the very process is still there, but does not answer
        return (
            f"hostlab: the local backend at {was.api_url} (pid {was.pid}) runs but does not answer; stop it "
            f"with `hostlab down` (its state is lost), then {again}"
        )
    return (
        f"hostlab: the local backend at {was.api_url} is not running: it was stopped or restarted, and its "
        f"state is gone; {again}"
    )


def _ipython_handler(shell, etype, value, tb, tb_offset=None):
    """IPython's custom exception handler: the one line as the cell's error, or the usual traceback."""
    try:
        line = explain(value)
    except Exception:  # never hide the original error behind a failure of ours (IPython would also drop us)
        line = None
    if line is None:
        shell.showtraceback((etype, value, tb), tb_offset=tb_offset, running_compiled_code=True)
        return None
    last = f"{etype.__name__}: {value}".splitlines()[0]
    # _showtraceback is how IPython (terminal and kernel) shows an error from a prepared list of lines; a
    # kernel sends them as the cell's error output.
    shell._showtraceback(BackendGoneError, BackendGoneError(line), [line, f"(the error was {last})"])
    return None


def _excepthook(etype: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    (_previous_excepthook or sys.__excepthook__)(etype, value, tb)
    try:
        line = explain(value)
    except Exception:  # never hide the original error behind a failure of ours
        line = None
    if line is not None:
        print(line, file=sys.stderr)


def install(state: State) -> str:
    """Remember ``state`` as the backend of this process and hook :func:`explain` in; returns where it was
    hooked ("ipython" or "excepthook"). Calling it again (connect() in every notebook) only updates ``state``.
    """
    global _previous_excepthook
    remember(state)
    shell = _ipython_shell()
    if shell is not None:
        shell.set_custom_exc(watched_errors(), _ipython_handler)
        return "ipython"
    if sys.excepthook is not _excepthook:
        _previous_excepthook = sys.excepthook
        sys.excepthook = _excepthook
    return "excepthook"


def _ipython_shell():
    module = sys.modules.get("IPython")  # only when IPython runs this process: never imported here
    if module is None:
        return None
    return module.get_ipython()
