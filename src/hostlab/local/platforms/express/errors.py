"""The errors the ECS API answers Express calls with, as moto serializes them.

Codes are the exception shapes of botocore's ECS model (service-2.json, API version 2014-11-13) listed for
the Express operations; each has a single ``message`` member and is sent with HTTP 400 (JSON 1.1 protocol).
The wording is ours unless a comment names a source (ASSUMPTION: AWS documents few of its messages).
"""

from __future__ import annotations

from hostlab.local.controlplane.moto_glue import ServiceException


class InvalidParameterException(ServiceException):
    """ECS API reference: 'The specified parameter isn't valid.'"""

    code = "InvalidParameterException"


class ClientException(ServiceException):
    """ECS API reference: 'These errors are usually caused by a client action.'"""

    code = "ClientException"


class ClusterNotFoundException(ServiceException):
    """ECS API reference: 'The specified cluster wasn't found.' (message as ECS sends it, and moto)."""

    code = "ClusterNotFoundException"

    def __init__(self) -> None:
        super().__init__("Cluster not found.")


class ServiceNotFoundException(ServiceException):
    """ECS API reference: 'The specified service wasn't found.'"""

    code = "ServiceNotFoundException"

    def __init__(self) -> None:
        super().__init__("Service not found.")


class ServiceNotActiveException(ServiceException):
    """ECS API reference: 'The specified service isn't active.'"""

    code = "ServiceNotActiveException"


class ResourceNotFoundException(ServiceException):
    """ECS API reference: 'The specified resource wasn't found.'"""

    code = "ResourceNotFoundException"
