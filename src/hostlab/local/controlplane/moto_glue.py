"""The one module that touches moto's internals (moto==5.2.5, pinned in requirements.txt).

Everything else imports moto's building blocks from here, so a moto upgrade that moves or changes them breaks
here, and tests/test_moto_glue.py and tests/test_cloudfront_glue.py say so naming the moto version. No other
module of the package imports moto (tests/test_layout.py checks it).

This module holds building blocks and touch points only: it imports none of the extensions built on them
(the platforms' control planes, the CloudFront and ACM extensions). hostlab.local.controlplane.extensions
installs those, so the imports run one way: extensions -> moto_glue, never back.

Sections: moto's names re-exported; ids and request ids; durations; services defined outside moto; the
preparation every extension relies on (:func:`prepare`).
"""

from __future__ import annotations

import contextlib
import functools
import importlib.abc
import json
import random
import re
import sys
import threading
import types
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import cryptography.hazmat.primitives.asymmetric.rsa as _rsa
import moto
import moto.backend_index as _backend_index
import moto.backends as _moto_backends
import moto.cloudfront.urls as cloudfront_urls
import moto.core.responses as _core_responses
import moto.settings as _moto_settings
from moto.acm.models import AWSCertificateManagerBackend as AWSCertificateManagerBackend
from moto.acm.models import CertBundle as CertBundle
from moto.acm.models import acm_backends as acm_backends
from moto.cloudfront.models import CloudFrontBackend as CloudFrontBackend
from moto.cloudfront.models import cloudfront_backends as cloudfront_backends
from moto.cloudfront.models import random_id as cloudfront_random_id
from moto.cloudfront.responses import CloudFrontResponse as CloudFrontResponse
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.base_backend import AccountSpecificBackend, BaseBackend
from moto.core.base_backend import BackendDict as BackendDict
from moto.core.exceptions import AWSError as AWSError
from moto.core.exceptions import ServiceException as ServiceException
from moto.core.resource_tagging import TaggedResource as TaggedResource
from moto.core.responses import ActionResult as ActionResult
from moto.core.responses import BaseResponse as BaseResponse
from moto.core.responses import EmptyResult as EmptyResult
from moto.moto_api import state_manager
from moto.moto_api._internal import mock_random
from moto.route53.models import route53_backends as route53_backends
from moto.server import ThreadedMotoServer as ThreadedMotoServer
from moto.utilities.utils import PARTITION_NAMES

from hostlab.local import botocore_data
from hostlab.local.controlplane import progress
from hostlab.settings import Settings

__all__ = ["cloudfront_random_id", "cloudfront_urls", "mock_random"]

# ---------------------------------------------------------------------------------------------------------
# Shared building blocks
# ---------------------------------------------------------------------------------------------------------
# Every import from moto's internals sits here; the rest of the control plane imports these names.
# Touch points (each checked by tests/test_moto_glue.py):
#   moto.backends.get_backend(name)     imports ``moto.<name>`` and reads ``<name>_backends`` from it
#   moto.backend_index.backend_url_patterns   (service, host regex) pairs the server dispatches by
#   BaseBackend._url_module              where a backend's url_bases / url_paths come from
#   AccountSpecificBackend.get_session   moto's one boto3 Session for regions (cached classmethod)
#   moto.core.responses.gen_amzn_requestid_long   draws every request id from the shared seeded random
#   moto.core.responses.method_names_from_class   lists a response class's methods on every request
#   moto.moto_api._internal.mock_random  the seeded random behind every generated id
#   moto.moto_api.state_manager          transitions per model name (POST /moto-api/state-manager/...)
#   moto.server.ThreadedMotoServer       the server itself (public API; imported here so that this module
#                                        is the only one naming moto)
#   ThreadedMotoServer._server.app       the WSGI application it serves (wsgi_app(); hostlab.local.in_process)
#   moto.settings.ACM_VALIDATION_WAIT    how long a requested certificate stays PENDING_VALIDATION
# Names re-exported for the extensions (their own touch-point lists sit next to the code that uses them):
#   CloudFrontBackend, CloudFrontResponse, cloudfront_backends, cloudfront_urls, cloudfront_random_id
#                                        (controlplane/cloudfront_extension.py, acm_in_use.py)
#   acm_backends, AWSCertificateManagerBackend, CertBundle, route53_backends, AWSError
#                                        (cloudfront_extension.py, acm_validation.py, acm_in_use.py)

GLUE_WRITTEN_FOR = "5.2.5"
MOTO_VERSION: str = moto.__version__


def wsgi_app(server: ThreadedMotoServer) -> Any:
    """The WSGI application a started ThreadedMotoServer serves: moto's DomainDispatcherApplication
    (moto/moto_server/threaded_moto_server.py, _server_entry, keeps the werkzeug server in ``_server``)."""
    werkzeug_server = server._server
    if werkzeug_server is None:
        raise RuntimeError("moto's server has not started")
    return werkzeug_server.app


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
# ECS Express Mode: moto's ECS responses extended (local/platforms/express/controlplane.py)
# ---------------------------------------------------------------------------------------------------------
# Touch points (checked by tests/test_express_api.py through the server):
#   moto.ecs.responses.EC2ContainerServiceResponse   the ECS responses the Express ones extend (EcsResponse)
#   moto.ecs.urls.url_paths                          the server's one ECS route, repointed at the extension
#   EC2ContainerServiceResponse.ecs_backend.list_services(cluster, scheduling_strategy, launch_type=...)
# moto.ecs imports moto.ec2: seconds of imports that `hostlab up` must not pay, so nothing here imports it
# up front. EcsResponse is looked up on first use (module __getattr__), and the route is repointed when
# moto's server first imports moto.ecs.urls, on the first ECS request (after_import).


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


class _ImportHook(importlib.abc.MetaPathFinder):
    """Runs the module ``name`` inside each of ``contexts`` (context managers made anew for the run), then
    calls each of ``callbacks`` with it: once, when that module is first executed."""

    def __init__(self, name: str):
        self.name = name
        self.callbacks: list[Callable[[Any], None]] = []
        self.contexts: list[Callable[[], contextlib.AbstractContextManager[Any]]] = []

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname != self.name:
            return None
        for finder in sys.meta_path:
            if isinstance(finder, _ImportHook) or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None:
                break
        else:
            return None
        loader, callbacks, contexts = spec.loader, self.callbacks, self.contexts
        execute = loader.exec_module  # type: ignore[union-attr]

        def exec_module(module: Any) -> None:
            with contextlib.ExitStack() as stack:
                for context in contexts:
                    stack.enter_context(context())
                execute(module)
            for callback in callbacks:
                callback(module)

        loader.exec_module = exec_module  # type: ignore[union-attr, method-assign]  # this spec's own loader
        return spec


def _import_hook(name: str) -> _ImportHook:
    hook = next((f for f in sys.meta_path if isinstance(f, _ImportHook) and f.name == name), None)
    if hook is None:
        hook = _ImportHook(name)
        sys.meta_path.insert(0, hook)
    return hook


def after_import(name: str, callback: Callable[[Any], None]) -> None:
    """Run ``callback(module)`` once module ``name`` is imported: now if it is already, else right after
    its first import. Idempotent per (name, callback)."""
    if name in sys.modules:
        callback(sys.modules[name])
        return
    hook = _import_hook(name)
    if callback not in hook.callbacks:
        hook.callbacks.append(callback)


def while_importing(name: str, context: Callable[[], contextlib.AbstractContextManager[Any]]) -> None:
    """Run module ``name``'s first import inside ``context()``; nothing when it is imported already.
    Idempotent per (name, context)."""
    if name in sys.modules:
        return
    hook = _import_hook(name)
    if context not in hook.contexts:
        hook.contexts.append(context)


_ecs_dispatch: list[Callable[..., Any]] = []


def _repoint_ecs(urls_module: Any) -> None:
    for path in list(urls_module.url_paths):
        urls_module.url_paths[path] = _ecs_dispatch[0]


def repoint_ecs_route(dispatch: Callable[..., Any]) -> None:
    """Send moto's ECS requests to ``dispatch`` (an EcsResponse subclass's), once moto.ecs.urls exists.
    Idempotent."""
    _ecs_dispatch[:] = [dispatch]
    after_import("moto.ecs.urls", _repoint_ecs)


def prepare(settings: Settings) -> None:
    """What every extension relies on, applied to moto itself: seeded ids, request ids outside the seeded
    random, the settings' durations, and the ACM validation delay. Idempotent."""
    seed_ids(settings.seed)
    _make_request_ids_independent()
    _set_durations(settings)
    _time_acm_validation(settings)
    _load_aws_managed_policies()
    _skip_default_amis()
    _list_moto_modules_once()
    _method_names_once()
    _one_key_for_issued_certificates()
    _moto_session_on_the_shared_loader()
    after_import("moto.iam.models", _account_lookup_without_new_backends)
    while_importing("moto.ec2.models.availability_zones_and_regions", _one_session_for_ec2_regions)


def _moto_session_on_the_shared_loader() -> None:
    """moto's one cached boto3 Session (AccountSpecificBackend.get_session: the regions of every service
    backend, the EC2 region table) reads botocore's data through the process's one loader
    (hostlab.local.botocore_data), so the endpoint data and models it parses are not parsed again for the
    data plane's clients. Made on first use, as moto makes its own (moto/core/base_backend.py: so that
    variables such as AWS_PROFILE can still be removed before). Idempotent."""
    if getattr(AccountSpecificBackend.get_session, "hostlab_shared", False):
        return
    made: list[Any] = []
    lock = threading.Lock()

    def get_session(cls: Any) -> Any:
        with lock:
            if not made:
                made.append(botocore_data.new_boto3_session())
            return made[0]

    get_session.hostlab_shared = True  # type: ignore[attr-defined]
    AccountSpecificBackend.get_session = classmethod(get_session)  # type: ignore[method-assign, assignment]


@contextlib.contextmanager
def _one_session_for_ec2_regions() -> Iterator[None]:
    """While moto's EC2 region table is built, boto3.Session() (no arguments, on the importing thread) is
    moto's own cached session.

    moto builds its EC2 region table when moto.ec2 is first imported, from three new boto3 Sessions
    (moto/ec2/models/availability_zones_and_regions.py, RegionsAndZonesBackend), and botocore's
    get_available_regions reads the whole service model to find EC2's endpoint prefix: each session parses the
    EC2 model (the largest botocore ships, about 80 ms of CPU) and the endpoint data (about 20 ms) again, and
    moto's cached session (AccountSpecificBackend.get_session, for every backend's regions) parses them once
    more. One session gives the same regions from one parse. Other threads, and calls with arguments, get
    what boto3 gives them."""
    shared = AccountSpecificBackend.get_session()
    real = boto3.Session
    importer = threading.get_ident()

    def session(*args: Any, **kwargs: Any) -> Any:
        if args or kwargs or threading.get_ident() != importer:
            return real(*args, **kwargs)
        return shared

    boto3.Session = session  # type: ignore[misc, assignment]
    try:
        yield
    finally:
        boto3.Session = real  # type: ignore[misc]


def _account_lookup_without_new_backends(iam_models: Any) -> None:
    """The account of a request, found from its access key, without creating IAM backends.

    For every API request, moto looks for the request's access key in each account's IAM backend of each
    partition, creating each of those backends that does not exist yet (moto/core/responses.py,
    get_current_account; moto/iam/models.py, get_account_id_from; AccountSpecificBackend.__getitem__): after
    the first request in an account, six IAM backends per account, and every later request walks them all,
    a cost that grows with every account the backend has seen (the test suite uses hundreds: about 15 % of
    the session backend's CPU). A key can only sit in a backend that exists, so looking in the existing ones
    gives the same account, or moto's default when no backend has the key. Idempotent."""
    if getattr(iam_models.get_account_id_from, "hostlab_existing_only", False):
        return
    partitions = frozenset(PARTITION_NAMES)

    def get_account_id_from(access_key: str) -> str:
        for account_id, account in list(iam_models.iam_backends.items()):
            for partition, backend in list(dict.items(account)):  # dict's own items: nothing is created
                if partition in partitions and access_key in backend.access_keys:
                    return account_id
        return DEFAULT_ACCOUNT_ID

    get_account_id_from.hostlab_existing_only = True  # type: ignore[attr-defined]
    iam_models.get_account_id_from = get_account_id_from


def _skip_default_amis() -> None:
    """EC2 starts without moto's catalogue of public AMIs.

    moto loads its public AMIs (about 1,300 for us-east-1) into a region's EC2 backend when the region is
    first used, each with an EBS volume and snapshot: about 1.6 s of CPU per backend, spent by the first
    Express call, while no part of the tutorial, the checker or the tests reads an AMI (Express Mode runs on
    Fargate).
    moto's own switch for it is MOTO_EC2_LOAD_DEFAULT_AMIS=false, read by moto.settings.ec2_load_default_amis
    on each call (moto/settings.py and moto/ec2/models/amis.py of the pinned version); answering False here
    is that switch without changing the server's environment, which the demo-app processes inherit. The
    seeded IDs of the Express notebooks' saved outputs do not depend on it (nbval passes both ways).
    """
    _moto_settings.ec2_load_default_amis = lambda: False


def _list_moto_modules_once() -> None:
    """moto's server asks, for every API request, whether the request's host names a moto module, by listing
    moto's package folder and stat-ing each of its ~170 entries (moto/moto_server/werkzeug_app.py,
    get_backend_for_host; moto/backends.py, list_of_moto_modules): about 1 ms of CPU per call. The folder does
    not change while the server runs, so it is listed once. Idempotent."""
    if getattr(_moto_backends.list_of_moto_modules, "hostlab_once", False):
        return
    modules = tuple(_moto_backends.list_of_moto_modules())

    def list_of_moto_modules() -> tuple[str, ...]:
        return modules

    list_of_moto_modules.hostlab_once = True  # type: ignore[attr-defined]
    _moto_backends.list_of_moto_modules = list_of_moto_modules


def _method_names_once() -> None:
    """moto's dispatch lists the methods of the response class on every API request, to see whether the
    action has one (moto/core/responses.py, call_action:
    ``action in method_names_from_class(self.__class__)``, an inspect.getmembers walk over the class and its
    bases): about 0.1 ms of the 1.7 ms of server CPU a trivial call costs (measured with loops of
    ListServices and ListDistributions against a running backend). Response classes do not change once the
    server runs (the extensions define and patch theirs before it starts), so each class's names are listed
    once, as a set. Idempotent."""
    if getattr(_core_responses.method_names_from_class, "hostlab_once", False):
        return
    listed: dict[type, frozenset[str]] = {}
    real = _core_responses.method_names_from_class

    def method_names_from_class(clazz: Any) -> frozenset[str]:
        names = listed.get(clazz)
        if names is None:
            names = listed[clazz] = frozenset(real(clazz))
        return names

    method_names_from_class.hostlab_once = True  # type: ignore[attr-defined]
    _core_responses.method_names_from_class = method_names_from_class


# RequestCertificate: moto makes a new 2048-bit RSA key for each certificate, then re-checks it as it would
# an imported one (moto/acm/models.py, CertBundle.generate_cert and validate_pk): about 0.15 s of CPU per
# certificate, and the Express track and every Express stand-in of `hostlab check` request one per service.
# The only API call that returns the private key of a certificate ACM issued is ExportCertificate, for
# certificates of a private CA and public certificates requested as exportable (ACM API Reference,
# API_ExportCertificate.html); nothing here requests either, so one key per server process, made on first
# use, is invisible through the API. Keys given to ImportCertificate are still fully checked: only
# certificates moto issues itself take this path.
_issuing = threading.local()
_issued_key_lock = threading.Lock()
_issued_key: list[Any] = []
_real_rsa_generate = _rsa.generate_private_key  # before _one_key_for_issued_certificates replaces it


def _key_for_issued_certificates(public_exponent: int, key_size: int, backend: Any = None) -> Any:
    if not getattr(_issuing, "active", False):
        return _real_rsa_generate(public_exponent, key_size, backend)
    with _issued_key_lock:
        if not _issued_key:
            _issued_key.append(_real_rsa_generate(public_exponent, key_size, backend))
        return _issued_key[0]


def _one_key_for_issued_certificates() -> None:
    """See the comment above. Idempotent."""
    if getattr(CertBundle.generate_cert, "hostlab_one_key", False):
        return
    generate = CertBundle.generate_cert.__func__  # type: ignore[attr-defined]
    validate = CertBundle.validate_pk

    def generate_cert(cls: Any, *args: Any, **kwargs: Any) -> Any:
        _issuing.active = True
        try:
            return generate(cls, *args, **kwargs)
        finally:
            _issuing.active = False

    def validate_pk(self: Any) -> Any:
        if getattr(_issuing, "active", False) and _issued_key:
            return _issued_key[0]
        return validate(self)

    generate_cert.hostlab_one_key = True  # type: ignore[attr-defined]
    CertBundle.generate_cert = classmethod(generate_cert)  # type: ignore[method-assign, assignment]
    CertBundle.validate_pk = validate_pk  # type: ignore[method-assign]
    _rsa.generate_private_key = _key_for_issued_certificates


# The AWS managed policies the tutorial attaches (the Express track's roles). AWS has about 1,400 more; moto
# knows them all (moto/iam/aws_managed_policies.py) but loads them only with MOTO_IAM_LOAD_MANAGED_POLICIES,
# for every account's IAM backend: about 0.2 s each, and 20 draws per policy from the seeded random, made when
# an account first calls (a moment that depends on timing), which changed every later seeded ID. So: only
# these, and every IAM policy ID from a generator of its own (no notebook shows one), never the seeded random.
# Locally ListPolicies(Scope=AWS) lists only these.
AWS_MANAGED_POLICIES = (
    "AmazonECSTaskExecutionRolePolicy",
    "AmazonECSInfrastructureRoleforExpressGatewayServices",
)
_policy_id_random = random.Random(0)
_POLICY_ID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def _policy_id() -> str:
    # Same shape as moto's random_policy_id: "A" and 20 capitals and digits.
    return "A" + "".join(_policy_id_random.choices(_POLICY_ID_CHARS, k=20))


def _load_aws_managed_policies() -> None:
    """IAM knows the AWS managed policies in AWS_MANAGED_POLICIES, so that AttachRolePolicy with one of them
    succeeds as on AWS (moto.iam.models is patched when it is first imported: start-up pays nothing)."""
    after_import("moto.iam.models", _only_the_tutorials_managed_policies)


# What moto imports on a backend's first API request, whoever sends it (moto/core/responses.py, setup_class:
# moto.iam.models; then its access control and STS): with the managed policies below, about 0.1 CPU-s of
# every backend's start (py-spy). moto.iam.models has after_import patches only, which after_import applies
# at once to a module imported already.
FIRST_REQUEST_MODULES = ("moto.iam.models", "moto.iam.access_control", "moto.sts.models")


def prepare_first_request() -> None:
    """Import FIRST_REQUEST_MODULES and parse the tutorial's managed policies: what a warm starter does once
    (hostlab.local.server.preload) instead of each backend it forks."""
    import importlib

    for name in FIRST_REQUEST_MODULES:
        importlib.import_module(name)
    tutorials_managed_policy_data()


@functools.cache
def tutorials_managed_policy_data() -> dict[str, Any]:
    """The documents of AWS_MANAGED_POLICIES, from moto's copy of all of them (a 4.7 MB JSON text: parsing
    it takes about 25 ms, once per process; a warm starter does it before it forks)."""
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    everything = json.loads(aws_managed_policies_data)
    return {name: everything[name] for name in AWS_MANAGED_POLICIES}


def _only_the_tutorials_managed_policies(iam_models: Any) -> None:
    data = tutorials_managed_policy_data()

    def init_aws_policies(backend: Any) -> list[Any]:
        return [
            iam_models.AWSManagedPolicy.from_data(name, backend.account_id, backend.region_name, d)
            for name, d in data.items()
        ]

    iam_models.random_policy_id = _policy_id  # ManagedPolicy.__init__ draws its ID through this name
    iam_models.IAMBackend._init_aws_policies = init_aws_policies


def _time_acm_validation(settings: Settings) -> None:
    """ACM certificates requested on the local backend turn ISSUED after settings.acm_validation_seconds.

    On AWS, a DNS-validated certificate turns ISSUED once its CNAME record resolves (ACM User Guide,
    dns-validation.html); there is no DNS here, so a short delay stands in for it and waiting code (botocore's
    certificate_validated waiter) is still exercised. moto reads MOTO_ACM_VALIDATION_WAIT (default 60 s) into
    moto.settings at import time and compares against it on each describe: patch the attribute itself.
    (controlplane/acm_validation.py then holds back a certificate whose DNS is a hosted zone of this backend.)
    """
    _moto_settings.ACM_VALIDATION_WAIT = settings.acm_validation_seconds
