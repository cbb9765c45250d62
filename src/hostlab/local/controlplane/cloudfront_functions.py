"""CloudFront Functions with their two stages, as the API reference describes them.

- CreateFunction puts the code in the DEVELOPMENT stage; PublishFunction copies DEVELOPMENT to LIVE and
  needs the function's current ETag in If-Match (API reference PublishFunction).
- UpdateFunction changes DEVELOPMENT only and returns a new ETag; LIVE changes on the next publish
  (API reference UpdateFunction, CF-DG publish-function.html).
- DescribeFunction and GetFunction read either stage, DEVELOPMENT by default (API reference, Stage).
- Only LIVE functions can be associated with a cache behaviour (API reference FunctionAssociations).
- DeleteFunction needs If-Match and is refused while a distribution uses the function (FunctionInUse).

Each stage has its own ETag. ASSUMPTION: DeleteFunction and PublishFunction expect the DEVELOPMENT ETag (the
one DescribeFunction returns without Stage, which is where both API pages send the reader); TestFunction
expects the ETag of the stage it tests.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hostlab.local.controlplane import cloudfront_errors as errors
from hostlab.local.controlplane.botocore_model import enum
from hostlab.local.controlplane.cloudfront_lists import page, parse_max_items

# API reference CreateFunction: Name pattern [a-zA-Z0-9-_]{1,64}. Runtimes and stages: botocore's model.
NAME_PATTERN = re.compile(r"[a-zA-Z0-9\-_]{1,64}")
RUNTIMES = enum("cloudfront", "FunctionRuntime")
STAGES = enum("cloudfront", "FunctionStage")
# CF-DG cloudfront-limits.html, "Quotas on CloudFront Functions": maximum function size 10 KB.
MAX_CODE_BYTES = 10 * 1024


@dataclass
class Stage:
    config: dict[str, Any]
    code: bytes
    etag: str
    last_modified: datetime


@dataclass
class CloudFrontFunction:
    name: str
    arn: str
    created: datetime
    development: Stage
    live: Stage | None = None

    def stage(self, name: str | None) -> Stage:
        name = name or "DEVELOPMENT"
        if name not in STAGES:
            raise errors.validation_error(name, "stage", STAGES)
        if name == "DEVELOPMENT":
            return self.development
        if self.live is None:
            raise errors.function_not_published(self.name)
        return self.live


def _code_bytes(code: Any) -> bytes:
    if isinstance(code, str):
        return code.encode()
    return bytes(code or b"")


def _validated(config: dict[str, Any], code: Any) -> tuple[dict[str, Any], bytes]:
    runtime = config.get("Runtime")
    if runtime not in RUNTIMES:
        raise errors.validation_error(runtime, "functionConfig.runtime", RUNTIMES)
    body = _code_bytes(code)
    if len(body) > MAX_CODE_BYTES:
        raise errors.function_too_large()
    if not body.strip():
        # ASSUMPTION: wording; a function needs code (FunctionCode is required and has min length 1).
        raise errors.invalid_argument("The parameter FunctionCode is required.")
    return copy.deepcopy(config), body


# The fields of TestResult the runtime fills in (API reference TestResult); FunctionSummary is added here.
TEST_RESULT_FIELDS = ("FunctionOutput", "FunctionExecutionLogs", "FunctionErrorMessage", "ComputeUtilization")


@dataclass(frozen=True)
class PreparedTest:
    """What one TestFunction call needs, copied out of the store: it runs with no lock held.

    A function may run for up to the runtime's wall-clock limit (hostlab.local.functions.runtime); the
    CloudFront API lock is held only while this is read (hostlab.local.controlplane.cloudfront_extension), so
    other API calls and the edge's configuration reads go on while the code runs.
    """

    summary: dict[str, Any]
    code: str
    runtime: str
    event: Any

    def run(self) -> dict[str, Any]:
        # Imported on first use: the JavaScript runtime is only needed by TestFunction (and the edge).
        from hostlab.local.functions import runtime as js_runtime

        try:
            outcome = js_runtime.run_function(self.code, self.event, runtime=self.runtime)
        except js_runtime.FunctionCodeError as exc:
            raise errors.test_function_failed(str(exc)) from None
        result = {key: outcome[key] for key in TEST_RESULT_FIELDS if outcome.get(key) not in (None, "")}
        result["FunctionExecutionLogs"] = list(outcome.get("FunctionExecutionLogs") or [])
        return {"FunctionSummary": self.summary, **result}


class FunctionStore:
    """One account's CloudFront Functions."""

    def __init__(
        self,
        *,
        arn_prefix: str,
        new_etag: Callable[[], str],
        clock: Callable[[], datetime],
        associations: Callable[[str], int],
    ) -> None:
        self._arn_prefix = arn_prefix  # arn:aws:cloudfront::<account>:function/
        self._new_etag = new_etag
        self._clock = clock
        # How many distributions associate a function ARN; decides FunctionInUse and the LIVE Status.
        self._associations = associations
        self._functions: dict[str, CloudFrontFunction] = {}

    def get(self, name: str) -> CloudFrontFunction:
        function = self._functions.get(name)
        if function is None:
            raise errors.no_such_function(name)
        return function

    def by_arn(self, arn: str) -> CloudFrontFunction | None:
        name = arn.removeprefix(self._arn_prefix)
        return self._functions.get(name) if arn.startswith(self._arn_prefix) else None

    def summary(self, function: CloudFrontFunction, stage_name: str | None) -> dict[str, Any]:
        stage_name = stage_name or "DEVELOPMENT"
        stage = function.stage(stage_name)
        if stage_name == "DEVELOPMENT":
            # ASSUMPTION (as moto 5.2.5 answers): the DEVELOPMENT stage reads UNPUBLISHED.
            status = "UNPUBLISHED"
        else:
            # ASSUMPTION: LIVE reads UNASSOCIATED until a distribution uses it, then DEPLOYED; Status is a
            # free string in the API reference (FunctionSummary.Status).
            status = "DEPLOYED" if self._associations(function.arn) else "UNASSOCIATED"
        return {
            "Name": function.name,
            "Status": status,
            "FunctionConfig": copy.deepcopy(stage.config),
            "FunctionMetadata": {
                "FunctionARN": function.arn,
                "Stage": stage_name,
                "CreatedTime": function.created,
                "LastModifiedTime": stage.last_modified,
            },
        }

    def create(self, name: str, config: dict[str, Any], code: Any) -> CloudFrontFunction:
        if not NAME_PATTERN.fullmatch(name or ""):
            # ASSUMPTION: wording; the pattern is the API reference's.
            raise errors.invalid_argument(f"The function name {name!r} does not match [a-zA-Z0-9-_]{{1,64}}.")
        if name in self._functions:
            raise errors.function_already_exists(name)
        config, body = _validated(config, code)
        now = self._clock()
        function = CloudFrontFunction(
            name=name,
            arn=self._arn_prefix + name,
            created=now,
            development=Stage(config=config, code=body, etag=self._new_etag(), last_modified=now),
        )
        self._functions[name] = function
        return function

    def update(
        self, name: str, if_match: str | None, config: dict[str, Any], code: Any
    ) -> CloudFrontFunction:
        function = self._check_if_match(name, if_match, "DEVELOPMENT")
        config, body = _validated(config, code)
        function.development = Stage(
            config=config, code=body, etag=self._new_etag(), last_modified=self._clock()
        )
        return function

    def publish(self, name: str, if_match: str | None) -> CloudFrontFunction:
        function = self._check_if_match(name, if_match, "DEVELOPMENT")
        source = function.development
        function.live = Stage(
            config=copy.deepcopy(source.config),
            code=source.code,
            etag=self._new_etag(),
            last_modified=self._clock(),
        )
        return function

    def delete(self, name: str, if_match: str | None) -> None:
        function = self._check_if_match(name, if_match, "DEVELOPMENT")
        in_use = self._associations(function.arn)
        if in_use:
            raise errors.function_in_use(name, in_use)
        del self._functions[name]

    def check_test(self, name: str, if_match: str | None, stage_name: str | None) -> Stage:
        function = self._check_if_match(name, if_match, stage_name or "DEVELOPMENT")
        return function.stage(stage_name)

    def prepare_test(
        self, name: str, if_match: str | None, stage_name: str | None, event_object: Any
    ) -> PreparedTest:
        """TestFunction's checks and reads (API reference TestFunction); the run is PreparedTest.run()."""
        stage = self.check_test(name, if_match, stage_name)
        try:
            event = json.loads(event_object.decode() if isinstance(event_object, bytes) else event_object)
        except (TypeError, ValueError) as exc:
            # ASSUMPTION: wording; the event object is a JSON document (CF-DG test-function.html).
            raise errors.invalid_argument(f"The EventObject is not valid JSON: {exc}") from None
        return PreparedTest(
            summary=self.summary(self.get(name), stage_name),
            code=stage.code.decode(errors="replace"),
            runtime=stage.config.get("Runtime") or "cloudfront-js-2.0",
            event=event,
        )

    def list(
        self, marker: str | None, max_items: str | int | None, stage: str | None
    ) -> tuple[list[dict[str, Any]], str | None, int]:
        functions = sorted(self._functions.values(), key=lambda f: f.name)
        if stage:
            if stage not in STAGES:
                raise errors.validation_error(stage, "stage", STAGES)
            if stage == "LIVE":
                functions = [f for f in functions if f.live is not None]
        size = parse_max_items(max_items)
        chunk, next_marker = page(functions, lambda f: f.name, marker, size)
        return [self.summary(f, stage) for f in chunk], next_marker, size

    def _check_if_match(self, name: str, if_match: str | None, stage_name: str) -> CloudFrontFunction:
        function = self.get(name)
        # A missing If-Match is reported before a stage that does not exist.
        errors.check_if_match(if_match, function.stage(stage_name).etag if if_match else "")
        return function
