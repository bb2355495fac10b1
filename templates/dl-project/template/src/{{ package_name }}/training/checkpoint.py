"""Checkpoints: the typed training state and its files (atomic, best-k plus last, weights_only).

`TrainingState` is the one place that knows a checkpoint's keys. Every value saved is a tensor or
a plain Python type, so `torch.load(path, weights_only=True)` (the default since PyTorch 2.6)
loads it: no pickled config objects.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import torch

LAST = "last.pt"
LEDGER = "checkpoints.json"


@dataclass
class Progress:
    """Where training stands: enough to continue exactly where it stopped."""

    epoch: int = 0  # completed epochs
    step: int = 0  # optimizer steps taken
    data_epoch: int = 0  # passes started over the training data
    consumed: int = 0  # samples of this rank consumed in the current data pass
    best_metric: float | None = None
    bad_epochs: int = 0  # epochs since the best one (early stopping)
    skipped: int = 0  # steps skipped for a non-finite loss (train.skip_nonfinite)
    epoch_loss: float = 0.0  # the current epoch's step losses so far, summed (mean over ranks)
    stopped: str = ""  # "completed" or "early_stopped" once the run is over
    run_id: str = ""  # this run's own id (W&B run id, MLflow run name), kept across resumptions
    tracker_run_id: str = ""  # the tracker's id for this run, to continue it on resume (MLflow)
    best: list[dict[str, Any]] = field(default_factory=list)  # [{"path", "epoch", "metric"}]


@dataclass
class TrainingState:
    """Everything to continue exactly: model, optimizer, scheduler, scaler, every rank's RNGs,
    the progress, and what the run's shape depends on (config, its digest, steps per epoch, the
    data manifest's digest)."""

    model: dict[str, Any]
    optimizer: dict[str, Any]
    scheduler: dict[str, Any]
    scaler: dict[str, Any]
    rng: list[dict[str, Any]]  # one per rank
    config: dict[str, Any]  # Config.to_dict() of the run that wrote it
    progress: Progress
    digest: str = ""  # of the run-defining config; "" in checkpoints of template 0.1.0
    steps_per_epoch: int = 0  # 0: not recorded (template 0.1.0)
    data: str = ""  # digest of the data manifest; "": none or not recorded (template < 0.2.0)
    # FSDP: where (relative to the run dir) every rank's shard of the model and the optimizer
    # state is; `model` then holds the whole model (for evaluation), `optimizer` is empty.
    sharded: str = ""

    def to_payload(self) -> dict[str, Any]:
        """The dict `torch.save` writes."""
        payload = {f.name: getattr(self, f.name) for f in fields(self)}
        payload["progress"] = asdict(self.progress)
        return payload

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> TrainingState:
        """The state `to_payload` wrote."""
        return cls(**{**payload, "progress": Progress(**payload["progress"])})


def save_atomic(payload: dict[str, Any], path: Path) -> None:
    """Write to a temporary file in the same directory, then rename over `path`: a crash or a
    kill mid-write leaves the previous checkpoint intact."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with tmp.open("wb") as f:
            torch.save(payload, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _load(path: Path) -> dict[str, Any]:
    """Onto the CPU with `weights_only=True`; `load_state_dict` then copies the model's and the
    optimizer's tensors to their parameters' device (RNG states stay on the CPU, where
    `torch.set_rng_state` wants them)."""
    payload: dict[str, Any] = torch.load(path, map_location="cpu", weights_only=True)
    return payload


def load(path: Path) -> TrainingState:
    """The training state saved at `path`."""
    return TrainingState.from_payload(_load(path))


def save_weights(path: Path, model: dict[str, Any], config: dict[str, Any]) -> None:
    """The weights and the config that built them, without the training state (`models/`)."""
    save_atomic({"model": model, "config": config}, path)


def load_weights(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(model state dict, config dict) of a checkpoint or of a `save_weights` file."""
    payload = _load(path)
    return payload["model"], payload["config"]


def save_last(run_dir: Path, state: TrainingState) -> None:
    """Mid-epoch (steps, wall time, preemption): `last.pt` only, the best-k ranking unchanged."""
    run_dir.mkdir(parents=True, exist_ok=True)
    save_atomic(state.to_payload(), run_dir / LAST)


def save(
    run_dir: Path, state: TrainingState, *, metric: float, higher_is_better: bool, keep_best: int
) -> None:
    """End of epoch: `last.pt`, and `epoch-N.pt` if it is among the best `keep_best` (a NaN or
    infinite metric never ranks)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    progress = state.progress
    name = f"epoch-{progress.epoch:04d}.pt"
    this = [{"path": name, "epoch": progress.epoch, "metric": metric}]
    ranked = sorted(
        [*progress.best, *(this if math.isfinite(metric) else [])],
        key=lambda e: e["metric"],
        reverse=higher_is_better,
    )
    kept, dropped = ranked[:keep_best], ranked[keep_best:]
    progress.best = kept
    payload = state.to_payload()
    if any(e["path"] == name for e in kept):
        save_atomic(payload, run_dir / name)
    save_atomic(payload, run_dir / LAST)
    for entry in dropped:
        (run_dir / entry["path"]).unlink(missing_ok=True)
    ledger = {"last": LAST, "best": kept}
    (run_dir / LEDGER).write_text(json.dumps(ledger, indent=2) + "\n", encoding="utf-8")


def best_path(run_dir: Path) -> Path:
    """The best checkpoint of a run (last.pt when none was ranked)."""
    ledger_path = run_dir / LEDGER
    if ledger_path.exists():
        best = json.loads(ledger_path.read_text(encoding="utf-8"))["best"]
        if best:
            return run_dir / str(best[0]["path"])
    return run_dir / LAST
