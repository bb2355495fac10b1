"""`dlgen check`: does the project still honour its template? Read-only, offline, fast.

The command runs `check_engine.check` on one project and renders its `Report` as text or JSON
with the exit code; a check that could not run is exit 70, never a pass.
"""

from __future__ import annotations

from pathlib import Path

from dlgen.check_engine import check
from dlgen.errors import InternalError, ProcessError


def run(path: str, *, fmt: str, strict: bool, only: str | None) -> tuple[str, int]:
    """`dlgen check` as every entry point runs it: the report in `fmt` and the exit code. A check
    that could not run (a git call failed, an unreadable file) is an InternalError (exit 70)."""
    try:
        report = check(Path(path), only=only)
    except (ProcessError, OSError) as e:
        raise InternalError(f"could not run the check: {e}") from e
    return report.render(fmt, strict), report.exit_code(strict)
