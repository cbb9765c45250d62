"""The aws tier's rehearsal (hostlab.tutorial.rehearsal): connect() and the waits in a rehearsal, and a
rehearsal
interrupted half-way that leaves nothing tagged behind.

The interrupted run (marked e2e): one backend of its own (a temporary state folder) stands in for the
sandbox account. Before the run it already holds what a run killed at the end of notebook 04 would have
left: the tagged service, the tagged distribution using the tagged function and the alias's tagged
certificate, and that certificate's validation record in the alias's Route 53 hosted zone (written by the
same aws-only code notebook 04 runs). Then `make test-aws REHEARSAL=1`'s pytest command runs in a process
group of its own; once its output shows that notebook 03 is under way (pytest -v ends a cell's line when
the cell has run), the group gets SIGINT, as Ctrl-C in a terminal would send it. The run's cleanup before
must have removed the killed run's four resources, its cleanup after its own two; through boto3 on that
backend nothing tagged remains, and the zone holds only its own NS and SOA records.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from hostlab.platforms.apprunner import resources as apprunner_tr
from hostlab.settings import Settings
from hostlab.tutorial import rehearsal
from hostlab.tutorial import resources as tr

REPO = Path(__file__).resolve().parents[1]
TUTORIAL = ["01-create-service", "02-attach-cloudfront", "03-what-breaks", "04-fixes", "05-cleanup"]
# pytest -v ends a cell's line ("...::Cell 3 PASSED") when the cell has run, so the SIGINT sent on the line
# of cell 3 lands in cell 4 or later. Cells 0 and 1 of notebook 03 connect and look the resources up; from
# cell 3 on it changes the distribution and waits, which is where a reader gives up. (nbval's node IDs read
# "notebooks/03-what-breaks::ipynb::Cell 3"; pytest's usual ".ipynb::" form is accepted too.)
IN_NOTEBOOK_03 = re.compile(r"notebooks/03-[\w-]+(?:::|\.)ipynb::Cell (\d+)")
FIRST_CELL_TO_INTERRUPT = 3
# Upper bounds for a loaded 2-core machine, not expectations: the whole rehearsal takes about 25 s.
REACH_03_LIMIT = 300
EXIT_LIMIT = 300
# The interrupted run's interpreter: pytest, with Python's own SIGINT handler put back first. A job that a
# non-interactive shell starts in the background (`make test &` in a CI script) begins with SIGINT ignored
# (bash manual, "Signals"), every process it starts inherits that through exec (signal(7), "Signal
# disposition ... preserved across execve"), and the run would then never see the Ctrl-C this test sends.
INTERRUPTIBLE_PYTEST = (
    "import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "runpy.run_module('pytest', run_name='__main__', alter_sys=True)"
)

# What pytest prints when its report of a KeyboardInterrupt meets a traceback entry without a line number.
PYTEST_INTERRUPT_REPORT_BUG = "TypeError: unsupported operand type(s) for -: 'NoneType' and 'int'"

# ---------------------------------------------------------------------------------------------------------
# connect() and the waits in a rehearsal, on the test session's backend
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def restored_environ():
    """connect() prepares os.environ for good, as in a notebook's kernel; put it back afterwards."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


def test_connect_in_a_rehearsal_runs_the_guard_on_the_local_backend(backend, restored_environ, capsys):
    import hostlab

    os.environ.update({"HOSTLAB_BACKEND": "aws", rehearsal.REHEARSAL_ENV: "1", "HOSTLAB_AWS_ACCOUNT": ""})
    found = hostlab.connect()
    assert (found.name, found.account, found.region) == ("aws", "123456789012", "us-east-1")
    assert found.endpoint == backend.api_url == os.environ["AWS_ENDPOINT_URL"]
    assert capsys.readouterr().out == (
        "hostlab: aws backend (account ********9012, region us-east-1, rehearsal on the local backend)\n"
    )
    # The aws-only branches have what they need: the alias, and its hosted zone in the local Route 53.
    assert tr.alias_name() == tr.LOCAL_ALIAS
    route53 = boto3.client("route53")
    zone = route53.get_hosted_zone(Id=os.environ[tr.ZONE_ENV])["HostedZone"]
    assert zone["Name"] == "hostlab-tutorial.example."
    # A second connect() (the next notebook's kernel) finds the same zone instead of adding one.
    try:
        hostlab.connect()
        assert [z["Name"] for z in route53.list_hosted_zones()["HostedZones"]].count(zone["Name"]) == 1
    finally:
        # The session's backend is shared: without its zone, certificates for the alias issue by delay again.
        route53.delete_hosted_zone(Id=zone["Id"])


def test_connect_without_the_opt_in_stays_refused(backend, client_env, restored_environ):
    # Positive control of the test above: the same shell without HOSTLAB_AWS_REHEARSAL is refused.
    import hostlab

    os.environ.update({**client_env, "HOSTLAB_BACKEND": "aws", "HOSTLAB_AWS_ACCOUNT": "123456789012"})
    os.environ.pop(rehearsal.REHEARSAL_ENV, None)
    with pytest.raises(hostlab.aws_guard.SandboxError, match="AWS_ENDPOINT_URL="):
        hostlab.connect()


def test_waits_in_a_rehearsal_are_aws_polling_shortened_by_the_factor(make_client, monkeypatch):
    from hostlab import waiters

    cloudfront, apprunner = make_client("cloudfront"), make_client("apprunner")
    # On the local backend the rehearsal's variables mean nothing, whatever their value: the local polling.
    monkeypatch.setenv(rehearsal.REHEARSAL_ENV, "junk")
    assert waiters.distribution_deployed_waiter(cloudfront).config.delay == waiters.LOCAL.delay
    monkeypatch.setenv("HOSTLAB_BACKEND", "aws")
    monkeypatch.setenv(rehearsal.REHEARSAL_ENV, "1")
    deployed = waiters.distribution_deployed_waiter(cloudfront).config
    assert (deployed.delay, deployed.max_attempts) == (20 * 0.01, 135)  # 45 minutes on AWS
    running = waiters.apprunner_waiter(apprunner, "ServiceRunning").config
    assert (running.delay, running.max_attempts) == (10 * 0.01, 90)
    assert tr._patience(cloudfront, tr.CERTIFICATE_AWS) == tr.Patience(20 * 0.01, 120)
    monkeypatch.setenv(rehearsal.WAIT_FACTOR_ENV, "0.5")
    assert waiters.distribution_deployed_waiter(cloudfront).config.delay == 10
    for bad in ("0", "2", "fast"):
        monkeypatch.setenv(rehearsal.WAIT_FACTOR_ENV, bad)
        with pytest.raises(rehearsal.RehearsalSettingError, match=rehearsal.WAIT_FACTOR_ENV):
            waiters.distribution_deployed_waiter(cloudfront)


def test_zone_name_is_the_alias_parent():
    assert rehearsal.zone_name("www.hostlab-tutorial.example") == "hostlab-tutorial.example."
    assert rehearsal.zone_name("cdn.example.org.") == "example.org."
    assert rehearsal.zone_name("example.org") == "example.org."


# ---------------------------------------------------------------------------------------------------------
# aws-only cleanup: ACM still counting a certificate in use after its distribution is gone
# ---------------------------------------------------------------------------------------------------------

CERTIFICATE_ARN = "arn:aws:acm:us-east-1:111122223333:certificate/01234567-89ab-cdef-0123-456789abcdef"


def _stubbed_acm(monkeypatch, failures: list[str]):
    """An ACM client aimed at AWS's endpoint whose DeleteCertificate fails with ``failures`` (error codes)
    before it succeeds; nothing is sent (botocore's Stubber), and time.sleep only records its argument."""
    for name in ("AWS_ENDPOINT_URL", "HOSTLAB_BACKEND"):
        monkeypatch.delenv(name, raising=False)
    acm = boto3.client("acm", region_name="us-east-1")
    stub = Stubber(acm)
    certificate = {"CertificateArn": CERTIFICATE_ARN, "DomainName": "cdn.example.org"}
    stub.add_response(
        "describe_certificate", {"Certificate": certificate}, {"CertificateArn": CERTIFICATE_ARN}
    )
    for code in failures:
        stub.add_client_error("delete_certificate", code, f"Certificate {CERTIFICATE_ARN} is in use.", 400)
    stub.add_response("delete_certificate", {}, {"CertificateArn": CERTIFICATE_ARN})
    sleeps: list[float] = []
    monkeypatch.setattr(tr.time, "sleep", sleeps.append)
    return acm, stub, sleeps


def test_certificate_deletion_waits_while_acm_still_counts_it_in_use(monkeypatch, capsys):
    acm, stub, sleeps = _stubbed_acm(monkeypatch, ["ResourceInUseException"] * 2)
    with stub:
        tr.delete_certificate(acm, CERTIFICATE_ARN)
    stub.assert_no_pending_responses()
    assert sleeps == [tr.CERTIFICATE_RELEASE_AWS.delay] * 2  # AWS's patience: the endpoint is AWS's
    assert capsys.readouterr().out == "deleted certificate for cdn.example.org\n"


def test_certificate_deletion_gives_up_after_its_patience_and_on_other_errors(monkeypatch):
    monkeypatch.setattr(tr, "CERTIFICATE_RELEASE_AWS", tr.Patience(30.0, 3))
    acm, stub, sleeps = _stubbed_acm(monkeypatch, ["ResourceInUseException"] * 3)
    with stub, pytest.raises(ClientError, match="ResourceInUseException"):
        tr.delete_certificate(acm, CERTIFICATE_ARN)
    assert sleeps == [30.0, 30.0]
    acm, stub, sleeps = _stubbed_acm(monkeypatch, ["AccessDeniedException"])
    with stub, pytest.raises(ClientError, match="AccessDeniedException"):
        tr.delete_certificate(acm, CERTIFICATE_ARN)
    assert sleeps == []


def test_a_service_deleted_while_the_cleanup_lists_is_skipped():
    apprunner = boto3.client("apprunner", region_name="us-east-1")
    stub = Stubber(apprunner)
    arn = "arn:aws:apprunner:us-east-1:111122223333:service/gone/0123456789abcdef0123456789abcdef"
    tagged = arn.replace("gone", tr.SERVICE_NAME)
    summaries = [
        {"ServiceName": name, "ServiceArn": a, "Status": "OPERATION_IN_PROGRESS"}
        for name, a in (("gone", arn), (tr.SERVICE_NAME, tagged))
    ]
    stub.add_response("list_services", {"ServiceSummaryList": summaries}, {})
    stub.add_client_error("list_tags_for_resource", "ResourceNotFoundException", "not found", 400)
    stub.add_response("list_tags_for_resource", {"Tags": tr.apprunner_tags()}, {"ResourceArn": tagged})
    with stub:
        assert [s["ServiceName"] for s in apprunner_tr.tutorial_services(apprunner)] == [tr.SERVICE_NAME]
    # Any other error still stops the cleanup.
    stub.add_response("list_services", {"ServiceSummaryList": summaries[:1]}, {})
    stub.add_client_error("list_tags_for_resource", "AccessDeniedException", "denied", 400)
    with stub, pytest.raises(ClientError, match="AccessDeniedException"):
        apprunner_tr.tutorial_services(apprunner)


# ---------------------------------------------------------------------------------------------------------
# An interrupted rehearsal (e2e)
# ---------------------------------------------------------------------------------------------------------


def _backend_env(home: Path) -> dict[str, str]:
    ports = {"HOSTLAB_PORT": "0", "HOSTLAB_PROXY_PORT": "0"}
    return {"HOSTLAB_HOME": str(home), **ports, **rehearsal.BACKEND_DELAYS}


@pytest.fixture
def rehearsal_backend(tmp_path):
    """A backend that outlives the rehearsal run, so the test can look at it afterwards."""
    from hostlab.local import lifecycle

    settings = Settings.from_env(_backend_env(tmp_path / "backend"))
    state = lifecycle.up(settings, note=lambda _message: None)
    try:
        yield settings.home, state
    finally:
        lifecycle.down(settings, note=lambda _message: None)


def _clients(state):
    make = lambda name: boto3.client(name, region_name="us-east-1", endpoint_url=state.api_url)  # noqa: E731
    return make("apprunner"), make("cloudfront"), make("acm"), make("route53")


def _leftovers_of_a_killed_run(state, monkeypatch) -> str:
    """What a run killed at the end of notebook 04 leaves: the service, and the distribution in front of it
    with the published function and the alias with its certificate attached, whose validation record is in
    the hosted zone. The certificate and its record are made by the aws-only code itself
    (hostlab.tutorial.resources.issued_certificate). Returns the hosted zone's ID."""
    from hostlab.app import source_configuration
    from hostlab.local import lifecycle

    for name, value in lifecycle.client_env(state).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("HOSTLAB_BACKEND", "aws")
    monkeypatch.setenv(rehearsal.REHEARSAL_ENV, "1")
    apprunner, cloudfront, acm, route53 = _clients(state)
    service = apprunner.create_service(
        ServiceName=tr.SERVICE_NAME, SourceConfiguration=source_configuration(), Tags=tr.apprunner_tags()
    )["Service"]
    zone = rehearsal.ensure_zone(route53, tr.LOCAL_ALIAS)
    monkeypatch.setenv(tr.ZONE_ENV, zone)
    certificate_arn = tr.issued_certificate(acm, tr.LOCAL_ALIAS)
    created = cloudfront.create_function(
        Name=tr.FUNCTION_NAME,
        FunctionConfig={"Comment": "left by a killed run", "Runtime": "cloudfront-js-2.0"},
        FunctionCode=tr.function_code().encode(),
        Tags=tr.cloudfront_tags(),
    )
    published = cloudfront.publish_function(Name=tr.FUNCTION_NAME, IfMatch=created["ETag"])["FunctionSummary"]
    origin = {
        "Id": tr.ORIGIN_ID,
        "DomainName": service["ServiceUrl"],
        "CustomOriginConfig": {
            "HTTPPort": 80,
            "HTTPSPort": 443,
            "OriginProtocolPolicy": "https-only",
            "OriginSslProtocols": tr.listed(["TLSv1.2"]),
        },
    }
    association = {"EventType": "viewer-request", "FunctionARN": published["FunctionMetadata"]["FunctionARN"]}
    config = {
        "CallerReference": tr.caller_reference(),
        "Comment": "left by a killed run",
        "Enabled": True,
        "Aliases": tr.listed([tr.LOCAL_ALIAS]),
        "ViewerCertificate": {
            "ACMCertificateArn": certificate_arn,
            "SSLSupportMethod": "sni-only",
            "MinimumProtocolVersion": "TLSv1.2_2021",
        },
        "Origins": tr.listed([origin]),
        "DefaultCacheBehavior": {
            "TargetOriginId": tr.ORIGIN_ID,
            "ViewerProtocolPolicy": "redirect-to-https",
            "CachePolicyId": tr.CACHING_DISABLED,
            "OriginRequestPolicyId": tr.ALL_VIEWER_EXCEPT_HOST_HEADER,
            "FunctionAssociations": tr.listed([association]),
        },
    }
    cloudfront.create_distribution_with_tags(
        DistributionConfigWithTags={"DistributionConfig": config, "Tags": tr.cloudfront_tags()}
    )
    return zone


def _child_env(home: Path) -> dict[str, str]:
    """This environment without the test session's backend or any endpoint, plus the rehearsal's switches."""
    dropped = ("https_proxy", "http_proxy", "no_proxy")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("HOSTLAB_", "AWS_")) and k.lower() not in dropped
    }
    env.update(
        {
            "HOSTLAB_BACKEND": "aws",
            rehearsal.REHEARSAL_ENV: "1",
            rehearsal.HOME_ENV: str(home),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def _read_lines(stream, lines: queue.Queue) -> None:
    for line in iter(stream.readline, ""):
        lines.put(line)
    lines.put(None)


@pytest.mark.e2e
@pytest.mark.timeout(EXIT_LIMIT + REACH_03_LIMIT + 60)
def test_interrupted_rehearsal_leaves_nothing_tagged(rehearsal_backend, monkeypatch):
    home, state = rehearsal_backend
    apprunner, cloudfront, acm, route53 = _clients(state)
    zone = _leftovers_of_a_killed_run(state, monkeypatch)
    # Positive control: the leftovers exist and the checks below see them.
    before = apprunner_tr.leftovers(apprunner, cloudfront, acm)
    assert before["App Runner services"] == [tr.SERVICE_NAME]
    assert len(before["CloudFront distributions"]) == 1
    assert before["CloudFront Functions"] == [tr.FUNCTION_NAME]
    assert before["ACM certificates"] == [tr.LOCAL_ALIAS]
    assert [r["Type"] for r in rehearsal.added_records(route53, zone)] == ["CNAME"]

    command = [
        sys.executable, "-c", INTERRUPTIBLE_PYTEST, "-p", "hostlab.tutorial.pytest_notebooks", "--nbval",
        "--nbval-current-env",
        "--nbval-sanitize-with", "tests/nbval_sanitize.cfg", "-v", "-p", "no:cacheprovider",
        *(f"notebooks/{name}.ipynb" for name in TUTORIAL),
    ]  # fmt: skip
    run = subprocess.Popen(
        command,
        cwd=REPO,
        env=_child_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: the SIGINT below reaches it and its kernels only
    )
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=_read_lines, args=(run.stdout, lines), daemon=True).start()
    seen: list[str] = []
    interrupted_at = None
    try:
        limit = time.monotonic() + REACH_03_LIMIT
        while interrupted_at is None:
            line = lines.get(timeout=max(limit - time.monotonic(), 0.1))
            assert line is not None, "the rehearsal ended before notebook 03:\n" + "".join(seen[-40:])
            seen.append(line)
            match = IN_NOTEBOOK_03.search(line)
            if match and int(match.group(1)) >= FIRST_CELL_TO_INTERRUPT:
                os.killpg(run.pid, signal.SIGINT)
                interrupted_at = match.group(0)
        run.wait(timeout=EXIT_LIMIT)
    except (queue.Empty, subprocess.TimeoutExpired):
        os.killpg(run.pid, signal.SIGKILL)
        pytest.fail("the rehearsal did not reach notebook 03 or did not stop:\n" + "".join(seen[-40:]))
    while (line := lines.get(timeout=30)) is not None:
        seen.append(line)
    output = "".join(seen)

    # pytest's exit code for an interrupted session; 04 and 05 never ran. Or, seen once so far, exit code 1:
    # pytest's own report of the interrupt failed on a traceback entry whose tb_lineno was None
    # (TerminalReporter.pytest_keyboard_interrupt, "unsupported operand type(s) for -: 'NoneType' and
    # 'int'"; the same trace under Python 3.11 in pytest-dev/pytest-xdist issue 1196; most likely the SIGINT
    # landed on an instruction that has no line number). pytest still finishes the session and unconfigures
    # its plugins, where the run's cleanup happens (_pytest/main.py, wrap_session's finally), so the checks
    # below hold as after a clean interrupt.
    reporting_failed = PYTEST_INTERRUPT_REPORT_BUG in output and "in pytest_keyboard_interrupt" in output
    interrupted = run.returncode == pytest.ExitCode.INTERRUPTED or (run.returncode == 1 and reporting_failed)
    assert interrupted, output[-4000:]
    assert not re.search(r"notebooks/04-[\w-]+(?:::|\.)ipynb::Cell", output), output[-4000:]
    # The run's own cleanups: before (all four of the killed run) and after (its own service and
    # distribution; notebook 03 creates nothing else).
    counts = [int(n) for n in re.findall(r"hostlab: deleted (\d+) tagged resource", output)]
    assert counts == [4, 2], output[-4000:]
    assert f"hostlab: rehearsal: 0 record(s) left in hosted zone {zone}" in output

    # Nothing tagged remains on the backend, and the hosted zone holds only its own records.
    assert apprunner_tr.leftovers(apprunner, cloudfront, acm) == {
        "App Runner services": [],
        "CloudFront distributions": [],
        "CloudFront Functions": [],
        "ACM certificates": [],
    }
    assert rehearsal.added_records(route53, zone) == []
    # Deleted means deleted, not only untagged: no service or distribution is left at all.
    assert all(s["Status"] == "DELETED" for s in apprunner.list_services()["ServiceSummaryList"])
    assert cloudfront.list_distributions()["DistributionList"].get("Items", []) == []
