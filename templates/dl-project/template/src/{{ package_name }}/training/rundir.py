"""The run directory: one writer at a time (a lock), what produced the run (the resolved config,
the git commit, package versions, device, data manifest), how the last run ended
(status.json), and the fast dev run's own directory."""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import importlib.metadata
import json
import os
import platform
import shutil
import subprocess  # nosec B404
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import torch
from omegaconf import OmegaConf

from ..config import Config

STATUS = "status.json"
CONFIG = "config.yaml"  # the resolved config of the latest start: `-c` it to run it again
PROVENANCE = "provenance.json"  # one record per start (a resumed run adds one)
MANIFEST = "manifest.json"  # in data.processed_dir: every split file's sha256


class TrainingRefused(RuntimeError):
    """The run dir is in use, or its checkpoint was trained with other settings."""


@contextmanager
def lock(run_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on the run dir while training writes there (released by the
    kernel when the process dies, so a killed run never leaves a stale lock)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    with (run_dir / "train.lock").open("a+", encoding="utf-8") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            raise TrainingRefused(
                f"{run_dir} is in use by another training (pid {f.read().strip() or '?'}): "
                "wait for it or stop it, or train into another train.run_dir"
            ) from None
        f.truncate(0)
        f.write(f"{os.getpid()}\n")
        f.flush()
        yield


def clear_status(run_dir: Path) -> None:
    """Forget how the previous run ended (at the start of every run)."""
    (run_dir / STATUS).unlink(missing_ok=True)


def write_status(run_dir: Path, stopped: str, step: int) -> None:
    """How this run ended, read by scripts that requeue preempted jobs."""
    status = {"stopped": stopped, "step": step}
    (run_dir / STATUS).write_text(json.dumps(status) + "\n", encoding="utf-8")


def fast_dev_config(config: Config) -> Config:
    """`train.fast_dev_run: N`: N optimizer steps and N validation batches, a checkpoint and the
    export, in a fresh `fast-dev-run` dir beside the run dir; no resumption, no external tracker."""
    run_dir = Path(config.train.run_dir).parent / "fast-dev-run"
    train = dataclasses.replace(
        config.train,
        run_dir=str(run_dir),
        epochs=1,
        steps_per_epoch=config.train.fast_dev_run,
        log_every_steps=1,
        checkpoint_every_steps=0,
        checkpoint_every_minutes=0.0,
        resume=False,
    )
    export = dataclasses.replace(config.export, out_dir=str(run_dir / "models"))
    optim = dataclasses.replace(config.optim, warmup_steps=0)  # N steps: no room for a warm-up
    return dataclasses.replace(config, optim=optim, train=train, export=export)


def data_digest(config: Config) -> str:
    """sha256 of the data manifest (which holds every split file's sha256); "" without one."""
    path = Path(config.data.processed_dir) / MANIFEST
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path.is_file() else ""


def _git(*args: str) -> str | None:
    """git's output here (None: no git, or not a repository); a fixed argument list, no shell."""
    git = shutil.which("git")
    if git is None:
        return None
    proc = subprocess.run(  # noqa: S603  # nosec B603
        [git, *args], capture_output=True, text=True, check=False, timeout=60
    )
    return proc.stdout.strip() if proc.returncode == 0 else None


@cache
def _packages() -> dict[str, str]:
    """Every installed distribution's version, by name (what `pip freeze` lists)."""
    found = {d.metadata["Name"]: d.version for d in importlib.metadata.distributions()}
    return dict(sorted(found.items(), key=lambda item: item[0].lower()))


def provenance(config: Config, device: torch.device, world_size: int, step: int) -> dict[str, Any]:
    """What this start runs: command, git commit (and whether the work tree differs from it;
    None where unknown), Python and package versions, device, data manifest digest."""
    commit = _git("rev-parse", "HEAD")
    status = _git("status", "--porcelain") if commit else None
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
    else:
        name = platform.processor() or platform.machine()
    return {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "step": step,
        "argv": sys.argv,
        "git": {"commit": commit, "dirty": None if status is None else bool(status)},
        "python": platform.python_version(),
        "packages": _packages(),
        "device": {"type": device.type, "name": name, "world_size": world_size},
        "config_digest": config.digest(),
        "data": {
            "manifest": str(Path(config.data.processed_dir) / MANIFEST),
            "sha256": data_digest(config) or None,
        },
    }


def record(run_dir: Path, config: Config, about: dict[str, Any]) -> None:
    """Write the resolved config (`config.yaml`) and append `about` to `provenance.json`."""
    (run_dir / CONFIG).write_text(OmegaConf.to_yaml(config.to_dict()), encoding="utf-8")
    path = run_dir / PROVENANCE
    starts = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
    path.write_text(json.dumps([*starts, about], indent=2) + "\n", encoding="utf-8")
