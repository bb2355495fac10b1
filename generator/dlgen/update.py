"""`dlgen update`: render the new version, commit it on the template branch, merge it with git.

The steps, in order (each a function below; guards first, nothing written before `commit`):
guard → render (no downgrade) → carry create-only files → commit on the template branch (not
yet moved) → merge-tree preview → the ignored-path wall (dry run stops here) → save abort state
and advance the branch → git merge --no-commit → keep user deletions → migrations → write
.dlgen.yml. A failure or ^C from the merge on is rolled back by the same restore as --abort.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from dlgen import answers, git, lifecycle, sources, template_branch
from dlgen.errors import DlgenError, InputError, ProcessError, StepError, UnsafeStateError
from dlgen.template import Template

ORIG_TEMPLATE = "refs/dlgen/orig-template"  # the abort refs of the `dlgen/template` project
ORIG_HEAD = "refs/dlgen/orig-head"


def abort_refs(branch: str) -> tuple[str, str]:
    """The refs saving (template branch, HEAD) for `--abort`, one pair per template branch.

    `dlgen/template` keeps the names older dlgen versions wrote; other branches (one per project
    of a monorepo) get `refs/dlgen/<branch>/orig-*` (what `dlgen status` reads as that
    project's), so two projects never share them.
    """
    if branch == answers.DEFAULT_BRANCH:
        return ORIG_TEMPLATE, ORIG_HEAD
    return f"refs/dlgen/{branch}/orig-template", f"refs/dlgen/{branch}/orig-head"


@dataclass(frozen=True)
class Project:
    """Where the project sits and what it records."""

    root: Path  # the project directory
    top: Path  # the repository's work tree
    prefix: str  # project path inside the repository: '' or 'a/b/'
    record: answers.Record
    tip: str  # the template branch before the update (fast-forwarded to the newest render)
    base: str = ""  # the render the project has merged ('' = tip): what the update is measured from

    @property
    def merged(self) -> str:
        """The render the project is at: HEAD's newest render (or the branch, squash-merged)."""
        return self.base or self.tip


@dataclass
class UpdateResult:
    """What an update did (or, with --dry-run, would do)."""

    old_version: str
    new_version: str
    changes: list[git.Change] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    kept_deleted: list[str] = field(default_factory=list)
    announced: list[str] = field(default_factory=list)
    side_files: list[str] = field(default_factory=list)
    dry_run: bool = False
    up_to_date: bool = False
    aborted: bool = False

    @property
    def exit_code(self) -> int:
        """4 when a real merge left conflicts, else 0."""
        return 4 if self.conflicts and not self.dry_run else 0

    def lines(self) -> list[str]:
        """The report printed on stdout."""
        if self.aborted:
            return ["update aborted: HEAD, work tree and template branch restored"]
        if self.up_to_date:
            return [f"already up to date with the template ({self.new_version})"]
        verb = "would change" if self.dry_run else "changes"
        out = [f"template {self.old_version} -> {self.new_version}: {verb}:"]
        out += [
            f"  {c.status} {c.old_path} -> {c.path}" if c.old_path else f"  {c.status} {c.path}"
            for c in self.changes
        ]
        out += [
            f"  kept deleted (you deleted it; the template changed it): {p}"
            for p in self.kept_deleted
        ]
        out += [
            f"  create-only, not merged (compare with the template branch): {p}"
            for p in self.announced
        ]
        out += [f"  template's copy of a conflicting binary: {p}" for p in self.side_files]
        if self.conflicts:
            head = "would conflict" if self.dry_run else "CONFLICTS (fix, `git add`, then commit)"
            out += [f"{head}:"] + [f"  {p}" for p in self.conflicts]
        elif not self.dry_run:
            out.append(
                "merged without conflicts; review with `git diff --cached`, then `git commit`"
            )
        return out


def update(
    project: Path,
    *,
    to: str | None = None,
    data: Mapping[str, Any] | None = None,
    dry_run: bool = False,
    abort: bool = False,
    trust: bool = False,
    defaults: bool = False,
    template: str | None = None,
) -> UpdateResult:
    """Update the project at `project` to the template's newest (or `to`) version.

    `trust`, `defaults` and `template` reach the render: see `render_target`.
    """
    if abort:
        return abort_update(project)
    proj = guard(project, write=not dry_run)
    with tempfile.TemporaryDirectory(prefix="dlgen-update-") as tmp:
        render_dir = Path(tmp) / "render"
        record = render_target(
            proj,
            render_dir,
            to,
            dict(data or {}),
            trust=trust,
            defaults=defaults,
            template=template,
        )
        refuse_downgrade(proj.record, record)
        announced = carry_create_only(proj, record, render_dir)
        answers.save(render_dir, record)
        new = template_branch.commit_render(
            proj.top, render_dir, record, parent=proj.tip, prefix=proj.prefix
        )
    result = UpdateResult(
        proj.record.template_version, record.template_version, announced=announced, dry_run=dry_run
    )
    if git.tree_of(new, proj.top) == git.tree_of(proj.merged, proj.top):
        result.up_to_date = True
        return result
    record_path = proj.prefix + answers.RECORD_NAME
    result.changes = [
        c for c in git.diff_trees(proj.merged, new, proj.top) if c.path != record_path
    ]
    merged, stages = preview_merge(proj, new)
    refuse_collisions(proj, merged, stages)
    result.conflicts = sorted(p for p, s in stages.items() if not _kept_deleted(s))
    result.kept_deleted = sorted(p for p, s in stages.items() if _kept_deleted(s))
    if dry_run:
        return result
    result.kept_deleted = []
    try:
        start_merge(proj, new, record)
        settle(proj, result)
        run_migrations(proj, record)
        write_record(proj, record)
        result.conflicts = git.unmerged_paths(proj.top)
    except (Exception, KeyboardInterrupt) as e:
        roll_back(proj, e)
        raise
    return result


# --- guards -------------------------------------------------------------------------------------


def guard_repository(project: Path) -> tuple[Path, str]:
    """A git work tree, clean (untracked files count), no operation in progress: (top, prefix)."""
    top = git.toplevel(project)
    if top is None:
        raise UnsafeStateError(f"{project} is not in a git repository")
    busy = git.in_progress(top)
    if busy:
        raise UnsafeStateError(f"a {busy[0]} is in progress in {top}; finish or abort it first")
    dirty = git.dirty_paths(top)
    if dirty:
        shown = ", ".join(dirty[:8]) + (f" and {len(dirty) - 8} more" if len(dirty) > 8 else "")
        raise UnsafeStateError(f"commit your changes first (untracked files count): {shown}")
    if git.rev_parse("HEAD", top) is None:
        raise UnsafeStateError(f"{top} has no commit yet")
    return top, "" if project == top else project.relative_to(top).as_posix() + "/"


def guard(project: Path, *, write: bool = True) -> Project:
    """Every precondition, before anything is written (exit 3, or 2 for a bad record).

    Then, with `write` (not a dry run), the template branch, a cache, is put where the history
    says it belongs: settled after an earlier update and fast-forwarded.
    """
    project = project.resolve()
    top, prefix = guard_repository(project)
    record = answers.load(project)
    earlier = earlier_update(top, record)
    local, place = find_branch(top, prefix, record, earlier, fetch=write)
    refuse_polluted(top, record.branch, place.tip)
    refuse_checked_out(top, record.branch)
    if write:
        moves = place.tip != local
        if earlier is not None:
            settle_earlier_update(top, record.branch, earlier)
        if moves:
            ref = template_branch.ref(record.branch)
            git.update_ref(ref, place.tip, top, old=local or "", msg="dlgen: fast-forward")
    return Project(project, top, prefix, record, place.tip, place.base)


def refuse_checked_out(top: Path, branch: str) -> None:
    """The template branch checked out (here or in another work tree) would move under it."""
    if template_branch.ref(branch) in git.checked_out_branches(top):
        raise UnsafeStateError(
            f"{branch} is checked out; dlgen moves that branch itself: "
            "switch to your own branch (`git switch main`), then update"
        )


@dataclass(frozen=True)
class EarlierUpdate:
    """Abort refs an earlier update left, and whether its merge never landed."""

    orig_template: str | None
    orig_head: str | None
    rewind: bool  # the branch goes back to orig_template


def earlier_update(top: Path, record: answers.Record) -> EarlierUpdate | None:
    """Refs left by an earlier update: committed (to drop), or never merged (rewind the branch).

    A branch tip that HEAD does not contain, and whose version and answers the project's record
    does not hold either (a squash merge holds them), means that update's merge never landed
    (`git merge --abort`, maybe with commits since, or a kill between advancing the branch and
    merging): the branch goes back, else the next update would call the project up to date.
    """
    branch = record.branch
    orig_template_ref, orig_head_ref = abort_refs(branch)
    orig_template = git.rev_parse(orig_template_ref, top)
    orig_head = git.rev_parse(orig_head_ref, top)
    if orig_template is None and orig_head is None:
        return None  # the usual case: no git call beyond the two above
    tip = template_branch.tip(top, branch)
    rewind = (
        orig_template is not None
        and tip is not None
        and not git.is_merged(tip, top)
        and not template_branch.records(top, tip, record)
    )
    return EarlierUpdate(orig_template, orig_head, rewind)


def settle_earlier_update(top: Path, branch: str, earlier: EarlierUpdate) -> None:
    """Rewind the branch if the earlier update never landed; drop its abort refs."""
    if earlier.rewind and earlier.orig_template is not None:
        git.update_ref(template_branch.ref(branch), earlier.orig_template, top)
    saved = (earlier.orig_template, earlier.orig_head)
    for ref, value in zip(abort_refs(branch), saved, strict=True):
        if value is not None:
            git.delete_ref(ref, top)
    _state_file(top, branch).unlink(missing_ok=True)


def find_branch(
    top: Path,
    prefix: str,
    record: answers.Record,
    earlier: EarlierUpdate | None = None,
    *,
    fetch: bool = True,
) -> tuple[str | None, template_branch.Position]:
    """(the local branch, where it belongs and which render the project has merged).

    The history is the truth: the newest render HEAD contains. The local branch caches it, to
    be fast-forwarded to it, or to origin's branch when that is ahead (fetched first when an
    `origin` exists and `fetch`; offline, its remote-tracking branch is used as it is).
    Renders that diverged are refused (exit 3). Nothing is written here but the fetch.
    """
    branch = record.branch
    if fetch and git.has_remote(top, "origin"):
        spec = f"+{template_branch.ref(branch)}:{template_branch.remote_ref(branch)}"
        args = ["fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "origin", spec]
        git.git_rc(["-c", "fetch.recurseSubmodules=false", *args], top)  # offline: what is here
    found = template_branch.locate(top, prefix, branch)
    if earlier is not None and earlier.rewind:
        found = replace(found, local=earlier.orig_template)
    place = template_branch.reconcile(top, prefix, branch, record.template_version, found)
    return found.local, place


def refuse_polluted(top: Path, branch: str, tip: str) -> None:
    """A human commit on the template branch would be merged as if the template made it."""
    found = template_branch.impure(top, tip)
    if found:
        sha, why = found
        raise UnsafeStateError(
            f"commit {sha[:12]} is not a pristine render ({why}) on {branch}; rebuild the "
            f"branch: `git branch -f {branch} <last pristine commit>`, then `dlgen update`"
        )


def landed(top: Path, prefix: str, tip: str) -> bool:
    """Whether HEAD has taken in the render `tip`: merged, or squash-merged (its record at HEAD)."""
    if git.is_merged(tip, top):
        return True
    path = prefix + answers.RECORD_NAME
    try:
        ours = answers.parse(git.show_file("HEAD", path, top), path)
        theirs = answers.parse(git.show_file(tip, path, top), path)
    except DlgenError:
        return False
    return (ours.template_version, dict(ours.answers)) == (
        theirs.template_version,
        dict(theirs.answers),
    )


def _version_key(version: str) -> tuple[int, ...] | None:
    match = re.match(r"v?(\d+(?:\.\d+)*)", version)
    return (*(int(p) for p in match.group(1).split(".")), 0, 0, 0)[:3] if match else None


def refuse_downgrade(old: answers.Record, new: answers.Record) -> None:
    """An older template version is not an update (exit 2), as copier refuses it."""
    was, will = _version_key(old.template_version), _version_key(new.template_version)
    if was is not None and will is not None and will < was:
        raise InputError(
            f"template version {new.template_version} is older than this project's "
            f"{old.template_version}; dlgen does not downgrade (revert the update commit instead)"
        )


# --- render and commit --------------------------------------------------------------------------


def render_target(
    proj: Project,
    dst: Path,
    to: str | None,
    data: dict[str, Any],
    *,
    trust: bool = False,
    defaults: bool = False,
    template: str | None = None,
) -> answers.Record:
    """Render the target version with the recorded answers (changed by `data`) into `dst`.

    `template` points the project at a moved or mirrored template (it must hold the recorded
    version). A question the target version adds is asked at a terminal, takes its default with
    `defaults`, and is otherwise an error naming it; answered questions are never asked again.
    """
    import shutil
    import sys

    from dlgen.new import make_record
    from dlgen.render import render

    old = proj.record
    spec = old.template if template is None else _given_source(template)
    if template is not None:
        check_holds_version(spec, old, proj.root)
    refuse_lost_template(spec, proj.root)
    with sources.resolve(spec, to, base=proj.root) as source:
        tpl = Template.load(source.path, old.flavour)
        # copier asks only what the recorded answers leave open; cookiecutter's prompt would ask
        # every question again, so its new questions are asked after a render with defaults
        flavour = tpl.flavour
        interactive = not defaults and flavour == "copier" and sys.stdin.isatty()
        unknown = sorted(set(data) - set(tpl.names))
        if unknown:
            raise InputError(
                f"unknown question {unknown[0]!r}; the template asks: {', '.join(tpl.names)}"
            )
        kept = {k: v for k, v in old.answers.items() if k in tpl.names and k not in tpl.computed}
        given = {**kept, **data}
        rendered = render(
            source,
            dst,
            given,
            defaults=not interactive,
            trust=trust,
            flavour=old.flavour,
        )
        new_questions = [q for q in rendered.defaulted if q not in given]
        if new_questions and not defaults and flavour == "cookiecutter" and sys.stdin.isatty():
            from dlgen import cookiecutter_render

            given.update(cookiecutter_render.ask(source.path, new_questions, rendered.answers))
            shutil.rmtree(dst)
            rendered = render(source, dst, given, trust=trust, flavour=old.flavour)
        elif new_questions and not defaults and not interactive:
            q = new_questions[0]
            more = f" (and {len(new_questions) - 1} more)" if len(new_questions) > 1 else ""
            raise InputError(
                f"the template ({source.version}) asks {q!r}{more}, which this project has not "
                f"answered: answer at a terminal, pass --data {q}=VALUE, or take defaults with "
                "--defaults"
            )
        record = make_record(source, rendered, proj.root)
    return replace(
        record,
        template=old.template if template is None else record.template,
        branch=old.branch,
        flavour=old.flavour,
    )


def refuse_lost_template(spec: str, root: Path) -> None:
    """A recorded local path that no longer leads to the template (a clone at another depth, a
    moved template): say so, and how to point the project at it (exit 2)."""
    source = sources.split_ref(spec)[0]
    if sources.is_url(source) or source in sources.bundled_names():
        return
    if not (root / source).is_dir():
        raise InputError(
            f"template {source!r} (recorded in {answers.RECORD_NAME}, relative to the project) "
            "is not there; point the project at it with `dlgen update --template PATH|URL`"
        )


def _given_source(template: str) -> str:
    """A `--template` path is relative to the current directory (a URL or name stays as is)."""
    source, ref = sources.split_ref(template)
    if ref is not None:
        raise InputError(f"--template {template!r}: give the version with --to, not '@{ref}'")
    if sources.is_url(source) or source in sources.bundled_names():
        return source
    if not Path(source).is_dir():
        raise InputError(f"--template {template!r}: no such directory and not a git URL")
    return str(Path(source).absolute())


def check_holds_version(spec: str, old: answers.Record, root: Path) -> None:
    """A new source for the template must hold the version the project has merged."""
    ref = old.template_commit
    if ref is None:
        return  # a plain directory has one version: nothing to compare
    try:
        with sources.resolve(spec, ref, base=root):
            pass
    except InputError as e:
        raise InputError(
            f"template {spec!r} does not hold this project's version "
            f"{old.template_version} (commit {ref[:12]}): {e}"
        ) from e


def carry_create_only(proj: Project, record: answers.Record, render_dir: Path) -> list[str]:
    """Create-only files keep the previous render's copy; changed ones are announced."""
    announced = []
    for path in record.policy.create_only:
        new_file = render_dir / path
        try:
            old = git.show_file(proj.merged, proj.prefix + path, proj.top)
        except ProcessError:
            continue  # new in this version: rendered once, like any new file
        if new_file.is_file() and new_file.read_bytes() != old:
            announced.append(path)
        new_file.parent.mkdir(parents=True, exist_ok=True)
        new_file.write_bytes(old)
    return announced


def preview_merge(proj: Project, new: str) -> tuple[str, dict[str, set[int]]]:
    """The merge's result tree and conflicts, computed without touching index or work tree."""
    try:
        return git.merge_tree_stages("HEAD", new, proj.top)
    except ProcessError as e:
        if "unrelated histories" not in e.stderr:
            raise
        raise UnsafeStateError(
            f"HEAD's history holds no render of {proj.record.branch} (rewritten, e.g. by "
            "`git rebase --root`?), so there is no merge base: delete the branch "
            f"(`git branch -D {proj.record.branch}`) and run `dlgen adopt --template "
            f"{proj.record.template}` at the version this project is at"
        ) from e


def _kept_deleted(stages: set[int]) -> bool:
    return stages == {1, 3}  # deleted here, changed by the template


def _kind(path: Path) -> str | None:
    try:
        mode = path.lstat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        return None
    return "symlink" if stat.S_ISLNK(mode) else "directory" if stat.S_ISDIR(mode) else "file"


def refuse_collisions(proj: Project, merged: str, stages: Mapping[str, set[int]]) -> None:
    """The ignored-path wall (exit 3): no path the merge creates (or turns into a directory), nor
    any parent of one, nor a side file, may be an ignored or untracked file, directory or symlink
    here. git treats those as expendable and would overwrite, delete or replace them.

    Paths the merge modifies or deletes are tracked, and so are their parents; only created
    paths need a look, and only those present on disk need git's answer (one call).
    """
    created = [
        c.path for c in git.diff_trees("HEAD", merged, proj.top, renames=False) if c.status == "A"
    ]
    cause: dict[str, str] = {}
    for path in created + [f"{p}.dlgen-new" for p, s in stages.items() if {2, 3} <= s]:
        part = path
        while part and part not in cause:
            cause[part] = path
            part = part.rpartition("/")[0]
    present = {p: k for p in cause if (k := _kind(proj.top / p)) is not None}
    if not present:
        return
    tracked = git.object_types("HEAD", sorted(present), proj.top)
    for path in sorted(present, key=lambda p: (p.count("/"), p)):  # the outermost first
        kind, held = present[path], tracked[path]
        if held is None or ((held == "tree") != (kind == "directory") and held != "commit"):
            what = (
                "ignored"
                if git.git_rc(["check-ignore", "-q", "--", path], proj.top) == 0
                else ("untracked")
            )
            raise UnsafeStateError(
                f"{path} is an {what} {kind} here, and the update writes {cause[path]}; git "
                f"would overwrite or remove it: move {path} elsewhere (dlgen never touches "
                "ignored or untracked data), then update again"
            )


# --- merge --------------------------------------------------------------------------------------

STATE = "dlgen-update"  # in the git dir: files dlgen wrote beside the merge, for --abort


def _state_file(top: Path, branch: str) -> Path:
    """One notes file per template branch (per project of a monorepo), like the abort refs."""
    if branch == answers.DEFAULT_BRANCH:
        return git.git_path(top, STATE)
    return git.git_path(top, f"{STATE}-{branch.replace('/', '-')}")


def _remember(top: Path, branch: str, paths: list[str]) -> None:
    """Note files the update writes beyond the merge, before writing them (kill-safe)."""
    if paths:
        with _state_file(top, branch).open("a", encoding="utf-8") as f:
            f.write("".join(f"{p}\0" for p in paths))
            f.flush()
            os.fsync(f.fileno())


def _remembered(top: Path, branch: str) -> list[str]:
    try:
        return [p for p in _state_file(top, branch).read_text(encoding="utf-8").split("\0") if p]
    except FileNotFoundError:
        return []


def start_merge(proj: Project, new: str, record: answers.Record) -> None:
    """Save what --abort restores and move the branch (one ref transaction), merge uncommitted.

    git's refusal (merge.verifySignatures, a hook, a lock) is an error, never a silent no-op.
    """
    head = git.rev_parse("HEAD", proj.top)
    if head is None:
        raise StepError("git rev-parse", "cannot read HEAD")
    _state_file(proj.top, record.branch).unlink(missing_ok=True)  # an earlier update's notes
    orig_template, orig_head = abort_refs(record.branch)
    git.update_refs(
        [
            (orig_template, proj.tip, None),
            (orig_head, head, None),
            (template_branch.ref(record.branch), new, proj.tip),
        ],
        proj.top,
        f"dlgen: update to {new[:12]}",
    )
    merge = git.merge_for_review(
        record.branch,
        f"Merge template {record.template} {record.template_version} ({record.branch})",
        proj.top,
    )
    failed = any(ln.startswith(("error:", "fatal:")) for ln in merge.stderr.splitlines())
    if failed or git.rev_parse("MERGE_HEAD", proj.top) != new:
        raise StepError("git merge", git.message_of(merge.stderr, merge.stdout) or "no merge")


def settle(proj: Project, result: UpdateResult) -> None:
    """Keep files the user deleted; put the template's copy of a conflicting binary beside it."""
    for path, stages in git.unmerged_stages(proj.top).items():
        if 2 not in stages and 3 in stages and 1 in stages:  # deleted here, changed there
            git.git(["rm", "--quiet", "--cached", "--", path], proj.top)
            (proj.top / path).unlink(missing_ok=True)
            result.kept_deleted.append(path)
        elif 2 in stages and 3 in stages:
            theirs = git.cat_blob(stages[3], proj.top)
            if b"\0" in theirs[:8000]:
                _remember(proj.top, proj.record.branch, [f"{path}.dlgen-new"])
                side = proj.top / f"{path}.dlgen-new"
                side.write_bytes(theirs)
                result.side_files.append(f"{path}.dlgen-new")


def run_migrations(proj: Project, record: answers.Record) -> None:
    """Version-gated migrations of a bundled template, once, in the project, after the merge.

    What a migration changed is noted so that --abort (or a failure) undoes it with the merge.
    """
    if record.template not in sources.bundled_names():
        return
    if lifecycle.load(record.template, "migrate") is None:
        return
    _remember(
        proj.top, proj.record.branch, [proj.prefix + "."]
    )  # until the migration's paths are known: all
    lifecycle.run(
        record.template,
        "migrate",
        project=proj.root,
        old_version=proj.record.template_version,
        new_version=record.template_version,
        answers=record.answers,
    )
    _remember(proj.top, proj.record.branch, git.changed_paths(proj.top, proj.prefix))


def write_record(proj: Project, record: answers.Record) -> None:
    """dlgen writes .dlgen.yml itself (the user's `check:` kept); it is never left conflicted."""
    final = replace(record, check=proj.record.check)
    path = proj.root / answers.RECORD_NAME
    if path.is_file() and path.read_text(encoding="utf-8") == answers.dumps(final):
        return  # the merge staged exactly this (the usual case: no `check:` of the project's)
    answers.save(proj.root, final)
    git.git(["add", "--", proj.prefix + answers.RECORD_NAME], proj.top)


def _said(error: BaseException) -> str:
    """An error in one line; for a git call, git's own meaningful line (its `fatal:`)."""
    if isinstance(error, ProcessError):
        return f"`{' '.join(error.cmd[:2])}` failed: {git.message_of(error.stderr, error.stdout)}"
    return str(error).rstrip(".")


def roll_back(proj: Project, error: BaseException) -> None:
    """A failed or interrupted merge step: put everything back, then report the first error."""
    orig_template_ref, orig_head_ref = abort_refs(proj.record.branch)
    orig_template = git.rev_parse(orig_template_ref, proj.top)
    orig_head = git.rev_parse(orig_head_ref, proj.top)
    try:
        if orig_template is not None and orig_head is not None:
            restore(proj.top, proj.prefix, proj.record.branch, orig_template, orig_head)
    except (DlgenError, OSError) as e:
        raise DlgenError(
            f"{_said(error)}; undoing the update failed too ({_said(e)}): "
            "fix that, then `dlgen update --abort`"
        ) from error
    if isinstance(error, DlgenError):
        raise DlgenError(f"{_said(error)}; the update was undone, nothing changed") from error


# --- abort --------------------------------------------------------------------------------------


def abort_update(project: Path) -> UpdateResult:
    """Undo dlgen's update in progress, and only that: work tree, index, HEAD, template branch
    and .dlgen.yml as before it; the user's own merge, or a committed update, is refused."""
    project = project.resolve()
    top = git.toplevel(project)
    if top is None:
        raise UnsafeStateError(f"{project} is not in a git repository")
    prefix = "" if project == top else project.relative_to(top).as_posix() + "/"
    branch = _recorded_branch(project, top, prefix)
    orig_template_ref, orig_head_ref = abort_refs(branch)
    orig_template = git.rev_parse(orig_template_ref, top)
    orig_head = git.rev_parse(orig_head_ref, top)
    merge_head = git.rev_parse("MERGE_HEAD", top)
    tip = template_branch.tip(top, branch)
    none = "no dlgen update in progress"
    if orig_template is None or orig_head is None:
        if merge_head is not None:
            raise UnsafeStateError(f"{none}: the merge in progress is not dlgen's; it is yours")
        raise UnsafeStateError(none)
    if merge_head is not None and merge_head != tip:
        raise UnsafeStateError(f"{none}: the merge in progress is not dlgen's; it is yours")
    head = git.rev_parse("HEAD", top)
    if head != orig_head and merge_head is None and tip is not None and landed(top, prefix, tip):
        raise UnsafeStateError(
            f"{none}: the update was committed; `git revert -m 1 <its merge commit>` undoes it"
        )
    if head != orig_head:  # `git merge --abort` by hand, commits since: only the branch is ours
        _remove_side_files(top, _remembered(top, branch), head or "HEAD")
        git.update_refs(
            [
                (template_branch.ref(branch), orig_template, None),
                (orig_template_ref, "", None),
                (orig_head_ref, "", None),
            ],
            top,
            "dlgen: update aborted",
        )
        _state_file(top, branch).unlink(missing_ok=True)
    else:
        restore(top, prefix, branch, orig_template, orig_head)
    return UpdateResult("", "", aborted=True)


def _recorded_branch(project: Path, top: Path, prefix: str) -> str:
    """The template branch as HEAD records it (the work tree's .dlgen.yml may be mid-merge)."""
    path = prefix + answers.RECORD_NAME
    try:
        return answers.parse(git.show_file("HEAD", path, top), path).branch
    except ProcessError:
        return answers.load(project).branch


def restore(top: Path, prefix: str, branch: str, orig_template: str, orig_head: str) -> None:
    """Back to `orig_head` for every path the update could have written, whatever step it reached
    (git killed part-way included), then the branch back and the abort state dropped.

    The paths are the merge's (recomputed: HEAD against the advanced branch, as `git merge` saw
    it), the index entries that differ from HEAD, the files noted in the state file and
    .dlgen.yml. Nothing else is touched: no `git clean`, no reset of the work tree.
    """
    tip = template_branch.tip(top, branch)
    touched = set(_remembered(top, branch))
    if tip is not None and tip != orig_template:
        merged, _ = git.merge_tree_stages("HEAD", template_branch.ref(branch), top)
        touched.update(c.path for c in git.diff_trees("HEAD", merged, top, renames=False))
    staged = git.staged_paths("HEAD", top)
    touched.update(staged)
    touched.update([prefix + answers.RECORD_NAME, prefix + f".{answers.RECORD_NAME}.tmp"])
    if prefix + "." in touched:  # a migration ran: every changed path of the project
        touched.discard(prefix + ".")
        touched.update(git.changed_paths(top, prefix))
    merging = any(git.git_path(top, n).exists() for n in ("MERGE_HEAD", "MERGE_MSG", "AUTO_MERGE"))
    if staged:
        git.mixed_reset(top)
    elif merging:
        git.forget_merge(top)
    held = git.object_types("HEAD", sorted(touched), top)
    for path in sorted((p for p, t in held.items() if t is None), reverse=True):
        _unlink(top, path)
    tracked = sorted(p for p, t in held.items() if t is not None)
    git.checkout_paths("HEAD", git.modified_paths(tracked, top), top)
    updates = [(ref, "", None) for ref in abort_refs(branch)]
    if tip != orig_template:
        updates.insert(0, (template_branch.ref(branch), orig_template, None))
    git.update_refs(updates, top, "dlgen: update undone")
    _state_file(top, branch).unlink(missing_ok=True)


def _unlink(top: Path, path: str) -> None:
    """Remove a file the update created, and the directories it created that are now empty."""
    target = top / path
    if _kind(target) in ("file", "symlink"):
        target.unlink()
    parent = target.parent
    while parent != top:
        try:
            parent.rmdir()  # only an empty directory: one holding anything else stays
        except OSError:
            break
        parent = parent.parent


def _remove_side_files(top: Path, paths: list[str], rev: str) -> None:
    """Side files dlgen wrote (untracked at `rev`), after the merge itself was aborted by git."""
    held = git.object_types(rev, paths, top) if paths else {}
    for path in paths:
        if path.endswith(".dlgen-new") and held.get(path) is None:
            _unlink(top, path)
