"""`dlgen update` from the previous template release on a project whose training loop was edited
(issue 19, acceptance): the dlgen that shipped that release is built from this repository's own
history, generates the project, the user edits and commits, and today's installed dlgen updates.
Marker e2e; no network (pip installs from the configured local index, as `dlgen_installed`)."""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
import textwrap
from io import BytesIO
from pathlib import Path

import pytest
import yaml

from tests.e2e.conftest import REPO, assert_no_bytecode, run

pytestmark = pytest.mark.e2e

COPIER_YML = "templates/dl-project/copier.yml"
# The user's schedule: cosine down to 10% of the learning rate instead of zero.
FLOOR = "0.1 + 0.9 * 0.5 * (1.0 + math.cos(math.pi * {}))"


def _git(*args: str) -> str:
    return run(["git", "-C", str(REPO), *args], cwd=REPO)


def _version_at(commit: str) -> str:
    return str(yaml.safe_load(_git("show", f"{commit}:{COPIER_YML}"))["_dlgen"]["version"])


def previous_release() -> tuple[str, str, str]:
    """(the last commit of the previous template release on this branch's first-parent line,
    that release, today's release): the first parent of the commit that brought today's."""
    if _git("rev-parse", "--is-shallow-repository").strip() == "true":
        pytest.skip("a shallow clone has no previous release to build")
    current = _version_at("HEAD")
    introduced = None
    for commit in _git("rev-list", "--first-parent", "HEAD", "--", COPIER_YML).split():
        if _version_at(commit) != current:
            break
        introduced = commit
    assert introduced is not None
    parent = _git("rev-parse", f"{introduced}^1").strip()
    return parent, _version_at(parent), current


def install_dlgen_at(commit: str, tmp: Path) -> Path:
    """That commit's dlgen, built as a wheel from `git archive` and installed in a venv of its
    own, as its users had it."""
    src = tmp / "src"
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", commit],
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(src, filter="data")
    pip = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation"]
    run([*pip, "-w", str(tmp / "wheel"), str(src)], cwd=tmp)
    venv = tmp / "venv"
    run([sys.executable, "-m", "venv", str(venv)], cwd=tmp)
    wheel = next((tmp / "wheel").glob("dlgen-*.whl"))
    run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)], cwd=tmp)
    return venv / "bin" / "dlgen"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, (path, old)
    path.write_text(text.replace(old, new))


def local_edits(project: Path) -> None:
    """What a team does in its first weeks: a floor under the learning-rate schedule, the total
    in the progress bar, a longer default run, and a test of their own for the schedule."""
    loop = project / "src/proj/training/loop.py"
    edit(
        loop,
        "        return 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0)))\n",
        "        return " + FLOOR.format("min(progress, 1.0)") + "  # ours\n",
    )
    edit(
        loop,
        '    desc = f"epoch {run.progress.epoch + 1}"\n',
        '    desc = f"epoch {run.progress.epoch + 1}/{cfg.epochs}"  # ours: the total too\n',
    )
    edit(project / "params.yaml", "  epochs: 8\n", "  epochs: 12\n")
    (project / "tests/test_schedule.py").write_text(
        '"""Our schedule decays to a floor of 10% of the learning rate, not to zero."""\n\n'
        "import torch\n\n"
        "from proj.training.loop import warmup_cosine\n\n\n"
        "def test_schedule_keeps_a_floor() -> None:\n"
        "    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)\n"
        "    schedule = warmup_cosine(optimizer, warmup=2, total=10)\n"
        "    for _ in range(12):\n"
        "        optimizer.step()\n"
        "        schedule.step()\n"
        "    assert abs(schedule.get_last_lr()[0] - 0.1) < 1e-6\n"
    )


def resolve_as_a_user(project: Path) -> None:
    """The CHANGELOG says the schedule moved to `training/run.py` and is chosen by config: take
    the template's side of the conflict, and bring the floor back as a schedule of our own."""
    loop = project / "src/proj/training/loop.py"
    hunk = re.compile(r"<<<<<<< [^\n]*\n.*?\n=======\n(.*?)>>>>>>> [^\n]*\n", re.S)
    loop.write_text(hunk.sub(r"\1", loop.read_text()))
    edit(
        project / "src/proj/training/run.py",
        '    "constant": lambda done: 1.0,\n',
        '    "constant": lambda done: 1.0,\n'
        '    "floor": lambda done: ' + FLOOR.format("done") + ",  # ours\n",
    )
    edit(
        project / "src/proj/config.py",
        '"constant"] = "cosine"  # after the linear warm-up',
        '"constant", "floor"] = "cosine"  # after the warm-up',
    )
    edit(
        project / "params.yaml",
        "  grad_clip: 1.0\n",
        "  grad_clip: 1.0\n  schedule: floor\n",
    )
    test = project / "tests/test_schedule.py"
    edit(test, "training.loop import warmup_cosine", "training.run import warmup_schedule")
    edit(test, "warmup_cosine(optimizer,", 'warmup_schedule(optimizer, "floor",')


def test_update_from_previous_release_with_local_loop_edits(
    tmp_path: Path, shared_venv: Path, e2e_env: dict[str, str]
) -> None:
    commit, old, new = previous_release()
    # The edits and the expected conflict below are written against 0.1.0's loop and 0.2.0's
    # moves: a new release needs them rewritten against the release before it.
    assert (old, new) == ("0.1.0", "0.2.0"), (old, new)
    old_dlgen = install_dlgen_at(commit, tmp_path / "old-dlgen")
    project = tmp_path / "proj"
    run([str(old_dlgen), "new", str(project), "--defaults", "--no-hooks"], tmp_path, e2e_env)
    assert_no_bytecode(project, e2e_env)
    assert yaml.safe_load((project / ".dlgen.yml").read_text())["template_version"] == old
    local_edits(project)
    run(["git", "add", "-A"], project, e2e_env)
    run(["git", "commit", "-q", "-m", "our schedule, bar and epochs"], project, e2e_env)

    update = subprocess.run(
        ["dlgen", "update"], cwd=project, env=e2e_env, capture_output=True, text=True, check=False
    )
    report = update.stdout + update.stderr
    # Both sides changed only the schedule (0.2.0 moved it out of loop.py, the user changed it):
    # that alone conflicts; the progress-bar edit merges; params.yaml is the user's (create-only).
    assert update.returncode == 4, report
    conflicts, notes = (update.stdout.split("CONFLICTS (fix, `git add`, then commit):\n")[1]).split(
        f"the template's CHANGELOG ({new}) on them:\n"
    )
    assert conflicts.split() == ["src/proj/training/loop.py"], report
    assert "create-only, not merged: params.yaml" in report
    unmerged = run(["git", "diff", "--name-only", "--diff-filter=U"], project, e2e_env).split()
    assert unmerged == ["src/proj/training/loop.py"]
    loop = (project / "src/proj/training/loop.py").read_text()
    assert loop.count("<<<<<<<") == 1 and "def warmup_cosine" in loop.split("=======")[0]
    assert '/{cfg.epochs}"  # ours: the total too' in loop and "def _check_finite" in loop
    assert "  epochs: 12\n" in (project / "params.yaml").read_text()
    # Where the code went: the release's CHANGELOG, its paragraph naming the file, under it.
    moved = textwrap.dedent(notes)
    assert moved.startswith("Moved") and "`training/loop.py`" in moved, report
    assert "`training/run.py`" in moved and "`warmup_cosine`" in moved, report
    assert "`SCHEDULES`" in moved and "`optim.schedule`" in moved, report

    resolve_as_a_user(project)
    run(["git", "add", "-A"], project, e2e_env)
    run(
        ["git", "commit", "-q", "-m", "dlgen update: our floor is a schedule now"], project, e2e_env
    )
    run(["dlgen", "check"], project, e2e_env)
    loop = (project / "src/proj/training/loop.py").read_text()
    assert "# ours: the total too" in loop and "warmup_cosine" not in loop
    assert '"floor": lambda done: 0.1 + 0.9' in (project / "src/proj/training/run.py").read_text()
    # The updated project's own checks and tests, the user's test among them.
    (project / ".venv").symlink_to(shared_venv)
    py = ".venv/bin/python"
    run([py, "-m", "ruff", "check", "."], project, e2e_env)
    run([py, "-m", "ruff", "format", "--check", "."], project, e2e_env)
    run([py, "-m", "mypy", "src"], project, e2e_env)
    tests = [py, "-m", "pytest", "-v", "-p", "no:cacheprovider"]
    out = run(tests, project, {**e2e_env, "PYTHONPATH": "src"}, timeout=1800)
    assert "tests/test_schedule.py::test_schedule_keeps_a_floor PASSED" in out, out[-2000:]
