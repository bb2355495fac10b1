"""Release rehearsal (issue 17 §4): `update --dry-run` lists the questions a target adds,
`update --format json` matches its schema, `templates ./work-tree` shows the work in progress."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import jsonschema
import pytest

import dlgen
from tests.helpers import TemplateRepo, git, invoke, repo_state

V1 = {
    "copier.yml": "name:\n  type: str\n  default: demo\n",
    "README.md.jinja": "# {{ name }}\n",
}
V2 = {
    "copier.yml": (
        "name:\n  type: str\n  default: demo\n"
        "licence:\n  type: str\n  help: Which licence applies\n  default: MIT\n"
    ),
    "README.md.jinja": "# {{ name }}\nLicence: {{ licence }}\n",
}


def _schema(name: str) -> dict[str, object]:
    schema: dict[str, object] = json.loads((Path(dlgen.__file__).parent / name).read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


def test_dry_run_lists_the_new_question_and_its_default(
    proj: Path, tpl: TemplateRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO())  # no terminal: a real run exits 2
    tpl.write(V2)
    tpl.release("v2")
    before = repo_state(proj)
    result = invoke("update", str(proj), "--dry-run")
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        "template v1 -> v2: would change:",
        "  M README.md",
        "  new question (would take the default): licence = 'MIT'",
    ]
    assert repo_state(proj) == before
    data = json.loads(invoke("update", str(proj), "--dry-run", "--format", "json").out)
    jsonschema.validate(data, _schema("update.schema.json"))
    assert data["new_questions"] == {"licence": "MIT"}
    assert data["changes"] == [{"status": "M", "path": "README.md", "old_path": None}]
    assert (data["old_version"], data["new_version"], data["exit_code"]) == ("v1", "v2", 0)
    assert repo_state(proj) == before


def test_a_real_update_with_defaults_reports_the_default_taken(
    proj: Path, tpl: TemplateRepo
) -> None:
    tpl.write(V2)
    tpl.release("v2")
    result = invoke("update", str(proj), "--defaults", "--format", "json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    jsonschema.validate(data, _schema("update.schema.json"))
    assert data["new_questions"] == {"licence": "MIT"} and not data["dry_run"]


def test_templates_shows_the_work_tree_not_the_last_tag(tpl: TemplateRepo) -> None:
    tpl.write(V2)  # not committed: the release being prepared
    head = git("rev-parse", "--short", "HEAD", cwd=tpl.root).strip()
    wip = json.loads(invoke("templates", str(tpl.root), "--format", "json").out)
    assert wip["version"] == "v1-dirty"
    assert [q["name"] for q in wip["questions"]] == ["name", "licence"]
    git("add", "-A", cwd=tpl.root)
    git("commit", "-qm", "wip", cwd=tpl.root)
    ahead = git("rev-parse", "--short", "HEAD", cwd=tpl.root).strip()
    assert ahead != head
    wip = json.loads(invoke("templates", str(tpl.root), "--format", "json").out)
    assert wip["version"] == f"v1-1-g{ahead}"
    at_head = json.loads(invoke("templates", f"{tpl.root}@HEAD", "--format", "json").out)
    assert at_head["version"] == f"v1-1-g{ahead}"
    assert [q["name"] for q in at_head["questions"]] == ["name", "licence"]
    tagged = json.loads(invoke("templates", f"{tpl.root}@v1", "--format", "json").out)
    assert tagged["version"] == "v1" and [q["name"] for q in tagged["questions"]] == ["name"]


def test_status_preview_rehearses_an_untagged_release_over_the_fleet(
    tmp_path: Path, tpl: TemplateRepo
) -> None:
    fleet = tmp_path / "fleet"
    for name in ("a", "b"):
        made = invoke(
            "new", str(fleet / name), "--template", f"{tpl.root}@v1", "--defaults", "--no-hooks"
        )
        assert made.code == 0, made.err
    (fleet / "a" / "README.md").write_text("# our own title\n")
    git("commit", "-qam", "ours", cwd=fleet / "a")
    (fleet / "notes").mkdir()
    tpl.write(V2)
    git("add", "-A", cwd=tpl.root)
    git("commit", "-qm", "v2 in the making", cwd=tpl.root)  # committed, not tagged
    before = {n: repo_state(fleet / n) for n in ("a", "b")}
    head = git("describe", "--tags", "HEAD", cwd=tpl.root).strip()
    args = ["status", str(fleet), "--template", str(tpl.root), "--preview", "HEAD"]
    result = invoke(*args)
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        "preview of HEAD over 2 project(s); nothing written:",
        f"conflicts   {fleet / 'a'} v1 -> {head}: 1 change(s), 1 conflict(s), 1 new question(s)",
        "  conflict: README.md",
        "  new question, default 'MIT': licence",
        "  M README.md",
        f"clean       {fleet / 'b'} v1 -> {head}: 1 change(s), 0 conflict(s), 1 new question(s)",
        "  new question, default 'MIT': licence",
        "  M README.md",
        f"not-a-project {fleet / 'notes'} a folder without .dlgen.yml",
    ]
    assert {n: repo_state(fleet / n) for n in ("a", "b")} == before
    code = invoke(*args, "--exit-code").code
    assert code == 1  # a project would conflict
    data = json.loads(invoke(*args, "--format", "json").out)
    jsonschema.validate(data, _schema("preview.schema.json"))
    assert data["summary"] == {
        "failed": 0, "conflicts": 1, "clean": 1, "up-to-date": 0, "not-a-project": 1
    }  # fmt: skip
    assert [p["state"] for p in data["projects"]] == ["conflicts", "clean", "not-a-project"]
    assert data["projects"][0]["migrations"] == []
    bad = invoke("status", str(fleet), "--template", str(tpl.root), "--preview", "nope")
    assert bad.code == 0
    assert bad.out.splitlines()[1] == (
        f"failed      {fleet / 'a'} template {str(tpl.root)!r} has no tag, branch or commit "
        "'nope' (exit 2)"
    )


def test_templates_dot_inside_the_template(tpl: TemplateRepo) -> None:
    result = invoke("templates", ".", cwd=tpl.root)
    assert result.code == 0, result.err
    assert result.out.splitlines()[0] == "tpl v1"
