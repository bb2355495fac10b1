"""`dlgen update` merges the new render into the project with real git and real copier: renames,
binaries, modes, deletions on either side, conflicts (exit 4), answer changes, dry runs, --abort,
interruption, monorepo subdirectories and a template branch that is missing or polluted."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml

from dlgen import update as update_mod
from tests.helpers import TemplateRepo, commit_all, git, invoke, tree_snapshot, up

V1 = {
    "copier.yml": (
        "name:\n  default: demo\nwith_extra:\n  type: bool\n  default: false\n"
        "_dlgen:\n  create_only: [params.yaml]\n"
    ),
    "config.yaml": "lr: 0.1\nepochs: 10\n",
    "train.py": "def train():\n    return 'v1'\n\n\n\n\ndef helper():\n    return 1\n",
    "old_name.py": "OLD = 1\n",
    "obsolete.txt": "obsolete\n",
    "changed_later.txt": "one\n",
    "assets/weights.bin": b"\x00\x01v1",
    "assets/logo.bin": b"\x00\x02logo-v1",
    "win.bat": "echo v1\r\n",
    "run.sh": "#!/bin/sh\necho v1\n",
    "params.yaml": "batch_size: 8\n",
    "{% if with_extra %}extra.txt{% endif %}.jinja": "extra for {{ name }}\n",
    ".gitignore": "data/\n",
}


def release_v2(t: TemplateRepo) -> None:
    git("mv", "old_name.py", "data_utils.py", cwd=t.root)
    t.write(
        {
            "config.yaml": "lr: 0.0003\nepochs: 10\n",
            "train.py": "def train():\n    return 'v1'\n\n\n\n\ndef helper():\n    return 2\n",
            "changed_later.txt": "two\n",
            "assets/weights.bin": b"\x00\x01v2",
            "assets/logo.bin": b"\x00\x02logo-v2",
            "win.bat": "echo v2\r\n",
            "callbacks.py": "CALLBACKS = []\n",
            "params.yaml": "batch_size: 16\n",
        }
    )
    t.remove("obsolete.txt")
    (t.root / "run.sh").chmod(0o755)
    t.release("v2")


def status(proj: Path) -> str:
    return git("status", "--porcelain", cwd=proj)


def test_non_overlapping_rename_binary_mode_crlf_create_only(proj: Path, tpl: TemplateRepo) -> None:
    (proj / "train.py").write_text(
        "def train():\n    return 'mine'\n\n\n\n\ndef helper():\n    return 1\n"
    )
    (proj / "old_name.py").write_text("OLD = 1\nMINE = 2\n")
    (proj / "params.yaml").write_text("batch_size: 64  # tuned\n")
    commit_all(proj, "user edits")
    release_v2(tpl)
    code, out, err = up(proj)
    assert code == 0, out + err
    assert "R old_name.py -> data_utils.py" in out
    assert "create-only, not merged" in out and "params.yaml" in out
    assert (proj / "train.py").read_text().count("'mine'") == 1
    assert "return 2" in (proj / "train.py").read_text()
    assert (proj / "data_utils.py").read_text() == "OLD = 1\nMINE = 2\n"  # edits follow the rename
    assert not (proj / "old_name.py").exists() and not (proj / "obsolete.txt").exists()
    assert (proj / "assets/weights.bin").read_bytes() == b"\x00\x01v2"
    assert (proj / "win.bat").read_bytes() == b"echo v2\r\n"
    assert os.access(proj / "run.sh", os.X_OK)
    assert (proj / "params.yaml").read_text() == "batch_size: 64  # tuned\n"
    assert (proj / "callbacks.py").is_file()
    record = yaml.safe_load((proj / ".dlgen.yml").read_text())
    assert record["template_version"] == "v2"
    tip = git("rev-parse", "dlgen/template", cwd=proj).strip()  # the message names the render
    assert f"Dlgen-Update: {tip}\n" in (proj / ".git/MERGE_MSG").read_text()
    git("commit", "-q", "--no-edit", cwd=proj)
    assert invoke("check", str(proj)).code == 0
    assert up(proj)[1].startswith("already up to date")


def test_overlapping_edits_conflict_exit_4(proj: Path, tpl: TemplateRepo) -> None:
    (proj / "config.yaml").write_text("lr: 0.01\nepochs: 10\n")
    commit_all(proj, "tune")
    release_v2(tpl)
    code, out, _ = up(proj)
    assert code == 4
    assert "CONFLICTS" in out and "  config.yaml" in out
    text = (proj / "config.yaml").read_text()
    assert (
        "<<<<<<< HEAD" in text
        and "||||||| " in text
        and ">>>>>>> " in text
        and "(dlgen: render " in text
    )
    assert "UU config.yaml" in status(proj)
    assert yaml.safe_load((proj / ".dlgen.yml").read_text())["template_version"] == "v2"


def test_template_deletes_a_user_edited_file(proj: Path, tpl: TemplateRepo) -> None:
    (proj / "obsolete.txt").write_text("obsolete\nbut I use it\n")
    commit_all(proj, "keep using")
    release_v2(tpl)
    code, out, _ = up(proj)
    assert code == 4 and "obsolete.txt" in out
    assert (proj / "obsolete.txt").read_text() == "obsolete\nbut I use it\n"


def test_conflicts_come_with_what_the_changelog_says_of_them(proj: Path, tpl: TemplateRepo) -> None:
    """The release's CHANGELOG paragraphs naming a conflicting file are printed under the
    conflicts, in the dry run too; the others are not. (A file deep in the project named by a
    tail of its path: tests/e2e/test_update_from_release.py.)"""
    (proj / "obsolete.txt").write_text("obsolete\nbut I use it\n")
    commit_all(proj, "keep using")
    tpl.write(
        {
            "CHANGELOG.md": "# Changelog\n\n## v2\nRemoved: `obsolete.txt` (what it held\n"
            "is in `callbacks.py` now).\n\nNew: `callbacks.py`.\n\n## v1\nFirst.\n"
        }
    )
    release_v2(tpl)
    note = [
        "the template's CHANGELOG (v2) on them:",
        "  Removed: `obsolete.txt` (what it held",
        "  is in `callbacks.py` now).",
    ]
    code, out, _ = up(proj, "--dry-run")
    assert code == 0 and out.splitlines()[-3:] == note, out
    code, out, _ = up(proj)
    assert code == 4 and out.splitlines()[-4:] == ["  obsolete.txt", *note], out
    assert "New:" not in out


def test_user_deleted_a_template_changed_file_stays_deleted(proj: Path, tpl: TemplateRepo) -> None:
    git("rm", "-q", "changed_later.txt", cwd=proj)
    commit_all(proj, "not needed")
    release_v2(tpl)
    code, out, _ = up(proj)
    assert code == 0 and "kept deleted" in out and "changed_later.txt" in out
    assert not (proj / "changed_later.txt").exists()
    assert "changed_later.txt" not in status(proj)


def test_user_moved_a_template_file(proj: Path, tpl: TemplateRepo) -> None:
    (proj / "scripts").mkdir()
    git("mv", "train.py", "scripts/train.py", cwd=proj)
    commit_all(proj, "move")
    release_v2(tpl)
    assert up(proj)[0] == 0
    assert "return 2" in (proj / "scripts/train.py").read_text()
    assert not (proj / "train.py").exists()


def test_binary_edited_on_both_sides_keeps_the_users(proj: Path, tpl: TemplateRepo) -> None:
    (proj / "assets/weights.bin").write_bytes(b"\x00\x01mine")
    commit_all(proj, "retrained")
    release_v2(tpl)
    code, out, _ = up(proj)
    assert code == 4 and "assets/weights.bin" in out
    assert (proj / "assets/weights.bin").read_bytes() == b"\x00\x01mine"
    assert (proj / "assets/weights.bin.dlgen-new").read_bytes() == b"\x00\x01v2"
    assert (proj / "assets/logo.bin").read_bytes() == b"\x00\x02logo-v2"  # one side only: taken


def test_exec_bit_removed_by_template(proj: Path, tpl: TemplateRepo) -> None:
    release_v2(tpl)  # v2 makes run.sh executable
    assert up(proj)[0] == 0
    git("commit", "-q", "--no-edit", cwd=proj)
    assert git("ls-files", "-s", "run.sh", cwd=proj).startswith("100755")
    (tpl.root / "run.sh").chmod(0o644)
    tpl.release("v3")
    assert up(proj)[0] == 0
    assert not os.access(proj / "run.sh", os.X_OK)
    assert git("ls-files", "-s", "run.sh", cwd=proj).startswith("100644")


def test_template_file_colliding_with_ignored_file(proj: Path, tpl: TemplateRepo) -> None:
    (proj / "data").mkdir()
    (proj / "data/raw.csv").write_text("precious\n")
    release_v2(tpl)
    tpl.write({"data/raw.csv": "template's\n", ".gitignore": "cache/\n"})
    tpl.release("v3")
    before = tree_snapshot(proj)
    refs = git("for-each-ref", cwd=proj)
    code, _, err = up(proj)
    assert code == 3 and "data/raw.csv" in err
    assert tree_snapshot(proj) == before and git("for-each-ref", cwd=proj) == refs


def test_untracked_and_dirty_trees_are_refused(proj: Path, tpl: TemplateRepo) -> None:
    release_v2(tpl)
    (proj / "notes.txt").write_text("x")
    code, _, err = up(proj)
    assert code == 3 and "notes.txt" in err
    (proj / "notes.txt").unlink()
    (proj / "train.py").write_text("changed\n")
    code, _, err = up(proj)
    assert code == 3 and "train.py" in err


def test_answers_change_adds_and_removes_conditional_files(proj: Path) -> None:
    code, out, err = up(proj, "--data", "with_extra=true")
    assert code == 0, out + err
    assert (proj / "extra.txt").read_text() == "extra for demo\n"
    git("commit", "-q", "--no-edit", cwd=proj)
    assert yaml.safe_load((proj / ".dlgen.yml").read_text())["answers"]["with_extra"] is True
    assert up(proj, "--data", "with_extra=false")[0] == 0
    assert not (proj / "extra.txt").exists()
    git("commit", "-q", "--no-edit", cwd=proj)
    assert up(proj, "--data", "colour=red")[0] == 2


def test_second_update_does_not_repeat_settled_conflicts(proj: Path, tpl: TemplateRepo) -> None:
    (proj / "config.yaml").write_text("lr: 0.01\nepochs: 10\n")
    commit_all(proj, "tune")
    release_v2(tpl)
    assert up(proj)[0] == 4
    (proj / "config.yaml").write_text("lr: 0.01\nepochs: 10\n")
    git("add", "config.yaml", cwd=proj)
    git("commit", "-q", "--no-edit", cwd=proj)
    tpl.write({"README.md": "new in v3\n"})
    tpl.release("v3")
    code, out, _ = up(proj)
    assert code == 0 and "CONFLICTS" not in out
    assert (proj / "config.yaml").read_text() == "lr: 0.01\nepochs: 10\n"


def test_dry_run_touches_nothing(proj: Path, tpl: TemplateRepo) -> None:
    (proj / "config.yaml").write_text("lr: 0.01\nepochs: 10\n")
    commit_all(proj, "tune")
    release_v2(tpl)
    before, refs = tree_snapshot(proj), git("for-each-ref", cwd=proj)
    index = (proj / ".git/index").read_bytes()
    code, out, _ = up(proj, "--dry-run")
    assert code == 0 and "would conflict:\n  config.yaml" in out and "would change" in out
    assert tree_snapshot(proj) == before and git("for-each-ref", cwd=proj) == refs
    assert (proj / ".git/index").read_bytes() == index


def test_abort_restores_byte_for_byte(proj: Path, tpl: TemplateRepo) -> None:
    (proj / "config.yaml").write_text("lr: 0.01\nepochs: 10\n")
    commit_all(proj, "tune")
    release_v2(tpl)
    before = {k: v[:2] for k, v in tree_snapshot(proj).items()}
    refs = git("for-each-ref", "refs/heads", cwd=proj)
    assert up(proj)[0] == 4
    code, out, _ = up(proj, "--abort")
    assert code == 0 and "aborted" in out
    assert {k: v[:2] for k, v in tree_snapshot(proj).items()} == before
    assert git("for-each-ref", "refs/heads", cwd=proj) == refs
    assert git("for-each-ref", "refs/dlgen", cwd=proj) == "" and status(proj) == ""
    assert up(proj, "--abort")[0] == 3


@pytest.mark.parametrize("step", ["keep_create_only", "start_merge", "settle", "write_record"])
def test_interruption_at_each_step(
    proj: Path, tpl: TemplateRepo, step: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """^C after a step ran: either nothing changed, or --abort restores everything."""
    (proj / "config.yaml").write_text("lr: 0.01\nepochs: 10\n")
    commit_all(proj, "tune")
    release_v2(tpl)
    before = {k: v[:2] for k, v in tree_snapshot(proj).items()}
    refs = git("for-each-ref", "refs/heads", cwd=proj)
    real = getattr(update_mod, step)

    def interrupted(*args: object, **kwargs: object) -> object:
        real(*args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(update_mod, step, interrupted)
    assert up(proj)[0] == 130
    monkeypatch.undo()
    if git("for-each-ref", "refs/dlgen", cwd=proj):
        assert up(proj, "--abort")[0] == 0
    assert {k: v[:2] for k, v in tree_snapshot(proj).items()} == before
    assert git("for-each-ref", "refs/heads", cwd=proj) == refs and status(proj) == ""
    assert up(proj)[0] == 4  # and the update works afterwards


def test_project_in_a_monorepo_subdirectory(tmp_path: Path, tpl: TemplateRepo) -> None:
    mono = tmp_path / "mono"
    (mono / "docs").mkdir(parents=True)
    (mono / "docs/index.md").write_text("monorepo\n")
    git("init", "-q", cwd=mono)
    commit_all(mono, "monorepo")
    assert (
        invoke(
            "new", str(mono / "svc/proj"), "--template", f"{tpl.root}@v1", "--defaults", "--no-git"
        ).code
        == 0
    )
    commit_all(mono, "add project")
    result = invoke("adopt", str(mono / "svc/proj"), "--template", f"{tpl.root}@v1")
    assert result.code == 0, result.err
    train = mono / "svc/proj/train.py"
    train.write_text(train.read_text().replace("'v1'", "'mine'"))
    commit_all(mono, "tune")
    release_v2(tpl)
    code, out, err = up(mono / "svc/proj")
    assert code == 0, out + err
    assert "'mine'" in train.read_text() and "return 2" in train.read_text()
    assert (mono / "svc/proj/data_utils.py").is_file() and not (mono / "data_utils.py").exists()
    assert (mono / "docs/index.md").read_text() == "monorepo\n"


def test_branch_fetched_from_origin(proj: Path, tpl: TemplateRepo, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    git("clone", "-q", str(proj), str(clone), cwd=tmp_path)
    assert git("branch", "--list", "dlgen/template", cwd=clone) == ""
    release_v2(tpl)
    code, out, err = up(clone)
    assert code == 0, out + err
    assert git("rev-parse", "--verify", "dlgen/template", cwd=clone)


def test_missing_branch_points_to_adopt(tmp_path: Path, tpl: TemplateRepo) -> None:
    """No branch and no render in the history (a `--no-git` project committed by hand)."""
    dst = tmp_path / "proj"
    new = invoke("new", str(dst), "--template", f"{tpl.root}@v1", "--defaults", "--no-git")
    assert new.code == 0, new.err
    git("init", "-q", cwd=dst)
    commit_all(dst, "by hand")
    code, _, err = up(dst)
    assert code == 3 and "dlgen adopt" in err


def test_deleted_branch_comes_back_from_the_history(proj: Path, tpl: TemplateRepo) -> None:
    render = git("rev-parse", "dlgen/template", cwd=proj)
    git("branch", "-D", "dlgen/template", cwd=proj)
    release_v2(tpl)
    code, out, err = up(proj)
    assert code == 0, out + err
    assert git("rev-parse", "dlgen/template^", cwd=proj) == render


def test_polluted_branch_is_refused(proj: Path, tpl: TemplateRepo) -> None:
    git("checkout", "-q", "dlgen/template", cwd=proj)
    (proj / "human.txt").write_text("x")
    commit_all(proj, "human")
    git("checkout", "-q", "main", cwd=proj)
    release_v2(tpl)
    code, _, err = up(proj)
    assert code == 3 and "not a pristine render" in err


def test_guards(tmp_path: Path, proj: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    assert up(plain)[0] == 3
    (proj / ".dlgen.yml").write_text("template: x\ncolour: red\n")
    commit_all(proj, "broken record")
    code, _, err = up(proj)
    assert code == 2 and "colour" in err


def test_bundled_dl_project_across_its_own_versions(tmp_path: Path) -> None:
    """dl-project v1 -> v2 (simulated in a git copy): user edits and create-only files survive."""
    from dlgen.sources import bundled_root

    tpl = tmp_path / "dl-project"
    shutil.copytree(bundled_root() / "templates" / "dl-project", tpl)
    git("init", "-q", cwd=tpl)
    commit_all(tpl, "v1", tag="v1")
    makefile = tpl / "template" / "Makefile.jinja"
    makefile.write_text(makefile.read_text() + "\nversion: ## Show the version\n\t@echo 0.2.0\n")
    params = tpl / "template" / "params.yaml.jinja"
    params.write_text(params.read_text().replace("seed: 42", "seed: 7"))
    commit_all(tpl, "v2", tag="v2")
    proj = tmp_path / "acme"
    assert invoke("new", str(proj), "--template", f"{tpl}@v1", "--defaults", "--no-hooks").code == 0
    (proj / "params.yaml").write_text(
        (proj / "params.yaml").read_text().replace("epochs: 8", "epochs: 50")
    )
    (proj / "README.md").write_text((proj / "README.md").read_text() + "\nOur notes.\n")
    commit_all(proj, "tune and document")
    code, out, err = up(proj)
    assert code == 0, out + err
    assert "create-only, not merged" in out and "params.yaml" in out
    assert "epochs: 50" in (proj / "params.yaml").read_text()
    assert "seed: 42" in (proj / "params.yaml").read_text()
    assert "Our notes." in (proj / "README.md").read_text()
    assert "@echo 0.2.0" in (proj / "Makefile").read_text()


def test_migrations_of_bundled_templates_run_once_after_the_merge(
    proj: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dlgen import answers, lifecycle, migrations, sources

    hooks = tmp_path / "bundle" / "hooks" / "tpl"
    hooks.mkdir(parents=True)
    (hooks / "migrate.py").write_text(
        "def migrate(project, old_version, new_version, answers):\n"
        "    if old_version < 'v2' <= new_version:\n"
        "        (project / 'MIGRATED').write_text(f'{old_version}->{new_version}')\n"
    )
    monkeypatch.setattr(lifecycle, "bundled_root", lambda: tmp_path / "bundle")
    monkeypatch.setattr(sources, "bundled_names", lambda: ["tpl"])
    old = answers.load(proj)
    project = update_mod.Project(proj, proj, "", old, "")
    planned = migrations.bundled("tpl", (old.template_version, "v2"), old.answers)
    update_mod.run_migrations(project, planned)
    assert (proj / "MIGRATED").read_text() == "v1->v2"


def test_update_after_git_merge_abort_merges_again(proj: Path, tpl: TemplateRepo) -> None:
    """`git reset --merge` (not dlgen's abort) leaves the branch advanced: the next update, even
    after more commits, must not call the project up to date; it rewinds and merges again."""
    (proj / "config.yaml").write_text("lr: 0.01\nepochs: 10\n")
    commit_all(proj, "tune")
    release_v2(tpl)
    head = git("rev-parse", "HEAD", cwd=proj)
    assert up(proj)[0] == 4
    git("reset", "-q", "--merge", cwd=proj)
    assert git("rev-parse", "HEAD", cwd=proj) == head and status(proj) == ""
    (proj / "notes.md").write_text("a commit after the abort\n")
    commit_all(proj, "more work")
    code, out, err = up(proj)
    assert code == 4 and "config.yaml" in out and "already up to date" not in out, out + err
    assert (proj / "callbacks.py").is_file()


def test_abort_after_git_merge_abort_and_more_commits(proj: Path, tpl: TemplateRepo) -> None:
    release_v2(tpl)
    tip = git("rev-parse", "dlgen/template", cwd=proj)
    assert up(proj)[0] == 0
    git("reset", "-q", "--merge", cwd=proj)
    (proj / "notes.md").write_text("later work\n")
    commit_all(proj, "later work")
    head = git("rev-parse", "HEAD", cwd=proj)
    code, out, err = up(proj, "--abort")
    assert code == 0, out + err
    assert git("rev-parse", "dlgen/template", cwd=proj) == tip
    assert git("rev-parse", "HEAD", cwd=proj) == head and status(proj) == ""
    assert git("for-each-ref", "refs/dlgen", cwd=proj) == ""
