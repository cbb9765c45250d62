"""Each checkout has its own backend: two copies of the tree side by side, each with the default settings (no
HOSTLAB_HOME, no ports), run notebooks at the same time without touching each other, and `down` in one
leaves the other running.

A "checkout" here is what hostlab.checkout recognises: a folder with pyproject.toml naming the project and
the package under src/hostlab/. Each copy is run with PYTHONPATH=<copy>/src, so every process of it (the
`hostlab` command, the notebook runner, its Jupyter kernels, the backend server) imports that copy's code,
as a clone's own .venv would.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from lifecycle_helpers import alive, client_from_env, parse_exports, wait_until

from hostlab.checkout import CHECKOUT_STATE_FOLDER, checkout_root
from hostlab.local.state import State, read_state
from hostlab.settings import Settings, default_home, per_user_home
from hostlab.tutorial.resources import SERVICE_NAME

REPO = Path(__file__).resolve().parents[1]
# The short sequence each checkout runs: create the service and call it, then delete everything tagged.
CREATE, CLEANUP = "01-create-service.ipynb", "05-cleanup.ipynb"
RUN_TIMEOUT = 300  # seconds; a bound against a hang, far above a normal run


def make_checkout(root: Path) -> Path:
    """A copy of what makes this tree a checkout (pyproject.toml, src/hostlab) plus the two notebooks."""
    shutil.copytree(
        REPO / "src" / "hostlab",
        root / "src" / "hostlab",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    shutil.copy2(REPO / "pyproject.toml", root / "pyproject.toml")
    (root / "notebooks").mkdir()
    for name in (CREATE, CLEANUP):
        shutil.copy2(REPO / "notebooks" / name, root / "notebooks" / name)
    return root.resolve()


def checkout_env(root: Path, xdg: Path) -> dict[str, str]:
    """The environment of a reader's shell in ``root``: none of this test session's HOSTLAB_HOME or ports,
    no proxy or endpoint, the copy's code first, short delays, and a per-user folder we can watch."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("HOSTLAB_")
        and k.lower() not in ("https_proxy", "http_proxy", "no_proxy")
        and k not in ("AWS_ENDPOINT_URL", "PYTHONPATH")
    }
    env.update(
        {
            "PYTHONPATH": str(root / "src"),
            "XDG_STATE_HOME": str(xdg),
            "HOSTLAB_APPRUNNER_OPERATION_SECONDS": "0.2",
            "HOSTLAB_CLOUDFRONT_DEPLOY_SECONDS": "0.2",
            "HOSTLAB_ACM_VALIDATION_SECONDS": "0.2",
        }
    )
    return env


def hostlab(env: dict[str, str], root: Path, *args: str) -> subprocess.CompletedProcess:
    """`hostlab ARGS` as the copy's own code runs it (python -m hostlab.cli, from inside the copy)."""
    return subprocess.run(
        [sys.executable, "-m", "hostlab.cli", *args],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        stdin=subprocess.DEVNULL,
    )


def run_notebooks(env: dict[str, str], root: Path, *names: str) -> subprocess.Popen:
    """Execute the copy's notebooks in order with its notebook runner, into <name>.out.ipynb."""
    code = (
        "import sys\nfrom pathlib import Path\nfrom hostlab.tutorial.notebook_runner import execute\n"
        "for name in sys.argv[1:]:\n"
        "    source = Path('notebooks') / name\n"
        "    execute(source, source.with_suffix('.out.ipynb'))\n"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code, *names],
        env=env,
        cwd=root,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finished(proc: subprocess.Popen) -> str:
    out, _ = proc.communicate(timeout=RUN_TIMEOUT)
    assert proc.returncode == 0, out
    return out


def cell_text(path: Path, label: str) -> str:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.startswith(f"#| label: {label}"):
            return "".join(o.get("text", "") for o in cell.outputs)
    raise AssertionError(f"no cell labelled {label} in {path}")


def services(state: State) -> list[str]:
    """Names of the App Runner services in the backend ``state`` describes."""
    from hostlab.local.lifecycle import client_env

    apprunner = client_from_env(client_env(state), "apprunner")
    return [s["ServiceName"] for s in apprunner.list_services()["ServiceSummaryList"]]


def running_state(root: Path) -> State:
    state = read_state(root / CHECKOUT_STATE_FOLDER / "state.json")
    assert state is not None, f"no backend recorded in {root / CHECKOUT_STATE_FOLDER}"
    return state


@pytest.fixture
def two_checkouts(tmp_path):
    xdg = tmp_path / "xdg-state"
    roots = [make_checkout(tmp_path / name) for name in ("clone-a", "clone-b")]
    envs = [checkout_env(root, xdg) for root in roots]
    yield roots, envs, xdg
    for root, env in zip(roots, envs, strict=True):
        hostlab(env, root, "down")


@pytest.mark.e2e
def test_two_checkouts_run_side_by_side(two_checkouts):
    (a, b), (env_a, env_b), xdg = two_checkouts

    # Each `up` starts the backend of its own checkout, in <checkout>/.hostlab, on ports of its own.
    ups = [hostlab(env, root, "up") for root, env in ((a, env_a), (b, env_b))]
    for up in ups:
        assert up.returncode == 0 and "started local backend" in up.stderr, up.stderr
    state_a, state_b = running_state(a), running_state(b)
    for root, state, up in ((a, state_a, ups[0]), (b, state_b, ups[1])):
        assert state.home == str(root / CHECKOUT_STATE_FOLDER)
        assert state.checkout == str(root) and state.code == str(root / "src" / "hostlab")
        exported = parse_exports(up.stdout)
        assert exported["AWS_ENDPOINT_URL"] == state.api_url
        # The default folder is not exported: a shell prepared here must not steer another clone's `down`.
        assert "HOSTLAB_HOME" not in exported
    assert state_a.pid != state_b.pid
    ports = {url.rsplit(":", 1)[1] for url in (state_a.api_url, state_a.proxy_url, state_b.api_url,
                                               state_b.proxy_url)}
    assert len(ports) == 4
    assert not xdg.exists()  # the per-user fallback was not used

    status_a = hostlab(env_a, a, "status")
    assert status_a.returncode == 0
    assert f"checkout:     {a}\n" in status_a.stdout and f"code:         {a}/src/hostlab (" in status_a.stdout

    # Both run notebook 01 at the same time; each kernel's connect() finds its own checkout's backend. On one
    # shared backend the second CreateService would fail (the name exists) or one list would show both.
    first = [run_notebooks(env, root, CREATE) for root, env in ((a, env_a), (b, env_b))]
    for proc in first:
        finished(proc)
    for root in (a, b):
        called = cell_text(root / "notebooks" / "01-create-service.out.ipynb", "call-service")
        assert "/echo -> 200\n" in called
    assert services(state_a) == services(state_b) == [SERVICE_NAME]
    assert (running_state(a).pid, running_state(b).pid) == (state_a.pid, state_b.pid)  # no second backend

    # Pointing B's command at A's folder on purpose (HOSTLAB_HOME) attaches to A's backend (no new one), and
    # says whose code runs there.
    shared = hostlab({**env_b, "HOSTLAB_HOME": str(a / CHECKOUT_STATE_FOLDER)}, b, "up")
    assert shared.returncode == 0 and "already running" in shared.stderr
    assert f"runs the code of checkout {a}, not this one ({b}/src/hostlab)" in shared.stderr

    # B cleans up while A's backend is stopped: A's `down` stops A's backend only, and B's run succeeds.
    cleanup_b = run_notebooks(env_b, b, CLEANUP)
    down_a = hostlab(env_a, a, "down")
    assert down_a.returncode == 0 and f"removed {a / CHECKOUT_STATE_FOLDER}" in down_a.stderr
    assert wait_until(lambda: not alive(state_a.pid), timeout=30)
    finished(cleanup_b)
    assert "deleted: 1" in cell_text(b / "notebooks" / "05-cleanup.out.ipynb", "cleanup-delete")
    assert alive(state_b.pid) and running_state(b).pid == state_b.pid
    assert services(state_b) == []
    assert hostlab(env_b, b, "status").returncode == 0
    assert hostlab(env_a, a, "status").returncode == 3


def test_checkout_is_recognised_by_its_pyproject(tmp_path):
    assert checkout_root() == REPO  # the tests run this tree's code
    assert default_home() == REPO / CHECKOUT_STATE_FOLDER
    assert Settings.from_env({}).home == REPO / CHECKOUT_STATE_FOLDER
    assert Settings.from_env({}).api_port == Settings.from_env({}).proxy_port == 0  # free ports by default

    package = tmp_path / "src" / "hostlab"
    package.mkdir(parents=True)
    assert checkout_root(package) is None  # no pyproject.toml
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "another-project"\n')
    assert checkout_root(package) is None
    (tmp_path / "pyproject.toml").write_text("[project\nname = broken")
    assert checkout_root(package) is None
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "hostlab"\n')
    assert checkout_root(package) == tmp_path.resolve()

    installed = tmp_path / "lib" / "site-packages" / "hostlab"
    installed.mkdir(parents=True)
    assert checkout_root(installed) is None  # a wheel's install is no checkout
    assert per_user_home({"XDG_STATE_HOME": str(tmp_path / "xdg")}) == tmp_path / "xdg" / "hostlab"
    assert Settings.from_env({"HOSTLAB_HOME": str(tmp_path / "mine")}).home == (tmp_path / "mine").resolve()


def test_a_copy_outside_a_checkout_uses_the_per_user_folder(tmp_path):
    """The fallback, seen through a copy of the package without pyproject.toml next to src/."""
    site = tmp_path / "site"
    shutil.copytree(REPO / "src" / "hostlab", site / "hostlab", ignore=shutil.ignore_patterns("__pycache__"))
    code = "from hostlab.settings import Settings; print(Settings.from_env().home)"
    env = {**checkout_env(tmp_path, tmp_path / "xdg"), "PYTHONPATH": str(site)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == str((tmp_path / "xdg" / "hostlab").resolve()), done.stderr


def test_the_server_runs_the_callers_code(tmp_path):
    """A caller that imported another copy's hostlab (here through sys.path, with no PYTHONPATH, so the venv's
    editable install would point the server at this tree) gets a server running that copy's code."""
    copy = make_checkout(tmp_path / "clone")
    code = (
        "import sys\n"
        f"sys.path.insert(0, {str(copy / 'src')!r})\n"
        "from hostlab.local import lifecycle\nfrom hostlab.settings import Settings\n"
        "state = lifecycle.up(Settings.from_env(), note=print)\n"
        "print(state.code)\nprint(state.checkout)\n"
        "lifecycle.down(Settings.from_env(), note=print)\n"
    )
    env = {k: v for k, v in checkout_env(copy, tmp_path / "xdg").items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[:2] == [str(copy / "src" / "hostlab"), str(copy)]
    assert f"removed {copy / CHECKOUT_STATE_FOLDER}" in lines[2]


@pytest.mark.e2e
@pytest.mark.skipif(shutil.which("curl") is None, reason="reproduce.sh probes with curl")
def test_reproduce_script_uses_its_checkouts_backend(tmp_path):
    """scripts/reproduce.sh of a checkout finds the backend that `hostlab up` started in that checkout (no
    HOSTLAB_HOME anywhere), and leaves it running since it did not start it."""
    copy = make_checkout(tmp_path / "clone")
    for folder in ("scripts", "infra"):  # the script, and the CloudFront Function it reads from infra/
        shutil.copytree(REPO / folder, copy / folder, ignore=shutil.ignore_patterns("__pycache__", ".*"))
    env = {
        **checkout_env(copy, tmp_path / "xdg"),
        "HOSTLAB_APPRUNNER_OPERATION_SECONDS": "0.1",
        "HOSTLAB_CLOUDFRONT_DEPLOY_SECONDS": "0.1",
    }
    env.pop("PYTHONPATH")  # the script itself puts its checkout's src/ first
    try:
        up = hostlab({**env, "PYTHONPATH": str(copy / "src")}, copy, "up")
        assert up.returncode == 0, up.stderr
        before = running_state(copy)
        done = subprocess.run(
            ["bash", str(copy / "scripts" / "reproduce.sh")],
            env={**env, "HOSTLAB_VENV": sys.prefix}, cwd=tmp_path, stdin=subprocess.DEVNULL,
            capture_output=True, text=True, timeout=RUN_TIMEOUT,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "a local backend is already running: using it, and leaving it running" in done.stdout
        assert running_state(copy).pid == before.pid and alive(before.pid)
    finally:
        hostlab({**env, "PYTHONPATH": str(copy / "src")}, copy, "down")
