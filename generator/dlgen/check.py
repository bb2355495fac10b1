"""`dlgen check`: does the project still honour its template? Read-only, offline, fast.

Never imports copier or Jinja: it reads `.dlgen.yml`, the template branch and the work tree through
a handful of git calls. Each finding has a stable id, a path and a one-line fix.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from dlgen import answers, git, templates
from dlgen.errors import InputError
from dlgen.template_branch import TRAILER_VERSION, locate, ref

ERROR, WARNING = "error", "warning"
_MARKERS = r"^(<<<<<<<|>>>>>>>|\|\|\|\|\|\|\|)( |$)"


@dataclass(frozen=True)
class Finding:
    """One thing wrong with the project."""

    id: str
    severity: str
    path: str
    message: str
    fix: str


@dataclass(frozen=True)
class Report:
    """Every finding of one check run."""

    project: str
    template: str | None
    version: str | None
    findings: list[Finding] = field(default_factory=list)

    def errors(self, strict: bool = False) -> int:
        """How many findings fail the check (warnings too under `strict`)."""
        return sum(f.severity == ERROR or strict for f in self.findings)

    def exit_code(self, strict: bool = False) -> int:
        """0 when clean, 1 with failures."""
        return 1 if self.errors(strict) else 0

    def to_text(self, strict: bool = False) -> str:
        """One line per finding, then a summary line."""
        lines = [
            f"{f.path}: {f.id} {f.severity}: {f.message} (fix: {f.fix})" for f in self.findings
        ]
        warnings = sum(f.severity == WARNING for f in self.findings)
        errors = len(self.findings) - warnings
        verdict = "failed" if self.exit_code(strict) else "ok"
        lines.append(f"dlgen check: {verdict}: {errors} error(s), {warnings} warning(s)")
        return "\n".join(lines)

    def to_json(self, strict: bool = False) -> str:
        """The report as JSON (schema: check.schema.json)."""
        data = {
            "project": self.project,
            "template": self.template,
            "template_version": self.version,
            "ok": not self.exit_code(strict),
            "findings": [asdict(f) for f in self.findings],
        }
        return json.dumps(data, indent=2, sort_keys=False)


@dataclass(frozen=True)
class _Repo:
    top: Path
    prefix: str  # the project's path inside the repository, '' or ending in '/'


def check(project: Path, *, only: str | None = None) -> Report:
    """Run every check (or `only="version"`) on the project at `project`."""
    try:
        record = answers.load(project)
    except InputError as e:
        return Report(str(project), None, None, [_record_finding(e)])
    found = list(check_version(record))
    repo = _repo(project)
    if only != "version":
        found += check_template_name(record)
        if repo is None:
            found.append(
                Finding(
                    "DLG010",
                    WARNING,
                    ".",
                    "not a git repository",
                    "run `git init` and commit, or generate with `dlgen new`",
                )
            )
        else:
            found += check_repository(repo, record)
    found.sort(key=lambda f: (f.path, f.id))
    return Report(str(project), record.template, record.template_version, found)


def _record_finding(e: InputError) -> Finding:
    return Finding(
        "DLG001",
        ERROR,
        answers.RECORD_NAME,
        str(e),
        "restore it from git history, or `dlgen adopt` to create one",
    )


def _repo(project: Path) -> _Repo | None:
    out = git.git(["rev-parse", "--show-toplevel", "--show-prefix"], project, check=False)
    lines = out.splitlines()
    return _Repo(Path(lines[0]), lines[1] if len(lines) > 1 else "") if lines else None


def check_repository(repo: _Repo, record: answers.Record) -> list[Finding]:
    """The checks that read git: template branch, enforced files, leftovers."""
    found = check_leftovers(repo)
    located = locate(repo.top, repo.prefix, record.branch, record=record)
    tip = located.base(record.template_version)  # the render HEAD merged (squashed: the branch)
    if located.local is None:
        found.append(
            Finding(
                "DLG011",
                WARNING,
                record.branch,
                "the template branch is missing",
                f"`git fetch origin {record.branch}:{record.branch}`, or `dlgen adopt`",
            )
        )
    else:
        found += check_branch(repo, record.branch)
    if tip is not None:
        found += check_files(repo, record, tip)
    return found


# --- the record -------------------------------------------------------------------------------


def check_template_name(record: answers.Record) -> list[Finding]:
    """A bare name must be a bundled template; paths and URLs are not checked offline."""
    name = record.template
    if "/" in name or templates.is_url(name) or name in templates.bundled_names():
        return []
    return [
        Finding(
            "DLG002",
            ERROR,
            answers.RECORD_NAME,
            f"unknown template {name!r}",
            f"fix `template:`; this dlgen bundles {', '.join(templates.bundled_names())}",
        )
    ]


def _parse_version(text: str) -> tuple[int, ...] | None:
    match = re.match(r"v?(\d+(?:\.\d+)*)", text)
    if not match:
        return None
    parts = [int(p) for p in match.group(1).split(".")]
    return (*parts, 0, 0, 0)[:3]  # "v1" and "1.0.0" compare equal


def _lag(recorded: tuple[int, ...], newest: tuple[int, ...]) -> int:
    """Releases behind, counted in minor versions (a major step counts as a thousand)."""
    old, new = (*recorded, 0, 0), (*newest, 0, 0)
    if new[0] != old[0]:
        return max(new[0] - old[0], 0) * 1000
    return max(new[1] - old[1], 0)


def check_version(record: answers.Record) -> list[Finding]:
    """The recorded template version against min_version and max_lag (project over template)."""
    recorded = _parse_version(record.template_version)
    if recorded is None:
        return []
    found: list[Finding] = []
    minimum = record.check.min_version or record.policy.min_version
    if minimum and (floor := _parse_version(minimum)) and recorded < floor:
        found.append(
            Finding(
                "DLG003",
                ERROR,
                answers.RECORD_NAME,
                f"template version {record.template_version} is older than the minimum {minimum}",
                "`dlgen update`",
            )
        )
    max_lag = record.check.max_lag if record.check.max_lag is not None else record.policy.max_lag
    newest = _bundled_version(record.template)
    if max_lag is not None and newest and _lag(recorded, newest) > max_lag:
        shown = ".".join(map(str, newest))
        found.append(
            Finding(
                "DLG004",
                WARNING,
                answers.RECORD_NAME,
                f"template version {record.template_version} trails {shown} by more "
                f"than {max_lag} minor release(s)",
                "`dlgen update`",
            )
        )
    return found


def _bundled_version(name: str) -> tuple[int, ...] | None:
    if name not in templates.bundled_names():
        return None
    version = templates.read_meta(templates.bundled_root() / "templates" / name).version
    return _parse_version(version) if version else None


# --- the work tree ----------------------------------------------------------------------------


def check_leftovers(repo: _Repo) -> list[Finding]:
    """Conflict markers and .rej/.orig files in tracked files of the project."""
    scope = [f":(top){repo.prefix}"] if repo.prefix else ["."]
    found = []
    grep = git.git(["grep", "-I", "-n", "-z", "-E", _MARKERS, "--", *scope], repo.top, check=False)
    seen: set[str] = set()
    for line in grep.splitlines():
        path, _, rest = line.partition("\0")
        if path not in seen:
            seen.add(path)
            lineno = rest.partition("\0")[0]
            found.append(
                Finding(
                    "DLG007",
                    ERROR,
                    _rel(repo, path),
                    f"conflict marker at line {lineno}",
                    "resolve the conflict, then `git add` the file",
                )
            )
    leftovers = git.git(
        [
            "ls-files",
            "-z",
            "--",
            *(f"{s}/*.{e}" if s != "." else f"*.{e}" for s in scope for e in ("rej", "orig")),
        ],
        repo.top,
    )
    found += [
        Finding(
            "DLG008",
            ERROR,
            _rel(repo, p),
            "merge leftover is tracked",
            f"`git rm {_rel(repo, p)}` after applying what it holds",
        )
        for p in leftovers.split("\0")
        if p
    ]
    return found


def _rel(repo: _Repo, path: str) -> str:
    return path[len(repo.prefix) :] if repo.prefix and path.startswith(repo.prefix) else path


# --- the template branch and the files it owns ------------------------------------------------


def check_branch(repo: _Repo, branch: str) -> list[Finding]:
    """Every commit on the branch is a render: one parent at most, dlgen's author, trailers."""
    log = git.git(["log", "-z", "--format=%H%x01%P%x01%ae%x01%B", ref(branch), "--"], repo.top)
    found = []
    for entry in filter(None, log.split("\0")):
        sha, parents, email, body = entry.split("\x01", 3)
        why = (
            "a merge commit"
            if len(parents.split()) > 1
            else f"authored by {email}"
            if email != git.DLGEN_AUTHOR["GIT_AUTHOR_EMAIL"]
            else "missing dlgen trailers"
            if f"{TRAILER_VERSION}: " not in body
            else None
        )
        if why:
            found.append(
                Finding(
                    "DLG009",
                    ERROR,
                    branch,
                    f"commit {sha[:12]} is not a pristine render ({why})",
                    f"rebuild the branch: `git branch -f {branch} "
                    "<last pristine commit>`, then `dlgen update`",
                )
            )
    return found


def _blobs(repo: _Repo, rev: str, paths: Iterable[str]) -> dict[str, str]:
    """path -> blob id at `rev` for the given project-relative paths that exist there."""
    full = [repo.prefix + p for p in paths]
    if not full:
        return {}
    out = git.git(["ls-tree", "-z", "--full-tree", rev, "--", *full], repo.top)
    blobs = {}
    for entry in filter(None, out.split("\0")):
        meta, _, path = entry.partition("\t")
        blobs[_rel(repo, path)] = meta.split()[2]
    return blobs


def check_files(repo: _Repo, record: answers.Record, tip: str) -> list[Finding]:
    """Enforced files equal their pristine render; superset files keep every pristine line."""
    ignore = record.check.ignore
    policy = record.policy
    found = [
        Finding(
            "DLG013",
            WARNING,
            path,
            "ignored but not enforced by the template",
            f"remove `{path}` from check.ignore in {answers.RECORD_NAME}",
        )
        for path in sorted(ignore)
        if path not in (*policy.enforced, *policy.superset)
    ]
    enforced = [p for p in policy.enforced if p not in ignore]
    superset = [p for p in policy.superset if p not in ignore]
    pristine = _blobs(repo, tip, [*enforced, *superset])
    project = repo.top / repo.prefix
    present = [p for p in pristine if (project / p).is_file()]
    current = dict(zip(present, _hash_objects(repo, present), strict=True))
    for path in enforced:
        if path in pristine and current.get(path) != pristine[path]:
            state = "differs from" if path in current else "is missing from"
            found.append(
                Finding(
                    "DLG005",
                    ERROR,
                    path,
                    f"{state} the template's pristine render",
                    f"`git checkout {record.branch} -- {path}`, or give a reason "
                    f"under check.ignore in {answers.RECORD_NAME}",
                )
            )
    for path in superset:
        if path in pristine and current.get(path) != pristine[path]:
            found += _superset(repo, project, path, pristine[path], record.branch)
    return found


def _hash_objects(repo: _Repo, paths: list[str]) -> list[str]:
    if not paths:
        return []
    full = [repo.prefix + p for p in paths]
    return git.git(["hash-object", "--", *full], repo.top).split()


def _superset(repo: _Repo, project: Path, path: str, blob: str, branch: str) -> list[Finding]:
    lines = set(git.git_bytes(["cat-file", "blob", blob], repo.top).splitlines())
    have = set((project / path).read_bytes().splitlines()) if (project / path).is_file() else set()
    missing = sorted(lines - have - {b""})
    if not missing:
        return []
    first = missing[0].decode(errors="replace")
    return [
        Finding(
            "DLG006",
            ERROR,
            path,
            f"lost {len(missing)} line(s) of the template's version, e.g. {first!r}",
            f"add them back (`git diff {branch} -- {path}`); local lines may be added freely",
        )
    ]
