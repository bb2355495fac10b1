"""What already holds in the repositories people have (issue #16, "kept as they are"): CRLF
work trees and blobs, type changes, unusual names, stashes, hooks on the merge commit, a large
project. Each keeps a test so that the fixes for the other cases cannot break it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import TemplateRepo, commit_all, git, invoke
from tests.repos.conftest import V2, Repos, assert_same, release, snapshot, tree_at, up


def test_crlf_work_tree_conflicts_honestly_and_merges_cleanly(
    repos: Repos, tpl: TemplateRepo, published: tuple[Path, Path]
) -> None:
    """core.autocrlf=true: a line both sides changed is exit 4; other lines merge, no noise."""
    origin, _ = published
    win = repos.clone(origin, "win", config={"core.autocrlf": "true"})
    assert (win / "config.yaml").read_bytes() == b"lr: 0.1\r\nepochs: 10\r\n"
    (win / "config.yaml").write_bytes(b"lr: 0.2\r\nepochs: 10\r\n")
    commit_all(win, "tune lr")
    release(tpl, "v2", V2)
    result = up(win, "--to", "v2")
    assert result.code == 4, result
    assert result.out.splitlines()[-2:] == [
        "CONFLICTS (fix, `git add`, then commit):",
        "  config.yaml",
    ]
    assert (win / "src/model.py").read_bytes() == b"LAYERS = 4\r\n"
    (win / "config.yaml").write_bytes(b"lr: 0.2\r\nepochs: 10\r\n")
    git("add", "config.yaml", cwd=win)
    git("commit", "-q", "--no-edit", cwd=win)
    assert git("status", "--porcelain", cwd=win) == ""
    assert tree_at(win, "HEAD")["config.yaml"] == ("100644", b"lr: 0.2\nepochs: 10\n")


def test_crlf_blobs_conflict_on_a_line_both_changed(repos: Repos) -> None:
    """A template file stored with CRLF (a .bat): both sides change a line: exit 4."""
    t = repos.template({"copier.yml": "name:\n  default: demo\n", "win.bat": "echo v1\r\nexit\r\n"})
    proj = repos.project(t, "proj")
    (proj / "win.bat").write_bytes(b"echo mine\r\nexit\r\n")
    commit_all(proj, "mine")
    t.write({"win.bat": "echo v2\r\nexit\r\n"})
    t.release("v2")
    result = up(proj, "--to", "v2")
    assert result.code == 4, result
    assert "  win.bat" in result.out.splitlines()
    data = (proj / "win.bat").read_bytes()
    assert b"echo mine\r\n" in data and b"echo v2\r\n" in data and b"<<<<<<<" in data


def test_file_becomes_directory_and_user_symlink_is_kept(repos: Repos) -> None:
    """The template turns `notes` into `notes/`; the user's symlink over a template file the
    template changes is a conflict that keeps the symlink."""
    t = repos.template(
        {"copier.yml": "name:\n  default: demo\n", "notes": "one file\n", "link.txt": "v1\n"}
    )
    proj = repos.project(t, "proj")
    (proj / "link.txt").unlink()
    (proj / "link.txt").symlink_to("notes")
    commit_all(proj, "link")
    (t.root / "notes").unlink()
    t.write({"notes/a.md": "a\n", "link.txt": "v2\n"})
    t.release("v2")
    result = up(proj, "--to", "v2")
    assert result.code == 4, result
    assert "  link.txt" in result.out.splitlines()
    assert (proj / "notes/a.md").read_bytes() == b"a\n"
    assert os.readlink(proj / "link.txt") == "notes"


NAMES = [
    "données/ünïcødé.txt",
    'a "quoted" name with spaces.txt',
    "/".join(["d" * 200] * 10) + "/deep.txt",  # a 2 KB path
]


def test_unicode_quoted_and_long_paths_merge(repos: Repos, tpl: TemplateRepo) -> None:
    proj = repos.project(tpl, "proj")
    release(tpl, "v2", {**V2, **{name: f"{name[:8]}\n" for name in NAMES}})
    result = up(proj, "--to", "v2")
    assert (result.code, result.err) == (0, ""), result
    git("commit", "-q", "--no-edit", cwd=proj)
    tree = tree_at(proj, "HEAD")
    for name in NAMES:
        assert tree[name] == ("100644", f"{name[:8]}\n".encode())
        assert (proj / name).read_text() == f"{name[:8]}\n"
    assert invoke("check", str(proj)).code == 0


def test_non_utf8_file_name_of_the_user_is_untouched(repos: Repos, tpl: TemplateRepo) -> None:
    proj = repos.project(tpl, "proj")
    name = os.fsdecode(b"caf\xe9.txt")
    (proj / name).write_bytes(b"latin-1 named\n")
    commit_all(proj, "latin-1 name")
    release(tpl, "v2", V2)
    result = up(proj, "--to", "v2")
    assert (result.code, result.err) == (0, ""), result
    git("commit", "-q", "--no-edit", cwd=proj)
    assert (proj / name).read_bytes() == b"latin-1 named\n"
    assert git("status", "--porcelain", cwd=proj) == ""


def test_stash_entries_survive_an_update(repos: Repos, tpl: TemplateRepo) -> None:
    proj = repos.project(tpl, "proj")
    (proj / "train.py").write_text("work in progress\n")
    git("stash", "-q", cwd=proj)
    stash = git("stash", "list", "--format=%H %gs", cwd=proj)
    release(tpl, "v2", V2)
    result = up(proj, "--to", "v2")
    assert result.code == 0, result
    git("commit", "-q", "--no-edit", cwd=proj)
    assert git("stash", "list", "--format=%H %gs", cwd=proj) == stash
    git("stash", "pop", "-q", cwd=proj)
    assert (proj / "train.py").read_text() == "work in progress\n"


def test_failing_pre_commit_hook_on_the_merge_commit(repos: Repos, tpl: TemplateRepo) -> None:
    """The update is staged; the team's hook refuses the commit; --abort restores everything."""
    proj = repos.project(tpl, "proj")
    hook = proj / ".git/hooks/pre-commit"
    hook.write_text("#!/bin/sh\necho 'lint failed' >&2\nexit 1\n")
    hook.chmod(0o755)
    before = snapshot(proj)
    release(tpl, "v2", V2)
    assert up(proj, "--to", "v2").code == 0
    committed = git("commit", "-q", "--no-edit", cwd=proj, check=False)
    assert committed == "" and git("rev-parse", "HEAD", cwd=proj) == before.head.split()[1] + "\n"
    assert "M  config.yaml\n" in git("status", "--porcelain", cwd=proj)  # still staged
    aborted = up(proj, "--abort")
    assert (aborted.code, aborted.err) == (0, ""), aborted
    assert_same(before, snapshot(proj))


@pytest.mark.slow
def test_fifty_thousand_files(repos: Repos, tpl: TemplateRepo) -> None:
    """A large project: the update merges and touches none of the user's 50k files."""
    proj = repos.project(tpl, "proj")
    for d in range(100):
        folder = proj / "corpus" / f"{d:03}"
        folder.mkdir(parents=True)
        for f in range(500):
            (folder / f"{f:03}.txt").write_bytes(b"%d %d\n" % (d, f))
    commit_all(proj, "corpus")
    release(tpl, "v2", V2)
    result = up(proj, "--to", "v2")
    assert (result.code, result.err) == (0, ""), result
    assert "corpus" not in result.out
    git("commit", "-q", "--no-edit", cwd=proj)
    assert git("status", "--porcelain", cwd=proj) == ""
    assert (proj / "corpus/099/499.txt").read_bytes() == b"99 499\n"
