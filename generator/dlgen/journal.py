"""The update journal: what `dlgen update` saves to be undone, and undoing it (`--abort`, rollback).

An update saves two refs per template branch (the branch and HEAD before it) and a notes file in
the git directory naming files it writes beside the merge (side files, a migration's paths),
before writing them. `abort` and `roll_back` restore from them; `earlier_update` and
`settle_earlier_update` clear what a finished (or abandoned) update left; `state` is what
`dlgen status` reads.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from dlgen import answers, git, githistory, gitobjects, gitwork, template_branch
from dlgen.errors import DlgenError, ProcessError, StepError, UnsafeStateError

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: `dlgen status` imports this module
if TYPE_CHECKING:
    from dlgen.project import Project

ORIG_TEMPLATE = "refs/dlgen/orig-template"  # the abort refs of the `dlgen/template` project
ORIG_HEAD = "refs/dlgen/orig-head"
_REFS = "refs/dlgen/"
STATE = "dlgen-update"  # in the git dir: files dlgen wrote beside the merge, for --abort


def abort_refs(branch: str) -> tuple[str, str]:
    """The refs saving (template branch, HEAD) for `--abort`, one pair per template branch.

    `dlgen/template` keeps the names older dlgen versions wrote; other branches (one per project
    of a monorepo) get `refs/dlgen/<branch>/orig-*` (what `dlgen status` reads as that
    project's), so two projects never share them.
    """
    if branch == answers.DEFAULT_BRANCH:
        return ORIG_TEMPLATE, ORIG_HEAD
    return f"refs/dlgen/{branch}/orig-template", f"refs/dlgen/{branch}/orig-head"


def notes_file(top: Path, branch: str) -> Path:
    """One notes file per template branch (per project of a monorepo), like the abort refs."""
    if branch == answers.DEFAULT_BRANCH:
        return git.git_path(top, STATE)
    return git.git_path(top, f"{STATE}-{branch.replace('/', '-')}")


def remember(top: Path, branch: str, paths: list[str]) -> None:
    """Note files the update writes beyond the merge, before writing them (kill-safe)."""
    if paths:
        with notes_file(top, branch).open("a", encoding="utf-8") as f:
            f.write("".join(f"{p}\0" for p in paths))
            f.flush()
            os.fsync(f.fileno())


def remembered(top: Path, branch: str) -> list[str]:
    """The paths noted so far (none without a notes file)."""
    try:
        return [p for p in notes_file(top, branch).read_text(encoding="utf-8").split("\0") if p]
    except FileNotFoundError:
        return []


def begin(proj: Project, new: str) -> None:
    """Save what --abort restores and move the branch to `new`, in one ref transaction."""
    head = githistory.rev_parse("HEAD", proj.top)
    if head is None:
        raise StepError("git rev-parse", "cannot read HEAD")
    branch = proj.record.branch
    notes_file(proj.top, branch).unlink(missing_ok=True)  # an earlier update's notes
    orig_template, orig_head = abort_refs(branch)
    githistory.update_refs(
        [
            (orig_template, proj.tip, None),
            (orig_head, head, None),
            (template_branch.ref(branch), new, proj.tip),
        ],
        proj.top,
        f"dlgen: update to {new[:12]}",
    )


# --- an earlier update's leftovers ---------------------------------------------------------------


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
    found = githistory.ref_ids([orig_template_ref, orig_head_ref], top)  # both in one call
    orig_template, orig_head = found.get(orig_template_ref), found.get(orig_head_ref)
    if orig_template is None and orig_head is None:
        return None  # the usual case: no git call beyond the one above
    if not notes_file(top, branch).exists():
        refuse_other_work_tree(top, branch, orig_head)
    tip = template_branch.tip(top, branch)
    rewind = (
        orig_template is not None
        and tip is not None
        and not githistory.is_merged(tip, top)
        and not template_branch.records(top, tip, record)
    )
    return EarlierUpdate(orig_template, orig_head, rewind)


def refuse_other_work_tree(top: Path, branch: str, orig_head: str | None) -> None:
    """The abort refs are the repository's, shared by its work trees: an update still in
    progress in another one is refused here (exit 3), never settled (issue #16)."""
    for path, head in git.work_trees(top):
        if path.resolve() == top.resolve() or head is None or head != orig_head:
            continue
        if path.is_dir() and notes_file(path, branch).exists():
            raise UnsafeStateError(
                f"an update of {branch} is in progress in the work tree {path}: commit it "
                f"there, or run `dlgen update --abort` there, then update here"
            )


def settle_earlier_update(top: Path, branch: str, earlier: EarlierUpdate) -> None:
    """Rewind the branch if the earlier update never landed; drop its abort refs."""
    if earlier.rewind and earlier.orig_template is not None:
        githistory.update_ref(template_branch.ref(branch), earlier.orig_template, top)
    saved = (earlier.orig_template, earlier.orig_head)
    for ref, value in zip(abort_refs(branch), saved, strict=True):
        if value is not None:
            githistory.delete_ref(ref, top)
    notes_file(top, branch).unlink(missing_ok=True)


# --- undoing -----------------------------------------------------------------------------------


def _said(error: BaseException) -> str:
    """An error in one line; for a git call, git's own meaningful line (its `fatal:`)."""
    if isinstance(error, ProcessError):
        return f"`{' '.join(error.cmd[:2])}` failed: {git.message_of(error.stderr, error.stdout)}"
    return str(error).rstrip(".")


def roll_back(proj: Project, error: BaseException) -> None:
    """A failed or interrupted merge step: put everything back, then report the first error."""
    orig_template_ref, orig_head_ref = abort_refs(proj.record.branch)
    orig_template = githistory.rev_parse(orig_template_ref, proj.top)
    orig_head = githistory.rev_parse(orig_head_ref, proj.top)
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


def abort(path: Path) -> None:
    """Undo dlgen's update in progress, and only that: work tree, index, HEAD, template branch
    and .dlgen.yml as before it; the user's own merge, or a committed update, is refused."""
    from dlgen.project import locate

    project, top, prefix = locate(path)
    branch = _recorded_branch(project, top, prefix)
    orig_template_ref, orig_head_ref = abort_refs(branch)
    orig_template = githistory.rev_parse(orig_template_ref, top)
    orig_head = githistory.rev_parse(orig_head_ref, top)
    merge_head = githistory.rev_parse("MERGE_HEAD", top)
    tip = template_branch.tip(top, branch)
    none = "no dlgen update in progress"
    if orig_template is None or orig_head is None:
        if merge_head is not None:
            raise UnsafeStateError(f"{none}: the merge in progress is not dlgen's; it is yours")
        raise UnsafeStateError(none)
    if merge_head is not None and merge_head != tip:
        raise UnsafeStateError(f"{none}: the merge in progress is not dlgen's; it is yours")
    head = githistory.rev_parse("HEAD", top)
    if head != orig_head and merge_head is None and tip is not None and landed(top, prefix, tip):
        raise UnsafeStateError(
            f"{none}: the update was committed; `git revert <its commit>` undoes it"
        )
    if head != orig_head:  # `git merge --abort` by hand, commits since: only the branch is ours
        _remove_side_files(top, remembered(top, branch), head or "HEAD")
        githistory.update_refs(
            [
                (template_branch.ref(branch), orig_template, None),
                (orig_template_ref, "", None),
                (orig_head_ref, "", None),
            ],
            top,
            "dlgen: update aborted",
        )
        notes_file(top, branch).unlink(missing_ok=True)
    else:
        restore(top, prefix, branch, orig_template, orig_head)


def _recorded_branch(project: Path, top: Path, prefix: str) -> str:
    """The template branch as HEAD records it (the work tree's .dlgen.yml may be mid-merge)."""
    path = prefix + answers.RECORD_NAME
    try:
        return answers.parse(gitobjects.show_file("HEAD", path, top), path).branch
    except ProcessError:
        return answers.load(project).branch


def landed(top: Path, prefix: str, tip: str) -> bool:
    """Whether HEAD has taken in the render `tip`: merged, or squash-merged (its record at HEAD)."""
    if githistory.is_merged(tip, top):
        return True
    path = prefix + answers.RECORD_NAME
    try:
        ours = answers.parse(gitobjects.show_file("HEAD", path, top), path)
        theirs = answers.parse(gitobjects.show_file(tip, path, top), path)
    except DlgenError:
        return False
    return (ours.template_version, dict(ours.answers)) == (
        theirs.template_version,
        dict(theirs.answers),
    )


def restore(top: Path, prefix: str, branch: str, orig_template: str, orig_head: str) -> None:
    """Back to `orig_head` for every path the update could have written, whatever step it reached
    (git killed part-way included), then the branch back and the abort state dropped.

    The paths are the merge's (recomputed: HEAD against the advanced branch, as `git merge` saw
    it), the index entries that differ from HEAD, the files noted in the notes file and
    .dlgen.yml. Nothing else is touched: no `git clean`, no reset of the work tree.
    """
    tip = template_branch.tip(top, branch)
    touched = set(remembered(top, branch))
    if tip is not None and tip != orig_template and githistory.rev_parse("MERGE_HEAD", top) == tip:
        # an update by an older dlgen, merged as a commit: the merge's paths, recomputed
        merged, _ = gitobjects.merge_tree_stages("HEAD", template_branch.ref(branch), top)
        touched.update(c.path for c in gitobjects.diff_trees("HEAD", merged, top, renames=False))
    staged = gitwork.staged_paths("HEAD", top)
    touched.update(staged)
    touched.update([prefix + answers.RECORD_NAME, prefix + f".{answers.RECORD_NAME}.tmp"])
    if prefix + "." in touched:  # a migration ran: every changed path of the project
        touched.discard(prefix + ".")
        touched.update(gitwork.changed_paths(top, prefix))
    merging = any(git.git_path(top, n).exists() for n in ("MERGE_HEAD", "MERGE_MSG", "AUTO_MERGE"))
    if staged:
        gitwork.mixed_reset(top)
    elif merging:
        gitwork.forget_merge(top)
    held = gitobjects.object_types("HEAD", sorted(touched), top)
    created = [p for p, t in held.items() if t is None]
    if created and git.ignores_case(top):  # `Readme.md` on disk may be the tracked `README.md`
        folded = {p.casefold() for p, t in held.items() if t is not None}
        created = [p for p in created if p.casefold() not in folded]
    for path in sorted(created, reverse=True):
        _unlink(top, path)
    tracked = sorted(p for p, t in held.items() if t is not None)
    gitwork.checkout_paths("HEAD", gitwork.modified_paths(tracked, top), top)
    updates = [(ref, "", None) for ref in abort_refs(branch)]
    if tip != orig_template:
        updates.insert(0, (template_branch.ref(branch), orig_template, None))
    githistory.update_refs(updates, top, "dlgen: update undone")
    notes_file(top, branch).unlink(missing_ok=True)


def kind(path: Path) -> str | None:
    """What is on disk at `path`: 'file', 'directory', 'symlink', or None."""
    try:
        mode = path.lstat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        return None
    return "symlink" if stat.S_ISLNK(mode) else "directory" if stat.S_ISDIR(mode) else "file"


def _unlink(top: Path, path: str) -> None:
    """Remove a file the update created, and the directories it created that are now empty."""
    target = top / path
    if kind(target) in ("file", "symlink"):
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
    held = gitobjects.object_types(rev, paths, top) if paths else {}
    for path in paths:
        if path.endswith(".dlgen-new") and held.get(path) is None:
            _unlink(top, path)


# --- what `dlgen status` reads -------------------------------------------------------------------


@dataclass(frozen=True)
class State:
    """An update (dlgen's) or merge (anyone's) in progress, and the project's unmerged paths."""

    update: bool = False
    merge: bool = False
    conflicts: tuple[str, ...] = ()


def _git_dir(project: Path) -> Path | None:
    """The git directory holding MERGE_HEAD, found as git finds it, without a git call: `.git`
    in the project or a parent; a folder, or a `gitdir:` file in worktrees and submodules."""
    here = project.resolve()
    for folder in (here, *here.parents):
        dotgit = folder / ".git"
        if dotgit.is_dir():
            return dotgit
        if dotgit.is_file():
            text = dotgit.read_text(encoding="utf-8", errors="replace")
            return (folder / text.removeprefix("gitdir:").strip()).resolve()
    return None


def state(project: Path, branch: str) -> State:
    """dlgen's abort refs or MERGE_HEAD, and the unmerged paths of the project (2 git calls)."""
    gitdir = _git_dir(project)
    if gitdir is None:
        return State()
    ids = githistory.ref_ids([_REFS, template_branch.ref(branch)], project)
    mine = [r for r in ids if r.startswith(_REFS) and _belongs(r, branch)]
    merge_head = gitdir / "MERGE_HEAD"
    merging = merge_head.is_file()
    merged = merge_head.read_text().split()[:1] if merging else []
    conflicts = tuple(gitwork.unmerged_below(project))
    update = merged == [ids.get(template_branch.ref(branch))] or (
        bool(mine) and _uncommitted(project, ids.get(abort_refs(branch)[1]))
    )
    return State(update, merging, conflicts)


def _uncommitted(project: Path, orig_head: str | None) -> bool:
    """Whether the update the abort refs describe is not committed: HEAD is where it was (the
    update staged, or interrupted with its branch moved; a ref lost: unknown, so in progress).
    Committed, HEAD moved on: the refs
    only wait for the next update to drop them, and the project is not updating."""
    return orig_head is None or githistory.rev_parse("HEAD", project) == orig_head


def _belongs(ref: str, branch: str) -> bool:
    """refs/dlgen/NAME is the repository's; refs/dlgen/<branch>/NAME is one project's."""
    rest = ref.removeprefix(_REFS)
    return "/" not in rest or rest.startswith(f"{branch}/")
