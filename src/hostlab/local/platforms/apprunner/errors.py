"""The errors App Runner's API answers with, as moto serializes them.

Codes are the exception shapes of botocore's apprunner service model (service-2.json, API version
2020-05-15): every one has a single ``Message`` member, and the JSON 1.0 protocol sends them with HTTP 400
(no ``httpStatusCode`` in the model; InternalServiceErrorException is a fault, never raised here).

The codes are AWS's; the message wording is ours unless a comment names a source (ASSUMPTION: AWS does not
document its messages).
"""

from __future__ import annotations

from hostlab.local.controlplane.moto_glue import ServiceException


class InvalidRequestException(ServiceException):
    """App Runner API reference: 'One or more input parameters aren't valid.'"""

    code = "InvalidRequestException"


class InvalidStateException(ServiceException):
    """App Runner API reference: 'You can't perform this action when the resource is in its current
    state.'"""

    code = "InvalidStateException"


class ResourceNotFoundException(ServiceException):
    """App Runner API reference: 'A resource doesn't exist for the specified Amazon Resource Name (ARN)
    in your AWS account.'"""

    code = "ResourceNotFoundException"


def service_not_found(arn: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"Service with ARN {arn} not found")
