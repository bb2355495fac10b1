"""Comparable template fixtures for the update/check benchmarks: the same files as a copier
template (git repo, tags v1/v2) and as a cookiecutter template (for cruft)."""

from __future__ import annotations

import subprocess
from pathlib import Path

FILES = 40  # a template of realistic size


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def _files(version: int, var: str) -> dict[str, str]:
    files = {
        f"src/module_{i}.py": f"# module {i} of {{{{ {var} }}}}\nVALUE = {i}\n"
        for i in range(FILES)
    }
    files["config.yaml"] = (
        f"name: {{{{ {var} }}}}\nlr: {0.1 if version == 1 else 0.0003}\nepochs: 10\n"
    )
    files["README.md"] = f"# {{{{ {var} }}}}\n\nversion {version}\n"
    if version == 2:
        files["callbacks.py"] = "CALLBACKS = []\n"
        files["src/module_3.py"] += "EXTRA = True\n"
    return files


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _tagged(root: Path, files_of: dict[int, dict[str, str]]) -> Path:
    """A git repository with one commit per version, tagged v1, v2..."""
    root.mkdir(parents=True)
    git("init", "-q", cwd=root)
    for version, files in files_of.items():
        write(root, files)
        git("add", "-A", cwd=root)
        git("commit", "-qm", f"v{version}", cwd=root)
        git("tag", f"v{version}", cwd=root)
    return root


def copier_template(root: Path) -> Path:
    """A copier template repository with tags v1 and v2."""
    meta = {
        "copier.yml": "name:\n  type: str\n  default: demo\n",
        "{{ _copier_conf.answers_file }}.jinja": "{{ _copier_answers|to_nice_yaml }}",
    }
    return _tagged(
        root,
        {v: {**{f"{k}.jinja": t for k, t in _files(v, "name").items()}, **meta} for v in (1, 2)},
    )


def cookiecutter_template(root: Path) -> Path:
    """The same files as a cookiecutter template repository with tags v1 and v2."""
    slug = "{{cookiecutter.project_slug}}"
    meta = {"cookiecutter.json": '{"project_slug": "demo", "name": "demo"}\n'}
    return _tagged(
        root,
        {
            v: {**{f"{slug}/{k}": t for k, t in _files(v, "cookiecutter.name").items()}, **meta}
            for v in (1, 2)
        },
    )


def copier_project(work: Path, template: Path) -> Path:
    """`copier copy` at v1, committed."""
    project = work / "copier-proj"
    run_tool(["copier", "copy", "--defaults", "--vcs-ref", "v1", str(template), str(project)])
    git("init", "-q", cwd=project)
    commit_all(project, "init")
    return project


def cruft_project(work: Path, template: Path) -> Path:
    """`cruft create` at v1, committed."""
    run_tool(["cruft", "create", "--no-input", "--checkout", "v1", str(template)], cwd=work)
    project = work / "demo"
    git("init", "-q", cwd=project)
    commit_all(project, "init")
    return project


def run_tool(cmd: list[str], cwd: Path | None = None) -> None:
    """Run one of the benchmarked tools from the benchmark's environment; it must succeed."""
    from common import tool

    subprocess.run([tool(cmd[0]), *cmd[1:]], cwd=cwd, check=True, capture_output=True)


def commit_all(cwd: Path, message: str) -> None:
    git("add", "-A", cwd=cwd)
    git("commit", "-qm", message, cwd=cwd)
