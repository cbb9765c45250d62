"""The CloudFront touch points on moto's internals still exist: fails naming the moto version if not.

Each check mirrors one line of the touch-point list in controlplane/cloudfront_extension.py (moto's names come
through moto_glue).
"""

from __future__ import annotations

import inspect

import botocore.session
import moto
import pytest

from hostlab.local.controlplane import cloudfront_extension, moto_glue

VERSION = f"moto {moto.__version__} (glue written for {moto_glue.GLUE_WRITTEN_FOR})"

# Operations the glue answers itself (method names on the response class).
ANSWERED = [
    "CreateCachePolicy",
    "GetCachePolicy",
    "GetCachePolicyConfig",
    "UpdateCachePolicy",
    "DeleteCachePolicy",
    "ListCachePolicies",
    "CreateOriginRequestPolicy",
    "GetOriginRequestPolicy",
    "GetOriginRequestPolicyConfig",
    "UpdateOriginRequestPolicy",
    "DeleteOriginRequestPolicy",
    "ListOriginRequestPolicies",
    "CreateDistribution",
    "CreateDistributionWithTags",
    "GetDistribution",
    "GetDistributionConfig",
    "UpdateDistribution",
    "DeleteDistribution",
    "ListDistributions",
    "CreateInvalidation",
    "GetInvalidation",
    "ListInvalidations",
    "CreateFunction",
    "DescribeFunction",
    "GetFunction",
    "UpdateFunction",
    "PublishFunction",
    "DeleteFunction",
    "ListFunctions",
    "TestFunction",
]


def _snake(name: str) -> str:
    from moto.core.utils import camelcase_to_underscores

    return camelcase_to_underscores(name)


def test_moto_backend_has_what_the_glue_uses():
    backend = moto_glue.CloudFrontBackend("aws", "123456789012")
    for attribute in ("distributions", "tagger", "partition", "iter_tagged_resources"):
        assert hasattr(backend, attribute), f"{VERSION}: CloudFrontBackend lost .{attribute}"
    assert backend.partition == "aws", f"{VERSION}: CloudFrontBackend.partition is not its partition"
    assert {"arn", "tags", "resource_type"} <= set(inspect.signature(moto_glue.TaggedResource).parameters), (
        f"{VERSION}: TaggedResource(arn, tags, resource_type) changed"
    )
    assert callable(getattr(backend, "get_distribution", None)), (
        f"{VERSION}: CloudFrontBackend.get_distribution"
    )
    assert isinstance(inspect.getattr_static(moto_glue.BaseBackend, "_url_module"), property), (
        f"{VERSION}: BaseBackend._url_module is no longer a property"
    )
    # The class BackendDict instantiates per account: ours replaces it and must stay a CloudFrontBackend.
    assert issubclass(moto_glue.cloudfront_backends.backend, moto_glue.CloudFrontBackend), (
        f"{VERSION}: cloudfront_backends.backend is not the backend class any more"
    )


def test_moto_url_table_is_a_dict_of_routes():
    paths = moto_glue.cloudfront_urls.url_paths
    assert isinstance(paths, dict), f"{VERSION}: moto.cloudfront.urls.url_paths is not a dict"
    assert any("distribution" in path for path in paths), f"{VERSION}: no distribution route in moto's table"


def test_moto_acm_certificate_has_what_the_glue_reads():
    from moto.acm.models import CertBundle

    backend = moto_glue.acm_backends["123456789012"]["us-east-1"]
    assert isinstance(backend._certificates, dict), f"{VERSION}: ACM backend lost ._certificates"
    assert callable(CertBundle.check), f"{VERSION}: CertBundle.check is gone"
    source = inspect.getsource(CertBundle)
    for attribute in ("self.status", "self.common_name", "self.sans"):
        assert attribute in source, f"{VERSION}: CertBundle no longer sets {attribute}"


@pytest.mark.parametrize("operation", ANSWERED)
def test_every_answered_operation_exists_in_botocore_and_has_a_method(operation):
    model = botocore.session.get_session().get_service_model("cloudfront")
    assert operation in model.operation_names, f"botocore has no CloudFront operation {operation}"
    response_class = cloudfront_extension._CloudFrontResponseWithGaps
    assert callable(getattr(response_class, _snake(operation), None)), operation


def test_install_routes_every_cloudfront_path_to_the_extended_responses():
    cloudfront_extension._install_routes_and_backend()
    cloudfront_extension._install_routes_and_backend()  # idempotent
    handlers = set(moto_glue.cloudfront_urls.url_paths.values())
    assert handlers == {cloudfront_extension._CloudFrontResponseWithGaps.dispatch}
    assert "{0}/2020-05-31/cache-policy$" in moto_glue.cloudfront_urls.url_paths
    assert moto_glue.cloudfront_backends.backend is cloudfront_extension._CloudFrontBackendWithGaps
