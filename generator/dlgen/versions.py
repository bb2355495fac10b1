"""Template versions: parse `v1.2.3`-like text into a comparable key, and count the lag between two.

The one place that knows how dlgen reads a version: `check` (min_version, max_lag), `update`
(refusing a downgrade) and `status` (lag and "behind") all go through it. Imports only `re`, so
`dlgen check` stays cheap to start.
"""

from __future__ import annotations

import re

Version = tuple[int, int, int]

_LEADING = re.compile(r"v?(\d+(?:\.\d+)*)")
_COMMIT_ID = re.compile(r"[0-9a-f]{7,40}")


def parse(text: str) -> Version | None:
    """(major, minor, patch) from the leading `v?N[.N[.N]]` of `text`, or None when it has none.

    A missing part is 0 and parts beyond the third are dropped, so "v1" and "1.0.0" compare equal
    and "1.2.3-rc1" is 1.2.3. A commit id (hex, not all digits) is no version: None."""
    if _COMMIT_ID.fullmatch(text) and not text.isdigit():
        return None  # an abbreviated commit id (`41320b2`) is no version 41320
    match = _LEADING.match(text)
    if not match:
        return None
    parts = [int(p) for p in match.group(1).split(".")]
    major, minor, patch = (*parts, 0, 0, 0)[:3]
    return major, minor, patch


def lag(recorded: Version, newest: Version) -> int:
    """Releases behind, counted in minor versions (a major step counts as a thousand); never
    negative, and a patch release does not count (max_lag's unit)."""
    if newest[0] != recorded[0]:
        return max(newest[0] - recorded[0], 0) * 1000
    return max(newest[1] - recorded[1], 0)


def shown(version: Version) -> str:
    """`1.2.0` for (1, 2, 0)."""
    return ".".join(map(str, version))
