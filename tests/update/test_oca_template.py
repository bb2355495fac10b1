"""A real template: OCA's addons-repo template (behind hundreds of repositories), v1.39 -> v1.40,
through dlgen and through copier, gives the same files at each step.

v1.40 removes the `ci` question that a file name still tests (`{% if ci == 'GitHub' %}test.yml`),
drops the `_tasks` that deleted `.t2d.yml`, and changes the pre-commit configuration; v1.39
records `github_ci_extra_env: {}`, a mapping answer. The template is read from a local snapshot
(a bare git repository, `DLGEN_OCA_TEMPLATE`): nothing is downloaded, and without the snapshot
the test is skipped, saying where it looked. The small inline fixtures of test_copier_compat
hold the same cases where no snapshot is.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.helpers import (
    TemplateRepo,
    commit_all,
    copier_cli,
    git,
    invoke,
    project_files,
)

SNAPSHOT = Path(
    os.environ.get("DLGEN_OCA_TEMPLATE", "/work/.mirror/OCA+oca-addons-repo-template/repo")
)


def _has_releases() -> bool:
    if not (SNAPSHOT / "HEAD").is_file():
        return False
    for tag in ("v1.39", "v1.40"):
        done = subprocess.run(
            ["git", "--git-dir", str(SNAPSHOT), "rev-parse", "--verify", "-q", f"{tag}^{{commit}}"],
            capture_output=True,
            check=False,
        )
        if done.returncode:
            return False
    return True


needs_snapshot = pytest.mark.skipif(
    not _has_releases(),
    reason=f"no snapshot of OCA/oca-addons-repo-template with v1.39 and v1.40 at {SNAPSHOT} "
    "(set DLGEN_OCA_TEMPLATE to a clone of it; test_oca_shaped_release runs without one)",
)
pytestmark = pytest.mark.slow

DATA = {
    "odoo_version": "16.0",
    "repo_slug": "server-tools",
    "repo_name": "Server tools",
    "repo_description": "Tools for the server",
}


def user_edits(proj: Path) -> None:
    """The same edits on both sides: an addon of their own, a line in a file both keep."""
    (proj / "my_addon").mkdir()
    (proj / "my_addon/__init__.py").write_text("from . import models\n")
    gitignore = proj / ".gitignore"
    gitignore.write_text(gitignore.read_text() + "\n# ours\n*.local\n")
    commit_all(proj, "our addon")


@needs_snapshot
def test_v1_39_to_v1_40_gives_copiers_files(tmp_path: Path) -> None:
    tpl = tmp_path / "oca-addons-repo-template"
    git("clone", "-q", str(SNAPSHOT), str(tpl), cwd=tmp_path)
    same_as_copier(tpl, tmp_path, DATA, ("v1.39", "v1.40"))


def same_as_copier(
    tpl: Path, tmp_path: Path, given: dict[str, str], steps: tuple[str, str]
) -> None:
    """new at steps[0], the same user edits, update to steps[1]: dlgen's files are copier's at
    each step, `ci` leaves the record while test.yml stays, and the gate passes."""
    old, new = steps
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    data = [arg for k, v in given.items() for arg in ("--data", f"{k}={v}")]
    created = invoke(
        "new", str(ours), "--template", f"{tpl}@{old}", "--defaults", "--trust", "--no-hooks", *data
    )
    assert created.code == 0, created.err
    copier_cli("copy", "--trust", "--defaults", "--vcs-ref", old, *data, str(tpl), str(theirs),
               cwd=tmp_path)  # fmt: skip
    git("init", "-q", cwd=theirs)
    commit_all(theirs, "copier copy")
    assert project_files(ours) == project_files(theirs)
    assert not (ours / ".t2d.yml").exists()  # v1.39's task removed it, as copier's did
    record = yaml.safe_load((ours / ".dlgen.yml").read_text())
    assert record["answers"]["github_ci_extra_env"] == {}
    assert record["answers"]["ci"] == "GitHub"
    checked = invoke("check", str(ours))
    assert (checked.code, checked.out) == (0, "dlgen check: ok: 0 error(s), 0 warning(s)\n")

    for proj in (ours, theirs):
        user_edits(proj)
    updated = invoke("update", str(ours), "--to", new, "--trust", "--defaults")
    assert updated.code == 0, updated.out + updated.err
    assert "  M .pre-commit-config.yaml" in updated.out.splitlines()
    assert ".github/workflows/test.yml" not in updated.out  # `ci` is gone, its answer is not
    git("commit", "-q", "--no-edit", cwd=ours)
    copier_cli("update", "--trust", "--defaults", "--vcs-ref", new, cwd=theirs)
    assert project_files(ours) == project_files(theirs)
    assert (ours / ".github/workflows/test.yml").is_file()
    record = yaml.safe_load((ours / ".dlgen.yml").read_text())
    assert (record["template_version"], "ci" in record["answers"]) == (new, False)
    checked = invoke("check", str(ours))
    assert (checked.code, checked.out) == (0, "dlgen check: ok: 0 error(s), 0 warning(s)\n")


# The same shape, written small for this test: a task deletes what a file name's `else` renders,
# a mapping answer, and a release that drops the `ci` question, its task and its file.
SHAPED_V1 = {
    "copier.yml": (
        "_subdirectory: src\n_templates_suffix: .jinja\n"
        '_tasks:\n  - rm -f {% if ci != "Travis" %}.travis.yml{% endif %} .t2d.yml\n'
        "repo_slug:\n  type: str\n"
        "ci:\n  type: str\n  default: GitHub\n  choices: [Travis, GitHub]\n"
        "github_ci_extra_env:\n  type: yaml\n  default: {}\n  when: \"{{ ci == 'GitHub' }}\"\n"
    ),
    "src/{{ _copier_conf.answers_file }}.jinja": "{{ _copier_answers|to_nice_yaml }}",
    "src/{% if ci == 'Travis' %}.travis.yml{% else %}.t2d.yml{% endif %}.jinja": "ci: travis\n",
    "src/.github/workflows/{% if ci == 'GitHub' %}test.yml{% endif %}.jinja": (
        "env: {{ github_ci_extra_env | tojson }}\nrepo: {{ repo_slug }}\n"
    ),
    "src/.pre-commit-config.yaml.jinja": "repos:\n  - local\n",
    "src/.gitignore": "*.pyc\n",
}


def test_oca_shaped_release_gives_copiers_files(
    tmp_path: Path, template_factory: Callable[..., TemplateRepo]
) -> None:
    tpl = template_factory(SHAPED_V1, name="addons-template")
    tpl.release("v1.39")
    copier_yml = SHAPED_V1["copier.yml"]
    tpl.write(
        {
            "copier.yml": copier_yml.replace(copier_yml[copier_yml.index("_tasks") :], "")
            + "repo_slug:\n  type: str\n"
            + "github_ci_extra_env:\n  type: yaml\n  default: {}\n",
            "src/.pre-commit-config.yaml.jinja": "repos:\n  - local\n  - obsolete-dotfiles\n",
        }
    )
    tpl.remove("src/{% if ci == 'Travis' %}.travis.yml{% else %}.t2d.yml{% endif %}.jinja")
    tpl.release("v1.40")
    same_as_copier(tpl.root, tmp_path, {"repo_slug": "server-tools"}, ("v1.39", "v1.40"))
