"""`dlgen merge-file %O %A %B %P`: the structured merge as a git merge driver, for a team's own
branch merges (`merge.dlgen.driver` in git config, `merge=dlgen` in `.gitattributes`).

The same rules as `dlgen update` (issue 18): git's line merge first (`git merge-file`, zdiff3
markers); its clean result is kept unless it no longer parses while our side did (a table
declared twice). Where the line merge conflicts or broke the file, a TOML/YAML/JSON/line-set
file is merged by structure (`structmerge`: %O base, %A ours, %B theirs, whose additions come
first). Otherwise the line merge's result, markers included, is left in %A and the exit status
says conflict: git then records the path as conflicted, exactly as with its own driver.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dlgen.errors import EXIT_CONFLICTS, InputError


@dataclass(frozen=True)
class Driven:
    """What the driver did to one file: its exit code and the line it says on stderr (or "")."""

    code: int
    line: str


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise InputError(f"{what} {path}: {e.strerror or e}") from e


def merge_file(base: Path, ours: Path, theirs: Path, name: str, marker_size: int = 7) -> Driven:
    """Merge `theirs` into `ours` (written in place) against `base`; `name` is the path in the
    repository, which picks the format (`%P`)."""
    from dlgen.gitwork import merge_file_lines
    from dlgen.structmerge import kind_of, merge
    from dlgen.wellformed import problem

    b, o, t = _read(base, "base"), _read(ours, "ours"), _read(theirs, "theirs")
    lines, conflicted = merge_file_lines(ours, base, theirs, marker_size)
    kind = kind_of(name)
    if kind is None:
        return _leave(ours, lines, conflicted, name, "")
    broken = None if conflicted or kind == "lines" else problem(name, lines)
    # a side that did not parse either: not the merge's doing (JSON with trailing commas)
    if not conflicted and (broken is None or any(problem(name, side) for side in (o, t))):
        return _leave(ours, lines, False, name, "")
    outcome = merge(b, o, t, name)
    if outcome.merged is not None:
        ours.write_bytes(outcome.merged)
        return Driven(0, f"merged by structure (review it): {name}")
    why = ", ".join(outcome.conflicts) or outcome.reason
    if broken is not None:
        return _leave(ours, lines, True, name, f"broken by the line merge ({broken}); {why}")
    return _leave(ours, lines, True, name, why)


def _leave(ours: Path, lines: bytes, conflicted: bool, name: str, why: str) -> Driven:
    """The line merge's result stands: clean (0), or a conflict git records (EXIT_CONFLICTS)."""
    ours.write_bytes(lines)
    if not conflicted:
        return Driven(0, "")
    return Driven(EXIT_CONFLICTS, f"conflict in {name}" + (f": {why}" if why else ""))
