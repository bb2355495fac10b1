"""Case 1 of issue #16: an update survives rebase pulls, cherry-picks and squash-merged pull
requests; the project's edits made in the update are kept and the next update finds its base.

Two clones and a bare origin, `pull.rebase=true` as many teams set it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import TemplateRepo, commit_all, git, invoke
from tests.repos.conftest import (
    V2,
    V3,
    Repos,
    only_renders_below_renders,
    release,
    snapshot,
    tree_at,
    up,
)

EDITED = b"lr: 0.0003\nepochs: 12  # tuned while taking v2\n"


def take_v2_on(clone: Path) -> None:
    """Update to v2 and, before committing it, tune a line the update touched (the kind of
    edit a conflict resolution is): the edit lives in the update's own commit."""
    result = up(clone, "--to", "v2")
    assert result.code == 0, result.out + result.err
    (clone / "config.yaml").write_bytes(EDITED)
    git("add", "config.yaml", cwd=clone)
    git("commit", "-q", "--no-edit", cwd=clone)


def land(flow: str, a: Path, b: Path) -> None:
    """A takes v2 and the team lands it on origin's main by `flow`; B has pushed meanwhile."""
    (b / "NOTES.md").write_text("B's work\n")
    commit_all(b, "notes")
    git("push", "-q", "origin", "main", cwd=b)
    if flow == "rebase-pull":
        take_v2_on(a)
        git("pull", "-q", cwd=a)  # pull.rebase=true
        git("push", "-q", "origin", "main", "dlgen/template", cwd=a)
        return
    git("switch", "-q", "-c", "template-v2", cwd=a)
    take_v2_on(a)
    git("switch", "-q", "main", cwd=a)
    git("pull", "-q", cwd=a)
    if flow == "cherry-pick":
        git("cherry-pick", "main..template-v2", cwd=a)
    else:  # squash-merged pull request
        git("merge", "-q", "--squash", "template-v2", cwd=a)
        git("commit", "-q", "-m", "Take template v2 (#12)", cwd=a)
    git("push", "-q", "origin", "main", "dlgen/template", cwd=a)


@pytest.mark.parametrize("flow", ["rebase-pull", "cherry-pick", "squash-merge"])
def test_update_survives_history_rewrites_and_the_next_update_finds_its_base(
    repos: Repos, tpl: TemplateRepo, published: tuple[Path, Path], flow: str
) -> None:
    origin, _ = published
    a, b = repos.team(origin, "a", "b", config={"pull.rebase": "true"})
    release(tpl, "v2", V2)
    land(flow, a, b)

    assert (a / "config.yaml").read_bytes() == EDITED  # the edit made in the update is kept
    assert git("status", "--porcelain", cwd=a) == ""
    only_renders_below_renders(a, "HEAD")

    git("pull", "-q", cwd=b)
    release(tpl, "v3", V3)
    result = up(b, "--to", "v3")
    assert (result.code, result.err) == (0, ""), result.out
    assert result.out.splitlines()[0] == "template v2 -> v3: changes:"
    assert "CONFLICTS" not in result.out
    git("commit", "-q", "--no-edit", cwd=b)
    tree = tree_at(b, "HEAD")
    assert tree["config.yaml"] == ("100644", EDITED)
    assert tree["train.py"] == ("100644", b"def train():\n    return 'v3'\n")
    assert tree["NOTES.md"] == ("100644", b"B's work\n")
    assert tree["run.sh"][0] == tree["tool.sh"][0] == "100755"
    assert invoke("check", str(b)).code == 0
    git("push", "-q", "origin", "main", "dlgen/template", cwd=b)

    git("pull", "-q", cwd=a)  # rebase pull of B's update: still one line, still at v3
    only_renders_below_renders(a, "HEAD")
    before = snapshot(a)
    again = up(a, "--to", "v3")
    assert (again.code, again.out, again.err) == (
        0,
        "already up to date with the template (v3)\n",
        "",
    )
    after = snapshot(a)  # the cache branch fast-forwarded, the committed update's refs gone
    kept = [ln for ln in before.refs.splitlines() if " refs/dlgen/" not in ln]
    kept = [ln for ln in kept if not ln.endswith(" refs/heads/dlgen/template")]
    assert [ln for ln in after.refs.splitlines() if ln in kept] == kept
    assert git("rev-parse", "dlgen/template", cwd=a) == git(
        "rev-parse", "origin/dlgen/template", cwd=a
    )
    assert (after.files, after.head, after.index) == (before.files, before.head, before.index)
    assert tree_at(a, "HEAD") == tree
