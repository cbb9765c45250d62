"""Helpers for the control plane API tests: isolated accounts (CloudFront and App Runner tests), CloudFront
configs, and error unpacking.

Every CloudFront test that creates state works in an account of its own: CloudFront is global per account,
the session's backend is shared by the whole test run, and account-wide quotas (20 custom policies) must not
depend on what other tests did. App Runner tests that need an empty account (listings, seeded IDs) do the
same. A new account is reached the way it is on AWS: sts:AssumeRole into a role ARN of that account, whose
temporary credentials moto's server maps back to the account.
"""

from __future__ import annotations

import copy
import itertools
import os
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from hostlab.settings import DEFAULT_REGION

APP_RUNNER_ORIGIN = "abc.us-east-1.awsapprunner.com"
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER = "216adef6-5c7f-47e4-b989-5492eafa07d3"
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"

# Distinct 12-digit account IDs for this test run (the pid keeps two concurrent runs apart).
_accounts = itertools.count(1)


def new_account_id() -> str:
    return f"9{os.getpid() % 100000:05d}{next(_accounts):06d}"


def client_in_account(
    make_client: Callable[..., Any],
    account_id: str,
    service: str = "cloudfront",
    region: str = DEFAULT_REGION,
) -> Any:
    """A ``service`` client (``make_client``, the conftest fixture) acting in ``account_id``."""
    sts = make_client("sts")
    credentials = sts.assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/hostlab-tests", RoleSessionName="hostlab-tests"
    )["Credentials"]
    return make_client(
        service,
        region,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


def error(call: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[str, str, int]:
    """(code, message, HTTP status) of the error ``call`` must raise."""
    with pytest.raises(ClientError) as raised:
        call(*args, **kwargs)
    response = raised.value.response
    return (
        response["Error"]["Code"],
        response["Error"].get("Message", ""),
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def names(items: list[str]) -> dict[str, Any]:
    return {"Quantity": len(items), "Items": items}


def cache_policy_config(name: str, **overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "Name": name,
        "Comment": "test policy",
        "MinTTL": 0,
        "DefaultTTL": 60,
        "MaxTTL": 3600,
        "ParametersInCacheKeyAndForwardedToOrigin": {
            "EnableAcceptEncodingGzip": True,
            "EnableAcceptEncodingBrotli": True,
            "HeadersConfig": {"HeaderBehavior": "none"},
            "CookiesConfig": {"CookieBehavior": "none"},
            "QueryStringsConfig": {"QueryStringBehavior": "none"},
        },
    }
    params = overrides.pop("params", None)
    config.update(overrides)
    if params:
        config["ParametersInCacheKeyAndForwardedToOrigin"].update(params)
    return config


def origin_request_policy_config(name: str, **overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "Name": name,
        "Comment": "test policy",
        "HeadersConfig": {"HeaderBehavior": "none"},
        "CookiesConfig": {"CookieBehavior": "none"},
        "QueryStringsConfig": {"QueryStringBehavior": "none"},
    }
    config.update(overrides)
    return config


def distribution_config(reference: str = "ref-1", **overrides: Any) -> dict[str, Any]:
    """A distribution in front of an App Runner-like origin, using managed policy IDs."""
    config: dict[str, Any] = {
        "CallerReference": reference,
        "Comment": "hostlab test",
        "Enabled": True,
        "Origins": {
            "Quantity": 1,
            "Items": [
                {
                    "Id": "apprunner",
                    "DomainName": APP_RUNNER_ORIGIN,
                    "CustomOriginConfig": {
                        "HTTPPort": 80,
                        "HTTPSPort": 443,
                        "OriginProtocolPolicy": "https-only",
                        "OriginSslProtocols": {"Quantity": 1, "Items": ["TLSv1.2"]},
                    },
                }
            ],
        },
        "DefaultCacheBehavior": {
            "TargetOriginId": "apprunner",
            "ViewerProtocolPolicy": "redirect-to-https",
            "CachePolicyId": CACHING_DISABLED,
            "OriginRequestPolicyId": ALL_VIEWER_EXCEPT_HOST,
        },
    }
    config.update(copy.deepcopy(overrides))
    return config
