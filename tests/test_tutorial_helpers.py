"""The notebooks' helpers against the local backend: finding by tag, changing a distribution, cleanup that is
idempotent and works after an interrupted run."""

from __future__ import annotations

import copy
from typing import ClassVar

import pytest

from hostlab.app import source_configuration
from hostlab.platforms.apprunner import resources as tr


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


# --- re-runnable notebooks ----------------------------------------------------------------------------------


def notebook_02_config(domain: str) -> dict:
    """The DistributionConfig that notebook 02's cell "distribution-config" builds, by running that cell."""
    from notebook_cells import cell_with_label, read_notebook

    cell = cell_with_label(read_notebook("02-attach-cloudfront.ipynb"), "distribution-config")
    namespace = {"tr": tr, "service": {"ServiceUrl": domain}, "print": lambda *args, **kwargs: None}
    exec(compile(cell.source, "distribution-config", "exec"), namespace)
    return namespace["config"]


def test_the_reset_of_notebook_03_puts_back_exactly_what_notebook_02_configures():
    config = notebook_02_config("abcdefghij.us-east-1.awsapprunner.com")
    assert config["Comment"] == tr.DISTRIBUTION_COMMENT
    expected = tr._notebook_02_view(config)
    # What notebooks 03 and 04 change, all at once.
    changed = {**copy.deepcopy(config), "Aliases": tr.listed(["www.example.com"])}
    origin = tr.app_origin(changed)
    origin["CustomOriginConfig"].update(OriginSslProtocols=tr.listed(["TLSv1", "SSLv3"]), OriginReadTimeout=1)
    origin["CustomHeaders"] = tr.listed([{"HeaderName": "x-origin-secret", "HeaderValue": "s"}])
    tr.default_behavior(changed).update(
        CachePolicyId=tr.CACHING_DISABLED,
        OriginRequestPolicyId=tr.ALL_VIEWER_EXCEPT_HOST_HEADER,
        Compress=False,
    )
    changed["CacheBehaviors"] = tr.listed([{"PathPattern": tr.STATIC_PATH}])
    changed["CustomErrorResponses"] = tr.listed([{"ErrorCode": 502, "ErrorCachingMinTTL": 5}])
    changed["ViewerCertificate"] = {"ACMCertificateArn": "arn", "SSLSupportMethod": "sni-only"}
    assert tr._notebook_02_view(changed) != expected
    tr._as_notebook_02_left_it(changed)
    assert tr._notebook_02_view(changed) == expected


def test_start_from_notebook_02_resets_what_changed_and_leaves_alone_what_did_not(apprunner, cloudfront, acm):
    service = apprunner.create_service(
        ServiceName=tr.SERVICE_NAME,
        SourceConfiguration=source_configuration(env=tr.SERVICE_ENV, origin_secret="s3cret"),
        Tags=tr.apprunner_tags(),
    )["Service"]
    config = notebook_02_config(service["ServiceUrl"])
    distribution = cloudfront.create_distribution_with_tags(
        DistributionConfigWithTags={"DistributionConfig": config, "Tags": tr.cloudfront_tags()}
    )["Distribution"]
    try:
        tr.wait_service_running(apprunner, service["ServiceArn"])
        tr.wait_distribution_deployed(cloudfront, distribution["Id"])
        # Control: the distribution is as notebook 02 left it, so it is not touched (same ETag).
        etag = cloudfront.get_distribution(Id=distribution["Id"])["ETag"]
        service = tr.find_service(apprunner)
        service = tr.start_from_notebook_02(apprunner, cloudfront, service, distribution["Id"])
        assert cloudfront.get_distribution(Id=distribution["Id"])["ETag"] == etag
        # ...but the service lost notebook 04's origin secret.
        variables = service["SourceConfiguration"]["ImageRepository"]["ImageConfiguration"]
        assert "ORIGIN_SECRET" not in variables.get("RuntimeEnvironmentVariables", {})
        assert service["Status"] == "RUNNING"

        # A changed distribution is put back, deployed, and its cache invalidated.
        def like_notebook_03(c):
            tr.app_origin(c)["CustomOriginConfig"]["OriginSslProtocols"] = tr.listed(["TLSv1", "SSLv3"])

        tr.change_distribution(cloudfront, distribution["Id"], like_notebook_03, wait=False)
        tr.start_from_notebook_02(apprunner, cloudfront, service, distribution["Id"])
        now = cloudfront.get_distribution(Id=distribution["Id"])["Distribution"]
        assert now["Status"] == "Deployed"
        assert tr._notebook_02_view(now["DistributionConfig"]) == tr._notebook_02_view(config)
    finally:
        tr.delete_everything(apprunner, cloudfront, acm)


def test_lookups_answer_none_before_creation_and_choose_one_distribution_deterministically(
    apprunner, cloudfront
):
    assert tr.service_or_none(apprunner) is None
    assert tr.distribution_or_none(cloudfront) is None
    assert tr.function_etag_or_none(cloudfront) is None
    first = _tagged_distribution(cloudfront, "abcdefghij.us-east-1.awsapprunner.com")
    second_config = notebook_02_config("abcdefghij.us-east-1.awsapprunner.com")
    second = cloudfront.create_distribution_with_tags(
        DistributionConfigWithTags={"DistributionConfig": second_config, "Tags": tr.cloudfront_tags()}
    )["Distribution"]
    created = cloudfront.create_function(
        Name=tr.FUNCTION_NAME,
        FunctionConfig={"Comment": "test", "Runtime": "cloudfront-js-2.0"},
        FunctionCode=b"function handler(event) { return event.request; }",
    )
    try:
        # Two tagged distributions: notebook 02's comment wins, every time, whatever the listing order.
        assert {tr.distribution_or_none(cloudfront)["Id"] for _ in range(3)} == {second["Id"]}
        assert tr.function_etag_or_none(cloudfront) == created["ETag"]
    finally:
        for distribution in (first, second):
            tr.delete_distribution(cloudfront, distribution["Id"])
        tr.delete_function(cloudfront, tr.FUNCTION_NAME)


def test_required_alias_names_the_settings_on_aws(monkeypatch):
    monkeypatch.setenv("HOSTLAB_BACKEND", "aws")
    monkeypatch.delenv(tr.ALIAS_ENV, raising=False)
    with pytest.raises(tr.NeedsDomain, match=tr.ZONE_ENV):
        tr.required_alias()
    monkeypatch.setenv(tr.ALIAS_ENV, "www.example.org")
    assert tr.required_alias() == "www.example.org"


def test_custom_domain_lookups_and_its_validation_records(apprunner, cloudfront, acm):
    service = apprunner.create_service(
        ServiceName=tr.SERVICE_NAME, SourceConfiguration=source_configuration(), Tags=tr.apprunner_tags()
    )["Service"]
    arn = service["ServiceArn"]
    try:
        tr.wait_service_running(apprunner, arn)
        assert tr.custom_domain_or_none(apprunner, arn, tr.LOCAL_ALIAS) is None
        apprunner.associate_custom_domain(ServiceArn=arn, DomainName=tr.LOCAL_ALIAS, EnableWWWSubdomain=False)
        assert tr.custom_domain_or_none(apprunner, arn, tr.LOCAL_ALIAS)["DomainName"] == tr.LOCAL_ALIAS
        assert tr.custom_domain_or_none(apprunner, arn, "other.example.com") is None
        records = tr.custom_domain_validation_records(apprunner, arn, tr.LOCAL_ALIAS)
        assert records and {r["Type"] for r in records} == {"CNAME"}
        assert all(r["Name"].rstrip(".").endswith(tr.LOCAL_ALIAS) for r in records)
    finally:
        tr.delete_everything(apprunner, cloudfront, acm)


def test_route53_records_only_on_aws_and_only_with_a_zone(monkeypatch):
    import boto3

    calls = []
    monkeypatch.setattr(boto3, "client", lambda service, **kw: calls.append(service) or FakeRoute53())
    record = {"Name": "_x.www.example.org.", "Type": "CNAME", "Value": "_y.acm-validations.aws."}
    monkeypatch.setenv("HOSTLAB_BACKEND", "local")
    tr.custom_domain_records_in_route53([record])
    assert calls == []  # the local backend validates by itself
    monkeypatch.setenv("HOSTLAB_BACKEND", "aws")
    monkeypatch.delenv(tr.ZONE_ENV, raising=False)
    with pytest.raises(tr.NeedsDomain, match=tr.ZONE_ENV):
        tr.custom_domain_records_in_route53([record])
    tr.custom_domain_records_in_route53([record], "DELETE")  # nothing to remove without a zone
    assert calls == []
    monkeypatch.setenv(tr.ZONE_ENV, "Z123")
    tr.custom_domain_records_in_route53([record])
    assert calls == ["route53"]
    assert FakeRoute53.sent[-1]["HostedZoneId"] == "Z123"
    [change] = FakeRoute53.sent[-1]["ChangeBatch"]["Changes"]
    assert change["Action"] == "UPSERT" and change["ResourceRecordSet"]["Name"] == record["Name"]


class FakeRoute53:
    sent: ClassVar[list] = []

    def change_resource_record_sets(self, **kwargs):
        FakeRoute53.sent.append(kwargs)


def test_waiter_config_fits_the_backend(cloudfront, monkeypatch):
    local = tr.waiter_config(cloudfront, "distribution")
    assert local == {"Delay": tr.LOCAL.delay, "MaxAttempts": tr.LOCAL.max_attempts}
    from hostlab import waiters

    monkeypatch.setattr(waiters, "is_local_endpoint", lambda client: False)
    assert tr.waiter_config(cloudfront, "certificate") == {
        "Delay": tr.CERTIFICATE_AWS.delay,
        "MaxAttempts": tr.CERTIFICATE_AWS.max_attempts,
    }
    assert tr.waiter_config(cloudfront, "distribution")["Delay"] == waiters.CLOUDFRONT_AWS.delay
