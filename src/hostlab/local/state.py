"""state.json: what a running local backend tells its clients (written by the server, read by `hostlab`).

The server writes the file only once every part answers, and replaces it atomically, so a reader never sees
half a file: either no file (not ready, or stopped) or a complete one.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class State:
    """A running backend, as recorded in its state folder."""

    pid: int
    started_at: str  # ISO 8601, UTC
    api_url: str  # the AWS API endpoint (AWS_ENDPOINT_URL)
    proxy_url: str  # the HTTP CONNECT proxy (HTTPS_PROXY)
    ca_bundle: str  # local CA + public roots (REQUESTS_CA_BUNDLE, SSL_CERT_FILE, CURL_CA_BUNDLE)
    seed: int
    version: str  # hostlab version of the server
    home: str
    # Which code the server runs: the hostlab package folder it imported, the checkout that folder belongs to
    # ("" for an install outside a checkout) and that checkout's `git describe --always --dirty` ("" when
    # unknown). `hostlab status` shows them; `up` says when they are not the caller's (hostlab.checkout).
    code: str = ""
    checkout: str = ""
    revision: str = ""
    # Data plane parts that run (e.g. ["edge", "apprunner-front"]); a part not yet built is simply absent.
    dataplane: tuple[str, ...] = ()
    # The HOSTLAB_* settings the server was started with, so `up` can say when a request differs.
    settings: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        data = asdict(self)
        data["dataplane"] = list(self.dataplane)
        return json.dumps(data, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> State:
        data = json.loads(text)
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        known["dataplane"] = tuple(known.get("dataplane", ()))
        return cls(**known)


def write_state(path: Path, state: State) -> None:
    """Write ``state`` so that readers see either the old file or the whole new one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(state.to_json())
    os.replace(tmp, path)


def read_state(path: Path) -> State | None:
    """The recorded state, or None when there is none or it cannot be read (a crash mid-way, an edit)."""
    try:
        return State.from_json(path.read_text())
    except (FileNotFoundError, ValueError, TypeError, KeyError):
        return None
