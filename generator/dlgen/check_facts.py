"""`dlgen check`'s gather step: every fact its rules judge, read once from git and the work tree.

A clean project costs five git calls started at once (`githistory.check_calls`); more only when the
branch tip is not the render the record describes, when the render's policy differs from the
record's, or when an owned file differs. The conflict-marker search reads only the files the
merged render holds under the project (a template's size, not the repository's): the project's
own files are pre-commit's `check-merge-conflict` hook's job. Never imports copier, Jinja, click
or typing; PyYAML only to read a `.dlgen.yml` plainyaml declines.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dlgen import answers, git, githistory, gitobjects, gitwork, sources
from dlgen.errors import InputError, ProcessError
from dlgen.template_branch import locate, ref, refuse_shallow, remote_ref

# A conflict marker line, as git writes them (`=======` alone is too common to count).
_MARKER = re.compile(rb"^(<<<<<<<|>>>>>>>|\|\|\|\|\|\|\|)( |$)", re.M)
_BINARY_PROBE = 8000  # bytes git inspects for a NUL to call a file binary (`git grep -I`)


@dataclass(frozen=True)
class Facts:
    """What one check knows about a project: its record, its template branch, the render it has
    merged and the work tree's copies of the files that render owns. Paths are project-relative."""

    record: answers.Record
    repository: bool = True  # False: not inside a git work tree (nothing else is known)
    leftovers: tuple[str, ...] = ()  # tracked .rej/.orig files
    unmerged: tuple[str, ...] = ()  # paths the index holds unmerged (a merge not resolved)
    branch: tuple[tuple[str, str, str, str], ...] | None = None  # its log; None: no branch
    render: str | None = None  # the render commit the project has merged, if any
    rendered: dict[str, str] = field(default_factory=dict)  # that render's files -> blob ids
    render_policy: answers.Policy | None = None  # the render's `policy:` where the record's differs
    current: dict[str, str] = field(default_factory=dict)  # owned files present -> blob ids
    markers: dict[str, str] = field(default_factory=dict)  # rendered file -> first marker's line
    changed: tuple[str, ...] = ()  # owned files whose blob is not the render's (not ignored)
    pristine: dict[str, bytes] = field(default_factory=dict)  # changed owned files' render bytes
    work: dict[str, bytes] = field(default_factory=dict)  # changed owned files' work-tree bytes
    unreadable: dict[str, str] = field(default_factory=dict)  # rendered TOML/YAML/JSON -> problem

    @property
    def policy(self) -> answers.Policy:
        """The policy the template's render holds (the record may only edit `check:`)."""
        return self.render_policy or self.record.policy


def gather(project: Path, record: answers.Record) -> Facts:
    """Every fact about the project at `project`, in named steps; a git call that fails for
    another reason than a missing repository or branch raises ProcessError (could not run)."""
    owned = [*record.policy.enforced, *record.policy.superset, answers.RECORD_NAME]
    present = [p for p in owned if (project / p).is_file()]
    calls = githistory.check_calls(ref(record.branch), present)
    leftovers, unmerged, log, tree, *hashed = git.git_parallel(calls, project)
    if leftovers.returncode and not _in_work_tree(project):
        return Facts(record, repository=False)
    for done in (leftovers, unmerged, log, *hashed):
        if done.returncode:
            raise ProcessError(done.args, done.returncode, done.stdout, done.stderr)
    current = dict(zip(present, hashed[0].stdout.split(), strict=True)) if hashed else {}
    tip = log.stdout[: log.stdout.index("\x01")] if log.stdout else None
    rendered = (
        gitobjects.tree_blobs(tree.stdout) if tip is not None and not tree.returncode else None
    )
    sizes = gitobjects.tree_sizes(tree.stdout) if rendered is not None else {}
    record_blob = current.get(answers.RECORD_NAME)
    if rendered is None or record_blob is None or rendered.get(answers.RECORD_NAME) != record_blob:
        tip, rendered = _merged_render(project, record)
        sizes = {}
    rendered = rendered or {}
    branch_log = log.stdout or _origins_log(project, record)
    render_policy = _render_policy(project, rendered, record_blob)
    policy = render_policy or record.policy
    if render_policy is not None:
        current |= _hash_more(project, policy, rendered, current)
    changed = _changed(policy, record.check.ignore, rendered, current)
    pristine, work = _read_changed(project, changed, policy, rendered, current)
    enforced = {p for p in changed if p not in policy.superset}  # DLG005 reports them already
    return Facts(
        record,
        leftovers=tuple(p for p in leftovers.stdout.split("\0") if p),
        unmerged=tuple(sorted({e.partition("\t")[2] for e in unmerged.stdout.split("\0") if e})),
        branch=tuple(githistory.log_entries(branch_log)) if branch_log else None,
        render=tip,
        rendered=rendered,
        render_policy=render_policy,
        current=current,
        markers=_markers(project, rendered or owned),
        changed=tuple(changed),
        pristine=pristine,
        work=work,
        unreadable=_unreadable(project, rendered, sizes, current, enforced),
    )


def newest_bundled(name: str) -> str | None:
    """The version of the bundled template `name` this dlgen installs; None if not bundled."""
    if name not in sources.bundled_names():
        return None
    from dlgen.template import Template

    return Template.version_of(sources.bundled_root() / "templates" / name)


def _in_work_tree(project: Path) -> bool:
    """Whether a `.git` lies at or above `project` (told apart from git failing for another
    reason, without parsing git's English)."""
    return any((d / ".git").exists() for d in (project.absolute(), *project.absolute().parents))


def _origins_log(project: Path, record: answers.Record) -> str:
    """No local template branch: origin's stands for it (every fresh clone starts so, issue
    #16); with neither, '' (DLG011), or exit 70 in a shallow clone, which may just lack it."""
    log = githistory.render_log(remote_ref(record.branch), project)
    if not log:
        refuse_shallow(project, f"the template branch {record.branch}")
    return log


def _merged_render(
    project: Path, record: answers.Record
) -> tuple[str | None, dict[str, str] | None]:
    """The render the project is at and its files; (None, None) when there is none.

    Taken when the branch tip's `.dlgen.yml` is not the project's (the project keeps a `check:`
    section, a teammate merged a newer render, a squash merge, a missing branch): a tip of the
    record's version and answers still stands for it, else HEAD's history decides."""
    top = git.toplevel(project)
    if top is None:
        return None, None
    prefix = git.prefix_of(project.resolve(), top)
    located = locate(top, prefix, record.branch, record=record)
    if located.merged is None or located.merged.version != record.template_version:
        refuse_shallow(top, f"the render of {record.template_version} this project records")
    base = located.base(record.template_version)
    if base is None:
        return None, None
    return base, gitobjects.files_of(base, project)


def _render_policy(
    project: Path, rendered: dict[str, str], current: str | None
) -> answers.Policy | None:
    """The `policy:` of the render's `.dlgen.yml` when that file is not the work tree's
    (`current`, its blob id); None when they are the same file or the render's is unreadable
    (DLG009 guards the branch; an unreadable render keeps the record's)."""
    blob = rendered.get(answers.RECORD_NAME)
    if blob is None or current == blob:
        return None
    text = gitobjects.cat_blobs([blob], project)[blob]
    try:
        return answers.parse(text, f"{answers.RECORD_NAME} on the template branch").policy
    except InputError:
        return None


def _markers(project: Path, paths: Iterable[str]) -> dict[str, str]:
    """path -> line number of the first conflict marker, among `paths` in the work tree.

    As `git grep -I -n` would report them: text files only (a NUL in the first 8000 bytes makes
    a file binary), lines split at LF."""
    found = {}
    for path in paths:
        data = _read(project / path)
        if data is None or b"\0" in data[:_BINARY_PROBE]:
            continue
        match = _MARKER.search(data)
        if match:
            found[path] = str(data.count(b"\n", 0, match.start()) + 1)
    return found


def _hash_more(
    project: Path, policy: answers.Policy, rendered: dict[str, str], current: dict[str, str]
) -> dict[str, str]:
    """Blob ids of the files the render's policy owns beyond the record's (DLG015's case)."""
    more = [
        p
        for p in (*policy.enforced, *policy.superset)
        if p in rendered and p not in current and (project / p).is_file()
    ]
    return dict(zip(more, gitwork.hash_objects(more, project), strict=True))


def _changed(
    policy: answers.Policy,
    ignore: Mapping[str, str],
    rendered: dict[str, str],
    current: dict[str, str],
) -> list[str]:
    """The owned files whose work-tree blob is not the render's, but those the project ignores
    with effect (no rule compares them, so they are never read)."""
    return [
        p
        for p in dict.fromkeys((*policy.enforced, *policy.superset))
        if p in rendered
        and not (p in ignore and p not in policy.locked)
        and current.get(p) != rendered[p]
    ]


def _read_changed(
    project: Path,
    changed: list[str],
    policy: answers.Policy,
    rendered: dict[str, str],
    current: dict[str, str],
) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """The render's bytes of the changed files a rule compares by content (superset and
    structured files), and the work tree's bytes of every changed file present."""
    if not changed:
        return {}, {}
    from dlgen import structure  # only when a file differs

    compared = [p for p in changed if p in policy.superset or structure.kind(p)]
    blobs = gitobjects.cat_blobs([rendered[p] for p in compared], project)
    work = {p: data for p in changed if p in current and (data := _read(project / p)) is not None}
    return {p: blobs[rendered[p]] for p in compared}, work


_STRUCTURED = (".toml", ".yaml", ".yml", ".json")


def _unreadable(
    project: Path,
    rendered: dict[str, str],
    sizes: dict[str, int],
    current: dict[str, str],
    enforced: set[str],
) -> dict[str, str]:
    """The rendered TOML/YAML/JSON files that differ from the render and no longer parse (or
    repeat a key or table), with what is wrong; the parsers load only when one differs. Without
    a git call: an owned file by its blob id, another by its size against the render's (an edit
    that keeps the size is not seen); git hashes them only where the sizes are unknown."""
    paths = [
        p
        for p in rendered
        if p.endswith(_STRUCTURED) and p not in enforced and (project / p).is_file()
    ]
    unsized = [p for p in paths if p not in current and p not in sizes]
    blobs = current | dict(zip(unsized, gitwork.hash_objects(unsized, project), strict=True))
    differ = [
        p
        for p in paths
        if (blobs[p] != rendered[p] if p in blobs else (project / p).stat().st_size != sizes[p])
    ]
    if not differ:
        return {}
    from dlgen import wellformed  # only when a structured file differs

    return {
        p: why
        for p in differ
        if (data := _read(project / p)) is not None and (why := wellformed.problem(p, data))
    }


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes() if path.is_file() else None
    except OSError:
        return None
