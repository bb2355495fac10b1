"""`dlgen rollout` end to end (issue 17 §5): a fleet of clones with bare origins, real git and
copier, the real dlgen; the provider's CLI (`gh`, `glab`) is a stub first on PATH that records its
calls and keeps the open requests, so the thing under test is dlgen, not the provider."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest

import dlgen
from tests.helpers import TemplateRepo, git, invoke

V1 = {
    "copier.yml": "_subdirectory: template\nname:\n  type: str\n  default: demo\n",
    "CHANGELOG.md": "# Changelog\n\n## v1\n- First release.\n",
    "template/README.md.jinja": "# {{ name }}\n\nIntro.\n",
    "template/setup.cfg": "[tool]\nkey = 1\n",
    "template/src/app.py": "print('v1')\n",
}
V2 = {
    "copier.yml": (
        "_subdirectory: template\nname:\n  type: str\n  default: demo\n"
        "licence:\n  type: str\n  help: Which licence applies\n  default: MIT\n"
    ),
    "CHANGELOG.md": (
        "# Changelog\n\n## v2 (2026-12-01)\n- `licence` question.\n- setup.cfg is gone.\n\n"
        "### Upgrading\nNothing to do.\n\n## v1\n- First release.\n"
    ),
    "template/README.md.jinja": "# {{ name }}\n\nIntro, licence {{ licence }}.\n",
    "template/src/app.py": "print('v2')\n",
}


def _project(tmp_path: Path, tpl: TemplateRepo, name: str) -> tuple[Path, Path]:
    """(clone, bare origin): a project made at v1, pushed with its template branch."""
    clone, origin = tmp_path / name, tmp_path / f"{name}.git"
    made = invoke("new", str(clone), "--template", f"{tpl.root}@v1", "--defaults", "--no-hooks")
    assert made.code == 0, made.err
    git("init", "-q", "--bare", str(origin), cwd=tmp_path)
    git("remote", "add", "origin", str(origin), cwd=clone)
    git("push", "-q", "origin", "main", "dlgen/template", cwd=clone)
    return clone, origin


def _calls(forge: Callable[[], dict[str, object]]) -> list[dict[str, object]]:
    calls = forge()["calls"]
    assert isinstance(calls, list)
    return calls


@pytest.fixture
def fleet(tmp_path: Path, tpl: TemplateRepo) -> tuple[Path, Path, Path, Path]:
    """Two projects at v1 (A edited setup.cfg, which v2 deletes), then v2 released."""
    a, a_origin = _project(tmp_path, tpl, "a")
    b, b_origin = _project(tmp_path, tpl, "b")
    (a / "setup.cfg").write_text("[tool]\nkey = 2\n")
    git("commit", "-qam", "our setting", cwd=a)
    git("push", "-q", "origin", "main", cwd=a)
    tpl.write(V2)
    tpl.remove("template/setup.cfg")
    tpl.release("v2")
    return a, a_origin, b, b_origin


def test_rollout_opens_one_request_per_project_and_keeps_the_trailer(
    fleet: tuple[Path, Path, Path, Path], forge: Callable[[], dict[str, object]], tmp_path: Path
) -> None:
    a, a_origin, b, b_origin = fleet
    main_before = git("rev-parse", "main", cwd=a)
    result = invoke("rollout", "--provider", "github", str(a), str(b))
    assert result.code == 0, result.out + result.err
    assert result.out.splitlines() == [
        f"opened     {a} v1 -> v2 request https://forge.invalid/gh/2",
        "  unresolved: setup.cfg",
        "  new question, default taken: licence = 'MIT'",
        f"opened     {b} v1 -> v2 request https://forge.invalid/gh/4",
        "  new question, default taken: licence = 'MIT'",
    ]
    calls = _calls(forge)
    assert [c["args"][:2] for c in calls] == [["pr", "list"], ["pr", "create"]] * 2
    create = calls[1]["args"]
    assert create[:8] == ["pr", "create", "--head", "dlgen/sync", "--base", "main", "--title",
                          "Update template tpl to v2"]  # fmt: skip
    body = str(calls[1]["body"]).splitlines()
    assert body[0] == "<!-- dlgen rollout -->"
    assert (
        "- `setup.cfg`: no markers (one side deleted or replaced it): decide, then "
        "`git rm setup.cfg.dlgen-unresolved`"
    ) in body
    assert "- `licence` = `'MIT'`" in body
    assert body[body.index("### Changelog (v2)") :] == [
        "### Changelog (v2)",
        "",
        "- `licence` question.",
        "- setup.cfg is gone.",
        "",
        "### Upgrading",
        "Nothing to do.",
    ]
    # the clone is back where it was, main untouched
    assert git("rev-parse", "main", cwd=a) == main_before
    assert git("symbolic-ref", "--short", "HEAD", cwd=a).strip() == "main"
    assert git("status", "--porcelain", "--untracked-files=all", cwd=a) == ""
    assert git("for-each-ref", "refs/dlgen/", cwd=a) == ""  # the update's abort state settled
    # origin: the roll-out commit keeps the update's message and trailer, on main's tip
    message = git("log", "-1", "--format=%B", "dlgen/sync", cwd=a_origin)
    render = git("rev-parse", "dlgen/template", cwd=a_origin).strip()
    assert message.strip().splitlines()[-1] == f"Dlgen-Update: {render}"
    assert git("rev-parse", "dlgen/sync^", cwd=a_origin) == main_before
    # a reviewer's clone: the gate is red on the note until it is resolved
    review = tmp_path / "review"
    git("clone", "-q", "--branch", "dlgen/sync", str(a_origin), str(review), cwd=tmp_path)
    check = invoke("check", str(review))
    assert check.code == 1 and "DLG017" in check.out and "setup.cfg" in check.out, check.out
    git("rm", "-q", "setup.cfg", "setup.cfg.dlgen-unresolved", cwd=review)
    git("commit", "-qm", "resolved: setup.cfg goes", cwd=review)
    check = invoke("check", str(review))
    assert check.code == 0, check.out
    # B, unedited, is clean on its branch
    clean = tmp_path / "clean-b"
    git("clone", "-q", "--branch", "dlgen/sync", str(b_origin), str(clean), cwd=tmp_path)
    assert invoke("check", str(clean)).code == 0
    assert (clean / "README.md").read_text() == "# demo\n\nIntro, licence MIT.\n"


def test_rerun_refreshes_the_open_request_never_a_second_one(
    fleet: tuple[Path, Path, Path, Path],
    forge: Callable[[], dict[str, object]],
    tpl: TemplateRepo,
) -> None:
    a, a_origin, _, _ = fleet
    assert invoke("rollout", "--provider", "github", str(a)).code == 0
    first = git("rev-parse", "dlgen/sync", cwd=a_origin)
    again = invoke("rollout", "--provider", "github", str(a), "--format", "json")
    assert again.code == 0, again.err
    data = json.loads(again.out)
    schema = json.loads((Path(dlgen.__file__).parent / "rollout.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(data, schema)
    assert [p["state"] for p in data["projects"]] == ["unchanged"]
    assert git("rev-parse", "dlgen/sync", cwd=a_origin) == first  # nothing pushed
    tpl.write({"template/src/app.py": "print('v3')\n"})
    tpl.release("v3")
    third = invoke("rollout", "--provider", "github", str(a))
    assert third.code == 0, third.err
    assert third.out.splitlines()[0] == f"refreshed  {a} v1 -> v3 request 2"
    assert git("rev-parse", "dlgen/sync", cwd=a_origin) != first  # force-pushed
    assert git("show", "dlgen/sync:src/app.py", cwd=a_origin) == "print('v3')\n"
    calls = [c["args"][:2] for c in _calls(forge)]
    assert calls == [["pr", "list"], ["pr", "create"], *[["pr", "list"], ["pr", "edit"]] * 2]
    edit = _calls(forge)[-1]["args"]
    assert edit[:5] == ["pr", "edit", "2", "--title", "Update template tpl to v3"]


def test_a_branch_a_person_committed_on_is_kept(
    fleet: tuple[Path, Path, Path, Path],
    forge: Callable[[], dict[str, object]],
    tpl: TemplateRepo,
    tmp_path: Path,
) -> None:
    a, a_origin, _, _ = fleet
    assert invoke("rollout", "--provider", "github", str(a)).code == 0
    review = tmp_path / "review"
    git("clone", "-q", "--branch", "dlgen/sync", str(a_origin), str(review), cwd=tmp_path)
    git("rm", "-q", "setup.cfg", "setup.cfg.dlgen-unresolved", cwd=review)
    git("commit", "-qm", "resolved", cwd=review)
    git("push", "-q", "origin", "dlgen/sync", cwd=review)
    resolved = git("rev-parse", "dlgen/sync", cwd=a_origin)
    tpl.write({"template/src/app.py": "print('v3')\n"})
    tpl.release("v3")
    result = invoke("rollout", "--provider", "github", str(a))
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        f"kept       {a} v1 -> ? request 2: dlgen/sync on origin has commits of its own: "
        "not refreshed"
    ]
    assert git("rev-parse", "dlgen/sync", cwd=a_origin) == resolved


def test_gitlab_detached_checkout_and_both_sides_edited(
    tmp_path: Path, tpl: TemplateRepo, forge: Callable[[], dict[str, object]]
) -> None:
    """A GitLab CI checkout is a detached HEAD: --base names the target branch. Both sides
    edited README.md: conflict markers committed, listed, and DLG007 until resolved."""
    clone, origin = _project(tmp_path, tpl, "g")
    (clone / "README.md").write_text("# g\n\nOur intro.\n")
    git("commit", "-qam", "our intro", cwd=clone)
    git("push", "-q", "origin", "main", cwd=clone)
    git("switch", "-q", "--detach", "HEAD", cwd=clone)
    tpl.write(V2)
    tpl.release("v2")
    refused = invoke("rollout", "--provider", "gitlab", str(clone))
    assert refused.code == 2
    assert refused.out.splitlines() == [
        f"failed     {clone} ? -> ?: HEAD is detached; name the base branch with --base BRANCH"
    ]
    result = invoke("rollout", "--provider", "gitlab", "--base", "main", str(clone))
    assert result.code == 0, result.out + result.err
    assert result.out.splitlines()[:2] == [
        f"opened     {clone} v1 -> v2 request https://forge.invalid/glab/2",
        "  unresolved: README.md",
    ]
    create = _calls(forge)[-1]["args"]
    assert create[:6] == [
        "mr", "create", "--source-branch", "dlgen/sync", "--target-branch", "main"
    ]  # fmt: skip
    assert "- `README.md`: conflict markers: resolve them (`git diff` shows both sides)" in str(
        create[create.index("--description") + 1]
    )
    assert git("rev-parse", "--abbrev-ref", "HEAD", cwd=clone).strip() == "HEAD"  # still detached
    review = tmp_path / "review"
    git("clone", "-q", "--branch", "dlgen/sync", str(origin), str(review), cwd=tmp_path)
    check = invoke("check", str(review))
    assert check.code == 1 and "DLG007" in check.out, check.out


def test_a_failing_provider_is_the_projects_row_and_exit_1(
    fleet: tuple[Path, Path, Path, Path],
    forge: Callable[[], dict[str, object]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a, _, b, _ = fleet
    monkeypatch.setenv("FORGE_FAIL", "pr create")
    result = invoke("rollout", "--provider", "github", str(a), str(b))
    assert result.code == 1
    lines = result.out.splitlines()
    assert lines[0] == (
        f"failed     {a} v1 -> v2: step 'gh pr create' failed: HTTP 502: bad gateway"
    )
    assert git("status", "--porcelain", cwd=a) == "" and git("status", "--porcelain", cwd=b) == ""


def test_a_url_template_is_fetched_once_per_project(
    tmp_path: Path,
    tpl: TemplateRepo,
    forge: Callable[[], dict[str, object]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The render and the request's CHANGELOG section come from one clone of the template."""
    clone, origin = tmp_path / "u", tmp_path / "u.git"
    url = tpl.root.as_uri()
    assert (
        invoke("new", str(clone), "--template", f"{url}@v1", "--defaults", "--no-hooks").code == 0
    )
    git("init", "-q", "--bare", str(origin), cwd=tmp_path)
    git("remote", "add", "origin", str(origin), cwd=clone)
    git("push", "-q", "origin", "main", "dlgen/template", cwd=clone)
    tpl.write(V2)
    tpl.release("v2")
    trace = tmp_path / "git-trace.log"
    monkeypatch.setenv("GIT_TRACE", str(trace))
    result = invoke("rollout", "--provider", "github", str(clone))
    monkeypatch.delenv("GIT_TRACE")
    assert result.code == 0, result.out + result.err
    clones = [ln for ln in trace.read_text().splitlines() if "built-in: git clone" in ln]
    assert len(clones) == 1 and url in clones[0], clones
    body = str(_calls(forge)[-1]["body"])
    assert "### Changelog (v2)\n\n- `licence` question.\n" in body
