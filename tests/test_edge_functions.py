"""The CloudFront Functions runtime (hostlab.local.cloudfront_js) and the edge's use of it."""

from __future__ import annotations

import json

import pytest

from hostlab.local.cloudfront_js import CompiledFunction, FunctionCodeError, run_function
from hostlab.local.dataplane.edge.functions import FunctionRunner, LiveFunction, build_event
from hostlab.local.dataplane.edge.messages import ViewerRequest

ADD_XFH = """
function handler(event) {
  var request = event.request;
  request.headers['x-forwarded-host'] = { value: request.headers.host.value };
  console.log('public host', request.headers.host.value);
  return request;
}
"""
CHANGE_HOST = """
function handler(event) {
  event.request.headers.host = { value: 'abc.us-east-1.awsapprunner.com' };
  return event.request;
}
"""


def viewer(headers=(), query="", path="/echo"):
    base = [
        ("Host", "d111.cloudfront.net"),
        ("Accept", "a/b"),
        ("Accept", "c/d"),
        ("Cookie", "s=1; t=2"),
        ("X-Amz-Cf-Id", "forged"),
        ("Connection", "keep-alive"),
    ]
    return ViewerRequest("GET", path, query, [*base, *headers], b"", "https", "198.51.100.7", 1234)


def run(code, req=None, runtime="cloudfront-js-2.0"):
    fn = LiveFunction("f", "E1", runtime, code)
    return FunctionRunner().run_viewer_request(fn, req or viewer(), "EDIST", "d111.cloudfront.net", "RID")


# --- the event (CF-DG functions-event-structure.html) -------------------------------------------------------


def test_event_shape():
    event = build_event(viewer(query="a=1&a=2&b"), "EDIST", "d111.cloudfront.net", "RID")
    assert event["version"] == "1.0"
    assert event["context"] == {
        "distributionDomainName": "d111.cloudfront.net",
        "distributionId": "EDIST",
        "eventType": "viewer-request",
        "requestId": "RID",
    }
    assert event["viewer"] == {"ip": "198.51.100.7"}
    req = event["request"]
    assert req["method"] == "GET" and req["uri"] == "/echo"
    assert req["headers"]["host"] == {"value": "d111.cloudfront.net"}
    assert req["headers"]["accept"] == {"value": "a/b", "multiValue": [{"value": "a/b"}, {"value": "c/d"}]}
    assert "cookie" not in req["headers"]  # cookies are separate
    assert req["cookies"] == {"s": {"value": "1"}, "t": {"value": "2"}}
    assert req["querystring"]["a"]["multiValue"] == [{"value": "1"}, {"value": "2"}]
    assert req["querystring"]["b"] == {"value": ""}
    # Disallowed headers are not exposed.
    assert "x-amz-cf-id" not in req["headers"] and "connection" not in req["headers"]


# --- results ------------------------------------------------------------------------------------------------


def test_function_adding_x_forwarded_host():
    out = run(ADD_XFH)
    assert out.status == 0 and out.request is not None
    assert ("X-Forwarded-Host", "d111.cloudfront.net") in out.request.headers  # names converted back
    assert out.logs == ("public host d111.cloudfront.net",)
    assert ("X-Amz-Cf-Id", "forged") in out.request.headers  # unexposed headers stay as sent
    assert [v for n, v in out.request.headers if n.lower() == "cookie"] == ["s=1; t=2"]


def test_changing_host_fails_validation_with_502():
    # CF-DG edge-functions-restrictions.html: Host is read-only in viewer-request events.
    out = run(CHANGE_HOST)
    assert out.status == 502 and out.request is None and "host" in out.detail


@pytest.mark.parametrize(
    "code",
    [
        "function handler(e){ delete e.request.headers.host; return e.request }",
        "function handler(e){ e.request.headers['x-cache'] = {value: 'x'}; return e.request }",
        "function handler(e){ e.request.headers['X-Upper'] = {value: 'x'}; return e.request }",
        "function handler(e){ e.request.method = 'POST'; return e.request }",
        "function handler(e){ e.request.uri = 'no-slash'; return e.request }",
        "function handler(e){ return 42 }",
    ],
)
def test_other_validation_failures_give_502(code):
    assert run(code).status == 502


@pytest.mark.parametrize(
    "code",
    [
        "function handler(e){ throw new Error('boom') }",
        "function handler(e){ while (true) {} }",
        "function handler(e){ var a = []; while (true) { a.push('xxxxxxxxxxxxxxxxxxxxxxxx' + a.length) } }",
        "function handler(e){ return eval('e.request') }",
        "function handler(e){ return new Function('return 1')() }",
        "function handler(e){ return require('crypto') }",
        "function handler(e {",
    ],
)
def test_errors_and_limits_give_503(code):
    assert run(code).status == 503


def test_generated_response_and_rewrites():
    out = run("""async function handler(event) {
        return { statusCode: 302, statusDescription: 'Found',
                 headers: { location: { value: 'https://example.com/' } },
                 cookies: { a: { value: '1', attributes: 'Path=/' } }, body: 'moved' };
    }""")
    assert out.response.status == 302
    assert ("Location", "https://example.com/") in out.response.headers
    assert ("Set-Cookie", "a=1; Path=/") in out.response.headers
    assert out.response.body == b"moved"
    rewritten = run("""function handler(e) {
        e.request.uri = '/index.html'; e.request.querystring = { q: { value: 'x y' } };
        e.request.cookies = { s: { value: '9' } }; return e.request; }""").request
    assert rewritten.path == "/index.html" and rewritten.query == "q=x y"
    assert ("Cookie", "s=9") in rewritten.headers


def test_async_handler_needs_runtime_2():
    code = "async function handler(e){ return e.request }"
    assert run(code, runtime="cloudfront-js-2.0").request is not None
    assert run(code, runtime="cloudfront-js-1.0").status == 503


def test_compiled_once_per_etag():
    runner = FunctionRunner()
    fn = LiveFunction(
        "counter",
        "E1",
        "cloudfront-js-2.0",
        "var n = 0; function handler(e){ n += 1; e.request.headers['x-n'] = {value: String(n)};"
        " return e.request }",
    )
    seen = [
        dict(runner.run_viewer_request(fn, viewer(), "D", "d", "R").request.headers)["X-N"] for _ in range(3)
    ]
    assert seen == ["1", "2", "3"]  # the same compiled context serves every request
    newer = LiveFunction("counter", "E2", fn.runtime, fn.code)
    assert dict(runner.run_viewer_request(newer, viewer(), "D", "d", "R").request.headers)["X-N"] == "1"


# --- run_function, the TestFunction entry point -------------------------------------------------------------


def test_run_function_answers_test_result_fields():
    event = build_event(viewer(), "EDIST", "d111.cloudfront.net", "RID")
    result = run_function(ADD_XFH, event)
    output = json.loads(result["FunctionOutput"])
    assert output["request"]["headers"]["x-forwarded-host"] == {"value": "d111.cloudfront.net"}
    assert result["FunctionExecutionLogs"] == ["public host d111.cloudfront.net"]
    assert result["FunctionErrorMessage"] == ""
    assert 0 < int(result["ComputeUtilization"]) <= 100
    failing = run_function("function handler(e){ throw new TypeError('nope') }", event)
    assert failing["FunctionErrorMessage"] == "TypeError: nope" and failing["FunctionOutput"] == ""


def test_run_function_rejects_code_that_cannot_compile():
    for code in ("function handler( {", "var x = 1;", "x" * 11 * 1024):
        with pytest.raises(FunctionCodeError):
            run_function(code, {})
    with pytest.raises(FunctionCodeError):
        CompiledFunction("function handler(e){}", runtime="cloudfront-js-3.0")


def test_logs_are_truncated_at_10_kb():
    result = run_function(
        "function handler(e){ for (var i = 0; i < 100; i++) console.log('x'.repeat(500)); return e.request }",
        {"request": {}},
    )
    assert sum(len(line) for line in result["FunctionExecutionLogs"]) == 10 * 1024
