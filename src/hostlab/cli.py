"""`hostlab`: start, inspect and stop the local backend from a shell.

    eval "$(hostlab up)"    start it if needed and prepare this shell (export lines on stdout)
    hostlab env             the same export lines, for a backend that runs
    hostlab status          whether it runs, where, since when, for which checkout (exit 3 when it does not)
    hostlab down            stop it and remove its state folder
    hostlab measure         probe every assumption setting, write a calibration file (hostlab.measure)
    hostlab check PATH...   run your own CloudFront configuration on a private local edge (hostlab.check);
                            exit 1 when a check fails, 2 when an input cannot be read

Each checkout has its own backend (state folder <checkout>/.hostlab/, free ports): see hostlab.settings.

Only the export lines go to stdout; every message for humans goes to stderr, so `eval` never runs one.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shlex
import sys

from hostlab.backend import BackendChoiceError, chosen_backend
from hostlab.settings import Settings

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2  # also argparse's code for a bad command line
EXIT_NOT_RUNNING = 3  # as `systemctl status` / LSB init scripts say "not running"


def _say(message: str) -> None:
    print(f"hostlab: {message}", file=sys.stderr)


def export_lines(env: dict[str, str]) -> str:
    return "".join(f"export {name}={shlex.quote(value)}\n" for name, value in env.items())


def _age(started_at: str) -> str:
    try:
        seconds = (dt.datetime.now(dt.UTC) - dt.datetime.fromisoformat(started_at)).total_seconds()
    except ValueError:
        return "unknown"
    minutes, secs = divmod(int(max(seconds, 0)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min {secs} s" if minutes else f"{secs} s"


def _require_local() -> None:
    if chosen_backend() == "aws":
        raise BackendChoiceError(
            "HOSTLAB_BACKEND=aws is set: the aws backend needs no `hostlab up`. "
            "Unset HOSTLAB_BACKEND to use the local one"
        )


def cmd_up(settings: Settings) -> int:
    from hostlab.local import lifecycle

    _require_local()
    state, started = lifecycle.ensure_running(settings, note=_say)
    sys.stdout.write(export_lines(lifecycle.client_env(state)))
    where = f"checkout {state.checkout}" if state.checkout else f"state folder {state.home}"
    if started:
        _say(f"started local backend at {state.api_url} (pid {state.pid}) for {where}, new and empty; "
             "`hostlab down` stops it")
    else:
        _say(f"already running: local backend at {state.api_url} (pid {state.pid}) for {where}; "
             "`hostlab down` stops it")
    return EXIT_OK


def cmd_env(settings: Settings) -> int:
    from hostlab.local import lifecycle

    _require_local()
    sys.stdout.write(export_lines(lifecycle.client_env(lifecycle.current(settings))))
    return EXIT_OK


def cmd_status(settings: Settings) -> int:
    from hostlab.local import lifecycle

    found = lifecycle.status(settings)
    state = found.state
    if not found.running or state is None:
        print(f"not running: {found.detail} (state folder {found.home})")
        return EXIT_NOT_RUNNING
    print(f"running: pid {state.pid}, since {state.started_at} ({_age(state.started_at)} ago)")
    version = f"hostlab {state.version}" + (f", git {state.revision}" if state.revision else "")
    rows = [
        ("checkout", state.checkout or "(none: not started from a checkout)"),
        ("code", f"{state.code or '(not recorded)'} ({version})"),
        ("AWS API", state.api_url),
        ("proxy", state.proxy_url),
        ("CA bundle", state.ca_bundle),
        ("data plane", ", ".join(state.dataplane) or "(none yet)"),
        ("seed", str(state.seed)),
        ("state folder", state.home),
    ]
    for label, value in rows:
        print(f"  {label + ':':<14}{value}")
    return EXIT_OK


def cmd_down(settings: Settings) -> int:
    if chosen_backend() == "aws":
        # Stopping the local backend here would surprise a reader who switched to AWS: say so, touch nothing.
        _say(
            "HOSTLAB_BACKEND=aws is set: there is no local backend to stop, so nothing was stopped. "
            "Resources on AWS are deleted by notebooks/05-cleanup.ipynb; unset HOSTLAB_BACKEND to stop "
            "this checkout's local backend"
        )
        return EXIT_OK
    from hostlab.local import lifecycle

    if not lifecycle.down(settings, note=_say):
        _say(f"no local backend was running in {settings.home}")
    return EXIT_OK


def cmd_measure(settings: Settings, args: argparse.Namespace) -> int:
    """On HOSTLAB_BACKEND=aws: measure AWS into calibrations/; on the local backend: probe the emulator."""
    from hostlab.aws_guard import AppRunnerRefusedError, SandboxError
    from hostlab.measure.runner import MeasureCancelled

    try:
        return _cleanup_measure() if args.cleanup else _run_measure(args)
    except (MeasureCancelled, SandboxError, AppRunnerRefusedError) as exc:
        _say(f"error: {exc}")
        return EXIT_ERROR


def _cleanup_measure() -> int:
    import hostlab
    from hostlab.measure import resources
    from hostlab.measure.runner import clients

    apprunner, cloudfront = clients(hostlab.connect())
    count = resources.cleanup(apprunner, cloudfront, _say)
    _say(f"deleted {count} resource(s) tagged {resources.TAG_KEY}={resources.TAG_VALUE}")
    return EXIT_OK


def _run_measure(args: argparse.Namespace) -> int:
    from hostlab import measure

    def confirm(estimate: measure.Estimate) -> bool:
        if args.yes or chosen_backend() != "aws":
            return True
        if not sys.stdin.isatty():
            _say("on the aws backend, pass --yes to accept the estimate above")
            return False
        return input("hostlab: create these resources on AWS? [y/N] ").strip().lower() in ("y", "yes")

    print(measure.run(args.out, confirm=confirm, say=_say))
    return EXIT_OK


def _pairs(values: list[str], option: str) -> dict[str, str]:
    """``--param Name=Value`` (repeatable) as a dict; a value without ``=`` is a usage error."""
    pairs = {}
    for value in values:
        name, sep, rest = value.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"{option} {value!r}: expected NAME=VALUE")
        pairs[name.strip()] = rest
    return pairs


def _origin_kinds(values: list[str]) -> dict[str, str]:
    """``--origin-kind apprunner`` (every origin) or ``--origin-kind ORIGIN_ID=apprunner`` (one origin)."""
    from hostlab.check.model import ORIGIN_KINDS

    kinds = {}
    for value in values:
        origin, sep, kind = value.rpartition("=")
        origin = origin.strip() if sep else "*"
        if kind not in ORIGIN_KINDS:
            raise UsageError(f"--origin-kind {value!r}: the kind must be one of {', '.join(ORIGIN_KINDS)}")
        kinds[origin] = kind
    return kinds


class UsageError(ValueError):
    """A command line that names something impossible: exit 2, as argparse does."""


def cmd_check(args: argparse.Namespace) -> int:
    """Run the checks; the report goes to stdout (or --output), progress lines to stderr."""
    from hostlab.check import report as reports
    from hostlab.check.model import CheckInputError

    if args.aws != bool(args.distribution_id):
        raise UsageError("--aws and --distribution-id go together: hostlab check --aws --distribution-id ID")
    if not args.paths and not args.aws:
        raise UsageError("name at least one template, Terraform folder, plan JSON or DistributionConfig JSON")
    from hostlab.aws_guard import SandboxError

    client = None
    params, variables = _pairs(args.param, "--param"), _pairs(args.var, "--var")
    kinds = _origin_kinds(args.origin_kind)
    try:
        if args.aws:
            client = _live_cloudfront_client()
        from hostlab.check.runner import check

        result = check(
            args.paths,
            params=params,
            variables=variables,
            origin_kind=kinds,
            live_distribution_id=args.distribution_id,
            cloudfront_client=client,
            progress=_say,
        )
    except (CheckInputError, SandboxError) as exc:
        _say(f"error: {exc}")
        return EXIT_USAGE
    text = reports.render(result, args.format)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as out:
            out.write(text)
        _say(f"report written to {args.output}")
    else:
        sys.stdout.write(text)
    _say(reports.summary_line(result))
    return EXIT_ERROR if result.failed else EXIT_OK


def _live_cloudfront_client():
    """A CloudFront client for the account HOSTLAB_AWS_ACCOUNT names, after the aws guard agreed.

    The live read only calls Get* and List* (hostlab.check.inputs.live); the guard still insists on a named
    account, so nobody reads a distribution of an account they did not mean.
    """
    import boto3

    from hostlab import aws_guard

    if chosen_backend() != "aws":
        raise UsageError("--aws reads a deployed distribution: set HOSTLAB_BACKEND=aws and "
                         "HOSTLAB_AWS_ACCOUNT=<the account's ID> (read-only: nothing is created or changed)")
    from hostlab.tutorial import rehearsal

    if rehearsal.rehearsing():  # HOSTLAB_AWS_REHEARSAL=1: the aws code path against the local backend
        rehearsal.connect_local()
    _account, region = aws_guard.ensure_sandbox()
    return boto3.client("cloudfront", region_name=region)


COMMANDS = {
    "up": (cmd_up, "start the local backend if needed; print export lines for `eval`"),
    "env": (cmd_env, "print the export lines for the running backend"),
    "status": (cmd_status, "say whether the backend runs, where, since when and for which checkout"),
    "down": (cmd_down, "stop the backend and remove its state folder"),
}


def _add_check_parser(sub) -> None:
    from hostlab.check.model import ORIGIN_KINDS
    from hostlab.check.report import FORMATS

    check_help = "run your CloudFront configuration on a private local edge and report what would break"
    check = sub.add_parser(
        "check", help=check_help, description=check_help,
        epilog="Exit status: 0 when nothing FAILs, 1 when a check FAILs, 2 when an input cannot be read. "
        "README.md, 'Check your own distribution', documents the checks and the JSON schema.",
    )
    check.add_argument("paths", nargs="*", metavar="PATH",
                       help="CloudFormation template (YAML/JSON), Terraform folder or .tf file, "
                       "`terraform show -json` plan, or `aws cloudfront get-distribution-config` JSON")
    check.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                       help="a CloudFormation parameter value (repeatable)")
    check.add_argument("--var", action="append", default=[], metavar="NAME=VALUE",
                       help="a Terraform variable value (repeatable), as terraform -var")
    check.add_argument("--origin-kind", action="append", default=[], metavar="[ORIGIN_ID=]KIND",
                       help="override the detected kind of every origin, or of one: "
                       f"{', '.join(ORIGIN_KINDS)}")
    check.add_argument("--format", choices=FORMATS, default="table", help="report format (default: table)")
    check.add_argument("--output", "-o", metavar="FILE", help="write the report there instead of stdout")
    check.add_argument("--aws", action="store_true",
                       help="read a deployed distribution (HOSTLAB_BACKEND=aws; read-only)")
    check.add_argument("--distribution-id", metavar="ID", help="the distribution --aws reads")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="hostlab",
        description="The local backend of the tutorial (an offline App Runner + CloudFront).",
        epilog='Typical use: eval "$(hostlab up)" ... hostlab down. The state folder is HOSTLAB_HOME, '
        "by default .hostlab/ in the checkout this command belongs to.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="{up,env,status,down,measure,check}")
    for name, (_, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text, description=help_text)
    measure_help = "probe every assumption setting and write a calibration file (see calibrations/README.md)"
    measure = sub.add_parser("measure", help=measure_help, description=measure_help)
    measure.add_argument(
        "--out", help="folder for the file (default: calibrations/ on aws, build/measure/ local)"
    )
    measure.add_argument("--yes", action="store_true", help="accept the printed estimate without asking")
    measure.add_argument(
        "--cleanup",
        action="store_true",
        help="only delete what an interrupted run left (tag project=hostlab-measure)",
    )
    _add_check_parser(sub)
    args = parser.parse_args(argv)

    from hostlab.local.lifecycle import BackendError, NotRunningError
    from hostlab.local.ports import PortInUseError

    try:
        settings = Settings.from_env()
    except ValueError as exc:  # a HOSTLAB_* variable with a bad value
        _say(f"error: {exc}")
        return EXIT_USAGE
    try:
        if args.command == "measure":
            return cmd_measure(settings, args)
        if args.command == "check":
            return cmd_check(args)
        return COMMANDS[args.command][0](settings)
    except NotRunningError as exc:
        _say(str(exc))
        return EXIT_NOT_RUNNING
    except (BackendChoiceError, UsageError) as exc:
        _say(f"error: {exc}")
        return EXIT_USAGE
    except (BackendError, PortInUseError) as exc:
        _say(f"error: {exc}")
        return EXIT_ERROR
    except KeyboardInterrupt:
        _say("interrupted")
        return 130
    except BrokenPipeError:
        # The reader went away (`hostlab status | head -1`): not an error of ours. Point stdout at
        # /dev/null so the interpreter's final flush does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
