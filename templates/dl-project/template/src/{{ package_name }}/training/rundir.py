"""The run directory: one writer at a time (a lock), how the last run ended (status.json), and
the fast dev run's own directory."""

from __future__ import annotations

import dataclasses
import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..config import Config

STATUS = "status.json"


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
