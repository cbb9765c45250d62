"""A hand-driven App Runner state for the front's tests (the same interface as front_state.ApiState).

Tests change services the way the control plane does: begin() puts a service in OPERATION_IN_PROGRESS at
once, finish() gives it its resting status no sooner than ``operation_seconds`` later (the local control
plane's timing, settings.apprunner_operation_seconds). The front's freshness rule relies on exactly that.
"""

from __future__ import annotations

import itertools
import threading
import time

import hostlab.app as demo
from hostlab.local.platforms.apprunner.front_state import (
    DomainView,
    RuntimeConfig,
    ServiceView,
    Snapshot,
    runtime_config,
)

REGION = "us-east-1"
ACCOUNT = "123456789012"


class FakeState:
    def __init__(self, operation_seconds: float):
        self.operation_seconds = operation_seconds
        self._services: dict[str, dict] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.regions = {REGION}

    def add(self, name: str, status: str = "RUNNING", source: dict | None = None,
            domains: tuple[DomainView, ...] = ()) -> tuple[str, str]:
        number = next(self._ids)
        service_id = f"svc{number:04d}x"
        arn = f"arn:aws:apprunner:{REGION}:{ACCOUNT}:service/{name}/{service_id}"
        url = f"{service_id}.{REGION}.awsapprunner.com"
        with self._lock:
            self._services[arn] = {
                "name": name, "url": url, "status": status, "updated": 1, "domains": tuple(domains),
                "started": time.monotonic(),
                "source": source or demo.source_configuration(),
            }
        return arn, url

    def set(self, arn: str, **changes) -> None:
        """Change a service; any change counts as an update (new UpdatedAt), as the API does."""
        with self._lock:
            entry = self._services[arn]
            entry.update(changes)
            entry["updated"] += 1

    def begin(self, arn: str, **changes) -> None:
        """An operation starts (UpdateService, PauseService, DeleteService...)."""
        self.set(arn, status="OPERATION_IN_PROGRESS", started=time.monotonic(), **changes)

    def finish(self, arn: str, status: str) -> None:
        """The operation ends with ``status`` ("DELETED" removes the service), once its time has passed."""
        with self._lock:
            started = self._services[arn].get("started", float("-inf"))
        time.sleep(max(0.0, started + self.operation_seconds - time.monotonic()))
        if status == "DELETED":
            with self._lock:
                del self._services[arn]
        else:
            self.set(arn, status=status)

    def snapshot(self) -> Snapshot:
        with self._lock:
            services = tuple(
                ServiceView(arn, s["name"], s["url"], s["status"], str(s["updated"]), s["domains"])
                for arn, s in self._services.items()
            )
        return Snapshot(services)

    def describe(self, arn: str) -> RuntimeConfig:
        with self._lock:
            return runtime_config({"SourceConfiguration": self._services[arn]["source"]})
