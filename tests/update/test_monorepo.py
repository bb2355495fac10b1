"""Monorepos: each dlgen project has its own template branch; one project's commands never touch
another's files, index entries, branch or abort refs. Real git, real copier, the real CLI."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
import yaml

from dlgen.adopt import adopt
from tests.helpers import Outcome, TemplateRepo, commit_all, dlgen, git, invoke, tree_snapshot, up

V1 = {
    "copier.yml": "name:\n  default: demo\n",
    "config.yaml": "lr: 0.1\nepochs: 10\n",
    "train.py": "def train():\n    return 'v1'\n",
    "old.txt": "removed in v2\n",
}
A, B = "services/a", "services/b"
BRANCH = {A: "dlgen/templates/services/a", B: "dlgen/templates/services/b"}


def release_v2(t: TemplateRepo) -> None:
    t.write({"config.yaml": "lr: 0.0003\nepochs: 10\n", "callbacks.py": "CALLBACKS = []\n"})
    t.remove("old.txt")
    t.release("v2")


def monorepo(tmp_path: Path, tpl: TemplateRepo) -> Path:
    """Two projects made with `dlgen new --no-git` in one repository, committed, not adopted."""
    mono = tmp_path / "mono"
    mono.mkdir()
    (mono / "README.md").write_text("the monorepo\n")
    git("init", "-q", cwd=mono)
    for rel in (A, B):
        made = invoke(
            "new", str(mono / rel), "--template", f"{tpl.root}@v1", "--defaults", "--no-git"
        )
        assert made.code == 0, made.err
    commit_all(mono, "two services")
    return mono


def owned(mono: Path, rel: str) -> tuple[object, ...]:
    """A project's files (bytes, modes, mtimes), index entries and template branch."""
    return (
        tree_snapshot(mono / rel),
        git("ls-files", "-s", "--", rel, cwd=mono),
        git("for-each-ref", f"refs/heads/{BRANCH[rel]}", cwd=mono),
    )


def adopt_cli(mono: Path, rel: str, tpl: TemplateRepo) -> Outcome:
    return invoke("adopt", str(mono / rel), "--template", f"{tpl.root}@v1")


def staged(mono: Path) -> list[str]:
    return git("diff", "--cached", "--name-only", cwd=mono).split()


def test_each_project_has_its_own_branch_and_touches_only_its_directory(
    tmp_path: Path, tpl: TemplateRepo
) -> None:
    mono = monorepo(tmp_path, tpl)
    assert adopt_cli(mono, A, tpl).code == 0
    before = owned(mono, A)
    adopted = adopt_cli(mono, B, tpl)
    assert adopted.code == 0, adopted.err
    assert owned(mono, A) == before
    assert git("diff", "--name-only", "HEAD^1", "HEAD", cwd=mono).split() == [f"{B}/.dlgen.yml"]
    for rel in (A, B):
        record = yaml.safe_load((mono / rel / ".dlgen.yml").read_text())
        assert record["branch"] == BRANCH[rel]
        assert git("ls-tree", "-r", "--name-only", BRANCH[rel], cwd=mono).startswith(f"{rel}/")
    for rel in (A, B):
        train = mono / rel / "train.py"
        train.write_text(train.read_text() + f"# tuned in {rel}\n")
    commit_all(mono, "tune both")

    release_v2(tpl)
    before = owned(mono, A)
    code, out, err = up(mono / B)
    assert code == 0, out + err
    assert owned(mono, A) == before
    assert staged(mono) and all(p.startswith(f"{B}/") for p in staged(mono))
    assert (mono / B / "callbacks.py").is_file() and not (mono / B / "old.txt").exists()
    git("commit", "-q", "--no-edit", cwd=mono)

    before = owned(mono, B)
    code, out, err = up(mono / A)
    assert code == 0, out + err
    assert owned(mono, B) == before
    assert staged(mono) and all(p.startswith(f"{A}/") for p in staged(mono))
    git("commit", "-q", "--no-edit", cwd=mono)

    for rel in (A, B):
        assert "# tuned in" in (mono / rel / "train.py").read_text()
        assert invoke("check", str(mono / rel)).code == 0
        assert up(mono / rel)[1].startswith("already up to date")
        names = invoke("diff", str(mono / rel), "--name-only").out.split()
        assert names == ["M", f"{rel}/train.py"]
    assert (mono / "README.md").read_text() == "the monorepo\n"


def test_project_on_another_projects_branch_is_refused_and_adopt_fixes_it(
    tmp_path: Path, tpl: TemplateRepo
) -> None:
    """The state older dlgen left: A adopted on `dlgen/template`, B recording that same branch.
    Updating B rendered B over A's branch and staged the deletion of every file of A."""
    mono = monorepo(tmp_path, tpl)
    adopt(mono / A, template=f"{tpl.root}@v1", branch="dlgen/template")  # as older dlgen did
    assert "branch" not in yaml.safe_load((mono / A / ".dlgen.yml").read_text())
    release_v2(tpl)
    before = (
        git("for-each-ref", cwd=mono),
        git("ls-files", "-s", cwd=mono),
        tree_snapshot(mono),
    )
    code, out, err = up(mono / B)
    assert code == 3, out + err
    assert "another project's template branch" in err and f"dlgen adopt {B}" in err
    assert (git("for-each-ref", cwd=mono), git("ls-files", "-s", cwd=mono)) == before[:2]
    assert tree_snapshot(mono) == before[2]

    adopted = adopt_cli(mono, B, tpl)
    assert adopted.code == 0, adopted.err
    assert yaml.safe_load((mono / B / ".dlgen.yml").read_text())["branch"] == BRANCH[B]
    before_b = owned(mono, B)
    code, out, err = up(mono / A)  # the older layout keeps working
    assert code == 0, out + err
    assert all(p.startswith(f"{A}/") for p in staged(mono))
    assert owned(mono, B) == before_b


def test_adopting_a_linked_project_again_is_refused(tmp_path: Path, tpl: TemplateRepo) -> None:
    mono = monorepo(tmp_path, tpl)
    assert adopt_cli(mono, A, tpl).code == 0
    git("branch", "-D", BRANCH[A], cwd=mono)  # the branch is gone, the history still has it
    again = adopt_cli(mono, A, tpl)
    assert again.code == 3 and "use `dlgen update`" in again.err


def test_abort_refs_are_per_project(
    tmp_path: Path, tpl: TemplateRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """B's update is killed between moving B's branch and merging; A's update runs and is
    committed; then B's --abort puts B's branch back, not to A's saved render."""
    mono = monorepo(tmp_path, tpl)
    for rel in (A, B):
        assert adopt_cli(mono, rel, tpl).code == 0
    release_v2(tpl)
    b_tip = git("rev-parse", BRANCH[B], cwd=mono)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "git"
    real = git("--exec-path", cwd=mono).strip() + "/git"
    wrapper.write_text(
        "#!/bin/sh\n"
        'case " $* " in *" cherry-pick "*"--no-commit"*) kill -9 "$PPID"; exit 1;; esac\n'
        f'exec "{real}" "$@"\n'
    )
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    with monkeypatch.context() as m:
        m.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
        killed = dlgen("update", str(mono / B), cwd=mono)
    assert killed.returncode == -9, killed.stderr
    assert git("rev-parse", BRANCH[B], cwd=mono) != b_tip  # moved, never merged
    report = json.loads(invoke("status", str(mono / A), str(mono / B), "--format", "json").out)
    busy = {row["path"]: row["update_in_progress"] for row in report["projects"]}
    assert busy == {str(mono / A): False, str(mono / B): True}

    code, out, err = up(mono / A)
    assert code == 0, out + err
    git("commit", "-q", "--no-edit", cwd=mono)
    a_tip = git("rev-parse", BRANCH[A], cwd=mono)

    code, out, err = up(mono / B, "--abort")
    assert code == 0, out + err
    assert git("rev-parse", BRANCH[B], cwd=mono) == b_tip
    assert git("rev-parse", BRANCH[A], cwd=mono) == a_tip
    assert git("status", "--porcelain", cwd=mono) == ""
    code, out, err = up(mono / B)
    assert code == 0 and "callbacks.py" in out, out + err


def test_adopting_a_project_nested_in_another_is_refused_cleanly(
    tmp_path: Path, tpl: TemplateRepo
) -> None:
    mono = monorepo(tmp_path, tpl)
    assert adopt_cli(mono, A, tpl).code == 0
    nested = f"{A}/tools"
    made = invoke(
        "new", str(mono / nested), "--template", f"{tpl.root}@v1", "--defaults", "--no-git"
    )
    assert made.code == 0, made.err
    commit_all(mono, "a project inside a project")
    refs = git("for-each-ref", cwd=mono)
    result = adopt_cli(mono, nested, tpl)
    assert (
        result.code == 3 and "cannot create branch dlgen/templates/services/a/tools" in result.err
    )
    assert git("for-each-ref", cwd=mono) == refs and git("status", "--porcelain", cwd=mono) == ""


@pytest.mark.parametrize(
    ("prefix", "branch"),
    [
        ("", "dlgen/template"),
        ("services/a/", "dlgen/templates/services/a"),
        ("my svc/.hidden/x.lock/", "dlgen/templates/my-svc/-hidden/x.lock-"),
        ("a..b/c~1/", "dlgen/templates/a-.b/c-1"),
    ],
)
def test_branch_names_from_project_paths_are_valid_git_branches(
    tmp_path: Path, prefix: str, branch: str
) -> None:
    from dlgen.template_branch import branch_for

    assert branch_for(prefix) == branch
    git("check-ref-format", "--branch", branch, cwd=tmp_path)


def test_invalid_branch_in_the_record_is_exit_2(tmp_path: Path, tpl: TemplateRepo) -> None:
    mono = monorepo(tmp_path, tpl)
    record = mono / A / ".dlgen.yml"
    record.write_text(record.read_text() + "branch: dlgen/my branch\n")
    commit_all(mono, "bad branch")
    for command in ("update", "diff"):
        result = invoke(command, str(mono / A))
        assert result.code == 2 and "'branch'" in result.err and "my branch" in result.err
