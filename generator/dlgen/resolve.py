"""After git's merge, structure: conflicted TOML/YAML/JSON/line-set files merged by structure, and
structured files that git merged cleanly into something unreadable repaired or made conflicts.

git's clean merge is never replaced, except a result that no longer parses (a table declared
twice) while the project's own version did. A file structure cannot merge keeps git's markers;
a broken clean result that structure cannot repair gets its three stages back in the index, so
it is a conflict like any other (exit 4) and cannot be committed by accident.
"""

from __future__ import annotations

from collections.abc import Mapping
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


def structured(proj: Project, path: str, stages: Mapping[int, str]) -> bytes | None:
    """git's three stages of a conflicted structured file merged by structure, or None (a true
    conflict, a side that does not parse, a stage missing, not a structured file)."""
    from dlgen.structmerge import kind_of, merge

    if {1, 2, 3} - stages.keys() or kind_of(_relative(proj, path)) is None:
        return None
    blobs = gitobjects.cat_blobs([stages[1], stages[2], stages[3]], proj.top)
    base, ours, theirs = (blobs[stages[n]] for n in (1, 2, 3))
    return merge(base, ours, theirs, _relative(proj, path)).merged


@dataclass(frozen=True)
class Broken:
    """A structured file that git's clean merge left unparsable: why, the three versions, and
    their structured merge (None: it cannot be repaired, so it becomes a conflict)."""

    why: str
    sides: tuple[bytes, bytes, bytes]
    repaired: bytes | None


def judge_clean(proj: Project, path: str, result: bytes, base: str, new: str) -> Broken | None:
    """git's clean `result` for a structured file: None when it parses, or when the project's own
    version or the template's new one did not parse either (not the merge's doing: copier-uv's
    VS Code files are JSON with trailing commas); else why, and the repair if any."""
    from dlgen.structmerge import kind_of, merge
    from dlgen.wellformed import problem

    if kind_of(path) in (None, "lines"):
        return None
    broken = problem(path, result)
    if broken is None:
        return None
    sides = [_at(proj, rev, path) for rev in (base, "HEAD", new)]
    if None in sides or any(problem(path, side or b"") for side in sides[1:]):
        return None
    b, o, t = (side or b"" for side in sides)
    return Broken(broken, (b, o, t), merge(b, o, t, _relative(proj, path)).merged)


def merge_conflicted(proj: Project, done: Resolution) -> None:
    """Every conflicted structured file with all three stages, merged by structure if it can be."""
    for path, stages in gitwork.unmerged_stages(proj.top).items():
        merged = structured(proj, path, stages)
        if merged is not None:
            _write(proj, path, merged, gitwork.index_entries(path, proj.top)[2][0])
            done.merged.append(path)


def check_clean(proj: Project, base: str, new: str, touched: list[str], done: Resolution) -> None:
    """Structured files git merged cleanly: one that no longer parses (and parsed in HEAD) is
    merged by structure instead, or else made a conflict."""
    from dlgen.structmerge import kind_of

    for path in touched:
        if kind_of(path) in (None, "lines"):
            continue
        entries = gitwork.index_entries(path, proj.top)
        if set(entries) != {0}:
            continue  # conflicted (git's markers) or deleted
        mode, blob = entries[0]
        broken = judge_clean(proj, path, gitobjects.cat_blob(blob, proj.top), base, new)
        if broken is None:
            continue
        if broken.repaired is not None:
            _write(proj, path, broken.repaired, mode)
            done.repaired.append(path)
            continue
        blobs = [gitobjects.write_blob(side, proj.top) for side in broken.sides]
        gitwork.set_index(path, {n: (mode, blobs[n - 1]) for n in (1, 2, 3)}, proj.top)
        done.broken[path] = broken.why


def predict(
    proj: Project,
    base: str,
    new: str,
    result: str,
    stages: Mapping[str, Mapping[int, str]],
    touched: list[str],
) -> Resolution:
    """What `after_merge` will do, read from `git merge-tree`'s result tree and conflicts (a dry
    run): the same decisions on the same blobs, nothing written."""
    from dlgen.structmerge import kind_of

    done = Resolution()
    done.merged = [path for path, blobs in stages.items() if structured(proj, path, blobs)]
    for path in touched:
        if path in stages or kind_of(path) in (None, "lines"):
            continue
        merged = _at(proj, result, path)
        broken = None if merged is None else judge_clean(proj, path, merged, base, new)
        if broken is not None and broken.repaired is not None:
            done.repaired.append(path)
        elif broken is not None:
            done.broken[path] = broken.why
    return done


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
