"""Guards for the aws backend: the tutorial creates and deletes real resources, so it runs only against the
sandbox account the reader names in HOSTLAB_AWS_ACCOUNT.

What it guards:
  * the account: HOSTLAB_BACKEND=aws runs only when HOSTLAB_AWS_ACCOUNT equals the account of the
    credentials in use (sts:GetCallerIdentity), and never with AWS_ENDPOINT_URL pointing elsewhere;
    the local backend's account (123456789012) only in a rehearsal (HOSTLAB_AWS_REHEARSAL=1,
    hostlab.tutorial.rehearsal), where every endpoint must be loopback;
  * the region: AWS_REGION, then AWS_DEFAULT_REGION, then the profile's region, then us-east-1
    (:func:`resolve_region`); it is written back to AWS_DEFAULT_REGION so every client of the process agrees;
  * App Runner's refusal of accounts that are not existing customers (:func:`explained`), turned into a
    message that says what the reader can still do.
Cleanup on failure paths lives with the test run (hostlab.tutorial.pytest_notebooks) and in 05-cleanup; the
cost of
a full run is printed by notebook 01 (hostlab.platforms.apprunner.resources.run_cost_line).
"""

from __future__ import annotations

import os
import re

from hostlab.settings import DEFAULT_REGION


class SandboxError(RuntimeError):
    """The aws backend refuses to run: the message says why and what to set."""


def masked(account: str) -> str:
    """An account ID with all but its last four digits hidden, for output that readers may share."""
    return "*" * max(len(account) - 4, 0) + account[-4:]


def ensure_sandbox(env: dict[str, str] | None = None) -> tuple[str, str]:
    """Check that the credentials in use belong to HOSTLAB_AWS_ACCOUNT; return (account, region).

    In a rehearsal (HOSTLAB_AWS_REHEARSAL=1, hostlab.tutorial.rehearsal) the same checks run against the local
    backend: every endpoint must be loopback and the account must be the local backend's. Outside a
    rehearsal, the local account and any endpoint override are refused.
    """
    from hostlab.tutorial.rehearsal import REHEARSAL_ENV, RehearsalSettingError, rehearsing

    env = os.environ if env is None else env
    try:
        rehearsal = rehearsing(env)
    except RehearsalSettingError as exc:
        raise SandboxError(str(exc)) from None
    expected = env.get("HOSTLAB_AWS_ACCOUNT", "").strip()
    if not expected:
        raise SandboxError(
            "HOSTLAB_BACKEND=aws needs HOSTLAB_AWS_ACCOUNT=<the 12-digit ID of your sandbox account>: the "
            "tutorial creates and deletes real resources and runs only where you said it may"
        )
    if not re.fullmatch(r"\d{12}", expected):
        raise SandboxError(f"HOSTLAB_AWS_ACCOUNT={expected!r} is not a 12-digit AWS account ID")
    endpoints = _endpoint_overrides(env)
    if rehearsal:
        _check_rehearsal(expected, endpoints, env)
    else:
        if endpoints:
            name, url = next(iter(endpoints.items()))
            raise SandboxError(
                f"{name}={url} is set, so the SDK would not reach AWS. This shell was prepared for the local "
                "backend (`hostlab up`): use a fresh shell, or unset the variables that `hostlab env` "
                f"prints. To rehearse the aws tier on the local backend, set {REHEARSAL_ENV}=1 "
                "(`make rehearse-aws`)"
            )
        if expected == LOCAL_ACCOUNT:
            raise SandboxError(
                f"HOSTLAB_AWS_ACCOUNT={LOCAL_ACCOUNT} is the local backend's account (moto's default, and "
                "the example ID of AWS's documentation), not a sandbox account: set your own account's ID. "
                f"To rehearse the aws tier on the local backend, set {REHEARSAL_ENV}=1 (`make rehearse-aws`)"
            )

    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    region = resolve_region(env)
    if env is os.environ:
        # Clients created later in the notebook (boto3.client("apprunner")) read this one variable.
        os.environ["AWS_DEFAULT_REGION"] = region
    session = boto3.session.Session(region_name=region)
    # In a rehearsal STS is asked at the endpoint just checked, never at one boto3 might find elsewhere.
    sts_endpoint = endpoints.get("AWS_ENDPOINT_URL_STS", endpoints.get("AWS_ENDPOINT_URL"))
    try:
        # GetCallerIdentity needs no permission, so any valid credentials can answer it
        # (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html).
        sts = session.client("sts", region_name=region, endpoint_url=sts_endpoint if rehearsal else None)
        account = sts.get_caller_identity()["Account"]
    except (BotoCoreError, ClientError) as exc:
        raise SandboxError(f"could not ask STS which account these credentials belong to: {exc}") from exc
    if account != expected:
        raise SandboxError(
            f"the credentials in use belong to account {masked(account)}, not to HOSTLAB_AWS_ACCOUNT "
            f"{masked(expected)}: refusing to create resources there. Switch credentials (AWS_PROFILE) "
            f"or fix HOSTLAB_AWS_ACCOUNT"
        )
    return account, region


# The local backend's account: moto's default account ID, which is also the example account ID of AWS's
# documentation (the STS API reference's own GetCallerIdentity examples answer "123456789012",
# https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html), so it names no
# reader's sandbox.
LOCAL_ACCOUNT = "123456789012"


def _endpoint_overrides(env) -> dict[str, str]:
    """AWS_ENDPOINT_URL and the service-specific AWS_ENDPOINT_URL_<SERVICE> variables that are set: each
    sends an SDK somewhere other than AWS's own endpoints (AWS SDKs and Tools Reference Guide,
    "Service-specific endpoints", https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html)."""
    return {
        name: value.strip()
        for name, value in sorted(env.items())
        if (name == "AWS_ENDPOINT_URL" or name.startswith("AWS_ENDPOINT_URL_")) and value.strip()
    }


def _is_loopback(url: str) -> bool:
    from urllib.parse import urlsplit

    return urlsplit(url).hostname in ("127.0.0.1", "localhost", "::1")


def _check_rehearsal(expected: str, endpoints: dict[str, str], env) -> None:
    """A rehearsal runs on the local backend only: loopback endpoints, the local account."""
    # With this variable true the SDKs ignore every configured endpoint URL (same guide page as above).
    if env.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").strip().lower() == "true":
        raise SandboxError(
            "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true makes the SDK ignore AWS_ENDPOINT_URL and reach AWS: "
            "a rehearsal runs on the local backend only, so unset it"
        )
    if "AWS_ENDPOINT_URL" not in endpoints:
        raise SandboxError(
            "HOSTLAB_AWS_REHEARSAL=1 rehearses the aws tier on the local backend, but AWS_ENDPOINT_URL is "
            "not set, so the SDK would reach AWS: start the rehearsal with `make rehearse-aws`, or call "
            "hostlab.connect(), which points this process at the local backend"
        )
    if remote := {n: u for n, u in endpoints.items() if not _is_loopback(u)}:
        name, url = next(iter(remote.items()))
        raise SandboxError(
            f"HOSTLAB_AWS_REHEARSAL=1 runs on the local backend only, and {name}={url} is not a loopback "
            "address: refusing to rehearse against it"
        )
    if expected != LOCAL_ACCOUNT:
        raise SandboxError(
            f"HOSTLAB_AWS_REHEARSAL=1 runs on the local backend, whose account is {LOCAL_ACCOUNT}, but "
            f"HOSTLAB_AWS_ACCOUNT is {masked(expected)}: a rehearsal never uses a real account"
        )


def resolve_region(env=None) -> str:
    """The region the aws backend uses: AWS_REGION, AWS_DEFAULT_REGION, the profile's, else us-east-1.

    AWS_REGION comes first as in the AWS SDKs' shared configuration
    (https://docs.aws.amazon.com/sdkref/latest/guide/feature-region.html). us-east-1 is this project's
    default (the SDKs have none): CloudFront's control plane lives there, and so must the ACM certificates
    CloudFront uses (API reference ViewerCertificate, ACMCertificateArn).
    """
    env = os.environ if env is None else env
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        if value := env.get(name, "").strip():
            return value
    import boto3

    return boto3.session.Session().region_name or DEFAULT_REGION


# ---------------------------------------------------------------------------------------------------------
# App Runner's refusal of new customers
# ---------------------------------------------------------------------------------------------------------

AVAILABILITY_PAGE = "https://docs.aws.amazon.com/apprunner/latest/dg/apprunner-availability-change.html"
# ASSUMPTION: AWS does not document which error App Runner returns to an account that is not an existing
# customer (closed to new customers since 2026-04-30, see AVAILABILITY_PAGE). These are the codes AWS uses
# for "this account may not use this service" (AccessDeniedException for denied calls,
# SubscriptionRequiredException and OptInRequired for services an account is not signed up for); a message
# that mentions new customers is matched whatever its code.
REFUSAL_CODES = frozenset({"AccessDeniedException", "SubscriptionRequiredException", "OptInRequired"})


class AppRunnerRefusedError(RuntimeError):
    """App Runner refused the account; the message says why that probably is and what is left to do."""


def refusal_message(operation: str, code: str, message: str) -> str | None:
    """The reader-facing explanation for an App Runner error, or None when it is not a refusal."""
    if code not in REFUSAL_CODES and "new customer" not in message.lower():
        return None
    return (
        f"App Runner refused {operation}: {code}: {message}\n"
        "If your IAM permissions allow App Runner, the likely reason is that this account is not an "
        "existing App Runner customer: App Runner is closed to new customers since 2026-04-30 "
        f"({AVAILABILITY_PAGE}).\n"
        "What you can still do: run the tutorial on the local backend (unset HOSTLAB_BACKEND; it needs no "
        "account), or deploy the same container with Amazon ECS Express Mode, which AWS recommends instead; "
        "its shared load balancers also route by host, so the CloudFront lessons apply unchanged."
    )


def explained(apprunner):
    """Return ``apprunner`` (a boto3 App Runner client) with refusals raised as AppRunnerRefusedError.

    A botocore ``after-call`` handler reads each parsed error; everything that is not a refusal goes on as
    the usual ClientError. Harmless on the local backend, which never refuses an account.
    """

    def on_error(parsed, model, **_):
        error = parsed.get("Error") if isinstance(parsed, dict) else None
        if not error:
            return
        text = refusal_message(model.name, str(error.get("Code", "")), str(error.get("Message", "")))
        if text:
            raise AppRunnerRefusedError(text)

    apprunner.meta.events.register("after-call.apprunner", on_error, unique_id="hostlab-apprunner-refusal")
    return apprunner
