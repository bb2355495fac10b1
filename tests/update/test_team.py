"""Teams: clones share a bare origin; the history, not a local branch, says what a project merged.

Real git (a bare origin, two clones), real copier, the real CLI entry point.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import TemplateRepo, commit_all, git, invoke, tree_snapshot, up

V1 = {
    "copier.yml": "name:\n  default: demo\n",
    "config.yaml": "lr: 0.1\nepochs: 10\n",
    "train.py": "def train():\n    return 'v1'\n",
    "README.md": "# {{ name }}\n",
}


def release_v2(t: TemplateRepo) -> None:
    t.write({"config.yaml": "lr: 0.0003\nepochs: 10\n", "callbacks.py": "CALLBACKS = []\n"})
    t.release("v2")


def release_v3(t: TemplateRepo) -> None:
    t.write({"train.py": "def train():\n    return 'v3'\n", "eval.py": "def evaluate(): ...\n"})
    t.release("v3")


@pytest.fixture
def team(tmp_path: Path, tpl: TemplateRepo) -> tuple[Path, Path, Path]:
    """(origin, a, b): A generated the project and pushed main and the template branch; B cloned
    it and keeps a local template branch, as after an earlier update of B's own."""
    a, b, origin = tmp_path / "a", tmp_path / "b", tmp_path / "origin.git"
    result = invoke("new", str(a), "--template", f"{tpl.root}@v1", "--defaults", "--no-hooks")
    assert result.code == 0, result.err
    git("init", "-q", "--bare", str(origin), cwd=tmp_path)
    git("remote", "add", "origin", str(origin), cwd=a)
    git("push", "-q", "-u", "origin", "main", "dlgen/template", cwd=a)
    git("clone", "-q", str(origin), str(b), cwd=tmp_path)
    git("branch", "dlgen/template", "origin/dlgen/template", cwd=b)
    return origin, a, b


def rev(proj: Path, name: str) -> str:
    return git("rev-parse", name, cwd=proj).strip()


def state(proj: Path) -> tuple[str, str, str, dict[str, tuple[int, bytes, int]]]:
    """Refs, HEAD, index, work tree (bytes, modes, mtimes): to prove a refusal changed nothing."""
    return (
        git("for-each-ref", cwd=proj),
        rev(proj, "HEAD"),
        git("ls-files", "-s", cwd=proj),
        tree_snapshot(proj),
    )


def update_and_commit(proj: Path, to: str) -> str:
    code, out, err = up(proj, "--to", to)
    assert code == 0 and "CONFLICTS" not in out, out + err
    git("commit", "-q", "--no-edit", cwd=proj)
    return out


def a_pushes_its_update_to_v2(a: Path, tpl: TemplateRepo) -> None:
    """The template releases v2; clone A updates to it and pushes main and the template branch."""
    release_v2(tpl)
    update_and_commit(a, "v2")
    git("push", "-q", "origin", "main", "dlgen/template", cwd=a)


def test_teammate_merged_update_is_up_to_date_and_both_reach_v3(
    team: tuple[Path, Path, Path], tpl: TemplateRepo
) -> None:
    _, a, b = team
    pushed = ["main", "dlgen/template"]
    release_v2(tpl)
    update_and_commit(a, "v2")
    (a / "config.yaml").write_text("lr: 0.001\nepochs: 10\n")  # the team tunes a v2 line
    commit_all(a, "tune lr")
    git("push", "-q", "origin", *pushed, cwd=a)

    git("pull", "-q", "--no-rebase", "--no-edit", cwd=b)
    drift = invoke("diff", str(b)).out  # from the render main merged, not B's stale branch
    assert "-lr: 0.0003\n+lr: 0.001\n" in drift and "callbacks" not in drift
    code, out, err = up(b, "--to", "v2")
    assert code == 0 and out.startswith("already up to date"), out + err
    assert git("status", "--porcelain", cwd=b) == ""
    assert (b / "config.yaml").read_text() == "lr: 0.001\nepochs: 10\n"
    assert rev(b, "dlgen/template") == rev(a, "dlgen/template")  # the cache fast-forwarded

    release_v3(tpl)
    update_and_commit(a, "v3")
    git("push", "-q", "origin", *pushed, cwd=a)
    (b / "NOTES.md").write_text("B's own work\n")
    commit_all(b, "notes")
    out = update_and_commit(b, "v3")
    assert "eval.py" in out and (b / "train.py").read_text() == "def train():\n    return 'v3'\n"
    # B merged A's render of v3 itself: one line of renders for the whole team
    assert rev(b, "dlgen/template") == rev(a, "dlgen/template")
    git("pull", "-q", "--no-rebase", "--no-edit", cwd=b)
    assert git("status", "--porcelain", cwd=b) == ""
    git("push", "-q", "origin", "main", "dlgen/template", cwd=b)
    assert (b / "config.yaml").read_text() == "lr: 0.001\nepochs: 10\n"
    git("pull", "-q", "--no-rebase", "--no-edit", cwd=a)
    for clone in (a, b):
        code, out, err = up(clone, "--to", "v3")
        assert code == 0 and out.startswith("already up to date"), out + err
        assert invoke("check", str(clone)).code == 0


def test_main_pushed_without_the_template_branch_is_refused_with_the_fix(
    team: tuple[Path, Path, Path], tpl: TemplateRepo
) -> None:
    """The update is an ordinary commit: the render it took lives on the template branch only.
    Pushed without it, a teammate's update cannot know its base: exit 70 naming the push."""
    _, a, b = team
    release_v2(tpl)
    update_and_commit(a, "v2")
    git("push", "-q", "origin", "main", cwd=a)
    git("pull", "-q", "--no-rebase", "--no-edit", cwd=b)
    before = state(b)
    code, out, err = up(b, "--to", "v2")
    assert code == 70 and out == "" and err.count("\n") == 1, out + err
    assert "`git push origin dlgen/template`" in err
    assert state(b) == before
    git("push", "-q", "origin", "dlgen/template", cwd=a)
    code, out, err = up(b, "--to", "v2")
    assert code == 0 and out.startswith("already up to date"), out + err


def test_dry_run_reads_the_history_and_neither_fetches_nor_moves_a_ref(
    team: tuple[Path, Path, Path], tpl: TemplateRepo
) -> None:
    _, a, b = team
    a_pushes_its_update_to_v2(a, tpl)
    git("pull", "-q", "--no-rebase", "--no-edit", cwd=b)
    before = state(b)
    code, out, err = up(b, "--to", "v2", "--dry-run")
    assert code == 0 and out.startswith("already up to date"), out + err
    assert state(b) == before  # the stale local branch stays; nothing fetched
    release_v3(tpl)
    code, out, err = up(b, "--to", "v3", "--dry-run")
    assert code == 0 and "template v2 -> v3: would change:" in out and "eval.py" in out, out + err
    assert "callbacks.py" not in out  # measured from the render HEAD took, not the stale branch
    assert state(b) == before


def test_offline_clone_uses_origins_remote_tracking_branch(
    team: tuple[Path, Path, Path], tpl: TemplateRepo, tmp_path: Path
) -> None:
    _, _, b = team
    git("branch", "-D", "dlgen/template", cwd=b)
    git("remote", "set-url", "origin", str(tmp_path / "unreachable.git"), cwd=b)
    release_v2(tpl)
    code, out, err = up(b, "--to", "v2")
    assert code == 0, out + err
    assert rev(b, "dlgen/template^") == rev(b, "origin/dlgen/template")
    assert (b / "callbacks.py").is_file()


def test_render_pushed_by_template_sync_is_merged_as_it_is(
    team: tuple[Path, Path, Path], tpl: TemplateRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """template-sync.yml pushes its render with the pull request, before main merges it: a
    teammate who updates meanwhile merges that very commit, so both pushes fast-forward."""
    _, a, b = team
    release_v2(tpl)
    git("switch", "-q", "-c", "dlgen-template-sync", cwd=a)
    with monkeypatch.context() as m:  # the CI job ran at another time than B's update
        m.setenv("GIT_COMMITTER_DATE", "@2000000000 +0000")
        update_and_commit(a, "v2")
    git("push", "-q", "origin", "dlgen-template-sync", "dlgen/template", cwd=a)
    sync_render = rev(a, "dlgen/template")
    code, out, err = up(b, "--to", "v2")
    assert code == 0 and "callbacks.py" in out, out + err
    assert sync_render == rev(b, "dlgen/template")
    assert f"Dlgen-Update: {sync_render}\n" in (b / ".git/MERGE_MSG").read_text()
    git("commit", "-q", "--no-edit", cwd=b)
    git("push", "-q", "origin", "main", "dlgen/template", cwd=b)


def test_diverged_renders_are_refused_and_the_advice_works(
    team: tuple[Path, Path, Path],
    tpl: TemplateRepo,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    origin, a, b = team
    a_pushes_its_update_to_v2(a, tpl)
    git("remote", "set-url", "origin", str(tmp_path / "unreachable.git"), cwd=b)
    with monkeypatch.context() as m:  # offline, B renders v2 on its own, at another time
        m.setenv("GIT_COMMITTER_DATE", "@2000000000 +0000")
        update_and_commit(b, "v2")
    git("remote", "set-url", "origin", str(origin), cwd=b)
    git("fetch", "-q", "origin", cwd=b)
    assert rev(b, "dlgen/template") != rev(b, "origin/dlgen/template")
    release_v3(tpl)
    before = state(b)
    code, out, err = up(b, "--to", "v3")
    assert code == 3, out + err
    assert "different template renders" in err
    assert "`git branch -f dlgen/template origin/dlgen/template`" in err
    assert state(b) == before
    assert up(b, "--to", "v3", "--dry-run")[0] == 3

    git("pull", "-q", "--no-rebase", "--no-edit", cwd=b)  # the advice, step by step
    git("branch", "-f", "dlgen/template", "origin/dlgen/template", cwd=b)
    update_and_commit(b, "v3")
    git("push", "-q", "origin", "main", "dlgen/template", cwd=b)


def test_squash_merged_update_still_works_from_the_branch(
    tmp_path: Path, tpl: TemplateRepo
) -> None:
    proj = tmp_path / "proj"
    made = invoke("new", str(proj), "--template", f"{tpl.root}@v1", "--defaults", "--no-hooks")
    assert made.code == 0, made.err
    release_v2(tpl)
    git("switch", "-q", "-c", "upd", cwd=proj)
    update_and_commit(proj, "v2")
    git("switch", "-q", "main", cwd=proj)
    git("merge", "-q", "--squash", "upd", cwd=proj)
    git("commit", "-q", "-m", "template v2 (squashed)", cwd=proj)
    git("branch", "-q", "-D", "upd", cwd=proj)
    code, out, err = up(proj, "--to", "v2")
    assert code == 0 and out.startswith("already up to date"), out + err
    release_v3(tpl)
    update_and_commit(proj, "v3")
    assert (proj / "eval.py").is_file() and "'v3'" in (proj / "train.py").read_text()


def test_a_checked_out_template_branch_is_never_fast_forwarded(
    team: tuple[Path, Path, Path], tpl: TemplateRepo
) -> None:
    _, a, b = team
    a_pushes_its_update_to_v2(a, tpl)
    git("fetch", "-q", "origin", cwd=b)
    git("switch", "-q", "dlgen/template", cwd=b)
    before = state(b)
    code, out, err = up(b, "--to", "v2")
    assert code == 3 and "dlgen/template is checked out" in err, out + err
    assert state(b) == before


def test_check_compares_with_the_render_main_merged_not_a_stale_branch(
    tmp_path: Path, template_factory: Callable[..., TemplateRepo]
) -> None:
    """A teammate merged v2 and pushed main and the branch; B's local branch still holds v1,
    and check must compare B's enforced file with v2's render (origin's), not v1's."""
    files = {**V1, "copier.yml": "name:\n  default: demo\n_dlgen:\n  enforced: [config.yaml]\n"}
    t = template_factory(files, name="enforcing")
    t.release("v1")
    a, b, origin = tmp_path / "a", tmp_path / "b", tmp_path / "origin.git"
    assert invoke("new", str(a), "--template", f"{t.root}@v1", "--defaults", "--no-hooks").code == 0
    git("init", "-q", "--bare", str(origin), cwd=tmp_path)
    git("remote", "add", "origin", str(origin), cwd=a)
    git("push", "-q", "-u", "origin", "main", "dlgen/template", cwd=a)
    git("clone", "-q", str(origin), str(b), cwd=tmp_path)
    git("branch", "dlgen/template", "origin/dlgen/template", cwd=b)
    release_v2(t)
    update_and_commit(a, "v2")
    git("push", "-q", "origin", "main", "dlgen/template", cwd=a)
    git("pull", "-q", "--no-rebase", "--no-edit", cwd=b)
    assert rev(b, "dlgen/template") != rev(a, "dlgen/template")  # B's cache is stale
    result = invoke("check", str(b))
    assert result.code == 0, result.out + result.err
    (b / "config.yaml").write_text("lr: 1.0\nepochs: 10\n")
    result = invoke("check", str(b))
    assert result.code == 1 and "DLG005" in result.out and "config.yaml" in result.out
