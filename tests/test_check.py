"""`dlgen check`: every finding appears when provoked and disappears when fixed."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
import yaml

from dlgen.check import check
from tests.helpers import TemplateRepo, commit_all, git, invoke

POLICY = """\
_dlgen:
  version: 1.2.0
  enforced: [ci.yml, Dockerfile]
  superset: [.gitignore]
  policy:
    max_lag: 1
"""
FILES = {
    "copier.yml": "name:\n  default: demo\n" + POLICY,
    "ci.yml.jinja": "job: {{ name }}\n",
    "Dockerfile": "FROM python:3.11-slim\n",
    ".gitignore": "runs/\ndata/\n",
    "README.md": "# readme\n",
}


@pytest.fixture
def project(tmp_path: Path, template_factory: Callable[..., TemplateRepo]) -> Path:
    tpl = template_factory(FILES)
    dst = tmp_path / "proj"
    result = invoke("new", str(dst), "--template", str(tpl.root), "--defaults", "--no-hooks")
    assert result.code == 0, result.err
    return dst


def ids(project: Path, **kwargs: str) -> list[str]:
    return [f.id for f in check(project, **kwargs).findings]  # type: ignore[arg-type]


def edit_record(project: Path, change: Callable[[dict], None]) -> None:  # type: ignore[type-arg]
    data = yaml.safe_load((project / ".dlgen.yml").read_text())
    change(data)
    (project / ".dlgen.yml").write_text(yaml.safe_dump(data, sort_keys=False))


def test_fresh_project_is_clean(project: Path) -> None:
    result = invoke("check", str(project))
    assert result.code == 0
    assert result.out == "dlgen check: ok: 0 error(s), 0 warning(s)\n"


def test_invalid_record_dlg001(project: Path) -> None:
    edit_record(project, lambda d: d.update(colour="red"))
    report = check(project)
    assert [f.id for f in report.findings] == ["DLG001"]
    assert "colour" in report.findings[0].message
    assert invoke("check", str(project)).code == 1
    edit_record(project, lambda d: d.pop("colour"))
    assert ids(project) == []


def test_unknown_bundled_template_dlg002(project: Path) -> None:
    edit_record(project, lambda d: d.update(template="no-such"))
    assert ids(project) == ["DLG002"]
    edit_record(project, lambda d: d.update(template="dl-project"))
    assert "DLG002" not in ids(project)


def test_min_version_dlg003(project: Path) -> None:
    edit_record(project, lambda d: d.update(check={"min_version": "2.0"}))
    assert ids(project) == ["DLG003"]
    edit_record(project, lambda d: d.update(check={"min_version": "1.0"}))
    assert ids(project) == []


def test_max_lag_warns_and_strict_fails_dlg004(project: Path) -> None:
    from dlgen.templates import bundled_root, read_meta

    bundled = read_meta(bundled_root() / "templates/dl-project").version
    assert bundled is not None
    major, minor, *_ = (int(p) for p in bundled.split("."))
    old = f"{major}.{minor - 1}.0" if minor else f"{major - 1}.0.0"

    def stale(d: dict) -> None:  # type: ignore[type-arg]
        d.update(template="dl-project", template_version=old, check={"max_lag": 0})

    edit_record(project, stale)
    commit_all(project, "pretend dl-project")
    assert ids(project, only="version") == ["DLG004"]
    assert invoke("check", str(project), "--only", "version").code == 0
    assert invoke("check", str(project), "--only", "version", "--strict").code == 1
    edit_record(project, lambda d: d.update(check={"max_lag": 5}))
    assert ids(project, only="version") == []


def test_enforced_file_changed_or_deleted_dlg005(project: Path) -> None:
    (project / "ci.yml").write_text("job: mine\n")
    (project / "Dockerfile").unlink()
    report = check(project)
    assert [(f.id, f.path) for f in report.findings] == [
        ("DLG005", "Dockerfile"),
        ("DLG005", "ci.yml"),
    ]
    assert "git checkout dlgen/template -- ci.yml" in report.findings[1].fix
    git("checkout", "dlgen/template", "--", "ci.yml", "Dockerfile", cwd=project)
    assert ids(project) == []


def test_ignore_with_reason_and_useless_ignore_dlg013(project: Path) -> None:
    (project / "Dockerfile").write_text("FROM internal/python:3.11\n")
    edit_record(
        project,
        lambda d: d.update(
            check={
                "ignore": {"Dockerfile": "internal base image", "README.md": "not enforced anyway"}
            }
        ),
    )
    assert [(f.id, f.severity) for f in check(project).findings] == [("DLG013", "warning")]
    assert invoke("check", str(project)).code == 0
    assert invoke("check", str(project), "--strict").code == 1
    edit_record(project, lambda d: d.update(check={"ignore": {"Dockerfile": "internal base"}}))
    assert ids(project) == []


def test_superset_may_add_but_not_drop_lines_dlg006(project: Path) -> None:
    (project / ".gitignore").write_text("runs/\ndata/\n.venv/\n")
    assert ids(project) == []
    (project / ".gitignore").write_text(".venv/\nruns/\n")
    report = check(project)
    assert [f.id for f in report.findings] == ["DLG006"] and "data/" in report.findings[0].message
    (project / ".gitignore").write_text("data/\n.venv/\nruns/\n")
    assert ids(project) == []


def test_conflict_markers_and_leftovers_dlg007_dlg008(project: Path) -> None:
    (project / "src.py").write_text("a = 1\n<<<<<<< HEAD\nb = 2\n=======\nb = 3\n>>>>>>> x\n")
    (project / "ci.yml.rej").write_text("@@ hunk\n")
    (project / "notes.orig").write_text("x\n")
    commit_all(project, "oops")
    assert sorted((f.id, f.path) for f in check(project).findings) == [
        ("DLG007", "src.py"),
        ("DLG008", "ci.yml.rej"),
        ("DLG008", "notes.orig"),
    ]
    (project / "src.py").write_text("a = 1\nb = 3\n")
    git("rm", "-q", "ci.yml.rej", "notes.orig", cwd=project)
    commit_all(project, "fixed")
    assert ids(project) == []


def test_polluted_template_branch_dlg009(project: Path) -> None:
    tip = git("rev-parse", "dlgen/template", cwd=project).strip()
    git("checkout", "-q", "dlgen/template", cwd=project)
    (project / "human.txt").write_text("x\n")
    commit_all(project, "a human commit")
    git("checkout", "-q", "main", cwd=project)
    report = check(project)
    assert [f.id for f in report.findings] == ["DLG009"]
    assert (
        "Test User" not in report.findings[0].message
        and "test@example.com" in report.findings[0].message
    )
    git("branch", "-f", "dlgen/template", tip, cwd=project)
    assert ids(project) == []


def test_not_a_repository_and_missing_branch_dlg010_dlg011(project: Path) -> None:
    git("branch", "-D", "dlgen/template", cwd=project)
    assert ids(project) == ["DLG011"]
    subprocess.run(["rm", "-rf", str(project / ".git")], check=True)
    assert ids(project) == ["DLG010"]


def test_project_in_a_monorepo_subdirectory(
    tmp_path: Path, template_factory: Callable[..., TemplateRepo]
) -> None:
    tpl = template_factory(FILES)
    mono = tmp_path / "mono"
    (mono / "services").mkdir(parents=True)
    git("init", "-q", cwd=mono)
    assert (
        invoke(
            "new",
            str(mono / "services/proj"),
            "--template",
            str(tpl.root),
            "--defaults",
            "--no-git",
        ).code
        == 0
    )
    commit_all(mono, "add project")
    assert ids(mono / "services/proj") == ["DLG011"]  # no template branch yet: adopt links it


def test_json_output_matches_the_schema(project: Path) -> None:
    import dlgen

    schema = json.loads((Path(dlgen.__file__).parent / "check.schema.json").read_text())
    (project / "ci.yml").write_text("job: mine\n")
    for args in ([], ["--strict"]):
        result = invoke("check", str(project), "--format", "json", *args)
        data = json.loads(result.out)
        jsonschema.validate(data, schema)
        assert result.code == 1 and data["ok"] is False
        assert data["findings"][0]["id"] == "DLG005"


def test_check_never_imports_copier_or_jinja(project: Path) -> None:
    probe = (
        "import sys, contextlib, io\nfrom dlgen.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    try: main(['check', {str(project)!r}])\n    except SystemExit: pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'copier', 'jinja2'}))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_pre_commit_hook_blocks_a_violating_commit(project: Path) -> None:
    """The `repo: local` stanza generated projects use, run by real pre-commit."""
    (project / ".pre-commit-config.yaml").write_text(
        "repos:\n- repo: local\n  hooks:\n  - id: dlgen-check\n    name: dlgen check\n"
        "    entry: dlgen check\n    language: system\n    pass_filenames: false\n"
        "    always_run: true\n"
    )
    env_bin = str(Path(sys.executable).parent)
    env = {
        "PATH": f"{env_bin}:/usr/bin:/bin",
        "HOME": str(project.parent),
        "GIT_CONFIG_GLOBAL": str(Path.home() / ".gitconfig"),
    }

    def run_hook() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [f"{env_bin}/pre-commit", "run", "--all-files"],
            cwd=project,
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )

    git("add", ".pre-commit-config.yaml", cwd=project)
    assert run_hook().returncode == 0
    (project / "ci.yml").write_text("job: mine\n")
    failed = run_hook()
    assert failed.returncode == 1 and "DLG005" in failed.stdout
