"""Create-only files: the template branch holds each release's pristine render of them, the merge
never touches the project's copy, and a change of the template is announced once, at the update
that brings it, with a one-line summary and the exact command that shows it."""

from __future__ import annotations

import re
from pathlib import Path

from tests.helpers import TemplateRepo, commit_all, git, invoke, up

V1 = {
    "copier.yml": (
        "_subdirectory: project\n_templates_suffix: .jinja\n"
        "_dlgen:\n  create_only: [params.yaml]\n"
        "project_name:\n  type: str\n  default: demo\n"
    ),
    "project/params.yaml": "train:\n  lr: 0.1\n  epochs: 10\n",
    "project/README.md": "readme 1\n",
}
V2_PARAMS = "train:\n  lr: 0.1\n  epochs: 20\n  seed: 0\n"


def announced(out: str) -> list[str]:
    return [ln for ln in out.splitlines() if "create-only" in ln]


def test_branch_holds_pristine_copy_and_project_keeps_its_own(
    proj: Path, tpl: TemplateRepo
) -> None:
    (proj / "params.yaml").write_text("train:\n  lr: 0.5\n  epochs: 10\n")
    commit_all(proj, "mine")
    tpl.write({"project/params.yaml": V2_PARAMS, "project/README.md": "readme 2\n"})
    tpl.release("v2")
    code, out, err = up(proj)
    assert code == 0, out + err
    assert (proj / "params.yaml").read_text() == "train:\n  lr: 0.5\n  epochs: 10\n"
    assert git("show", "dlgen/template:params.yaml", cwd=proj) == V2_PARAMS
    (line,) = announced(out)
    match = re.fullmatch(
        r"  create-only, not merged: params\.yaml \(template: 2 lines added, 1 removed\);"
        r" see `(git diff [0-9a-f]{12} [0-9a-f]{12} -- params\.yaml)`",
        line,
    )
    assert match, line
    shown = git(*match.group(1).split()[1:], cwd=proj)
    assert "-  epochs: 10\n+  epochs: 20\n+  seed: 0\n" in shown
    assert "params.yaml" not in git("diff", "--cached", "--name-only", cwd=proj)
    git("commit", "-q", "-m", "update", cwd=proj)
    assert invoke("check", str(proj)).code == 0

    # the next release leaves params.yaml alone: no announcement again
    tpl.write({"project/README.md": "readme 3\n"})
    tpl.release("v3")
    code, out, err = up(proj)
    assert code == 0, out + err
    assert announced(out) == []


def test_unedited_copy_is_not_merged_either(proj: Path, tpl: TemplateRepo) -> None:
    """The project's copy is its own from the first render: the template's change is announced,
    never applied (copier's `_skip_if_exists` does the same)."""
    tpl.write({"project/params.yaml": V2_PARAMS})
    tpl.release("v2")
    code, out, _ = up(proj)
    assert code == 0
    assert (proj / "params.yaml").read_text() == V1["project/params.yaml"]
    assert len(announced(out)) == 1


def test_same_line_edited_on_both_sides_is_no_conflict(proj: Path, tpl: TemplateRepo) -> None:
    (proj / "params.yaml").write_text("train:\n  lr: 0.5\n  epochs: 99\n")
    commit_all(proj, "mine")
    tpl.write({"project/params.yaml": V2_PARAMS})
    tpl.release("v2")
    code, out, err = up(proj)
    assert code == 0, out + err
    assert "CONFLICT" not in out
    assert (proj / "params.yaml").read_text() == "train:\n  lr: 0.5\n  epochs: 99\n"
    assert git("ls-files", "-u", cwd=proj) == ""


def test_deleted_copy_stays_deleted(proj: Path, tpl: TemplateRepo) -> None:
    git("rm", "-q", "params.yaml", cwd=proj)
    commit_all(proj, "no params")
    tpl.write({"project/params.yaml": V2_PARAMS})
    tpl.release("v2")
    code, out, err = up(proj)
    assert code == 0, out + err
    assert not (proj / "params.yaml").exists()
    assert "params.yaml" not in git("diff", "--cached", "--name-only", cwd=proj)


def test_a_create_only_file_new_in_a_release_is_created(proj: Path, tpl: TemplateRepo) -> None:
    tpl.write(
        {
            "copier.yml": V1["copier.yml"].replace("[params.yaml]", "[params.yaml, local.env]"),
            "project/local.env": "KEY=1\n",
        }
    )
    tpl.release("v2")
    code, out, err = up(proj)
    assert code == 0, out + err
    assert (proj / "local.env").read_text() == "KEY=1\n"
    assert "  A local.env" in out.splitlines()
