"""Checkpointing a run and resuming it: every rank's state gathered into a `TrainingState`, saved
by rank 0 (end of epoch: ranked among the best; mid-epoch: `last.pt` only), and restored, refused
when the checkpoint was trained with other settings or on other data. Under FSDP every rank also
writes its shard of the model and the optimizer state (`sharding.save`), which `last.pt` names."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import torch.distributed as torch_dist

from ..config import Config, flatten, run_defining
from . import checkpoint, distributed, repro, sharding
from .checkpoint import TrainingState
from .run import Run
from .rundir import MANIFEST, TrainingRefused


def capture(run: Run) -> TrainingState:
    """The run's state; collective under torchrun (every rank's RNG states are gathered)."""
    rng = [repro.rng_state()]
    if run.dist.enabled:
        rng = [{}] * run.dist.world_size
        torch_dist.all_gather_object(rng, repro.rng_state())
    model, optimizer, sharded = run.module.state_dict(), run.optimizer.state_dict(), ""
    if sharding.is_sharded(run.model):
        name = f"epoch-{run.progress.epoch:04d}-step-{run.progress.step:08d}"
        sharded = sharding.save(Path(run.config.train.run_dir), name, run.model, run.optimizer)
        model, optimizer = sharding.full_model_state(run.model), {}
    return TrainingState(
        model=model,
        optimizer=optimizer,
        scheduler=run.scheduler.state_dict(),
        scaler=run.scaler.state_dict(),
        rng=rng,
        config=run.config.to_dict(),
        progress=run.progress,
        digest=run.config.digest(),
        steps_per_epoch=run.steps_per_epoch,
        data=run.data_digest,
        sharded=sharded,
    )


def save_epoch(run: Run, metric: float) -> None:
    """End of epoch: `last.pt`, and `epoch-N.pt` if it ranks among the best `train.keep_best`."""
    state = capture(run)  # collective: every rank takes part
    if run.dist.is_main:
        checkpoint.save(
            Path(run.config.train.run_dir),
            state,
            metric=metric,
            higher_is_better=run.config.train.monitor_mode == "max",
            keep_best=run.config.train.keep_best,
        )
        _prune(run, state)
    run.saved_at = time.monotonic()
    distributed.barrier()


def save_last(run: Run) -> None:
    """Mid-epoch (steps, wall time, preemption): `last.pt` only, the best-k ranking unchanged."""
    state = capture(run)
    if run.dist.is_main:
        checkpoint.save_last(Path(run.config.train.run_dir), state)
        _prune(run, state)
    run.saved_at = time.monotonic()
    distributed.barrier()


def _prune(run: Run, state: TrainingState) -> None:
    """Once `last.pt` names the new sharded checkpoint, the older ones go."""
    if state.sharded:
        sharding.prune(Path(run.config.train.run_dir), state.sharded)


def changes(state: TrainingState, run: Run) -> list[str]:
    """What differs between the checkpoint's settings and data and this run's (runtime keys
    aside; a key the checkpoint lacks, added to the template since, counts as its default)."""
    same_data = not state.data or state.data == run.data_digest
    if (
        state.digest == run.config.digest()
        and state.steps_per_epoch == run.steps_per_epoch
        and same_data
    ):
        return []
    old = run_defining({**Config().flat(), **flatten(state.config)})
    new = run_defining(run.config.flat())
    keys = sorted(old.keys() | new.keys())
    changed = [f"{k}: {old.get(k)!r} -> {new.get(k)!r}" for k in keys if old.get(k) != new.get(k)]
    steps = state.steps_per_epoch or run.steps_per_epoch
    if steps != run.steps_per_epoch:  # world size or data size changed
        changed.append(f"steps per epoch: {steps} -> {run.steps_per_epoch}")
    if not same_data:
        manifest = Path(run.config.data.processed_dir) / MANIFEST
        changed.append(f"data: {manifest} {state.data} -> {run.data_digest or 'missing'}")
    return changed


def _same_layout(state: TrainingState, run: Run, path: Path) -> None:
    """A sharded checkpoint (FSDP) resumes only into a sharded run, a whole one (DDP, one
    process) only into an unsharded run: refused otherwise, even with allow_config_change (the
    optimizer state of one cannot be read as the other's)."""
    if bool(state.sharded) == sharding.is_sharded(run.model):
        return
    if state.sharded:
        how = "is sharded (train.strategy=fsdp under torchrun); this run is not"
    else:
        how = "holds the whole model (train.strategy=ddp, or one process); this run is sharded"
    raise TrainingRefused(
        f"{path} {how}: resume with the train.strategy and launch it was trained with, or train "
        "into a fresh run dir (-S train.run_dir=runs/NAME)"
    )


def restore(run: Run, path: Path) -> None:
    """Continue from `path`: refused if it was trained in another layout (FSDP's shards or a
    whole model), and, unless `train.allow_config_change`, with other settings or on other data
    (another data manifest)."""
    state = checkpoint.load(path)
    _same_layout(state, run, path)
    changed = "; ".join(changes(state, run))
    if changed and not run.config.train.allow_config_change:
        raise TrainingRefused(
            f"{path} was trained with other settings ({changed}): train into a fresh run dir "
            "(-S train.run_dir=runs/NAME) or continue with the new settings "
            "(-S train.allow_config_change=true)"
        )
    if changed and run.dist.is_main:
        print(f"warning: {path} continues with changed settings: {changed}", file=sys.stderr)
    if state.sharded:
        sharding.load(path.parent / state.sharded, run.model, run.optimizer)
    else:
        run.module.load_state_dict(state.model)
        run.optimizer.load_state_dict(state.optimizer)  # moves its state to the params' device
    run.scheduler.load_state_dict(state.scheduler)
    run.scaler.load_state_dict(state.scaler)
    rank = run.dist.rank
    repro.set_rng_state(state.rng[rank] if rank < len(state.rng) else state.rng[0])
    for key, value in vars(state.progress).items():
        setattr(run.progress, key, value)
    if changed and run.progress.stopped == "completed":
        run.progress.stopped = ""  # e.g. more epochs: go on
