"""A pytest plugin for the moto peer check: one outcome per test, written as JSON where
MOTO_PEER_OUTCOMES points.

Loaded into the run of moto's own tests with ``-p record_outcomes`` (runner.py puts this folder on
PYTHONPATH). A test counts as failed when any of its phases (setup, call, teardown) failed, as skipped when
it was skipped before or during its call, and as passed otherwise.
"""

from __future__ import annotations

import json
import os

_outcomes: dict[str, dict[str, str]] = {}


def _message(report) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        return crash.message.splitlines()[0] if crash.message else ""
    if isinstance(report.longrepr, tuple):  # a skip: (file, line, reason)
        return str(report.longrepr[-1])
    return str(report.longrepr or "").strip().splitlines()[-1:][0] if report.longrepr else ""


def pytest_runtest_logreport(report) -> None:
    record = _outcomes.setdefault(report.nodeid, {"outcome": "passed", "message": ""})
    if record["outcome"] == "failed":
        return  # the first failure is the one worth showing
    if report.failed:
        record.update(outcome="failed", message=f"{report.when}: {_message(report)}")
    elif report.skipped:
        record.update(outcome="skipped", message=_message(report))


def pytest_sessionfinish(session, exitstatus) -> None:
    path = os.environ.get("MOTO_PEER_OUTCOMES")
    if path:
        with open(path, "w", encoding="utf-8") as out:
            json.dump(_outcomes, out, indent=1, sort_keys=True)
