"""Template + answers -> directory. copier and Jinja stay behind this one function."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import Any

from dlgen import __version__, cookiecutter_render, sources
from dlgen.errors import DlgenError, InputError, TemplateError
from dlgen.sources import Source
from dlgen.template import Template

# copier's messages for a rejected answer: "Validation error for question 'x'", "Invalid choice
# for 'x'", "Invalid answer for 'x'"; it has no exception class of its own for them.
_ANSWER_ERROR = re.compile(r"(question|choice|answer|value|error) for (question )?'")
_REQUIRED = re.compile(r'^Question "([^"]+)" is required')  # copier, with --defaults
_BOOL_WORDS = {"true", "false", "yes", "no", "y", "n", "on", "off", "1", "0"}


@dataclass(frozen=True)
class Rendered:
    """What a render produced besides its files."""

    answers: dict[str, Any]  # every question's final answer, as copier would remember it
    meta: dict[str, Any]  # the template's `_dlgen` block
    defaulted: tuple[str, ...] = ()  # questions answered by their default, not by `data`
    skip_if_exists: tuple[str, ...] = ()  # rendered files copier's `_skip_if_exists` matches
    flavour: str | None = None  # the flavour used, when the template has both
    context: dict[str, Any] | None = None  # every question's value, hidden and secret ones too
    # (what copier renders tasks and migrations with; never recorded)


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
        return InputError(
            f"the template uses {_features(e)}, which run code on this machine; re-run with "
            "--trust if you trust it (or add it to the `trust` list of copier's settings.yml)"
        )
    if isinstance(e, cerr.ExtensionNotFoundError) or (
        isinstance(e, cerr.CopierError) and _missing_module(e)
    ):
        return TemplateError(_missing_extension(e))
    if isinstance(e, cerr.ForbiddenPathError):
        return TemplateError(f"template writes outside the project: {e}")
    if isinstance(e, UnicodeDecodeError):
        return TemplateError(f"template has a file that is not UTF-8: {e}")
    if isinstance(e, cerr.InteractiveSessionError):
        return InputError("questions need a terminal; pass --defaults and --data KEY=VALUE")
    required = _REQUIRED.search(str(e)) if isinstance(e, ValueError) else None
    if required:
        name = required.group(1)
        return InputError(f"question {name!r} has no default; answer it with --data {name}=VALUE")
    if isinstance(e, (cerr.InvalidTypeError, ValueError)) and _ANSWER_ERROR.search(str(e)):
        return InputError(str(e).splitlines()[0])
    if isinstance(e, (cerr.CopierError, jinja2.TemplateError, ValueError, OSError)):
        return TemplateError(f"template error: {str(e).splitlines()[0] if str(e) else type(e)}")
    return e


def _features(e: Exception) -> str:
    """The unsafe features copier names ("... unsafe features: jinja_extensions, tasks.")."""
    first = str(e).splitlines()[0] if str(e) else ""
    _, _, names = first.partition(":")
    return names.strip().rstrip(".") or "unsafe features"


def _missing_module(e: Exception) -> str | None:
    """The module whose absence caused `e` (copier's loader or copier-template-extensions')."""
    for cause in (e.__cause__, e.__context__):
        if isinstance(cause, ModuleNotFoundError) and cause.name:
            return cause.name
    return None


def _missing_extension(e: Exception) -> str:
    """copier's multi-line "could not load some Jinja extensions" as one line that names the
    module and the package to install beside dlgen."""
    module = _missing_module(e)
    if module is None:
        found = re.search(r"No module named '([^']+)'", str(e))
        module = found.group(1) if found else None
    if module is None:
        detail = "; ".join(ln.strip() for ln in str(e).splitlines()[:2] if ln.strip())
        return f"template error: {detail}"
    package = module.split(".")[0].replace("_", "-")
    return (
        f"the template needs the Jinja extension module {module!r}, which is not installed; "
        f"install it beside dlgen (`pip install {package}` in dlgen's environment)"
    )


def trusted_by_settings(origin: str) -> bool:
    """Whether copier's user settings (settings.yml's `trust` list) trust `origin`.

    copier finds the file itself: $COPIER_SETTINGS_PATH, else the platform's config directory
    (~/.config/copier/settings.yml on Linux). An entry ending in '/' is a prefix; '~' expands.
    """
    import copier
    from copier import errors as cerr

    if not origin:
        return False
    try:
        trust = copier.load_settings().trust
    except cerr.CopierError as e:
        raise InputError(f"copier settings: {str(e).splitlines()[0]}") from e
    target = _normalize(origin)
    for entry in trust:
        prefix = _normalize(entry)
        if entry.endswith("/") and (target + "/").startswith(prefix.rstrip("/") + "/"):
            return True
        if target == prefix.rstrip("/"):
            return True
    return False


def _normalize(location: str) -> str:
    if "://" in location or sources.is_url(location):
        return location
    return str(Path(location).expanduser().resolve())


def _check_settable(data: Mapping[str, Any], computed: tuple[str, ...]) -> None:
    """A computed variable (`when: false`) is the template's to derive, never an answer."""
    for key in data:
        if key in computed:
            raise InputError(
                f"{key!r} is computed by the template (`when: false`); it cannot be set with --data"
            )


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
    flavour: str | None = None,
    user_defaults: Mapping[str, Any] | None = None,
    skip_tasks: bool = False,
    context: Mapping[str, Any] | None = None,
) -> Rendered:
    """Render `source` (copier or cookiecutter) with `data` into `dst` (absent, or holding .git).

    Answers are passed as data, never rendered as Jinja. copier's own answers file is removed:
    `.dlgen.yml` is the project's record. Bundled templates are never run with tasks. `trust`
    (or copier's own `trust` setting matching the template's origin) allows an external
    template's tasks, Jinja extensions and cookiecutter hooks. `flavour` picks copier or
    cookiecutter for a template that has both (default: copier). `user_defaults` replace
    copier's defaults (shown at the prompt, recorded as answers); `skip_tasks` skips every copier
    task and cookiecutter hook (--pretend). `context` adds variables that are no answers (the
    last answers of questions a template no longer asks, as copier keeps them).
    """
    tpl = Template.load(source.path, flavour)
    chosen = tpl.flavour if len(tpl.flavours) > 1 else None
    if tpl.flavour == "cookiecutter":
        if not trust and cookiecutter_render.has_hooks(source.path):
            trust = trusted_by_settings(source.origin)
        lint_source(source.path, suffix=None)  # binaryornot decides per file what it renders
        found = cookiecutter_render.render(
            source.path, dst, data, defaults=defaults, trust=trust, hooks=not skip_tasks
        )
        _check_output(dst)
        return Rendered(found, {}, tuple(k for k in found if k not in data), flavour=chosen)
    from copier import errors as copier_errors

    _check_settable(data, tpl.computed)
    lint_source(source.path)
    copy = partial(
        _run_copy,
        source,
        dst,
        {**(context or {}), **data},
        defaults=defaults,
        user_defaults=user_defaults,
        skip_tasks=skip_tasks,
    )
    try:
        try:
            worker = copy(unsafe=trust)
        except copier_errors.UnsafeTemplateError:
            # copier checks before it writes anything; its own settings cannot match the
            # template's origin (it sees a temporary export), so dlgen matches and retries
            if source.bundled or trust or not trusted_by_settings(source.origin):
                raise
            worker = copy(unsafe=True)
        questions = worker.template.questions_data
        _check_data(data, questions)
        _check_output(dst)
        skip = worker.all_skip_if_exists
        skipped = tuple(_rendered_files(dst, worker.match_skip)) if skip else ()
    except (KeyboardInterrupt, SystemExit, DlgenError):
        raise
    except Exception as e:
        raise _translate(e, source.path) from e
    (dst / worker.answers_relpath).unlink(missing_ok=True)
    combined = worker.answers.combined
    hidden = worker.answers.hidden | set(worker.template.secret_questions)
    answers = {k: combined[k] for k in questions if k in combined and k not in hidden}
    defaulted = tuple(k for k in answers if k not in data and k in worker.answers.user)
    raw = worker.template.config_data.get("dlgen")
    meta = dict(raw) if isinstance(raw, dict) else {}
    context = {k: combined[k] for k in questions if k in combined}
    return Rendered(answers, meta, defaulted, skipped, chosen, context)


def _run_copy(
    source: Source,
    dst: Path,
    data: Mapping[str, Any],
    *,
    defaults: bool,
    unsafe: bool,
    user_defaults: Mapping[str, Any] | None = None,
    skip_tasks: bool = False,
) -> Any:
    """copier's run_copy as dlgen calls it: quiet, no user settings, bundled tasks skipped
    (all tasks with `skip_tasks`: --pretend); `user_defaults` replace the template's defaults."""
    import copier

    with _index_sync_off():
        return copier.run_copy(
            str(source.path),
            dst,
            # `_dlgen_version`: the dlgen rendering, so a template can pin the dlgen its projects
            # install (dl-project's `dlgen_requirement` default); never recorded as an answer.
            data={"_dlgen_version": __version__, **data},
            defaults=defaults,
            quiet=True,
            unsafe=unsafe and not source.bundled,
            skip_tasks=source.bundled or skip_tasks,
            user_defaults=dict(user_defaults or {}),
            settings=copier.Settings(),
            # bytecode a byte-compiled install left beside the template's sources (pip compiles
            # the bundled template): copier drops it only for templates without a _subdirectory
            exclude=["__pycache__", "*.py[co]"],
            cleanup_on_error=True,
        )


@contextmanager
def _index_sync_off() -> Iterator[None]:
    """copier (9.19+) asks git for `core.fileMode` once per rendered file, to re-stage an index
    entry whose executable bit changed; dlgen renders into a new directory whose index (if any)
    is empty, so every one of those git processes (44 for a 42-file template, a third of an
    update's git calls) is a no-op: switched off for the render, whatever copier version."""
    from copier._main import Worker

    name = "_sync_git_index_executable_bit"
    original = vars(Worker).get(name)
    if original is None:
        yield
        return
    setattr(Worker, name, _no_index_sync)
    try:
        yield
    finally:
        setattr(Worker, name, original)


def _no_index_sync(*_args: object) -> None:
    """In place of copier's index update during dlgen's renders: nothing to update."""


def _rendered_files(dst: Path, match: Any) -> list[str]:
    """The rendered files (posix paths) that `match` (copier's skip_if_exists matcher) selects."""
    found = []
    for dirpath, dirnames, filenames in os.walk(dst):
        dirnames[:] = [d for d in dirnames if not (d == ".git" and Path(dirpath) == dst)]
        for name in filenames:
            rel = Path(dirpath, name).relative_to(dst).as_posix()
            if match(Path(rel)):
                found.append(rel)
    return sorted(found)
