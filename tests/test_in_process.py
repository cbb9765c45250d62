"""hostlab.local.in_process: the backend's own clients hand their requests to the API's WSGI application.

The application must see what werkzeug's server (the one moto runs) would have handed it for the same botocore
request, and the client must get the same answer: each case runs both ways against one recording application.
"""

from __future__ import annotations

import json
import logging
import threading

import boto3
import pytest
from botocore.awsrequest import AWSPreparedRequest, HTTPHeaders
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError
from werkzeug.serving import make_server

from hostlab.local import in_process

# What differs between two signed requests made a moment apart, or is botocore's per-call bookkeeping.
PER_CALL = {"HTTP_AUTHORIZATION", "HTTP_X_AMZ_DATE", "HTTP_AMZ_SDK_INVOCATION_ID", "HTTP_AMZ_SDK_REQUEST"}
COMPARED = (
    "REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "REQUEST_URI", "RAW_URI", "SERVER_NAME",
    "SERVER_PORT", "SERVER_PROTOCOL", "CONTENT_TYPE", "CONTENT_LENGTH", "REMOTE_ADDR", "wsgi.url_scheme",
)
JSON_1_0 = [("Content-Type", "application/x-amz-json-1.0")]

NO_SUCH_DISTRIBUTION = (
    b"<?xml version='1.0'?><ErrorResponse><Error><Type>Sender</Type><Code>NoSuchDistribution</Code>"
    b"<Message>The specified distribution does not exist.</Message></Error></ErrorResponse>"
)
NO_SUCH_FUNCTION = NO_SUCH_DISTRIBUTION.replace(b"NoSuchDistribution", b"NoSuchFunctionExists")


class Recorder:
    """A WSGI application that keeps what it was handed and answers what the test sets."""

    def __init__(self):
        self.seen: list[tuple[dict, bytes]] = []
        self.answer = ("200 OK", [("Content-Type", "application/json")], b"{}")
        self.fail = False

    def __call__(self, environ, start_response):
        if self.fail:
            raise RuntimeError("the application broke")
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        self.seen.append((dict(environ), body))
        status, headers, payload = self.answer
        start_response(status, headers)
        return [payload]


@pytest.fixture
def served():
    """(recorder, url): the recorder behind werkzeug's threaded server, and served in process at that URL."""
    recorder = Recorder()
    server = make_server("127.0.0.1", 0, recorder, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    yield recorder, url
    in_process.forget(url)
    server.shutdown()
    thread.join(5)


def new_client(service, url):
    return boto3.session.Session().client(
        service, region_name="us-east-1", endpoint_url=url, aws_access_key_id="testing",
        aws_secret_access_key="testing", config=Config(retries={"max_attempts": 1}),
    )


def both_ways(recorder, url, service, call):
    """Run ``call`` on a client over HTTP, then on one served in process; the two (environ, body, outcome)."""
    outcomes = []
    for in_proc in (False, True):
        made = new_client(service, url)
        if in_proc:
            in_process.serve(url, recorder)
            assert in_process.attach(made, url)
        before = len(recorder.seen)
        try:
            outcome = call(made)
        except ClientError as error:
            answer = error.response
            outcome = ("error", answer["Error"]["Code"], answer["ResponseMetadata"]["HTTPStatusCode"])
        assert len(recorder.seen) == before + 1
        outcomes.append((*recorder.seen[-1], outcome))
    return outcomes


def assert_same_request(over_http, in_proc):
    (env_http, body_http, _), (env_in, body_in, _) = over_http, in_proc
    assert body_in == body_http
    for key in COMPARED:
        assert env_in.get(key) == env_http.get(key), key
    headers_http = {k: v for k, v in env_http.items() if k.startswith("HTTP_") and k not in PER_CALL}
    headers_in = {k: v for k, v in env_in.items() if k.startswith("HTTP_") and k not in PER_CALL}
    assert headers_in == headers_http
    assert set(env_in) >= PER_CALL and set(env_http) >= PER_CALL


def test_a_json_request_and_its_answer_are_the_same_both_ways(served):
    recorder, url = served
    listed = {"ServiceSummaryList": [{"ServiceName": "web"}]}
    recorder.answer = ("200 OK", JSON_1_0, json.dumps(listed).encode())
    http, inproc = both_ways(
        recorder, url, "apprunner", lambda c: c.list_services(MaxResults=5)["ServiceSummaryList"]
    )
    assert_same_request(http, inproc)
    assert http[1] == b'{"MaxResults": 5}'  # the request had a body to compare
    assert inproc[2] == http[2] == [{"ServiceName": "web"}]


def test_a_rest_path_with_escapes_and_a_query_are_the_same_both_ways(served):
    recorder, url = served
    recorder.answer = ("404 Not Found", [("Content-Type", "text/xml")], NO_SUCH_DISTRIBUTION)
    http, inproc = both_ways(recorder, url, "cloudfront",
                             lambda c: c.get_distribution(Id="E1/ü ?&x"))
    assert_same_request(http, inproc)
    assert http[0]["PATH_INFO"] != http[0]["REQUEST_URI"]  # the escapes were there to decode
    assert inproc[2] == http[2] == ("error", "NoSuchDistribution", 404)


def test_a_post_without_a_body_is_the_same_both_ways(served):
    recorder, url = served
    recorder.answer = ("404 Not Found", [("Content-Type", "text/xml")], NO_SUCH_FUNCTION)
    publish = lambda c: c.publish_function(Name="f", IfMatch="E1")  # noqa: E731
    http, inproc = both_ways(recorder, url, "cloudfront", publish)
    assert_same_request(http, inproc)
    assert http[0]["REQUEST_METHOD"] == "POST" and http[1] == b""
    assert inproc[2] == http[2] == ("error", "NoSuchFunctionExists", 404)


def test_a_query_protocol_form_body_is_the_same_both_ways(served):
    recorder, url = served
    recorder.answer = ("200 OK", [("Content-Type", "text/xml")], (
        b"<GetCallerIdentityResponse><GetCallerIdentityResult><Account>123456789012</Account>"
        b"</GetCallerIdentityResult></GetCallerIdentityResponse>"))
    http, inproc = both_ways(recorder, url, "sts", lambda c: c.get_caller_identity()["Account"])
    assert_same_request(http, inproc)
    assert b"Action=GetCallerIdentity" in http[1]
    assert inproc[2] == http[2] == "123456789012"


def test_a_streamed_output_reads_the_same_both_ways(served):
    recorder, url = served
    recorder.answer = ("200 OK", [("Content-Type", "application/octet-stream"), ("ETag", "E1")],
                       b"function handler(event) { return event.request; }")
    http, inproc = both_ways(recorder, url, "cloudfront",
                             lambda c: c.get_function(Name="f", Stage="LIVE")["FunctionCode"].read())
    assert inproc[2] == http[2] == b"function handler(event) { return event.request; }"


def test_an_application_error_is_a_500_and_a_warning_with_its_traceback(served, caplog):
    recorder, url = served
    in_process.serve(url, recorder)
    made = new_client("apprunner", url)
    assert in_process.attach(made, url)
    recorder.answer = ("200 OK", JSON_1_0, b'{"ServiceSummaryList": []}')
    assert made.list_services()["ServiceSummaryList"] == []  # positive control: the same client, working
    recorder.fail = True
    logger = "hostlab.local.in_process"
    with caplog.at_level(logging.WARNING, logger=logger), pytest.raises(ClientError) as raised:
        made.list_services()
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    records = [r for r in caplog.records if r.name == logger]
    assert records  # one per attempt (botocore retries a 500)
    for record in records:
        assert record.levelno == logging.WARNING and "the application broke" in str(record.exc_info[1])


def test_only_a_served_url_is_called_in_process_and_a_forgotten_one_fails_like_a_stopped_server(served):
    recorder, url = served
    made = new_client("apprunner", url)
    assert not in_process.attach(made, url)  # not served here: over HTTP, and the server answers
    recorder.answer = ("200 OK", JSON_1_0, b'{"ServiceSummaryList": []}')
    made.list_services()
    assert recorder.seen[-1][0]["REMOTE_PORT"] != 0  # a real connection
    in_process.serve(url, recorder)
    assert in_process.attach(made, url)
    made.list_services()
    assert recorder.seen[-1][0]["REMOTE_PORT"] == 0 and len(recorder.seen) == 2
    in_process.forget(url)
    with pytest.raises(EndpointConnectionError):
        made.list_services()
    assert len(recorder.seen) == 2


def test_only_requests_to_this_api_are_taken_not_a_port_that_merely_starts_alike(served):
    recorder, url = served
    in_process.serve(url, recorder)
    sender = in_process._Sender(url)
    headers = HTTPHeaders()
    assert sender(request=AWSPreparedRequest("GET", f"{url}1/", headers, b"", False)) is None
    assert sender(request=AWSPreparedRequest("GET", f"{url}/x", headers, b"", False)).status_code == 200
    assert recorder.seen[-1][0]["PATH_INFO"] == "/x" and len(recorder.seen) == 1
