"""Re-rendering a project's recorded template at a target version, with its recorded answers.

Where the template is (recorded, or a moved/mirrored `--template`), which answers carry over,
which new questions are asked or defaulted, and create-only files kept at the previous render's
copy. The result is a directory and its record, ready to be committed on the template branch.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from dlgen import answers, githistory, gitobjects, migrations, sources, template_branch
from dlgen.errors import InputError, ProcessError
from dlgen.project import Project
from dlgen.template import Template


def render_target(
    proj: Project,
    dst: Path,
    to: str | None,
    data: dict[str, Any],
    *,
    trust: bool = False,
    defaults: bool = False,
    template: str | None = None,
    template_copy: Path | None = None,
) -> Target:
    """Render the target version with the recorded answers (changed by `data`) into `dst`.

    `template` points the project at a moved or mirrored template (it must hold the recorded
    version). A question the target version adds is asked at a terminal, takes its default with
    `defaults`, and is otherwise an error naming it; answered questions are never asked again.
    """
    import shutil
    import sys

    from dlgen.render import render, trusted_by_settings

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
        # copier keeps the last answers of questions the template no longer asks in the render
        # context (a file may still depend on them); they leave the record
        removed = {k: v for k, v in old.answers.items() if k not in tpl.names}
        rendered = render(
            source,
            dst,
            given,
            defaults=not interactive,
            trust=trust,
            flavour=old.flavour,
            context=removed,
        )
        new_questions = [q for q in rendered.defaulted if q not in given]
        if new_questions and not defaults and flavour == "cookiecutter" and sys.stdin.isatty():
            from dlgen import cookiecutter_render

            given.update(cookiecutter_render.ask(source.path, new_questions, rendered.answers))
            shutil.rmtree(dst)
            rendered = render(source, dst, given, trust=trust, flavour=old.flavour, context=removed)
        elif new_questions and not defaults and not interactive:
            q = new_questions[0]
            more = f" (and {len(new_questions) - 1} more)" if len(new_questions) > 1 else ""
            raise InputError(
                f"the template ({source.version}) asks {q!r}{more}, which this project has not "
                f"answered: answer at a terminal, pass --data {q}=VALUE, or take defaults with "
                "--defaults"
            )
        record = answers.from_render(source, rendered, proj.root)
        versions = (old.template_version, record.template_version)
        context = {**removed, **(rendered.context or rendered.answers)}
        # the commands may run the template's own scripts (`_copier_conf.src_path`) after the
        # merge, when this export is gone: they get a copy that lives as long as the update
        copy = template_copy or dst.parent / "template"
        planned = plan_migrations(source, flavour, versions, context, proj.root, copy)
        trusted = trust or not any(m.unsafe for m in planned) or trusted_by_settings(source.origin)
        changelog = release_notes(source.path, record.template_version)
    record = replace(
        record,
        template=old.template if template is None else record.template,
        branch=old.branch,
        flavour=old.flavour,
    )
    return Target(record, planned, trusted, changelog)


def release_notes(template_root: Path, version: str) -> str | None:
    """The section of the template's CHANGELOG.md for `version`, when it ships one."""
    from dlgen.rollout_body import changelog_section

    file = template_root / "CHANGELOG.md"
    if not file.is_file():
        return None
    return changelog_section(file.read_text(encoding="utf-8", errors="replace"), version)


@dataclass(frozen=True)
class Target:
    """The render of the target version: its record, and the migrations the step to it runs."""

    record: answers.Record
    migrations: list[migrations.Migration]
    trusted: bool  # --trust, or copier's settings trust the template: its migrations may run
    changelog: str | None = None  # the target version's CHANGELOG.md section


def plan_migrations(
    source: sources.Source,
    flavour: str,
    versions: tuple[str, str],
    context: dict[str, Any],
    root: Path,
    copy: Path | None,
) -> list[migrations.Migration]:
    """The migrations the step `versions` (from, to) runs in the project at `root`, rendered with
    `context`: the bundled template's hook, or a copier template's `_migrations` (of a git
    template) and `_tasks` (run in the project after the merge, as copier runs them). With
    `copy`, the template is copied there first (the commands run later, from that copy)."""
    if source.bundled:
        return migrations.bundled(source.name, versions, context)
    if flavour != "copier" or not runs_commands(source.path):
        return []
    where = source.path
    if copy is not None:
        import shutil

        shutil.copytree(source.path, copy, symlinks=True)
        where = copy
    # a plain directory has one version: no migration step, but its tasks run
    found = migrations.plan(where, where, root, context, versions) if source.commit else []
    return found + migrations.tasks(where, where, root, context, versions[1])


def runs_commands(template_dir: Path) -> bool:
    """Whether copier.yml may declare `_migrations` or `_tasks` (read cheaply, before YAML)."""
    for name in ("copier.yml", "copier.yaml"):
        path = template_dir / name
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            return "_migrations" in text or "_tasks" in text
    return False


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


@dataclass(frozen=True)
class Announcement:
    """A create-only file the template changed: the project keeps its copy; this says how the
    template's copy changed and where to see it."""

    path: str  # in the project
    added: int | None  # lines; None for a binary file
    removed: int | None
    old: str  # the render commits holding the template's two copies
    new: str
    repo_path: str  # in the repository

    def line(self) -> str:
        """`params.yaml (template: 2 lines added, 1 removed); see `git diff A B -- params.yaml``"""
        if self.added is None or self.removed is None:
            what = "binary file changed"
        else:
            what = f"{_lines(self.added)} added, {self.removed} removed"
        return (
            f"{self.path} (template: {what}); see "
            f"`git diff {self.old[:12]} {self.new[:12]} -- {self.repo_path}`"
        )


def _lines(n: int) -> str:
    return f"{n} line{'s' if n != 1 else ''}"


def create_only_kept(proj: Project, record: answers.Record) -> list[str]:
    """The create-only files (repository paths) the project already had from an earlier render:
    its copy is its own, never merged over; a create-only file new in this version is created."""
    paths = [proj.prefix + p for p in record.policy.create_only]
    return gitobjects.list_files(proj.merged, proj.top, paths) if paths else []


def announce_create_only(proj: Project, kept: list[str], new: str) -> list[Announcement]:
    """The kept create-only files whose pristine render changed between the project's render and
    `new`: each is announced once, at the update that brings the change.

    A render made by an older dlgen holds the carried copy, and the digest of the template's
    own rendering in its create-only trailer: that digest is the template's side there.
    """
    if not kept:
        return []
    import hashlib
    import json

    body = githistory.commit_body(proj.merged, proj.top)
    digests = json.loads(template_branch.trailer(body, template_branch.TRAILER_CREATE_ONLY) or "{}")
    changed = {c.path for c in gitobjects.diff_trees(proj.merged, new, proj.top, renames=False)}
    found = []
    for repo_path in kept:
        path = repo_path.removeprefix(proj.prefix)
        if path in digests:
            try:
                now = hashlib.sha256(gitobjects.show_file(new, repo_path, proj.top)).hexdigest()
            except ProcessError:
                now = ""  # the template no longer has it: a change
            if now == digests[path]:
                continue
        elif repo_path not in changed:
            continue
        counts = gitobjects.numstat(proj.merged, new, repo_path, proj.top)
        added, removed = counts if counts is not None else (None, None)
        found.append(Announcement(path, added, removed, proj.merged, new, repo_path))
    return found
