"""After git's merge, structure: conflicted TOML/YAML/JSON/line-set files merged by structure, and
structured files that git merged cleanly into something unreadable repaired or made conflicts.

git's clean merge is never replaced, except a result that no longer parses (a table declared
twice) while the project's own version did. A file structure cannot merge keeps git's markers;
a broken clean result that structure cannot repair gets its three stages back in the index, so
it is a conflict like any other (exit 4) and cannot be committed by accident.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dlgen import gitobjects, gitwork, journal
from dlgen.project import Project


@dataclass
class Resolution:
    """What the structured step did, by path (relative to the repository's top)."""

    merged: list[str] = field(default_factory=list)  # conflicted in git, merged by structure
    repaired: list[str] = field(default_factory=list)  # git's clean merge broke it; merged anew
    broken: dict[str, str] = field(default_factory=dict)  # git's clean merge broke it: why


def _relative(proj: Project, path: str) -> str:
    return path.removeprefix(proj.prefix)


def _write(proj: Project, path: str, data: bytes, mode: str) -> None:
    """Stage `data` as the merged `path` and write it to the work tree through git's filters."""
    journal.remember(proj.top, proj.record.branch, [path])
    gitwork.set_index(path, {0: (mode, gitobjects.write_blob(data, proj.top))}, proj.top)
    gitwork.checkout_index([path], proj.top)


def merge_conflicted(proj: Project, done: Resolution) -> None:
    """Every conflicted structured file with all three stages, merged by structure if it can be."""
    from dlgen.structmerge import kind_of, merge

    for path, stages in gitwork.unmerged_stages(proj.top).items():
        if {1, 2, 3} - stages.keys() or kind_of(_relative(proj, path)) is None:
            continue
        blobs = gitobjects.cat_blobs([stages[1], stages[2], stages[3]], proj.top)
        base, ours, theirs = (blobs[stages[n]] for n in (1, 2, 3))
        outcome = merge(base, ours, theirs, _relative(proj, path))
        if outcome.merged is not None:
            _write(proj, path, outcome.merged, gitwork.index_entries(path, proj.top)[2][0])
            done.merged.append(path)


def check_clean(proj: Project, base: str, new: str, touched: list[str], done: Resolution) -> None:
    """Structured files git merged cleanly: one that no longer parses (and parsed in HEAD) is
    merged by structure instead, or else made a conflict."""
    from dlgen.structmerge import kind_of, merge
    from dlgen.wellformed import problem

    for path in touched:
        if kind_of(path) in (None, "lines"):
            continue
        entries = gitwork.index_entries(path, proj.top)
        if set(entries) != {0}:
            continue  # conflicted (git's markers) or deleted
        mode, blob = entries[0]
        broken = problem(path, gitobjects.cat_blob(blob, proj.top))
        if broken is None:
            continue
        sides = [_at(proj, rev, path) for rev in (base, "HEAD", new)]
        if None in sides or problem(path, sides[1] or b"") is not None:
            continue  # the project's own file did not parse either: not the merge's doing
        b, o, t = (s or b"" for s in sides)
        outcome = merge(b, o, t, _relative(proj, path))
        if outcome.merged is not None:
            _write(proj, path, outcome.merged, mode)
            done.repaired.append(path)
            continue
        stages = {
            n: (mode, gitobjects.write_blob(s, proj.top)) for n, s in ((1, b), (2, o), (3, t))
        }
        gitwork.set_index(path, stages, proj.top)
        done.broken[path] = broken


def _at(proj: Project, rev: str, path: str) -> bytes | None:
    """`path` at `rev`, or None where it does not exist."""
    if gitobjects.object_types(rev, [path], proj.top).get(path) != "blob":
        return None
    return gitobjects.show_file(rev, path, proj.top)


def after_merge(proj: Project, base: str, new: str, touched: list[str]) -> Resolution:
    """The structured step: conflicted files first, then the clean results that broke."""
    done = Resolution()
    merge_conflicted(proj, done)
    check_clean(proj, base, new, touched, done)
    return done
