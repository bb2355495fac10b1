"""Template + answers -> directory. copier and Jinja stay behind this one function."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from dlgen import __version__, cookiecutter_render
from dlgen.errors import InputError, TemplateError
from dlgen.templates import Source

# copier's messages for a rejected answer: "Validation error for question 'x'", "Invalid choice
# for 'x'", "Invalid answer for 'x'"; it has no exception class of its own for them.
_ANSWER_ERROR = re.compile(r"(question|choice|answer|value|error) for (question )?'")
_BOOL_WORDS = {"true", "false", "yes", "no", "y", "n", "on", "off", "1", "0"}


@dataclass(frozen=True)
class Rendered:
    """What a render produced besides its files."""

    answers: dict[str, Any]  # every question's final answer, as copier would remember it
    meta: dict[str, Any]  # the template's `_dlgen` block


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def lint_source(root: Path, suffix: str | None = ".jinja") -> None:
    """Refuse symlinks leaving the template and Jinja files that are not UTF-8 (FAULTS 12, 16)."""
    real_root = root.resolve()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in (*dirnames, *filenames):
            path = Path(dirpath, name)
            if path.is_symlink() and not _inside(path.resolve(), real_root):
                raise TemplateError(
                    f"template symlink {path.relative_to(root)} points outside the template"
                )
            if suffix is not None and name.endswith(suffix) and path.is_file():
                try:
                    path.read_bytes().decode("utf-8")
                except UnicodeDecodeError as e:
                    raise TemplateError(
                        f"template file {path.relative_to(root)} is not UTF-8 (byte {e.start})"
                    ) from e


def _check_output(dst: Path) -> None:
    """Every rendered path must stay inside `dst`, links included (FAULTS 11)."""
    real = dst.resolve()
    for dirpath, dirnames, filenames in os.walk(dst):
        dirnames[:] = [d for d in dirnames if not (d == ".git" and Path(dirpath) == dst)]
        for name in (*dirnames, *filenames):
            path = Path(dirpath, name)
            if path.is_symlink() and not _inside(path.resolve(), real):
                raise TemplateError(
                    f"rendered path {path.relative_to(dst)} links outside the project"
                )


def _template_file(tb: TracebackType | None, root: Path) -> str | None:
    """The template file a Jinja error came from (Jinja rewrites frames to template names)."""
    found = None
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if name.startswith(str(root)):
            found = f"{os.path.relpath(name, root)}:{tb.tb_lineno}"
        tb = tb.tb_next
    return found


def _translate(e: Exception, root: Path) -> Exception:  # noqa: PLR0911 (a lookup table)
    """Map copier/Jinja exceptions to dlgen's one-line errors."""
    import jinja2
    from copier import errors as cerr

    if isinstance(e, jinja2.TemplateSyntaxError):
        where = os.path.relpath(e.filename, root) if e.filename else (e.name or "template")
        return TemplateError(f"{where}:{e.lineno}: Jinja syntax error: {e.message}")
    if isinstance(e, jinja2.UndefinedError):
        where = _template_file(e.__traceback__, root) or "template"
        return TemplateError(f"{where}: undefined variable: {e.message}")
    if isinstance(e, cerr.UnsafeTemplateError):
        return InputError(f"{e} Re-run with --trust if you trust this template.")
    if isinstance(e, cerr.ForbiddenPathError):
        return TemplateError(f"template writes outside the project: {e}")
    if isinstance(e, UnicodeDecodeError):
        return TemplateError(f"template has a file that is not UTF-8: {e}")
    if isinstance(e, cerr.InteractiveSessionError):
        return InputError("questions need a terminal; pass --defaults and --data KEY=VALUE")
    if isinstance(e, (cerr.InvalidTypeError, ValueError)) and _ANSWER_ERROR.search(str(e)):
        return InputError(str(e).splitlines()[0])
    if isinstance(e, (cerr.CopierError, jinja2.TemplateError, ValueError, OSError)):
        return TemplateError(f"template error: {str(e).splitlines()[0] if str(e) else type(e)}")
    return e


def _check_data(data: Mapping[str, Any], questions: Mapping[str, Any]) -> None:
    for key, value in data.items():
        if key not in questions:
            raise InputError(
                f"unknown question {key!r}; the template asks: {', '.join(sorted(questions))}"
            )
        if (
            questions[key].get("type") == "bool"
            and isinstance(value, str)
            and value.lower() not in _BOOL_WORDS
        ):
            raise InputError(f"answer {key}={value!r} is not a yes/no value")


def render(
    source: Source,
    dst: Path,
    data: Mapping[str, Any],
    *,
    defaults: bool = True,
    trust: bool = False,
) -> Rendered:
    """Render `source` (copier or cookiecutter) with `data` into `dst` (absent, or holding .git).

    Answers are passed as data, never rendered as Jinja. copier's own answers file is removed:
    `.dlgen.yml` is the project's record. Bundled templates are never run with tasks.
    """
    if cookiecutter_render.is_cookiecutter(source.path):
        lint_source(source.path, suffix=None)  # binaryornot decides per file what it renders
        found = cookiecutter_render.render(source.path, dst, data, defaults=defaults, trust=trust)
        _check_output(dst)
        return Rendered(found, {})
    import copier

    lint_source(source.path)
    try:
        worker = copier.run_copy(
            str(source.path),
            dst,
            # `_dlgen_version`: the dlgen rendering, so a template can pin the dlgen its projects
            # install (dl-project's `dlgen_requirement` default); never recorded as an answer.
            data={"_dlgen_version": __version__, **data},
            defaults=defaults,
            quiet=True,
            unsafe=trust and not source.bundled,
            skip_tasks=source.bundled,
            settings=copier.Settings(),
            cleanup_on_error=True,
        )
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as e:
        raise _translate(e, source.path) from e
    questions = worker.template.questions_data
    _check_data(data, questions)
    _check_output(dst)
    (dst / worker.answers_relpath).unlink(missing_ok=True)
    combined = worker.answers.combined
    answers = {
        k: combined[k]
        for k in questions
        if k in combined
        and k not in worker.answers.hidden
        and k not in worker.template.secret_questions
    }
    meta = worker.template.config_data.get("dlgen")
    return Rendered(answers, dict(meta) if isinstance(meta, dict) else {})
