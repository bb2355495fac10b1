"""Case 7 of issue #16: shallow CI checkouts (actions/checkout's depth 1, GitLab's small
GIT_DEPTH). Each command fetches the history it needs or refuses with exit 70 and the fix;
never a pass it cannot prove, never a false finding, never "up to date", never `adopt`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import Outcome, TemplateRepo, commit_all, git, invoke
from tests.repos.conftest import V2, V3, Repos, release, snapshot, tree_at, up

DEPTHS = [1, 3]  # GitHub's default, a small GitLab GIT_DEPTH


def refused_for_depth(result: Outcome) -> bool:
    """Exit 70 with one line saying how to check out the whole history."""
    if result.code != 70:
        return False
    assert result.err.count("\n") == 1, result.err
    assert "fetch-depth: 0" in result.err and "GIT_DEPTH: 0" in result.err, result.err
    return True


@pytest.fixture
def busy_origin(repos: Repos, tpl: TemplateRepo, published: tuple[Path, Path]) -> Path:
    """Origin's main took v2 (committed) five commits ago; a sync PR for v3 is open: origin's
    template branch is one render ahead of main."""
    origin, a = published
    release(tpl, "v2", V2)
    assert up(a, "--to", "v2").code == 0
    git("commit", "-q", "--no-edit", cwd=a)
    for i in range(5):
        (a / f"notes{i}.md").write_text(f"{i}\n")
        commit_all(a, f"notes {i}")
    release(tpl, "v3", V3)
    git("switch", "-q", "-c", "sync-v3", cwd=a)
    assert up(a, "--to", "v3").code == 0
    git("commit", "-q", "--no-edit", cwd=a)
    git("push", "-q", "origin", "main", "sync-v3", "dlgen/template", cwd=a)
    git("switch", "-q", "main", cwd=a)
    return origin


@pytest.mark.parametrize("depth", DEPTHS)
def test_shallow_check_never_passes_a_tampered_enforced_file(
    repos: Repos, busy_origin: Path, depth: int
) -> None:
    ci = repos.shallow(busy_origin, "ci", depth)
    (ci / "Makefile").write_text("test:\n\ttrue\n")
    commit_all(ci, "skip the tests")
    result = invoke("check", str(ci))
    if not refused_for_depth(result):
        assert result.code == 1, result
        assert "Makefile: DLG005 error: differs from the template's pristine render" in (
            result.out
        ), result.out
    fleet = invoke("status", "--exit-code", str(ci))  # the project's row fails, for either reason
    assert fleet.code == 1, fleet
    assert "failing" in fleet.out, fleet.out
    assert "fetch-depth: 0" in fleet.out or "DLG005" in fleet.out, fleet.out


@pytest.mark.parametrize("depth", DEPTHS)
def test_shallow_check_of_an_untouched_main_with_a_sync_pr_open(
    repos: Repos, busy_origin: Path, depth: int
) -> None:
    ci = repos.shallow(busy_origin, "ci", depth, "--no-single-branch")
    result = invoke("check", str(ci))
    assert "DLG005" not in result.out
    if not refused_for_depth(result):
        assert (result.code, result.err) == (0, ""), result.out


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("branches", ["single-branch", "no-single-branch"])
def test_shallow_update_merges_or_refuses_never_up_to_date_never_adopt(
    repos: Repos, busy_origin: Path, depth: int, branches: str
) -> None:
    ci = repos.shallow(busy_origin, "ci", depth, f"--{branches}")
    before = snapshot(ci)
    result = up(ci, "--to", "v3")
    assert "up to date" not in result.out and "adopt" not in result.err, result
    if refused_for_depth(result):
        assert snapshot(ci) == before
        return
    assert result.code == 0, result
    assert result.out.splitlines()[0] == "template v2 -> v3: changes:"
    git("commit", "-q", "--no-edit", cwd=ci)
    tree = tree_at(ci, "HEAD")
    assert tree["train.py"] == ("100644", b"def train():\n    return 'v3'\n")
    assert b"template_version: v3" in tree[".dlgen.yml"][1]
    assert tree["notes4.md"] == ("100644", b"4\n")
    assert invoke("check", str(ci)).code == 0


@pytest.mark.parametrize("depth", DEPTHS)
def test_shallow_adopt_never_commits_a_second_root_render(
    repos: Repos, busy_origin: Path, depth: int, tpl: TemplateRepo
) -> None:
    ci = repos.shallow(busy_origin, "ci", depth)
    before = snapshot(ci)
    result = invoke("adopt", str(ci), "--template", f"{tpl.root}@v2")
    assert result.code != 0, result
    assert snapshot(ci) == before
