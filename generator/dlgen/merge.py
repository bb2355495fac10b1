"""Merging a committed render into the project: preview, the ignored-path wall, the merge itself,
then what follows it in the work tree (kept deletions, side files, migrations, `.dlgen.yml`).

Every file written beyond git's merge is noted in the journal first, so that `--abort` or a
rollback undoes it with the merge.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace

from dlgen import (
    answers,
    git,
    githistory,
    gitobjects,
    gitwork,
    journal,
    migrations,
    template_branch,
)
from dlgen.errors import StepError, UnsafeStateError
from dlgen.migrations import Migration
from dlgen.project import Project


def change_of(proj: Project, new: str) -> tuple[str, list[tuple[str, str]]]:
    """The render `new` as one change from the render the project is at (`proj.merged`): `new`
    itself when that is its parent, else its tree on that render (a commit on no branch); and
    the paths it renames in case only that the project must rename first (`case_renames`), on
    whose new names the change then applies.

    Applied as a change, never merged as a commit, the update lands as one ordinary commit of
    the project: a rebase pull, a cherry-pick or a squash merge keeps it whole, and no render
    commit ever becomes reachable from HEAD to be replayed (issue #16). Its base is explicit,
    so no history beyond the two renders is needed (a shallow clone merges too).
    """
    top = proj.top
    renames = case_renames(proj, new)
    if not renames and githistory.parents(new, top) == [proj.merged]:
        return new, []
    base = proj.merged
    if renames:  # the change from the render with those paths renamed already
        tree = gitobjects.renamed_tree(proj.merged, renames, top)
        base = githistory.commit_tree(tree, [proj.merged], "dlgen: case renames\n", top)
    body = githistory.commit_body(new, top)
    return githistory.commit_tree(githistory.tree_of(new, top), [base], body, top), renames


def preview_merge(
    proj: Project, change: str, renames: list[tuple[str, str]]
) -> tuple[str, dict[str, dict[int, str]]]:
    """The merge's result tree and conflicts (path -> {stage: blob}), computed without touching
    index or work tree: HEAD's tree (its case renames made) and the change, both on the change's
    base."""
    top = proj.top
    if renames:
        tree, base = gitobjects.renamed_tree("HEAD", renames, top), githistory.parents(change, top)
    else:
        tree, base = githistory.tree_of("HEAD", top), [proj.merged]
    ours = githistory.commit_tree(tree, base, "dlgen: preview\n", top)
    return gitobjects.merge_tree_blobs(ours, change, top)


def kept_deleted(stages: Collection[int]) -> bool:
    """A path deleted here and changed by the template: the deletion is kept, not a conflict."""
    return set(stages) == {1, 3}


def refuse_collisions(
    proj: Project, changes: Sequence[gitobjects.Change], stages: Mapping[str, Collection[int]]
) -> None:
    """The ignored-path wall (exit 3): no path the merge creates (or turns into a directory), nor
    any parent of one, nor a side file, may be an ignored or untracked file, directory or symlink
    here. git treats those as expendable and would overwrite, delete or replace them. `changes`:
    HEAD to the merge's result tree, without rename detection.

    Paths the merge modifies or deletes are tracked, and so are their parents; only created
    paths need a look, and only those present on disk need git's answer (one call).
    """
    created = [c.path for c in changes if c.status == "A"]
    cause: dict[str, str] = {}
    for path in created + [side_file(p) for p, s in stages.items() if {2, 3} <= set(s)]:
        part = path
        while part and part not in cause:
            cause[part] = path
            part = part.rpartition("/")[0]
    present = {p: k for p in cause if (k := journal.kind(proj.top / p)) is not None}
    if not present:
        return
    tracked = gitobjects.object_types("HEAD", sorted(present), proj.top)
    if any(t is None for t in tracked.values()) and git.ignores_case(proj.top):
        # a case-insensitive file system (macOS, Windows, exFAT): `Readme.md` found on disk is
        # the tracked `README.md` that the merge renames away, which git handles (issue #16)
        leaving = {c.path.casefold() for c in changes if c.status == "D"}
        present = {p: k for p, k in present.items() if tracked[p] or p.casefold() not in leaving}
    for path in sorted(present, key=lambda p: (p.count("/"), p)):  # the outermost first
        kind, held = present[path], tracked[path]
        if held == "commit" and cause[path] != path:
            raise UnsafeStateError(
                f"{path} is a git submodule here, and the template writes {cause[path]} inside "
                "it; dlgen never writes into a submodule: take that file by hand, or ask the "
                "template's maintainers to keep it out of the submodule's path"
            )
        if held is None or ((held == "tree") != (kind == "directory") and held != "commit"):
            what = "ignored" if gitwork.is_ignored(path, proj.top) else "untracked"
            raise UnsafeStateError(
                f"{path} is an {what} {kind} here, and the update writes {cause[path]}; git "
                f"would overwrite or remove it: move {path} elsewhere (dlgen never touches "
                "ignored or untracked data), then update again"
            )


def start_merge(
    proj: Project,
    new: str,
    change: str,
    touched: list[str],
    renames: list[tuple[str, str]],
    planned: Sequence[Migration] = (),
) -> str:
    """Save what --abort restores (the paths the merge writes first), move the branch, run the
    `before` migrations, make the case-only `renames`, apply the change uncommitted; the commit
    message names the render, for the next update. Returns what the change was applied onto:
    HEAD, or the tree the `before` migrations left.

    git's refusal (a lock, an unexpected state) is an error, never a silent no-op.
    """
    journal.begin(proj, new)
    journal.remember(proj.top, proj.record.branch, [proj.record_path, *touched])
    base = _before_migrations(proj, planned)
    for old, renamed in renames:
        gitwork.move(old, renamed, proj.top)
    applied = gitwork.apply_for_review(change, proj.top)
    conflicted = applied.returncode == 1 and gitwork.unmerged_paths(proj.top)
    if applied.returncode != 0 and not conflicted:
        raise StepError("git cherry-pick", git.message_of(applied.stderr, applied.stdout))
    git.git_path(proj.top, "MERGE_MSG").write_text(update_message(proj, new), encoding="utf-8")
    return base


def _before_migrations(proj: Project, planned: Sequence[Migration]) -> str:
    """Run the `before` migrations in the project as it is before the merge (copier's order),
    and stage what they changed: the change is applied onto the index (`cherry-pick
    --no-commit` needs no clean index), so the update's one commit holds both."""
    if not any(m.stage == "before" for m in planned):
        return "HEAD"
    branch = proj.record.branch
    journal.remember(proj.top, branch, [proj.prefix + "."])  # until its paths are known: all
    migrations.run(planned, "before", proj.root)
    journal.remember(proj.top, branch, gitwork.changed_paths(proj.top, proj.prefix))
    gitwork.stage_work_tree(proj.prefix, proj.top)
    return gitwork.index_tree(proj.top)


def keep_create_only(proj: Project, kept: Sequence[str], base: str = "HEAD") -> None:
    """The project's copy of each create-only file it already had, whatever the change did to
    it: restored from `base`, what the change was applied onto (a conflict there resolved as
    the project's; a `before` migration's edit kept), or kept deleted."""
    if not kept:
        return
    held = gitobjects.object_types(base, list(kept), proj.top)
    gitwork.checkout_paths(base, [p for p in kept if held[p] is not None], proj.top)
    index = set(gitwork.staged_paths("HEAD", proj.top))
    for path in kept:
        if held[path] is None and path in index:
            gitwork.untrack(path, proj.top)
            (proj.top / path).unlink(missing_ok=True)


def case_renames(proj: Project, new: str) -> list[tuple[str, str]]:
    """(old, new) for each path the render `new` renames in case only (`README.md` -> `Readme.md`)
    that HEAD holds under its old name, on a case-insensitive file system (macOS, Windows,
    exFAT); elsewhere none.

    There git's cherry-pick refuses the rename: it finds `Readme.md` on disk (the tracked
    `README.md`) and calls it an untracked file it would overwrite (issue #16). Renamed in the
    index and on disk first, the user's file (and edits) merge with the template's as one path;
    `--abort` and a rollback restore HEAD's name with its file (`journal.restore`).
    """
    if not git.ignores_case(proj.top):
        return []
    changes = gitobjects.diff_trees(proj.merged, new, proj.top, renames=False)
    gone = {c.path.casefold(): c.path for c in changes if c.status == "D"}
    pairs = [
        (gone[k], c.path) for c in changes if c.status == "A" and (k := c.path.casefold()) in gone
    ]
    if not pairs:
        return []
    held = gitobjects.object_types("HEAD", [p for pair in pairs for p in pair], proj.top)
    return [(old, new) for old, new in pairs if held[old] == "blob" and held[new] is None]


TRAILER_UPDATE = "Dlgen-Update"


def update_message(proj: Project, new: str) -> str:
    """The message `git commit` offers for the update: what it took, and the render's id."""
    body = githistory.commit_body(new, proj.top)
    version = template_branch.trailer(body, template_branch.TRAILER_VERSION) or "?"
    return f"Update to template {proj.record.template} {version}\n\n{TRAILER_UPDATE}: {new}\n"


SIDE = ".dlgen-new"
_NAME_MAX = 255  # bytes in one file name on every file system dlgen runs on


def side_file(path: str) -> str:
    """Where the template's copy of a conflicting binary goes: `path` + `.dlgen-new`, its name
    shortened (and told apart by a digest of the whole) where that would pass NAME_MAX."""
    folder, _, name = path.rpartition("/")
    if len(os.fsencode(name + SIDE)) > _NAME_MAX:
        digest = hashlib.sha256(os.fsencode(name)).hexdigest()[:8]
        room = _NAME_MAX - len(SIDE) - len(digest) - 1
        while len(os.fsencode(name)) > room:
            name = name[:-1]
        name = f"{name}~{digest}"
    return f"{folder}/{name}{SIDE}" if folder else name + SIDE


def settle(proj: Project) -> tuple[list[str], list[str]]:
    """Keep files the user deleted; put the template's copy of a conflicting binary beside it.

    Returns (the paths kept deleted, the side files written).
    """
    deleted: list[str] = []
    sides: list[str] = []
    for path, stages in gitwork.unmerged_stages(proj.top).items():
        if 2 not in stages and 3 in stages and 1 in stages:  # deleted here, changed there
            gitwork.untrack(path, proj.top)
            (proj.top / path).unlink(missing_ok=True)
            deleted.append(path)
        elif 2 in stages and 3 in stages:
            theirs = gitobjects.cat_blob(stages[3], proj.top)
            if b"\0" in theirs[:8000]:
                journal.remember(proj.top, proj.record.branch, [side_file(path)])
                (proj.top / side_file(path)).write_bytes(theirs)
                sides.append(side_file(path))
    return deleted, sides


def run_migrations(proj: Project, planned: Sequence[Migration]) -> None:
    """The template's tasks, then the `after` migrations (copier's order), once, in the project,
    after the merge; what they changed is noted first (so --abort or a failure undoes it with
    the merge), then staged with the merge (conflicted paths stay for the user to resolve, side
    files stay out)."""
    if not any(m.stage in ("task", "after") for m in planned):
        return
    branch = proj.record.branch
    journal.remember(proj.top, branch, [proj.prefix + "."])  # until its paths are known: all
    migrations.run(planned, "task", proj.root)
    migrations.run(planned, "after", proj.root)
    journal.remember(proj.top, branch, gitwork.changed_paths(proj.top, proj.prefix))
    sides = [p for p in journal.remembered(proj.top, branch) if p.endswith(SIDE)]
    gitwork.stage_work_tree(proj.prefix, proj.top, keep_out=sides)


def write_record(proj: Project, record: answers.Record) -> None:
    """dlgen writes .dlgen.yml itself (the user's `check:` kept); it is never left conflicted."""
    final = replace(record, check=proj.record.check)
    previous = gitobjects.show_file("HEAD", proj.record_path, proj.top).decode("utf-8", "replace")
    text = answers.dumps_keeping(final, previous)  # the user's `check:` comments kept
    path = proj.root / answers.RECORD_NAME
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return  # the merge staged exactly this (the usual case: no `check:` of the project's)
    answers.save(proj.root, final, text)
    gitwork.add([proj.record_path], proj.top)
