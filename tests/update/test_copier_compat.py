"""What copier does with answers and refs, dlgen does too: structured answers round-trip through
`.dlgen.yml`, a removed question's last answer stays in the render context, another template's
variables are not held to dlgen's naming rule, `SOURCE@REF` splits at the last '@', and a
commit id is recorded as `git describe --tags` output, never read as a version number."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.helpers import TemplateRepo, commit_all, git, invoke, up

V1 = {
    "copier.yml": (
        "_subdirectory: project\n_templates_suffix: .jinja\n"
        "project_name:\n  type: str\n  default: demo\n"
        "ci:\n  type: str\n  default: GitHub\n  choices: [GitHub, none]\n"
        "extra_env:\n  type: yaml\n  default: {}\n"
        'matrix:\n  type: json\n  default: \'[{"python": "3.12", "os": ["linux"]}]\'\n'
    ),
    "project/README.md.jinja": "# {{ project_name }} {{ matrix[0].python }}\n",
    "project/{% if ci == 'GitHub' %}test.yml{% endif %}.jinja": "env: {{ extra_env }}\n",
}


def record(proj: Path) -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((proj / ".dlgen.yml").read_text())  # type: ignore[no-any-return]


def test_structured_answers_round_trip(proj: Path, tpl: TemplateRepo) -> None:
    answers = record(proj)["answers"]
    assert answers["extra_env"] == {}
    assert answers["matrix"] == [{"python": "3.12", "os": ["linux"]}]
    result = invoke("check", str(proj))
    assert result.code == 0, result.out + result.err
    tpl.write({"project/README.md.jinja": "# {{ project_name }} on {{ matrix[0].os[0] }}\n"})
    tpl.release("v2")
    code, out, err = up(proj, "--data", 'extra_env={"A": {"B": [1, 2]}}')
    assert code == 0, out + err
    assert record(proj)["answers"]["extra_env"] == {"A": {"B": [1, 2]}}
    assert (proj / "README.md").read_text() == "# proj on linux\n"
    git("commit", "-q", "-m", "v2", cwd=proj)
    assert invoke("check", str(proj)).code == 0


def test_a_removed_questions_last_answer_stays_in_the_context(
    proj: Path, tpl: TemplateRepo
) -> None:
    """OCA v1.40 removed its `ci` question; copier keeps the last answer, so test.yml stays."""
    tpl.write(
        {
            "copier.yml": V1["copier.yml"].replace(
                "ci:\n  type: str\n  default: GitHub\n  choices: [GitHub, none]\n", ""
            )
        }
    )
    tpl.release("v2")
    code, out, err = up(proj)
    assert code == 0, out + err
    assert (proj / "test.yml").read_text() == "env: {}\n"
    assert "test.yml" not in out
    assert "ci" not in record(proj)["answers"]


def test_another_templates_project_name_is_not_held_to_dlgens_naming_rule(
    tmp_path: Path, template_factory
) -> None:  # type: ignore[no-untyped-def]
    tpl = template_factory(
        {
            "copier.yml": "project_name:\n  type: str\n  default: Python Boilerplate\n",
            "README.md.jinja": "# {{ project_name }}\n",
        }
    )
    tpl.release("v1")
    dst = tmp_path / "acme-pkg"
    result = invoke(
        "new",
        str(dst),
        "--template",
        str(tpl.root),
        "--defaults",
        "--no-hooks",
        "--data",
        "project_name=ACME pkg",
    )
    assert result.code == 0, result.err
    assert (dst / "README.md").read_text() == "# ACME pkg\n"
    bad_dir = invoke("new", str(tmp_path / "a b"), "--template", str(tpl.root), "--defaults")
    assert bad_dir.code == 2 and "a b" in bad_dir.err


def test_ref_with_a_slash_and_a_commit_id(tmp_path: Path, tpl: TemplateRepo) -> None:
    git("switch", "-q", "-c", "release/v3", cwd=tpl.root)
    tpl.write({"project/README.md.jinja": "# {{ project_name }} from release/v3\n"})
    commit_all(tpl.root, "on release/v3")
    git("switch", "-q", "-", cwd=tpl.root)
    dst = tmp_path / "onbranch"
    result = invoke(
        "new", str(dst), "--template", f"{tpl.root}@release/v3", "--defaults", "--no-hooks"
    )
    assert result.code == 0, result.err
    assert (dst / "README.md").read_text() == "# onbranch from release/v3\n"  # the folder's name

    # a commit id whose hex digits start like a version number
    tpl.write({"project/README.md.jinja": "# {{ project_name }} at a commit\n"})
    sha = commit_all(tpl.root, "untagged")
    dst = tmp_path / "atsha"
    result = invoke("new", str(dst), "--template", f"{tpl.root}@{sha}", "--defaults", "--no-hooks")
    assert result.code == 0, result.err
    assert record(dst)["template_version"] == f"v1-1-g{sha[:7]}"
    tpl.release("v2")
    code, out, err = up(dst)
    assert code == 0, out + err
    assert record(dst)["template_version"] == "v2"
