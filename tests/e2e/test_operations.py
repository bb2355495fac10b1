"""Operating a generated project from a fresh shell: a queued DVC sweep run in parallel, a
pipeline killed and rerun, multi-node rendezvous with the environment the launchers produce, the
Docker image's layout. Marker e2e; one shared venv."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.conftest import generate, run

pytestmark = pytest.mark.e2e

# Small and quick: every experiment prepares its own data in DVC's copy of the project; a warm-up
# of one step, as params.yaml's 20 would be longer than these runs (refused at load time).
TINY = {"data": {"n_samples": 256}, "model": {"hidden": 16}, "optim": {"warmup_steps": 1}}


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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def kubelet_expand(arg: str, env: dict[str, str]) -> str:
    """`$(VAR)` in a container's command and args, as the kubelet expands it from the
    container's environment (`$$` escapes; an unknown name stays as written)."""
    return re.sub(
        r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)",
        lambda m: "$" if m.group(0) == "$$" else env.get(m.group(1), m.group(0)),
        arg,
    )


def start_nodes(commands: list[list[str]], envs: list[dict[str, str]], cwd: Path) -> list[str]:
    """Run one launcher per "node" at once; wait for all; fail unless each exits 0."""
    procs = [
        subprocess.Popen(
            cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for cmd, env in zip(commands, envs, strict=True)
    ]
    outputs = []
    for proc in procs:
        try:
            out, _ = proc.communicate(timeout=600)
        finally:
            for other in procs:
                if other.poll() is None and proc.returncode != 0:
                    other.kill()
        outputs.append(out)
    for proc, out in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, out[-4000:]
    return outputs


def ranks_in_checkpoint(project: Path) -> tuple[int, int]:
    """(world size, step) of runs/train/last.pt: one RNG state per rank of the run."""
    read = (
        "import sys, torch; p = torch.load(sys.argv[1], weights_only=True); "
        "print(len(p['rng']), p['progress']['step'])"
    )
    python = str(project / ".venv" / "bin" / "python")
    world, step = run([python, "-c", read, "runs/train/last.pt"], cwd=project).split()
    return int(world), int(step)


@pytest.fixture
def launchers(tmp_path: Path, shared_venv: Path, e2e_env: dict[str, str]) -> Path:
    """A project with the SLURM script and the TrainJob manifest, its data prepared."""
    params = {**TINY, "train": {"epochs": 1, "steps_per_epoch": 2}}
    answers = {"slurm": "true", "kubernetes": "true", "tracker": "none"}
    project = project_with_venv(tmp_path / "nodes", answers, shared_venv, e2e_env, params)
    run(
        [".venv/bin/python", "-m", "nodes", "prepare", "-c", "params.yaml"],
        cwd=project,
        env=e2e_env,
    )
    return project


def test_trainjob_rendezvous_of_two_nodes_on_localhost(
    launchers: Path, tmp_path: Path, shared_venv: Path, e2e_env: dict[str, str]
) -> None:
    """k8s/trainjob.yaml passes its vendored CRD schema, and its command, run as the kubelet
    would in each of numNodes pods (the image's PATH, the PET_* environment Kubeflow Trainer's
    torch plugin sets, `$(VAR)` expanded), trains one 2-node c10d job on 127.0.0.1."""
    project = launchers
    check = [str(shared_venv / "bin" / "check-jsonschema"), "--schemafile"]
    run([*check, "k8s/trainjob.schema.json", "k8s/trainjob.yaml"], cwd=project, env=e2e_env)
    job = yaml.safe_load((project / "k8s" / "trainjob.yaml").read_text())
    typo = tmp_path / "typo.yaml"  # the schema is strict, as kubectl apply is
    typo.write_text(yaml.safe_dump({**job, "spec": {**job["spec"], "trainers": {}}}))
    validate = [*check, "k8s/trainjob.schema.json", str(typo)]
    rejected = subprocess.run(validate, cwd=project, capture_output=True, text=True, check=False)
    assert rejected.returncode == 1 and "'trainers' was unexpected" in rejected.stdout, rejected
    trainer = job["spec"]["trainer"]
    nodes, port = trainer["numNodes"], free_port()
    assert nodes == 2 and job["spec"]["runtimeRef"]["name"] == "torch-distributed"
    envs, commands = [], []
    for rank in range(nodes):
        env = {
            **e2e_env,
            "PATH": f"{shared_venv / 'bin'}{os.pathsep}{e2e_env['PATH']}",  # ENV PATH=/opt/venv/bin
            **{item["name"]: item["value"] for item in trainer.get("env", [])},
            # What the torch plugin injects (master: pod 0's DNS name there, one CPU process here).
            "PET_NNODES": str(nodes),
            "PET_NPROC_PER_NODE": "1",
            "PET_NODE_RANK": str(rank),
            "PET_MASTER_ADDR": "127.0.0.1",
            "PET_MASTER_PORT": str(port),
        }
        envs.append(env)
        commands.append([kubelet_expand(a, env) for a in trainer["command"] + trainer["args"]])
    assert f"--rdzv-endpoint=127.0.0.1:{port}" in commands[0]
    start_nodes(commands, envs, project)
    assert ranks_in_checkpoint(project) == (2, 2)


def test_sbatch_rendezvous_of_two_nodes_on_localhost(
    launchers: Path, tmp_path: Path, e2e_env: dict[str, str]
) -> None:
    """scripts/slurm.sbatch run as SLURM runs it on each of two nodes (srun starting its one
    task there, scontrol naming the head node 127.0.0.1): one 2-node c10d job."""
    project = launchers
    stubs = tmp_path / "slurm-bin"
    stubs.mkdir()
    (stubs / "srun").write_text('#!/bin/sh\nexec "$@"\n')
    scontrol = 'case "$1" in show) echo 127.0.0.1 ;; *) echo "scontrol $*" >&2; exit 1 ;; esac'
    (stubs / "scontrol").write_text(f"#!/bin/sh\n{scontrol}\n")
    for stub in stubs.iterdir():
        stub.chmod(0o755)
    port = free_port()
    envs = [
        {
            **e2e_env,
            "PATH": f"{stubs}{os.pathsep}{e2e_env['PATH']}",
            "SLURM_JOB_ID": "4242",
            "SLURM_JOB_NODELIST": "node[1-2]",
            "SLURM_NNODES": "2",
            "SLURM_NODEID": str(node),
            "SLURM_GPUS_PER_NODE": "1",
            "SLURM_CPUS_PER_TASK": "1",
            "RDZV_PORT": str(port),
        }
        for node in range(2)
    ]
    start_nodes([["bash", "scripts/slurm.sbatch"]] * 2, envs, project)
    assert ranks_in_checkpoint(project) == (2, 2)


def dockerfile_instructions(text: str) -> list[tuple[str, str, str]]:
    """(stage, instruction, arguments) of each instruction, continuation lines joined."""
    stage, out = "", []
    for raw in re.sub(r"\\\n", " ", text).splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        if word.upper() == "FROM":
            stage = rest.split()[-1]
        out.append((stage, word.upper(), rest))
    return out


def test_docker_layers_build_context_and_ci(tmp_path: Path, e2e_env: dict[str, str]) -> None:
    """What a docker build of a fresh clone needs and does, read from the Dockerfile (no Docker
    engine here; hadolint runs in the validators): COPY sources exist in a fresh clone, torch and
    the dependencies install before the source is copied, package installs use a BuildKit cache
    mount, the entry point leaves the node count to the launcher; CI builds the images."""
    project = generate(tmp_path / "imaged", {"ci": "both"}, e2e_env)
    clone = tmp_path / "clone"
    run(["git", "clone", "-q", str(project), str(clone)], cwd=tmp_path, env=e2e_env)
    steps = dockerfile_instructions((clone / "Dockerfile").read_text())
    for stage, word, rest in steps:
        args = rest.split()
        if word == "COPY" and not any(a.startswith("--from") for a in args):
            sources = [a for a in args[:-1] if not a.startswith("--")]
            missing = [s for s in sources if not (clone / s).exists()]
            assert not missing, f"{stage}: COPY {rest}: not in a fresh clone: {missing}"
        if word == "RUN" and "pip install" in rest:
            assert "--mount=type=cache" in rest, f"{stage}: RUN {rest}"
    for stage in ("builder", "serve-builder"):
        own = [(word, rest) for s, word, rest in steps if s == stage]
        source = own.index(("COPY", "src ./src"))
        before = " ".join(rest for word, rest in own[:source] if word == "RUN")
        assert "torch==" in before and "-r pyproject.toml" in before, (stage, own)
        after = [rest for word, rest in own[source:] if word == "RUN"]
        assert after and all("--no-deps" in rest for rest in after), (stage, after)
    (entrypoint,) = [rest for s, word, rest in steps if s == "train" and word == "ENTRYPOINT"]
    assert "nnodes" not in entrypoint and json.loads(entrypoint)[0] == "torchrun"
    targets = run(["make", "-n", "docker-build"], cwd=clone, env=e2e_env)
    assert re.findall(r"docker build --target (\S+)", targets) == ["train", "serve"]
    ci = yaml.safe_load((clone / ".github/workflows/ci.yml").read_text())
    github = [s.get("run") for s in ci["jobs"]["docker-build"]["steps"]]
    gitlab = yaml.safe_load((clone / ".gitlab-ci.yml").read_text())["docker-build"]
    assert "make docker-build" in github and gitlab["script"] == ["make docker-build"]
    assert gitlab["services"] == ["docker:28-dind"]
