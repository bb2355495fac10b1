"""Render a cookiecutter template into a directory (the cookiecutter half of render.render)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dlgen.errors import InputError, TemplateError

_JINJA_MARKS = ("{{", "{%", "{#")


def is_cookiecutter(template_dir: Path) -> bool:
    """A cookiecutter template has cookiecutter.json and no copier.yml."""
    return (template_dir / "cookiecutter.json").is_file() and not any(
        (template_dir / n).is_file() for n in ("copier.yml", "copier.yaml")
    )


def _literal(key: str, value: Any) -> Any:
    """Cookiecutter renders extra context as Jinja (FAULTS P11): wrap answers so they stay text."""
    if not isinstance(value, str) or not any(m in value for m in _JINJA_MARKS):
        return value
    if "endraw" in value:
        raise InputError(f"answer {key}={value!r} cannot be passed to a cookiecutter template")
    return "{% raw %}" + value + "{% endraw %}"


def _has_hooks(template_dir: Path) -> bool:
    hooks = template_dir / "hooks"
    return hooks.is_dir() and any(p.is_file() for p in hooks.iterdir())


def render(
    template_dir: Path, dst: Path, data: Mapping[str, Any], *, defaults: bool, trust: bool
) -> dict[str, Any]:
    """Render into `dst` (which may exist, e.g. holding .git); return the answers."""
    from cookiecutter import exceptions as cc_errors
    from cookiecutter.generate import generate_context, generate_files
    from cookiecutter.prompt import prompt_for_config

    if _has_hooks(template_dir) and not trust:
        raise InputError(
            "this cookiecutter template has hooks; re-run with --trust if you trust it"
        )
    context = generate_context(str(template_dir / "cookiecutter.json"))
    unknown = sorted(set(data) - set(context["cookiecutter"]))
    if unknown:
        raise InputError(
            f"unknown question {unknown[0]!r}; the template asks: "
            f"{', '.join(k for k in context['cookiecutter'] if not k.startswith('_'))}"
        )
    context = generate_context(
        str(template_dir / "cookiecutter.json"),
        extra_context={k: _literal(k, v) for k, v in data.items()},
    )
    try:
        context["cookiecutter"] = prompt_for_config(context, no_input=defaults)
        with tempfile.TemporaryDirectory(dir=dst.parent, prefix=".dlgen-cc-") as tmp:
            out = Path(
                generate_files(
                    repo_dir=template_dir, context=context, output_dir=tmp, accept_hooks=trust
                )
            )
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


def _move_children(src: Path, dst: Path) -> None:
    dst.mkdir(exist_ok=True)
    for child in src.iterdir():
        shutil.move(str(child), dst / child.name)
