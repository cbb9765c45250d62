"""check(): read the inputs, stand every distribution up on one private local backend, run the probes, and
return a Report (findings in the order distributions -> behaviours -> CHECKS)."""

from __future__ import annotations

import contextlib
import copy
import re
from collections.abc import Callable, Sequence
from typing import Any

from hostlab.check import rules
from hostlab.check.backend import PrivateBackend, private_backend
from hostlab.check.model import CHECKS, NOT_CHECKED, POST_URL, DistributionInput, Finding, Report
from hostlab.check.probes import Prober, accepted_versions
from hostlab.check.standup import Deployed, StandUp

Progress = Callable[[str], None]


def check(
    paths: Sequence[str],
    *,
    params: dict[str, str] | None = None,
    variables: dict[str, str] | None = None,
    origin_kind: str | dict[str, str] | None = None,
    live_distribution_id: str | None = None,
    cloudfront_client: Any = None,
    progress: Progress | None = None,
) -> Report:
    """Check every distribution in ``paths`` (and the live one, read-only, when ``live_distribution_id`` is
    given with a CloudFront client of the reader's account). ``origin_kind``: a kind for every origin, or
    {origin Id or "*": kind}. CheckInputError when an input cannot be read."""
    from hostlab.check.inputs import read

    inputs: list[DistributionInput] = []
    for path in paths:
        inputs.extend(read(path, params=params, variables=variables))
    if live_distribution_id:
        from hostlab.check.inputs.live import read_live  # written by check-cfn; only needed here

        inputs.extend(read_live(live_distribution_id, cloudfront_client))
    return check_inputs(inputs, origin_kind=origin_kind, progress=progress)


def check_inputs(
    inputs: Sequence[DistributionInput],
    *,
    origin_kind: str | dict[str, str] | None = None,
    progress: Progress | None = None,
    env: dict[str, str] | None = None,
    backend: PrivateBackend | None = None,
) -> Report:
    """check() on inputs already read. ``env``: where the private backend's HOSTLAB_* assumptions come from
    (os.environ by default, read only). ``backend``: a private backend the caller started and keeps (the
    tests share one per process); each input's distribution and stand-ins are then deleted after its
    checks, the last one too."""
    kept = backend is not None
    override = {"*": origin_kind} if isinstance(origin_kind, str) else dict(origin_kind or {})
    findings: list[Finding] = []
    notes: list[str] = []
    if not inputs:
        return Report(findings, [], notes)
    with contextlib.nullcontext(backend) if backend else private_backend(env) as backend:
        standup = StandUp(backend)
        for number, dist in enumerate(inputs, 1):
            standins = standup.standins(dist, override)
            if progress is not None:
                progress(_progress_line(dist, standins))
            deployed = standup.deploy(dist, standins)
            notes.extend(f"{dist.name}: {note}" for note in [*dist.notes, *deployed.notes])
            if deployed.error:
                findings.extend(_refused(dist, deployed))
                if number < len(inputs) or kept:
                    standup.release(standins)
                continue
            prober = Prober(
                backend, deployed, None, {}, backend.settings.cloudfront_caching_disabled_caches_errors
            )
            failed = prober.tls_failures()
            if failed:
                prober.tls_failed = failed
                prober.twin = standup.redeploy(deployed, _tls_corrected(deployed.config, failed, standins))
            findings.extend(prober.run())
            if number < len(inputs) or kept:  # the last one goes with the backend, unless it is kept
                standup.retire(deployed)
                standup.release(standins)
    return Report(findings, [d.name for d in inputs], notes)


def _progress_line(dist: DistributionInput, standins: dict) -> str:
    behaviours = 1 + len(rules.items(dist.config.get("CacheBehaviors")))
    kinds = [s.kind for s in standins.values()]
    origins = f"{len(kinds)} origin{'s' if len(kinds) != 1 else ''} ({', '.join(kinds)})"
    return (
        f"checking {dist.name} ({dist.source_file}): {behaviours} behaviour{'s' if behaviours != 1 else ''}, "
        f"{origins}"
    )


def _tls_corrected(created: dict[str, Any], failed: dict, standins: dict) -> dict[str, Any]:
    """The distribution's config as created, with the failing origins' OriginSslProtocols set to what the
    stand-in accepts, so the other probes reach the app (said in their symptoms)."""
    config = copy.deepcopy(created)
    for origin in rules.items(config.get("Origins")):
        if origin.get("Id") in failed:
            versions = list(accepted_versions(standins[origin["Id"]]))
            origin.setdefault("CustomOriginConfig", {})["OriginSslProtocols"] = {
                "Quantity": len(versions),
                "Items": versions,
            }
    return config


def refused_path(message: str) -> tuple[str | int, ...]:
    """The API path an API validation error names ("Value 'TLSv1.3' at 'distributionConfig.origins.items.1
    .member.customOriginConfig.originSslProtocols.items.1.member' failed to satisfy constraint", the
    AWS query-protocol form: 1-based list members), as a DistributionConfig path; () when it names none."""
    found = re.search(r"at '([A-Za-z0-9.]+)'", message)
    if not found:
        return ()
    parts = found.group(1).split(".")
    if parts and parts[0] == "distributionConfig":
        parts = parts[1:]
    path: list[str | int] = []
    index = 0
    while index < len(parts):
        part = parts[index]
        if part == "items" and index + 1 < len(parts) and parts[index + 1].isdigit():
            path += ["Items", int(parts[index + 1]) - 1]
            index += 3 if index + 2 < len(parts) and parts[index + 2] == "member" else 2
            continue
        path.append(part[:1].upper() + part[1:])
        index += 1
    return tuple(path)


def _refused(dist: DistributionInput, deployed: Deployed) -> list[Finding]:
    """Every check NOT_CHECKED, with the backend's refusal (which names the property) as the symptom."""
    try:
        where = str(dist.source.where(refused_path(deployed.error)))
    except Exception:  # a reader's SourceMap must not turn a refusal into a crash
        where = dist.source_file
    found = []
    for view in rules.behaviors(dist.config):
        for check in CHECKS:
            found.append(
                Finding(
                    dist.name,
                    view.label,
                    check,
                    NOT_CHECKED,
                    f"not created: {deployed.error}",
                    deployed.error,
                    where,
                    f"fix what the local backend refuses first ({POST_URL}{CHECKS[check]})",
                )
            )
    return found
