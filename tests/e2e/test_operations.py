"""Operating a generated project from a fresh shell: a queued DVC sweep run in parallel, a
pipeline killed and rerun, multi-node rendezvous with the environment the launchers produce, the
Docker image's layout. Marker e2e; one shared venv."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.conftest import generate, run

pytestmark = pytest.mark.e2e

# Small and quick: every experiment prepares its own data in DVC's copy of the project.
TINY = {"data": {"n_samples": 256}, "model": {"hidden": 16}}


def project_with_venv(
    dst: Path, answers: dict[str, str], venv: Path, env: dict[str, str], params: dict[str, Any]
) -> Path:
    """A generated project whose .venv is the shared one (what `make install` creates), with
    `params` merged into params.yaml, committed: DVC experiments start from a commit."""
    project = generate(dst, answers, env)
    (project / ".venv").symlink_to(venv)
    py = str(venv / "bin" / "python")
    pip = [py, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "-e", "."]
    run(pip, cwd=project, env=env)
    path = project / "params.yaml"
    values = yaml.safe_load(path.read_text())
    for section, keys in params.items():
        values[section].update(keys)
    path.write_text(yaml.safe_dump(values, sort_keys=False))
    run(["git", "commit", "-qam", "tiny params"], cwd=project, env=env)
    return project


def experiments(show: Any) -> Iterator[dict[str, Any]]:
    """Every experiment's record in `dvc exp show --json` (a baseline's `experiments` list)."""
    for baseline in show:
        for exp in baseline.get("experiments") or []:
            yield from exp["revs"]


def worker_windows(project: Path) -> dict[str, tuple[str, str]]:
    """Per DVC queue worker log: when it received its task and when the task succeeded."""
    windows = {}
    for log in sorted((project / ".dvc/tmp/exps/celery").glob("dvc-exp-worker-*.out")):
        text = log.read_text()
        stamps = {
            event: re.findall(rf"\[([\d-]+ [\d:,]+): INFO/MainProcess\] Task \S+ {event}", text)
            for event in ("received", "succeeded")
        }
        assert len(stamps["received"]) == 1 == len(stamps["succeeded"]), (log, text[-2000:])
        windows[log.name] = (stamps["received"][0], stamps["succeeded"][0])
    return windows


def test_queued_sweep_runs_in_parallel_from_a_fresh_shell(
    tmp_path: Path, shared_venv: Path, e2e_env: dict[str, str]
) -> None:
    """Two values queued with `dvc exp run --queue`, run by `make sweep` with two workers, each in
    DVC's temporary copy of the project (no .venv there), both in `dvc exp show`."""
    params = {**TINY, "train": {"epochs": 1, "steps_per_epoch": 2}}
    project = project_with_venv(tmp_path / "sweep", {}, shared_venv, e2e_env, params)
    dvc = str(project / ".venv" / "bin" / "dvc")
    queued = run(
        [dvc, "exp", "run", "--queue", "-S", "optim.lr=0.001,0.01"], cwd=project, env=e2e_env
    )
    assert queued.count("Queued experiment") == 2, queued
    run(["make", "sweep", "JOBS=2"], cwd=project, env=e2e_env, timeout=1200)
    show = json.loads(run([dvc, "exp", "show", "--json"], cwd=project, env=e2e_env))
    done = {
        exp["data"]["params"]["params.yaml"]["data"]["optim"]["lr"]: exp["data"]["metrics"]
        for exp in experiments(show)
    }
    assert sorted(done) == [0.001, 0.01], done
    for metrics in done.values():
        assert metrics["reports/metrics.json"]["data"], metrics  # evaluated
    # In parallel: each of the two workers ran one experiment, and each started before the
    # other finished.
    (start_a, end_a), (start_b, end_b) = worker_windows(project).values()
    assert start_a < end_b and start_b < end_a, worker_windows(project)


def run_id(project: Path) -> str:
    """The training run's id in runs/train/last.pt: kept by a resume, new for a fresh run."""
    read = (
        "import sys, torch; print(torch.load(sys.argv[1], weights_only=True)['progress']['run_id'])"
    )
    python = str(project / ".venv" / "bin" / "python")
    return run([python, "-c", read, "runs/train/last.pt"], cwd=project).strip()


def test_pipeline_rerun_after_a_kill_continues_from_the_checkpoint(
    tmp_path: Path, shared_venv: Path, e2e_env: dict[str, str]
) -> None:
    """`dvc repro` killed (SIGKILL, the whole process group) during training; the rerun goes on
    from runs/train/last.pt instead of step 0, and a rerun of a finished run trains afresh."""
    epochs = 60
    train = {"epochs": epochs, "steps_per_epoch": 2, "early_stop_patience": 0, "keep_best": 1}
    params = {**TINY, "train": train}
    answers = {"export_formats": "none", "serving": "none", "tracker": "none"}
    project = project_with_venv(tmp_path / "killed", answers, shared_venv, e2e_env, params)
    dvc = str(project / ".venv" / "bin" / "dvc")
    log = project / "runs" / "train" / "metrics.jsonl"
    with subprocess.Popen(
        [dvc, "repro"],
        cwd=project,
        env=e2e_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    ) as proc:
        deadline = time.monotonic() + 600
        while not (log.exists() and '"val_loss"' in log.read_text()):  # an epoch checkpointed
            assert proc.poll() is None and time.monotonic() < deadline, "no epoch within 600 s"
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGKILL)
    assert not (project / "runs" / "train" / "status.json").exists()  # killed, not finished
    killed = run_id(project)
    run([dvc, "repro"], cwd=project, env=e2e_env)
    assert run_id(project) == killed  # the same run, continued
    status = json.loads((project / "runs" / "train" / "status.json").read_text())
    assert status == {"stopped": "completed", "step": epochs * 2}
    # A finished run is not resumed (a completed run would train nothing): changed settings
    # train afresh.
    run([dvc, "exp", "run", "-S", "train.epochs=2"], cwd=project, env=e2e_env)
    assert run_id(project) != killed
    status = json.loads((project / "runs" / "train" / "status.json").read_text())
    assert status == {"stopped": "completed", "step": 4}
