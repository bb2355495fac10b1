"""Cookiecutter templates through `dlgen new`: rendered, recorded, answers literal, hooks gated."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import yaml

from tests.helpers import TemplateRepo, git, invoke

CC = {
    "cookiecutter.json": json.dumps(
        {"project_slug": "demo", "license": ["MIT", "BSD"], "description": "d"}
    ),
    "{{cookiecutter.project_slug}}/README.md": "# {{ cookiecutter.project_slug }}\n"
    "{{ cookiecutter.description }}\n",
    "{{cookiecutter.project_slug}}/logo.png": bytes(range(256)),
}


def test_cookiecutter_template_renders_and_records(
    tmp_path: Path, template_factory: Callable[..., TemplateRepo]
) -> None:
    tpl = template_factory(CC)
    dst = tmp_path / "cc"
    result = invoke(
        "new",
        str(dst),
        "--template",
        str(tpl.root),
        "--defaults",
        "--data",
        "project_slug=hello",
        "--data",
        "license=BSD",
    )
    assert result.code == 0, result.err
    assert (dst / "README.md").read_text() == "# hello\nd\n"
    assert (dst / "logo.png").read_bytes() == bytes(range(256))
    record = yaml.safe_load((dst / ".dlgen.yml").read_text())
    assert record["answers"] == {"project_slug": "hello", "license": "BSD", "description": "d"}
    assert git("rev-parse", "dlgen/template", cwd=dst) == git("rev-parse", "HEAD", cwd=dst)


def test_cookiecutter_answers_are_never_rendered(
    tmp_path: Path, template_factory: Callable[..., TemplateRepo]
) -> None:
    tpl = template_factory(CC)
    payload = "{{ cycler.__init__.__globals__.os.popen('touch pwned').read() }} {{ 7*7 }}"
    result = invoke(
        "new",
        str(tmp_path / "cc"),
        "--template",
        str(tpl.root),
        "--defaults",
        "--no-git",
        "--data",
        f"description={payload}",
    )
    assert result.code == 0, result.err
    assert payload in (tmp_path / "cc/README.md").read_text()
    assert not list(tmp_path.rglob("pwned"))


def test_cookiecutter_hooks_need_trust_and_unknown_keys_fail(
    tmp_path: Path, template_factory: Callable[..., TemplateRepo]
) -> None:
    tpl = template_factory({**CC, "hooks/post_gen_project.py": "open('hooked', 'w').close()\n"})
    result = invoke("new", str(tmp_path / "a"), "--template", str(tpl.root), "--defaults")
    assert result.code == 2 and "--trust" in result.err
    result = invoke(
        "new", str(tmp_path / "b"), "--template", str(tpl.root), "--defaults", "--trust", "--no-git"
    )
    assert result.code == 0, result.err
    assert (tmp_path / "b/hooked").exists()
    result = invoke(
        "new",
        str(tmp_path / "c"),
        "--template",
        str(tpl.root),
        "--defaults",
        "--trust",
        "--data",
        "colour=red",
    )
    assert result.code == 2 and "colour" in result.err
    assert not (tmp_path / "a").exists() and not (tmp_path / "c").exists()


def test_cookiecutter_undefined_variable_is_one_line(
    tmp_path: Path, template_factory: Callable[..., TemplateRepo]
) -> None:
    tpl = template_factory({**CC, "{{cookiecutter.project_slug}}/x.txt": "{{ cookiecutter.nope }}"})
    result = invoke("new", str(tmp_path / "u"), "--template", str(tpl.root), "--defaults")
    assert result.code == 1 and result.err.count("\n") == 1
    assert not (tmp_path / "u").exists()


def test_cookiecutter_project_updates_by_merge(
    tmp_path: Path, template_factory: Callable[..., TemplateRepo]
) -> None:
    tpl = template_factory(CC)
    tpl.release("v1")
    dst = tmp_path / "cc"
    assert (
        invoke("new", str(dst), "--template", str(tpl.root), "--defaults", "--no-hooks").code == 0
    )
    readme = dst / "README.md"
    readme.write_text(readme.read_text() + "local notes\n")
    git("commit", "-qam", "notes", cwd=dst)
    tpl.write(
        {"{{cookiecutter.project_slug}}/CHANGELOG.md": "v2 of {{ cookiecutter.project_slug }}\n"}
    )
    tpl.release("v2")
    result = invoke("update", str(dst))
    assert result.code == 0, result.err
    assert (dst / "CHANGELOG.md").read_text().startswith("v2 of")
    assert readme.read_text().endswith("local notes\n")
    assert yaml.safe_load((dst / ".dlgen.yml").read_text())["template_version"] == "v2"
