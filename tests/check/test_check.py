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

from dlgen.check_engine import check
from tests.helpers import TemplateRepo, commit_all, dlgen, edit_record, git, invoke, unmeasured_env

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
    "pyproject.toml": '[project]\nname = "demo"\n\n[tool.coverage.run]\nbranch = true\n',
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
    from dlgen.sources import bundled_root
    from dlgen.template import Template

    bundled = Template.load(bundled_root() / "templates/dl-project").version
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
    (project / "README.md").write_text("a\n<<<<<<< HEAD\nb = 2\n=======\nb = 3\n>>>>>>> x\n")
    (project / "ci.yml.rej").write_text("@@ hunk\n")
    (project / "notes.orig").write_text("x\n")
    commit_all(project, "oops")
    assert sorted((f.id, f.path) for f in check(project).findings) == [
        ("DLG007", "README.md"),
        ("DLG008", "ci.yml.rej"),
        ("DLG008", "notes.orig"),
    ]
    (project / "README.md").write_text("# readme\n")
    git("rm", "-q", "ci.yml.rej", "notes.orig", cwd=project)
    commit_all(project, "fixed")
    assert ids(project) == []


def test_markers_are_searched_in_the_files_the_template_renders_only(project: Path) -> None:
    """The project's own files are pre-commit's check-merge-conflict hook's job: check's cost
    follows the template's size, not the repository's."""
    conflict = "<<<<<<< HEAD\nb = 2\n||||||| base\nb = 1\n=======\nb = 3\n>>>>>>> x\n"
    (project / "src.py").write_text("a = 1\n" + conflict)
    (project / "Dockerfile").write_text("FROM python:3.11-slim\n\n" + conflict)
    commit_all(project, "a merge left markers")
    result = invoke("check", str(project))
    assert result.code == 1
    assert result.out.splitlines()[-2:] == [
        "Dockerfile: DLG007 error: conflict marker at line 3 "
        "(fix: resolve the conflict, then `git add` the file)",
        "dlgen check: failed: 2 error(s), 0 warning(s)",
    ]
    assert [f.id for f in check(project).findings] == ["DLG005", "DLG007"]


def test_rendered_toml_that_no_longer_parses_dlg016(project: Path) -> None:
    pristine = (project / "pyproject.toml").read_text()
    (project / "pyproject.toml").write_text(pristine + "\n[tool.coverage.run]\nparallel = true\n")
    report = check(project)
    assert [(f.id, f.severity, f.path) for f in report.findings] == [
        ("DLG016", "error", "pyproject.toml")
    ]
    assert report.findings[0].message.startswith("does not parse: ")
    assert invoke("check", str(project)).code == 1
    (project / "pyproject.toml").write_text(pristine + "\n[tool.ruff]\nline-length = 99\n")
    assert ids(project) == []


def test_unmerged_path_without_markers_dlg017(project: Path) -> None:
    """A file edited on one branch and deleted on the other leaves no marker, only an unmerged
    index entry: the gate is red until it is resolved."""
    (project / "notes.txt").write_text("first\n")
    commit_all(project, "notes")
    git("switch", "-q", "-c", "other", cwd=project)
    git("rm", "-q", "notes.txt", cwd=project)
    commit_all(project, "drop notes")
    git("switch", "-q", "-", cwd=project)
    (project / "notes.txt").write_text("second\n")
    commit_all(project, "edit notes")
    git("merge", "-q", "other", cwd=project, check=False)
    result = invoke("check", str(project))
    assert (result.code, result.out.splitlines()) == (
        1,
        [
            "notes.txt: DLG017 error: unmerged: a conflict not resolved "
            "(fix: resolve it, then `git add` (or `git rm`) the path)",
            "dlgen check: failed: 1 error(s), 0 warning(s)",
        ],
    )
    git("add", "notes.txt", cwd=project)
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


# --- enforcement: structure, locked files, visible ignores ---------------------------------------

PRE_COMMIT = """\
default_install_hook_types: [pre-commit]
repos:
  - repo: local
    hooks:
      - id: ruff
        name: ruff
        entry: ruff check --fix
        language: python
        additional_dependencies: ["ruff==0.17.5"]
      - id: mypy
        name: mypy --strict
        entry: .venv/bin/mypy
        language: system
        pass_filenames: false
"""
WORKFLOW = """\
name: CI
on:
  push:
    branches: [main]
env:
  PYTHON_VERSION: "3.11"
jobs:
  lint:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
      - run: pre-commit run --all-files
  template:
    runs-on: ubuntu-24.04
    steps:
      - run: pip install "dlgen==0.1.0" && dlgen check
"""
GITLAB = """\
stages: [lint, test]
variables:
  GIT_DEPTH: "0"
lint:
  stage: lint
  script:
    - pre-commit run --all-files
template:
  stage: lint
  script:
    - dlgen check
"""
STRUCTURED = {
    "copier.yml": """\
name:
  default: demo
_dlgen:
  version: 1.0.0
  enforced: [.pre-commit-config.yaml, .github/workflows/ci.yml, .gitlab-ci.yml, Dockerfile]
  locked: [.pre-commit-config.yaml, .github/workflows/ci.yml, .gitlab-ci.yml]
""",
    ".pre-commit-config.yaml": PRE_COMMIT,
    ".github/workflows/ci.yml": WORKFLOW,
    ".gitlab-ci.yml": GITLAB,
    "Dockerfile": "FROM python:3.11-slim\nUSER app\n",
}


@pytest.fixture
def enforced(tmp_path: Path, template_factory: Callable[..., TemplateRepo]) -> Path:
    tpl = template_factory(STRUCTURED)
    dst = tmp_path / "enforced"
    result = invoke("new", str(dst), "--template", str(tpl.root), "--defaults", "--no-hooks")
    assert result.code == 0, result.err
    return dst


def findings(project: Path) -> list[tuple[str, str, str]]:
    return [(f.id, f.path, f.message) for f in check(project).findings]


def test_added_hooks_jobs_and_stages_pass(enforced: Path) -> None:
    """A team adds its own hooks, jobs and stages to the enforced files; only a removed or changed
    template item is a finding."""
    config = yaml.safe_load(PRE_COMMIT)
    config["repos"][0]["hooks"].insert(
        0, {"id": "mine", "name": "mine", "entry": "true", "language": "system"}
    )
    config["repos"].append(
        {
            "repo": "https://git.example.com/platform/dlgen",
            "rev": "v0.1.0",
            "hooks": [{"id": "dlgen-check-version"}],
        }
    )
    config["fail_fast"] = True
    (enforced / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config, sort_keys=True))
    workflow = WORKFLOW.replace(
        "jobs:\n", "jobs:\n  docs:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: make docs\n"
    )
    workflow = workflow.replace(
        '  PYTHON_VERSION: "3.11"\n', '  PYTHON_VERSION: "3.11"\n  X: "1"\n'
    )
    (enforced / ".github/workflows/ci.yml").write_text(workflow)
    gitlab = GITLAB.replace("stages: [lint, test]", "stages: [lint, test, deploy]")
    (enforced / ".gitlab-ci.yml").write_text(
        gitlab + "deploy:\n  stage: deploy\n  script: [make]\n"
    )
    assert findings(enforced) == []
    assert invoke("check", str(enforced)).code == 0


@pytest.mark.parametrize(
    ("path", "old", "new", "message"),
    [
        (
            ".pre-commit-config.yaml",
            "      - id: mypy\n",
            "      - id: mypy-gone\n",
            "hook `mypy` of the template is missing",
        ),
        (
            ".pre-commit-config.yaml",
            "entry: .venv/bin/mypy",
            "entry: 'true'",
            "hook `mypy` of the template differs from the template's",
        ),
        (
            ".pre-commit-config.yaml",
            "repos:",
            "exclude: '.*'\nrepos:",
            "adds top-level `exclude`, which changes the template's hooks",
        ),
        (
            ".github/workflows/ci.yml",
            "      - run: pip install",
            "      - if: false\n        run: pip install",
            "job `template` of the template differs from the template's",
        ),
        (
            ".github/workflows/ci.yml",
            '  PYTHON_VERSION: "3.11"',
            '  PYTHON_VERSION: "3.9"',
            "`env.PYTHON_VERSION` differs from the template's",
        ),
        (
            ".gitlab-ci.yml",
            "template:\n",
            "not-template:\n",
            "job `template` of the template is missing",
        ),
        (
            ".gitlab-ci.yml",
            "stages: [lint, test]",
            "stages: [test, lint]",
            "`stages` lost or reordered the template's stages",
        ),
        (
            ".gitlab-ci.yml",
            "lint:\n  stage",
            "workflow:\n  rules: [{when: never}]\nlint:\n  stage",
            "adds top-level `workflow`, which changes the template's jobs",
        ),
        (
            ".gitlab-ci.yml",
            "stages:",
            "stages: [\n",
            "is not valid YAML (line 3), so the template's items cannot be found",
        ),
    ],
)
def test_removed_or_changed_template_items_fail(
    enforced: Path, path: str, old: str, new: str, message: str
) -> None:
    file = enforced / path
    text = file.read_text()
    assert old in text
    file.write_text(text.replace(old, new, 1))
    assert findings(enforced) == [("DLG005", path, message)]
    assert invoke("check", str(enforced)).code == 1
    file.write_text(text)
    assert findings(enforced) == []


def test_ignores_are_listed_in_text_json_and_strict(enforced: Path) -> None:
    """An ignored file is listed with its reason in text and JSON; --strict does not fail on it."""
    (enforced / "Dockerfile").write_text("FROM python:3.11-slim\nUSER root\n")
    edit_record(enforced, lambda d: d.update(check={"ignore": {"Dockerfile": "need root"}}))
    text = invoke("check", str(enforced))
    assert text.code == 0
    assert text.out.splitlines() == [
        "Dockerfile enforcement ignored: need root",
        "dlgen check: ok: 0 error(s), 0 warning(s), 1 ignore(s)",
    ]
    assert invoke("check", str(enforced), "--strict").out == text.out
    data = json.loads(invoke("check", str(enforced), "--format", "json", "--strict").out)
    assert data["ignores"] == [{"path": "Dockerfile", "reason": "need root", "kind": "enforcement"}]
    assert check(enforced).ignores[0].reason == "need root"


def test_a_locked_file_cannot_be_ignored_dlg014(enforced: Path) -> None:
    """A locked file (the pre-commit config) cannot be ignored: deleting a hook still fails."""
    config = enforced / ".pre-commit-config.yaml"
    config.write_text(PRE_COMMIT.split("      - id: mypy", maxsplit=1)[0])
    edit_record(enforced, lambda d: d.update(check={"ignore": {".pre-commit-config.yaml": "x"}}))
    assert sorted(findings(enforced)) == [
        ("DLG005", ".pre-commit-config.yaml", "hook `mypy` of the template is missing"),
        (
            "DLG014",
            ".pre-commit-config.yaml",
            "locked by the template: check.ignore cannot switch it off ('x')",
        ),
    ]
    assert check(enforced).ignores == []
    assert invoke("check", str(enforced)).code == 1


def test_policy_edited_in_the_record_is_not_honoured_dlg015(enforced: Path) -> None:
    """The project's .dlgen.yml is editable; the template branch's copy says what is enforced."""
    (enforced / "Dockerfile").write_text("FROM python:3.11-slim\nUSER root\n")
    edit_record(enforced, lambda d: d["policy"].update(enforced=[], locked=[]))
    assert sorted((i, p) for i, p, _ in findings(enforced)) == [
        ("DLG005", "Dockerfile"),
        ("DLG015", ".dlgen.yml"),
    ]


def test_conflict_markers_can_be_ignored_with_a_reason_dlg007(project: Path) -> None:
    """Documentation that shows conflict markers on purpose is ignored with a reason."""
    doc = "How a conflict looks:\n<<<<<<< ours\nmine\n=======\ntheirs\n>>>>>>> theirs\n"
    (project / "README.md").write_text(doc)
    commit_all(project, "docs")
    assert ids(project) == ["DLG007"]
    edit_record(project, lambda d: d.update(check={"ignore": {"README.md": "shows markers"}}))
    report = check(project)
    assert report.findings == []
    assert [i.line() for i in report.ignores] == [
        "README.md conflict markers ignored: shows markers"
    ]
    (project / "README.md").write_text("No markers any more.\n")
    commit_all(project, "docs")
    assert ids(project) == ["DLG013"]


def test_clean_check_makes_five_git_calls_at_once(project: Path, tmp_path: Path) -> None:
    """A git on PATH that logs its arguments: start-up cost is mostly git processes."""
    log, wrapper = tmp_path / "calls.log", tmp_path / "bin" / "git"
    wrapper.parent.mkdir()
    real = subprocess.run(["which", "git"], capture_output=True, text=True, check=True).stdout
    wrapper.write_text(f'#!/bin/sh\necho "$1" >> {log}\nexec {real.strip()} "$@"\n')
    wrapper.chmod(0o755)
    env = {"PATH": f"{wrapper.parent}:/usr/bin:/bin", "HOME": str(tmp_path)}
    cmd = [sys.executable, "-m", "dlgen", "check", str(project)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert sorted(log.read_text().split()) == [
        "hash-object",
        "log",
        "ls-files",  # tracked merge leftovers
        "ls-files",  # unmerged paths
        "ls-tree",
    ]


def test_git_failure_is_an_internal_error_exit_70(project: Path) -> None:
    """A check that cannot run exits 70 with one line, never 1 as if it had findings."""
    (project / ".git" / "index").write_bytes(b"DIRC not an index")
    result = invoke("check", str(project))
    assert result.code == 70 and result.out == ""
    assert result.err.startswith("dlgen: error: could not run the check: `git ls-files")
    assert len(result.err.splitlines()) == 1


# --- the generated gate installs a pinned dlgen ---------------------------------------------------


def _installs(project: Path) -> list[str]:
    """Every line of the project that installs dlgen (pip, or a pre-commit hook environment)."""
    return [
        line.strip()
        for path in sorted(project.rglob("*"))
        if path.is_file() and ".git" not in path.parts
        for line in path.read_text(errors="replace").splitlines()
        if "dlgen" in line and ("pip install" in line or "additional_dependencies" in line)
    ]


def _hook(project: Path) -> dict:  # type: ignore[type-arg]
    config = yaml.safe_load((project / ".pre-commit-config.yaml").read_text())
    return next(h for r in config["repos"] for h in r["hooks"] if h["id"] == "dlgen-check")


def test_generated_gate_pins_the_dlgen_that_made_it(tmp_path: Path) -> None:
    """The generated project installs the dlgen version that made it, and its hook fails without
    dlgen instead of passing."""
    import dlgen

    project = tmp_path / "gate"
    assert invoke("new", str(project), "--defaults", "--no-hooks", "--data", "ci=both").code == 0
    pin = f"dlgen=={dlgen.__version__}"
    assert _installs(project) == [
        f'- run: pip install "{pin}"',  # .github/workflows/ci.yml, the template job
        f'- run: pip install "{pin}"',  # .github/workflows/template-sync.yml
        f'- pip install "{pin}"',  # .gitlab-ci.yml, the template job
        f'- pip install "{pin}"',  # .gitlab-ci.yml, the template-sync job
        f'additional_dependencies: ["{pin}"]',  # .pre-commit-config.yaml, the dlgen-check hook
    ]
    hook = _hook(project)
    assert (hook["entry"], hook["language"], hook["additional_dependencies"]) == (
        "dlgen check",
        "python",
        [pin],
    )
    assert "dlgen_requirement: dlgen==" in (project / ".dlgen.yml").read_text()
    assert invoke("check", str(project)).code == 0


def test_generated_gate_installs_from_the_teams_index_or_git(tmp_path: Path) -> None:
    project = tmp_path / "corp"
    spec = "dlgen @ git+ssh://git@git.corp/platform/dlgen.git@v0.1.0"
    args = [
        "--data",
        f"dlgen_requirement={spec}",
        "--data",
        "dlgen_index_url=https://pypi.corp/simple",
    ]
    assert invoke("new", str(project), "--defaults", "--no-hooks", *args).code == 0
    assert _hook(project)["additional_dependencies"] == [
        "--index-url=https://pypi.corp/simple",
        spec,
    ]
    assert f'pip install --index-url "https://pypi.corp/simple" "{spec}"' in _installs(project)[0]
    assert all(spec in line for line in _installs(project))


@pytest.mark.parametrize(
    "spec",
    [
        "dlgen",
        "dlgen>=0.1",
        "dlgen @ git+https://git.corp/dlgen.git",
        "dlgen==0.1.0; rm -rf /",
        'dlgen @ https://h/dlgen-0.1.0-py3-none-any.whl"',
    ],
)
def test_unpinned_dlgen_is_refused(tmp_path: Path, spec: str) -> None:
    result = invoke("new", str(tmp_path / "p"), "--defaults", "--data", f"dlgen_requirement={spec}")
    assert result.code == 2 and "dlgen_requirement must pin dlgen" in result.err
    assert not (tmp_path / "p").exists()


# --- start-up: the plain forms of `dlgen check` never import click --------------------------------


@pytest.mark.parametrize(
    "args",
    [[], ["--strict"], ["--format", "json"], ["--format=json", "--strict"], ["--only", "version"]],
)
def test_plain_check_skips_click_and_yaml_and_answers_as_click_does(
    project: Path, args: list[str]
) -> None:
    (project / "ci.yml").write_text("job: mine\n")
    probe = (
        "import sys, contextlib, io\nfrom dlgen.__main__ import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    try: main(['check', *{args!r}])\n    except SystemExit: pass\n"
        "never = {'click', 'copier', 'jinja2', 'yaml', 'typing', 'hashlib'}\n"
        f"never |= set() if 'json' in {' '.join(args)!r} else {{'json'}}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in never))"
    )
    imported = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=project,
        env=unmeasured_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    assert imported.stdout.strip().splitlines()[-1] == "[]"
    plain = dlgen("check", *args, cwd=project)
    through_click = invoke("check", *args, cwd=project)
    assert (plain.returncode, plain.stdout) == (through_click.code, through_click.out)


def test_other_check_forms_go_through_click(project: Path) -> None:
    bad = dlgen("check", "--format", "yaml", cwd=project)
    assert bad.returncode == 2 and "'yaml' is not one of 'text', 'json'" in bad.stderr
    assert "Exit codes:" in dlgen("check", "--help", cwd=project).stdout
    assert dlgen("check", "a", "b", cwd=project).returncode == 2
