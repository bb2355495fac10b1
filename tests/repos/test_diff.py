"""`dlgen diff` in the clones people have (issue #16, cases 7 and 9): it compares with the render
the project records, wherever the repository holds it (the local template branch, stale or
missing, or origin's), or refuses with exit 70 and the fix; never a comparison with another
render, never advice to `adopt` a generated project. It writes nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import TemplateRepo, commit_all, git, invoke
from tests.repos.conftest import V2, Repos, assert_same, release, snapshot, up

TUNED = "lr: 0.001\nepochs: 10\n"  # the user's edit of a line that v2 changed (0.0003)


def updated_to_v2(author: Path, tpl: TemplateRepo, *push: str) -> None:
    """The author takes v2, commits it and pushes `push` (main and the template branch)."""
    release(tpl, "v2", V2)
    assert up(author, "--to", "v2").code == 0
    git("commit", "-q", "--no-edit", cwd=author)
    git("push", "-q", "origin", *push, cwd=author)


@pytest.mark.parametrize("local", ["missing", "stale"])
def test_diff_reads_origins_render_when_the_local_branch_is_missing_or_stale(
    repos: Repos, tpl: TemplateRepo, published: tuple[Path, Path], local: str
) -> None:
    """A clone made at v1 (local template branch never made, or left at v1) pulls main at v2."""
    origin, author = published
    clone = repos.clone(origin, "clone")
    if local == "stale":
        git("branch", "dlgen/template", "origin/dlgen/template", cwd=clone)
    v1_render = git("rev-parse", "origin/dlgen/template", cwd=clone)
    updated_to_v2(author, tpl, "main", "dlgen/template")
    git("pull", "-q", "--no-rebase", cwd=clone)
    (clone / "config.yaml").write_text(TUNED)
    expected = {"missing": "", "stale": v1_render}[local]
    assert git("branch", "--list", "--format=%(objectname)", "dlgen/template", cwd=clone) == (
        expected
    )
    before = snapshot(clone)

    names = invoke("diff", "--name-only", str(clone))
    assert (names.code, names.out, names.err) == (0, "M\tconfig.yaml\n", "")
    patch = invoke("diff", str(clone))
    assert (patch.code, patch.err) == (0, "")
    assert patch.out.splitlines()[-3:] == ["-lr: 0.0003", "+lr: 0.001", " epochs: 10"], patch.out
    assert_same(before, snapshot(clone))  # no branch made or moved, nothing written


def test_diff_refuses_when_the_recorded_render_is_nowhere(
    repos: Repos, tpl: TemplateRepo, published: tuple[Path, Path]
) -> None:
    """main pushed without the template branch: origin's branch holds only v1's render."""
    origin, author = published
    updated_to_v2(author, tpl, "main")
    clone = repos.clone(origin, "clone")
    before = snapshot(clone)
    result = invoke("diff", str(clone))
    assert (result.code, result.out) == (70, ""), result
    assert result.err == (
        "dlgen: error: the render of v2 this project records is on neither dlgen/template nor "
        "origin/dlgen/template here (main pushed without it?): push it from the clone that took "
        "that update (`git push origin dlgen/template`), fetch it here (`git fetch origin "
        "dlgen/template`), then run dlgen again\n"
    ), result.err
    assert_same(before, snapshot(clone))


def test_diff_in_a_shallow_clone_says_how_to_fetch_the_history(
    repos: Repos, published: tuple[Path, Path]
) -> None:
    """actions/checkout's depth 1: no render here at all; never `run dlgen adopt first`."""
    origin, author = published
    (author / "NOTES.md").write_text("notes\n")
    commit_all(author, "notes")
    git("push", "-q", "origin", "main", cwd=author)
    ci = repos.shallow(origin, "ci", 1)
    before = snapshot(ci)
    result = invoke("diff", str(ci))
    assert (result.code, result.out) == (70, ""), result
    assert result.err.count("\n") == 1, result.err
    assert "is a shallow clone" in result.err, result.err
    assert "fetch-depth: 0" in result.err and "GIT_DEPTH: 0" in result.err, result.err
    assert_same(before, snapshot(ci))
