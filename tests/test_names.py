"""hostlab.names: the certificate-name matcher the control plane (aliases against ACM certificates) and the
data plane (origin certificates) share."""

from __future__ import annotations

import pytest

from hostlab.names import dns_name_matches


@pytest.mark.parametrize(
    ("certificate_name", "alias", "covered"),
    [
        ("www.example.com", "www.example.com", True),
        ("WWW.Example.com", "www.example.com", True),
        ("www.example.com.", "www.example.com", True),
        ("*.example.com", "www.example.com", True),
        ("*.example.com", "example.com", False),
        ("*.example.com", "a.b.example.com", False),
        ("*.example.com", ".example.com", False),
        ("example.com", "www.example.com", False),
        ("*.us-east-1.awsapprunner.com", "abc.us-east-1.awsapprunner.com", True),
        ("*.us-east-1.awsapprunner.com", "us-east-1.awsapprunner.com", False),
        ("*.us-east-1.awsapprunner.com", "a.b.us-east-1.awsapprunner.com", False),
        ("d111.cloudfront.net", "D111.cloudfront.net.", True),
        ("www.*.example.com", "www.a.example.com", False),
    ],
)
def test_a_wildcard_certificate_covers_one_label(certificate_name, alias, covered):
    assert dns_name_matches(certificate_name, alias) is covered
