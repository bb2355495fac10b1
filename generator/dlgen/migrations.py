"""Migrations: what a template runs in the project when it moves from one version to another.

One mechanism for two kinds: a template's copier `_migrations` (any template; chosen by copier's
own version gates, their commands and `when` rendered with the template's Jinja settings, run
with the environment copier sets) and a bundled template's `migrate` hook (`lifecycle`). They are
planned at render time (`plan`), listed by `update --dry-run`, and run in the project by
`update`: `before` ones before the merge, `after` ones after it (`run`). A copier template's
`_tasks` (`tasks`) go through the same mechanism at stage "task": after the merge, before the
`after` migrations, in the project, as copier runs them in the project it updates.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

from dlgen import lifecycle, sources
from dlgen.errors import DlgenError, InputError
from dlgen.template import read_copier_yml

STAGES = ("before", "after")


@dataclass(frozen=True)
class Migration:
    """One command (or the bundled hook) to run in the project, at `stage` of the update."""

    stage: str  # "before" (the merge) or "after" it
    shown: str  # as the user reads it in the report and in errors
    cmd: str | tuple[str, ...] = ()  # a shell line (copier's string form) or an argv
    cwd: str = "."  # relative to the project
    env: Mapping[str, str] = field(default_factory=dict)
    hook: str | None = None  # the bundled template whose `migrate` hook this is
    hook_args: Mapping[str, Any] = field(default_factory=dict)

    @property
    def unsafe(self) -> bool:
        """A template's command runs code from the template: it needs --trust."""
        return self.hook is None


def pep440(version: str) -> Any:
    """`version` as copier reads it (a tag, or `git describe` output as `<tag>.post<n>+<hash>`);
    None when it is not a version (a bare commit id): copier then runs no migration."""
    from packaging.version import InvalidVersion, Version

    described = re.fullmatch(r"(.+)-(\d+)-g(\w+)", version)
    text = f"{described[1]}.post{described[2]}+{described[3]}" if described else version
    if re.fullmatch(r"[0-9a-f]{7,40}", text) and not text.isdigit():
        return None
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _truthy(value: Any) -> bool:
    """copier's cast_to_bool: numbers, YAML booleans and nulls, then Python's truth."""
    try:
        return bool(float(value))
    except (TypeError, ValueError):
        pass
    if isinstance(value, str):
        lower = value.strip().lower()
        if lower in {"", "n", "no", "f", "false", "off", "~", "null", "none"}:
            return False
        if lower in {"y", "yes", "t", "true", "on"}:
            return True
    return bool(value)


def plan(
    template_dir: Path,
    src_path: Path,
    project: Path,
    context: Mapping[str, Any],
    versions: tuple[str, str],
) -> list[Migration]:
    """The copier `_migrations` of the template at `template_dir` for the step `versions` (from,
    to: recorded versions, `git describe` style), both stages, in copier's order, rendered.

    The gates are copier's (`Template.migration_tasks`, copier 9): none unless both versions are
    PEP 440 versions; one with `version: V` runs when from < V <= to; one without runs at every
    update; `when` defaults to `{{ _stage == "after" }}`; the legacy `before:`/`after:` lists
    still work. `src_path` is `_copier_conf.src_path` (a copy that outlives the render),
    `project` is `dst_path` and the commands' working directory.
    """
    old, new = (pep440(v) for v in versions)
    config = _config(template_dir)
    if old is None or new is None or not config.get("_migrations"):
        return []
    env, (start, end) = _jinja(config)
    after_only = f'{start} _stage == "after" {end}'
    base = _context(context, src_path, project, versions[1], "migrate")
    found = []
    for stage in STAGES:
        common = {
            "stage": stage,
            "version_from": versions[0],
            "version_to": versions[1],
            "version_pep440_from": old,
            "version_pep440_to": new,
        }
        for raw in config["_migrations"]:
            for cmd, when, cwd, extra in _tasks(raw, stage, old, new, after_only):
                extra_vars = {**common, **extra}
                ctx = {
                    **base,
                    **{f"_{k}": v for k, v in extra_vars.items()},
                    "_copier_operation": "update",
                }
                m = _rendered(env, ctx, stage, cmd, when, cwd)
                if m is not None:
                    found.append(m)
    return found


def _tasks(
    raw: Any, stage: str, old: Any, new: Any, after_only: str
) -> list[tuple[Any, Any, str, dict[str, Any]]]:
    """(command, when, working directory, extra variables) of one `_migrations` entry."""
    from packaging.version import Version

    if isinstance(raw, (str, list)):
        return [(raw, after_only, ".", {})]
    if not isinstance(raw, dict):
        return []
    if "before" in raw or "after" in raw:  # copier's legacy format: lists per stage
        current = Version(str(raw["version"]))
        if not new >= current > old:
            return []
        extra = {"version_current": raw["version"], "version_pep440_current": current}
        return [(cmd, True, ".", extra) for cmd in raw.get(stage) or []]
    extra = {}
    if "version" in raw:
        current = Version(str(raw["version"]))
        if not new >= current > old:
            return []
        extra = {"version_current": raw["version"], "version_pep440_current": current}
    cwd = str(raw.get("working_directory", "."))
    return [(raw["command"], raw.get("when", after_only), cwd, extra)]


def _rendered(
    env: Any, ctx: dict[str, Any], stage: str, cmd: Any, when: Any, cwd: str
) -> Migration | None:
    """The migration with its command rendered, or None when its `when` is false."""

    def render(text: str) -> str:
        return str(env.from_string(text).render(**ctx))

    if not _truthy(render(when) if isinstance(when, str) else when):
        return None
    argv: str | tuple[str, ...] = (
        render(cmd) if isinstance(cmd, str) else tuple(render(str(p)) for p in cmd)
    )
    shown = argv if isinstance(argv, str) else " ".join(argv)
    env_vars = {k[1:].upper(): str(v) for k, v in ctx.items() if k in _ENV_KEYS}
    return Migration(stage, shown, argv, render(cwd), env_vars)


_ENV_KEYS = {
    "_stage",
    "_version_from",
    "_version_to",
    "_version_pep440_from",
    "_version_pep440_to",
    "_version_current",
    "_version_pep440_current",
    "_copier_operation",
}


def _jinja(config: Mapping[str, Any]) -> tuple[Any, tuple[str, str]]:
    """A sandboxed Jinja environment with the template's `_envops`, as copier renders tasks,
    and its variable delimiters."""
    from jinja2.sandbox import SandboxedEnvironment

    raw = config.get("_envops")
    envops: dict[str, Any] = raw if isinstance(raw, dict) else {}
    delimiters = envops.get("variable_start_string", "{{"), envops.get("variable_end_string", "}}")
    return SandboxedEnvironment(keep_trailing_newline=True, **envops), delimiters


def _context(
    answers: Mapping[str, Any], src_path: Path, project: Path, vcs_ref: str, phase: str
) -> dict[str, Any]:
    """What copier puts beside the answers when it renders a migration or a task."""
    return {
        **answers,
        "_copier_conf": {
            "src_path": PurePath(src_path),
            "dst_path": PurePath(project),
            "vcs_ref": vcs_ref,
            "sep": os.sep,
            "os": _os_name(),
        },
        "_folder_name": project.name,
        "_copier_python": sys.executable,
        "_copier_phase": phase,
    }


def tasks(
    template_dir: Path,
    src_path: Path,
    project: Path,
    context: Mapping[str, Any],
    vcs_ref: str,
    operation: str = "update",
) -> list[Migration]:
    """The template's copier `_tasks`, rendered as copier renders them (`_copier_operation`
    `operation`, STAGE=task): on an update, to run in the project after the merge and before
    the `after` migrations, as copier runs them in the project it updates; on a copy (`new`),
    in the project at its final path once the render is there. Their stage is "task"."""
    config = _config(template_dir)
    raw_tasks = config.get("_tasks")
    if not isinstance(raw_tasks, list) or not raw_tasks:
        return []
    env, _ = _jinja(config)
    ctx = {
        **_context(context, src_path, project, vcs_ref, "tasks"),
        "_stage": "task",
        "_copier_operation": operation,
    }
    found = []
    for raw in raw_tasks:
        if isinstance(raw, dict):
            cmd, when = raw.get("command", ""), raw.get("when", True)
            cwd = str(raw.get("working_directory", "."))
        else:
            cmd, when, cwd = raw, True, "."
        m = _rendered(env, ctx, "task", cmd, when, cwd)
        if m is not None:
            found.append(m)
    return found


def _config(template_dir: Path) -> dict[str, Any]:
    """copier.yml as copier reads it (`template.read_copier_yml`); {} without one."""
    for name in ("copier.yml", "copier.yaml"):
        if (template_dir / name).is_file():
            return read_copier_yml(template_dir / name)
    return {}


def _os_name() -> str | None:
    return {"linux": "linux", "darwin": "macos", "win32": "windows"}.get(sys.platform)


def bundled(
    template: str, versions: tuple[str, str], answers: Mapping[str, Any]
) -> list[Migration]:
    """The bundled template's `migrate` hook as one `after` migration (none when it has none)."""
    if template not in sources.bundled_names() or lifecycle.load(template, "migrate") is None:
        return []
    args = {"old_version": versions[0], "new_version": versions[1], "answers": dict(answers)}
    shown = f"{template} migrate hook {versions[0]} -> {versions[1]}"
    return [Migration("after", shown, hook=template, hook_args=args)]


def refuse_untrusted(
    migrations: Sequence[Migration], trusted: bool, doing: str = "the update runs"
) -> None:
    """A template's migrations (or tasks) run code on this machine: without trust, one line
    naming them (exit 2); `doing` says who runs them."""
    unsafe = [m for m in migrations if m.unsafe]
    if unsafe and not trusted:
        names = "; ".join(f"`{m.shown}`" for m in unsafe)
        noun = "task" if all(m.stage == "task" for m in unsafe) else "migration"
        raise InputError(
            f"{doing} {len(unsafe)} {noun}{'s' if len(unsafe) > 1 else ''} of the "
            f"template ({names}), which run code on this machine; re-run with --trust if you "
            "trust it (or add it to the `trust` list of copier's settings.yml)"
        )


def run(migrations: Sequence[Migration], stage: str, project: Path) -> None:
    """Run the `stage` migrations in order in `project`; the first failure is an error naming
    the command and its last line of output (exit 1)."""
    for m in migrations:
        if m.stage != stage:
            continue
        if m.hook is not None:
            lifecycle.run(m.hook, "migrate", project=project, **m.hook_args)
            continue
        done = subprocess.run(
            m.cmd,
            shell=isinstance(m.cmd, str),
            cwd=(project / m.cwd).absolute(),
            env={**os.environ, **m.env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            check=False,
        )
        if done.returncode:
            lines = [ln.strip() for ln in done.stdout.splitlines() if ln.strip()]
            last = lines[-1] if lines else "no output"
            what = "task" if m.stage == "task" else "migration"
            raise DlgenError(f"{what} `{m.shown}` failed: exit {done.returncode}: {last}")
