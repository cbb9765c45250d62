"""The one module that touches moto's internals (moto==5.2.5, pinned in requirements.txt).

Everything else in the control plane imports moto's building blocks from here, so a moto upgrade that
moves or changes them breaks here, and tests/test_moto_glue.py says so naming the moto version.

Sections: shared building blocks; App Runner registration; CloudFront extensions.
"""

from __future__ import annotations

import importlib.abc
import random
import re
import sys
import threading
import time
import types
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ClassVar

import moto
import moto.backend_index as _backend_index
import moto.cloudfront.urls as _cloudfront_urls
import moto.core.responses as _core_responses
from moto.acm.models import acm_backends
from moto.cloudfront.models import CloudFrontBackend, cloudfront_backends
from moto.cloudfront.models import random_id as cloudfront_random_id
from moto.cloudfront.responses import CloudFrontResponse
from moto.core.base_backend import BackendDict, BaseBackend
from moto.core.exceptions import ServiceException as ServiceException
from moto.core.resource_tagging import TaggedResource
from moto.core.responses import ActionResult as ActionResult
from moto.core.responses import BaseResponse as BaseResponse
from moto.core.responses import EmptyResult as EmptyResult
from moto.moto_api import state_manager
from moto.moto_api._internal import mock_random
from moto.server import ThreadedMotoServer as ThreadedMotoServer

from hostlab.local.controlplane import progress
from hostlab.settings import Settings

# ---------------------------------------------------------------------------------------------------------
# Shared building blocks
# ---------------------------------------------------------------------------------------------------------
# Every import from moto's internals sits here; the rest of the control plane imports these names.
# Touch points (each checked by tests/test_moto_glue.py):
#   moto.backends.get_backend(name)     imports ``moto.<name>`` and reads ``<name>_backends`` from it
#   moto.backend_index.backend_url_patterns   (service, host regex) pairs the server dispatches by
#   BaseBackend._url_module              where a backend's url_bases / url_paths come from
#   moto.core.responses.gen_amzn_requestid_long   draws every request id from the shared seeded random
#   moto.moto_api._internal.mock_random  the seeded random behind every generated id
#   moto.moto_api.state_manager          transitions per model name (POST /moto-api/state-manager/...)
#   moto.server.ThreadedMotoServer       the server itself (public API; imported here so that this module
#                                        is the only one naming moto)

GLUE_WRITTEN_FOR = "5.2.5"
MOTO_VERSION: str = moto.__version__


def seed_ids(seed: int) -> None:
    """Seed moto's shared random, exactly as ``POST /moto-api/seed?a=<seed>`` does."""
    mock_random.seed(seed)


# moto draws each response's x-amzn-requestid from the seeded random. A poll loop (a waiter, the data
# plane refreshing its view) makes a timing-dependent number of calls, which would shift every id created
# after it: the same notebook would get different service ids and domains from one run to the next.
# Request ids need no determinism, so they come from a private generator instead.
_request_id_random = random.Random()
_REQUEST_ID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def _independent_request_id(headerdict: dict[str, Any] | None = None) -> str:
    # Same shape as moto's (52 letters and digits), without touching the seeded random.
    request_id = "".join(_request_id_random.choice(_REQUEST_ID_CHARS) for _ in range(52))
    if isinstance(headerdict, dict):
        headerdict["x-amzn-requestid"] = request_id
    return request_id


def _make_request_ids_independent() -> None:
    _core_responses.gen_amzn_requestid_long = _independent_request_id


# How long local work lasts. moto's documented way to steer a model's status in server mode is its state
# manager (docs.getmoto.org configuration/state_transition: POST /moto-api/state-manager/set-transition with
# a model name and {"progression": "time", ...}; the page spells the length "duration", moto 5.2.5's own
# models read "seconds" (moto_api/_internal/managed_state_model.py): both are accepted here). Each model
# below registers the settings' time as its default transition. Work runs under the transition in force when
# it starts, for as long as that transition stays in force: changed or unset, the work falls back to the
# settings' time (so a test can hold work and release it, and finished work never starts again). Only a
# longer time counts: the settings' time is the floor the data plane's freshness rules rely on. Other
# progressions ("immediate", "manual") leave the settings' time in force.
_DURATION_SETTINGS = {
    progress.APPRUNNER_SERVICE: "apprunner_operation_seconds",
    progress.APPRUNNER_CUSTOM_DOMAIN: "apprunner_operation_seconds",
    progress.CLOUDFRONT_DISTRIBUTION: "cloudfront_deploy_seconds",
    progress.CLOUDFRONT_INVALIDATION: "cloudfront_deploy_seconds",
    progress.EXPRESS_SERVICE: "express_operation_seconds",
}
_minimum_seconds: dict[str, float] = {}


def _set_durations(settings: Settings) -> None:
    for model_name, attribute in _DURATION_SETTINGS.items():
        seconds = float(getattr(settings, attribute))
        _minimum_seconds[model_name] = seconds
        state_manager.register_default_transition(model_name, {"progression": "time", "seconds": seconds})


def _transition_seconds(transition: dict[str, Any], floor: float) -> float:
    if transition.get("progression") != "time":
        return floor
    try:
        return max(floor, float(transition.get("seconds", transition.get("duration", 0))))
    except (TypeError, ValueError):
        return floor


def timing(model_name: str) -> progress.Timing:
    """How long each new piece of ``model_name``'s work lasts (see the comment above)."""
    if model_name not in _DURATION_SETTINGS:
        raise KeyError(f"no duration is modelled for {model_name!r}; known: {sorted(_DURATION_SETTINGS)}")

    def start() -> progress.Seconds:
        in_force = state_manager.get_transition(model_name)

        def seconds() -> float:
            floor = _minimum_seconds[model_name]
            # The very object moto's state manager holds: any set or unset since replaces it.
            if state_manager.get_transition(model_name) is not in_force:
                return floor
            return _transition_seconds(in_force, floor)

        return seconds

    return start


_set_durations(Settings())  # the defaults until install() applies the server's settings


# url_bases / url_paths of services defined outside moto's package, keyed by backend class.
_EXTENSION_URLS: dict[type, types.SimpleNamespace] = {}


class ExtensionBackend(BaseBackend):
    """A moto backend whose code lives outside moto's package.

    moto finds a backend's URL table in the ``urls`` module next to its ``models`` module; an extension has
    none, so :func:`register_service` hands the table over and this property serves it.
    """

    @property
    def _url_module(self) -> Any:
        return _EXTENSION_URLS[type(self)]


def register_service(
    name: str,
    backends: BackendDict,
    dispatch: Callable[..., Any],
    url_base: str,
) -> None:
    """Make moto's server dispatch requests for ``name`` to ``backends``. Idempotent.

    ``url_base`` is the host regex moto matches; in server mode the host is derived from the SigV4
    credential scope (service ``name`` and region), so ``https?://<name>\\.(.+)\\.amazonaws\\.com`` fits.
    """
    _EXTENSION_URLS[backends.backend] = types.SimpleNamespace(
        url_bases=[url_base],
        # AWS JSON protocols POST every operation to "/" and name it in X-Amz-Target.
        url_paths={"{0}/$": dispatch},
    )
    # moto.backends.get_backend(name) does importlib.import_module("moto." + name) and reads
    # "<name>_backends"; a module object registered under that name is what import_module returns.
    module = types.ModuleType(f"moto.{name}", f"hostlab extension service {name!r} (see hostlab moto_glue)")
    setattr(module, f"{name.replace('-', '')}_backends", backends)
    sys.modules[module.__name__] = module
    patterns = _backend_index.backend_url_patterns
    patterns[:] = [(service, pattern) for service, pattern in patterns if service != name]
    patterns.append((name, re.compile(url_base)))


# ---------------------------------------------------------------------------------------------------------
# App Runner: a new service registered into moto's backends and its server's dispatcher
# ---------------------------------------------------------------------------------------------------------


def _install_apprunner() -> None:
    # Imported here: the App Runner modules import this module's building blocks.
    from hostlab.local.controlplane import apprunner
    from hostlab.local.controlplane.apprunner_responses import AppRunnerResponse

    register_service(
        "apprunner",
        apprunner.apprunner_backends,
        AppRunnerResponse.dispatch,
        r"https?://apprunner\.(.+)\.amazonaws\.com",
    )


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
# The rules themselves live in cloudfront_*.py, which know nothing of moto. They import ServiceException
# from this module, so this section imports them inside functions (no import cycle).

_cloudfront_lock = threading.RLock()


def _cloudfront_generators() -> Any:
    from hostlab.local.controlplane.cloudfront_account import Generators

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
        from hostlab.local.controlplane.cloudfront_account import CloudFrontAccount

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
        return _cloudfront_urls


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


def _install_cloudfront() -> None:
    paths = _cloudfront_urls.url_paths
    for path in list(paths):
        paths[path] = _CloudFrontResponseWithGaps.dispatch
    for path in _CLOUDFRONT_EXTRA_PATHS:
        paths[path] = _CloudFrontResponseWithGaps.dispatch
    if cloudfront_backends.backend is not _CloudFrontBackendWithGaps:
        cloudfront_backends.backend = _CloudFrontBackendWithGaps
        # Account backends made before this point hold moto's class: drop them (there is no state yet).
        cloudfront_backends.clear()


# ---------------------------------------------------------------------------------------------------------
# ECS Express Mode: moto's ECS responses extended (local/platforms/express/responses.py)
# ---------------------------------------------------------------------------------------------------------
# Touch points (checked by tests/test_express_api.py through the server):
#   moto.ecs.responses.EC2ContainerServiceResponse   the ECS responses the Express ones extend
#   moto.ecs.urls.url_paths                          the server's one ECS route, pointed at the extension
#   EC2ContainerServiceResponse.ecs_backend.list_services(cluster, scheduling_strategy, launch_type=...)
# moto.ecs imports moto.ec2, seconds of imports that `hostlab up` must not pay: nothing here imports it.
# The route is repointed when moto's server first imports moto.ecs.urls (on the first ECS request), and
# EcsResponse is looked up on first use (module __getattr__ below).


def __getattr__(name: str) -> Any:
    if name == "EcsResponse":
        from moto.ecs.responses import EC2ContainerServiceResponse

        return EC2ContainerServiceResponse
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def moto_list_services(
    response: Any, cluster: str, scheduling_strategy: str | None, launch_type: str | None
) -> list[str]:
    """moto's ListServices for the response's account and region (ClusterNotFoundException if missing)."""
    return response.ecs_backend.list_services(cluster, scheduling_strategy, launch_type=launch_type)


def _point_ecs_route(urls_module: Any) -> None:
    from hostlab.local.platforms.express.responses import EcsWithExpressResponse

    for path in list(urls_module.url_paths):
        urls_module.url_paths[path] = EcsWithExpressResponse.dispatch


class _AfterImport(importlib.abc.MetaPathFinder):
    """Calls ``callback(module)`` right after the module ``name`` is first executed."""

    def __init__(self, name: str, callback: Callable[[Any], None]):
        self.name = name
        self.callback = callback

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname != self.name:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None:
                break
        else:
            return None
        loader, callback = spec.loader, self.callback
        execute = loader.exec_module  # type: ignore[union-attr]

        def exec_module(module: Any) -> None:
            execute(module)
            callback(module)

        loader.exec_module = exec_module  # type: ignore[union-attr, method-assign]  # this spec's own loader
        return spec


def _install_express(settings: Settings) -> None:
    # Imported here: the Express modules import this module's building blocks.
    from hostlab.local.platforms.express import backend

    backend.configure(settings)
    name = "moto.ecs.urls"
    if name in sys.modules:
        _point_ecs_route(sys.modules[name])
    elif not any(isinstance(f, _AfterImport) and f.name == name for f in sys.meta_path):
        sys.meta_path.insert(0, _AfterImport(name, _point_ecs_route))


def shutdown() -> None:
    """Stop what the control plane runs besides moto (Express tasks)."""
    from hostlab.local.platforms.express import backend

    backend.shutdown()


def install(settings: Settings) -> None:
    """Apply every extension. Idempotent."""
    seed_ids(settings.seed)
    _make_request_ids_independent()
    _set_durations(settings)
    _install_apprunner()
    _install_cloudfront()
    _install_express(settings)
    _time_acm_validation(settings)
    from hostlab.local.controlplane import cloudfront_distributions

    cloudfront_distributions.use_settings(settings.cloudfront_default_origin_ssl_protocols)


def _time_acm_validation(settings: Settings) -> None:
    """ACM certificates requested on the local backend turn ISSUED after settings.acm_validation_seconds.

    On AWS, a DNS-validated certificate turns ISSUED once its CNAME record resolves (ACM User Guide,
    dns-validation.html); there is no DNS here, so a short delay stands in for it and waiting code (botocore's
    certificate_validated waiter) is still exercised. moto reads MOTO_ACM_VALIDATION_WAIT (default 60 s) into
    moto.settings at import time and compares against it on each describe: patch the attribute itself.
    """
    import moto.settings as moto_settings

    moto_settings.ACM_VALIDATION_WAIT = settings.acm_validation_seconds
    # ...unless a hosted zone of this backend is the domain's DNS: then the validation record must be there.
    # And a certificate a distribution uses cannot be deleted.
    from hostlab.local.controlplane import acm_in_use, acm_validation

    acm_validation.install()
    acm_in_use.install()
