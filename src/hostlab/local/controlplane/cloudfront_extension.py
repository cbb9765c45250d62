"""CloudFront's extension of moto: what moto's CloudFront lacks or gets wrong, answered by this project's
rules.

moto's backend and response classes are subclassed here (their touch points are listed below); the rules
themselves live in cloudfront_*.py, which know nothing of moto. Installed by
hostlab.local.controlplane.extensions; every moto name comes from moto_glue.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any, ClassVar

from hostlab.local.controlplane import cloudfront_distributions, progress
from hostlab.local.controlplane.cloudfront_account import CloudFrontAccount, Generators
from hostlab.local.controlplane.moto_glue import (
    ActionResult,
    CloudFrontBackend,
    CloudFrontResponse,
    EmptyResult,
    TaggedResource,
    acm_backends,
    cloudfront_backends,
    cloudfront_random_id,
    cloudfront_urls,
    mock_random,
    timing,
)
from hostlab.settings import Settings

# ---------------------------------------------------------------------------------------------------------
# CloudFront: cache/origin request policies, FunctionAssociations, ETags, IfMatch, PublishFunction,
# invalidations
# ---------------------------------------------------------------------------------------------------------

# Touch points on moto.cloudfront (each checked by tests/test_cloudfront_glue.py):
#   cloudfront_backends.backend          the class BackendDict instantiates per account: ours subclasses it
#   CloudFrontBackend.get_distribution   moto code that reads a distribution by id goes through it
#   CloudFrontBackend.distributions      the dict moto iterates (tagging API listing): we share ours
#   CloudFrontBackend.tagger             tags of distributions and functions
#   CloudFrontBackend.partition          the partition a backend serves ("aws", "aws-cn", ...): moto keys
#                                        CloudFront's backends by partition, not region
#   CloudFrontBackend.iter_tagged_resources   what the Resource Groups Tagging API lists (TaggedResource)
#   BaseBackend._url_module              where the server reads a backend's routes from (moto.cloudfront.urls)
#   moto.cloudfront.urls.url_paths       the server's CloudFront routes: every route dispatches to our
#                                        response class, plus the routes moto lacks
#   CloudFrontResponse                   moto's request parsing (_get_param) and XML serialisation;
#                                        call_action runs one request (we hold a lock around it)
#   moto.acm.models.acm_backends         ACM certificates (us-east-1) for ViewerCertificate.ACMCertificateArn
# Invalidations are answered here too (cloudfront_invalidations.py): moto's are Completed at once, spelled
# "COMPLETED", and accept any path.
# The rules themselves live in cloudfront_*.py, which know nothing of moto (ServiceException, their errors'
# base class, comes from moto_glue).

_cloudfront_lock = threading.RLock()


def _cloudfront_generators() -> Generators:
    return Generators(
        # Policy IDs are UUIDs (CF-DG using-managed-cache-policies.html shows the format).
        uuid=lambda: str(mock_random.uuid4()),
        # AWS's documentation examples: distribution IDs like EDFDVBD6EXAMPLE (14 characters, "E" first),
        # domains like d111111abcdef8.cloudfront.net, ETags like E2QWRUHAPOMQZL.
        distribution_id=lambda: "E" + cloudfront_random_id(length=13),
        domain_name=lambda: "d" + cloudfront_random_id(uppercase=False, length=13) + ".cloudfront.net",
        etag=lambda: "E" + cloudfront_random_id(length=13),
        # moto's own invalidation IDs: 13 characters from the same seeded random.
        invalidation_id=lambda: cloudfront_random_id(length=13),
        clock=lambda: datetime.now(UTC),
        timer=time.monotonic,
    )


def _acm_certificate(account_id: str, arn: str) -> tuple[str, list[str]] | None:
    """(status, domain names) of an ACM certificate in the account's us-east-1, or None."""
    certificate = acm_backends[account_id]["us-east-1"]._certificates.get(arn)
    if certificate is None:
        return None
    certificate.check()  # moto moves a requested certificate from PENDING_VALIDATION to ISSUED here
    return certificate.status, [certificate.common_name, *certificate.sans]


def _cloudfront_alias_owner(partition: str, alias: str) -> str | None:
    """The distribution, in any account of ``partition``, that holds ``alias``: aliases are unique across
    CloudFront."""
    for account_backends in list(cloudfront_backends.values()):
        backend = dict.get(account_backends, partition)  # plain lookup: never creates a backend
        if isinstance(backend, _CloudFrontBackendWithGaps):
            owner = backend.hostlab.distributions.alias_owner(alias)
            if owner is not None:
                return owner
    return None


class _CloudFrontBackendWithGaps(CloudFrontBackend):
    """moto's CloudFront backend with one CloudFrontAccount holding what moto lacks."""

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self.hostlab = CloudFrontAccount(
            account_id,
            _cloudfront_generators(),
            deploy_timing=timing(progress.CLOUDFRONT_DISTRIBUTION),
            invalidation_timing=timing(progress.CLOUDFRONT_INVALIDATION),
            certificate=lambda arn: _acm_certificate(account_id, arn),
            alias_owner=lambda alias: _cloudfront_alias_owner(self.partition, alias),
            distributions=self.distributions,
            partition=self.partition,
        )

    def iter_tagged_resources(self) -> Any:
        """What the Resource Groups Tagging API lists: GetResources covers every resource type (Resource
        Groups Tagging API reference, supported-services.html), CloudFront functions included. moto's own
        method finds distributions (the dict is shared) and key-value stores, but looks for functions in its
        own dict, which stays empty here: they live in CloudFrontAccount.functions.

        Collected under the CloudFront lock: the tagging API's requests do not go through CloudFront's
        call_action, and a CloudFront call changing the dicts meanwhile would break the iteration."""
        with _cloudfront_lock:
            found = [r for r in super().iter_tagged_resources() if r.resource_type != "cloudfront:function"]
            marker = None
            while True:
                page, marker, _ = self.hostlab.functions.list(marker, None, None)
                for summary in page:
                    arn = summary["FunctionMetadata"]["FunctionARN"]
                    tags = self.tagger.get_tag_dict_for_resource(arn)
                    found.append(TaggedResource(arn=arn, tags=tags, resource_type="cloudfront:function"))
                if not marker:
                    break
        return iter(found)

    def get_distribution(self, distribution_id: str) -> tuple[Any, str]:
        distribution = self.hostlab.distributions.get(distribution_id)
        return distribution, distribution.etag

    @property
    def _url_module(self) -> Any:
        # moto looks for the URL table next to the backend class's module; ours lives here.
        return cloudfront_urls


def _list_body(items: list[Any], next_marker: str | None, max_items: int) -> dict[str, Any]:
    """A list answer (CachePolicyList, FunctionList, ...): MaxItems, Quantity, Items when any, NextMarker when
    more follow (botocore's CloudFront model)."""
    body: dict[str, Any] = {"MaxItems": max_items, "Quantity": len(items)}
    if items:
        body["Items"] = items
    if next_marker:
        body["NextMarker"] = next_marker
    return body


def _marked_list_body(
    items: list[Any], marker: str | None, next_marker: str | None, max_items: int
) -> dict[str, Any]:
    """DistributionList and InvalidationList also echo the Marker asked for and say IsTruncated."""
    return {
        **_list_body(items, next_marker, max_items),
        "Marker": marker or "",
        "IsTruncated": next_marker is not None,
    }


class _CloudFrontResponseWithGaps(CloudFrontResponse):
    """moto's CloudFront responses; what moto lacks or gets wrong is answered by CloudFrontAccount."""

    def call_action(self) -> Any:
        # moto's server answers requests on several threads; a CloudFront call reads and changes state of
        # one account and, for alias uniqueness, looks across accounts. One lock keeps each call atomic
        # (they take well under a millisecond). TestFunction is the exception: it runs the caller's code
        # for up to the runtime's wall-clock limit, so it takes the lock itself, only to read what it needs
        # (test_function below), and never blocks other calls or the edge's configuration reads meanwhile.
        if self._get_action() == "TestFunction":
            return super().call_action()
        with _cloudfront_lock:
            return super().call_action()

    @property
    def hostlab(self) -> Any:
        return self.backend.hostlab

    # --- cache and origin request policies ---------------------------------------------------------

    _POLICY: ClassVar[dict[str, tuple[str, str]]] = {
        "cache": ("CachePolicy", "cache-policy"),
        "origin_request": ("OriginRequestPolicy", "origin-request-policy"),
    }

    def _policy_answer(self, kind: str, policy: Any, with_location: bool = False) -> ActionResult:
        name, path = self._POLICY[kind]
        result = {name: policy.resource(), "ETag": policy.etag}
        if with_location:
            result["Location"] = f"https://cloudfront.amazonaws.com/2020-05-31/{path}/{policy.id}"
        return ActionResult(result)

    def _create_policy(self, kind: str) -> ActionResult:
        name, _ = self._POLICY[kind]
        policy = self.hostlab.policies(kind).create(self._get_param(f"{name}Config", {}))
        return self._policy_answer(kind, policy, with_location=True)

    def _get_policy(self, kind: str) -> ActionResult:
        return self._policy_answer(kind, self.hostlab.policies(kind).get(self._get_param("Id")))

    def _get_policy_config(self, kind: str) -> ActionResult:
        name, _ = self._POLICY[kind]
        policy = self.hostlab.policies(kind).get(self._get_param("Id"))
        return ActionResult({f"{name}Config": policy.resource()[f"{name}Config"], "ETag": policy.etag})

    def _update_policy(self, kind: str) -> ActionResult:
        name, _ = self._POLICY[kind]
        policy = self.hostlab.policies(kind).update(
            self._get_param("Id"), self._get_param(f"{name}Config", {}), self._get_param("IfMatch")
        )
        return self._policy_answer(kind, policy)

    def _delete_policy(self, kind: str) -> EmptyResult:
        self.hostlab.delete_policy(kind, self._get_param("Id"), self._get_param("IfMatch"))
        return EmptyResult()

    def _list_policies(self, kind: str) -> ActionResult:
        name, _ = self._POLICY[kind]
        policies, next_marker, max_items = self.hostlab.policies(kind).list(
            self._get_param("Type"), self._get_param("Marker"), self._get_param("MaxItems")
        )
        items = [{"Type": p.type, name: p.resource()} for p in policies]
        return ActionResult({f"{name}List": _list_body(items, next_marker, max_items)})

    def create_cache_policy(self) -> ActionResult:
        return self._create_policy("cache")

    def get_cache_policy(self) -> ActionResult:
        return self._get_policy("cache")

    def get_cache_policy_config(self) -> ActionResult:
        return self._get_policy_config("cache")

    def update_cache_policy(self) -> ActionResult:
        return self._update_policy("cache")

    def delete_cache_policy(self) -> EmptyResult:
        return self._delete_policy("cache")

    def list_cache_policies(self) -> ActionResult:
        return self._list_policies("cache")

    def create_origin_request_policy(self) -> ActionResult:
        return self._create_policy("origin_request")

    def get_origin_request_policy(self) -> ActionResult:
        return self._get_policy("origin_request")

    def get_origin_request_policy_config(self) -> ActionResult:
        return self._get_policy_config("origin_request")

    def update_origin_request_policy(self) -> ActionResult:
        return self._update_policy("origin_request")

    def delete_origin_request_policy(self) -> EmptyResult:
        return self._delete_policy("origin_request")

    def list_origin_request_policies(self) -> ActionResult:
        return self._list_policies("origin_request")

    # --- distributions -----------------------------------------------------------------------------

    def _distribution_answer(self, distribution: Any, with_location: bool = False) -> ActionResult:
        result = {"Distribution": distribution.resource(), "ETag": distribution.etag}
        if with_location:
            result["Location"] = distribution.location
        return ActionResult(result)

    def create_distribution(self) -> ActionResult:
        distribution = self.hostlab.create_distribution(self._get_param("DistributionConfig", {}))
        return self._distribution_answer(distribution, with_location=True)

    def create_distribution_with_tags(self) -> ActionResult:
        distribution = self.hostlab.create_distribution(
            self._get_param("DistributionConfigWithTags.DistributionConfig", {})
        )
        self.backend.tagger.tag_resource(
            distribution.arn, self._get_param("DistributionConfigWithTags.Tags.Items", []) or []
        )
        return self._distribution_answer(distribution, with_location=True)

    def get_distribution(self) -> ActionResult:
        return self._distribution_answer(self.hostlab.distributions.get(self._get_param("Id")))

    def get_distribution_config(self) -> ActionResult:
        distribution = self.hostlab.distributions.get(self._get_param("Id"))
        config = distribution.resource()["DistributionConfig"]
        return ActionResult({"DistributionConfig": config, "ETag": distribution.etag})

    def update_distribution(self) -> ActionResult:
        distribution = self.hostlab.update_distribution(
            self._get_param("Id"), self._get_param("DistributionConfig", {}), self._get_param("IfMatch")
        )
        return self._distribution_answer(distribution)

    def delete_distribution(self) -> EmptyResult:
        self.hostlab.delete_distribution(self._get_param("Id"), self._get_param("IfMatch"))
        return EmptyResult()

    def list_distributions(self) -> ActionResult:
        marker = self._get_param("Marker")
        chunk, next_marker, max_items = self.hostlab.distributions.list(marker, self._get_param("MaxItems"))
        summaries = [d.summary() for d in chunk]
        body = _marked_list_body(summaries, marker, next_marker, max_items)
        return ActionResult({"DistributionList": body})

    # --- invalidations -----------------------------------------------------------------------------

    def create_invalidation(self) -> ActionResult:
        invalidation = self.hostlab.create_invalidation(
            self._get_param("DistributionId"), self._get_param("InvalidationBatch", {})
        )
        return ActionResult({"Invalidation": invalidation.resource(), "Location": invalidation.location})

    def get_invalidation(self) -> ActionResult:
        invalidation = self.hostlab.get_invalidation(self._get_param("DistributionId"), self._get_param("Id"))
        return ActionResult({"Invalidation": invalidation.resource()})

    def list_invalidations(self) -> ActionResult:
        marker = self._get_param("Marker")
        invalidations, next_marker, max_items = self.hostlab.list_invalidations(
            self._get_param("DistributionId"), marker, self._get_param("MaxItems")
        )
        summaries = [i.summary() for i in invalidations]
        body = _marked_list_body(summaries, marker, next_marker, max_items)
        return ActionResult({"InvalidationList": body})

    # --- functions ---------------------------------------------------------------------------------

    def _function_answer(
        self, function: Any, stage: str | None, etag: str | None, location: str | None = None
    ) -> ActionResult:
        result: dict[str, Any] = {"FunctionSummary": self.hostlab.functions.summary(function, stage)}
        if etag is not None:
            result["ETag"] = etag
        if location is not None:
            result["Location"] = location
        return ActionResult(result)

    def create_function(self) -> ActionResult:
        name = self._get_param("Name")
        function = self.hostlab.functions.create(
            name, self._get_param("FunctionConfig", {}), self._get_param("FunctionCode")
        )
        self.backend.tagger.tag_resource(function.arn, self._get_param("Tags.Items", []) or [])
        location = f"https://cloudfront.amazonaws.com/2020-05-31/function/{name}"
        return self._function_answer(function, "DEVELOPMENT", function.development.etag, location)

    def describe_function(self) -> ActionResult:
        stage = self._get_param("Stage")
        function = self.hostlab.functions.get(self._get_param("Name"))
        return self._function_answer(function, stage, function.stage(stage).etag)

    def get_function(self) -> ActionResult:
        function = self.hostlab.functions.get(self._get_param("Name"))
        stage = function.stage(self._get_param("Stage"))
        return ActionResult(
            {"FunctionCode": stage.code, "ETag": stage.etag, "ContentType": "application/octet-stream"}
        )

    def update_function(self) -> ActionResult:
        function = self.hostlab.functions.update(
            self._get_param("Name"),
            self._get_param("IfMatch"),
            self._get_param("FunctionConfig", {}),
            self._get_param("FunctionCode"),
        )
        return self._function_answer(function, "DEVELOPMENT", function.development.etag)

    def publish_function(self) -> ActionResult:
        function = self.hostlab.functions.publish(self._get_param("Name"), self._get_param("IfMatch"))
        return self._function_answer(function, "LIVE", None)

    def delete_function(self) -> EmptyResult:
        self.hostlab.functions.delete(self._get_param("Name"), self._get_param("IfMatch"))
        return EmptyResult()

    def list_functions(self) -> ActionResult:
        items, next_marker, max_items = self.hostlab.functions.list(
            self._get_param("Marker"), self._get_param("MaxItems"), self._get_param("Stage")
        )
        return ActionResult({"FunctionList": _list_body(items, next_marker, max_items)})

    def test_function(self) -> ActionResult:
        # Called WITHOUT the CloudFront lock (call_action): checks and reads under it, the run outside it.
        with _cloudfront_lock:
            prepared = self.hostlab.functions.prepare_test(
                self._get_param("Name"),
                self._get_param("IfMatch"),
                self._get_param("Stage"),
                self._get_param("EventObject"),
            )
        return ActionResult({"TestResult": prepared.run()})


# Routes moto 5.2.5 has no entry for (paths from botocore's CloudFront model).
_CLOUDFRONT_EXTRA_PATHS = [
    "{0}/2020-05-31/cache-policy$",
    "{0}/2020-05-31/cache-policy/(?P<policy_id>[^/]+)$",
    "{0}/2020-05-31/cache-policy/(?P<policy_id>[^/]+)/config$",
    "{0}/2020-05-31/origin-request-policy$",
    "{0}/2020-05-31/origin-request-policy/(?P<policy_id>[^/]+)$",
    "{0}/2020-05-31/origin-request-policy/(?P<policy_id>[^/]+)/config$",
    "{0}/2020-05-31/function/(?P<function_name>[^/]+)/publish$",
    "{0}/2020-05-31/function/(?P<function_name>[^/]+)/test$",
]


def _install_routes_and_backend() -> None:
    paths = cloudfront_urls.url_paths
    for path in list(paths):
        paths[path] = _CloudFrontResponseWithGaps.dispatch
    for path in _CLOUDFRONT_EXTRA_PATHS:
        paths[path] = _CloudFrontResponseWithGaps.dispatch
    if cloudfront_backends.backend is not _CloudFrontBackendWithGaps:
        cloudfront_backends.backend = _CloudFrontBackendWithGaps
        # Account backends made before this point hold moto's class: drop them (there is no state yet).
        cloudfront_backends.clear()


def install(settings: Settings) -> None:
    """Route every CloudFront request to the classes above and apply the settings' CloudFront defaults.
    Idempotent."""
    _install_routes_and_backend()
    cloudfront_distributions.use_settings(settings.cloudfront_default_origin_ssl_protocols)
