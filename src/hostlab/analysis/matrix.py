"""The policy matrix: what happens to a request for each CloudFront policy and origin TLS setting.

On the local backend the matrix is *reproduced* from the rules the backend implements (documented rules plus
named assumptions, docs/behaviours.md); only a run with HOSTLAB_BACKEND=aws measures AWS.

For every case the backend gets a distribution of its own in front of one App Runner service running the
demo app, and :func:`probe` asks that distribution for ``/echo`` twice. Each row of the result records what
came back: the status, the ``server`` header, which Host the app received (if the app answered at all), and
X-Cache on the repeated request. Nothing in a result row is typed in: the case names come from the backend's
own lists (ListOriginRequestPolicies, ListCachePolicies, botocore's SslProtocol enum), the values from the
responses.

Cases, in three groups, each varying one setting of a working baseline (CachingDisabled, origin SSL
protocols [TLSv1.2], and for the last two groups the origin request policy AllViewerExceptHostHeader):

* origin request policy: every managed policy, none, and legacy ForwardedValues forwarding all headers;
* cache policy: every managed policy, and a custom policy with Host in the cache key;
* origin SSL protocols: each protocol of the SslProtocol enum on its own.

Every case also gets a prediction (:func:`predict`): the row the documented rules give, computed from the
policies' own settings as the API returns them, so a run can check each probed row against it
(:func:`disagreements`).

Why one distribution per case: the demo app answers ``/echo`` only at that exact path, and CloudFront picks
a cache behaviour by path, so cases cannot share one distribution without rewriting paths (a function),
which would itself be part of what is probed. Cases with identical settings share one distribution.

The distributions are all created first and then waited for (on AWS they deploy side by side), and probed
a few at a time (:func:`probe_all`); each distribution still gets its requests in case order.

Everything created here is tagged ``project=hostlab-matrix`` (not the tutorial's own tag, so the tutorial's
notebooks never mistake a matrix distribution for theirs) and removed by :func:`cleanup`, which also removes
leftovers of an interrupted run.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from hostlab import app, probes, waiters
from hostlab.tutorial.resources import caller_reference, listed

if TYPE_CHECKING:
    from matplotlib.figure import Figure

TAG_KEY, TAG_VALUE = "project", "hostlab-matrix"
SERVICE_NAME = "hostlab-matrix"
ORIGIN_ID = "apprunner"
CUSTOM_CACHE_POLICY_NAME = "hostlab-matrix-host-in-key"
PROBE_PATH = "/echo"

GROUP_ORP = "origin request policy"
GROUP_CACHE = "cache policy"
GROUP_TLS = "origin SSL protocols"
NO_POLICY = "none"
LEGACY_FORWARD_ALL = "legacy: forward all headers"
BASELINE_TLS = "TLSv1.2"
# Managed policy names as the CloudFront API lists them (ListCachePolicies / ListOriginRequestPolicies).
CACHING_DISABLED = "Managed-CachingDisabled"
CACHING_OPTIMIZED = "Managed-CachingOptimized"
ALL_VIEWER_EXCEPT_HOST = "Managed-AllViewerExceptHostHeader"

COLUMNS = ("status", "server", "host the app saw", "x-cache (repeat)")


@dataclass(frozen=True)
class Case:
    """One configuration of the distribution's default cache behaviour and origin."""

    group: str
    label: str
    cache_policy: str | None  # name, None with legacy ForwardedValues
    origin_request_policy: str | None  # name, None for no policy
    ssl_protocols: tuple[str, ...]
    legacy_forward_all: bool = False

    @property
    def settings(self) -> tuple:
        """What makes two cases the same distribution."""
        return (self.cache_policy, self.origin_request_policy, self.ssl_protocols, self.legacy_forward_all)


# ---------------------------------------------------------------------------------------------------------
# The cases, from the backend's own lists
# ---------------------------------------------------------------------------------------------------------


def _policies(cloudfront, kind: str, policy_type: str) -> dict[str, str]:
    """{name: id} of the cache (kind="cache") or origin request (kind="origin_request") policies of a type."""
    return {name: policy_id for name, (policy_id, _) in _policy_items(cloudfront, kind, policy_type).items()}


def policy_configs(cloudfront) -> dict[str, dict]:
    """{name: CachePolicyConfig or OriginRequestPolicyConfig} of every policy, managed and custom, as the API
    lists them: what :func:`predict` reads. The matrix's own custom policy is the config :func:`run` will
    create when the backend does not list it yet."""
    found: dict[str, dict] = {CUSTOM_CACHE_POLICY_NAME: CUSTOM_CACHE_POLICY_CONFIG}
    for kind in ("cache", "origin_request"):
        for policy_type in ("managed", "custom"):
            found.update({n: c for n, (_, c) in _policy_items(cloudfront, kind, policy_type).items()})
    return found


def _policy_items(cloudfront, kind: str, policy_type: str) -> dict[str, tuple[str, dict]]:
    """{name: (id, config)} of the policies of one kind and type, every page."""
    lister = getattr(cloudfront, f"list_{kind}_policies")
    list_key = "CachePolicyList" if kind == "cache" else "OriginRequestPolicyList"
    item_key = "CachePolicy" if kind == "cache" else "OriginRequestPolicy"
    config_key = f"{item_key}Config"
    found: dict[str, tuple[str, dict]] = {}
    marker = None
    while True:
        page = lister(Type=policy_type, **({"Marker": marker} if marker else {}))[list_key]
        for item in page.get("Items", []) or []:
            policy = item[item_key]
            found[policy[config_key]["Name"]] = (policy["Id"], policy[config_key])
        marker = page.get("NextMarker")
        if not marker:
            return found


def ssl_protocol_choices(cloudfront) -> list[str]:
    """Every value OriginSslProtocols accepts, from botocore's model of the CloudFront API (SslProtocol)."""
    return list(cloudfront.meta.service_model.shape_for("SslProtocol").enum)


def cases(cloudfront) -> list[Case]:
    """The three groups of cases (see the module docstring); policy names are the backend's."""
    managed_orps = sorted(_policies(cloudfront, "origin_request", "managed"))
    baseline = {"cache_policy": CACHING_DISABLED, "ssl_protocols": (BASELINE_TLS,)}
    result = [Case(GROUP_ORP, name, origin_request_policy=name, **baseline) for name in managed_orps]
    result.append(Case(GROUP_ORP, NO_POLICY, origin_request_policy=None, **baseline))
    result.append(Case(GROUP_ORP, LEGACY_FORWARD_ALL, None, None, (BASELINE_TLS,), legacy_forward_all=True))
    fixed_orp = {"origin_request_policy": ALL_VIEWER_EXCEPT_HOST, "ssl_protocols": (BASELINE_TLS,)}
    # Every managed cache policy (CF-DG using-managed-cache-policies.html), then the custom Host-keyed one.
    for name in [*sorted(_policies(cloudfront, "cache", "managed")), CUSTOM_CACHE_POLICY_NAME]:
        result.append(Case(GROUP_CACHE, name, cache_policy=name, **fixed_orp))
    for protocol in ssl_protocol_choices(cloudfront):
        result.append(
            Case(GROUP_TLS, protocol, CACHING_DISABLED, ALL_VIEWER_EXCEPT_HOST, ssl_protocols=(protocol,))
        )
    return result


def cases_table(case_list: Iterable[Case]) -> pd.DataFrame:
    """The cases as a table: group, case, and the settings each one uses."""
    rows = [
        {
            "group": c.group,
            "case": c.label,
            "cache policy": c.cache_policy or "(legacy ForwardedValues)",
            "origin request policy": c.origin_request_policy or ("(legacy)" if c.legacy_forward_all else "-"),
            "origin SSL protocols": ", ".join(c.ssl_protocols),
        }
        for c in case_list
    ]
    return pd.DataFrame(rows).set_index(["group", "case"])


# ---------------------------------------------------------------------------------------------------------
# Creating what the cases need
# ---------------------------------------------------------------------------------------------------------


def _tags_list() -> list[dict[str, str]]:
    return [{"Key": TAG_KEY, "Value": TAG_VALUE}]


CUSTOM_CACHE_POLICY_CONFIG = {
    "Name": CUSTOM_CACHE_POLICY_NAME,
    "Comment": "hostlab policy matrix: Host in the cache key",
    "MinTTL": 0,
    "DefaultTTL": 60,
    "MaxTTL": 300,
    "ParametersInCacheKeyAndForwardedToOrigin": {
        "EnableAcceptEncodingGzip": False,
        "EnableAcceptEncodingBrotli": False,
        "HeadersConfig": {"HeaderBehavior": "whitelist", "Headers": listed(["Host"])},
        "CookiesConfig": {"CookieBehavior": "none"},
        "QueryStringsConfig": {"QueryStringBehavior": "none"},
    },
}


def ensure_custom_cache_policy(cloudfront) -> str:
    """A cache policy with Host in the cache key (and so forwarded to the origin); returns its Id.

    Header key settings need a TTL above 0: with all TTLs 0 CloudFront refuses them (aws-cdk issues 13441,
    16977), so the policy keeps objects for up to 60 s by default.
    """
    existing = _policies(cloudfront, "cache", "custom")
    if CUSTOM_CACHE_POLICY_NAME in existing:
        return existing[CUSTOM_CACHE_POLICY_NAME]
    created = cloudfront.create_cache_policy(CachePolicyConfig=CUSTOM_CACHE_POLICY_CONFIG)
    return created["CachePolicy"]["Id"]


def ensure_service(apprunner) -> str:
    """The matrix's App Runner service running the demo app (created when missing); returns its domain."""
    arn = _service_arn(apprunner)
    if arn is None:
        arn = apprunner.create_service(
            ServiceName=SERVICE_NAME,
            SourceConfiguration=app.source_configuration(),
            HealthCheckConfiguration=app.health_check_configuration(),
            Tags=_tags_list(),
        )["Service"]["ServiceArn"]
    waiters.apprunner_waiter(apprunner, "ServiceRunning").wait(ServiceArn=arn)
    return apprunner.describe_service(ServiceArn=arn)["Service"]["ServiceUrl"]


def _service_arn(apprunner) -> str | None:
    token = None
    while True:
        page = apprunner.list_services(**({"NextToken": token} if token else {}))
        for summary in page.get("ServiceSummaryList", []):
            if summary["ServiceName"] == SERVICE_NAME and summary.get("Status") != "DELETED":
                return summary["ServiceArn"]
        token = page.get("NextToken")
        if not token:
            return None


def distribution_config(case: Case, origin_domain: str, policy_ids: dict[str, str]) -> dict:
    """The DistributionConfig of one case: the service as https-only origin, one default behaviour."""
    origin = {
        "Id": ORIGIN_ID,
        "DomainName": origin_domain,
        "OriginPath": "",
        "CustomHeaders": listed([]),
        "CustomOriginConfig": {
            "HTTPPort": 80,
            "HTTPSPort": 443,
            "OriginProtocolPolicy": "https-only",
            "OriginSslProtocols": listed(list(case.ssl_protocols)),
            "OriginReadTimeout": 30,
            "OriginKeepaliveTimeout": 5,
        },
    }
    behaviour: dict = {
        "TargetOriginId": ORIGIN_ID,
        "ViewerProtocolPolicy": "redirect-to-https",
        "Compress": False,
    }
    if case.legacy_forward_all:
        # Legacy cache settings: "*" forwards every viewer header, Host included (CloudFront API reference,
        # ForwardedValues / Headers); caching on headers "*" is off in effect.
        behaviour["ForwardedValues"] = {
            "QueryString": True,
            "Cookies": {"Forward": "all"},
            "Headers": listed(["*"]),
        }
        behaviour.update(MinTTL=0, DefaultTTL=0, MaxTTL=0)
    else:
        behaviour["CachePolicyId"] = policy_ids[case.cache_policy]
        if case.origin_request_policy:
            behaviour["OriginRequestPolicyId"] = policy_ids[case.origin_request_policy]
    return {
        "CallerReference": caller_reference(),
        "Comment": f"hostlab policy matrix: {case.group}: {case.label}"[:128],
        "Enabled": True,
        "Origins": listed([origin]),
        "DefaultCacheBehavior": behaviour,
        "PriceClass": "PriceClass_100",
    }


# ---------------------------------------------------------------------------------------------------------
# Probing
# ---------------------------------------------------------------------------------------------------------


def host_seen(probe: probes.Probe, origin_domain: str, viewer_domain: str) -> str:
    """Which Host the app received: the origin's domain, the viewer's (distribution) domain, or '-' when the
    app did not answer (an error page of the edge or of App Runner's front has no echo)."""
    host = probe.echo().get("host")
    if not host:
        return "-"
    return {origin_domain: "origin domain", viewer_domain: "viewer host"}.get(host.lower(), host)


def probe(viewer_domain: str, origin_domain: str) -> dict[str, str]:
    """GET https://<viewer_domain>/echo twice; the columns of :data:`COLUMNS`."""
    url = f"https://{viewer_domain}{PROBE_PATH}"
    first = probes.get(url)
    repeat = probes.get(url)
    return {
        "status": str(first.status),
        "server": first.header("server"),
        "host the app saw": host_seen(first, origin_domain, viewer_domain),
        "x-cache (repeat)": repeat.header("x-cache"),
    }


def run(apprunner, cloudfront, case_list: list[Case] | None = None) -> pd.DataFrame:
    """Create what the cases need, deploy, probe each case, and return the results (one row per case).

    Resources stay in place for a look around; :func:`cleanup` removes them.
    """
    case_list = cases(cloudfront) if case_list is None else case_list
    origin_domain = ensure_service(apprunner).lower()
    policy_ids = {
        **_policies(cloudfront, "cache", "managed"),
        **_policies(cloudfront, "origin_request", "managed"),
    }
    policy_ids[CUSTOM_CACHE_POLICY_NAME] = ensure_custom_cache_policy(cloudfront)

    domains: dict[tuple, str] = {}
    created: list[str] = []
    for case in case_list:
        if case.settings in domains:
            continue
        distribution = cloudfront.create_distribution_with_tags(
            DistributionConfigWithTags={
                "DistributionConfig": distribution_config(case, origin_domain, policy_ids),
                "Tags": {"Items": _tags_list()},
            }
        )["Distribution"]
        domains[case.settings] = distribution["DomainName"].lower()
        created.append(distribution["Id"])
    # Created first, waited for after: on AWS the deployments run side by side.
    waiter = waiters.distribution_deployed_waiter(cloudfront)
    for distribution_id in created:
        waiter.wait(Id=distribution_id)

    probed = probe_all(case_list, domains, origin_domain)
    rows = [{"group": c.group, "case": c.label, **probed[i]} for i, c in enumerate(case_list)]
    return pd.DataFrame(rows).set_index(["group", "case"])


# Distributions probed at the same time. Each one's requests stay in case order on one thread, so what a
# distribution sees (first request, then the repeat, then the next case sharing it) is what a one-by-one
# run sends it; only requests to *different* distributions overlap, and they share no cache (the cache key
# always holds the distribution: CF-DG controlling-the-cache-key.html). Most of a probe is waiting on
# loopback sockets, so a few threads cut the wall time of the 30-odd requests.
PROBE_THREADS = 6


def probe_all(case_list: list[Case], domains: dict[tuple, str], origin_domain: str) -> list[dict[str, str]]:
    """:func:`probe` for every case, distributions side by side; results in the order of ``case_list``."""
    by_distribution: dict[tuple, list[int]] = {}
    for index, case in enumerate(case_list):
        by_distribution.setdefault(case.settings, []).append(index)

    def probe_one_distribution(settings: tuple, indexes: list[int]) -> list[tuple[int, dict[str, str]]]:
        return [(index, probe(domains[settings], origin_domain)) for index in indexes]

    # The distribution with the most cases first: its requests are the longest chain, so it starts at once.
    groups = sorted(by_distribution.items(), key=lambda group: -len(group[1]))
    results: dict[int, dict[str, str]] = {}
    with ThreadPoolExecutor(max_workers=PROBE_THREADS, thread_name_prefix="matrix-probe") as pool:
        futures = [pool.submit(probe_one_distribution, s, i) for s, i in groups]
        for future in futures:
            results.update(future.result())
    return [results[index] for index in range(len(case_list))]


# ---------------------------------------------------------------------------------------------------------
# Predicting: the row the documented rules give for a case
# ---------------------------------------------------------------------------------------------------------

WHY = "why"
# Header behaviours of an origin request policy that forward every viewer header, Host included (API
# reference OriginRequestPolicyHeadersConfig; CF-DG using-managed-origin-request-policies.html).
FORWARD_ALL_VIEWER_HEADERS = ("allViewer", "allViewerAndWhitelistCloudFront")


def assumed_origin_tls() -> tuple[str, ...]:
    """The TLS versions App Runner's front accepts, as the backend assumes them: AWS does not document them,
    so this is the named assumption HOSTLAB_APPRUNNER_TLS_VERSIONS (hostlab.settings). On the aws backend
    a prediction that disagrees with the answer means the assumption is wrong."""
    from hostlab.settings import Settings

    return Settings.from_env().apprunner_tls_versions


def _header_names(headers_config: dict) -> set[str]:
    return {h.lower() for h in (headers_config.get("Headers", {}).get("Items") or [])}


def host_forwarded(case: Case, configs: dict[str, dict]) -> str | None:
    """Why the viewer's Host reaches the origin in this case, or None when CloudFront sends the origin's own
    domain name, its default (CF-DG RequestAndResponseBehaviorCustomOrigin.html, "Host")."""
    if case.legacy_forward_all:
        return "legacy ForwardedValues forward every header, Host included"
    if case.origin_request_policy:
        headers = configs[case.origin_request_policy]["HeadersConfig"]
        if headers["HeaderBehavior"] in FORWARD_ALL_VIEWER_HEADERS:
            return "the origin request policy forwards every viewer header, Host included"
        if headers["HeaderBehavior"] == "whitelist" and "host" in _header_names(headers):
            return "the origin request policy forwards Host"
    if case.cache_policy:
        # Values in the cache key are always forwarded to the origin, whatever the origin request policy says
        # (CF-DG understanding-how-origin-request-policies-and-cache-policies-work-together.html).
        key = configs[case.cache_policy]["ParametersInCacheKeyAndForwardedToOrigin"]["HeadersConfig"]
        if key["HeaderBehavior"] == "whitelist" and "host" in _header_names(key):
            return "Host is in the cache key, and cache-key values always reach the origin"
    return None


def ttl_without_cache_control(case: Case, configs: dict[str, dict]) -> int:
    """How long the edge keeps /echo, which the demo app sends without Cache-Control or Expires: the cache
    policy's DefaultTTL, within MinTTL and MaxTTL (CF-DG Expiration.html); 0 for the legacy case, whose
    distribution_config sets all three TTLs to 0."""
    if case.legacy_forward_all or case.cache_policy is None:
        return 0
    policy = configs[case.cache_policy]
    return max(int(policy["MinTTL"]), min(int(policy["DefaultTTL"]), int(policy["MaxTTL"])))


def predict(case: Case, configs: dict[str, dict], origin_tls: Iterable[str]) -> dict[str, str]:
    """The row of :data:`COLUMNS` the rules give for ``case``, plus :data:`WHY`, the rule that decides it.

    Checked in this order, as a request meets them:
    1. no offered protocol is one the origin accepts: the TLS handshake fails and CloudFront answers 502
       with its own error page (CF-DG http-502-bad-gateway.html, "SSL/TLS negotiation failure");
    2. the viewer's Host reaches App Runner (CF-DG RequestAndResponseBehaviorCustomOrigin.html, "Host"):
       its shared front has no route for the distribution's name and Envoy answers 404 with an empty body
       (a community finding, not documented by AWS: the "Unknown Host" row of docs/behaviours.md);
    3. otherwise the app answers with the origin's domain as Host, and the repeat is a Hit when the policy
       keeps the answer (TTL above 0) and a Miss when it does not. An error answer carries
       "X-Cache: Error from cloudfront" on every request (CF-DG http-502-bad-gateway.html; the X-Cache row
       of docs/behaviours.md).
    """
    if not set(case.ssl_protocols) & set(origin_tls):
        offered = ", ".join(case.ssl_protocols)
        return {
            "status": "502",
            "server": "CloudFront",
            "host the app saw": "-",
            "x-cache (repeat)": "Error from cloudfront",
            WHY: f"App Runner's front accepts none of {offered} (assumed: {', '.join(origin_tls)})",
        }
    if reason := host_forwarded(case, configs):
        return {
            "status": "404",
            "server": "envoy",
            "host the app saw": "-",
            "x-cache (repeat)": "Error from cloudfront",
            WHY: reason,
        }
    ttl = ttl_without_cache_control(case, configs)
    cookies = "no cookies" if case.cache_policy is None else _cookies_in_key(configs[case.cache_policy])
    return {
        "status": "200",
        "server": "envoy",
        "host the app saw": "origin domain",
        "x-cache (repeat)": "Hit from cloudfront" if ttl > 0 else "Miss from cloudfront",
        WHY: (
            f"origin's own Host; kept {ttl} s with {cookies} in the cache key"
            if ttl > 0
            else "origin's own Host; nothing kept (TTL 0)"
        ),
    }


def _cookies_in_key(cache_policy: dict) -> str:
    """Which cookies the cache key holds ("no", "all" or "some cookies"): with none, one viewer's copy of a
    personal page can reach another."""
    behaviour = cache_policy["ParametersInCacheKeyAndForwardedToOrigin"]["CookiesConfig"]["CookieBehavior"]
    return {"none": "no cookies", "all": "all cookies"}.get(behaviour, "some cookies")


def predictions(case_list: list[Case], configs: dict[str, dict], origin_tls: Iterable[str]) -> pd.DataFrame:
    """:func:`predict` for every case, indexed like :func:`run`'s results."""
    origin_tls = tuple(origin_tls)
    rows = [{"group": c.group, "case": c.label, **predict(c, configs, origin_tls)} for c in case_list]
    return pd.DataFrame(rows).set_index(["group", "case"])


def disagreements(results: pd.DataFrame, predicted: pd.DataFrame) -> list[str]:
    """One line per probed value that differs from its prediction (empty when every case agrees)."""
    lines = []
    for index, row in results.iterrows():
        for column in COLUMNS:
            if str(row[column]) != str(predicted.at[index, column]):
                lines.append(
                    f"{index[0]}: {index[1]}: {column} is {row[column]!r}, the rules predict "
                    f"{predicted.at[index, column]!r} ({predicted.at[index, WHY]})"
                )
    return lines


# ---------------------------------------------------------------------------------------------------------
# Cleaning up
# ---------------------------------------------------------------------------------------------------------


def _tagged(tags: list[dict]) -> bool:
    return any(t.get("Key") == TAG_KEY and t.get("Value") == TAG_VALUE for t in tags)


def matrix_distributions(cloudfront) -> list[str]:
    """Ids of the distributions tagged project=hostlab-matrix."""
    found = []
    for page in cloudfront.get_paginator("list_distributions").paginate():
        for summary in page.get("DistributionList", {}).get("Items", []) or []:
            if _tagged(cloudfront.list_tags_for_resource(Resource=summary["ARN"])["Tags"].get("Items", [])):
                found.append(summary["Id"])
    return found


def cleanup(apprunner, cloudfront) -> dict[str, int]:
    """Delete every matrix resource: distributions (disabled, deployed, then deleted, as CloudFront
    requires), the custom cache policy (refused while a distribution uses it), the App Runner service.

    Safe to run again and after an interrupted run. Returns how many of each kind were deleted.
    """
    ids = matrix_distributions(cloudfront)
    waiter = waiters.distribution_deployed_waiter(cloudfront)
    for distribution_id in ids:
        current = cloudfront.get_distribution_config(Id=distribution_id)
        if current["DistributionConfig"]["Enabled"]:
            config = {**current["DistributionConfig"], "Enabled": False}
            cloudfront.update_distribution(
                Id=distribution_id, IfMatch=current["ETag"], DistributionConfig=config
            )
    for distribution_id in ids:
        waiter.wait(Id=distribution_id)
        etag = cloudfront.get_distribution(Id=distribution_id)["ETag"]
        cloudfront.delete_distribution(Id=distribution_id, IfMatch=etag)

    policies = 0
    if policy_id := _policies(cloudfront, "cache", "custom").get(CUSTOM_CACHE_POLICY_NAME):
        etag = cloudfront.get_cache_policy(Id=policy_id)["ETag"]
        cloudfront.delete_cache_policy(Id=policy_id, IfMatch=etag)
        policies = 1

    services = 0
    if arn := _service_arn(apprunner):
        waiters.apprunner_waiter(apprunner, "ServiceRunning").wait(ServiceArn=arn)
        apprunner.delete_service(ServiceArn=arn)
        waiters.apprunner_waiter(apprunner, "ServiceDeleted").wait(ServiceArn=arn)
        services = 1
    return {"distributions": len(ids), "cache policies": policies, "App Runner services": services}


# ---------------------------------------------------------------------------------------------------------
# Showing
# ---------------------------------------------------------------------------------------------------------

GOOD, CACHED, BAD, NEUTRAL = 0, 1, 2, 3
VERDICT_COLORS = ("#b7e1b0", "#f6d58e", "#f1a8a0", "#e6e6e6")
VERDICT_NAMES = ("works as intended", "cached: one viewer's page can reach another", "broken", "not judged")


def verdict(column: str, value: str) -> int:
    """How a probed value reads for the tutorial's personal /echo page.

    status: 2xx works, anything else is broken. host: the origin domain works (App Runner routes it);
    the viewer's host is broken (App Runner's front has no route for it). x-cache: a Miss works for a
    personal page, a Hit means it was cached, an Error is broken. The server header is shown, not judged.
    """
    if column == "status":
        return GOOD if value.startswith("2") else BAD
    if column == "host the app saw":
        return {"origin domain": GOOD, "viewer host": BAD}.get(value, NEUTRAL)
    if column == "x-cache (repeat)":
        lowered = value.lower()
        if lowered.startswith("miss"):
            return GOOD
        if "hit" in lowered:
            return CACHED
        if lowered.startswith("error"):
            return BAD
    return NEUTRAL


def verdicts(results: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {column: [verdict(column, str(v)) for v in results[column]] for column in COLUMNS},
        index=results.index,
    )


def styled(results: pd.DataFrame):
    """The results as a pandas Styler, each cell coloured by :func:`verdict`; the uuid is fixed so the
    HTML is the same on every run."""
    colours = verdicts(results).map(lambda v: f"background-color: {VERDICT_COLORS[v]}")
    return results.style.apply(lambda _: colours, axis=None).set_uuid("policy-matrix")


def heatmap(results: pd.DataFrame) -> Figure:
    """The results as a grid: one row per case, one column per probed value, coloured by :func:`verdict`,
    with the probed value written in each cell."""
    # matplotlib only here: what imports this module for the matrix alone (its tests, on every pytest-xdist
    # worker) does not pay for matplotlib's import
    from matplotlib.colors import ListedColormap
    from matplotlib.figure import Figure

    codes = verdicts(results).to_numpy()
    rows, cols = codes.shape
    fig = Figure(figsize=(10.0, 0.34 * rows + 1.6), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    ax.imshow(
        codes, cmap=ListedColormap(VERDICT_COLORS), vmin=-0.5, vmax=len(VERDICT_COLORS) - 0.5, aspect="auto"
    )
    for r in range(rows):
        for c in range(cols):
            ax.text(c, r, str(results.iat[r, c]), ha="center", va="center", fontsize=8)
    ax.set_xticks(range(cols), list(results.columns), fontsize=9)
    ax.xaxis.tick_top()
    ax.set_yticks(range(rows), [f"{group}: {case}" for group, case in results.index], fontsize=8)
    ax.tick_params(length=0)
    for r in range(1, rows):
        if results.index[r][0] != results.index[r - 1][0]:
            ax.axhline(r - 0.5, color="black", linewidth=1.2)
    handles = [
        ax.scatter([], [], marker="s", s=80, color=VERDICT_COLORS[v], label=VERDICT_NAMES[v])
        for v in (GOOD, CACHED, BAD, NEUTRAL)
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=4, fontsize=8, frameon=False)
    return fig
