"""Re-rendering a project's recorded template at a target version, with its recorded answers.

Where the template is (recorded, or a moved/mirrored `--template`), which answers carry over,
which new questions are asked or defaulted, and create-only files kept at the previous render's
copy. The result is a directory and its record, ready to be committed on the template branch.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from dlgen import answers, githistory, gitobjects, sources, template_branch
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
) -> answers.Record:
    """Render the target version with the recorded answers (changed by `data`) into `dst`.

    `template` points the project at a moved or mirrored template (it must hold the recorded
    version). A question the target version adds is asked at a terminal, takes its default with
    `defaults`, and is otherwise an error naming it; answered questions are never asked again.
    """
    import shutil
    import sys

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
        record = answers.from_render(source, rendered, proj.root)
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


def carry_create_only(
    proj: Project, record: answers.Record, render_dir: Path
) -> tuple[list[str], dict[str, str]]:
    """Create-only files keep the previous render's copy; a template change to one is announced
    once: (the paths announced, path -> digest of what this version of the template renders).

    The render commit keeps those digests (its create-only trailer), so the next update
    compares the template with itself, not with the carried copy (issue #16: announced again at
    every later update). Renders without the trailer compare with the carried copy.
    """
    import hashlib
    import json

    body = githistory.commit_body(proj.merged, proj.top) if record.policy.create_only else ""
    before = json.loads(template_branch.trailer(body, template_branch.TRAILER_CREATE_ONLY) or "{}")
    announced, rendered = [], {}
    for path in record.policy.create_only:
        new_file = render_dir / path
        try:
            old = gitobjects.show_file(proj.merged, proj.prefix + path, proj.top)
        except ProcessError:
            continue  # new in this version: rendered once, like any new file
        if new_file.is_file():
            rendered[path] = hashlib.sha256(new_file.read_bytes()).hexdigest()
            was = before.get(path) or hashlib.sha256(old).hexdigest()
            if rendered[path] != was:
                announced.append(path)
        new_file.parent.mkdir(parents=True, exist_ok=True)
        new_file.write_bytes(old)
    return announced, rendered
