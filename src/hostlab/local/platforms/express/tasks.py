"""An Express service's task, locally: the demo app as a process on loopback.

There is no container runtime here. As for App Runner (local/dataplane/apps.py, whose process handling this
reuses), a task runs the demo app: the container's ``command`` when it is the demo app's start command
(hostlab.app.START_COMMAND, split into a list as ECS takes it), otherwise the bundled demo_app.py, with the
container's environment. Each task gets a loopback address of its own and the container port when free.
ASSUMPTION: one task per service whatever scalingTarget.minTaskCount says (a second process would serve
the same answers).

Tasks start on a thread of their own so that CreateExpressGatewayService answers at once; the backend is
told when the task listens (or failed), and then registers its address as the target.
"""

from __future__ import annotations

import logging
import shlex
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

log = logging.getLogger("hostlab.express.tasks")


class Tasks:
    """Starts and stops the demo-app processes standing in for Express tasks."""

    def __init__(self, apps_dir: Path):
        self.apps_dir = Path(apps_dir)
        self._apps: Any = None
        self._lock = threading.Lock()
        self._starter = ThreadPoolExecutor(max_workers=2, thread_name_prefix="express-task-start")

    def _processes(self) -> Any:
        # Imported here: the process machinery is the data plane's, needed only once a task runs.
        from hostlab.local.dataplane.apps import AppProcesses

        with self._lock:
            if self._apps is None:
                self._apps = AppProcesses(self.apps_dir)
            return self._apps

    @staticmethod
    def runtime_config(container: dict[str, Any]) -> Any:
        from hostlab.local.dataplane.apps import RuntimeConfig

        command = container.get("command")
        return RuntimeConfig(
            port=int(container.get("containerPort", 80)),
            start_command=shlex.join(command) if command else None,
            env=tuple((e["name"], e.get("value", "")) for e in container.get("environment") or []),
            image=container.get("image"),
        )

    def start(
        self,
        name: str,
        container: dict[str, Any],
        on_ready: Callable[[Any], None],
        on_failure: Callable[[str], None],
    ) -> None:
        """Start a task in the background; call ``on_ready(deployment)`` once it listens, else
        ``on_failure(reason)``."""

        def run() -> None:
            try:
                deployment = self._processes().launch(name, self.runtime_config(container))
            except Exception as exc:  # AppStartError, or no process could be started at all
                log.warning("Express task for %s did not start: %s", name, exc)
                on_failure(str(exc))
                return
            on_ready(deployment)

        self._starter.submit(run)

    def stop(self, deployment: Any) -> None:
        if deployment is not None:
            self._processes().stop(deployment)

    def close(self) -> None:
        self._starter.shutdown(wait=True)
        with self._lock:
            apps, self._apps = self._apps, None
        if apps is not None:
            apps.close()
