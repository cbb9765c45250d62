"""Facts read from botocore's service models: the JSON the AWS SDKs are generated from, shipped with the
pinned botocore. Enumerations and constraints come from here instead of being copied by hand, so they
cannot drift from what a real client sends.
"""

from __future__ import annotations

from functools import cache

from botocore.model import ServiceModel

from hostlab.local import botocore_data


@cache
def service_model(service: str) -> ServiceModel:
    return botocore_data.new_session().get_service_model(service)


def enum(service: str, shape: str) -> list[str]:
    """The values of an enumeration shape, e.g. enum("cloudfront", "SslProtocol")."""
    values = service_model(service).shape_for(shape).enum
    if not values:
        raise ValueError(f"{service} shape {shape} is not an enumeration")
    return list(values)
