"""CloudFront Functions through boto3: stages, publishing, ETags, deletion and TestFunction."""

from __future__ import annotations

import concurrent.futures
import json
import time

import pytest
from cloudfront_support import distribution_config, error
from functions_support import (
    NO_DYNAMIC_CODE,
    REGEX_BACKTRACKING,
    SLOW,
    STOPPED,
    calls_during_a_runaway,
    cpu_seconds,
    gone,
    logged_interval,
    overlapping,
    wait_for,
    worker_pids,
)

from hostlab.local.functions.pool import POOL_SIZE

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


# --- TestFunction runs in a worker, outside the API lock (hostlab.local.functions.pool) ----------------


def create(account, name: str, code: str) -> str:
    """The new function's ETag (DEVELOPMENT stage)."""
    return account.create_function(Name=name, FunctionConfig=CONFIG, FunctionCode=code.encode())["ETag"]


def test_function_result(account, name: str, etag: str) -> dict:
    return account.test_function(Name=name, IfMatch=etag, EventObject=json.dumps(VIEWER_REQUEST).encode())[
        "TestResult"
    ]


test_function_result.__test__ = False  # a helper, not a test


def test_a_runaway_function_never_blocks_other_api_calls(account, cloudfront, backend):
    etag = create(account, "regex", REGEX_BACKTRACKING)

    def runaway_test():
        return test_function_result(account, "regex", etag), time.monotonic()

    def other_calls():
        assert [f["Name"] for f in account.list_functions()["FunctionList"]["Items"]] == ["regex"]
        assert "DistributionList" in cloudfront.list_distributions()  # another account

    with concurrent.futures.ThreadPoolExecutor(1) as executor:
        # While a worker runs the regex, API calls are answered. The old design held the CloudFront lock for
        # the whole run: no call could complete before the run did.
        result, busy, answered = calls_during_a_runaway(
            backend.pid, POOL_SIZE, lambda: executor.submit(runaway_test), other_calls
        )
    assert answered >= 1
    assert result["FunctionErrorMessage"] == STOPPED
    assert result["ComputeUtilization"] == "100" and "FunctionOutput" not in result
    # The worker that ran it was killed (its CPU freed), and a fresh one took its place.
    assert gone(busy)
    wait_for(lambda: len(worker_pids(backend.pid)) == POOL_SIZE, "the pool to be whole again")


def test_no_cpu_is_burnt_after_a_runaway_test_function(account, backend):
    etag = create(account, "regex", REGEX_BACKTRACKING)
    assert test_function_result(account, "regex", etag)["FunctionErrorMessage"] == STOPPED
    wait_for(lambda: len(worker_pids(backend.pid)) == POOL_SIZE, "the pool to be whole again")
    watched = [backend.pid, *worker_pids(backend.pid)]
    spent = cpu_seconds(watched)
    time.sleep(1.0)
    # A spinning function would burn about one CPU-second here; the idle server and workers far less.
    assert cpu_seconds(watched) - spent < 0.5


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (REGEX_BACKTRACKING, STOPPED),
        ("function handler(e){ while (true) {} }", STOPPED),
        (
            "function handler(e){ var a = []; while (true) { a.push('x'.repeat(64) + a.length) } }",
            "MemoryError: the function exceeded its memory limit",
        ),
        (
            "function handler(e){ function f(n){ return f(n + 1) + 1 } return f(0) }",
            "InternalError: stack overflow",
        ),
        (
            "function handler(e){ return Object.getPrototypeOf(function*(){}).constructor('yield 6*7')() }",
            NO_DYNAMIC_CODE,
        ),
        ("function handler(e){ return new Function('return 1')() }", NO_DYNAMIC_CODE),
        ("function handler(e){ return (0, eval)('1') }", NO_DYNAMIC_CODE),
    ],
    ids=["regex", "loop", "memory", "recursion", "generator-constructor", "new-function", "indirect-eval"],
)
def test_test_function_stops_what_cloudfront_would_not_run(account, code, message):
    etag = create(account, "limited", code)
    result = test_function_result(account, "limited", etag)
    assert result["FunctionErrorMessage"] == message and "FunctionOutput" not in result
    # Positive control in the same account: a normal function still runs, logs and reports utilization.
    fine = create(account, "fine", CODE_V1.decode())
    ok = test_function_result(account, "fine", fine)
    assert ok["FunctionExecutionLogs"] == ["host www.example.com"]
    assert 0 < int(ok["ComputeUtilization"]) <= 100


def test_concurrent_test_function_runs_are_not_serialized(account):
    etag = create(account, "slow", SLOW)
    test_function_result(account, "slow", etag)  # connections open, so the three calls below leave together
    with concurrent.futures.ThreadPoolExecutor(3) as executor:
        results = list(executor.map(lambda _: test_function_result(account, "slow", etag), range(3)))
    assert all("FunctionErrorMessage" not in r for r in results), results
    assert overlapping([logged_interval(r["FunctionExecutionLogs"]) for r in results])
