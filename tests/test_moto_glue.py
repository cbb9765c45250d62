"""Smoke test of hostlab's glue on moto's internals: fails loudly, naming moto's version, when an upgrade
moves a touch point. Runs in this process against the installed moto (the API tests use the server)."""

from __future__ import annotations

import contextlib
import importlib
import json
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
from conftest import TEST_OPERATION_SECONDS
from werkzeug.test import Client

from hostlab.local.controlplane import extensions, moto_glue
from hostlab.settings import Settings

SETTINGS = Settings(api_port=0, apprunner_operation_seconds=TEST_OPERATION_SECONDS)


def broken(what: str) -> str:
    version, written_for = moto_glue.MOTO_VERSION, moto_glue.GLUE_WRITTEN_FOR
    return f"moto {version} changed {what}; hostlab's glue is written for {written_for}"


def touch(what: str, probe: Callable[[], Any]) -> Any:
    """Run ``probe``; any failure (missing module, attribute, changed signature) names moto's version."""
    try:
        return probe()
    except Exception as error:
        pytest.fail(f"{broken(what)} ({type(error).__name__}: {error})")


def require(condition: bool, what: str) -> None:
    if not condition:
        pytest.fail(broken(what))


@pytest.fixture(scope="module")
def installed():
    extensions.install(SETTINGS)
    return moto_glue


def signed_call(client: Client, operation: str, body: dict[str, Any], region: str = "us-east-1") -> Any:
    """A JSON 1.0 call as boto3 sends it. moto reads service and region from the SigV4 credential scope and
    does not check the signature itself."""
    return client.post(
        "/",
        data=json.dumps(body),
        headers={
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": f"AppRunner.{operation}",
            "Authorization": f"AWS4-HMAC-SHA256 Credential=testing/20260101/{region}/apprunner/aws4_request, "
            "SignedHeaders=host;x-amz-target, Signature=0",
        },
    )


def body(response: Any) -> Any:
    # application/x-amz-json-1.0 is not a content type werkzeug's .json recognises.
    return json.loads(response.get_data(as_text=True))


def test_touch_points_exist(installed):
    backends_module = touch("moto.backends", lambda: importlib.import_module("moto.backends"))
    index = touch("moto.backend_index", lambda: importlib.import_module("moto.backend_index"))
    core_responses = touch("moto.core.responses", lambda: importlib.import_module("moto.core.responses"))
    base_backend = touch("moto.core.base_backend", lambda: importlib.import_module("moto.core.base_backend"))

    # get_backend("apprunner") resolves the module registered as moto.apprunner.
    from hostlab.local.platforms.apprunner.backend import apprunner_backends

    require(
        touch("get_backend()", lambda: backends_module.get_backend("apprunner")) is apprunner_backends,
        "how moto.backends.get_backend finds a service's backends (import of moto.<name>)",
    )
    patterns = touch("backend_index.backend_url_patterns", lambda: list(index.backend_url_patterns))
    require([name for name, _ in patterns].count("apprunner") == 1, "backend_index.backend_url_patterns")
    require(
        isinstance(getattr(base_backend.BaseBackend, "_url_module", None), property),
        "BaseBackend._url_module (where a backend's URL table comes from)",
    )
    backend = touch("BackendDict[account][region]", lambda: apprunner_backends["123456789012"]["us-east-1"])
    require(
        "/" in touch("BaseBackend.flask_paths", lambda: backend.flask_paths),
        "BaseBackend.flask_paths built from _url_module.url_paths",
    )
    require(
        core_responses.gen_amzn_requestid_long is moto_glue._independent_request_id,
        "moto.core.responses.gen_amzn_requestid_long (request ids drawn from the seeded random)",
    )
    require(callable(getattr(moto_glue.mock_random, "seed", None)), "moto_api._internal.mock_random.seed")
    response = moto_glue.BaseResponse()
    require(
        hasattr(response, "automated_parameter_parsing") and hasattr(response, "get_current_account"),
        "BaseResponse (automated parameter parsing, get_current_account)",
    )


def test_server_dispatches_apprunner(installed):
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    dispatcher = touch("DomainDispatcherApplication", lambda: DomainDispatcherApplication(create_backend_app))
    require(
        touch(
            "get_backend_for_host",
            lambda: dispatcher.get_backend_for_host("apprunner.eu-west-1.amazonaws.com"),
        )
        == "apprunner",
        "DomainDispatcherApplication.get_backend_for_host (host patterns)",
    )
    environ = {
        "HTTP_AUTHORIZATION": "AWS4-HMAC-SHA256 Credential=k/20260101/eu-west-1/apprunner/aws4_request, "
        "SignedHeaders=host, Signature=0",
        "PATH_INFO": "/",
    }
    require(
        touch("infer_service_region_host", lambda: dispatcher.infer_service_region_host(environ, "/"))
        == "apprunner.eu-west-1.amazonaws.com",
        "DomainDispatcherApplication.infer_service_region_host",
    )


def test_round_trip_and_idempotent_install(installed):
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    client = Client(DomainDispatcherApplication(create_backend_app))
    created = signed_call(
        client,
        "CreateService",
        {
            "ServiceName": "glue-smoke",
            "SourceConfiguration": {
                "ImageRepository": {
                    "ImageIdentifier": "public.ecr.aws/docker/library/python:3.12-slim",
                    "ImageRepositoryType": "ECR_PUBLIC",
                }
            },
        },
    )
    require(
        created.status_code == 200,
        f"the App Runner round trip (HTTP {created.status_code}: {created.text[:300]})",
    )
    arn = body(created)["Service"]["ServiceArn"]
    require(created.headers.get("Content-Type") == "application/x-amz-json-1.0", "JSON 1.0 serialization")

    extensions.install(SETTINGS)  # again: nothing registered twice, nothing lost
    index = importlib.import_module("moto.backend_index")
    require(
        [name for name, _ in index.backend_url_patterns].count("apprunner") == 1, "idempotent registration"
    )
    described = signed_call(
        Client(DomainDispatcherApplication(create_backend_app)), "DescribeService", {"ServiceArn": arn}
    )
    require(
        described.status_code == 200 and body(described)["Service"]["ServiceArn"] == arn,
        "state kept across install() calls",
    )

    # moto's reset endpoint clears extension backends too.
    require(client.post("/moto-api/reset").status_code == 200, "POST /moto-api/reset")
    after_reset = signed_call(client, "DescribeService", {"ServiceArn": arn})
    require(after_reset.status_code == 400, "BackendDict.reset() for extension backends")

    missing = signed_call(client, "DescribeService", {"ServiceArn": arn + "0"})
    require(
        missing.status_code == 400 and body(missing)["__type"].endswith("ResourceNotFoundException"),
        f"error serialization ({missing.status_code} {missing.text[:300]})",
    )


def test_request_ids_leave_the_seeded_random_alone(installed):
    from moto.core.responses import BaseResponse

    installed.seed_ids(5)
    before = installed.mock_random.getstate()
    headers, _ = touch("BaseResponse._enrich_response", lambda: BaseResponse._enrich_response({}, ""))
    require(len(headers.get("x-amzn-requestid", "")) == 52, "the x-amzn-requestid header")
    require(installed.mock_random.getstate() == before, "request ids drawn from moto's seeded random")


def test_durations_come_from_moto_state_manager_and_never_drop_below_the_setting(installed):
    from hostlab.local.controlplane import progress

    moto_api = touch("moto.moto_api", lambda: importlib.import_module("moto.moto_api"))
    manager = touch("moto.moto_api.state_manager", lambda: moto_api.state_manager)
    model = progress.APPRUNNER_SERVICE
    start = installed.timing(model)
    require(
        touch("state_manager.get_transition", lambda: manager.get_transition(model))
        == {"progression": "time", "seconds": TEST_OPERATION_SECONDS},
        "state_manager.register_default_transition / get_transition",
    )
    before_hold = start()
    assert before_hold() == TEST_OPERATION_SECONDS
    try:
        manager.set_transition(model, {"progression": "time", "seconds": 90})
        held = start()
        assert held() == 90  # work started under the hold lasts longer...
        assert before_hold() == TEST_OPERATION_SECONDS  # ...work started before it does not
        manager.set_transition(model, {"progression": "time", "duration": 60})  # the docs' spelling
        assert held() == TEST_OPERATION_SECONDS  # its transition was replaced: back to the setting
        assert start()() == 60
        manager.set_transition(model, {"progression": "time", "seconds": 0})
        assert start()() == TEST_OPERATION_SECONDS  # never shorter than the setting
        manager.set_transition(model, {"progression": "immediate"})
        assert start()() == TEST_OPERATION_SECONDS
        manager.set_transition(model, {"progression": "time", "seconds": 90})
        held = start()
    finally:
        manager.unset_transition(model)
    assert held() == TEST_OPERATION_SECONDS  # released
    assert start()() == TEST_OPERATION_SECONDS
    with pytest.raises(KeyError, match="no duration"):
        installed.timing("apprunner::vpc_connector")


def test_iam_knows_the_tutorials_aws_managed_policies_and_leaves_the_seeded_random_alone(installed):
    iam_models = touch("moto.iam.models", lambda: importlib.import_module("moto.iam.models"))
    require(iam_models.random_policy_id is moto_glue._policy_id, "moto.iam.models.random_policy_id")
    installed.seed_ids(5)
    before = installed.mock_random.getstate()
    backend = touch("IAMBackend(region, account)", lambda: iam_models.IAMBackend("us-east-1", "210987654321"))
    arns = sorted(p.arn for p in backend.aws_managed_policies)
    require(installed.mock_random.getstate() == before, "IAM policy ids drawn from moto's seeded random")
    # Exactly the tutorial's policies: the ones the Express track attaches are there, no others.
    assert arns == sorted(f"arn:aws:iam::aws:policy/service-role/{n}" for n in moto_glue.AWS_MANAGED_POLICIES)
    # A customer-managed policy still gets an ID of moto's shape, from the same private generator.
    statement = {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}
    document = {"Version": "2012-10-17", "Statement": [statement]}
    policy = backend.create_policy("d", "/", json.dumps(document), "p", [])
    assert policy.id.startswith("A") and len(policy.id) == 21
    assert installed.mock_random.getstate() == before


def test_ec2_starts_without_moto_s_default_amis(installed):
    amis = touch("moto.ec2.models.amis", lambda: importlib.import_module("moto.ec2.models.amis"))
    require(hasattr(amis.AmiBackend, "_load_amis"), "moto.ec2.models.amis.AmiBackend._load_amis")
    assert installed._moto_settings.ec2_load_default_amis() is False

    class Probe(amis.AmiBackend):  # only the loading step, without a whole EC2 backend
        region_name = "us-east-1"

    assert Probe().amis == {}


def test_moto_s_module_list_is_read_once_and_is_still_the_folder(installed):
    import moto

    listed = touch(
        "moto.backends.list_of_moto_modules", lambda: list(installed._moto_backends.list_of_moto_modules())
    )
    on_disk = sorted(
        p.name for p in Path(moto.__file__).parent.iterdir() if p.is_dir() and not p.name.startswith("__")
    )
    assert list(listed) == on_disk and "cloudfront" in listed and "acm" in listed
    installed._list_moto_modules_once()  # idempotent: still the same answer, not a wrapper of a wrapper
    assert list(installed._moto_backends.list_of_moto_modules()) == on_disk


def test_a_response_class_s_methods_are_listed_once_and_are_still_its_methods(installed):
    import moto.core.utils

    from hostlab.local.platforms.apprunner.responses import AppRunnerResponse

    listed = touch(
        "moto.core.responses.method_names_from_class",
        lambda: installed._core_responses.method_names_from_class(AppRunnerResponse),
    )
    # What moto's own function answers, as a set; the patched one answers from its table the second time.
    assert listed == set(moto.core.utils.method_names_from_class(AppRunnerResponse))
    assert "list_services" in listed and "create_service" in listed
    assert installed._core_responses.method_names_from_class(AppRunnerResponse) is listed
    installed._method_names_once()  # idempotent: not a wrapper of a wrapper
    assert installed._core_responses.method_names_from_class(AppRunnerResponse) is listed


def test_issued_certificates_share_one_key_and_imported_keys_are_still_checked(installed):
    acm_models = touch("moto.acm.models", lambda: importlib.import_module("moto.acm.models"))
    first = acm_models.CertBundle.generate_cert("a.example.com", "123456789012", "us-east-1")
    second = acm_models.CertBundle.generate_cert("b.example.com", "123456789012", "us-east-1")
    # Two certificates (their own names and serial numbers) over one key.
    assert first.cert != second.cert and first.key == second.key
    from cryptography.hazmat.primitives.asymmetric import rsa

    assert rsa.generate_private_key(65537, 2048).private_numbers() != first._key.private_numbers()
    # Outside RequestCertificate the key is checked as before: a broken PEM is refused with moto's error.
    with pytest.raises(acm_models.AWSValidationException, match="not PEM-encoded"):
        broken_key = b"-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n"
        acm_models.CertBundle(
            certificate=first.cert, private_key=broken_key, account_id="123456789012", region="us-east-1"
        )


def test_the_account_of_an_access_key_is_found_without_creating_iam_backends(installed):
    iam_models = touch("moto.iam.models", lambda: importlib.import_module("moto.iam.models"))
    lookup = iam_models.get_account_id_from
    require(getattr(lookup, "hostlab_existing_only", False), "moto.iam.models.get_account_id_from")
    account = "210987654321"
    iam = iam_models.iam_backends[account]["aws"]
    iam.create_user("us-east-1", "glue-test")
    key = iam.create_access_key("glue-test").access_key_id
    try:
        assert lookup(key) == account  # a key is found in the account that holds it
        assert lookup("AKIANOSUCHKEY0000000") == "123456789012"  # moto's default account otherwise
        assert set(dict.keys(iam_models.iam_backends[account])) == {"aws"}  # no other partition created
        iam.delete_access_key(key, "glue-test")
        assert lookup(key) == "123456789012"  # a deleted key names no account any more
    finally:
        del iam_models.iam_backends[account]


def test_ec2_regions_are_built_from_moto_s_cached_session_on_the_importing_thread_only(installed):
    base_backend = touch("moto.core.base_backend", lambda: importlib.import_module("moto.core.base_backend"))
    shared = touch("AccountSpecificBackend.get_session", base_backend.AccountSpecificBackend.get_session)
    real = boto3.Session
    elsewhere = []
    with installed._one_session_for_ec2_regions():
        assert boto3.Session() is shared and boto3.Session() is shared
        assert boto3.Session(region_name="us-west-2") is not shared  # a call with arguments: boto3's own
        thread = threading.Thread(target=lambda: elsewhere.append(boto3.Session()))
        thread.start()
        thread.join()
    assert elsewhere[0] is not shared  # another thread during the import: boto3's own
    assert boto3.Session is real  # restored
    table = touch(
        "moto.ec2.models.availability_zones_and_regions",
        lambda: importlib.import_module("moto.ec2.models.availability_zones_and_regions"),
    ).RegionsAndZonesBackend.regions
    # Whichever way the module was imported here, the table is what botocore's endpoint data says.
    commercial = sorted(
        r.name for r in table if r.endpoint.endswith(".amazonaws.com") and "-gov-" not in r.name
    )
    assert commercial == sorted(boto3.session.Session().get_available_regions("ec2"))


def test_moto_s_session_reads_botocore_s_data_through_the_process_s_one_loader(installed):
    from hostlab.local import botocore_data

    base_backend = touch("moto.core.base_backend", lambda: importlib.import_module("moto.core.base_backend"))
    get_session = base_backend.AccountSpecificBackend.get_session
    require(getattr(get_session, "hostlab_shared", False), "AccountSpecificBackend.get_session")
    session = get_session()
    assert get_session() is session  # still one session per process, as moto caches it
    assert session._session.get_component("data_loader") is botocore_data.LOADER
    assert botocore.session.get_session().get_component("data_loader") is not botocore_data.LOADER  # control
    # The same regions as a session of boto3's own gives.
    assert session.get_available_regions("cloudfront") == boto3.session.Session().get_available_regions(
        "cloudfront"
    )
    installed._moto_session_on_the_shared_loader()  # idempotent: the cached session stays
    assert base_backend.AccountSpecificBackend.get_session() is session


def test_while_importing_runs_only_the_first_import_inside_the_context(installed, tmp_path, monkeypatch):
    name = "hostlab_glue_probe_module"
    (tmp_path / f"{name}.py").write_text("import builtins\nSEEN = getattr(builtins, 'hostlab_probe', None)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    entered = []

    @contextlib.contextmanager
    def context():
        import builtins

        builtins.hostlab_probe = "inside"
        entered.append(True)
        try:
            yield
        finally:
            del builtins.hostlab_probe

    installed.while_importing(name, context)
    installed.while_importing(name, context)  # idempotent: entered once below, not twice
    try:
        module = importlib.import_module(name)
        assert module.SEEN == "inside" and entered == [True]
        installed.while_importing(name, context)  # imported already: nothing to wrap any more
        assert importlib.import_module(name) is module and entered == [True]
    finally:
        sys.modules.pop(name, None)
        sys.meta_path[:] = [f for f in sys.meta_path if getattr(f, "name", None) != name]
