"""Issue 10 with real pre-commit, real pip and the generated CI's own commands: a default project
passes its own gate with dlgen pinned to a local wheel; the team's additions pass, removals of the
template's items fail, a locked file cannot be ignored, and every honoured ignore is shown."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.e2e.conftest import generate, run

pytestmark = pytest.mark.e2e


def _gate(project: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`pre-commit run --all-files` as `make lint` runs it (mypy from the project's .venv)."""
    return subprocess.run(
        [str(project / ".venv" / "bin" / "pre-commit"), "run", "--all-files", *args],
        cwd=project,
        env={**env, "MYPYPATH": str(project / "src")},
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )


def _template_job(project: Path, tmp: Path, env: dict[str, str]) -> str:
    """The `template` job of the generated ci.yml, step by step, in a fresh clone and venv."""
    clone, venv = tmp / "ci-clone", tmp / "ci-venv"
    run(["git", "clone", "-q", str(project), str(clone)], cwd=tmp, env=env)
    run([sys.executable, "-m", "venv", str(venv)], cwd=tmp, env=env)
    job_env = {**env, "PATH": f"{venv / 'bin'}{os.pathsep}{env['PATH']}"}
    workflow = yaml.safe_load((clone / ".github/workflows/ci.yml").read_text())
    steps = [s["run"] for s in workflow["jobs"]["template"]["steps"] if "run" in s]
    assert steps[-1] == "dlgen check"
    return "".join(run(["bash", "-ec", step], cwd=clone, env=job_env) for step in steps)


def _commit(project: Path, env: dict[str, str], message: str) -> None:
    run(["git", "add", "-A"], cwd=project, env=env)
    run(["git", "commit", "-q", "--no-verify", "-m", message], cwd=project, env=env)


def test_default_project_passes_its_own_gate_and_the_team_rules_hold(
    tmp_path: Path, shared_venv: Path, e2e_env: dict[str, str], dlgen_wheel: Path
) -> None:
    spec = f"dlgen @ {dlgen_wheel.as_uri()}"
    assert e2e_env["DLGEN_E2E_REQUIREMENT"] == spec  # generate() gives it as the answer
    project = generate(tmp_path / "gated", {}, e2e_env)
    (project / ".venv").symlink_to(shared_venv)  # what `make install` would have created
    installs = [
        line
        for path in (".pre-commit-config.yaml", ".github/workflows/ci.yml")
        for line in (project / path).read_text().splitlines()
        if "dlgen" in line and ("pip install" in line or "additional_dependencies" in line)
    ]
    assert len(installs) == 2 and all(spec in line for line in installs), installs

    # 1. The default project passes its own pre-commit gate (dlgen built into the hook's env)
    #    and the template CI job's commands.
    passed = _gate(project, e2e_env)
    assert passed.returncode == 0, passed.stdout[-4000:] + passed.stderr[-2000:]
    assert re.search(r"^dlgen check\.+Passed$", passed.stdout, re.MULTILINE), passed.stdout
    assert "dlgen check: ok: 0 error(s), 0 warning(s)" in _template_job(project, tmp_path, e2e_env)

    # 2. A team's own hook and CI job pass.
    config = project / ".pre-commit-config.yaml"
    pristine_config = config.read_text()
    config.write_text(
        pristine_config.replace(
            "repos:\n",
            "repos:\n  - repo: local\n    hooks:\n      - id: team-rule\n        name: team rule\n"
            "        entry: 'true'\n        language: system\n        pass_filenames: false\n",
            1,
        )
    )
    workflow = project / ".github/workflows/ci.yml"
    workflow.write_text(
        workflow.read_text()
        + "\n  docs:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo docs\n"
    )
    _commit(project, e2e_env, "team additions")
    added = _gate(project, e2e_env, "dlgen-check")
    assert added.returncode == 0, added.stdout[-3000:]

    # 3. Removing the template's mypy hook fails the real hook.
    lines = config.read_text().splitlines(keepends=True)
    start = lines.index("      - id: mypy\n")
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("      - id:"))
    config.write_text("".join(lines[:start] + lines[end:]))
    _commit(project, e2e_env, "drop mypy")
    dropped = _gate(project, e2e_env, "dlgen-check")
    assert dropped.returncode == 1
    assert "DLG005 error: hook `mypy` of the template is missing" in dropped.stdout

    # 4. Ignoring the (locked) pre-commit config does not switch the check off.
    record = project / ".dlgen.yml"
    original = record.read_text()
    record.write_text(original + "check:\n  ignore:\n    .pre-commit-config.yaml: no mypy here\n")
    locked = subprocess.run(
        ["dlgen", "check"], cwd=project, env=e2e_env, capture_output=True, text=True, check=False
    )
    assert locked.returncode == 1
    assert ".pre-commit-config.yaml: DLG014 error: locked by the template" in locked.stdout
    config.write_text(pristine_config)

    # 5. An ignore of an unlocked file is honoured and shown in text, JSON, --strict, and CI.
    dockerfile = project / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text().replace("USER 1000:1000", "USER root"))
    record.write_text(original + "check:\n  ignore:\n    Dockerfile: need root\n")
    _commit(project, e2e_env, "root, on purpose")
    for args in ([], ["--strict"]):
        shown = run(["dlgen", "check", *args], cwd=project, env=e2e_env)
        assert "Dockerfile enforcement ignored: need root" in shown.splitlines()
    data = json.loads(run(["dlgen", "check", "--format", "json"], cwd=project, env=e2e_env))
    assert data["ignores"] == [{"path": "Dockerfile", "reason": "need root", "kind": "enforcement"}]
    hooked = _gate(project, e2e_env, "dlgen-check", "--verbose")
    assert hooked.returncode == 0 and "Dockerfile enforcement ignored: need root" in hooked.stdout
    (tmp_path / "again").mkdir()
    ci_log = _template_job(project, tmp_path / "again", e2e_env)
    assert "Dockerfile enforcement ignored: need root" in ci_log
