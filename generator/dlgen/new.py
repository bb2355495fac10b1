"""`dlgen new`: validate → render in a staging dir → post-generate → git → rename into place."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from dlgen import (
    answers,
    data_files,
    git,
    githistory,
    gitwork,
    lifecycle,
    migrations,
    names,
    proc,
    questions,
    signals,
    sources,
    staging,
    template_branch,
)
from dlgen.errors import DlgenError, InputError, ProcessError, StepError, UnsafeStateError
from dlgen.render import Rendered, render, trusted_by_settings
from dlgen.template import Template

DEFAULT_TEMPLATE = "dl-project"


@dataclass(frozen=True)
class NewResult:
    """A generated project (or, with `pretend`, the files it would have)."""

    path: Path
    template: str  # the template as the user gave it (relative paths from the current directory)
    version: str
    next_steps: list[str]
    notes: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # what --pretend would write


def new(
    path: Path,
    *,
    template: str | None = None,
    data: Mapping[str, Any] | None = None,
    data_file: Path | None = None,
    defaults: bool = False,
    trust: bool = False,
    git_init: bool = True,
    install_hooks: bool = True,
    pretend: bool = False,
    flavour: str | None = None,
) -> NewResult:
    """Generate a project at `path`; on any failure, ^C, SIGTERM or SIGHUP nothing is left behind.

    `data` answers questions on top of `data_file`; `template` (default: the data file's
    recorded template, else dl-project) is a bundled name, directory or git URL[@REF].
    `flavour` (copier or cookiecutter) picks the language of a template that has both.
    """
    dst = check_destination(path)
    given = data_files.read(data_file) if data_file is not None else data_files.DataFile({})
    spec = template or given.template or DEFAULT_TEMPLATE
    with signals.raising(), sources.resolve(spec) as source:
        tpl = Template.load(source.path, flavour)
        wanted, notes = collect_answers(dst, given, data or {}, tpl, source, pinned=bool(template))
        user_defaults = git_config_defaults(tpl.dlgen, staging.anchor_of(dst), skip=wanted)
        defaults = questions.ask_or_default(tpl.questions, wanted, user_defaults, defaults=defaults)
        if pretend:
            return _pretend(
                source, dst, wanted, user_defaults, trust=trust, notes=notes, flavour=flavour
            )
        notes += staging.remove_dead(staging.anchor_of(dst))
        with staging.directory(dst) as out:
            result = _generate(
                source,
                out,
                dst,
                wanted,
                user_defaults,
                defaults=defaults,
                trust=trust,
                git_init=git_init,
                install_hooks=install_hooks,
                flavour=flavour,
                copier_tasks=tpl.flavour == "copier" and not source.bundled,
            )
    return replace(result, notes=notes + result.notes)


def collect_answers(
    dst: Path,
    given: data_files.DataFile,
    data: Mapping[str, Any],
    tpl: Template,
    source: sources.Source,
    *,
    pinned: bool,
) -> tuple[dict[str, Any], list[str]]:
    """The data file's answers with --data on top, names checked; notes on what a replay drops.

    A replayed record's answers the template does not ask (another --template) are dropped with
    a note; project_name and package_name follow the new PATH.
    """
    wanted = {**given.answers, **data}
    notes = []
    if given.replay:
        dropped = sorted(k for k in wanted if k not in tpl.names)
        wanted = {k: v for k, v in wanted.items() if k in tpl.names}
        if dropped:
            notes.append(f"{source.spec} does not ask {', '.join(dropped)}: not replayed")
        if given.version and not pinned and given.version != source.version:
            notes.append(f"the record has {source.spec} {given.version}; using {source.version}")
    wanted = initial_data(dst, wanted, tpl.names, bundled=source.bundled)
    if given.replay and "package_name" in tpl.names and "package_name" not in wanted:
        wanted["package_name"] = names.package_name(wanted["project_name"])
    return wanted, notes


def git_config_defaults(
    meta: Mapping[str, Any], where: Path, *, skip: Mapping[str, Any]
) -> dict[str, str]:
    """Defaults the template takes from git config (`_dlgen.defaults_from_git_config`).

    The bundled template maps author_name/author_email to user.name/user.email, as copier
    templates do with an extension; the value is a default, shown at the prompt and recorded
    like any answer. Unset keys (or no git) leave the template's own default.
    """
    declared = meta.get("defaults_from_git_config") or {}
    if not isinstance(declared, dict):
        return {}
    keys = {str(key).lower(): str(q) for q, key in declared.items() if q not in skip}
    if not keys:
        return {}
    pattern = "^(" + "|".join(re.escape(k) for k in keys) + ")$"
    try:  # one git call for all keys
        found = git.config_matching(pattern, where)
    except ProcessError:  # no git: the template's defaults stand
        return {}
    return {keys[key]: value for key, value in found if key in keys and value}


def _pretend(
    source: sources.Source,
    dst: Path,
    data: dict[str, Any],
    user_defaults: Mapping[str, Any],
    *,
    trust: bool,
    notes: list[str],
    flavour: str | None,
) -> NewResult:
    """Render in the system's temporary directory, list the files, keep nothing."""
    with tempfile.TemporaryDirectory(prefix="dlgen-pretend-") as tmp:
        out = Path(tmp) / dst.name
        rendered = render(
            source,
            out,
            data,
            defaults=True,
            trust=trust,
            flavour=flavour,
            user_defaults=user_defaults,
            skip_tasks=True,
        )
        files = sorted(
            {p.relative_to(out).as_posix() for p in out.rglob("*") if not p.is_dir()}
            | {answers.RECORD_NAME}
        )
    steps = [str(s) for s in rendered.meta.get("next_steps", [])]
    return NewResult(dst, source.spec, source.version, steps, notes, files)


def _generate(
    source: sources.Source,
    out: Path,
    dst: Path,
    data: dict[str, Any],
    user_defaults: Mapping[str, Any],
    *,
    defaults: bool,
    trust: bool,
    git_init: bool,
    install_hooks: bool,
    flavour: str | None = None,
    copier_tasks: bool = False,
) -> NewResult:
    """The steps inside the staging directory, ending with the rename into place.

    The repository is created first so that `pre-commit install` (an interpreter start-up of
    its own) runs on another core while copier renders; the first commit follows the render.
    With `copier_tasks` (a copier template not bundled), its `_tasks` run as copier runs them:
    in the project at its final path once the render is there (`_in_place`).
    """
    if git_init:
        out.mkdir()
        _step("git init", lambda: git.init(out))
    hook_cmd = pre_commit_command() if git_init and install_hooks else None
    with proc.background(hook_cmd, out) if hook_cmd else nullcontext() as hooks:
        rendered = render(
            source,
            out,
            data,
            defaults=defaults,
            trust=trust,
            flavour=flavour,
            user_defaults=user_defaults,
            skip_tasks=copier_tasks,  # they run in the project, at its final path
        )
        if source.bundled and "package_name" in rendered.answers:
            names.check_package_name(str(rendered.answers["package_name"]))
        record = answers.from_render(source, rendered, dst)
        answers.save(out, record)
        if source.bundled:
            lifecycle.run(source.name, "post_generate", project=out, answers=rendered.answers)
        tasks = copier_task_list(source, rendered, dst, trust) if copier_tasks else []
        if git_init and not tasks:
            _step("git commit", lambda: commit_first_render(out, record))
        notes = hook_notes(hooks) if git_init and install_hooks else []
    if tasks:
        _in_place(out, dst, tasks, record if git_init else None)
    else:
        staging.move_into_place(out, dst)
    steps = [str(s) for s in rendered.meta.get("next_steps", [])]
    if git_init:  # CI's `dlgen check` and every later update read the template branch
        steps.append(f"git push -u origin HEAD {record.branch}  # once a remote exists")
    return NewResult(dst, source.spec, record.template_version, steps, notes)


def copier_task_list(
    source: sources.Source, rendered: Rendered, dst: Path, trust: bool
) -> list[migrations.Migration]:
    """The template's `_tasks` as copier renders them on a copy (`_copier_conf.dst_path`: the
    project's final path); without trust (--trust, or copier's settings), refused as copier
    refuses them (exit 2)."""
    context = rendered.context or rendered.answers
    found = migrations.tasks(
        source.path, source.path, dst.absolute(), context, source.version, operation="copy"
    )
    if found:
        migrations.refuse_untrusted(
            found, trust or trusted_by_settings(source.origin), doing="dlgen new runs"
        )
    return found


def _in_place(
    out: Path, dst: Path, tasks: list[migrations.Migration], record: answers.Record | None
) -> None:
    """Move the render into place, run the tasks there (copier runs them in `dst_path`), then
    make the first commit (with `record`): it holds the project as copier leaves it, tasks'
    work included, as dlgen's later renders do. A failure or ^C removes what was moved in."""
    existed = dst.is_dir()
    staging.move_into_place(out, dst)
    try:
        migrations.run(tasks, "task", dst)
        if record is not None:
            _step("git commit", lambda: commit_first_render(dst, record))
    except BaseException:
        staging.take_back(dst, existed)
        raise


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


def initial_data(
    dst: Path, data: Mapping[str, Any], asked: tuple[str, ...], *, bundled: bool = True
) -> dict[str, Any]:
    """The user's answers, plus project_name from the directory when the template asks for one.

    Names are validated here, before anything is written: the directory's name where it
    becomes the project name; the project and package names only for a bundled template
    (another template's variables follow its own rules: cookiecutter-pypackage's project_name
    is "Python Boilerplate").
    """
    out = dict(data)
    if "project_name" in asked and "project_name" not in out:
        out["project_name"] = names.check_project_name(dst.name)
    if not bundled:
        return out
    if "project_name" in out:
        out["project_name"] = names.check_project_name(str(out["project_name"]))
    if "package_name" in out:
        names.check_package_name(str(out["package_name"]))
    elif "package_name" in asked and "project_name" in out:
        names.check_package_name(names.package_name(out["project_name"]))
    return out


def commit_first_render(project: Path, record: answers.Record) -> None:
    """The first commit is the pristine render, on both the template branch and the main branch."""
    tree = gitwork.stage_all(project)
    sha = template_branch.commit(project, tree, record, parent=None)
    githistory.create_refs(["HEAD", template_branch.ref(record.branch)], sha, project)


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
