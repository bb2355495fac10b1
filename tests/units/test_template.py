"""template.py: copier.yml is read as copier reads it (every YAML document merged), once, for
every flow; the version `dlgen check` reads without PyYAML equals the parsed one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from dlgen.sources import bundled_root
from dlgen.template import Template, _fast_version
from tests.helpers import TemplateRepo, build_file_tree, commit_all, git, invoke

# Two documents, as copier allows: the second adds questions, a computed value, and the `_dlgen`
# block (copier merges documents; a key of a later one wins).
TWO_DOCUMENTS = """\
project_name:
  type: str
_skip_if_exists: [NOTES.md]
_dlgen:
  description: overridden below
---
colour:
  type: str
  default: blue
  choices: [blue, red]
slug:
  type: str
  default: "{{ project_name }}-{{ colour }}"
  when: false
_skip_if_exists: [LOCAL.md]
_secret_questions: [colour]
_dlgen:
  description: two documents
  enforced: [Makefile]
"""
FILES = {
    "copier.yml": TWO_DOCUMENTS,
    "README.md.jinja": "# {{ project_name }} in {{ colour }} ({{ slug }})\n",
    "Makefile": "test:\n\tpytest\n",
    "src/model.py": "LAYERS = 2\n",
}


def test_every_document_is_merged_as_copier_merges_them(tmp_path: Path) -> None:
    build_file_tree(tmp_path, {"copier.yml": TWO_DOCUMENTS})
    tpl = Template.load(tmp_path)
    assert tpl.names == ("project_name", "colour", "slug")
    assert tpl.computed == ("slug",)
    assert tpl.description == "two documents"
    assert tpl.dlgen == {"description": "two documents", "enforced": ["Makefile"]}
    assert tpl.policy("here").enforced == ("Makefile",)
    assert [q.secret for q in tpl.questions] == [False, True, False]
    assert [q.required for q in tpl.questions] == [True, False, False]


def test_templates_lists_a_two_document_template(tmp_path: Path) -> None:
    build_file_tree(tmp_path / "tpl", FILES)
    result = invoke("templates", str(tmp_path / "tpl"))
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == "tpl 0: two documents"
    assert "colour (str, secret)" in lines and "enforced: Makefile" in lines


@pytest.fixture
def tpl(template_factory: Callable[..., TemplateRepo]) -> TemplateRepo:
    t = template_factory(FILES, name="tpl")
    t.release("v1")
    return t


def test_new_update_adopt_work_on_a_two_document_copier_yml(
    tpl: TemplateRepo, tmp_path: Path
) -> None:
    proj = tmp_path / "proj"
    result = invoke("new", str(proj), "--template", str(tpl.root), "--defaults", "--no-hooks")
    assert result.code == 0, result.err
    assert result.out.splitlines()[0] == f"Created {proj} from {tpl.root} v1. Next:"
    assert (proj / "README.md").read_text() == "# proj in blue (proj-blue)\n"
    record = yaml.safe_load((proj / ".dlgen.yml").read_text())
    assert record["answers"] == {"project_name": "proj"}  # colour is secret, slug computed
    assert record["policy"]["enforced"] == ["Makefile"]

    refused = invoke(
        "new", str(tmp_path / "p2"), "--template", str(tpl.root), "--defaults", "--data", "slug=x"
    )
    assert refused.code == 2
    assert refused.err.strip().endswith(
        "'slug' is computed by the template (`when: false`); it cannot be set with --data"
    )

    tpl.write({"copier.yml": TWO_DOCUMENTS + "---\nlicense:\n  type: str\n  default: MIT\n"})
    tpl.write({"LICENSE.jinja": "{{ license }}\n"})
    tpl.release("v2")
    result = invoke("update", str(proj), "--defaults")
    assert result.code == 0, result.out + result.err
    record = yaml.safe_load((proj / ".dlgen.yml").read_text())
    assert record["template_version"] == "v2"
    assert record["answers"] == {"project_name": "proj", "license": "MIT"}
    assert (proj / "LICENSE").read_text() == "MIT\n"

    handmade = tmp_path / "handmade"
    build_file_tree(handmade, {"README.md": "# mine\n", "Makefile": "test:\n\tpytest\n"})
    git("init", "-q", cwd=handmade)
    commit_all(handmade, "hand made")
    result = invoke("adopt", str(handmade), "--template", f"{tpl.root}@v1")
    assert result.code == 0, result.err
    record = yaml.safe_load((handmade / ".dlgen.yml").read_text())
    assert record["template_version"] == "v1" and record["answers"] == {"project_name": "handmade"}
    assert git("status", "--porcelain", cwd=handmade) == ""


@pytest.mark.parametrize(
    ("text", "fast"),
    [
        ("_dlgen:\n  version: 1.2.3\n", "1.2.3"),
        ("_dlgen:\n  version: '1.2.3rc1'  # note\n  description: x\n", "1.2.3rc1"),
        ("_dlgen:\n  version: 1.10\n", None),  # a float to YAML: 1.1
        ("_dlgen:\n  version: 1.2.3\n  version: 2.0.0\n", None),  # the second wins
        ("_dlgen:\n  version: 1.2.3\n---\n_dlgen:\n  version: 2.0.0\n", None),  # documents
        ("_dlgen:\n  version: 1.2.3\n_dlgen :\n  version: 2.0.0\n", None),
        ('_dlgen:\n  version: 1.2.3\n"_dlgen":\n  version: 2.0.0\n', None),
        ("_dlgen:\n  version: 1.2.3\n    continued\n", None),  # one plain scalar "1.2.3 continued"
        ("_dlgen:\n  version: 1.2.3#x\n", None),  # not a comment: part of the value
        ("_dlgen:\n  description: x\n  version: 1.2.3\n", None),  # not dlgen's own layout
    ],
)
def test_version_without_pyyaml_is_the_parsed_one_or_none(
    tmp_path: Path, text: str, fast: str | None
) -> None:
    assert _fast_version(text) == fast
    build_file_tree(tmp_path, {"copier.yml": text})
    parsed = Template.load(tmp_path).version
    assert Template.version_of(tmp_path) == parsed
    if fast is not None:
        assert parsed == fast


def test_bundled_version_is_read_without_pyyaml() -> None:
    path = bundled_root() / "templates/dl-project"
    version = _fast_version((path / "copier.yml").read_text())
    assert version is not None and version == Template.load(path).version


def test_broken_cookiecutter_json_is_invalid_input(tmp_path: Path) -> None:
    build_file_tree(tmp_path / "cc", {"cookiecutter.json": "{"})
    result = invoke("templates", str(tmp_path / "cc"))
    assert result.code == 2 and "cookiecutter.json is not valid JSON" in result.err
