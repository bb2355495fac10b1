"""Render a cookiecutter template into a directory (the cookiecutter half of render.render)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dlgen.errors import InputError, TemplateError, UnsafeStateError
from dlgen.template import Template

_JINJA_MARKS = ("{{", "{%", "{#")
# the words cookiecutter takes for yes/no
_YES_NO = {"1", "true", "t", "yes", "y", "on", "0", "false", "f", "no", "n", "off"}


def _literal(key: str, value: Any) -> Any:
    """Cookiecutter renders extra context as Jinja (FAULTS P11): wrap answers so they stay text."""
    if not isinstance(value, str) or not any(m in value for m in _JINJA_MARKS):
        return value
    if "endraw" in value:
        raise InputError(f"answer {key}={value!r} cannot be passed to a cookiecutter template")
    return "{% raw %}" + value + "{% endraw %}"


def _check_choices(data: Mapping[str, Any], defaults: Mapping[str, Any]) -> None:
    """A choice answer must be one of the choices; a yes/no answer a yes/no word (exit 2)."""
    for key, value in data.items():
        default = defaults.get(key)
        if isinstance(default, list) and not isinstance(value, list):
            if str(value) not in [str(c) for c in default]:
                raise InputError(
                    f"answer {key}={value!r} is not one of the choices for {key}: "
                    f"{', '.join(str(c) for c in default)}"
                )
        elif isinstance(default, list) and not set(map(str, value)) <= set(map(str, default)):
            raise InputError(
                f"answer {key}={value!r}: every item must be one of the choices for {key}: "
                f"{', '.join(str(c) for c in default)}"
            )
        elif (
            isinstance(default, bool)
            and isinstance(value, str)
            and value.strip().lower() not in _YES_NO
        ):
            raise InputError(f"answer {key}={value!r} is not a yes/no value")


def _quiet_logger() -> None:
    """cookiecutter logs a failing hook's traceback; dlgen's one error line says it (--debug
    shows the traceback)."""
    import logging

    log = logging.getLogger("cookiecutter")
    if not any(isinstance(h, logging.NullHandler) for h in log.handlers):
        log.addHandler(logging.NullHandler())
    log.propagate = False


def has_hooks(template_dir: Path) -> bool:
    hooks = template_dir / "hooks"
    return hooks.is_dir() and any(p.is_file() for p in hooks.iterdir())


def render(
    template_dir: Path,
    dst: Path,
    data: Mapping[str, Any],
    *,
    defaults: bool,
    trust: bool,
    hooks: bool = True,
) -> dict[str, Any]:
    """Render into `dst` (which may exist, e.g. holding .git); return the answers.

    `hooks=False` (--pretend) runs none of the template's hooks, so it needs no trust.
    """
    from cookiecutter import exceptions as cc_errors
    from cookiecutter.generate import generate_context, generate_files
    from cookiecutter.prompt import prompt_for_config

    if hooks and has_hooks(template_dir) and not trust:
        raise InputError(
            "this cookiecutter template has hooks; re-run with --trust if you trust it"
        )
    context = generate_context(str(template_dir / "cookiecutter.json"))
    private = sorted(k for k in data if k.startswith("_"))
    if private:
        raise InputError(f"{private[0]!r} is private to the template; it cannot be set with --data")
    unknown = sorted(set(data) - set(context["cookiecutter"]))
    if unknown:
        raise InputError(
            f"unknown question {unknown[0]!r}; the template asks: "
            f"{', '.join(k for k in context['cookiecutter'] if not k.startswith('_'))}"
        )
    _check_choices(data, context["cookiecutter"])
    try:
        context = generate_context(
            str(template_dir / "cookiecutter.json"),
            extra_context={k: _literal(k, v) for k, v in data.items()},
        )
    except ValueError as e:  # cookiecutter's own check of an answer against its question
        raise InputError(str(e).splitlines()[0]) from e
    _quiet_logger()
    try:
        context["cookiecutter"] = prompt_for_config(context, no_input=defaults)
        with tempfile.TemporaryDirectory(dir=dst.parent, prefix=".dlgen-cc-") as tmp:
            out = Path(
                generate_files(
                    repo_dir=template_dir,
                    context=context,
                    output_dir=tmp,
                    accept_hooks=trust and hooks,
                )
            )
            _refuse_hook_repository(out, dst)
            _move_children(out, dst)
    except UnicodeDecodeError as e:
        raise TemplateError(f"cookiecutter template has a file that is not UTF-8: {e}") from e
    except cc_errors.CookiecutterException as e:
        detail = getattr(e, "message", None) or str(e) or type(e).__name__
        raise TemplateError(f"cookiecutter template error: {str(detail).splitlines()[0]}") from e
    return {
        k: v
        for k, v in context["cookiecutter"].items()
        if not k.startswith("_") and isinstance(v, (str, int, float, bool, list))
    }


def ask(template_dir: Path, keys: list[str], current: Mapping[str, Any]) -> dict[str, Any]:
    """Ask `keys` at the terminal (a template's new questions on update), with the rendered
    default, the template's `__prompts__` text, and its choices; answered questions stay."""
    import click

    declared = {q.name: q for q in Template.load(template_dir, "cookiecutter").questions}
    out: dict[str, Any] = {}
    for key in keys:
        q, default = declared[key], current.get(key)
        text = q.help or key
        if q.type == "bool":
            out[key] = click.confirm(text, default=bool(default))
        elif q.choices:
            choice = click.Choice(list(q.values))
            out[key] = click.prompt(text, type=choice, default=str(default))
        else:
            out[key] = click.prompt(text, default=str(default))
    return out


def _refuse_hook_repository(out: Path, dst: Path) -> None:
    """A hook that ran `git init` (and committed) must not end up as dst/.git/.git, its commits
    lost: with dlgen's repository in `dst`, refuse; without one (--no-git) keep the hook's."""
    if (out / ".git").exists() and (dst / ".git").exists():
        raise UnsafeStateError(
            "the template's hook created its own git repository, and dlgen makes the project's "
            "repository itself; re-run with --no-git to keep the hook's repository and commits"
        )


def _move_children(src: Path, dst: Path) -> None:
    dst.mkdir(exist_ok=True)
    for child in src.iterdir():
        shutil.move(str(child), dst / child.name)
