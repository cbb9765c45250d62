"""Which checkout of this repository the running code comes from, and at which revision.

The local backend is per checkout (hostlab.settings: the default state folder is ``<root>/.hostlab/``), and
`hostlab status` names the checkout and the code a backend runs, so a reader with two clones can tell them
apart. Standard library only: hostlab.settings imports this module on every path, aws included.
"""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

# The project name in pyproject.toml that marks a checkout of this repository, and the state folder inside it
# (listed in .gitignore).
PROJECT_NAME = "hostlab"
CHECKOUT_STATE_FOLDER = ".hostlab"
# Seconds `git describe` may take; a checkout on a slow disk gets no revision rather than a slow start.
GIT_TIMEOUT_SECONDS = 5.0

_PACKAGE = Path(__file__).resolve().parent


def package_dir() -> Path:
    """The folder of the hostlab package that this process imported."""
    return _PACKAGE


def checkout_root(package: Path | None = None) -> Path | None:
    """The checkout whose code this is, or None for an install outside a checkout.

    ``package`` is a hostlab package folder (default: the imported one). Its checkout is the folder two
    levels up, ``<root>/src/hostlab``, when ``<root>/pyproject.toml`` names the project ``hostlab``: the
    layout of this repository, whatever the folder is called (a clone, a git worktree, a copy). An editable
    install (``pip install -e .``, as requirements.txt does) imports the package from there; a wheel
    installs it into site-packages, which is no checkout.
    """
    package = (package or _PACKAGE).resolve()
    if package.parent.name != "src":
        return None
    root = package.parent.parent
    try:
        project = tomllib.loads((root / "pyproject.toml").read_text()).get("project", {})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    return root if isinstance(project, dict) and project.get("name") == PROJECT_NAME else None


def revision(root: Path | None) -> str:
    """``git describe --always --dirty`` of the checkout ``root`` (e.g. ``cca3921-dirty``), or "" when it is
    not a git checkout of its own (a copy of the tree; a folder inside another repository is not asked, so
    that repository's revision is never reported), git is missing, or it does not answer in time."""
    if root is None or not (root / ".git").exists():  # .git is a file in a git worktree
        return ""
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_SECONDS,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""
