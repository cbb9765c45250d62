"""Guards for the aws backend: the tutorial creates and deletes real resources, so it runs only against the
sandbox account the reader names in HOSTLAB_AWS_ACCOUNT.

What it guards:
  * the account: HOSTLAB_BACKEND=aws runs only when HOSTLAB_AWS_ACCOUNT equals the account of the
    credentials in use (sts:GetCallerIdentity), and never with AWS_ENDPOINT_URL pointing elsewhere;
  * the region: AWS_REGION, then AWS_DEFAULT_REGION, then the profile's region, then us-east-1
    (:func:`resolve_region`); it is written back to AWS_DEFAULT_REGION so every client of the process agrees;
  * App Runner's refusal of accounts that are not existing customers (:func:`explained`), turned into a
    message that says what the reader can still do.
Cleanup on failure paths lives with the test run (hostlab.pytest_notebooks) and in 05-cleanup; the cost of
a full run is printed by notebook 01 (hostlab.tutorial_resources.run_cost_line).
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
    """Check that the credentials in use belong to HOSTLAB_AWS_ACCOUNT; return (account, region)."""
    env = os.environ if env is None else env
    expected = env.get("HOSTLAB_AWS_ACCOUNT", "").strip()
    if not expected:
        raise SandboxError(
            "HOSTLAB_BACKEND=aws needs HOSTLAB_AWS_ACCOUNT=<the 12-digit ID of your sandbox account>: the "
            "tutorial creates and deletes real resources and runs only where you said it may"
        )
    if not re.fullmatch(r"\d{12}", expected):
        raise SandboxError(f"HOSTLAB_AWS_ACCOUNT={expected!r} is not a 12-digit AWS account ID")
    if env.get("AWS_ENDPOINT_URL"):
        raise SandboxError(
            f"AWS_ENDPOINT_URL={env['AWS_ENDPOINT_URL']} is set, so the SDK would not reach AWS. This "
            "shell was prepared for the local backend (`hostlab up`): use a fresh shell, or unset the "
            "variables that `hostlab env` prints"
        )

    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    region = resolve_region(env)
    if env is os.environ:
        # Clients created later in the notebook (boto3.client("apprunner")) read this one variable.
        os.environ["AWS_DEFAULT_REGION"] = region
    session = boto3.session.Session(region_name=region)
    try:
        # GetCallerIdentity needs no permission, so any valid credentials can answer it
        # (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html).
        account = session.client("sts", region_name=region).get_caller_identity()["Account"]
    except (BotoCoreError, ClientError) as exc:
        raise SandboxError(f"could not ask STS which account these credentials belong to: {exc}") from exc
    if account != expected:
        raise SandboxError(
            f"the credentials in use belong to account {masked(account)}, not to HOSTLAB_AWS_ACCOUNT "
            f"{masked(expected)}: refusing to create resources there. Switch credentials (AWS_PROFILE) "
            f"or fix HOSTLAB_AWS_ACCOUNT"
        )
    return account, region


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
