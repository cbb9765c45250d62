"""Waiters for App Runner and CloudFront, and a progress bar while they poll.

botocore ships no App Runner waiter, so :func:`apprunner_waiter` builds one from botocore's own waiter
machinery (a ``WaiterModel`` plus ``create_waiter_with_client``): the polling, delays, acceptors and
``WaiterError`` are botocore's. :func:`distribution_deployed_waiter` is botocore's CloudFront waiter with a
delay and attempt count that fit both backends. :func:`wait` runs any of them behind a tqdm bar that ends
on one line naming the final state.

Poll timing follows the endpoint, so the same notebook code suits both backends: against a loopback
endpoint (the local backend) waiters poll many times a second (``LOCAL``); against AWS they use delays that
respect its rate limits and attempt counts that outlast its slowest deployments.

Works with plain boto3 clients; imports nothing from the local backend.
"""

from __future__ import annotations

import sys
import weakref
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import jmespath
from botocore.waiter import Waiter, WaiterModel, create_waiter_with_client
from tqdm import tqdm


@dataclass(frozen=True)
class Polling:
    delay: float
    max_attempts: int


# App Runner: CreateService typically takes a few minutes on AWS; 10 s x 90 = 15 minutes.
APPRUNNER_AWS = Polling(delay=10, max_attempts=90)
# CloudFront: botocore's distribution_deployed waits 60 s x 35 = 35 minutes, which is slow to notice the end
# locally and can be too short on AWS: no deployment time is documented, and the often-quoted 30-35 minutes
# come from a 2019 report (aws/aws-cli issue 3865), so allow more; 20 s x 135 = 45 min.
CLOUDFRONT_AWS = Polling(delay=20, max_attempts=135)
# Local backend: operations last seconds or less (Settings.apprunner_operation_seconds,
# cloudfront_deploy_seconds; 0.2 s when notebooks run under nbval), so poll often: a poll is one loopback
# call, and the end of a wait is noticed within 0.1 s. Not more often: each poll costs 1.2-1.7 ms of CPU in
# the backend and about 0.9 ms in the caller on an idle machine (loops of ListServices and ListDistributions
# against a running backend; about twice that in the backend under `make test`'s load), which every test and
# notebook run pays. 0.1 s x 600 = 1 minute, as before.
LOCAL = Polling(delay=0.1, max_attempts=600)

_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def is_local_endpoint(client: Any) -> bool:
    """True when ``client`` talks to a loopback endpoint (the local backend), not to AWS."""
    return urlsplit(client.meta.endpoint_url).hostname in _LOOPBACK_HOSTS


def _polling(client: Any, aws: Polling, delay: float | None, max_attempts: int | None) -> Polling:
    from hostlab.tutorial import rehearsal

    if rehearsal.rehearsing():
        # The aws tier rehearsed on the local backend: AWS's polling, each delay shortened by a named factor.
        default = Polling(rehearsal.scaled_delay(aws.delay), aws.max_attempts)
    else:
        default = LOCAL if is_local_endpoint(client) else aws
    return Polling(
        default.delay if delay is None else delay,
        default.max_attempts if max_attempts is None else max_attempts,
    )


# ---------------------------------------------------------------------------------------------------------
# App Runner waiter definitions (botocore waiter model, version 2)
# ---------------------------------------------------------------------------------------------------------

_NOT_FOUND = "ResourceNotFoundException"

# Service statuses: API_Service (CREATE_FAILED | RUNNING | DELETED | DELETE_FAILED | PAUSED |
# OPERATION_IN_PROGRESS). While OPERATION_IN_PROGRESS no acceptor matches, so botocore keeps polling.
_SERVICE_WAITERS: dict[str, dict[str, Any]] = {
    "ServiceRunning": {
        "operation": "DescribeService",
        "acceptors": [
            {"matcher": "path", "argument": "Service.Status", "expected": "RUNNING", "state": "success"},
            {
                "matcher": "path",
                "argument": "Service.Status",
                "expected": "CREATE_FAILED",
                "state": "failure",
            },
            {
                "matcher": "path",
                "argument": "Service.Status",
                "expected": "DELETE_FAILED",
                "state": "failure",
            },
            {"matcher": "path", "argument": "Service.Status", "expected": "DELETED", "state": "failure"},
            {"matcher": "error", "expected": _NOT_FOUND, "state": "failure"},
        ],
    },
    "ServicePaused": {
        "operation": "DescribeService",
        "acceptors": [
            {"matcher": "path", "argument": "Service.Status", "expected": "PAUSED", "state": "success"},
            {"matcher": "path", "argument": "Service.Status", "expected": "DELETED", "state": "failure"},
            {"matcher": "error", "expected": _NOT_FOUND, "state": "failure"},
        ],
    },
    "ServiceDeleted": {
        "operation": "DescribeService",
        "acceptors": [
            # DescribeService keeps answering for a deleted service with Status DELETED, or it answers
            # ResourceNotFoundException (terraform-provider-aws findServiceByARN handles both).
            {"matcher": "path", "argument": "Service.Status", "expected": "DELETED", "state": "success"},
            {"matcher": "error", "expected": _NOT_FOUND, "state": "success"},
            {
                "matcher": "path",
                "argument": "Service.Status",
                "expected": "DELETE_FAILED",
                "state": "failure",
            },
        ],
    },
}


def _custom_domain_active(domain_name: str) -> dict[str, Any]:
    # The API sends custom domain statuses in lower case ("active"), although the model's enum is upper case
    # (terraform-provider-aws internal/service/apprunner/status.go); both spellings are accepted.
    if not domain_name or any(
        c not in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789*.-" for c in domain_name
    ):
        raise ValueError(f"not a domain name: {domain_name!r}")
    path = f"CustomDomains[?DomainName=='{domain_name}'].Status"
    acceptors = [
        {"matcher": "pathAny", "argument": path, "expected": s, "state": "success"}
        for s in ("active", "ACTIVE")
    ]
    acceptors += [
        {"matcher": "pathAny", "argument": path, "expected": s, "state": "failure"}
        for s in ("create_failed", "CREATE_FAILED")
    ]
    acceptors.append({"matcher": "error", "expected": _NOT_FOUND, "state": "failure"})
    return {"operation": "DescribeCustomDomains", "acceptors": acceptors}


APPRUNNER_WAITER_NAMES = (*_SERVICE_WAITERS, "CustomDomainActive")

# wait() reports progress through the client's events, so it needs the client behind each waiter.
_CLIENTS: weakref.WeakKeyDictionary[Waiter, Any] = weakref.WeakKeyDictionary()


def apprunner_waiter(
    client: Any,
    name: str,
    *,
    delay: float | None = None,
    max_attempts: int | None = None,
    domain_name: str | None = None,
) -> Waiter:
    """A botocore waiter for App Runner: ServiceRunning, ServicePaused, ServiceDeleted (``ServiceArn=``)
    or CustomDomainActive (``domain_name`` here, ``ServiceArn=`` when waiting).

    Use ``waiter.wait(ServiceArn=...)`` directly, or :func:`wait` for a progress bar.
    """
    if name == "CustomDomainActive":
        if domain_name is None:
            raise ValueError("CustomDomainActive needs domain_name")
        definition = _custom_domain_active(domain_name)
    elif name in _SERVICE_WAITERS:
        definition = _SERVICE_WAITERS[name]
    else:
        raise ValueError(f"unknown App Runner waiter {name!r}; known: {', '.join(APPRUNNER_WAITER_NAMES)}")
    polling = _polling(client, APPRUNNER_AWS, delay, max_attempts)
    model = WaiterModel(
        {
            "version": 2,
            "waiters": {name: {**definition, "delay": polling.delay, "maxAttempts": polling.max_attempts}},
        }
    )
    waiter = create_waiter_with_client(name, model, client)
    _CLIENTS[waiter] = client
    return waiter


def track(waiter: Waiter, client: Any) -> Waiter:
    """Let :func:`wait` show ``waiter``'s progress (for waiters built elsewhere, e.g. hostlab.platforms)."""
    _CLIENTS[waiter] = client
    return waiter


def polling(
    client: Any, aws: Polling, delay: float | None = None, max_attempts: int | None = None
) -> Polling:
    """The delay and attempts for a waiter on ``client``: LOCAL on the local backend, ``aws`` on AWS."""
    return _polling(client, aws, delay, max_attempts)


def distribution_deployed_waiter(
    client: Any, *, delay: float | None = None, max_attempts: int | None = None
) -> Waiter:
    """botocore's CloudFront ``distribution_deployed`` waiter (``Id=``) with delay and attempts that fit."""
    waiter = client.get_waiter("distribution_deployed")
    polling = _polling(client, CLOUDFRONT_AWS, delay, max_attempts)
    # get_waiter builds a fresh config object per call, so this changes only this waiter.
    waiter.config.delay = polling.delay
    waiter.config.max_attempts = polling.max_attempts
    _CLIENTS[waiter] = client
    return waiter


# ---------------------------------------------------------------------------------------------------------
# Progress while waiting
# ---------------------------------------------------------------------------------------------------------

# While polling: a fixed-width bar that counts polls and shows the state the last poll saw. No timings or
# rates, in the bar or in what it leaves behind, so nothing of it depends on how long AWS took.
BAR_COLUMNS = 72
_BAR_FORMAT = "{desc}: {bar} {n_fmt}/{total_fmt} polls{postfix}"
# When the wait succeeds the same line is redrawn as just "<description>: <final state>" and kept.
_DONE_FORMAT = "{desc}"


def _shown_value(waiter: Waiter, parsed: dict[str, Any]) -> str:
    """What to show for one poll: the error code, or the value the waiter's first path acceptor reads."""
    if "Error" in parsed:
        return str(parsed["Error"].get("Code", "error"))
    for acceptor in waiter.config.acceptors:
        if acceptor.matcher in ("path", "pathAll", "pathAny") and acceptor.argument:
            value = jmespath.search(acceptor.argument, parsed)
            if isinstance(value, list):
                value = ",".join(map(str, value)) or "-"
            return str(value)
    return "-"


def _finish(bar: tqdm, line: str) -> None:
    """Replace the bar with ``line`` for good (a newline after it).

    The bar is blanked first, so a final line shorter than the bar leaves no trace of it on a terminal and
    carries no padding. Every redraw starts with a carriage return, so what a notebook keeps once it folds
    the carriage returns (nbclient's and nbval's ``coalesce_streams``) is exactly ``line + "\n"``.
    """
    bar.clear()
    bar.bar_format = _DONE_FORMAT
    bar.set_description_str(line, refresh=False)
    bar.close()  # leave=True: redraws once with the format above, then writes the newline
    bar.fp.flush()


def wait(waiter: Waiter, description: str, **kwargs: Any) -> str:
    """Run ``waiter.wait(**kwargs)`` behind a progress bar; return the final state.

    While polling, the bar counts polls and shows the state each poll saw. When the wait succeeds the bar
    becomes the line ``"<description>: <final state>"`` (for example ``App Runner service: RUNNING``),
    which does not depend on timing, so a notebook's saved output is the same on every run and on both
    backends. A failed wait erases the bar and raises botocore's ``WaiterError`` unchanged.

    The bar goes to stdout, not stderr: a notebook stores each stream as one block (nbclient and nbval
    merge a cell's outputs per stream), so a stderr bar would show up after everything the cell printed,
    e.g. "distribution: Deployed" below the probe that ran after the deployment.
    """
    client = _CLIENTS.get(waiter)
    if client is None:
        raise TypeError(
            "wait() takes a waiter made by hostlab.waiters (apprunner_waiter, distribution_deployed_waiter)"
        )
    operation = client.meta.service_model.operation_model(waiter.config.operation)
    event = f"after-call.{client.meta.service_model.service_id.hyphenize()}.{operation.name}"
    seen = {"state": "-"}
    bar = tqdm(
        total=waiter.config.max_attempts,
        desc=description,
        leave=True,
        file=sys.stdout,
        ncols=BAR_COLUMNS,
        bar_format=_BAR_FORMAT,
        mininterval=0,
    )

    def on_poll(parsed: dict[str, Any], **_: Any) -> None:
        seen["state"] = _shown_value(waiter, parsed)
        bar.set_postfix_str(seen["state"], refresh=False)
        bar.update(1)

    handler_id = f"hostlab-wait-{id(bar)}"
    client.meta.events.register(event, on_poll, unique_id=handler_id)
    try:
        waiter.wait(**kwargs)
    except BaseException:
        bar.leave = False  # erase: the exception says what went wrong
        bar.close()
        raise
    finally:
        client.meta.events.unregister(event, unique_id=handler_id)
    _finish(bar, f"{description}: {seen['state']}")
    return seen["state"]
