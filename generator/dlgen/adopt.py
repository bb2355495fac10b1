"""`dlgen adopt`: link an existing repository to a template version without changing its files.

The chosen version is rendered and committed as an orphan `dlgen/template`; a `-s ours` merge
records it as merged, so later updates bring only later template changes.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dlgen import answers, git, names, template_branch, templates
from dlgen.errors import InputError, UnsafeStateError


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
    branch: str = answers.DEFAULT_BRANCH,
    trust: bool = False,
    flavour: str | None = None,
) -> AdoptResult:
    """Render `template` for the project at `project` and record it as merged.

    A project that has a `.dlgen.yml` but no template branch (made with `dlgen new --no-git`,
    e.g. inside a monorepo) is adopted at its recorded template, version and answers. `trust`
    allows the template's tasks, extensions or hooks; `flavour` picks copier or cookiecutter for
    a template that has both.
    """
    from dlgen.new import make_record
    from dlgen.render import render
    from dlgen.update import guard_repository

    project = project.resolve()
    top, prefix = guard_repository(project)
    if template_branch.tip(top, branch) is not None:
        raise UnsafeStateError(f"branch {branch} exists already; use `dlgen update`")
    given = dict(data or {})
    ref = None
    if (project / answers.RECORD_NAME).exists():
        existing = answers.load(project)
        template = template or existing.template
        ref = existing.template_commit if template == existing.template else None
        given = {**existing.answers, **given}
        flavour = flavour or existing.flavour
    if template is None:
        raise InputError("which template? pass --template NAME|PATH|URL[@REF]")
    with (
        templates.resolve(template, ref, base=project) as source,
        tempfile.TemporaryDirectory() as tmp,
    ):
        asked = templates.read_meta(source.path, flavour).questions
        if "project_name" in asked:
            given.setdefault("project_name", names.check_project_name(project.name))
        rendered = render(
            source, Path(tmp) / "render", given, defaults=True, trust=trust, flavour=flavour
        )
        record = make_record(source, rendered, project)
        answers.save(Path(tmp) / "render", record)
        render_commit = template_branch.commit_render(
            top, Path(tmp) / "render", record, parent=None, prefix=prefix
        )
    template_branch.advance(top, branch, render_commit, old=None)
    git.git(
        [
            "merge",
            "--quiet",
            "--strategy=ours",
            "--allow-unrelated-histories",
            "--no-commit",
            template_branch.ref(branch),
        ],
        top,
    )
    answers.save(project, record)
    git.git(["add", "--", prefix + answers.RECORD_NAME], top)
    message = f"Adopt template {record.template} {record.template_version} (dlgen adopt)"
    git.git(["commit", "--quiet", "--no-verify", "-m", message], top)
    return AdoptResult(record.template, record.template_version, git.rev_parse("HEAD", top) or "")
