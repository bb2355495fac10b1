"""`dlgen update` where teams really work: ignored data is a hard wall, --abort undoes
dlgen's update and nothing else, a refused git step is an error, a dry run moves no ref, and the
refusals a careful tool makes. Real git, real copier; each refusal proves nothing changed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import TemplateRepo, commit_all, git, repo_state, state, up

V1: dict[str, str | bytes] = {
    "copier.yml": "name:\n  default: demo\n",
    "config.yaml": "lr: 0.1\nepochs: 10\n",
    "settings.ini": "[auth]\ntoken = CHANGE-ME\n",
    "results": "results are written under results/\n",
    "data/README.md": "put the data here\n",
    "docs/guide.md": "guide v1\n",
    "assets/weights.bin": b"\x00\x01v1",
    ".gitignore": "*.log\n",
}


def refused_unchanged(proj: Path, expect: int, *names: str, args: tuple[str, ...] = ()) -> str:
    before = repo_state(proj)
    code, out, err = up(proj, *args)
    assert code == expect, out + err
    for name in names:
        assert name in err, err
    assert len(err.strip().splitlines()) == 1, err  # one line, no traceback
    assert repo_state(proj) == before
    return err


# --- 3. ignored and untracked data is never touched ---------------------------------------------


def test_private_ignored_copy_of_an_untracked_template_file(proj: Path, tpl: TemplateRepo) -> None:
    """`git rm --cached settings.ini` + an ignored copy holding a secret; the template changes it
    (a modify/delete the merge would write, and dlgen's 'kept deleted' would then remove)."""
    git("rm", "-q", "--cached", "settings.ini", cwd=proj)
    (proj / ".gitignore").write_text("*.log\nsettings.ini\n")
    (proj / "settings.ini").write_text("[auth]\ntoken = s3cr3t\n")
    commit_all(proj, "keep my settings private")
    tpl.write({"settings.ini": "[auth]\ntoken = CHANGE-ME\ntimeout = 30\n"})
    tpl.release("v2")
    err = refused_unchanged(proj, 3, "settings.ini", "ignored file")
    assert "move settings.ini" in err
    assert (proj / "settings.ini").read_text() == "[auth]\ntoken = s3cr3t\n"


def test_ignored_file_where_the_template_adds_a_directory(proj: Path, tpl: TemplateRepo) -> None:
    (proj / ".gitignore").write_text("*.log\n/output\n")
    commit_all(proj, "ignore output")
    (proj / "output").write_bytes(b"\x00 last run's output")
    tpl.write({"output/README.md": "outputs go here\n"})
    tpl.release("v2")
    refused_unchanged(proj, 3, "output is an ignored file", "output/README.md")


def test_ignored_data_symlink_where_the_template_changes_a_file_below(
    proj: Path, tpl: TemplateRepo, tmp_path: Path
) -> None:
    """The usual deep-learning setup: data/ is a symlink to a big disk, ignored."""
    disk = tmp_path / "big-disk"
    (disk / "imagenet").mkdir(parents=True)
    (disk / "imagenet/shard0.bin").write_bytes(os.urandom(4096))
    (disk / "README.md").write_text("the disk's own readme\n")
    git("rm", "-q", "-r", "data", cwd=proj)
    (proj / ".gitignore").write_text("*.log\n/data\n")
    commit_all(proj, "data lives on the big disk")
    (proj / "data").symlink_to(disk)
    tpl.write({"data/README.md": "put the data here (see docs)\n"})
    tpl.release("v2")
    disk_before = state(disk)
    refused_unchanged(proj, 3, "data is an ignored symlink", "data/README.md")
    assert state(disk) == disk_before
    assert os.readlink(proj / "data") == str(disk)


def test_ignored_directory_where_the_template_changes_a_deleted_file(
    proj: Path, tpl: TemplateRepo
) -> None:
    """A checkpoint directory `results/` where the template modifies the file `results` that
    the user deleted: the merge would write the file and wipe the directory."""
    git("rm", "-q", "results", cwd=proj)
    (proj / ".gitignore").write_text("*.log\nresults/\n")
    commit_all(proj, "results is a directory of checkpoints here")
    (proj / "results").mkdir()
    (proj / "results/epoch10.ckpt").write_bytes(os.urandom(2048))
    tpl.write({"results": "results are written under results/ (one folder per run)\n"})
    tpl.release("v2")
    refused_unchanged(proj, 3, "results is an ignored directory")


def test_ignored_side_file_name_is_not_overwritten(proj: Path, tpl: TemplateRepo) -> None:
    (proj / "assets/weights.bin").write_bytes(b"\x00\x01mine")
    (proj / ".gitignore").write_text("*.log\n*.dlgen-new\n")
    commit_all(proj, "retrained")
    (proj / "assets/weights.bin.dlgen-new").write_bytes(b"\x00 an old copy I kept")
    tpl.write({"assets/weights.bin": b"\x00\x01v2"})
    tpl.release("v2")
    refused_unchanged(proj, 3, "assets/weights.bin.dlgen-new")


def test_ignored_data_beside_the_merge_is_untouched(proj: Path, tpl: TemplateRepo) -> None:
    """The wall refuses only real collisions: ignored data elsewhere stays byte- and inode-equal
    through a real update."""
    (proj / ".gitignore").write_text("*.log\n/checkpoints\n")
    commit_all(proj, "ignore checkpoints")
    (proj / "checkpoints").mkdir()
    (proj / "checkpoints/last.pt").write_bytes(os.urandom(1024))
    (proj / "train.log").write_text("epoch 1\n")
    kept = {k: v for k, v in state(proj).items() if k.startswith(("checkpoints", "train.log"))}
    tpl.write({"docs/guide.md": "guide v2\n", "docs/new.md": "new\n"})
    tpl.release("v2")
    code, out, err = up(proj)
    assert code == 0, out + err
    assert {k: v for k, v in state(proj).items() if k in kept} == kept


# --- 4. --abort undoes dlgen's update, only that, completely ------------------------------------


def test_abort_removes_side_files_and_restores_everything(proj: Path, tpl: TemplateRepo) -> None:
    (proj / "assets/weights.bin").write_bytes(b"\x00\x01mine")
    commit_all(proj, "retrained")
    tpl.write({"assets/weights.bin": b"\x00\x01v2", "docs/new.md": "new\n"})
    tpl.release("v2")
    (proj / "train.log").write_text("ignored, kept\n")
    before = repo_state(proj, exact=False)
    code, out, _ = up(proj)
    assert code == 4 and "assets/weights.bin.dlgen-new" in out
    assert up(proj, "--abort")[0] == 0
    assert repo_state(proj, exact=False) == before
    code, out, err = up(proj)  # and the next update is not refused for leftovers
    assert code == 4, out + err


def test_abort_after_a_failed_step_restores_the_record(
    proj: Path, tpl: TemplateRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stale .git/index.lock appears after the merge: writing .dlgen.yml (the user's `check:`
    kept) cannot be staged, and undoing fails too. Once the lock is gone, --abort restores
    everything, .dlgen.yml and the side file included, and the next update is not refused."""
    from dlgen import update as update_mod

    record = proj / ".dlgen.yml"
    text = record.read_text().replace("template_version: v1\n", "template_version: v1  # pin\n")
    record.write_text(text + "check:\n  strict: true\n")  # the version line conflicts
    (proj / "assets/weights.bin").write_bytes(b"\x00\x01mine")
    commit_all(proj, "strict checks, retrained")
    tpl.write({"assets/weights.bin": b"\x00\x01v2", "docs/new.md": "new\n"})
    tpl.release("v2")
    before = repo_state(proj, exact=False)
    monkeypatch.setattr(
        update_mod, "run_migrations", lambda *_: (proj / ".git/index.lock").write_text("")
    )
    code, _, err = up(proj)
    assert code == 1 and "index.lock" in err and "dlgen update --abort" in err, err
    assert "strict: true" in record.read_text() and "v2" in record.read_text()
    monkeypatch.undo()
    (proj / ".git/index.lock").unlink()
    code, out, err = up(proj, "--abort")
    assert code == 0, out + err
    assert repo_state(proj, exact=False) == before
    code, out, err = up(proj)
    assert code == 4, out + err


def test_a_failed_git_merge_changes_nothing(proj: Path, tpl: TemplateRepo) -> None:
    tpl.write({"docs/guide.md": "guide v2\n", "docs/new.md": "new\n"})
    tpl.release("v2")
    (proj / ".git/index.lock").write_text("")
    refused_unchanged(proj, 1, "git cherry-pick", "Unable to create", "nothing changed")


def test_abort_of_a_merge_that_is_not_dlgens_is_refused(proj: Path, tpl: TemplateRepo) -> None:
    git("switch", "-q", "-c", "feature", cwd=proj)
    (proj / "config.yaml").write_text("lr: 0.5\nepochs: 10\n")
    commit_all(proj, "feature")
    git("switch", "-q", "main", cwd=proj)
    (proj / "config.yaml").write_text("lr: 0.2\nepochs: 10\n")
    commit_all(proj, "main")
    git("merge", "feature", cwd=proj, check=False)
    (proj / "config.yaml").write_text("lr: 0.3  # half-resolved\nepochs: 10\n")
    for args in ((), ("--abort",)):
        code = up(proj, *args)[0]
        assert code == 3
    err = refused_unchanged(proj, 3, "no dlgen update in progress", args=("--abort",))
    assert "not dlgen's" in err
    assert (proj / ".git/MERGE_HEAD").exists()
    assert (proj / "config.yaml").read_text() == "lr: 0.3  # half-resolved\nepochs: 10\n"


def test_abort_with_nothing_in_progress(proj: Path) -> None:
    refused_unchanged(proj, 3, "no dlgen update in progress", args=("--abort",))


def test_stale_refs_of_a_committed_update_never_rewind_the_branch(
    proj: Path, tpl: TemplateRepo
) -> None:
    """A squash-merged update (the PR way): its render is not an ancestor of main, but main
    records it; the refs it left must not rewind the branch in --abort, --dry-run or update."""
    tpl.write({"docs/guide.md": "guide v2\n"})
    tpl.release("v2")
    git("switch", "-q", "-c", "template-update", cwd=proj)
    assert up(proj)[0] == 0
    git("commit", "-q", "--no-edit", cwd=proj)
    git("switch", "-q", "main", cwd=proj)
    git("merge", "-q", "--squash", "template-update", cwd=proj)
    git("commit", "-q", "-m", "template v2 (squashed)", cwd=proj)
    git("branch", "-q", "-D", "template-update", cwd=proj)
    assert git("for-each-ref", "refs/dlgen", cwd=proj)  # left by the committed update
    tip = git("rev-parse", "dlgen/template", cwd=proj)
    refused_unchanged(proj, 3, "no dlgen update in progress", args=("--abort",))
    code, out, _ = up(proj, "--dry-run")
    assert code == 0 and out.startswith("already up to date")
    assert git("rev-parse", "dlgen/template", cwd=proj) == tip
    tpl.write({"docs/guide.md": "guide v3\n"})
    tpl.release("v3")
    code, out, err = up(proj)
    assert code in (0, 4) and "v2 -> v3" in out, out + err  # not v1 -> v3 again
    assert git("rev-parse", "dlgen/template^", cwd=proj) == tip


# --- 5. a refused merge is an error -------------------------------------------------------------


def test_merge_verify_signatures_does_not_apply(proj: Path, tpl: TemplateRepo) -> None:
    """The update merges no commit (it applies the render as a change, to be committed as the
    user's own), so merge.verifySignatures has nothing to verify."""
    git("config", "merge.verifySignatures", "true", cwd=proj)
    tpl.write({"docs/guide.md": "guide v2\n", "docs/new.md": "new\n"})
    tpl.release("v2")
    code, out, err = up(proj)
    assert (code, err) == (0, ""), out
    assert (proj / "docs/new.md").read_text() == "new\n"


# --- 6. --dry-run never moves a ref -------------------------------------------------------------


def test_dry_run_with_leftover_abort_refs_moves_nothing(proj: Path, tpl: TemplateRepo) -> None:
    """After `git reset --merge` the saved refs are left over; a dry run reports the version
    that was never merged and leaves every ref, the index and the work tree as they are."""
    tpl.write({"docs/guide.md": "guide v2\n"})
    tpl.release("v2")
    assert up(proj)[0] == 0
    git("reset", "-q", "--merge", cwd=proj)
    before = repo_state(proj)
    code, out, err = up(proj, "--dry-run")
    assert code == 0 and "v1 -> v2: would change" in out and "docs/guide.md" in out, out + err
    assert repo_state(proj) == before


def test_dry_run_reports_kept_deleted_not_conflict(proj: Path, tpl: TemplateRepo) -> None:
    git("rm", "-q", "docs/guide.md", cwd=proj)
    commit_all(proj, "no guide")
    tpl.write({"docs/guide.md": "guide v2\n"})
    tpl.release("v2")
    code, out, _ = up(proj, "--dry-run")
    assert code == 0 and "kept deleted" in out and "docs/guide.md" in out
    assert "conflict" not in out
    code, real, _ = up(proj)
    assert code == 0 and "kept deleted" in real and "docs/guide.md" in real


# --- 7. refusals a careful tool makes -----------------------------------------------------------


def test_template_branch_checked_out_is_refused(proj: Path, tpl: TemplateRepo) -> None:
    tpl.write({"docs/guide.md": "guide v2\n"})
    tpl.release("v2")
    git("switch", "-q", "dlgen/template", cwd=proj)
    refused_unchanged(proj, 3, "dlgen/template is checked out")
    git("switch", "-q", "main", cwd=proj)
    git("worktree", "add", "-q", str(proj.parent / "wt"), "dlgen/template", cwd=proj)
    refused_unchanged(proj, 3, "dlgen/template is checked out")


def test_downgrade_is_refused(proj: Path, tpl: TemplateRepo) -> None:
    tpl.write({"docs/guide.md": "guide v2\n"})
    tpl.release("v2")
    assert up(proj)[0] == 0
    git("commit", "-q", "--no-edit", cwd=proj)
    assert up(proj)[1].startswith("already up to date")  # settles the committed update's refs
    refused_unchanged(proj, 2, "v1 is older than this project's v2", args=("--to", "v1"))
    refused_unchanged(proj, 2, "v1 is older", args=("--to", "v1", "--dry-run"))


@pytest.mark.parametrize("reauthor", [True, False], ids=["reauthored", "rebased"])
def test_history_rewritten_from_its_root_still_updates(
    proj: Path, tpl: TemplateRepo, reauthor: bool
) -> None:
    """`git rebase --root` (every commit re-authored, or the render kept on a new commit): no
    merge base with the branch, but the render the record names is on it, and the update
    applies the template's change from there."""
    (proj / "notes.md").write_text("notes\n")
    commit_all(proj, "notes")
    again = ["--exec", "git commit -q --amend --no-edit --reset-author"] if reauthor else []
    git("-c", "user.name=Rewriter", "rebase", "-q", "--root", "--force-rebase", *again, cwd=proj)
    assert git("merge-base", "HEAD", "dlgen/template", cwd=proj, check=False) == ""
    tpl.write({"docs/guide.md": "guide v2\n"})
    tpl.release("v2")
    code, out, err = up(proj)
    assert (code, err) == (0, ""), out
    assert "  M docs/guide.md" in out.splitlines()
    assert (proj / "docs/guide.md").read_text() == "guide v2\n"
