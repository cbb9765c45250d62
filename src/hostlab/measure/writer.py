"""The files a run writes: a partial file after every probe (what a second run resumes from) and, when every
probe has run, the dated calibration file. Everything written is scrubbed first (scrub.py)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

from hostlab.calibration import SCHEMA_VERSION
from hostlab.measure.scrub import scrub


def calibration_path(out_dir: Path, date: str, region: str) -> Path:
    return out_dir / f"{date}-{region}.json"


def partial_path(out_dir: Path, backend: str, region: str) -> Path:
    """One partial file per backend and region, whatever the day: a run resumed after midnight keeps the
    date it started on."""
    return out_dir / f".measure-{backend}-{region}.partial.json"


def new_document(date: str, region: str, backend: str, tool_version: str) -> dict:
    return {
        "schema": SCHEMA_VERSION,
        "date": date,
        "region": region,
        "backend": backend,
        "tool_version": tool_version,
        "entries": {},
        "observations": {},
    }


def load_partial(path: Path, backend: str, region: str) -> dict | None:
    """The partial document of an earlier run for this backend and region, or None (none, or unreadable:
    then the run starts over rather than trusting it)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA_VERSION:
        return None
    if data.get("backend") != backend or data.get("region") != region:
        return None
    if not isinstance(data.get("entries"), dict) or not isinstance(data.get("observations"), dict):
        return None
    return data


def save(path: Path, document: dict, known: Iterable[str] = ()) -> Path:
    """Write ``document`` scrubbed, atomically (a file beside it, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(scrub(document, known), indent=2, sort_keys=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path
