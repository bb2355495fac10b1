"""Cases 3, 5, 6, 8, 9, 10 and 16 of issue #16: what new and update write, commit, move and
report about the project's own files."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import TemplateRepo, commit_all, git, invoke
from tests.repos.conftest import (
    V2,
    V3,
    Repos,
    assert_same,
    release,
    snapshot,
    tree_at,
    up,
)

SECRET_COPIER = """\
name:
  default: demo
api_key:
  type: str
  secret: true
  default: changeme
"""


def everything_committed(repo: Path) -> bytes:
    """Every blob and commit message reachable from any ref (what a push could publish)."""
    revs = git("rev-list", "--all", cwd=repo).split()
    out = [git("log", "--all", "--format=%B", cwd=repo).encode()]
    for rev in revs:
        out += [blob for _, blob in tree_at(repo, rev).values()]
    return b"\n".join(out)


def test_secret_answers_and_ignored_files_are_never_committed(repos: Repos) -> None:
    """Case 3: `.env` holds a `secret: true` answer and the template's .gitignore ignores it."""
    t = repos.template(
        {
            "copier.yml": SECRET_COPIER,
            ".gitignore": ".env\n",
            ".env.jinja": "API_KEY={{ api_key }}\n",
            "README.md": "# {{ name }}\n",
        }
    )
    proj = repos.project(t, "proj", "api_key=s3cret-value")
    assert (proj / ".env").read_bytes() == b"API_KEY=s3cret-value\n"  # rendered for the user
    assert b"s3cret-value" not in everything_committed(proj)
    for rev in ("HEAD", "dlgen/template"):
        assert ".env" not in tree_at(proj, rev)
    assert b"api_key" not in (proj / ".dlgen.yml").read_bytes()
    assert git("status", "--porcelain", "--ignored", cwd=proj) == "!! .env\n"

    (proj / ".env").write_text("API_KEY=rotated\n")  # the user's own, ignored
    t.write({"README.md": "# {{ name }} v2\n"})
    t.release("v2")
    result = up(proj, "--to", "v2")
    assert (result.code, result.err) == (0, ""), result
    assert (proj / ".env").read_bytes() == b"API_KEY=rotated\n"
    git("commit", "-q", "--no-edit", cwd=proj)
    assert b"s3cret-value" not in everything_committed(proj)
    assert b"rotated" not in everything_committed(proj)


def test_a_template_moving_a_folder_never_moves_the_users_files(repos: Repos) -> None:
    """Case 5: data/ -> datasets/ in the template; the user's DVC files stay in data/."""
    t = repos.template(
        {"copier.yml": "name:\n  default: demo\n", "data/README.md": "data lives here\n"}
    )
    proj = repos.project(t, "proj")
    (proj / "data/raw").mkdir()
    (proj / "data/raw/images.bin").write_bytes(b"\x00big data")
    (proj / "data/.gitignore").write_text("/raw\n")
    (proj / "data/raw.dvc").write_text("outs:\n- path: raw\n")
    commit_all(proj, "dvc add data/raw")
    (t.root / "datasets").mkdir()
    git("mv", "data/README.md", "datasets/README.md", cwd=t.root)
    t.release("v2")
    result = up(proj, "--to", "v2")
    assert (result.code, result.err) == (0, ""), result
    git("commit", "-q", "--no-edit", cwd=proj)
    tree = tree_at(proj, "HEAD")
    assert sorted(p for p in tree if p.startswith(("data/", "datasets/"))) == [
        "data/.gitignore",
        "data/raw.dvc",
        "datasets/README.md",
    ]
    assert (proj / "data/raw/images.bin").read_bytes() == b"\x00big data"
    assert git("status", "--porcelain", "--ignored", cwd=proj) == "!! data/raw/\n"


CHECK_SECTION = """\
check:
  # The team's reasons, reviewed in #42: keep them with the ignores.
  ignore:
    README.md: our own front page  # owned by docs team
  strict: true  # CI fails on warnings
"""


def test_comments_in_the_check_section_survive_updates(repos: Repos, tpl: TemplateRepo) -> None:
    """Case 6: the `check:` section is the user's; its comments are theirs too."""
    proj = repos.project(tpl, "proj")
    record = proj / ".dlgen.yml"
    record.write_text(record.read_text() + CHECK_SECTION)
    commit_all(proj, "check settings")
    release(tpl, "v2", V2)
    result = up(proj, "--to", "v2")
    assert (result.code, result.err) == (0, ""), result
    text = record.read_text()
    assert text.endswith(CHECK_SECTION), text
    assert "template_version: v2" in text
    git("commit", "-q", "--no-edit", cwd=proj)
    assert invoke("check", str(proj)).code == 0


def test_status_after_a_committed_update_is_not_updating(repos: Repos, tpl: TemplateRepo) -> None:
    """Case 8: a settled update leaves nothing that reads as one in progress."""
    proj = repos.project(tpl, "proj")
    release(tpl, "v2", V2)
    assert up(proj, "--to", "v2").code == 0
    git("commit", "-q", "--no-edit", cwd=proj)
    result = invoke("status", "--exit-code", str(proj))
    assert (result.code, result.err) == (0, ""), result
    assert "updating" not in result.out and "in progress" not in result.out, result.out
    aborted = up(proj, "--abort")
    assert aborted.code == 3 and "no dlgen update in progress" in aborted.err, aborted


def test_fresh_full_clone_passes_strict_check(repos: Repos, published: tuple[Path, Path]) -> None:
    """Case 9: origin/dlgen/template and no local branch is how every clone starts."""
    origin, _ = published
    clone = repos.clone(origin, "fresh")
    assert git("branch", "--list", "dlgen/template", cwd=clone) == ""
    before = snapshot(clone)
    result = invoke("check", "--strict", str(clone))
    assert result.out == "dlgen check: ok: 0 error(s), 0 warning(s)\n", result.out
    assert (result.code, result.err) == (0, "")
    assert_same(before, snapshot(clone))


def test_create_only_change_is_announced_once(repos: Repos, tpl: TemplateRepo) -> None:
    """Case 10: params.yaml (create-only) changes in v2 only; v3 must not announce it again."""
    proj = repos.project(tpl, "proj")
    release(tpl, "v2", {**V2, "params.yaml": "batch_size: 16\n"})
    first = up(proj, "--to", "v2")
    (line,) = [ln for ln in first.out.splitlines() if "create-only" in ln]
    assert line.startswith("  create-only, not merged: params.yaml (template: 1 line added, 1 "), (
        line
    )
    git("commit", "-q", "--no-edit", cwd=proj)
    release(tpl, "v3", V3)
    second = up(proj, "--to", "v3")
    assert second.code == 0, second
    assert "params.yaml" not in second.out, second.out
    assert (proj / "params.yaml").read_bytes() == b"batch_size: 8\n"


LONG = "w" * 244 + ".bin"  # 248 characters: name + ".dlgen-new" would pass NAME_MAX (255)


def test_binary_conflict_on_a_long_file_name(repos: Repos) -> None:
    """Case 16: the side file's name must fit the file system; exit 4, not 70."""
    t = repos.template({"copier.yml": "name:\n  default: demo\n", LONG: b"\x00v1"})
    proj = repos.project(t, "proj")
    (proj / LONG).write_bytes(b"\x00mine")
    commit_all(proj, "mine")
    t.write({LONG: b"\x00v2"})
    t.release("v2")
    result = up(proj, "--to", "v2")
    assert result.code == 4, result
    assert result.out.splitlines()[-2:] == ["CONFLICTS (fix, `git add`, then commit):", f"  {LONG}"]
    side = [
        line.split(": ", 1)[1]
        for line in result.out.splitlines()
        if line.startswith("  template's copy of a conflicting binary: ")
    ]
    assert len(side) == 1 and len(side[0]) <= 255, side
    assert (proj / side[0]).read_bytes() == b"\x00v2"
    assert (proj / LONG).read_bytes() == b"\x00mine"
    aborted = up(proj, "--abort")
    assert aborted.code == 0, aborted
    assert not (proj / side[0]).exists()


def test_abort_with_a_failing_post_checkout_hook_says_it_restored(
    repos: Repos, tpl: TemplateRepo
) -> None:
    """Case 16: a failing post-checkout hook cannot undo a restore that is complete."""
    proj = repos.project(tpl, "proj")
    (proj / "config.yaml").write_text("lr: 0.5\nepochs: 10\n")
    commit_all(proj, "mine")
    hook = proj / ".git/hooks/post-checkout"
    hook.write_text("#!/bin/sh\necho 'post-checkout: failing on purpose' >&2\nexit 1\n")
    hook.chmod(0o755)
    before = snapshot(proj)
    release(tpl, "v2", V2)
    assert up(proj, "--to", "v2").code == 4
    aborted = up(proj, "--abort")
    assert aborted.code == 0, aborted
    assert aborted.out == "update aborted: HEAD, work tree and template branch restored\n"
    assert_same(before, snapshot(proj))
