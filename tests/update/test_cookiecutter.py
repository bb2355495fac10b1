"""Cookiecutter templates through `dlgen new`: rendered, recorded, answers literal, hooks gated."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.helpers import (
    TemplateRepo,
    adopt_needs_trust,
    dlgen,
    git,
    invoke,
    on_terminal,
    own_repo,
)

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


HOOK_CC = {
    "cookiecutter.json": json.dumps(
        {"project_slug": "demo", "license": ["MIT", "BSD"], "vcs": True, "description": "d"}
    ),
    "{{cookiecutter.project_slug}}/README.md": "# {{ cookiecutter.project_slug }}\n",
    "hooks/post_gen_project.py": "open('HOOKED.txt', 'w').write('{{ cookiecutter.license }}\\n')\n",
}


def test_cookiecutter_template_with_hooks_updates_and_adopts_with_trust(
    tmp_path: Path, template_factory: Callable[..., TemplateRepo]
) -> None:
    tpl = template_factory(HOOK_CC)
    tpl.release("v1")
    dst = tmp_path / "cc"
    result = invoke("new", str(dst), "--template", str(tpl.root), "--defaults", "--trust")
    assert result.code == 0, result.err
    assert (dst / "HOOKED.txt").read_text() == "MIT\n"
    tpl.write({"{{cookiecutter.project_slug}}/CHANGELOG.md": "v2\n"})
    tpl.release("v2")
    refused = invoke("update", str(dst))
    assert refused.code == 2 and "--trust" in refused.err
    result = invoke("update", str(dst), "--trust")
    assert result.code == 0, result.out + result.err
    assert (dst / "CHANGELOG.md").read_text() == "v2\n"

    adopt_needs_trust(own_repo(tmp_path / "existing"), f"{tpl.root}@v1")


@pytest.mark.parametrize(
    ("pair", "named"),
    [
        ("license=GPL", ["license", "'GPL'", "MIT, BSD"]),
        ("vcs=maybe", ["vcs", "'maybe'"]),
        ("_copy_without_render=x", ["'_copy_without_render'", "private"]),
    ],
)
def test_cookiecutter_bad_choice_is_exit_2_naming_the_question(
    tmp_path: Path, template_factory: Callable[..., TemplateRepo], pair: str, named: list[str]
) -> None:
    tpl = template_factory(HOOK_CC)
    dst = tmp_path / "cc"
    result = invoke(
        "new", str(dst), "--template", str(tpl.root), "--defaults", "--trust", "--data", pair
    )
    assert result.code == 2, result.err
    assert result.err.count("\n") == 1 and "internal error" not in result.err
    assert all(n in result.err for n in named), result.err
    assert not dst.exists()


def test_cookiecutter_failing_hook_is_one_line(
    tmp_path: Path, template_factory: Callable[..., TemplateRepo]
) -> None:
    """cookiecutter logs a failing hook with a traceback; without --debug dlgen says one line."""
    tpl = template_factory({**CC, "hooks/post_gen_project.py": "import sys\nsys.exit(3)\n"})
    done = dlgen("new", "cc", "--template", str(tpl.root), "--defaults", "--trust", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1, done.stderr
    assert "hook" in done.stderr.lower() and "Traceback" not in done.stderr
    assert not (tmp_path / "cc").exists()


GIT_HOOK = (
    "import subprocess\n"
    "for cmd in (['git', 'init', '-q'], ['git', 'add', '-A'],\n"
    "            ['git', 'commit', '-qm', 'hook commit']):\n"
    "    subprocess.run(cmd, check=True)\n"
)


def test_hook_that_makes_its_own_repository_is_refused_or_kept(
    tmp_path: Path, template_factory: Callable[..., TemplateRepo]
) -> None:
    """No proj/.git/.git with the hook's commit lost: refused with git, kept with --no-git."""
    tpl = template_factory({**CC, "hooks/post_gen_project.py": GIT_HOOK})
    dst = tmp_path / "cc"
    result = invoke("new", str(dst), "--template", str(tpl.root), "--defaults", "--trust")
    assert result.code == 3 and "--no-git" in result.err, result.err
    assert not dst.exists()
    result = invoke(
        "new", str(dst), "--template", str(tpl.root), "--defaults", "--trust", "--no-git"
    )
    assert result.code == 0, result.err
    assert not (dst / ".git/.git").exists()
    assert git("log", "--format=%s", cwd=dst).strip() == "hook commit"


DUAL = {
    **CC,
    "copier.yml": "project_slug:\n  default: demo\n_subdirectory: copier\n",
    "copier/README.md.jinja": "copier flavour of {{ project_slug }}\n",
}


def test_template_with_both_flavours_lets_the_user_choose(
    tmp_path: Path, template_factory: Callable[..., TemplateRepo]
) -> None:
    tpl = template_factory(DUAL)
    tpl.release("v1")
    plain = tmp_path / "plain"
    assert invoke("new", str(plain), "--template", str(tpl.root), "--defaults").code == 0
    assert (plain / "README.md").read_text() == "copier flavour of demo\n"
    dst = tmp_path / "cc"
    result = invoke(
        "new", str(dst), "--template", str(tpl.root), "--defaults", "--flavour", "cookiecutter"
    )
    assert result.code == 0, result.err
    assert (dst / "README.md").read_text() == "# demo\nd\n"
    assert yaml.safe_load((dst / ".dlgen.yml").read_text())["flavour"] == "cookiecutter"
    tpl.write({"{{cookiecutter.project_slug}}/CHANGELOG.md": "cookiecutter v2\n"})
    tpl.release("v2")
    result = invoke("update", str(dst))
    assert result.code == 0, result.out + result.err
    assert (dst / "CHANGELOG.md").read_text() == "cookiecutter v2\n"
    assert (dst / "README.md").read_text() == "# demo\nd\n"
    record = yaml.safe_load((dst / ".dlgen.yml").read_text())
    assert record["flavour"] == "cookiecutter" and record["template_version"] == "v2"
    repo = own_repo(tmp_path / "existing")
    result = invoke("adopt", str(repo), "--template", f"{tpl.root}@v2", "--flavour", "cookiecutter")
    assert result.code == 0, result.err
    assert yaml.safe_load((repo / ".dlgen.yml").read_text())["flavour"] == "cookiecutter"
    assert "CHANGELOG.md" in git("ls-tree", "-r", "--name-only", "dlgen/template", cwd=repo)
    missing = template_factory(CC)
    result = invoke(
        "new",
        str(tmp_path / "x"),
        "--template",
        str(missing.root),
        "--defaults",
        "--flavour",
        "copier",
    )
    assert result.code == 2 and "copier.yml" in result.err


def test_cookiecutter_new_question_needs_an_answer(
    tmp_path: Path, template_factory: Callable[..., TemplateRepo], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO())  # no terminal, even under `pytest -s`
    dst = project_before_a_ci_question(tmp_path, template_factory, prompts={})
    result = invoke("update", str(dst))
    assert result.code == 2 and "'ci'" in result.err and "--defaults" in result.err
    result = invoke("update", str(dst), "--data", "ci=gitlab")
    assert result.code == 0, result.out + result.err
    assert (dst / "CI.txt").read_text() == "gitlab\n"


@pytest.mark.slow
def test_cookiecutter_new_question_is_asked_on_a_terminal(
    tmp_path: Path, template_factory: Callable[..., TemplateRepo]
) -> None:
    """A real pseudo-terminal: only the question v2 adds is asked, with its prompt and choices."""
    prompts = {"__prompts__": {"ci": "Which CI service"}}
    dst = project_before_a_ci_question(tmp_path, template_factory, prompts=prompts)
    typed = [b"gitlab\r"]
    code, screen = on_terminal(
        ["update"], dst, lambda s: typed.pop(0) if typed and b"Which CI service" in s else None
    )
    assert code == 0, screen.decode(errors="replace")
    assert b"github, gitlab" in screen and b"license" not in screen
    assert (dst / "CI.txt").read_text() == "gitlab\n"
    assert yaml.safe_load((dst / ".dlgen.yml").read_text())["answers"]["ci"] == "gitlab"


def project_before_a_ci_question(
    tmp_path: Path, template_factory: Callable[..., TemplateRepo], *, prompts: dict[str, object]
) -> Path:
    """A project made from the cookiecutter template's v1, whose v2 adds a `ci` choice question
    (with `prompts` in its cookiecutter.json) that CI.txt renders."""
    tpl = template_factory(CC)
    tpl.release("v1")
    dst = tmp_path / "cc"
    assert invoke("new", str(dst), "--template", str(tpl.root), "--defaults").code == 0
    context = {"project_slug": "demo", "license": ["MIT", "BSD"], "description": "d"}
    tpl.write(
        {
            "cookiecutter.json": json.dumps({**context, "ci": ["github", "gitlab"], **prompts}),
            "{{cookiecutter.project_slug}}/CI.txt": "{{ cookiecutter.ci }}\n",
        }
    )
    tpl.release("v2")
    return dst
