"""Third-party copier templates: trust, extensions, tasks, `_skip_if_exists`,
verbatim git export, moved templates, new questions on update, computed variables.

Fixtures are small inline templates shaped like pawamoy/copier-uv (a Jinja extension loaded by
file path through copier-template-extensions, `_skip_if_exists`, the answers file template) and
like scientific-python/cookie (`.gitattributes` with `export-subst` and `export-ignore`).
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.helpers import (
    TemplateRepo,
    adopt_needs_trust,
    commit_all,
    copier_cli,
    git,
    invoke,
    on_terminal,
    own_repo,
    project_files,
    tree_snapshot,
)

EXTENSION = """from jinja2.ext import Extension


def _shout(text):
    return str(text).upper() + "!"


class ShoutExtension(Extension):
    def __init__(self, environment):
        super().__init__(environment)
        environment.filters["shout"] = _shout
"""

TASK = (
    "from pathlib import Path; "
    "Path('TASK.txt').write_text('task {{ version_tag }} for {{ project_name }}\\\\n')"
)

UV_LIKE = {
    "copier.yml": (
        "_subdirectory: project\n"
        "_templates_suffix: .jinja\n"
        "_jinja_extensions:\n"
        "- copier_template_extensions.TemplateExtensionLoader\n"
        "- extensions.py:ShoutExtension\n"
        "_skip_if_exists:\n- CHANGELOG.md\n"
        "_tasks:\n"
        f'- ["{{{{ _copier_python }}}}", "-c", "{TASK}"]\n'
        "project_name:\n  type: str\n  default: demo\n"
        "version_tag:\n  type: str\n  default: one\n  when: false\n"
    ),
    "extensions.py": EXTENSION,
    "project/{{_copier_conf.answers_file}}.jinja": "{{ _copier_answers|to_nice_yaml }}",
    "project/README.md.jinja": "# {{ project_name | shout }}\n\nFirst line.\n",
    "project/CHANGELOG.md.jinja": "# Changelog of {{ project_name }}\n",
    "project/src/app.py": "def main():\n    return 1\n\n\n\n\ndef helper():\n    return 'v1'\n",
}


def release_uv_v2(tpl: TemplateRepo) -> None:
    copier_yml = UV_LIKE["copier.yml"]
    assert isinstance(copier_yml, str)
    tpl.write(
        {
            "copier.yml": copier_yml.replace("default: one", "default: two"),
            "project/README.md.jinja": "# {{ project_name | shout }}\n\nFirst line.\nv2 line.\n",
            "project/CHANGELOG.md.jinja": "# Changelog of {{ project_name }}\n\n## v2\n",
            "project/src/app.py": (
                "def main():\n    return 1\n\n\n\n\ndef helper():\n    return 'v2'\n"
            ),
            "project/NEW.md.jinja": "new in v2 for {{ project_name | shout }}\n",
        }
    )
    tpl.release("v2")


def refs(proj: Path) -> str:
    return git("for-each-ref", "--format=%(refname) %(objectname)", cwd=proj) + git(
        "status", "--porcelain", "--ignored", cwd=proj
    )


@pytest.fixture
def uv_tpl(template_factory: Callable[..., TemplateRepo]) -> TemplateRepo:
    tpl = template_factory(UV_LIKE, name="copier-uv-like")
    tpl.release("v1")
    return tpl


def test_update_with_trust_gives_the_files_copier_update_gives(
    tmp_path: Path, uv_tpl: TemplateRepo
) -> None:
    """Extension + task + `_skip_if_exists`: `dlgen update --trust` == `copier update --trust`."""
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    result = invoke(
        "new",
        str(ours),
        "--template",
        f"{uv_tpl.root}@v1",
        "--defaults",
        "--trust",
        "--no-hooks",
        "--data",
        "project_name=demo",  # dlgen's default is the directory name; copier's is the template's
    )
    assert result.code == 0, result.err
    assert (ours / "README.md").read_text() == "# DEMO!\n\nFirst line.\n"
    assert (ours / "TASK.txt").read_text() == "task one for demo\n"
    copier_cli(
        "copy",
        "--trust",
        "--defaults",
        "--vcs-ref",
        "v1",
        str(uv_tpl.root),
        str(theirs),
        cwd=tmp_path,
    )
    git("init", "-q", cwd=theirs)
    commit_all(theirs, "copier copy")
    assert project_files(ours) == project_files(theirs)
    for proj in (ours, theirs):  # the same user edits on both sides
        app = proj / "src/app.py"
        app.write_text(app.read_text().replace("return 1", "return 42  # mine"))
        (proj / "CHANGELOG.md").write_text("# My changelog\n")
        commit_all(proj, "user edits")
    release_uv_v2(uv_tpl)

    refused = invoke("update", str(ours), "--to", "v2")
    assert refused.code == 2, refused.err
    assert "--trust" in refused.err and "copier copy" not in refused.err
    assert "jinja_extensions" in refused.err and refused.err.count("\n") == 1

    result = invoke("update", str(ours), "--trust", "--to", "v2")
    assert result.code == 0, result.out + result.err
    assert "create-only, not merged" in result.out and "CHANGELOG.md" in result.out
    copier_cli("update", "--trust", "--defaults", "--vcs-ref", "v2", cwd=theirs)
    assert project_files(ours) == project_files(theirs)
    assert (ours / "CHANGELOG.md").read_text() == "# My changelog\n"
    assert (ours / "TASK.txt").read_text() == "task two for demo\n"
    assert "return 42  # mine" in (ours / "src/app.py").read_text()
    assert "return 'v2'" in (ours / "src/app.py").read_text()
    record = yaml.safe_load((ours / ".dlgen.yml").read_text())
    assert record["template_version"] == "v2"
    assert "CHANGELOG.md" in record["policy"]["create_only"]


def test_copier_settings_trust_list_is_honoured(
    tmp_path: Path, uv_tpl: TemplateRepo, isolated_env: Path
) -> None:
    """copier's own settings.yml `trust` prefixes, found where copier finds them."""
    proj = tmp_path / "p"
    refused = invoke("new", str(proj), "--template", str(uv_tpl.root), "--defaults", "--no-hooks")
    assert refused.code == 2 and "--trust" in refused.err and not proj.exists()
    settings = isolated_env / ".config/copier/settings.yml"
    settings.parent.mkdir(parents=True)
    settings.write_text(yaml.safe_dump({"trust": [f"{uv_tpl.root.parent}/"]}))
    result = invoke("new", str(proj), "--template", str(uv_tpl.root), "--defaults", "--no-hooks")
    assert result.code == 0, result.err
    release_uv_v2(uv_tpl)
    result = invoke("update", str(proj))
    assert result.code == 0, result.out + result.err
    assert (proj / "NEW.md").read_text() == "new in v2 for P!\n"
    settings.write_text(yaml.safe_dump({"trust": [f"{uv_tpl.root.parent}-other/"]}))
    refused = invoke("new", str(tmp_path / "q"), "--template", str(uv_tpl.root), "--defaults")
    assert refused.code == 2 and "--trust" in refused.err


def test_adopt_with_trust(tmp_path: Path, uv_tpl: TemplateRepo) -> None:
    repo = own_repo(tmp_path / "existing")
    adopt_needs_trust(repo, f"{uv_tpl.root}@v1")
    release_uv_v2(uv_tpl)
    result = invoke("update", str(repo), "--trust")
    assert result.code == 4, result.out + result.err  # the user's own README meets the template's
    assert "CONFLICTS" in result.out and "  README.md" in result.out
    assert (repo / "NEW.md").read_text() == "new in v2 for EXISTING!\n"


def test_missing_extension_names_module_and_package(
    tmp_path: Path, template_factory: Callable[..., TemplateRepo]
) -> None:
    tpl = template_factory(
        {
            "copier.yml": "_jinja_extensions:\n- dlgen_absent_ext.Thing\nname:\n  default: x\n",
            "README.md.jinja": "{{ name }}\n",
        }
    )
    result = invoke(
        "new", str(tmp_path / "p"), "--template", str(tpl.root), "--defaults", "--trust"
    )
    assert result.code == 1
    assert result.err.count("\n") == 1, result.err
    assert "'dlgen_absent_ext'" in result.err
    assert "pip install dlgen-absent-ext" in result.err
    assert "copier" not in result.err.lower().replace("copier's", "")
    assert not (tmp_path / "p").exists()


def test_clone_failure_shows_gits_meaningful_line(tmp_path: Path) -> None:
    url = f"file://{tmp_path}/nowhere/repo.git"
    result = invoke("new", str(tmp_path / "p"), "--template", url, "--defaults")
    assert result.code == 2
    assert "does not appear to be a git repository" in result.err, result.err
    assert "the repository exists" not in result.err


ARCHIVAL = "node: $Format:%H$\nref-names: $Format:%D$\n"
COOKIE_LIKE = {
    "copier.yml": "_subdirectory: project\nname:\n  default: pkg\n",
    "project/.gitattributes": ".git_archival.txt export-subst\ntests/ export-ignore\n",
    "project/.git_archival.txt": ARCHIVAL,
    "project/tests/test_{{ name }}.py.jinja": "def test_{{ name }}():\n    assert True\n",
    "project/README.md.jinja": "# {{ name }}\n",
}


def test_git_template_is_exported_verbatim(
    tmp_path: Path, template_factory: Callable[..., TemplateRepo]
) -> None:
    """The template repository's export-subst and export-ignore are for the generated project."""
    tpl = template_factory(COOKIE_LIKE)
    tpl.release("v1")
    proj = tmp_path / "p"
    result = invoke("new", str(proj), "--template", str(tpl.root), "--defaults", "--no-hooks")
    assert result.code == 0, result.err
    assert (proj / ".git_archival.txt").read_text() == ARCHIVAL  # export-subst not applied
    assert (proj / "tests/test_pkg.py").is_file()  # export-ignore not applied
    tpl.write({"project/README.md.jinja": "# {{ name }}\n\nv2\n"})
    tpl.release("v2")
    result = invoke("update", str(proj))
    assert result.code == 0, result.out + result.err
    assert "M README.md" in result.out
    assert ".git_archival.txt" not in result.out and "tests/" not in result.out


def test_moved_template_is_pointed_at_with_template_option(
    tmp_path: Path, template_factory: Callable[..., TemplateRepo]
) -> None:
    """A recorded relative path breaks in a clone at another depth: a hint, then --template."""
    tpl = template_factory(
        {"copier.yml": "name:\n  default: x\n", "README.md.jinja": "# {{ name }}\n"},
        name="peers/tpl",
    )
    tpl.release("v1")
    proj = tmp_path / "work/proj"
    assert (
        invoke("new", str(proj), "--template", str(tpl.root), "--defaults", "--no-hooks").code == 0
    )
    assert yaml.safe_load((proj / ".dlgen.yml").read_text())["template"] == "../../peers/tpl"
    clone = tmp_path / "deeper/still/proj"
    clone.parent.mkdir(parents=True)
    git("clone", "-q", str(proj), str(clone), cwd=tmp_path)
    git("branch", "dlgen/template", "origin/dlgen/template", cwd=clone)
    tpl.write({"README.md.jinja": "# {{ name }}\n\nv2\n"})
    tpl.release("v2")
    before = refs(clone)
    lost = invoke("update", str(clone))
    assert lost.code == 2 and "--template" in lost.err and "../../peers/tpl" in lost.err
    assert refs(clone) == before

    nowhere = invoke("update", str(clone), "--template", str(tmp_path / "nowhere"))
    assert nowhere.code == 2 and "nowhere" in nowhere.err and "no such directory" in nowhere.err
    other = template_factory({"copier.yml": "name:\n  default: x\n", "README.md.jinja": "x\n"})
    other.release("v1")
    wrong = invoke("update", str(clone), "--template", str(other.root))
    assert wrong.code == 2 and "does not hold" in wrong.err, wrong.err
    assert refs(clone) == before

    mirror = tmp_path / "mirrors/tpl"
    git("clone", "-q", str(tpl.root), str(mirror), cwd=tmp_path)
    # --template is relative to the current directory (from the project it would be deeper/mirrors)
    result = invoke("update", "--template", "../../mirrors/tpl", "proj", cwd=clone.parent)
    assert result.code == 0, result.out + result.err
    assert (clone / "README.md").read_text() == "# x\n\nv2\n"
    record = yaml.safe_load((clone / ".dlgen.yml").read_text())
    assert record["template"] == "../../../mirrors/tpl"
    assert record["template_version"] == "v2"


NEW_Q_V1 = {
    "copier.yml": (
        "name:\n  type: str\n  default: demo\n"
        "derived:\n  type: str\n  default: '{{ name }}-x'\n  when: false\n"
    ),
    "README.md.jinja": "# {{ name }} {{ derived }}\n",
}
NEW_Q_V2 = {
    "copier.yml": (
        "name:\n  type: str\n  help: The project name\n  default: demo\n"
        "derived:\n  type: str\n  default: '{{ name }}-x'\n  when: false\n"
        "licence:\n  type: str\n  help: Which licence applies\n  default: MIT\n"
        '  validator: "{% if licence | length < 2 %}licence needs two letters{% endif %}"\n'
    ),
    "README.md.jinja": "# {{ name }} {{ derived }}\n\nLicence: {{ licence }}\n",
}


@pytest.fixture
def newq_proj(tmp_path: Path, template_factory: Callable[..., TemplateRepo]) -> Path:
    tpl = template_factory(NEW_Q_V1, name="newq")
    tpl.release("v1")
    proj = tmp_path / "proj"
    result = invoke("new", str(proj), "--template", str(tpl.root), "--defaults", "--no-hooks")
    assert result.code == 0, result.err
    tpl.write(NEW_Q_V2)
    tpl.release("v2")
    return proj


def test_new_question_without_a_terminal_is_exit_2_naming_it(
    newq_proj: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO())  # no terminal, even under `pytest -s`
    before = (refs(newq_proj), tree_snapshot(newq_proj))
    result = invoke("update", str(newq_proj))
    assert result.code == 2
    assert "'licence'" in result.err and "--defaults" in result.err, result.err
    assert (refs(newq_proj), tree_snapshot(newq_proj)) == before
    result = invoke("update", str(newq_proj), "--defaults")
    assert result.code == 0, result.out + result.err
    assert yaml.safe_load((newq_proj / ".dlgen.yml").read_text())["answers"] == {
        "name": "demo",
        "licence": "MIT",
    }
    assert (newq_proj / "README.md").read_text().endswith("Licence: MIT\n")


def test_new_question_answered_with_data(newq_proj: Path) -> None:
    result = invoke("update", str(newq_proj), "--data", "licence=BSD")
    assert result.code == 0, result.out + result.err
    assert (newq_proj / "README.md").read_text().endswith("Licence: BSD\n")
    git("commit", "-qm", "update", cwd=newq_proj)
    assert invoke("update", str(newq_proj)).out.startswith("already up to date")


def test_computed_variable_cannot_be_set(newq_proj: Path, tmp_path: Path) -> None:
    before = (refs(newq_proj), tree_snapshot(newq_proj))
    result = invoke("update", str(newq_proj), "--defaults", "--data", "derived=evil")
    assert result.code == 2 and "'derived'" in result.err and "computed" in result.err
    assert (refs(newq_proj), tree_snapshot(newq_proj)) == before
    bundled = invoke(
        "new", str(tmp_path / "b"), "--defaults", "--no-git", "--data", "pip_extras=evil"
    )
    assert bundled.code == 2 and "'pip_extras'" in bundled.err
    assert not (tmp_path / "b").exists()


@pytest.mark.slow
def test_update_asks_only_the_new_question_on_a_terminal(newq_proj: Path) -> None:
    """A real pseudo-terminal: the new question is asked with its help and validator; the
    answered one is not asked again."""

    # the default MIT stands in the input: erase it, type one letter (the validator refuses
    # it), then erase that and give an accepted answer
    typed: list[bytes] = [b"\x7f\x7f\x7fx\r", b"\x7fGPL\r"]
    code, screen = on_terminal(
        ["update"],
        newq_proj,
        lambda s: typed.pop(0) if typed and b"Which licence applies" in s else None,
    )
    assert code == 0, screen[-2000:]
    assert b"licence needs two letters" in screen, screen.decode(errors="replace")
    assert b"The project name" not in screen  # answered in v1: not asked again
    record = yaml.safe_load((newq_proj / ".dlgen.yml").read_text())
    assert record["answers"] == {"name": "demo", "licence": "GPL"}


def test_question_without_default_is_exit_2_naming_it(
    tmp_path: Path, template_factory: Callable[..., TemplateRepo]
) -> None:
    """scientific-python/cookie's copier flavour has questions without defaults."""
    tpl = template_factory(
        {"copier.yml": "org:\n  type: str\n  help: Your org\n", "README.md.jinja": "{{ org }}\n"}
    )
    result = invoke("new", str(tmp_path / "p"), "--template", str(tpl.root), "--defaults")
    assert result.code == 2 and "'org'" in result.err and "--data org=" in result.err, result.err
    assert not (tmp_path / "p").exists()
