"""CloudFront Functions through boto3: stages, publishing, ETags, deletion and TestFunction."""

from __future__ import annotations

import json

import pytest
from cloudfront_support import distribution_config, error

CODE_V1 = b"""function handler(event) {
  var request = event.request;
  request.headers['x-forwarded-host'] = { value: request.headers.host.value };
  console.log('host ' + request.headers.host.value);
  return request;
}"""
CODE_V2 = b"function handler(event) { return event.request; }"
CONFIG = {"Comment": "adds X-Forwarded-Host", "Runtime": "cloudfront-js-2.0"}

VIEWER_REQUEST = {
    "version": "1.0",
    "context": {"eventType": "viewer-request"},
    "viewer": {"ip": "198.51.100.7"},
    "request": {
        "method": "GET",
        "uri": "/echo",
        "querystring": {},
        "headers": {"host": {"value": "www.example.com"}},
        "cookies": {},
    },
}


@pytest.fixture
def function(account):
    created = account.create_function(Name="forwarded-host", FunctionConfig=CONFIG, FunctionCode=CODE_V1)
    return created


def test_create_puts_the_code_in_development(account, function):
    summary = function["FunctionSummary"]
    assert summary["FunctionMetadata"]["Stage"] == "DEVELOPMENT"
    assert summary["Status"] == "UNPUBLISHED"
    assert summary["FunctionMetadata"]["FunctionARN"].endswith(":function/forwarded-host")
    assert function["Location"].endswith("/2020-05-31/function/forwarded-host")
    described = account.describe_function(Name="forwarded-host")
    assert described["ETag"] == function["ETag"]
    assert described["FunctionSummary"]["FunctionConfig"] == CONFIG
    assert account.get_function(Name="forwarded-host")["FunctionCode"].read() == CODE_V1
    assert error(account.describe_function, Name="forwarded-host", Stage="LIVE")[::2] == (
        "NoSuchFunctionExists",
        404,
    )


def test_publish_copies_development_to_live(account, function):
    assert error(account.publish_function, Name="forwarded-host", IfMatch="ESTALE")[::2] == (
        "PreconditionFailed",
        412,
    )
    assert error(account.publish_function, Name="forwarded-host", IfMatch="")[::2] == (
        "InvalidIfMatchVersion",
        400,
    )
    published = account.publish_function(Name="forwarded-host", IfMatch=function["ETag"])["FunctionSummary"]
    assert published["FunctionMetadata"]["Stage"] == "LIVE"
    assert published["Status"] == "UNASSOCIATED"
    live = account.describe_function(Name="forwarded-host", Stage="LIVE")
    assert live["FunctionSummary"]["FunctionMetadata"]["Stage"] == "LIVE"
    assert account.get_function(Name="forwarded-host", Stage="LIVE")["FunctionCode"].read() == CODE_V1


def test_update_changes_development_only_until_the_next_publish(account, function):
    account.publish_function(Name="forwarded-host", IfMatch=function["ETag"])
    updated = account.update_function(
        Name="forwarded-host", IfMatch=function["ETag"], FunctionConfig=CONFIG, FunctionCode=CODE_V2
    )
    assert updated["ETag"] != function["ETag"]
    assert account.get_function(Name="forwarded-host")["FunctionCode"].read() == CODE_V2
    assert account.get_function(Name="forwarded-host", Stage="LIVE")["FunctionCode"].read() == CODE_V1
    assert (
        error(
            account.update_function,
            Name="forwarded-host",
            IfMatch=function["ETag"],
            FunctionConfig=CONFIG,
            FunctionCode=CODE_V1,
        )[0]
        == "PreconditionFailed"
    )
    account.publish_function(Name="forwarded-host", IfMatch=updated["ETag"])
    assert account.get_function(Name="forwarded-host", Stage="LIVE")["FunctionCode"].read() == CODE_V2


def test_list_functions_by_stage(account, function):
    account.create_function(Name="draft-only", FunctionConfig=CONFIG, FunctionCode=CODE_V2)
    account.publish_function(Name="forwarded-host", IfMatch=function["ETag"])
    development = account.list_functions()["FunctionList"]
    assert sorted(f["Name"] for f in development["Items"]) == ["draft-only", "forwarded-host"]
    live = account.list_functions(Stage="LIVE")["FunctionList"]
    assert [f["Name"] for f in live["Items"]] == ["forwarded-host"]
    assert live["Items"][0]["FunctionMetadata"]["Stage"] == "LIVE"


def test_a_function_in_use_cannot_be_deleted(account, function):
    arn = account.publish_function(Name="forwarded-host", IfMatch=function["ETag"])["FunctionSummary"][
        "FunctionMetadata"
    ]["FunctionARN"]
    config = distribution_config("uses-function")
    config["DefaultCacheBehavior"]["FunctionAssociations"] = {
        "Quantity": 1,
        "Items": [{"FunctionARN": arn, "EventType": "viewer-request"}],
    }
    account.create_distribution(DistributionConfig=config)
    assert (
        account.describe_function(Name="forwarded-host", Stage="LIVE")["FunctionSummary"]["Status"]
        == "DEPLOYED"
    )
    code, message, status = error(account.delete_function, Name="forwarded-host", IfMatch=function["ETag"])
    assert (code, status) == ("FunctionInUse", 409)
    assert message == "Cannot delete function forwarded-host, it is in use by 1 distributions"


def test_delete_needs_the_current_etag(account, function):
    assert error(account.delete_function, Name="forwarded-host", IfMatch="ESTALE")[0] == "PreconditionFailed"
    account.delete_function(Name="forwarded-host", IfMatch=function["ETag"])
    assert error(account.describe_function, Name="forwarded-host")[::2] == ("NoSuchFunctionExists", 404)


def test_bad_function_input(account, function):
    assert error(account.create_function, Name="forwarded-host", FunctionConfig=CONFIG, FunctionCode=CODE_V2)[
        ::2
    ] == ("FunctionAlreadyExists", 409)
    bad_runtime = {"Comment": "x", "Runtime": "nodejs20.x"}
    assert error(account.create_function, Name="other", FunctionConfig=bad_runtime, FunctionCode=CODE_V2)[
        0
    ] == ("MalformedXML")
    too_big = b"function handler(e) { return e.request; }\n" + b"//" + b"x" * (10 * 1024)
    assert error(account.create_function, Name="big", FunctionConfig=CONFIG, FunctionCode=too_big)[::2] == (
        "FunctionSizeLimitExceeded",
        413,
    )
    assert error(account.create_function, Name="bad name!", FunctionConfig=CONFIG, FunctionCode=CODE_V2)[
        0
    ] == ("InvalidArgument")
    assert error(account.get_function, Name="missing")[::2] == ("NoSuchFunctionExists", 404)
    assert error(account.describe_function, Name="forwarded-host", Stage="STAGING")[0] == "MalformedXML"


# --- TestFunction ----------------------------------------------------------------------------------


def test_test_function_runs_the_code_in_the_edge_runtime(account, function):
    result = account.test_function(
        Name="forwarded-host", IfMatch=function["ETag"], EventObject=json.dumps(VIEWER_REQUEST).encode()
    )["TestResult"]
    output = json.loads(result["FunctionOutput"])
    assert output["request"]["headers"]["x-forwarded-host"] == {"value": "www.example.com"}
    assert result["FunctionExecutionLogs"] == ["host www.example.com"]
    assert 0 < int(result["ComputeUtilization"]) <= 100
    assert "FunctionErrorMessage" not in result
    assert result["FunctionSummary"]["Name"] == "forwarded-host"


def test_test_function_reports_a_failing_function(account):
    created = account.create_function(
        Name="throws",
        FunctionConfig=CONFIG,
        FunctionCode=b"function handler(event) { throw new Error('boom'); }",
    )
    result = account.test_function(
        Name="throws", IfMatch=created["ETag"], EventObject=json.dumps(VIEWER_REQUEST).encode()
    )["TestResult"]
    assert "boom" in result["FunctionErrorMessage"]
    assert "FunctionOutput" not in result


def test_test_function_checks_stage_and_etag(account, function):
    event = json.dumps(VIEWER_REQUEST).encode()
    assert error(account.test_function, Name="forwarded-host", IfMatch="ESTALE", EventObject=event)[0] == (
        "PreconditionFailed"
    )
    assert error(
        account.test_function,
        Name="forwarded-host",
        IfMatch=function["ETag"],
        Stage="LIVE",
        EventObject=event,
    )[0] == ("NoSuchFunctionExists")
    assert error(
        account.test_function, Name="forwarded-host", IfMatch=function["ETag"], EventObject=b"not json"
    )[::2] == ("InvalidArgument", 400)


def test_test_function_refuses_code_that_does_not_compile(account):
    created = account.create_function(
        Name="broken", FunctionConfig=CONFIG, FunctionCode=b"function handler(event {"
    )
    code, _, status = error(
        account.test_function,
        Name="broken",
        IfMatch=created["ETag"],
        EventObject=json.dumps(VIEWER_REQUEST).encode(),
    )
    assert (code, status) == ("TestFunctionFailed", 500)
