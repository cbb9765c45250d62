"""The notebooks' helpers against the local backend: finding by tag, changing a distribution, cleanup that is
idempotent and works after an interrupted run."""

from __future__ import annotations

import pytest

from hostlab import tutorial_resources as tr
from hostlab.app import source_configuration


@pytest.fixture
def acm(make_client):
    return make_client("acm")


def _distribution_config(domain: str) -> dict:
    return {
        "CallerReference": tr.caller_reference(),
        "Comment": "test",
        "Enabled": True,
        "Origins": tr.listed(
            [
                {
                    "Id": tr.ORIGIN_ID,
                    "DomainName": domain,
                    "CustomOriginConfig": {
                        "HTTPPort": 80,
                        "HTTPSPort": 443,
                        "OriginProtocolPolicy": "https-only",
                        "OriginSslProtocols": tr.listed(["TLSv1.2"]),
                    },
                }
            ]
        ),
        "DefaultCacheBehavior": {
            "TargetOriginId": tr.ORIGIN_ID,
            "ViewerProtocolPolicy": "redirect-to-https",
            "CachePolicyId": tr.CACHING_OPTIMIZED,
            "OriginRequestPolicyId": tr.ALL_VIEWER,
        },
    }


def _tagged_distribution(cloudfront, domain: str) -> dict:
    return cloudfront.create_distribution_with_tags(
        DistributionConfigWithTags={
            "DistributionConfig": _distribution_config(domain),
            "Tags": tr.cloudfront_tags(),
        }
    )["Distribution"]


def test_cleanup_after_an_interrupted_run_then_again(apprunner, cloudfront, acm, capsys):
    # An interrupted run: the service still OPERATION_IN_PROGRESS, the distribution still InProgress, a
    # function never published, a certificate never used. Plus a service that is not the tutorial's.
    service = apprunner.create_service(
        ServiceName=tr.SERVICE_NAME, SourceConfiguration=source_configuration(), Tags=tr.apprunner_tags()
    )["Service"]
    other = apprunner.create_service(
        ServiceName="not-the-tutorials", SourceConfiguration=source_configuration()
    )["Service"]
    distribution = _tagged_distribution(cloudfront, service["ServiceUrl"])
    cloudfront.create_function(
        Name=tr.FUNCTION_NAME,
        FunctionConfig={"Comment": "test", "Runtime": "cloudfront-js-2.0"},
        FunctionCode=b"function handler(event) { return event.request; }",
    )
    acm.request_certificate(DomainName="www.example.com", ValidationMethod="DNS", Tags=tr.apprunner_tags())
    assert service["Status"] == "OPERATION_IN_PROGRESS" and distribution["Status"] == "InProgress"

    try:
        assert tr.delete_everything(apprunner, cloudfront, acm) == 4
        assert tr.leftovers(apprunner, cloudfront, acm) == {
            "App Runner services": [],
            "CloudFront distributions": [],
            "CloudFront Functions": [],
            "ACM certificates": [],
        }
        assert tr.delete_everything(apprunner, cloudfront, acm) == 0
        printed = capsys.readouterr().out
        assert f"deleted distribution {distribution['Id']}" in printed
        assert "deleted App Runner service hostlab-demo" in printed
        # Found by tag: the other service is untouched.
        assert apprunner.describe_service(ServiceArn=other["ServiceArn"])["Service"]["Status"] != "DELETED"
    finally:
        tr.wait_service_running(apprunner, other["ServiceArn"])
        apprunner.delete_service(ServiceArn=other["ServiceArn"])


def test_find_service_says_which_notebook_creates_it(apprunner):
    with pytest.raises(tr.NotCreatedYet, match="01-create-service"):
        tr.find_service(apprunner)


def test_change_distribution_edits_with_ifmatch_waits_and_invalidates(cloudfront, capsys):
    distribution = _tagged_distribution(cloudfront, "abcdefghij.us-east-1.awsapprunner.com")
    try:
        before = cloudfront.get_distribution(Id=distribution["Id"])["ETag"]

        def tls_1_only(config):
            tr.app_origin(config)["CustomOriginConfig"]["OriginSslProtocols"] = tr.listed(["TLSv1"])

        changed = tr.change_distribution(cloudfront, distribution["Id"], tls_1_only)
        assert changed["Status"] == "Deployed"
        config = cloudfront.get_distribution_config(Id=distribution["Id"])
        assert config["ETag"] != before
        origin = tr.app_origin(config["DistributionConfig"])
        assert origin["CustomOriginConfig"]["OriginSslProtocols"]["Items"] == ["TLSv1"]
        invalidations = cloudfront.list_invalidations(DistributionId=distribution["Id"])["InvalidationList"]
        assert invalidations["Quantity"] == 1
        assert capsys.readouterr().out.splitlines()[-1] == "invalidation: Completed"
        assert tr.find_distribution(cloudfront)["Id"] == distribution["Id"]
    finally:
        tr.delete_distribution(cloudfront, distribution["Id"])


def test_behaviour_lines_name_the_managed_policies():
    config = _distribution_config("x.us-east-1.awsapprunner.com")
    config["CacheBehaviors"] = tr.listed(
        [{"PathPattern": "/static/*", "TargetOriginId": tr.ORIGIN_ID, "CachePolicyId": tr.CACHING_OPTIMIZED}]
    )
    lines = tr.behaviour_lines(config)
    assert lines[0].startswith("/static/*") and "CachingOptimized" in lines[0]
    assert lines[1].startswith("default (*)") and "AllViewer " in lines[1] + " "


def test_run_cost_comes_from_the_price_file():
    line = tr.run_cost_line()
    # 1.5 h x (0.5 GB x 0.007 provisioned + 0.25 vCPU x 0.064 + 0.5 GB x 0.007 active) = 0.0345
    assert "at most USD 0.03" in line


def test_alias_on_aws_needs_a_domain(monkeypatch):
    monkeypatch.setenv("HOSTLAB_BACKEND", "aws")
    monkeypatch.delenv(tr.ALIAS_ENV, raising=False)
    assert tr.alias_name() is None
    with pytest.raises(tr.NeedsDomain, match=tr.ALIAS_ENV):
        tr.issued_certificate(None, None)
    monkeypatch.setenv("HOSTLAB_BACKEND", "local")
    assert tr.alias_name() == tr.LOCAL_ALIAS
