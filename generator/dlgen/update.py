"""`dlgen update`: the flow, a checklist of named steps, and the guards that run before any.

The steps, in order (guards first, nothing written before the commit on the template branch):
1. guard (here): a clean repository, the record, the template branch placed (`project`,
   `template_branch`, `journal` for an earlier update's leftovers);
2. render_target (`rerender`): the recorded template at the target version; refuse_downgrade;
3. refuse_untrusted migrations (`migrations`); commit the pristine render (create-only files
   too) on the template branch, not yet moved (`template_branch`); announce_create_only
   (`rerender`): the create-only files whose template copy changed, once;
4. preview_merge and refuse_collisions, the ignored-path wall (`merge`); a dry run stops here,
   with the structured step predicted on merge-tree's blobs (`resolve.predict`);
5. start_merge (`merge`, saving the abort state with `journal`): advance the branch, run the
   `before` migrations, apply the render's change uncommitted (`git cherry-pick --no-commit`,
   one ordinary commit of the project); keep_create_only: the project's copies;
6. settle (`merge`): keep user deletions, side files for conflicting binaries;
   after_merge (`resolve`): conflicted TOML/YAML/JSON/line-set files merged by structure, a
   structured file git's clean merge broke repaired or made a conflict;
7. run_migrations (the template's tasks, then the `after` migrations), write_record (`merge`).
A failure or ^C from step 5 on is rolled back by `journal.roll_back`, the restore `--abort` uses.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from dlgen import answers, git, githistory, gitobjects, gitwork, journal, template_branch, versions
from dlgen.errors import InputError, UnsafeStateError
from dlgen.merge import (
    change_of,
    keep_create_only,
    kept_deleted,
    preview_merge,
    refuse_collisions,
    run_migrations,
    settle,
    start_merge,
    write_record,
)
from dlgen.migrations import refuse_untrusted
from dlgen.project import Project, locate_clean
from dlgen.rerender import Target, announce_create_only, create_only_kept, render_target
from dlgen.resolve import after_merge, predict


@dataclass
class UpdateResult:
    """What an update did (or, with --dry-run, would do)."""

    old_version: str
    new_version: str
    changes: list[gitobjects.Change] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    kept_deleted: list[str] = field(default_factory=list)
    announced: list[str] = field(default_factory=list)
    side_files: list[str] = field(default_factory=list)
    by_structure: list[str] = field(default_factory=list)
    broken: dict[str, str] = field(default_factory=dict)
    migrations: list[str] = field(default_factory=list)  # "migration (stage): cmd", "task: cmd"
    new_questions: dict[str, Any] = field(default_factory=dict)  # asked by the target: default
    explained: list[str] = field(default_factory=list)  # CHANGELOG paragraphs naming a conflict
    changelog: str | None = None  # the target release's CHANGELOG.md section
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
        out += [f"  create-only, not merged: {a}" for a in self.announced]
        ran = "would run " if self.dry_run else ""
        out += [f"  {ran}{m}" for m in self.migrations]
        out += [f"  template's copy of a conflicting binary: {p}" for p in self.side_files]
        took = "would take the default" if self.dry_run else "default taken"
        out += [f"  new question ({took}): {k} = {v!r}" for k, v in self.new_questions.items()]
        would = "would be " if self.dry_run else ""
        out += [f"  {would}merged by structure (review it): {p}" for p in self.by_structure]
        out += [f"  {would}broken by the line merge ({why}): {p}" for p, why in self.broken.items()]
        if self.conflicts:
            head = "would conflict" if self.dry_run else "CONFLICTS (fix, `git add`, then commit)"
            out += [f"{head}:"] + [f"  {p}" for p in self.conflicts]
            if self.explained:
                out.append(f"the template's CHANGELOG ({self.new_version}) on them:")
                out += [f"  {line}" if line else "" for line in self.explained]
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
        journal.abort(project)
        return UpdateResult("", "", aborted=True)
    proj = guard(project, write=not dry_run)
    # the temporary directory lives until the migrations have run: they may run its scripts
    with tempfile.TemporaryDirectory(prefix="dlgen-update-") as tmp:
        render_dir = Path(tmp) / "render"
        target = render_target(
            proj,
            render_dir,
            to,
            dict(data or {}),
            trust=trust,
            defaults=defaults or dry_run,  # a dry run lists the new questions, asks nothing
            template=template,
            template_copy=Path(tmp) / "template",
        )
        record = target.record
        refuse_downgrade(proj.record, record)
        if not dry_run:
            refuse_untrusted(target.migrations, target.trusted)
        answers.save(render_dir, record)
        new = template_branch.commit_render(
            proj.top,
            render_dir,
            record,
            parent=proj.tip,
            prefix=proj.prefix,
        )
        return _merge_render(proj, new, target, dict(data or {}), dry_run=dry_run)


def _merge_render(
    proj: Project, new: str, target: Target, given: Mapping[str, Any], *, dry_run: bool
) -> UpdateResult:
    """Steps 4-7: what the committed render `new` changes, and (not a dry run) the merge;
    `given` are the answers passed with --data."""
    record = target.record
    kept = create_only_kept(proj, record)
    result = UpdateResult(
        proj.record.template_version,
        record.template_version,
        announced=[a.line() for a in announce_create_only(proj, kept, new)],
        migrations=[
            f"task: {m.shown}" if m.stage == "task" else f"migration ({m.stage}): {m.shown}"
            for m in target.migrations
        ],
        changelog=target.changelog,
        dry_run=dry_run,
    )
    result.new_questions = new_answers(proj.record, record, given)
    changes = gitobjects.diff_trees(proj.merged, new, proj.top)
    if not changes:  # the same tree: `diff-tree -r` lists every difference, modes included
        result.up_to_date, result.migrations = True, []
        return result
    ours = {proj.record_path, *kept}
    result.changes = [c for c in changes if c.path not in ours]
    change, renames = change_of(proj, new)
    merged, stages = preview_merge(proj, change, renames)
    touched = gitobjects.diff_trees("HEAD", merged, proj.top, renames=False)
    refuse_collisions(proj, touched, stages)
    stages = {p: s for p, s in stages.items() if p not in ours}
    result.conflicts = sorted(p for p, s in stages.items() if not kept_deleted(s))
    result.kept_deleted = sorted(p for p, s in stages.items() if kept_deleted(s))
    if dry_run:
        ahead = predict(proj, proj.merged, new, merged, stages, [c.path for c in result.changes])
        result.by_structure, result.broken = ahead.merged + ahead.repaired, ahead.broken
        result.conflicts = sorted({*result.conflicts, *ahead.broken} - {*ahead.merged})
        result.explained = explain(target.changelog, result.conflicts)
        return result
    result.kept_deleted = []
    try:
        paths = sorted({*(c.path for c in touched), *stages})
        args = (proj, new, change, paths, renames, target.migrations)
        base = start_merge(*args)
        keep_create_only(proj, kept, base)
        result.kept_deleted, result.side_files = settle(proj)
        changed = [c.path for c in result.changes]
        fixed = after_merge(proj, proj.merged, new, changed)
        result.by_structure, result.broken = fixed.merged + fixed.repaired, fixed.broken
        run_migrations(proj, target.migrations)
        write_record(proj, record)
        result.conflicts = gitwork.unmerged_paths(proj.top)
    except (Exception, KeyboardInterrupt) as e:
        journal.roll_back(proj, e)
        raise
    result.explained = explain(target.changelog, result.conflicts)
    return result


def explain(changelog: str | None, conflicts: Sequence[str]) -> list[str]:
    """The lines of the paragraphs of the release's CHANGELOG section that name a conflicting
    file in backquotes, by its path or a tail of it (`training/loop.py` for
    `src/pkg/training/loop.py`): what the template says it did to them."""
    if not changelog or not conflicts:
        return []
    names = set()
    for path in conflicts:
        parts = path.split("/")
        names |= {"`" + "/".join(parts[i:]) + "`" for i in range(len(parts))}
    paragraphs = [p for p in changelog.split("\n\n") if any(n in p for n in names)]
    return "\n\n".join(paragraphs).splitlines()


def new_answers(
    old: answers.Record, new: answers.Record, given: Mapping[str, Any]
) -> dict[str, Any]:
    """The answers of questions the target asks and the project never answered (not --data):
    their defaults, which a dry run or --defaults takes."""
    return {k: v for k, v in new.answers.items() if k not in old.answers and k not in given}


# --- guards -------------------------------------------------------------------------------------


def guard(project: Path, *, write: bool = True) -> Project:
    """Every precondition, before anything is written (exit 3, or 2 for a bad record).

    Then, with `write` (not a dry run), the template branch, a cache, is put where the history
    says it belongs: settled after an earlier update and fast-forwarded.
    """
    project, top, prefix = locate_clean(project)
    record = answers.load(project)
    earlier = journal.earlier_update(top, record)
    local, place = find_branch(top, prefix, record, earlier, fetch=write)
    refuse_polluted(top, record.branch, place.tip)
    refuse_checked_out(top, record.branch)
    if write:
        moves = place.tip != local
        if earlier is not None:
            journal.settle_earlier_update(top, record.branch, earlier)
        if moves:
            ref = template_branch.ref(record.branch)
            githistory.update_ref(ref, place.tip, top, old=local or "", msg="dlgen: fast-forward")
    return Project(project, top, prefix, record, place.tip, place.base)


def refuse_checked_out(top: Path, branch: str) -> None:
    """The template branch checked out (here or in another work tree) would move under it."""
    if template_branch.ref(branch) in git.checked_out_branches(top):
        raise UnsafeStateError(
            f"{branch} is checked out; dlgen moves that branch itself: "
            "switch to your own branch (`git switch main`), then update"
        )


def find_branch(
    top: Path,
    prefix: str,
    record: answers.Record,
    earlier: journal.EarlierUpdate | None = None,
    *,
    fetch: bool = True,
) -> tuple[str | None, template_branch.Position]:
    """(the local branch, where it belongs and which render the project has merged).

    The history is the truth: the newest render HEAD contains. The local branch caches it, to
    be fast-forwarded to it, or to origin's branch when that is ahead (fetched first when an
    `origin` exists and `fetch`; offline, its remote-tracking branch is used as it is). Without
    `fetch` (a dry run, a preview), origin's branch is fetched only when the recorded render is
    not here (a shallow CI clone has no template branch). Renders that diverged are refused
    (exit 3). Nothing is written here but the fetch.
    """
    branch = record.branch
    origin = git.has_remote(top, "origin")
    spec = f"+{template_branch.ref(branch)}:{template_branch.remote_ref(branch)}"
    if fetch and origin:
        git.fetch_quietly("origin", spec, top)  # offline: what is here
    found = template_branch.locate(top, prefix, branch, record=record)
    if not fetch and origin and not _holds_recorded(found, record):
        git.fetch_quietly("origin", spec, top)  # what it needs, or the refusal below
        found = template_branch.locate(top, prefix, branch, record=record)
    if not _holds_recorded(found, record):
        if found.local or found.remote or found.merged:  # renders, but not the recorded one
            template_branch.refuse_missing(top, branch, record.template_version)
        template_branch.refuse_shallow(top, "a render of this project")  # else: adopt
    if earlier is not None and earlier.rewind:
        found = replace(found, local=earlier.orig_template)
    place = template_branch.reconcile(top, prefix, branch, record.template_version, found)
    return found.local, place


def _holds_recorded(found: template_branch.Located, record: answers.Record) -> bool:
    return found.merged is not None and found.merged.version == record.template_version


def refuse_polluted(top: Path, branch: str, tip: str) -> None:
    """A human commit on the template branch would be merged as if the template made it."""
    found = template_branch.impure(top, tip)
    if found:
        sha, why = found
        raise UnsafeStateError(
            f"commit {sha[:12]} is not a pristine render ({why}) on {branch}; rebuild the "
            f"branch: `git branch -f {branch} <last pristine commit>`, then `dlgen update`"
        )


def refuse_downgrade(old: answers.Record, new: answers.Record) -> None:
    """An older template version is not an update (exit 2), as copier refuses it."""
    was, will = versions.parse(old.template_version), versions.parse(new.template_version)
    if was is not None and will is not None and will < was:
        raise InputError(
            f"template version {new.template_version} is older than this project's "
            f"{old.template_version}; dlgen does not downgrade (revert the update commit instead)"
        )
