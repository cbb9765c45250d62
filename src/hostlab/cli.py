"""`hostlab`: start, inspect and stop the local backend from a shell.

    eval "$(hostlab up)"    start it if needed and prepare this shell (export lines on stdout)
    hostlab env             the same export lines, for a backend that runs
    hostlab status          whether it runs, where, since when, for which checkout (exit 3 when it does not)
    hostlab down            stop it and remove its state folder
    hostlab measure         probe every assumption setting, write a calibration file (hostlab.measure)

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


COMMANDS = {
    "up": (cmd_up, "start the local backend if needed; print export lines for `eval`"),
    "env": (cmd_env, "print the export lines for the running backend"),
    "status": (cmd_status, "say whether the backend runs, where, since when and for which checkout"),
    "down": (cmd_down, "stop the backend and remove its state folder"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="hostlab",
        description="The local backend of the tutorial (an offline App Runner + CloudFront).",
        epilog='Typical use: eval "$(hostlab up)" ... hostlab down. The state folder is HOSTLAB_HOME, '
        "by default .hostlab/ in the checkout this command belongs to.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="{up,env,status,down,measure}")
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
        return COMMANDS[args.command][0](settings)
    except NotRunningError as exc:
        _say(str(exc))
        return EXIT_NOT_RUNNING
    except BackendChoiceError as exc:
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
