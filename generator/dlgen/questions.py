"""Which of a template's questions (`template.Question`) would be left without an answer.

`dlgen new` asks this before anything renders, so that one error names them all (copier stops
at the first), and to know whether a terminal is needed.
`when:` conditions and templated defaults are evaluated with Jinja and copier's default filters,
in question order, as copier does; an expression that cannot be evaluated here counts as
"asked" and "has a default", so that copier, which renders next, has the last word.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from dlgen.errors import InputError
from dlgen.template import Question


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
_FALSE = {"", "0", "n", "no", "f", "false", "off", "~", "null", "none"}
_TRUE = {"y", "yes", "t", "true", "on", "1"}


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in _FALSE
    return bool(value)


def _cast(question: Question, value: Any) -> Any:
    """A --data string as copier would parse it for the question's type."""
    if not isinstance(value, str):
        return value
    if question.type == "bool":
        return value.strip().lower() in _TRUE
    for kind, cast in (("int", int), ("float", float)):
        if question.type == kind:
            try:
                return cast(value)
            except ValueError:
                return value
    return value


class _Renderer:
    """Renders `when:` and defaults in copier's sandbox with its default filters."""

    def __init__(self) -> None:
        from jinja2.sandbox import SandboxedEnvironment

        self.env = SandboxedEnvironment(
            extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"]
        )

    def render(self, value: Any, context: Mapping[str, Any]) -> Any:
        """`value` rendered when it is a Jinja string; raises on anything Jinja cannot do."""
        if isinstance(value, str) and ("{{" in value or "{%" in value):
            return self.env.from_string(value).render(**context)
        return value


def unanswered(
    questions: tuple[Question, ...],
    answers: Mapping[str, Any],
    user_defaults: Mapping[str, Any] | None = None,
) -> list[tuple[Question, bool]]:
    """The questions copier would ask, given `answers`: (question, whether it has a default).

    A question whose `when` is false is not asked; its default (if any) feeds later questions.
    """
    renderer = _Renderer()
    defaults = dict(user_defaults or {})
    context: dict[str, Any] = {}
    left = []
    for q in questions:
        try:
            asked = _truthy(renderer.render(q.when, context))
        except Exception:  # Jinja's errors have no common base; copier decides
            asked = True
        if q.name in answers:
            context[q.name] = _cast(q, answers[q.name])
            continue
        default = defaults.get(q.name, MISSING if q.required else q.default)
        try:
            value = renderer.render(default, context)
        except Exception:
            value = default  # unknown here: treat as a default, copier renders it next
        if value is not MISSING:
            context[q.name] = _cast(q, value)
        if asked:
            left.append((q, value is not MISSING))
    return left


def ask_or_default(
    questions: tuple[Question, ...],
    data: Mapping[str, Any],
    user_defaults: Mapping[str, Any],
    *,
    defaults: bool,
) -> bool:
    """Whether to render with defaults; refuse, naming every question, what cannot be answered.

    With --defaults, every asked question needs an answer or a default. Without it, copier asks
    the unanswered questions on the terminal; with no terminal, answers must cover them all.
    """
    left = unanswered(questions, data, user_defaults)
    if defaults:
        missing = [q for q, has_default in left if not has_default]
        if missing:
            raise InputError(_listing(missing, "no answer and no default"))
        return True
    if not left:
        return True  # everything answered: no terminal needed
    if not sys.stdin.isatty():
        raise InputError(
            _listing([q for q, _ in left], "no answer, and there is no terminal to ask")
            + ", or pass --defaults to take the defaults of those that have one"
        )
    return False


def _listing(qs: list[Question], why: str) -> str:
    """Every question, its help and choices, and the --data that answers them."""
    names = ", ".join(repr(q.name) for q in qs)
    head = f"{len(qs)} question{'s' * (len(qs) > 1)} {'have' if len(qs) > 1 else 'has'} {why}"
    body = "".join(f"\n  {q.describe()}" for q in qs)
    fix = " ".join(f"--data {q.name}=..." for q in qs)
    return f"{head}: {names}{body}\nanswer with {fix} (or --data-file)"
