"""`dlgen adopt`: link an existing repository to a template version without changing its files.

The chosen version is rendered and committed as an orphan template branch (`dlgen/template` at
a repository root, `dlgen/templates/<path>` for a project in a subdirectory; recorded in
`.dlgen.yml`); a `-s ours` merge records it as merged, so later updates bring only later template
changes. Only the project's own `.dlgen.yml` is written, staged and committed.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from dlgen import answers, githistory, gitwork, names, sources, template_branch
from dlgen.errors import InputError, ProcessError, UnsafeStateError
from dlgen.project import locate_clean
from dlgen.template import Template


@dataclass(frozen=True)
class AdoptResult:
    """The adopted template version."""

    template: str
    version: str
    commit: str

    def lines(self) -> list[str]:
        """The report printed on stdout."""
        return [
            f"adopted {self.template} {self.version}: no file changed; "
            f"{answers.RECORD_NAME} committed in {self.commit[:12]}",
            "later `dlgen update` runs bring only later template changes",
        ]


def adopt(
    project: Path,
    *,
    template: str | None,
    data: Mapping[str, Any] | None = None,
    branch: str | None = None,
    trust: bool = False,
    flavour: str | None = None,
) -> AdoptResult:
    """Render `template` for the project at `project` and record it as merged.

    A project that has a `.dlgen.yml` but no template branch (made with `dlgen new --no-git`,
    e.g. inside a monorepo) is adopted at its recorded template, version and answers. The branch
    is `branch`, else one the record names, else the one for the project's path. `trust` allows
    the template's tasks, extensions or hooks; `flavour` picks copier or cookiecutter for a
    template that has both.
    """
    from dlgen.render import render

    project, top, prefix = locate_clean(project)
    template, ref, given, flavour, branch = what_to_adopt(
        project, prefix, template, dict(data or {}), flavour, branch
    )
    refuse_linked(top, prefix, branch)
    if template is None:
        raise InputError("which template? pass --template NAME|PATH|URL[@REF]")
    with (
        sources.resolve(template, ref, base=project) as source,
        tempfile.TemporaryDirectory() as tmp,
    ):
        asked = Template.load(source.path, flavour).names
        if "project_name" in asked:
            given.setdefault("project_name", names.check_project_name(project.name))
        rendered = render(
            source, Path(tmp) / "render", given, defaults=True, trust=trust, flavour=flavour
        )
        record = replace(answers.from_render(source, rendered, project), branch=branch)
        answers.save(Path(tmp) / "render", record)
        render_commit = template_branch.commit_render(
            top, Path(tmp) / "render", record, parent=None, prefix=prefix
        )
    record_as_merged(project, top, prefix, render_commit, record)
    return AdoptResult(
        record.template, record.template_version, githistory.rev_parse("HEAD", top) or ""
    )


def what_to_adopt(
    project: Path,
    prefix: str,
    template: str | None,
    given: dict[str, Any],
    flavour: str | None,
    branch: str | None,
) -> tuple[str | None, str | None, dict[str, Any], str | None, str]:
    """(template, ref, answers, flavour, branch): a `.dlgen.yml` already there fills what the
    user did not give; the branch defaults to the one for the project's path."""
    ref = None
    if (project / answers.RECORD_NAME).exists():
        existing = answers.load(project)
        template = template or existing.template
        ref = existing.template_commit if template == existing.template else None
        given = {**existing.answers, **given}
        flavour = flavour or existing.flavour
        if branch is None and existing.branch != answers.DEFAULT_BRANCH:
            branch = existing.branch
    return template, ref, given, flavour, branch or template_branch.branch_for(prefix)


def record_as_merged(
    project: Path, top: Path, prefix: str, render_commit: str, record: answers.Record
) -> None:
    """Create the branch at the render, merge it with `-s ours`, commit the project's record."""
    branch = record.branch
    try:
        template_branch.advance(top, branch, render_commit, old=None)
    except ProcessError as e:  # e.g. a project nested in another: dlgen/templates/a beside a/b
        raise UnsafeStateError(f"cannot create branch {branch}: {e.stderr.strip()}") from e
    gitwork.merge_ours(template_branch.ref(branch), top)
    answers.save(project, record)
    gitwork.add([prefix + answers.RECORD_NAME], top)
    gitwork.commit(f"Adopt template {record.template} {record.template_version} (dlgen adopt)", top)


def refuse_linked(top: Path, prefix: str, branch: str) -> None:
    """A project linked already (its branch here or on origin, or a render in HEAD's history)."""
    found = template_branch.locate(top, prefix, branch)
    if found.local or found.remote:
        where = branch if found.local else f"origin/{branch}"
        raise UnsafeStateError(f"branch {where} exists already; use `dlgen update`")
    if found.merged is not None:
        raise UnsafeStateError(
            f"HEAD has merged a template render of this project already "
            f"({found.merged.sha[:12]}, {found.merged.version}); use `dlgen update`"
        )
    template_branch.refuse_shallow(top, "the history that may hold this project's render")
