"""ACM rules the local backend adds to moto's ACM.

DNS validation against the backend's own Route 53 (hostlab.local.controlplane.acm_validation): in-process
with moto's mock, the glue installed on it and moto's validation delay at 0, so that only the DNS rule
decides: a certificate whose domain lies in a public hosted zone of the backend stays PENDING_VALIDATION
until that zone holds the CNAME that DescribeCertificate asks for.

A certificate a distribution uses cannot be deleted (hostlab.local.controlplane.acm_in_use): on the test
session's backend, through the API.
"""

from __future__ import annotations

import boto3
import moto.settings
import pytest
from moto import mock_aws
from moto.acm.models import CertBundle

from hostlab.local.controlplane import acm_validation

ALIAS = "www.hostlab-tutorial.example"


@pytest.fixture
def aws(monkeypatch):
    monkeypatch.setattr(CertBundle, "check", CertBundle.check)  # restored after the test
    monkeypatch.setattr(moto.settings, "ACM_VALIDATION_WAIT", 0)
    acm_validation.install()
    with mock_aws():
        yield boto3.client("acm", region_name="us-east-1"), boto3.client("route53", region_name="us-east-1")


def _status(acm, arn: str) -> str:
    return acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"]


def _request(acm) -> tuple[str, dict]:
    arn = acm.request_certificate(DomainName=ALIAS, ValidationMethod="DNS")["CertificateArn"]
    options = acm.describe_certificate(CertificateArn=arn)["Certificate"]["DomainValidationOptions"]
    return arn, options[0]["ResourceRecord"]


def _zone(route53, name: str, private: bool = False) -> str:
    extra = {}
    if private:
        extra = {
            "VPC": {"VPCRegion": "us-east-1", "VPCId": "vpc-12345678"},
            "HostedZoneConfig": {"PrivateZone": True, "Comment": "private"},
        }
    zone = route53.create_hosted_zone(Name=name, CallerReference=f"test-{name}-{private}", **extra)
    return zone["HostedZone"]["Id"]


def _cname(route53, zone: str, name: str, value: str, action: str = "UPSERT") -> None:
    change = {
        "Action": action,
        "ResourceRecordSet": {
            "Name": name,
            "Type": "CNAME",
            "TTL": 300,
            "ResourceRecords": [{"Value": value}],
        },
    }
    route53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [change]})


def test_without_a_zone_of_ours_the_delay_alone_issues(aws):
    acm, route53 = aws
    _zone(route53, "unrelated.example")
    arn, _ = _request(acm)
    assert _status(acm, arn) == "ISSUED"


def test_in_a_zone_of_ours_the_validation_record_issues(aws):
    acm, route53 = aws
    zone = _zone(route53, "hostlab-tutorial.example")
    arn, record = _request(acm)
    assert _status(acm, arn) == "PENDING_VALIDATION"
    _cname(route53, zone, record["Name"], "_wrong.acm-validations.aws.")
    assert _status(acm, arn) == "PENDING_VALIDATION"
    _cname(route53, zone, record["Name"], record["Value"])
    assert _status(acm, arn) == "ISSUED"
    # Issued stays issued, as on AWS, when the record goes later (renewal would need it again).
    _cname(route53, zone, record["Name"], record["Value"], action="DELETE")
    assert _status(acm, arn) == "ISSUED"


def test_the_record_in_a_less_specific_zone_does_not_count(aws):
    acm, route53 = aws
    parent = _zone(route53, "example")
    _zone(route53, "hostlab-tutorial.example")  # the delegated zone is the one DNS answers from
    arn, record = _request(acm)
    _cname(route53, parent, record["Name"], record["Value"])
    assert _status(acm, arn) == "PENDING_VALIDATION"


def test_a_private_zone_is_not_the_public_dns(aws):
    acm, route53 = aws
    zone = _zone(route53, "hostlab-tutorial.example", private=True)
    assert route53.get_hosted_zone(Id=zone)["HostedZone"]["Config"]["PrivateZone"] is True
    arn, _ = _request(acm)
    assert _status(acm, arn) == "ISSUED"


# ---------------------------------------------------------------------------------------------------------
# A certificate a distribution uses cannot be deleted (hostlab.local.controlplane.acm_in_use), on the
# session's backend, with the alias flow of notebook 04
# ---------------------------------------------------------------------------------------------------------


def test_a_certificate_in_use_by_a_distribution_cannot_be_deleted(make_client):
    import time

    import trustme
    from botocore.exceptions import ClientError

    from hostlab.settings import DEFAULT_ACCOUNT_ID
    from hostlab.tutorial import resources as tr

    acm, cloudfront = make_client("acm"), make_client("cloudfront")
    # An imported certificate is ISSUED at once (no validation wait); CloudFront takes imported ones too.
    domain = f"in-use-{time.monotonic_ns()}.example.net"
    ca = trustme.CA()
    leaf = ca.issue_cert(domain)
    arn = acm.import_certificate(
        Certificate=leaf.cert_chain_pems[0].bytes(),
        PrivateKey=leaf.private_key_pem.bytes(),
        CertificateChain=ca.cert_pem.bytes(),
    )["CertificateArn"]
    config = {
        "CallerReference": tr.caller_reference(),
        "Comment": "certificate in use",
        "Enabled": True,
        "Aliases": tr.listed([domain]),
        "ViewerCertificate": {"ACMCertificateArn": arn, "SSLSupportMethod": "sni-only",
                              "MinimumProtocolVersion": "TLSv1.2_2021"},
        "Origins": tr.listed([{"Id": "o", "DomainName": "origin.example.net",
                               "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443,
                                                      "OriginProtocolPolicy": "https-only"}}]),
        "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": "redirect-to-https",
                                 "CachePolicyId": tr.CACHING_DISABLED},
    }  # fmt: skip
    distribution_id = cloudfront.create_distribution(DistributionConfig=config)["Distribution"]["Id"]

    with pytest.raises(ClientError) as refused:
        acm.delete_certificate(CertificateArn=arn)
    error = refused.value.response["Error"]
    assert error["Code"] == "ResourceInUseException"
    assert error["Message"] == f"Certificate {arn} in account {DEFAULT_ACCOUNT_ID} is in use."
    # Disabled is still in use; deleted is not (and the certificate then deletes).
    tr.change_distribution(
        cloudfront, distribution_id, lambda c: c.update(Enabled=False), refresh_cache=False
    )
    with pytest.raises(ClientError, match="ResourceInUseException"):
        acm.delete_certificate(CertificateArn=arn)
    etag = cloudfront.get_distribution(Id=distribution_id)["ETag"]
    cloudfront.delete_distribution(Id=distribution_id, IfMatch=etag)
    acm.delete_certificate(CertificateArn=arn)
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        acm.describe_certificate(CertificateArn=arn)
