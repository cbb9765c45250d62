"""Calibration files: what `hostlab measure` found on AWS, read back so the local backend behaves as measured.

A calibration file (calibrations/README.md has the schema) holds one entry per assumption setting, keyed
by the setting's variable name (``HOSTLAB_APPRUNNER_TLS_VERSIONS``...). A ``measured`` entry carries the
value in the same text form as the environment variable, so the very parser that checks the variable
checks the file; a ``not_measured`` entry carries the reason and changes nothing.

Precedence, lowest first: the defaults in settings.py, then the calibration file (HOSTLAB_CALIBRATION),
then HOSTLAB_* variables set explicitly. An explicit variable is the most specific thing a reader (or a
test) can say, so it wins; the file replaces the defaults, which are themselves assumptions.

This module imports nothing from hostlab, so settings.py can use it and hostlab.measure can write with it.
"""

from __future__ import annotations

import json
from pathlib import Path

SCHEMA_VERSION = 1
MEASURED = "measured"
NOT_MEASURED = "not_measured"
STATUSES = (MEASURED, NOT_MEASURED)

# The settings a calibration may carry: every ASSUMPTION setting a probe reaches (settings.py says why each
# one is an assumption). Durations (HOSTLAB_*_SECONDS) are not among them: a probe records them as
# observations, but the local backend keeps its delays short on purpose.
CALIBRATED_SETTINGS = (
    "HOSTLAB_APPRUNNER_TLS_VERSIONS",
    "HOSTLAB_APPRUNNER_PAUSED_STATUS",
    "HOSTLAB_CLOUDFRONT_CONFIG_CHANGE_KEEPS_CACHE",
    "HOSTLAB_CLOUDFRONT_CACHING_DISABLED_CACHES_ERRORS",
    "HOSTLAB_CLOUDFRONT_DEFAULT_ORIGIN_SSL_PROTOCOLS",
    "HOSTLAB_CLOUDFRONT_ORIGIN_SNI",
)
TOP_LEVEL_KEYS = {"schema", "date", "region", "backend", "tool_version", "entries", "observations"}


class CalibrationError(ValueError):
    """A calibration file that cannot be used; the message names the file and the entry."""


def read_calibration(path: str | Path) -> dict:
    """The parsed file, checked for shape (not values: settings.py parses those)."""
    path = Path(path).expanduser()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CalibrationError(f"HOSTLAB_CALIBRATION={path}: cannot read it ({exc.strerror})") from None
    except ValueError as exc:
        raise CalibrationError(f"HOSTLAB_CALIBRATION={path}: not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise CalibrationError(f"HOSTLAB_CALIBRATION={path}: the top level must be an object")
    if data.get("schema") != SCHEMA_VERSION:
        raise CalibrationError(
            f"HOSTLAB_CALIBRATION={path}: schema {data.get('schema')!r} is not {SCHEMA_VERSION}"
        )
    if unknown := sorted(set(data) - TOP_LEVEL_KEYS):
        raise CalibrationError(f"HOSTLAB_CALIBRATION={path}: unknown key(s) {unknown}")
    entries = data.get("entries")
    if not isinstance(entries, dict):
        raise CalibrationError(f"HOSTLAB_CALIBRATION={path}: 'entries' must be an object")
    for name, entry in entries.items():
        _check_entry(path, name, entry)
    return data


def _check_entry(path: Path, name: str, entry: object) -> None:
    where = f"HOSTLAB_CALIBRATION={path}: entry {name!r}"
    if name not in CALIBRATED_SETTINGS:
        raise CalibrationError(
            f"{where} is not a setting a calibration can carry ({list(CALIBRATED_SETTINGS)})"
        )
    if not isinstance(entry, dict):
        raise CalibrationError(f"{where} must be an object")
    status = entry.get("status")
    if status not in STATUSES:
        raise CalibrationError(f"{where}: status {status!r} is not one of {list(STATUSES)}")
    if status == MEASURED and not isinstance(entry.get("value"), str):
        raise CalibrationError(f"{where}: a measured entry needs 'value', a string as in the variable")
    if status == NOT_MEASURED and not isinstance(entry.get("reason"), str):
        raise CalibrationError(f"{where}: a not_measured entry needs 'reason', a string")


def measured_values(path: str | Path) -> dict[str, str]:
    """{variable name: value} of the file's measured entries."""
    entries = read_calibration(path)["entries"]
    return {name: e["value"] for name, e in entries.items() if e["status"] == MEASURED}
