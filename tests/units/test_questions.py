"""A template's questions read from copier.yml and cookiecutter.json (template.py), and which
would be left unanswered (questions.py), on real template files."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlgen import questions
from dlgen.errors import InputError
from dlgen.sources import bundled_root
from dlgen.template import Question, Template
from tests.helpers import build_file_tree

COPIER = """\
_subdirectory: template
_dlgen:
  version: 1.0.0
plain: a default given as a bare value
listed:
  type: str
  choices: [a, b]
labelled:
  type: str
  help: With labels
  choices:
    First option: one
    Second option: two
pairs:
  type: str
  choices: [[First, x], [Second, y]]
needs_listed_b:
  type: str
  when: "{{ listed == 'b' }}"
templated:
  type: str
  default: "{{ plain | upper }}"
"""


def read(tmp_path: Path, files: dict[str, str | bytes]) -> tuple[Question, ...]:
    build_file_tree(tmp_path, files)
    return Template.load(tmp_path).questions


def test_copier_questions_in_order_with_choices_in_each_form(tmp_path: Path) -> None:
    qs = {q.name: q for q in read(tmp_path, {"copier.yml": COPIER})}
    assert list(qs) == ["plain", "listed", "labelled", "pairs", "needs_listed_b", "templated"]
    assert qs["plain"].default == "a default given as a bare value"
    assert qs["listed"].values == ("a", "b")
    assert qs["labelled"].values == ("one", "two")
    assert qs["labelled"].describe() == "labelled: With labels [choices: one, two]"
    assert qs["pairs"].values == ("x", "y")


def test_unanswered_follows_when_and_templated_defaults(tmp_path: Path) -> None:
    qs = read(tmp_path, {"copier.yml": COPIER})
    left = {q.name: has for q, has in questions.unanswered(qs, {})}
    assert left == {
        "plain": True,
        "listed": False,
        "labelled": False,
        "pairs": False,
        "templated": True,
    }
    answered = {"listed": "b", "labelled": "one", "pairs": "x"}
    left = {q.name: has for q, has in questions.unanswered(qs, answered)}
    assert left == {"plain": True, "needs_listed_b": False, "templated": True}
    everything = {**answered, "plain": "p", "needs_listed_b": "n", "templated": "t"}
    assert questions.unanswered(qs, everything) == []


def test_user_defaults_count_as_defaults(tmp_path: Path) -> None:
    qs = read(tmp_path, {"copier.yml": COPIER})
    left = {q.name: has for q, has in questions.unanswered(qs, {}, {"listed": "a"})}
    assert left["listed"] is True


def test_cookiecutter_variables_all_have_defaults(tmp_path: Path) -> None:
    qs = read(
        tmp_path, {"cookiecutter.json": '{"name": "x", "kind": ["lib", "app"], "_private": 1}'}
    )
    assert [(q.name, q.values) for q in qs] == [("name", ()), ("kind", ("lib", "app"))]
    assert all(has for _, has in questions.unanswered(qs, {}))


def test_bundled_template_needs_no_answer_with_defaults() -> None:
    qs = Template.load(bundled_root() / "templates/dl-project").questions
    assert questions.unanswered(qs, {"project_name": "p"}) != []
    assert all(has for _, has in questions.unanswered(qs, {"project_name": "p"}))
    assert "dvc_remote_url" not in {q.name for q, _ in questions.unanswered(qs, {})}
    asked = {q.name for q, _ in questions.unanswered(qs, {"dvc_remote": "s3"})}
    assert "dvc_remote_url" in asked and "pip_extras" not in asked


def test_broken_copier_yml_is_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"copier\.yml is not valid YAML"):
        read(tmp_path, {"copier.yml": "a: [\n"})
