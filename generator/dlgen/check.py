"""`dlgen check`: does the project still honour its template? Read-only, offline, fast.

The command runs `check_engine.check` on one project and renders its `Report` as text or JSON
with the exit code; a check that could not run is exit 70, never a pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from dlgen.check_engine import check
from dlgen.check_rules import Newest
from dlgen.errors import InternalError, ProcessError


def run(
    path: str, *, fmt: str, strict: bool, only: str | None, clones: Sequence[str] = ()
) -> tuple[str, int]:
    """`dlgen check` as every entry point runs it: the report in `fmt` and the exit code. A check
    that could not run (a git call failed, an unreadable file) is an InternalError (exit 70).

    `clones` (`--template [SOURCE=]CLONE`): the version policy is the newest release's of the
    clone that holds the project's template (`releases`), so raising `min_version` there fails
    the projects still below it."""
    newest = None
    if clones:
        from dlgen.releases import Versions  # only then: the plain check stays lean

        versions = Versions(clones)

        def newest(template: str) -> Newest:
            return versions.release(template, Path(path))

    try:
        report = check(Path(path), only=only, newest=newest)
    except (ProcessError, OSError) as e:
        raise InternalError(f"could not run the check: {e}") from e
    return report.render(fmt, strict), report.exit_code(strict)
