"""Waiters for ECS Express Mode, built on botocore's machinery. Plain boto3 clients, both backends.

botocore ships no waiter for Express (its ECS waiters are services_stable, services_inactive,
tasks_running, tasks_stopped), so :func:`express_waiter` builds them from botocore's ``WaiterModel``, as
hostlab.waiters does for App Runner, and :func:`hostlab.waiters.wait` shows their progress:

* ``ManagedResourcesActive`` polls DescribeServiceRevisions (``serviceRevisionArns=[...]``, from the
  service's ``activeConfigurations[0].serviceRevisionArn``) until the ingress path's load balancer,
  listener, rule, certificate and primary target group are ACTIVE; any of them FAILED ends it. The AWS
  CLI's ``aws ecs monitor-express-gateway-service`` watches the same resources (AWS CLI reference).
* ``ServiceInactive`` polls DescribeExpressGatewayService until the status is INACTIVE, or the service is
  gone (ResourceNotFoundException), after DeleteExpressGatewayService (terraform-provider-aws waits for
  INACTIVE the same way: internal/service/ecs/express_gateway_service.go).
"""

from __future__ import annotations

from typing import Any

from botocore.waiter import Waiter, WaiterModel, create_waiter_with_client

from hostlab.waiters import Polling, polling, track

# Express creates an ALB, listener, rules, target groups, certificate: minutes on AWS (no documented
# figure); the CLI's monitor polls every 5 s. 10 s x 90 = 15 minutes.
EXPRESS_AWS = Polling(delay=10, max_attempts=90)

_INGRESS = "serviceRevisions[].ecsManagedResources.ingressPaths[]"
# One list of every status the waiter watches (a JMESPath multi-select per ingress path, flattened).
_STATUSES = (
    f"{_INGRESS}.[loadBalancer.status, listener.status, rule.status, certificate.status, "
    "targetGroups[0].status][]"
)

_WAITERS: dict[str, dict[str, Any]] = {
    "ManagedResourcesActive": {
        "operation": "DescribeServiceRevisions",
        "acceptors": [
            {"matcher": "pathAll", "argument": _STATUSES, "expected": "ACTIVE", "state": "success"},
            {"matcher": "pathAny", "argument": _STATUSES, "expected": "FAILED", "state": "failure"},
            {
                "matcher": "pathAny",
                "argument": "failures[].reason",
                "expected": "MISSING",
                "state": "failure",
            },
        ],
    },
    "ServiceInactive": {
        "operation": "DescribeExpressGatewayService",
        "acceptors": [
            {
                "matcher": "path",
                "argument": "service.status.statusCode",
                "expected": "INACTIVE",
                "state": "success",
            },
            {"matcher": "error", "expected": "ResourceNotFoundException", "state": "success"},
        ],
    },
}
EXPRESS_WAITER_NAMES = tuple(_WAITERS)


def express_waiter(
    client: Any, name: str, *, delay: float | None = None, max_attempts: int | None = None
) -> Waiter:
    """A botocore waiter for an ECS client: ManagedResourcesActive (``serviceRevisionArns=[...]``) or
    ServiceInactive (``serviceArn=...``). Use ``waiter.wait(...)``, or hostlab.waiters.wait for a bar."""
    if name not in _WAITERS:
        raise ValueError(f"unknown Express waiter {name!r}; known: {', '.join(EXPRESS_WAITER_NAMES)}")
    chosen = polling(client, EXPRESS_AWS, delay, max_attempts)
    definition = {**_WAITERS[name], "delay": chosen.delay, "maxAttempts": chosen.max_attempts}
    model = WaiterModel({"version": 2, "waiters": {name: definition}})
    return track(create_waiter_with_client(name, model, client), client)
