"""Merging a committed render into the project: preview, the ignored-path wall, the merge itself,
then what follows it in the work tree (kept deletions, side files, migrations, `.dlgen.yml`).

Every file written beyond git's merge is noted in the journal first, so that `--abort` or a
rollback undoes it with the merge.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from dlgen import answers, git, journal, lifecycle, sources
from dlgen.errors import ProcessError, StepError, UnsafeStateError
from dlgen.project import Project


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


def kept_deleted(stages: set[int]) -> bool:
    """A path deleted here and changed by the template: the deletion is kept, not a conflict."""
    return stages == {1, 3}


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
    present = {p: k for p in cause if (k := journal.kind(proj.top / p)) is not None}
    if not present:
        return
    tracked = git.object_types("HEAD", sorted(present), proj.top)
    for path in sorted(present, key=lambda p: (p.count("/"), p)):  # the outermost first
        kind, held = present[path], tracked[path]
        if held is None or ((held == "tree") != (kind == "directory") and held != "commit"):
            what = "ignored" if git.is_ignored(path, proj.top) else "untracked"
            raise UnsafeStateError(
                f"{path} is an {what} {kind} here, and the update writes {cause[path]}; git "
                f"would overwrite or remove it: move {path} elsewhere (dlgen never touches "
                "ignored or untracked data), then update again"
            )


def start_merge(proj: Project, new: str, record: answers.Record) -> None:
    """Save what --abort restores and move the branch (one ref transaction), merge uncommitted.

    git's refusal (merge.verifySignatures, a hook, a lock) is an error, never a silent no-op.
    """
    journal.begin(proj, new)
    merge = git.merge_for_review(
        record.branch,
        f"Merge template {record.template} {record.template_version} ({record.branch})",
        proj.top,
    )
    failed = any(ln.startswith(("error:", "fatal:")) for ln in merge.stderr.splitlines())
    if failed or git.rev_parse("MERGE_HEAD", proj.top) != new:
        raise StepError("git merge", git.message_of(merge.stderr, merge.stdout) or "no merge")


def settle(proj: Project) -> tuple[list[str], list[str]]:
    """Keep files the user deleted; put the template's copy of a conflicting binary beside it.

    Returns (the paths kept deleted, the side files written).
    """
    deleted: list[str] = []
    sides: list[str] = []
    for path, stages in git.unmerged_stages(proj.top).items():
        if 2 not in stages and 3 in stages and 1 in stages:  # deleted here, changed there
            git.untrack(path, proj.top)
            (proj.top / path).unlink(missing_ok=True)
            deleted.append(path)
        elif 2 in stages and 3 in stages:
            theirs = git.cat_blob(stages[3], proj.top)
            if b"\0" in theirs[:8000]:
                journal.remember(proj.top, proj.record.branch, [f"{path}.dlgen-new"])
                side = proj.top / f"{path}.dlgen-new"
                side.write_bytes(theirs)
                sides.append(f"{path}.dlgen-new")
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
    journal.remember(proj.top, branch, git.changed_paths(proj.top, proj.prefix))


def write_record(proj: Project, record: answers.Record) -> None:
    """dlgen writes .dlgen.yml itself (the user's `check:` kept); it is never left conflicted."""
    final = replace(record, check=proj.record.check)
    path = proj.root / answers.RECORD_NAME
    if path.is_file() and path.read_text(encoding="utf-8") == answers.dumps(final):
        return  # the merge staged exactly this (the usual case: no `check:` of the project's)
    answers.save(proj.root, final)
    git.add([proj.record_path], proj.top)
