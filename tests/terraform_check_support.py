"""Turn a reader's DistributionConfig into one the local backend's CreateDistribution takes, the way the
checker will: its CloudFront Functions created and published (function_ref -> ARN), and, when it names aliases
and an ACM
certificate, an ISSUED certificate imported for them (aliases made unique per call, since CloudFront refuses a
CNAME that another distribution of the account already has)."""

from __future__ import annotations

import itertools
import json

import trustme

from hostlab.check.model import DistributionInput, function_ref

_unique = itertools.count()


def backend_ready(dist: DistributionInput, cloudfront, make_client) -> dict:
    token = f"tfcheck{next(_unique)}-{abs(hash(dist.source_file)) % 10**6}"
    config = json.loads(json.dumps(dist.config))
    for name, function in dist.functions.items():
        created = cloudfront.create_function(
            Name=f"{token}-{name}"[:64],
            FunctionConfig={"Comment": "", "Runtime": function.runtime},
            FunctionCode=function.code.encode(),
        )
        cloudfront.publish_function(Name=created["FunctionSummary"]["Name"], IfMatch=created["ETag"])
        arn = created["FunctionSummary"]["FunctionMetadata"]["FunctionARN"]
        config = json.loads(json.dumps(config).replace(json.dumps(function_ref(name)), json.dumps(arn)))
    config = with_issued_certificate(config, token, make_client)
    config["CallerReference"] = token
    return config


def with_issued_certificate(config: dict, token: str, make_client) -> dict:
    """The config with its aliases made unique (``<token>.<alias>``) and, when it names an ACM certificate,
    an ISSUED one imported for them in its place."""
    config = json.loads(json.dumps(config))
    aliases = [f"{token}.{alias}" for alias in config.get("Aliases", {}).get("Items", [])]
    if aliases:
        config["Aliases"] = {"Quantity": len(aliases), "Items": aliases}
    if config["ViewerCertificate"].get("ACMCertificateArn"):
        ca = trustme.CA()
        leaf = ca.issue_cert(*(aliases or [f"{token}.example.com"]))
        config["ViewerCertificate"]["ACMCertificateArn"] = make_client("acm").import_certificate(
            Certificate=leaf.cert_chain_pems[0].bytes(),
            PrivateKey=leaf.private_key_pem.bytes(),
            CertificateChain=ca.cert_pem.bytes(),
        )["CertificateArn"]
    return config
