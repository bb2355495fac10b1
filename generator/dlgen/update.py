"""`dlgen update`: render the new version, commit it on the template branch, merge it with git.

The steps, in order (each a function below; guards first, nothing written before `commit`):
guard → render → carry create-only files → commit on the template branch (not yet moved) →
refuse ignored-file collisions → merge-tree preview (dry run stops here) → save abort state and
advance the branch → git merge --no-commit → keep user deletions → migrations → write .dlgen.yml.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from dlgen import answers, git, lifecycle, template_branch, templates
from dlgen.errors import DlgenError, InputError, ProcessError, StepError, UnsafeStateError

ORIG_TEMPLATE = "refs/dlgen/orig-template"
ORIG_HEAD = "refs/dlgen/orig-head"


@dataclass(frozen=True)
class Project:
    """Where the project sits and what it records."""

    root: Path  # the project directory
    top: Path  # the repository's work tree
    prefix: str  # project path inside the repository: '' or 'a/b/'
    record: answers.Record
    tip: str  # the template branch before the update


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
    proj = guard(project)
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
        announced = carry_create_only(proj, record, render_dir)
        answers.save(render_dir, record)
        new = template_branch.commit_render(
            proj.top, render_dir, record, parent=proj.tip, prefix=proj.prefix
        )
    result = UpdateResult(
        proj.record.template_version, record.template_version, announced=announced, dry_run=dry_run
    )
    if git.tree_of(new, proj.top) == git.tree_of(proj.tip, proj.top):
        result.up_to_date = True
        return result
    record_path = proj.prefix + answers.RECORD_NAME
    result.changes = [c for c in git.diff_trees(proj.tip, new, proj.top) if c.path != record_path]
    refuse_ignored_collisions(proj, result.changes)
    _, result.conflicts = git.merge_tree("HEAD", new, proj.top)
    if dry_run:
        return result
    start_merge(proj, new, record)
    try:
        settle(proj, result)
        run_migrations(proj, record)
    except DlgenError as e:
        raise StepError("update", f"{e}; `dlgen update --abort` goes back") from e
    write_record(proj, record)
    result.conflicts = git.unmerged_paths(proj.top)
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


def guard(project: Path) -> Project:
    """Every precondition, before anything is written (exit 3, or 2 for a bad record)."""
    project = project.resolve()
    top, prefix = guard_repository(project)
    record = answers.load(project)
    settle_earlier_update(top, record.branch)
    tip = find_branch(top, record.branch)
    refuse_polluted(top, record.branch)
    return Project(project, top, prefix, record, tip)


def settle_earlier_update(top: Path, branch: str) -> None:
    """Refs left by an earlier update: committed (drop them), or never merged (rewind the branch).

    A branch tip that HEAD does not contain means that update's merge never landed (`git merge
    --abort`, maybe with commits since, or a kill between advancing the branch and merging): the
    branch goes back, else the next update would call the project up to date.
    """
    orig_template = git.rev_parse(ORIG_TEMPLATE, top)
    orig_head = git.rev_parse(ORIG_HEAD, top)
    if orig_template is None and orig_head is None:
        return  # the usual case: no git call beyond the two above
    tip = template_branch.tip(top, branch)
    if orig_template is not None and tip is not None and not git.is_merged(tip, top):
        git.update_ref(template_branch.ref(branch), orig_template, top)
    for ref, value in ((ORIG_TEMPLATE, orig_template), (ORIG_HEAD, orig_head)):
        if value is not None:
            git.delete_ref(ref, top)


def find_branch(top: Path, branch: str) -> str:
    """The template branch: local, else fetched from origin, else a pointer to `dlgen adopt`."""
    tip = template_branch.tip(top, branch)
    if tip is None and git.has_remote(top, "origin"):
        ref = template_branch.ref(branch)
        git.git_rc(["fetch", "--quiet", "origin", f"{ref}:{ref}"], top)
        tip = template_branch.tip(top, branch)
    if tip is None:
        raise UnsafeStateError(
            f"no branch {branch} here or on origin: this project has no merge "
            "base with its template; run `dlgen adopt` to create one"
        )
    return tip


def refuse_polluted(top: Path, branch: str) -> None:
    """A human commit on the template branch would be merged as if the template made it."""
    from dlgen.check import _Repo, check_branch

    found = check_branch(_Repo(top, ""), branch)
    if found:
        raise UnsafeStateError(f"{found[0].message} on {branch}; {found[0].fix}")


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
    with templates.resolve(spec, to, base=proj.root) as source:
        meta = templates.read_meta(source.path, old.flavour)
        # copier asks only what the recorded answers leave open; cookiecutter's prompt would ask
        # every question again, so its new questions are asked after a render with defaults
        flavour = templates.pick_flavour(source.path, old.flavour)
        interactive = not defaults and flavour == "copier" and sys.stdin.isatty()
        unknown = sorted(set(data) - set(meta.questions))
        if unknown:
            raise InputError(
                f"unknown question {unknown[0]!r}; the template asks: {', '.join(meta.questions)}"
            )
        kept = {
            k: v for k, v in old.answers.items() if k in meta.questions and k not in meta.computed
        }
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
    source = templates.split_ref(spec)[0]
    if templates.is_url(source) or source in templates.bundled_names():
        return
    if not (root / source).is_dir():
        raise InputError(
            f"template {source!r} (recorded in {answers.RECORD_NAME}, relative to the project) "
            "is not there; point the project at it with `dlgen update --template PATH|URL`"
        )


def _given_source(template: str) -> str:
    """A `--template` path is relative to the current directory (a URL or name stays as is)."""
    source, ref = templates.split_ref(template)
    if ref is not None:
        raise InputError(f"--template {template!r}: give the version with --to, not '@{ref}'")
    if templates.is_url(source) or source in templates.bundled_names():
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
        with templates.resolve(spec, ref, base=root):
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
            old = git.show_file(proj.tip, proj.prefix + path, proj.top)
        except ProcessError:
            continue  # new in this version: rendered once, like any new file
        if new_file.is_file() and new_file.read_bytes() != old:
            announced.append(path)
        new_file.parent.mkdir(parents=True, exist_ok=True)
        new_file.write_bytes(old)
    return announced


def refuse_ignored_collisions(proj: Project, changes: list[git.Change]) -> None:
    """A file the template adds must not overwrite an ignored file of the user's (exit 3)."""
    added = [c.path for c in changes if c.status in "AR"]
    tracked = set(git.list_files("HEAD", proj.top, added)) if added else set()
    for path in added:
        if path not in tracked and (proj.top / path).exists():
            raise UnsafeStateError(
                f"the template adds {path}, which exists here as an ignored file; "
                "move it away, then update again"
            )


# --- merge --------------------------------------------------------------------------------------


def start_merge(proj: Project, new: str, record: answers.Record) -> None:
    """Save what --abort restores, move the branch, merge without committing."""
    git.update_ref(ORIG_TEMPLATE, proj.tip, proj.top)
    git.update_ref(ORIG_HEAD, git.rev_parse("HEAD", proj.top) or "", proj.top)
    template_branch.advance(proj.top, record.branch, new, old=proj.tip)
    git.merge_no_commit(
        record.branch,
        f"Merge template {record.template} {record.template_version} ({record.branch})",
        proj.top,
    )


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
                side = proj.top / f"{path}.dlgen-new"
                side.write_bytes(theirs)
                result.side_files.append(f"{path}.dlgen-new")


def run_migrations(proj: Project, record: answers.Record) -> None:
    """Version-gated migrations of a bundled template, once, in the project, after the merge."""
    if record.template not in templates.bundled_names():
        return
    lifecycle.run(
        record.template,
        "migrate",
        project=proj.root,
        old_version=proj.record.template_version,
        new_version=record.template_version,
        answers=record.answers,
    )


def write_record(proj: Project, record: answers.Record) -> None:
    """dlgen writes .dlgen.yml itself (the user's `check:` kept); it is never left conflicted."""
    final = replace(record, check=proj.record.check)
    path = proj.root / answers.RECORD_NAME
    if path.is_file() and path.read_text(encoding="utf-8") == answers.dumps(final):
        return  # the merge staged exactly this (the usual case: no `check:` of the project's)
    answers.save(proj.root, final)
    git.git(["add", "--", proj.prefix + answers.RECORD_NAME], proj.top)


# --- abort --------------------------------------------------------------------------------------


def abort_update(project: Path) -> UpdateResult:
    """Back to exactly the state before the update: HEAD, work tree, template branch."""
    top = git.toplevel(project.resolve())
    if top is None:
        raise UnsafeStateError(f"{project} is not in a git repository")
    orig_template = git.rev_parse(ORIG_TEMPLATE, top)
    orig_head = git.rev_parse(ORIG_HEAD, top)
    if orig_template is None and not git.in_progress(top):
        raise UnsafeStateError("no dlgen update to abort")
    if "merge" in git.in_progress(top):
        git.git(["merge", "--abort"], top)
    elif orig_head is not None and git.rev_parse("HEAD", top) == orig_head:
        # Interrupted before git wrote its merge state; the tree was clean when the update began.
        git.git(["reset", "--quiet", "--hard", orig_head], top)
    elif orig_head is not None and _merged_template(project.resolve(), top):
        raise UnsafeStateError("the update was committed already; `git revert -m 1 HEAD`")
    if orig_template is not None:
        record = answers.load(project.resolve())
        git.update_ref(template_branch.ref(record.branch), orig_template, top)
        git.delete_ref(ORIG_TEMPLATE, top)
    if orig_head is not None:
        git.delete_ref(ORIG_HEAD, top)
    return UpdateResult("", "", aborted=True)


def _merged_template(project: Path, top: Path) -> bool:
    """Whether HEAD contains the template branch's tip (after `git merge --abort` it does not)."""
    tip = template_branch.tip(top, answers.load(project).branch)
    return tip is not None and git.is_merged(tip, top)
