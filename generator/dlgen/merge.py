"""Merging a committed render into the project: preview, the ignored-path wall, the merge itself,
then what follows it in the work tree (kept deletions, side files, migrations, `.dlgen.yml`).

Every file written beyond git's merge is noted in the journal first, so that `--abort` or a
rollback undoes it with the merge.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Collection, Mapping
from dataclasses import replace

from dlgen import (
    answers,
    git,
    githistory,
    gitobjects,
    gitwork,
    journal,
    lifecycle,
    sources,
    template_branch,
)
from dlgen.errors import StepError, UnsafeStateError
from dlgen.project import Project


def change_of(proj: Project, new: str) -> str:
    """The render `new` as one change from the render the project is at (`proj.merged`): `new`
    itself when that is its parent, else its tree on that render (a commit on no branch).

    Applied as a change, never merged as a commit, the update lands as one ordinary commit of
    the project: a rebase pull, a cherry-pick or a squash merge keeps it whole, and no render
    commit ever becomes reachable from HEAD to be replayed (issue #16). Its base is explicit,
    so no history beyond the two renders is needed (a shallow clone merges too).
    """
    if githistory.parents(new, proj.top) == [proj.merged]:
        return new
    body = githistory.commit_body(new, proj.top)
    return githistory.commit_tree(githistory.tree_of(new, proj.top), [proj.merged], body, proj.top)


def preview_merge(proj: Project, change: str) -> tuple[str, dict[str, dict[int, str]]]:
    """The merge's result tree and conflicts (path -> {stage: blob}), computed without touching
    index or work tree: HEAD's tree and the change, both on the render the project is at."""
    ours = githistory.commit_tree(
        githistory.tree_of("HEAD", proj.top), [proj.merged], "dlgen: preview\n", proj.top
    )
    return gitobjects.merge_tree_blobs(ours, change, proj.top)


def kept_deleted(stages: Collection[int]) -> bool:
    """A path deleted here and changed by the template: the deletion is kept, not a conflict."""
    return set(stages) == {1, 3}


def refuse_collisions(proj: Project, merged: str, stages: Mapping[str, Collection[int]]) -> None:
    """The ignored-path wall (exit 3): no path the merge creates (or turns into a directory), nor
    any parent of one, nor a side file, may be an ignored or untracked file, directory or symlink
    here. git treats those as expendable and would overwrite, delete or replace them.

    Paths the merge modifies or deletes are tracked, and so are their parents; only created
    paths need a look, and only those present on disk need git's answer (one call).
    """
    changes = gitobjects.diff_trees("HEAD", merged, proj.top, renames=False)
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


def start_merge(proj: Project, new: str, change: str, touched: list[str]) -> None:
    """Save what --abort restores (the paths the merge writes first), move the branch, apply
    the change uncommitted; the commit message names the render, for the next update.

    git's refusal (a lock, an unexpected state) is an error, never a silent no-op.
    """
    journal.begin(proj, new)
    journal.remember(proj.top, proj.record.branch, [proj.record_path, *touched])
    applied = gitwork.apply_for_review(change, proj.top)
    conflicted = applied.returncode == 1 and gitwork.unmerged_paths(proj.top)
    if applied.returncode != 0 and not conflicted:
        raise StepError("git cherry-pick", git.message_of(applied.stderr, applied.stdout))
    git.git_path(proj.top, "MERGE_MSG").write_text(update_message(proj, new), encoding="utf-8")


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


def run_migrations(proj: Project, record: answers.Record) -> None:
    """Version-gated migrations of a bundled template, once, in the project, after the merge.

    What a migration changed is noted so that --abort (or a failure) undoes it with the merge.
    """
    if record.template not in sources.bundled_names():
        return
    if lifecycle.load(record.template, "migrate") is None:
        return
    branch = proj.record.branch
    journal.remember(proj.top, branch, [proj.prefix + "."])  # until its paths are known: all
    lifecycle.run(
        record.template,
        "migrate",
        project=proj.root,
        old_version=proj.record.template_version,
        new_version=record.template_version,
        answers=record.answers,
    )
    journal.remember(proj.top, branch, gitwork.changed_paths(proj.top, proj.prefix))


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
