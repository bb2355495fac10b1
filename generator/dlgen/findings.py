"""The findings catalog: every DLG code `dlgen check` reports, each built by one function here.

A finding's id, severity, message and fix are written in exactly one place, so the text a CI log
shows for a code cannot drift between the places that detect it. `Ignore` is the other half of a
report: a `check.ignore` entry that was honoured. `status` and its report import these too.
"""

from __future__ import annotations

from dataclasses import dataclass

ERROR, WARNING = "error", "warning"
ENFORCEMENT, MARKERS = "enforcement", "conflict markers"  # what an Ignore switches off
RECORD = ".dlgen.yml"  # answers.RECORD_NAME, without importing the record's reader


@dataclass(frozen=True)
class Finding:
    """One thing wrong with the project."""

    id: str
    severity: str
    path: str
    message: str
    fix: str


@dataclass(frozen=True)
class Ignore:
    """One active `check.ignore` entry: what it switches off, and the project's reason."""

    path: str
    reason: str
    kind: str  # ENFORCEMENT or MARKERS

    def line(self) -> str:
        """How the text output and the CI log show it."""
        return f"{self.path} {self.kind} ignored: {self.reason}"


# --- the record ---------------------------------------------------------------------------------


def bad_record(problem: str) -> Finding:
    """DLG001: `.dlgen.yml` is missing or invalid (`problem` names the bad key)."""
    fix = "restore it from git history, or `dlgen adopt` to create one"
    return Finding("DLG001", ERROR, RECORD, problem, fix)


def unknown_template(name: str, bundled: list[str]) -> Finding:
    """DLG002: the record names a bare template that this dlgen does not bundle."""
    fix = f"fix `template:`; this dlgen bundles {', '.join(bundled)}"
    return Finding("DLG002", ERROR, RECORD, f"unknown template {name!r}", fix)


def below_minimum(version: str, minimum: str) -> Finding:
    """DLG003: the recorded template version is older than the policy's min_version."""
    message = f"template version {version} is older than the minimum {minimum}"
    return Finding("DLG003", ERROR, RECORD, message, "`dlgen update`")


def lagging(version: str, newest: str, max_lag: int) -> Finding:
    """DLG004: the recorded version trails the installed bundled one by more than max_lag."""
    message = f"template version {version} trails {newest} by more than {max_lag} minor release(s)"
    return Finding("DLG004", WARNING, RECORD, message, "`dlgen update`")


# --- the files the template owns -----------------------------------------------------------------


def not_pristine(path: str, branch: str, *, missing: bool = False) -> Finding:
    """DLG005: an enforced file differs from (or is missing from) its pristine render."""
    state = "is missing from" if missing else "differs from"
    fix = f"`git checkout {branch} -- {path}`, or give a reason under check.ignore in {RECORD}"
    return Finding("DLG005", ERROR, path, f"{state} the template's pristine render", fix)


def unreadable(path: str, problem: str, branch: str) -> Finding:
    """DLG016: a TOML, YAML or JSON file the template renders no longer parses, or repeats a key
    or table (a line merge can do that while reporting success)."""
    fix = f"fix it by hand; the template's version: `git show {branch}:{path}`"
    return Finding("DLG016", ERROR, path, f"does not parse: {problem}", fix)


def item_not_pristine(path: str, what: str, branch: str) -> Finding:
    """DLG005, item by item: a hook, job or step of a structured enforced file was removed or
    changed (`what` says which, from `structure.deviations`)."""
    fix = (
        f"restore the template's items (`git diff {branch} -- {path}`); "
        "hooks, jobs and steps of your own may be added freely"
    )
    return Finding("DLG005", ERROR, path, what, fix)


def lost_lines(path: str, count: int, first: str, branch: str) -> Finding:
    """DLG006: a superset file dropped `count` lines of its pristine render (`first` shown)."""
    message = f"lost {count} line(s) of the template's version, e.g. {first!r}"
    fix = f"add them back (`git diff {branch} -- {path}`); local lines may be added freely"
    return Finding("DLG006", ERROR, path, message, fix)


# --- the work tree and the template branch -------------------------------------------------------


def conflict_markers(path: str, line: str) -> Finding:
    """DLG007: a file the template renders holds a conflict marker (first one at `line`)."""
    fix = "resolve the conflict, then `git add` the file"
    return Finding("DLG007", ERROR, path, f"conflict marker at line {line}", fix)


def merge_leftover(path: str) -> Finding:
    """DLG008: a `.rej` or `.orig` file is tracked."""
    fix = f"`git rm {path}` after applying what it holds"
    return Finding("DLG008", ERROR, path, "merge leftover is tracked", fix)


def unresolved(path: str, *, note: str | None = None) -> Finding:
    """DLG017: a template update left `path` unresolved: unmerged in the index (markers or not:
    a file edited here and deleted by the template has none), or committed by a roll-out with
    its `note` (`PATH.dlgen-unresolved`) beside it."""
    if note is None:
        fix = "resolve it, then `git add` (or `git rm`) the path"
        return Finding("DLG017", ERROR, path, "unmerged: a conflict not resolved", fix)
    fix = f"keep, change or `git rm` {path} (the note says why), then `git rm {note}`"
    return Finding("DLG017", ERROR, path, "left unresolved by a template update", fix)


def impure_commit(sha: str, why: str, branch: str) -> Finding:
    """DLG009: a commit on the template branch is not a pristine render (`why` says how)."""
    fix = (
        f"rebuild the branch: `git branch -f {branch} <last pristine commit>`, then `dlgen update`"
    )
    message = f"commit {sha[:12]} is not a pristine render ({why})"
    return Finding("DLG009", ERROR, branch, message, fix)


def not_a_repository() -> Finding:
    """DLG010: the project is not in a git work tree."""
    fix = "run `git init` and commit, or generate with `dlgen new`"
    return Finding("DLG010", WARNING, ".", "not a git repository", fix)


def branch_missing(branch: str) -> Finding:
    """DLG011: the project's template branch does not exist here."""
    fix = f"`git fetch origin {branch}:{branch}`, or `dlgen adopt`"
    return Finding("DLG011", WARNING, branch, "the template branch is missing", fix)


# --- check.ignore and policy ---------------------------------------------------------------------


def useless_ignore(path: str) -> Finding:
    """DLG013: `check.ignore` names a path the template does not enforce."""
    fix = f"remove `{path}` from check.ignore in {RECORD}"
    return Finding("DLG013", WARNING, path, "ignored but not enforced by the template", fix)


def locked_ignore(path: str, reason: str) -> Finding:
    """DLG014: `check.ignore` names a file the template locks."""
    message = f"locked by the template: check.ignore cannot switch it off ({reason!r})"
    return Finding("DLG014", ERROR, path, message, f"remove `{path}` from check.ignore in {RECORD}")


def policy_edited(branch: str) -> Finding:
    """DLG015: the record's `policy:` differs from the render's (only `check:` is the project's)."""
    message = "`policy:` differs from the template's; only the `check:` section is the project's"
    fix = f"restore it: `git show {branch}:{RECORD}`"
    return Finding("DLG015", ERROR, RECORD, message, fix)
