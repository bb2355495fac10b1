"""`dlgen status PATH...`: the fleet view. Read-only and offline, on check's copier-free path.

Each project gets its `dlgen check` report, its active ignores, whether an update or merge is in
progress (from the update `journal`) and which paths are left conflicted, and how far its
template version trails the newest version visible here: the bundled template's, a local
template's, or the newest tag of a clone given with `--template`. Projects are inspected in a
thread pool: the work is git subprocesses.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from dlgen import answers, journal, rehearsal
from dlgen.check_engine import check
from dlgen.errors import DlgenError, InputError
from dlgen.findings import ERROR, WARNING
from dlgen.releases import Versions
from dlgen.status_report import STATES, FleetReport, Row
from dlgen.versions import lag as lag_of
from dlgen.versions import parse as parse_version

# --- finding the projects -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Found:
    shown: str
    path: Path
    project: bool
    note: str = ""


def discover(paths: Sequence[str], depth: int) -> list[_Found]:
    """Each PATH that is a project, else the projects up to `depth` folder levels below it.

    A folder under which no project is found is one "not a project" row; the search does not
    descend into projects, hidden folders or symlinks.
    """
    found: dict[Path, _Found] = {}
    for shown in paths:
        path = Path(shown)
        if not path.is_dir():
            raise InputError(f"{shown}: not a directory")
        for f in _scan(shown, path, depth):
            found.setdefault(f.path.resolve(), f)  # `dlgen status a a/..` lists a project once
    return list(found.values())


def _scan(shown: str, path: Path, depth: int) -> list[_Found]:
    if (path / answers.RECORD_NAME).is_file():
        return [_Found(shown, path, True)]
    try:
        children = [] if depth == 0 else sorted(path.iterdir())
    except OSError as e:
        return [_Found(shown, path, False, f"cannot read: {e.strerror}")]
    below = [
        f
        for child in children
        if child.is_dir() and not child.is_symlink() and not child.name.startswith(".")
        for f in _scan(str(Path(shown) / child.name), child, depth - 1)
    ]
    if any(f.project for f in below):
        return below
    what = "a git repository" if (path / ".git").exists() else "a folder"
    return [_Found(shown, path, False, f"{what} without {answers.RECORD_NAME}")]


# --- one project ---------------------------------------------------------------------------------


def inspect(found: _Found, versions: Versions | None = None) -> Row:
    """The row of one project: its check report (version policy from the newest release
    `versions` knows), ignores and repository state."""
    if not found.project:
        return Row(found.shown, "not-a-project", note=found.note)
    newest = (lambda t: versions.release(t, found.path)) if versions else None
    report = check(found.path, newest=newest)
    try:
        record: answers.Record | None = answers.load(found.path)
    except InputError:
        record = None  # check reported it as DLG001
    branch = record.branch if record else answers.DEFAULT_BRANCH
    state = journal.state(found.path, branch)
    markers = [f.path for f in report.findings if f.id == "DLG007"]
    return Row(
        found.shown,
        "",
        template=report.template,
        version=report.version,
        branch=branch if record else None,
        findings=tuple(report.findings),
        ignores=tuple(sorted(record.check.ignore.items())) if record else (),
        update_in_progress=state.update,
        merge_in_progress=state.merge,
        conflicts=tuple(sorted({*state.conflicts, *markers})),
    )


def _with_version(row: Row, found: _Found, versions: Versions) -> Row:
    """Add the newest visible version and the lag; then decide the state."""
    if row.state:
        return row
    newest, lag = None, None
    behind = False
    if row.template and row.version:
        newest = versions.newest(row.template, found.path)
        old, new = parse_version(row.version), parse_version(newest or "")
        if old and new:
            lag, behind = lag_of(old, new), new > old
    state = _state(row, behind)
    if state == "current" and newest is None:
        state = "unknown"  # nothing here says which version is the newest
    return replace(row, state=state, newest=newest, lag=lag, behind=behind)


def _state(row: Row, behind: bool) -> str:
    """The worst thing about the project."""
    if row.conflicts:
        return "conflicted"
    if row.update_in_progress or row.merge_in_progress:
        return "updating"
    if row.count(ERROR):
        return "failing"
    if row.count(WARNING):
        return "warning"
    return "lagging" if behind else "current"


def _rank(row: Row) -> tuple[int, int, int, int, str]:
    return (
        STATES.index(row.state),
        -row.count(ERROR),
        -row.count(WARNING),
        -(row.lag or 0),
        row.path,
    )


def status(paths: Sequence[str], *, depth: int = 1, clones: Iterable[str] = ()) -> FleetReport:
    """Inspect every project found under `paths`; rows worst first."""
    versions = Versions(clones)
    found = discover(paths, depth)
    workers = min(32, 4 * (os.cpu_count() or 1))  # git subprocesses: threads wait, not compute
    with ThreadPoolExecutor(max_workers=workers) as pool:
        rows = list(pool.map(lambda f: _inspect_safely(f, versions), found))
    rows = [_with_version(r, f, versions) for r, f in zip(rows, found, strict=True)]
    return FleetReport(sorted(rows, key=_rank))


def _inspect_safely(found: _Found, versions: Versions) -> Row:
    """A project git or the file system cannot read is a failing row naming why, not the end
    of the report."""
    try:
        return inspect(found, versions)
    except (DlgenError, OSError) as e:
        return Row(found.shown, "failing", note=f"cannot inspect: {e}", unreadable=True)


def preview(
    paths: Sequence[str],
    ref: str,
    *,
    depth: int = 1,
    clones: Iterable[str] = (),
    trust: bool = False,
) -> rehearsal.Rehearsal:
    """`--preview REF`: what updating every project found under `paths` to `ref` would do (the
    template read from a clone given with --template where one matches), nothing written."""
    versions = Versions(clones)
    found = discover(paths, depth)

    def one(f: _Found) -> rehearsal.Preview:
        if not f.project:
            return rehearsal.Preview(f.shown, "not-a-project", error=f.note)
        try:
            template = answers.load(f.path).template
        except InputError as e:
            return rehearsal.Preview(f.shown, "failed", error=str(e))
        clone = versions.clone_for(template, f.path)
        return rehearsal.preview(f.shown, f.path, ref, clone=clone, trust=trust)

    workers = min(8, os.cpu_count() or 1)  # each preview renders the template: CPU, not waiting
    with ThreadPoolExecutor(max_workers=workers) as pool:
        rows = list(pool.map(one, found))
    return rehearsal.Rehearsal(ref, sorted(rows, key=rehearsal.rank))
