"""moto's own tests as a peer check: run moto's tests/test_cloudfront and tests/test_acm, taken from the sdist
of the moto version pinned in requirements.txt, against a dedicated local backend in moto's server mode.

    python tests/moto_peer/runner.py        (or: make test-moto)

Every test must pass, or be listed in divergences.toml beside this file with the AWS source that justifies the
divergence. The run fails when a test that is not listed fails, and also when a listed test passes, is skipped
or no longer exists, so the list stays true. The last line printed is the summary.

How moto's tests reach the backend: with TEST_SERVER_MODE=true, moto's ``mock_aws`` resets the server through
POST /moto-api/reset and points every boto3 client at TEST_SERVER_MODE_ENDPOINT (moto/core/models.py,
ServerModeMockAWS; moto/settings.py, test_server_mode_endpoint). The backend is started for this run only,
the way a reader starts one (hostlab.local.lifecycle.up) but in a temporary HOSTLAB_HOME on free ports, and
stopped at the end: a backend the reader runs is never touched, and the resets cannot reach it.

The sdist comes from PyPI through pip (``pip download moto==X --no-deps --no-binary :all:``) into
build/moto-peer/, where later runs find it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
DIVERGENCES = HERE / "divergences.toml"
REQUIREMENTS = REPO / "requirements.txt"
CACHE = REPO / "build" / "moto-peer"
SUITES = ("tests/test_cloudfront", "tests/test_acm")
# Per test, far above what one takes (well under a second): only there so a hang fails instead of blocking.
TEST_TIMEOUT_SECONDS = 120
KINDS = {"documented", "community", "assumed", "stand-in"}


# ---------------------------------------------------------------------------------------------------------
# The list of divergences
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Divergence:
    """One rule on which the backend follows AWS where moto's tests expect moto's behaviour."""

    rule: str
    source: str
    kind: str
    tests: tuple[str, ...]


class ListError(ValueError):
    """divergences.toml is not well formed."""


def load_divergences(path: Path = DIVERGENCES) -> list[Divergence]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    entries = data.get("divergence")
    if not isinstance(entries, list) or not entries:
        raise ListError(f"{path}: no [[divergence]] entries")
    result, seen = [], set()
    for number, entry in enumerate(entries, start=1):
        where = f"{path.name}, divergence {number}"
        unknown = set(entry) - {"rule", "source", "kind", "tests"}
        if unknown:
            raise ListError(f"{where}: unknown keys {sorted(unknown)}")
        for key in ("rule", "source", "kind"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise ListError(f"{where}: {key!r} must be a non-empty string")
        if entry["kind"] not in KINDS:
            raise ListError(f"{where}: kind {entry['kind']!r} is not one of {sorted(KINDS)}")
        tests = entry.get("tests")
        if not isinstance(tests, list) or not tests or not all(isinstance(t, str) for t in tests):
            raise ListError(f"{where}: 'tests' must be a non-empty list of test ids")
        for test in tests:
            if test in seen:
                raise ListError(f"{where}: {test} is listed twice; a test belongs to one divergence")
            seen.add(test)
        result.append(Divergence(entry["rule"], entry["source"], entry["kind"], tuple(tests)))
    return result


def matches(listed: str, nodeid: str) -> bool:
    """A listed id names one test; without parameters, every parametrization of it; a ``*`` in it stands
    for any characters (``test_x[aliases0-*]``: the parametrizations whose id starts with aliases0-)."""
    if "*" in listed:
        return re.fullmatch(re.escape(listed).replace(r"\*", ".*"), nodeid) is not None
    return nodeid == listed or ("[" not in listed and nodeid.startswith(listed + "["))


# ---------------------------------------------------------------------------------------------------------
# The verdict
# ---------------------------------------------------------------------------------------------------------


@dataclass
class Verdict:
    total: int = 0
    passed: int = 0
    skipped: int = 0
    listed_failed: int = 0  # failed, as divergences.toml says they do
    unexpected: dict[str, str] = field(default_factory=dict)  # failed but not listed: test -> message
    stale: dict[str, str] = field(default_factory=dict)  # listed but passed, skipped or gone: id -> why

    @property
    def ok(self) -> bool:
        return self.total > 0 and not self.unexpected and not self.stale


def judge(outcomes: dict[str, dict[str, str]], divergences: list[Divergence]) -> Verdict:
    """Compare the recorded outcomes (nodeid -> {"outcome", "message"}) with the list."""
    listed = [test for d in divergences for test in d.tests]
    verdict = Verdict(total=len(outcomes))
    for nodeid, record in sorted(outcomes.items()):
        outcome = record.get("outcome")
        is_listed = any(matches(test, nodeid) for test in listed)
        if outcome == "passed":
            verdict.passed += 1
        elif outcome == "skipped":
            verdict.skipped += 1
        elif is_listed:
            verdict.listed_failed += 1
        else:
            verdict.unexpected[nodeid] = record.get("message", "")
    for test in listed:
        covered = {n: r.get("outcome") for n, r in outcomes.items() if matches(test, n)}
        if not covered:
            verdict.stale[test] = "no such test in this run"
        for nodeid, outcome in sorted(covered.items()):
            if outcome != "failed":
                verdict.stale[nodeid] = f"listed as a divergence but {outcome}"
    return verdict


def summary_line(version: str, verdict: Verdict, seconds: float) -> str:
    state = "OK" if verdict.ok else "FAILED"
    return (
        f"moto {version} peer check {state}: {verdict.total} tests, {verdict.passed} passed, "
        f"{verdict.listed_failed} failed as listed in {DIVERGENCES.name}, {verdict.skipped} skipped by moto, "
        f"{len(verdict.unexpected)} unexpected failures, {len(verdict.stale)} stale entries; {seconds:.1f} s"
    )


# ---------------------------------------------------------------------------------------------------------
# moto's tests, from the pinned version's sdist
# ---------------------------------------------------------------------------------------------------------


def pinned_moto_version(requirements: Path = REQUIREMENTS) -> str:
    for line in requirements.read_text(encoding="utf-8").splitlines():
        found = re.fullmatch(r"\s*moto(\[[^\]]*\])?\s*==\s*([^\s;#]+).*", line)
        if found:
            return found.group(2)
    raise SystemExit(f"moto-peer: no exact pin 'moto==X' in {requirements}")


def moto_sources(version: str, cache: Path = CACHE) -> Path:
    """The unpacked sdist of moto ``version`` (downloaded once into ``cache``)."""
    unpacked = cache / f"moto-{version}"
    if (unpacked / "tests" / "test_cloudfront").is_dir():
        return unpacked
    cache.mkdir(parents=True, exist_ok=True)
    archive = cache / f"moto-{version}.tar.gz"
    if not archive.exists():
        command = [sys.executable, "-m", "pip", "download", f"moto=={version}", "--no-deps",
                   "--no-binary", ":all:", "--quiet", "-d", str(cache)]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0 or not archive.exists():
            raise SystemExit(
                f"moto-peer: could not download the sdist of moto {version} from PyPI:\n{done.stderr[-2000:]}"
            )
    with tempfile.TemporaryDirectory(dir=cache) as scratch, tarfile.open(archive) as tar:
        tar.extractall(scratch, filter="data")
        Path(scratch, f"moto-{version}").rename(unpacked)
    return unpacked


def installed_moto_version() -> str:
    import moto

    return moto.__version__


# ---------------------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------------------


def _test_env(api_url: str, outcomes: Path) -> dict[str, str]:
    from hostlab.settings import DEFAULT_REGION, FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY

    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("HOSTLAB_", "AWS_", "MOTO_", "TEST_"))
        and k.lower() not in ("https_proxy", "http_proxy", "all_proxy", "no_proxy")
    }
    env.update(
        TEST_SERVER_MODE="true",
        TEST_SERVER_MODE_ENDPOINT=api_url,
        AWS_ACCESS_KEY_ID=FAKE_ACCESS_KEY_ID,
        AWS_SECRET_ACCESS_KEY=FAKE_SECRET_ACCESS_KEY,
        AWS_DEFAULT_REGION=DEFAULT_REGION,
        NO_PROXY="127.0.0.1,localhost",
        MOTO_PEER_OUTCOMES=str(outcomes),
        PYTHONPATH=os.pathsep.join([str(HERE), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
    )
    return env


def run_moto_tests(sources: Path, api_url: str, log: Path, select: list[str]) -> dict[str, dict[str, str]]:
    outcomes = log.with_suffix(".json")
    outcomes.unlink(missing_ok=True)
    command = [
        sys.executable, "-m", "pytest", *SUITES,
        "-p", "record_outcomes", "-p", "no:cacheprovider",
        "-o", "addopts=", "-o", f"timeout={TEST_TIMEOUT_SECONDS}",
        "-q", "--color=no", "--tb=short", "-rfEs", *select,
    ]  # fmt: skip
    with log.open("w", encoding="utf-8") as out:
        subprocess.run(command, cwd=sources, env=_test_env(api_url, outcomes), stdout=out, stderr=out)
    if not outcomes.exists():
        raise SystemExit(f"moto-peer: pytest recorded no outcomes; see {log}")
    return json.loads(outcomes.read_text(encoding="utf-8"))


def start_backend(home: Path):
    from hostlab.local import lifecycle
    from hostlab.settings import Settings

    env = {"HOSTLAB_HOME": str(home), "HOSTLAB_PORT": "0", "HOSTLAB_PROXY_PORT": "0"}
    settings = Settings.from_env(env)
    return settings, lifecycle.up(settings, note=lambda message: print(f"moto-peer: {message}"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-k", dest="keyword", help="only moto tests matching this pytest -k expression")
    args = parser.parse_args(argv)

    started = time.monotonic()
    version = pinned_moto_version()
    if installed_moto_version() != version:
        raise SystemExit(
            f"moto-peer: requirements.txt pins moto {version} but {installed_moto_version()} is installed; "
            "run `make` (or pip install -r requirements.txt) first"
        )
    divergences = load_divergences()
    sources = moto_sources(version)
    log = CACHE / "pytest.log"

    from hostlab.local import lifecycle

    with tempfile.TemporaryDirectory(prefix="hostlab-moto-peer-") as home:
        settings, state = start_backend(Path(home) / "backend")
        try:
            select = ["-k", args.keyword] if args.keyword else []
            outcomes = run_moto_tests(sources, state.api_url, log, select)
        finally:
            lifecycle.down(settings, note=lambda _message: None)

    verdict = judge(outcomes, divergences)
    if args.keyword:  # a partial run cannot tell whether a listed test still exists
        verdict.stale = {k: v for k, v in verdict.stale.items() if v != "no such test in this run"}
    for nodeid, message in verdict.unexpected.items():
        print(f"UNEXPECTED FAILURE {nodeid}\n    {message}")
    for nodeid, why in verdict.stale.items():
        print(f"STALE ENTRY {nodeid}: {why}; remove it from {DIVERGENCES.name} (or fix what changed)")
    if not verdict.ok:
        print(f"moto-peer: pytest's output is in {log}")
    print(summary_line(version, verdict, time.monotonic() - started))
    return 0 if verdict.ok else 1


if __name__ == "__main__":
    sys.exit(main())
