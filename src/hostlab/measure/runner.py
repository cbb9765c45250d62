"""One run of the probes: estimate, resume, cleanup before and after, the calibration file at the end.

Order matters: the App Runner probes first, then the CloudFront ones (their distribution has the service as
origin), the configuration change after the other CloudFront probes (it changes the default behaviour), and
the paused-service probe last (it pauses the service everything else uses).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import hostlab
from hostlab.measure import apprunner_probes as ap
from hostlab.measure import cloudfront_probes as cf
from hostlab.measure import resources, writer
from hostlab.measure.entries import Entry, Probe

PROBES: tuple[Probe, ...] = (
    Probe("HOSTLAB_APPRUNNER_TLS_VERSIONS", "setting", "service", ap.tls_versions),
    Probe("apprunner_unknown_host", "observation", "service", ap.unknown_host),
    Probe("apprunner_forwarded_headers", "observation", "service", ap.forwarded_headers),
    Probe("apprunner_plain_http", "observation", "service", ap.plain_http),
    Probe(
        "HOSTLAB_CLOUDFRONT_DEFAULT_ORIGIN_SSL_PROTOCOLS",
        "setting",
        "distribution",
        cf.default_origin_ssl_protocols,
    ),
    Probe(
        "HOSTLAB_CLOUDFRONT_CACHING_DISABLED_CACHES_ERRORS",
        "setting",
        "distribution",
        cf.caching_disabled_caches_errors,
    ),
    Probe(
        "HOSTLAB_CLOUDFRONT_CONFIG_CHANGE_KEEPS_CACHE",
        "setting",
        "distribution",
        cf.config_change_keeps_cache,
    ),
    Probe("HOSTLAB_CLOUDFRONT_ORIGIN_SNI", "setting", "nothing", cf.origin_sni),
    Probe("HOSTLAB_APPRUNNER_PAUSED_STATUS", "setting", "service", ap.paused_answer),
)

# ASSUMPTION (our estimate; AWS documents no durations): on AWS a service takes about 5 minutes to create
# and 2 to delete, each distribution deployment a few minutes (create, the configuration change, the
# disabling before deletion), a pause about 2 minutes. The cost is an upper bound: the instance billed as
# active for the whole duration. CloudFront's requests (a few dozen) stay within its free allowance.
AWS_MINUTES = {"service": 7.0, "distribution": 15.0, "pause": 2.0}
AWS_MINUTES_CEILING = 45.0


@dataclass(frozen=True)
class Estimate:
    minutes: float
    usd: float
    text: str


def estimate(backend: str, left: list[Probe]) -> Estimate:
    """Duration and cost of the probes still to run, on ``backend`` ("aws" or "local")."""
    if not left:
        return Estimate(0.0, 0.0, "nothing left to probe: every probe has a result in the partial file")
    if backend != "aws":
        return Estimate(0.5, 0.0, "local backend: well under a minute, no cost")
    needs = {p.needs for p in left}
    minutes = AWS_MINUTES["service"] if needs & {"service", "distribution"} else 0.0
    minutes += AWS_MINUTES["distribution"] if "distribution" in needs else 0.0
    minutes += AWS_MINUTES["pause"] if any(p.key == "HOSTLAB_APPRUNNER_PAUSED_STATUS" for p in left) else 0.0
    from hostlab.analysis.prices import load_prices

    prices = load_prices()
    cpu, gb = 0.25, 0.5  # resources.INSTANCE
    hours = AWS_MINUTES_CEILING / 60
    usd = (
        gb * prices["apprunner.provisioned_memory_gb_hour"]
        + cpu * prices["apprunner.active_vcpu_hour"]
        + gb * prices["apprunner.active_memory_gb_hour"]
    ) * hours
    text = (
        f"aws backend: about {minutes:.0f} minutes (at most {AWS_MINUTES_CEILING:.0f}), "
        f"at most USD {usd:.2f} "
        f"(one {cpu:g} vCPU / {gb:g} GB App Runner instance for {AWS_MINUTES_CEILING:.0f} minutes; prices of "
        f"{prices.path.name}); CloudFront's few dozen requests stay within its free allowance"
    )
    return Estimate(minutes, usd, text)


def default_out_dir(backend: str) -> Path:
    """calibrations/ for AWS measurements; build/measure/ for the local backend, whose results are the
    emulator's own behaviour, not measurements."""
    return Path("calibrations") if backend == "aws" else Path("build") / "measure"


def clients(backend):
    """Boto3 clients for the probes (App Runner with refusals explained, see hostlab.aws_guard)."""
    import boto3

    from hostlab import aws_guard

    apprunner = aws_guard.explained(boto3.client("apprunner", region_name=backend.region))
    # CloudFront's API lives in us-east-1 whatever the region of the service.
    cloudfront = boto3.client("cloudfront", region_name="us-east-1")
    return apprunner, cloudfront


def run(
    out_dir: str | Path | None = None,
    *,
    backend=None,
    confirm: Callable[[Estimate], bool] | None = None,
    say: Callable[[str], None] = print,
    today: str | None = None,
) -> Path:
    """Run every probe without a result yet; return the calibration file written.

    ``backend``: a hostlab.backend.Backend (default: hostlab.connect(), which on aws checks the account).
    ``confirm``: asked with the estimate before anything is created; False stops the run (nothing created).
    """
    backend = backend or hostlab.connect()
    out = Path(out_dir) if out_dir is not None else default_out_dir(backend.name)
    partial_file = writer.partial_path(out, backend.name, backend.region)
    document = writer.load_partial(partial_file, backend.name, backend.region)
    if document is None:
        date = today or dt.datetime.now(dt.UTC).date().isoformat()
        document = writer.new_document(date, backend.region, backend.name, f"hostlab {hostlab.__version__}")
    else:
        say(f"measure: resuming {partial_file} (started {document['date']})")
    done = set(document["entries"]) | set(document["observations"])
    left = [p for p in PROBES if p.key not in done]
    for p in PROBES:
        if p.key in done:
            say(f"measure: {p.key}: already done, skipped")
    guess = estimate(backend.name, left)
    say(f"measure: estimate: {guess.text}")
    if left and confirm is not None and not confirm(guess):
        raise MeasureCancelled("cancelled before anything was created")
    apprunner, cloudfront = clients(backend)
    known = [backend.account]
    if left:
        found = resources.cleanup(apprunner, cloudfront, say)
        if found:
            say(f"measure: deleted {found} resource(s) left by an earlier run")
        lab = resources.Lab(apprunner, cloudfront, say)
        try:
            for probe in left:
                say(f"measure: {probe.key} ...")
                result = probe.run(lab)
                known += lab.known_values()
                _record(document, probe, result, lab)
                writer.save(partial_file, document, known)
                say(f"measure: {probe.key}: {_summary(result)}")
        finally:
            known += lab.known_values()
            say("measure: cleaning up (project=hostlab-measure)")
            try:
                resources.cleanup(apprunner, cloudfront, say)
            except BaseException:
                say("measure: cleanup did not finish; `hostlab measure --cleanup` deletes what is left")
                raise
    final = writer.calibration_path(out, document["date"], backend.region)
    writer.save(final, document, known)
    partial_file.unlink(missing_ok=True)
    say(f"measure: wrote {final}")
    return final


class MeasureCancelled(RuntimeError):
    """The reader declined the estimate."""


def _record(document: dict, probe: Probe, result, lab) -> None:
    if probe.kind == "setting":
        assert isinstance(result, Entry)
        document["entries"][probe.key] = result.as_json()
    else:
        document["observations"][probe.key] = result
    if lab.timings:
        document["observations"].setdefault("timings_seconds", {}).update(lab.timings)


def _summary(result) -> str:
    if isinstance(result, Entry):
        return f"{result.value!r}" if result.status == "measured" else f"not measured ({result.reason})"
    return f"{result.get('status', '')} {result.get('headers', {}).get('server', '')}".strip()
