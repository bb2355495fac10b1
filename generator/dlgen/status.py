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

from dlgen import answers, git, journal, sources
from dlgen.check_engine import check
from dlgen.errors import DlgenError, InputError
from dlgen.findings import ERROR, WARNING
from dlgen.status_report import STATES, FleetReport, Row
from dlgen.template import Template
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


# --- the newest template version visible offline -------------------------------------------------


def _normalize(spec: str) -> str:
    """A URL or path as a comparable key: no git+ or file:// prefix, no trailing / or .git."""
    spec = spec.removeprefix("git+")
    if spec.startswith("file://"):
        return str(Path(spec.removeprefix("file://")).resolve())
    return spec.rstrip("/").removesuffix(".git")


class Versions:
    """The newest version of each template, from what this machine has: no network."""

    def __init__(self, clones: Iterable[str]) -> None:
        self._newest: dict[str, str | None] = {}
        for spec in clones:
            self._add_clone(spec)

    def _add_clone(self, spec: str) -> None:
        source, sep, clone = spec.rpartition("=")
        path = Path(clone)
        top = git.toplevel(path) if path.is_dir() else None
        if top is None:
            raise InputError(f"--template {spec}: {clone} is not a local git clone of a template")
        newest = sources.newest_version_tag(top)
        keys = [str(top.resolve()), *git.remote_urls(top), *([source] if sep else [])]
        self._newest.update({_normalize(k): newest for k in keys})

    def newest(self, template: str, project: Path) -> str | None:
        """The newest version of the template recorded as `template` by the project `project`."""
        if "/" not in template and template in sources.bundled_names():
            key = f"bundled:{template}"
            if key not in self._newest:
                path = sources.bundled_root() / "templates" / template
                self._newest[key] = Template.version_of(path)
            return self._newest[key]
        if sources.is_url(template):
            return self._newest.get(_normalize(template))  # only a clone given with --template
        key = str((project / template).resolve())
        if key not in self._newest:
            self._newest[key] = _local_newest(Path(key))
        return self._newest[key]


def _local_newest(path: Path) -> str | None:
    """As `sources.resolve` reads it: a repository root by its tags, a folder by `_dlgen`."""
    if not path.is_dir():
        return None
    top = git.toplevel(path)
    if top is not None and top.resolve() == path:
        return sources.newest_version_tag(top)
    try:
        return Template.version_of(path)
    except InputError:
        return None


# --- one project ---------------------------------------------------------------------------------


def inspect(found: _Found) -> Row:
    """The row of one project: its check report, ignores and repository state."""
    if not found.project:
        return Row(found.shown, "not-a-project", note=found.note)
    report = check(found.path)
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
    return replace(row, state=_state(row, behind), newest=newest, lag=lag, behind=behind)


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
        rows = list(pool.map(_inspect_safely, found))
    rows = [_with_version(r, f, versions) for r, f in zip(rows, found, strict=True)]
    return FleetReport(sorted(rows, key=_rank))


def _inspect_safely(found: _Found) -> Row:
    """A project git or the file system cannot read is a failing row naming why, not the end
    of the report."""
    try:
        return inspect(found)
    except (DlgenError, OSError) as e:
        return Row(found.shown, "failing", note=f"cannot inspect: {e}", unreadable=True)
