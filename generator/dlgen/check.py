"""`dlgen check`: does the project still honour its template? Read-only, offline, fast.

Never imports copier, Jinja or click, nor PyYAML unless a file needs it: it reads `.dlgen.yml`,
the template branch and the work tree through five git calls started at once on a clean project
(more only for files that differ). Each finding has a stable id, a path and a one-line fix; every
`check.ignore` that was honoured is reported beside them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

from dlgen import answers, git, templates
from dlgen.errors import (
    EXIT_FINDINGS,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    InputError,
    ProcessError,
)
from dlgen.template_branch import locate, not_a_render, ref

ERROR, WARNING = "error", "warning"
ENFORCEMENT, MARKERS = "enforcement", "conflict markers"  # what an Ignore switches off
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
class Ignore:
    """One active `check.ignore` entry: what it switches off, and the project's reason."""

    path: str
    reason: str
    kind: str  # ENFORCEMENT or MARKERS

    def line(self) -> str:
        """How the text output and the CI log show it."""
        return f"{self.path} {self.kind} ignored: {self.reason}"


@dataclass(frozen=True)
class Report:
    """Every finding of one check run, and the ignores that were honoured."""

    project: str
    template: str | None
    version: str | None
    findings: list[Finding] = field(default_factory=list)
    ignores: list[Ignore] = field(default_factory=list)

    def errors(self, strict: bool = False) -> int:
        """How many findings fail the check (warnings too under `strict`)."""
        return sum(f.severity == ERROR or strict for f in self.findings)

    def exit_code(self, strict: bool = False) -> int:
        """0 when clean, 1 (EXIT_FINDINGS) with failures."""
        return EXIT_FINDINGS if self.errors(strict) else 0

    def to_text(self, strict: bool = False) -> str:
        """One line per finding, one per active ignore, then a summary line."""
        lines = [
            f"{f.path}: {f.id} {f.severity}: {f.message} (fix: {f.fix})" for f in self.findings
        ]
        lines += [i.line() for i in self.ignores]
        warnings = sum(f.severity == WARNING for f in self.findings)
        errors = len(self.findings) - warnings
        verdict = "failed" if self.exit_code(strict) else "ok"
        ignored = f", {len(self.ignores)} ignore(s)" if self.ignores else ""
        lines.append(f"dlgen check: {verdict}: {errors} error(s), {warnings} warning(s){ignored}")
        return "\n".join(lines)

    def to_json(self, strict: bool = False) -> str:
        """The report as JSON (schema: check.schema.json)."""
        import json

        data = {
            "project": self.project,
            "template": self.template,
            "template_version": self.version,
            "ok": not self.exit_code(strict),
            "findings": [asdict(f) for f in self.findings],
            "ignores": [asdict(i) for i in self.ignores],
        }
        return json.dumps(data, indent=2, sort_keys=False)


def check(project: Path, *, only: str | None = None) -> Report:
    """Run every check (or `only="version"`) on the project at `project`.

    A git call that fails for another reason than a missing repository or branch raises
    ProcessError: the check could not run, which is not a finding.
    """
    try:
        record = answers.load(project)
    except InputError as e:
        return Report(str(project), None, None, [_record_finding(e)])
    found = list(check_version(record))
    ignores: list[Ignore] = []
    if only != "version":
        found += check_template_name(record)
        more, ignores = check_repository(project, record)
        found += more
    found.sort(key=lambda f: (f.path, f.id))
    return Report(str(project), record.template, record.template_version, found, ignores)


def run_plain(args: list[str]) -> int | None:
    """`dlgen check ARGS` without click, for the forms `--help` documents: [PATH] --strict
    --format text|json --only version. None hands anything else (--help, a bad value) to click,
    which owns the help and the usage errors; the exit codes are the same either way."""
    options = _plain_options(args)
    if options is None:
        return None
    path, fmt, strict, only = options
    from dlgen.console import error, out

    try:
        report = check(Path(path), only=only)
    except KeyboardInterrupt:
        error("interrupted")
        return EXIT_INTERRUPTED
    except (ProcessError, OSError) as e:
        error(f"could not run the check: {e}")
        return EXIT_INTERNAL
    except Exception as e:  # a bug: one line; `dlgen --debug check` shows the traceback
        error(f"internal error: {type(e).__name__}: {e} (re-run with --debug)")
        return EXIT_INTERNAL
    out(report.to_json(strict) if fmt == "json" else report.to_text(strict))
    return report.exit_code(strict)


def _plain_options(args: list[str]) -> tuple[str, str, bool, str | None] | None:
    values = {"--format": ("text", "json"), "--only": ("version",)}
    path, fmt, strict, only = None, "text", False, None
    rest = list(args)
    while rest:
        arg = rest.pop(0)
        name, eq, value = arg.partition("=")
        if arg == "--strict":
            strict = True
        elif name in values:
            if not eq:
                if not rest:
                    return None
                value = rest.pop(0)
            if value not in values[name]:
                return None
            fmt, only = (value, only) if name == "--format" else (fmt, value)
        elif arg.startswith("-") or path is not None:
            return None
        else:
            path = arg
    return path or ".", fmt, strict, only


def _record_finding(e: InputError) -> Finding:
    return Finding(
        "DLG001",
        ERROR,
        answers.RECORD_NAME,
        str(e),
        "restore it from git history, or `dlgen adopt` to create one",
    )


def _in_work_tree(project: Path) -> bool:
    """Whether a `.git` lies at or above `project` (told apart from git failing for another
    reason, without parsing git's English)."""
    return any((d / ".git").exists() for d in (project.absolute(), *project.absolute().parents))


def check_repository(project: Path, record: answers.Record) -> tuple[list[Finding], list[Ignore]]:
    """The checks that read git: leftovers, template branch, the files the template owns.

    git runs in the project directory, so every path is project-relative (monorepos included).
    A clean project costs five git calls, started together: grep, ls-files, log, ls-tree and
    hash-object.
    """
    own = record.policy
    owned = [*own.enforced, *own.superset, answers.RECORD_NAME]
    present = [p for p in owned if (project / p).is_file()]
    grep, leftovers, log, tree, *hashed = git.git_parallel(
        [
            ["grep", "-I", "-n", "-z", "-E", _MARKERS, "--", "."],
            ["ls-files", "-z", "--", "*.rej", "*.orig"],
            ["log", "--ignore-missing", "-z", _LOG_FORMAT, ref(record.branch), "--"],
            ["ls-tree", "-z", ref(record.branch), "--", *owned],
            *([["hash-object", "--", *present]] if present else []),
        ],
        project,
    )
    if grep.returncode > 1:
        if not _in_work_tree(project):
            return [_not_a_repository()], []
        raise ProcessError(grep.args, grep.returncode, grep.stdout, grep.stderr)
    for done in (leftovers, log, *hashed):
        if done.returncode:
            raise ProcessError(done.args, done.returncode, done.stdout, done.stderr)
    found, ignores = check_markers(grep.stdout, record.check.ignore, own.locked)
    found += check_leftovers(leftovers.stdout)
    log_text = log.stdout
    tip = log_text[: log_text.index("\x01")] if log_text else None
    pristine = _tree(tree.stdout) if tip is not None and not tree.returncode else None
    current = dict(zip(present, hashed[0].stdout.split(), strict=True)) if hashed else {}
    record_blob = current.get(answers.RECORD_NAME)
    if pristine is None or record_blob is None or pristine.get(answers.RECORD_NAME) != record_blob:
        # Not the render the record describes (a teammate merged and pushed a newer one, a
        # squash merge, a missing branch): the render HEAD has merged, from the history.
        tip, pristine = _merged_render(project, record)
    if log_text:
        found += branch_findings(log_text, record.branch)
    else:
        found.append(
            Finding(
                "DLG011",
                WARNING,
                record.branch,
                "the template branch is missing",
                f"`git fetch origin {record.branch}:{record.branch}`, or `dlgen adopt`",
            )
        )
    if tip is None or pristine is None:
        return found, ignores
    more, honoured = check_files(project, record, tip, pristine, current)
    excused = {i.path for i in ignores}  # an ignore that excuses conflict markers is not useless
    more = [f for f in more if f.id != "DLG013" or f.path not in excused]
    return found + more, ignores + honoured


def _merged_render(
    project: Path, record: answers.Record
) -> tuple[str | None, dict[str, str] | None]:
    """The render the project is at and its owned blobs; (None, None) when there is none.

    Taken when the branch tip's `.dlgen.yml` is not the project's (the project keeps a `check:`
    section, a teammate merged a newer render, a squash merge, a missing branch): a tip of the
    record's version and answers still stands for it, else HEAD's history decides."""
    top = git.toplevel(project)
    if top is None:
        return None, None
    prefix = git.prefix_of(project.resolve(), top)
    base = locate(top, prefix, record.branch, record=record).base(record.template_version)
    if base is None:
        return None, None
    own = record.policy
    owned = [*own.enforced, *own.superset, answers.RECORD_NAME]
    return base, _tree(git.git(["ls-tree", "-z", base, "--", *owned], project))


def _not_a_repository() -> Finding:
    return Finding(
        "DLG010",
        WARNING,
        ".",
        "not a git repository",
        "run `git init` and commit, or generate with `dlgen new`",
    )


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
    copier_yml = templates.bundled_root() / "templates" / name / "copier.yml"
    # The bundled copier.yml is dlgen's own: its `_dlgen:` block opens with `version:`, read
    # without PyYAML (start-up); any other layout goes through the full reader.
    found = re.search(
        r"^_dlgen:\n  version: *['\"]?([0-9][^\s'\"#]*)", copier_yml.read_text(), re.M
    )
    version = found.group(1) if found else templates.read_meta(copier_yml.parent).version
    return _parse_version(version) if version else None


# --- the work tree ----------------------------------------------------------------------------


def check_markers(
    grep: str, ignore: Mapping[str, str], locked: Iterable[str]
) -> tuple[list[Finding], list[Ignore]]:
    """Conflict markers in tracked files (`git grep` output); `check.ignore` may excuse a file
    that shows markers on purpose (documentation about merging), unless the template locks it."""
    found, ignores, seen = [], [], set()
    for line in grep.splitlines():
        path, _, rest = line.partition("\0")
        if path in seen:
            continue
        seen.add(path)
        if path in ignore and path not in locked:
            ignores.append(Ignore(path, ignore[path], MARKERS))
            continue
        found.append(
            Finding(
                "DLG007",
                ERROR,
                path,
                f"conflict marker at line {rest.partition(chr(0))[0]}",
                "resolve the conflict, then `git add` the file",
            )
        )
    return found, ignores


def check_leftovers(leftovers: str) -> list[Finding]:
    """.rej and .orig files tracked in the project (`git ls-files -z` output)."""
    return [
        Finding(
            "DLG008",
            ERROR,
            p,
            "merge leftover is tracked",
            f"`git rm {p}` after applying what it holds",
        )
        for p in leftovers.split("\0")
        if p
    ]


# --- the template branch and the files it owns ------------------------------------------------


_LOG_FORMAT = "--format=%H%x01%P%x01%ae%x01%B"


@dataclass(frozen=True)
class _Repo:
    top: Path
    prefix: str  # the project's path inside the repository, '' or ending in '/'


def check_branch(repo: _Repo, branch: str) -> list[Finding]:
    """Every commit on the branch is a render (`dlgen update` refuses a polluted branch)."""
    return branch_findings(git.git(["log", "-z", _LOG_FORMAT, ref(branch), "--"], repo.top), branch)


def branch_findings(log: str, branch: str) -> list[Finding]:
    """Every commit of `git log -z {_LOG_FORMAT}` is a render: one parent at most, dlgen's
    author, trailers."""
    found = []
    for entry in filter(None, log.split("\0")):
        sha, parents, email, body = entry.split("\x01", 3)
        why = not_a_render(parents, email, body)
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


def _blobs(project: Path, rev: str, paths: Iterable[str]) -> dict[str, str]:
    """path -> blob id at `rev` for the given project-relative paths that exist there."""
    paths = list(paths)
    return _tree(git.git(["ls-tree", "-z", rev, "--", *paths], project)) if paths else {}


def _tree(out: str) -> dict[str, str]:
    """path -> blob id from `git ls-tree -z` output."""
    blobs = {}
    for entry in filter(None, out.split("\0")):
        meta, _, path = entry.partition("\t")
        blobs[path] = meta.split()[2]
    return blobs


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes() if path.is_file() else None
    except OSError:
        return None


def _pristine_policy(
    project: Path, record: answers.Record, blob: str | None, current: str | None
) -> tuple[answers.Policy, list[Finding]]:
    """The policy of the template's render, not the one in the work tree's `.dlgen.yml`: a project
    may only edit its `check:` section, so a changed `policy:` cannot switch enforcement off.
    `blob` and `current`: the ids of the render's `.dlgen.yml` and of the work tree's."""
    if blob is None or current == blob:
        return record.policy, []
    text = git.cat_blobs([blob], project)[blob]
    try:
        pristine = answers.parse(text, f"{answers.RECORD_NAME} on the template branch").policy
    except InputError:
        return record.policy, []  # DLG009 guards the branch; an unreadable render keeps the record
    if pristine == record.policy:
        return pristine, []
    return pristine, [
        Finding(
            "DLG015",
            ERROR,
            answers.RECORD_NAME,
            "`policy:` differs from the template's; only the `check:` section is the project's",
            f"restore it: `git show {record.branch}:{answers.RECORD_NAME}`",
        )
    ]


def check_files(
    project: Path,
    record: answers.Record,
    tip: str,
    pristine: dict[str, str],
    current: dict[str, str],
) -> tuple[list[Finding], list[Ignore]]:
    """Enforced files equal their pristine render (pre-commit and CI files: contain it, item by
    item); superset files keep every pristine line; ignores are honoured unless locked.
    `pristine` and `current` map the record's owned paths and `.dlgen.yml` to their blob ids at
    `tip` and in the work tree (`git hash-object`, so the repository's filters apply)."""
    own = record.policy
    policy, found = _pristine_policy(
        project, record, pristine.pop(answers.RECORD_NAME, None), current.get(answers.RECORD_NAME)
    )
    if policy != own:
        pristine = _blobs(project, tip, [*policy.enforced, *policy.superset])
        more = [p for p in pristine if p not in current and (project / p).is_file()]
        if more:
            hashes = git.git(["hash-object", "--", *more], project).split()
            current.update(zip(more, hashes, strict=True))
    ignore = record.check.ignore
    owned = (*policy.enforced, *policy.superset)
    found += [
        Finding(
            "DLG014",
            ERROR,
            path,
            f"locked by the template: check.ignore cannot switch it off ({ignore[path]!r})",
            f"remove `{path}` from check.ignore in {answers.RECORD_NAME}",
        )
        for path in sorted(ignore)
        if path in policy.locked
    ]
    found += [
        Finding(
            "DLG013",
            WARNING,
            path,
            "ignored but not enforced by the template",
            f"remove `{path}` from check.ignore in {answers.RECORD_NAME}",
        )
        for path in sorted(ignore)
        if path not in owned and path not in policy.locked
    ]
    honoured = [
        Ignore(path, ignore[path], ENFORCEMENT)
        for path in owned
        if path in ignore and path not in policy.locked
    ]
    skip = {i.path for i in honoured}
    changed = [p for p in pristine if p not in skip and current.get(p) != pristine[p]]
    if not changed:
        return found, honoured
    contents = git.cat_blobs(
        [pristine[p] for p in changed if p in policy.superset or structure_kind(p)], project
    )
    for path in changed:
        data = _read(project / path) if path in current else None
        if path in policy.superset:
            found += _superset(path, contents[pristine[path]], data or b"", record.branch)
        elif data is not None and (kind := structure_kind(path)):
            found += _structure(path, kind, contents[pristine[path]], data, record.branch)
        else:
            found.append(
                _differs(
                    path, "differs from" if data is not None else "is missing from", record.branch
                )
            )
    return found, honoured


def structure_kind(path: str) -> str | None:
    """Which of `structure`'s formats `path` is (the module is imported only when needed)."""
    from dlgen import structure

    return structure.kind(path)


def _differs(path: str, state: str, branch: str) -> Finding:
    return Finding(
        "DLG005",
        ERROR,
        path,
        f"{state} the template's pristine render",
        f"`git checkout {branch} -- {path}`, or give a reason under check.ignore in "
        f"{answers.RECORD_NAME}",
    )


def _structure(path: str, kind: str, pristine: bytes, data: bytes, branch: str) -> list[Finding]:
    from dlgen import structure

    return [
        Finding(
            "DLG005",
            ERROR,
            path,
            what,
            f"restore the template's items (`git diff {branch} -- {path}`); "
            "hooks, jobs and steps of your own may be added freely",
        )
        for what in structure.deviations(kind, pristine, data)
    ]


def _superset(path: str, pristine: bytes, data: bytes, branch: str) -> list[Finding]:
    missing = sorted(set(pristine.splitlines()) - set(data.splitlines()) - {b""})
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
