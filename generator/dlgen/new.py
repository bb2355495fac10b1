"""`dlgen new`: validate → render in a staging dir → post-generate → git → rename into place."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from dlgen import __version__, answers, git, lifecycle, names, proc, template_branch, templates
from dlgen.errors import DlgenError, InputError, StepError, UnsafeStateError
from dlgen.render import Rendered, render


@dataclass(frozen=True)
class NewResult:
    """A generated project."""

    path: Path
    template: str
    version: str
    next_steps: list[str]
    notes: list[str] = field(default_factory=list)


def new(
    path: Path,
    *,
    template: str = "dl-project",
    data: Mapping[str, Any] | None = None,
    defaults: bool = False,
    trust: bool = False,
    git_init: bool = True,
    install_hooks: bool = True,
    flavour: str | None = None,
) -> NewResult:
    """Generate a project at `path`; on any failure or ^C nothing is left behind.

    `flavour` (copier or cookiecutter) picks the language of a template that has both.
    """
    dst = check_destination(path)
    if not defaults and not sys.stdin.isatty():
        raise InputError("questions need a terminal; pass --defaults (and --data KEY=VALUE)")
    with templates.resolve(template) as source:
        asked = templates.read_meta(source.path, flavour).questions
        data = initial_data(dst, data or {}, asked)
        with _staging(dst) as out:
            return _generate(
                source,
                out,
                dst,
                data,
                defaults=defaults,
                trust=trust,
                git_init=git_init,
                install_hooks=install_hooks,
                flavour=flavour,
            )


def _generate(
    source: templates.Source,
    out: Path,
    dst: Path,
    data: dict[str, Any],
    *,
    defaults: bool,
    trust: bool,
    git_init: bool,
    install_hooks: bool,
    flavour: str | None = None,
) -> NewResult:
    """The steps inside the staging directory, ending with the rename into place.

    The repository is created first so that `pre-commit install` (an interpreter start-up of
    its own) runs on another core while copier renders; the first commit follows the render.
    """
    if git_init:
        out.mkdir()
        _step("git init", lambda: git.init(out))
    hook_cmd = pre_commit_command() if git_init and install_hooks else None
    with proc.background(hook_cmd, out) if hook_cmd else nullcontext() as hooks:
        rendered = render(source, out, data, defaults=defaults, trust=trust, flavour=flavour)
        if "package_name" in rendered.answers:
            names.check_package_name(str(rendered.answers["package_name"]))
        record = make_record(source, rendered, dst)
        answers.save(out, record)
        if source.bundled:
            lifecycle.run(source.name, "post_generate", project=out, answers=rendered.answers)
        if git_init:
            _step("git commit", lambda: commit_first_render(out, record))
        notes = hook_notes(hooks) if git_init and install_hooks else []
    _move_into_place(out, dst)
    steps = [str(s) for s in rendered.meta.get("next_steps", [])]
    return NewResult(dst, record.template, record.template_version, steps, notes)


def check_destination(path: Path) -> Path:
    """The absolute destination; refuse files, links and non-empty directories (exit 2 / 3)."""
    if path.is_symlink():
        raise InputError(f"destination {path} is a symbolic link")
    dst = path.absolute()
    if dst.exists() and not dst.is_dir():
        raise InputError(f"destination {path} exists and is not a directory")
    if dst.is_dir():
        entries = sorted(p.name for p in dst.iterdir())
        if entries:
            shown = ", ".join(entries[:8]) + (
                f" and {len(entries) - 8} more" if len(entries) > 8 else ""
            )
            raise UnsafeStateError(f"destination {path} is not empty; would overwrite: {shown}")
    return Path(os.path.normpath(dst))


def initial_data(dst: Path, data: Mapping[str, Any], asked: tuple[str, ...]) -> dict[str, Any]:
    """The user's answers, plus project_name from the directory when the template asks for one.

    Names are validated here, before anything is written.
    """
    out = dict(data)
    if "project_name" in asked or "project_name" in out:
        out["project_name"] = names.check_project_name(str(out.get("project_name", dst.name)))
    if "package_name" in out:
        names.check_package_name(str(out["package_name"]))
    elif "package_name" in asked and "project_name" in out:
        names.check_package_name(names.package_name(out["project_name"]))
    return out


def make_record(source: templates.Source, rendered: Rendered, dst: Path) -> answers.Record:
    """The `.dlgen.yml` content of a fresh render."""
    spec = source.spec
    if not source.bundled and not templates.is_url(templates.split_ref(spec)[0]):
        spec = os.path.relpath(Path(templates.split_ref(spec)[0]).absolute(), dst)
    policy = answers.policy_from_meta(rendered.meta, f"{source.spec} copier.yml _dlgen")
    skip = [p for p in rendered.skip_if_exists if p not in policy.create_only]
    if skip:  # copier's `_skip_if_exists`: like create-only, rendered once, never merged
        policy = replace(policy, create_only=(*policy.create_only, *skip))
    return answers.Record(
        template=spec,
        template_version=source.version,
        dlgen_version=__version__,
        answers=rendered.answers,
        template_commit=source.commit,
        policy=policy,
        flavour=rendered.flavour,
    )


def commit_first_render(project: Path, record: answers.Record) -> None:
    """The first commit is the pristine render, on both the template branch and the main branch."""
    tree = git.stage_all(project)
    sha = template_branch.commit(project, tree, record, parent=None)
    git.create_refs(["HEAD", template_branch.ref(record.branch)], sha, project)


def pre_commit_command() -> list[str] | None:
    """`pre-commit install`, when pre-commit is on PATH."""
    exe = shutil.which("pre-commit")
    return [exe, "install"] if exe else None


def hook_notes(hooks: subprocess.Popen[bytes] | None) -> list[str]:
    """Wait for `pre-commit install`; a missing or failing pre-commit is a note, not an error."""
    if hooks is None:
        return ["pre-commit not found: run `pre-commit install` in the project once it is set up"]
    if hooks.wait() != 0:
        return [f"`pre-commit install` failed ({hooks.returncode}); run it in the project later"]
    return []


def _step(name: str, func: Any) -> None:
    try:
        func()
    except DlgenError as e:
        hint = " (use --no-git to generate without git)" if name.startswith("git") else ""
        raise StepError(name, f"{e}{hint}") from e


@contextmanager
def _staging(dst: Path) -> Iterator[Path]:
    """A render directory on the destination's filesystem, removed whatever happens."""
    anchor = dst.parent
    while not anchor.exists():
        anchor = anchor.parent
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".dlgen-new-{dst.name[:40]}-", dir=anchor))
    except OSError as e:
        raise UnsafeStateError(f"cannot write in {anchor}: {e.strerror}") from e
    try:
        yield tmp / dst.name
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _move_into_place(out: Path, dst: Path) -> None:
    """Rename the render to `dst`; an existing (empty) `dst` keeps its inode, so a shell inside it
    stays valid."""
    if not dst.is_dir():
        dst.parent.mkdir(parents=True, exist_ok=True)
        out.rename(dst)
        return
    for child in out.iterdir():
        child.rename(dst / child.name)
