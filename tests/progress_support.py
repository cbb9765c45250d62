"""Holding the session backend's work in progress, so tests about "while it is still in progress" do not race
the 0.4 s test clock.

The local control plane asks moto's state manager how long each piece of work lasts (moto_glue.timing): work
started while a longer transition is in force lasts that long, and falls back to the settings' 0.4 s once the
transition is unset. So a test holds a model (say every App Runner service operation) for an hour, starts
the work, checks what it must check while the work is in progress, and releases it: the work then finishes
0.4 s after it started, so a waiter ends at once. Work started before the hold is not affected.
``release_on_first_poll`` releases from inside a waiter, which makes "the waiter polled through the
in-progress state" certain rather than likely.

Tests run one at a time against the session backend, and the ``hold`` fixture releases whatever is still
held when its test ends, so no hold outlives its test.
"""

from __future__ import annotations

from typing import Any

import requests

from hostlab.local.controlplane.progress import (
    APPRUNNER_CUSTOM_DOMAIN,
    APPRUNNER_SERVICE,
    CLOUDFRONT_DISTRIBUTION,
    CLOUDFRONT_INVALIDATION,
    EXPRESS_SERVICE,
)

__all__ = [
    "APPRUNNER_CUSTOM_DOMAIN",
    "APPRUNNER_SERVICE",
    "CLOUDFRONT_DISTRIBUTION",
    "CLOUDFRONT_INVALIDATION",
    "EXPRESS_SERVICE",
    "Hold",
]

HOLD_SECONDS = 3600
HTTP_TIMEOUT = 10


class Hold:
    """``with hold(APPRUNNER_SERVICE): ...`` keeps that model's work in progress inside the block."""

    def __init__(self, api_url: str) -> None:
        self._api_url = api_url
        self._held: set[str] = set()
        self._http = requests.Session()
        self._http.trust_env = False  # straight to the loopback endpoint, whatever proxy the shell names

    def __call__(self, *models: str) -> Hold:
        for model in models:
            transition = {"progression": "time", "seconds": HOLD_SECONDS}
            self._post("set-transition", model_name=model, transition=transition)
            self._held.add(model)
        return self

    def __enter__(self) -> Hold:
        return self

    def __exit__(self, *_: Any) -> None:
        self.release()

    def release(self) -> None:
        """Back to the settings' durations for everything held."""
        while self._held:
            self._post("unset-transition", model_name=self._held.pop())

    def release_on_first_poll(self, client: Any, operation: str) -> None:
        """Release once ``client`` has received its first answer to ``operation`` (e.g. "DescribeService"):
        a waiter's first poll then sees the held state, and its later polls the end of it."""
        event = f"after-call.{client.meta.service_model.service_id.hyphenize()}.{operation}"
        released = False

        def on_answer(**_: Any) -> None:
            # Stays registered (unregistering while botocore emits the event is not safe); acts once.
            nonlocal released
            if not released:
                released = True
                self.release()

        client.meta.events.register(event, on_answer, unique_id=f"hostlab-release-{id(self)}")

    def close(self) -> None:
        try:
            self.release()
        finally:
            self._http.close()

    def _post(self, action: str, **body: Any) -> None:
        response = self._http.post(
            f"{self._api_url}/moto-api/state-manager/{action}", json=body, timeout=HTTP_TIMEOUT
        )
        response.raise_for_status()
