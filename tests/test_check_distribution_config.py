"""The DistributionConfig JSON reader (hostlab.check.inputs.distribution_config) and the live read-only reader
(hostlab.check.inputs.live): shapes accepted, refusals, what is not emulated, where/patch as JSON paths,
and that a live read makes only reading calls (botocore's Stubber, and the local backend's state before and
after).
"""

from __future__ import annotations

import io
import json

import botocore.session
import pytest
from botocore.stub import Stubber

from hostlab.check.inputs import distribution_config, live, read
from hostlab.check.model import CheckInputError, function_ref, policy_ref

CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER = "216adef6-5c7f-47e4-b989-5492eafa07d3"
FUNCTION_ARN = "arn:aws:cloudfront::123456789012:function/forwarded-host"
CUSTOM_POLICY = "11111111-2222-4333-8444-555555555555"
ASSOCIATION = {"Quantity": 1, "Items": [{"FunctionARN": FUNCTION_ARN, "EventType": "viewer-request"}]}


def config(**behaviour) -> dict:
    """A DistributionConfig as get-distribution-config prints it."""
    return {
        "CallerReference": "ref-1",
        "Aliases": {"Quantity": 0},
        "DefaultRootObject": "",
        "Origins": {"Quantity": 1, "Items": [{
            "Id": "app", "DomainName": "abcdefghij.us-east-1.awsapprunner.com", "OriginPath": "",
            "CustomHeaders": {"Quantity": 0},
            "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "https-only",
                                   "OriginSslProtocols": {"Quantity": 1, "Items": ["TLSv1.2"]},
                                   "OriginReadTimeout": 30, "OriginKeepaliveTimeout": 5},
            "ConnectionAttempts": 3, "ConnectionTimeout": 10}]},
        "OriginGroups": {"Quantity": 0},
        "DefaultCacheBehavior": {
            "TargetOriginId": "app", "ViewerProtocolPolicy": "redirect-to-https",
            "AllowedMethods": {"Quantity": 2, "Items": ["GET", "HEAD"],
                               "CachedMethods": {"Quantity": 2, "Items": ["GET", "HEAD"]}},
            "Compress": True, "LambdaFunctionAssociations": {"Quantity": 0},
            "FunctionAssociations": {"Quantity": 0}, "CachePolicyId": CACHING_DISABLED, **behaviour},
        "CacheBehaviors": {"Quantity": 0},
        "CustomErrorResponses": {"Quantity": 0},
        "Comment": "",
        "PriceClass": "PriceClass_All",
        "Enabled": True,
        "ViewerCertificate": {"CloudFrontDefaultCertificate": True, "MinimumProtocolVersion": "TLSv1",
                              "CertificateSource": "cloudfront"},
        "Restrictions": {"GeoRestriction": {"RestrictionType": "none", "Quantity": 0}},
        "WebACLId": "",
        "HttpVersion": "http2",
        "IsIPV6Enabled": True,
    }


def test_reads_the_etag_wrapper_the_bare_config_and_get_distribution():
    wrapped = distribution_config.read_document({"ETag": "E1", "DistributionConfig": config()}, "d.json")
    bare = distribution_config.read_document(config(), "bare.json")
    whole = distribution_config.read_document(
        {"ETag": "E1", "Distribution": {"Id": "E2ABC", "DistributionConfig": config()}}, "dist.json")
    assert wrapped[0].config == bare[0].config == whole[0].config == config()
    assert whole[0].name == "E2ABC" and bare[0].name == "bare.json"
    assert wrapped[0].source.where(("Origins", "Items", 0, "DomainName")).path == \
        "DistributionConfig.Origins.Items[0].DomainName"
    assert bare[0].source.where(("Origins", "Items", 0, "DomainName")).path == "Origins.Items[0].DomainName"


def test_inputs_read_dispatches_a_json_file(tmp_path):
    path = tmp_path / "cfg.json"
    path.write_text(json.dumps({"ETag": "E1", "DistributionConfig": config()}))
    (distribution,) = read(str(path))
    assert distribution.source.language == "distribution-config"


def test_a_config_botocore_refuses_is_a_check_input_error():
    broken = config()
    broken["Origins"]["Items"][0]["CustomOriginConfig"]["HTTPPort"] = "eighty"
    with pytest.raises(CheckInputError, match="HTTPPort"):
        distribution_config.read_document({"DistributionConfig": broken}, "bad.json")
    with pytest.raises(CheckInputError, match="neither"):
        distribution_config.read_document({"Something": 1}, "other.json")


def test_lambda_edge_and_origin_groups_are_refused_by_path():
    edge = {"LambdaFunctionARN": "arn:aws:lambda:us-east-1:123456789012:function:f:1",
            "EventType": "origin-request"}
    lambdas = config(LambdaFunctionAssociations={"Quantity": 1, "Items": [edge]})
    where = r"DistributionConfig\.DefaultCacheBehavior\.LambdaFunctionAssoc"
    with pytest.raises(CheckInputError, match=where):
        distribution_config.read_document({"DistributionConfig": lambdas}, "l.json")
    groups = config()
    groups["OriginGroups"] = {"Quantity": 1, "Items": [{
        "Id": "g", "FailoverCriteria": {"StatusCodes": {"Quantity": 1, "Items": [500]}},
        "Members": {"Quantity": 1, "Items": [{"OriginId": "app"}]}}]}
    with pytest.raises(CheckInputError, match="OriginGroups"):
        distribution_config.read_document({"DistributionConfig": groups}, "g.json")


def test_function_arns_and_custom_policies_are_not_emulated_unless_supplied():
    referring = config(FunctionAssociations=ASSOCIATION, OriginRequestPolicyId=CUSTOM_POLICY)
    (distribution,) = distribution_config.read_document({"DistributionConfig": referring}, "r.json")
    assert [path for path, _ in distribution.not_emulated] == [
        ("DefaultCacheBehavior", "FunctionAssociations", "Items", 0, "FunctionARN"),
        ("DefaultCacheBehavior", "OriginRequestPolicyId")]
    managed = config(OriginRequestPolicyId=ALL_VIEWER)
    assert distribution_config.read_document(managed, "m.json")[0].not_emulated == []


def test_where_and_patch_in_json_paths():
    (distribution,) = distribution_config.read_document({"DistributionConfig": config()}, "d.json")
    tls = ("Origins", "Items", 0, "CustomOriginConfig", "OriginSslProtocols")
    present = distribution.source.where(tls)
    assert present.present and present.path == \
        "DistributionConfig.Origins.Items[0].CustomOriginConfig.OriginSslProtocols"
    absent = distribution.source.where(("DefaultCacheBehavior", "OriginRequestPolicyId"))
    assert not absent.present
    assert absent.path == "DistributionConfig.DefaultCacheBehavior.OriginRequestPolicyId"
    unknown = distribution.source.where(("DefaultCacheBehavior", "NoSuchThing"))
    assert not unknown.present and unknown.path == "DistributionConfig.DefaultCacheBehavior"
    patch = distribution.source.patch(tls, {"Quantity": 1, "Items": ["TLSv1.2"]})
    head, *body = patch.splitlines()
    assert head == "in DistributionConfig.Origins.Items[0].CustomOriginConfig:"
    assert json.loads("{" + "\n".join(body) + "}") == {
        "OriginSslProtocols": {"Quantity": 1, "Items": ["TLSv1.2"]}}
    item = distribution.source.patch(("CustomErrorResponses", "Items", 0),
                                     {"ErrorCode": 404, "ErrorCachingMinTTL": 0})
    assert json.loads("{" + "\n".join(item.splitlines()[1:]) + "}") == {
        "Items": [{"ErrorCode": 404, "ErrorCachingMinTTL": 0}]}


# --- live: read-only ---


def _stubbed_client():
    client = botocore.session.get_session().create_client(
        "cloudfront", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
    return client, Stubber(client)


def test_read_live_makes_only_reading_calls_stubber():
    """Every call is stubbed in order; Stubber fails on any other call, and every stubbed one is a read."""
    client, stubber = _stubbed_client()
    live_config = config(FunctionAssociations=ASSOCIATION, OriginRequestPolicyId=CUSTOM_POLICY)
    calls = []

    def add(operation, response, params):
        calls.append(operation)
        stubber.add_response(operation, response, params)

    add("get_distribution_config", {"ETag": "E1", "DistributionConfig": live_config}, {"Id": "E2ABC"})
    add("list_functions", {"FunctionList": {"MaxItems": 100, "Quantity": 1, "Items": [{
        "Name": "forwarded-host", "FunctionConfig": {"Comment": "", "Runtime": "cloudfront-js-2.0"},
        "FunctionMetadata": {"FunctionARN": FUNCTION_ARN, "Stage": "LIVE",
                             "LastModifiedTime": "2026-01-01T00:00:00Z"}}]}}, {"Stage": "LIVE"})
    add("get_function", {"FunctionCode": io.BytesIO(b"function handler(e) { return e.request }"),
                         "ETag": "E3", "ContentType": "application/octet-stream"},
        {"Name": "forwarded-host", "Stage": "LIVE"})
    policy_config = {"Name": "mine", "HeadersConfig": {"HeaderBehavior": "none"},
                     "CookiesConfig": {"CookieBehavior": "all"},
                     "QueryStringsConfig": {"QueryStringBehavior": "all"}}
    add("get_origin_request_policy", {"OriginRequestPolicy": {
        "Id": CUSTOM_POLICY, "LastModifiedTime": "2026-01-01T00:00:00Z",
        "OriginRequestPolicyConfig": policy_config}, "ETag": "E4"}, {"Id": CUSTOM_POLICY})
    with stubber:
        (distribution,) = live.read_live("E2ABC", client)
        stubber.assert_no_pending_responses()
    operations = {client.meta.method_to_api_mapping[name] for name in calls}
    assert operations <= set(live.READ_CALLS)
    assert all(op.startswith(("Get", "List")) for op in live.READ_CALLS)
    assert distribution.name == "E2ABC"
    assert distribution.functions["forwarded-host"].runtime == "cloudfront-js-2.0"
    assert distribution.functions["forwarded-host"].code.startswith("function handler")
    behaviour = distribution.config["DefaultCacheBehavior"]
    assert behaviour["FunctionAssociations"]["Items"][0]["FunctionARN"] == function_ref("forwarded-host")
    assert behaviour["OriginRequestPolicyId"] == policy_ref(CUSTOM_POLICY)
    assert distribution.policies[CUSTOM_POLICY].config == policy_config
    assert distribution.not_emulated == []


def test_a_write_would_be_caught_by_the_stubber():
    """Positive control for the test above: an unstubbed call (here a write) raises."""
    client, stubber = _stubbed_client()
    with stubber, pytest.raises(Exception, match=r"Unexpected API Call|UpdateDistribution"):
        client.update_distribution(Id="E2ABC", IfMatch="E1", DistributionConfig=config())


def _state(client) -> str:
    """Everything a reader could change: distributions with their configs and ETags, functions, policies."""
    items = client.list_distributions()["DistributionList"].get("Items", [])
    distributions = {}
    for item in items:
        answer = client.get_distribution_config(Id=item["Id"])
        distributions[item["Id"]] = (answer["ETag"], answer["DistributionConfig"])
    functions = client.list_functions()["FunctionList"].get("Items", [])
    policies = client.list_cache_policies(Type="custom")["CachePolicyList"].get("Items", [])
    return json.dumps([distributions, functions, policies], default=str, sort_keys=True)


def test_read_live_leaves_the_local_backend_as_it_was(account):
    created = account.create_function(Name="check-live-fn",
                                      FunctionCode=b"function handler(e) { return e.request }",
                                      FunctionConfig={"Comment": "", "Runtime": "cloudfront-js-2.0"})
    account.publish_function(Name="check-live-fn", IfMatch=created["ETag"])
    arn = created["FunctionSummary"]["FunctionMetadata"]["FunctionARN"]
    policy = account.create_cache_policy(CachePolicyConfig={
        "Name": "check-live-cache", "MinTTL": 0, "DefaultTTL": 0, "MaxTTL": 0,
        "ParametersInCacheKeyAndForwardedToOrigin": {
            "EnableAcceptEncodingGzip": False, "HeadersConfig": {"HeaderBehavior": "none"},
            "CookiesConfig": {"CookieBehavior": "none"},
            "QueryStringsConfig": {"QueryStringBehavior": "none"}}}
    )["CachePolicy"]["Id"]
    distribution_id = account.create_distribution(DistributionConfig=config(
        CachePolicyId=policy,
        FunctionAssociations={"Quantity": 1, "Items": [{"FunctionARN": arn, "EventType": "viewer-request"}]}),
    )["Distribution"]["Id"]
    before = _state(account)
    (distribution,) = live.read_live(distribution_id, account)
    assert _state(account) == before
    assert distribution.functions["check-live-fn"].code.startswith("function handler")
    assert distribution.policies[policy].config["Name"] == "check-live-cache"
    assert distribution.config["DefaultCacheBehavior"]["CachePolicyId"] == policy_ref(policy)
    assert distribution.not_emulated == []
