"""hostlab.waiters: botocore waiters for App Runner, CloudFront's own with fitting polling, and the
progress bar."""

from __future__ import annotations

import re
import uuid

import boto3
import nbformat
import pytest
from botocore.exceptions import WaiterError
from botocore.waiter import Waiter
from cloudfront_support import client_in_account, distribution_config, new_account_id
from nbval.plugin import coalesce_streams
from progress_support import APPRUNNER_SERVICE, CLOUDFRONT_DISTRIBUTION

from hostlab import waiters
from hostlab.waiters import apprunner_waiter, distribution_deployed_waiter, wait

PUBLIC_SOURCE = {
    "ImageRepository": {
        "ImageIdentifier": "public.ecr.aws/docker/library/python:3.12-slim",
        "ImageRepositoryType": "ECR_PUBLIC",
    }
}


AWS_ENDPOINTS = {
    "apprunner": "https://apprunner.us-east-1.amazonaws.com",
    "cloudfront": "https://cloudfront.amazonaws.com",
}


def aws_client(service: str):
    # A client for AWS's own endpoint (named explicitly: AWS_ENDPOINT_URL may be set in this process).
    # Building a waiter makes no call, so nothing leaves the machine.
    return boto3.client(service, region_name="us-east-1", endpoint_url=AWS_ENDPOINTS[service])


def new_service(apprunner) -> str:
    name = f"wait-{uuid.uuid4().hex[:12]}"
    return apprunner.create_service(ServiceName=name, SourceConfiguration=PUBLIC_SOURCE)["Service"][
        "ServiceArn"
    ]


def kept_by_notebook(stdout: str) -> str:
    """What a notebook stores of a stdout stream: nbval's fold of the carriage returns, which is the same
    as nbclient's (``make notebooks``)."""
    (folded,) = coalesce_streams([nbformat.v4.new_output("stream", name="stdout", text=stdout)])
    return folded.text


# ---------------------------------------------------------------------------------------------------------
# Building waiters
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", waiters.APPRUNNER_WAITER_NAMES)
def test_apprunner_waiters_are_botocore_waiters(apprunner, name):
    waiter = apprunner_waiter(apprunner, name, domain_name="app.example.com")
    assert isinstance(waiter, Waiter)
    assert waiter.name == name
    assert waiter.config.operation in ("DescribeService", "DescribeCustomDomains")
    assert any(a.state == "success" for a in waiter.config.acceptors)
    assert any(a.state == "failure" for a in waiter.config.acceptors)


def test_polling_follows_the_endpoint(apprunner, cloudfront):
    local = apprunner_waiter(apprunner, "ServiceRunning")
    assert (local.config.delay, local.config.max_attempts) == (
        waiters.LOCAL.delay,
        waiters.LOCAL.max_attempts,
    )
    remote = apprunner_waiter(aws_client("apprunner"), "ServiceRunning")
    assert (remote.config.delay, remote.config.max_attempts) == (10, 90)
    explicit = apprunner_waiter(aws_client("apprunner"), "ServiceRunning", delay=3, max_attempts=7)
    assert (explicit.config.delay, explicit.config.max_attempts) == (3, 7)

    aws_cloudfront = aws_client("cloudfront")
    deployed = distribution_deployed_waiter(aws_cloudfront)
    # Longer than botocore's 35 x 60 s: CloudFront deployments can take more than 25 minutes.
    assert (deployed.config.delay, deployed.config.max_attempts) == (20, 135)
    assert deployed.config.delay * deployed.config.max_attempts >= 45 * 60
    # Only our waiter changed: botocore's own keeps its defaults.
    stock = aws_cloudfront.get_waiter("distribution_deployed")
    assert (stock.config.delay, stock.config.max_attempts) == (60, 35)
    local_deployed = distribution_deployed_waiter(cloudfront)
    assert local_deployed.config.delay == waiters.LOCAL.delay


def test_bad_waiter_requests_are_refused(apprunner, cloudfront):
    with pytest.raises(ValueError, match="unknown App Runner waiter"):
        apprunner_waiter(apprunner, "ServiceExploded")
    with pytest.raises(ValueError, match="domain_name"):
        apprunner_waiter(apprunner, "CustomDomainActive")
    with pytest.raises(ValueError, match="not a domain name"):
        apprunner_waiter(apprunner, "CustomDomainActive", domain_name="x' || '1")
    with pytest.raises(TypeError, match=r"hostlab\.waiters"):
        wait(cloudfront.get_waiter("distribution_deployed"), "a waiter hostlab did not make", Id="E123")


# ---------------------------------------------------------------------------------------------------------
# Waiting for real
# ---------------------------------------------------------------------------------------------------------


def test_wait_shows_progress_then_ends_on_the_final_state(apprunner, capsys, hold):
    hold(APPRUNNER_SERVICE)
    arn = new_service(apprunner)
    hold.release_on_first_poll(apprunner, "DescribeService")  # the first poll sees the service creating
    assert (
        wait(apprunner_waiter(apprunner, "ServiceRunning"), "App Runner service", ServiceArn=arn) == "RUNNING"
    )
    captured = capsys.readouterr()
    # Everything goes to one stream, so it stays in order with what the cell prints around it.
    assert captured.err == ""
    # The bar showed the polls and the state each one saw...
    polls = waiters.LOCAL.max_attempts
    assert re.search(rf"App Runner service: .* 1/{polls} polls, OPERATION_IN_PROGRESS", captured.out)
    # ...then was blanked and redrawn as the final state, kept with a newline: no timings, no counts.
    assert captured.out.endswith("\r" + " " * waiters.BAR_COLUMNS + "\r\rApp Runner service: RUNNING\n")
    assert kept_by_notebook(captured.out) == "App Runner service: RUNNING\n"


def test_wait_output_folds_to_the_same_text_however_many_polls(make_client, capsys, hold):
    # The same wait twice: through InProgress (several polls), then on the Deployed distribution (one poll).
    # What the bar drew differs; what a notebook keeps must not.
    cloudfront = client_in_account(make_client, new_account_id())
    hold(CLOUDFRONT_DISTRIBUTION)
    distribution_id = cloudfront.create_distribution(DistributionConfig=distribution_config("fold"))[
        "Distribution"
    ]["Id"]
    hold.release_on_first_poll(cloudfront, "GetDistribution")
    drawn, kept = [], []
    for _ in range(2):
        wait(distribution_deployed_waiter(cloudfront), "distribution", Id=distribution_id)
        out = capsys.readouterr().out
        drawn.append(out)
        kept.append(kept_by_notebook(f"before\n{out}after\n"))
    assert "polls, InProgress" in drawn[0] and "InProgress" not in drawn[1]
    assert drawn[0] != drawn[1]
    assert kept == ["before\ndistribution: Deployed\nafter\n"] * 2


def test_wait_failure_raises_botocore_error_and_prints_no_result(apprunner, capsys):
    arn = new_service(apprunner)
    apprunner_waiter(apprunner, "ServiceRunning").wait(ServiceArn=arn)
    apprunner.delete_service(ServiceArn=arn)
    capsys.readouterr()
    with pytest.raises(WaiterError, match="DELETED"):
        # Deleting never ends in RUNNING: the waiter fails on DELETED instead of polling to its limit.
        wait(apprunner_waiter(apprunner, "ServiceRunning"), "App Runner service", ServiceArn=arn)
    out = capsys.readouterr().out
    # The bar was shown, then erased: no final line claims a state, only the exception speaks.
    assert "polls" in out
    assert kept_by_notebook(out).strip() == ""


def test_service_deleted_accepts_not_found(apprunner, capsys):
    unknown = "arn:aws:apprunner:us-east-1:123456789012:service/never/0123456789abcdef0123456789abcdef"
    assert wait(apprunner_waiter(apprunner, "ServiceDeleted"), "Deleted", ServiceArn=unknown) == (
        "ResourceNotFoundException"
    )
    assert kept_by_notebook(capsys.readouterr().out) == "Deleted: ResourceNotFoundException\n"
    with pytest.raises(WaiterError):
        apprunner_waiter(apprunner, "ServiceRunning").wait(ServiceArn=unknown)


def test_pause_and_custom_domain_waiters(apprunner):
    arn = new_service(apprunner)
    apprunner_waiter(apprunner, "ServiceRunning").wait(ServiceArn=arn)
    apprunner.associate_custom_domain(
        ServiceArn=arn, DomainName="www-less.example.com", EnableWWWSubdomain=False
    )
    state = wait(
        apprunner_waiter(apprunner, "CustomDomainActive", domain_name="www-less.example.com"),
        "Custom domain",
        ServiceArn=arn,
    )
    assert state == "active"
    apprunner.pause_service(ServiceArn=arn)
    assert wait(apprunner_waiter(apprunner, "ServicePaused"), "Pause", ServiceArn=arn) == "PAUSED"


def test_distribution_deployed_waits_through_in_progress(make_client, capsys, hold):
    cloudfront = client_in_account(make_client, new_account_id())
    hold(CLOUDFRONT_DISTRIBUTION)
    distribution = cloudfront.create_distribution(DistributionConfig=distribution_config("waiters"))[
        "Distribution"
    ]
    assert distribution["Status"] == "InProgress"
    hold.release_on_first_poll(cloudfront, "GetDistribution")
    state = wait(distribution_deployed_waiter(cloudfront), "CloudFront distribution", Id=distribution["Id"])
    assert state == "Deployed"
    out = capsys.readouterr().out
    assert kept_by_notebook(out) == "CloudFront distribution: Deployed\n"
    assert "polls, InProgress" in out
