"""Choosing the cache behaviour for a request path.

CF-DG distribution-web-values-specify.html, "Path Pattern":
- the path is compared with the path patterns in the order the behaviours are listed; the first match wins and
  the default behaviour (pattern ``*``) is processed last;
- ``*`` matches 0 or more characters (slashes too: ``images/*.jpg`` covers subdirectories), ``?`` exactly 1;
- patterns are case-sensitive (``*.jpg`` does not apply to ``LOGO.JPG``);
- a leading ``/`` in the pattern makes no difference;
- query strings and cookies are not considered.
"""

from __future__ import annotations

import re
from functools import lru_cache

from hostlab.local.dataplane.edge.model import Behavior, Distribution


@lru_cache(maxsize=1024)
def _compile(pattern: str) -> re.Pattern[str]:
    body = pattern[1:] if pattern.startswith("/") else pattern
    # fnmatch would treat [...] as a character class; CloudFront patterns have only * and ?.
    regex = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in body)
    return re.compile(regex, re.DOTALL)


def path_matches(pattern: str, path: str) -> bool:
    """Whether ``path`` (the URL path, without the query string) matches a CloudFront path pattern."""
    relative = path[1:] if path.startswith("/") else path
    return _compile(pattern).fullmatch(relative) is not None


def select_behavior(distribution: Distribution, path: str) -> Behavior:
    for behavior in distribution.behaviors:
        if path_matches(behavior.path_pattern, path):
            return behavior
    return distribution.default_behavior
