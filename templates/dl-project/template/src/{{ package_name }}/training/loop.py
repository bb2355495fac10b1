"""The training loop: virtual epochs, AMP, accumulation with no_sync, clipping, warmup-cosine,
validation, early stopping, best-k checkpoints and exact resumption, under torchrun or alone."""

from __future__ import annotations

import dataclasses
import fcntl
import itertools
import json
import math
import os
import shutil
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.distributed as torch_dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.optim.lr_scheduler import LambdaLR
from torch.utils.data import DataLoader
from tqdm import tqdm

from ..config import Config, flatten, run_defining
from ..data.loaders import ResumableSampler, make_loader
from ..models import build_model, loss_fn, metrics
from ..tracking import Tracker, open_tracker
from . import checkpoint, distributed, repro
from .checkpoint import Progress
from .distributed import Dist
from .signals import StopRequest, stop_on_signals

Batch = tuple[torch.Tensor, ...]
_AMP = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}


class TrainingRefused(RuntimeError):
    """The run dir is in use, or its checkpoint was trained with other settings."""


@dataclass
class TrainResult:
    """How training ended."""

    progress: Progress
    history: list[dict[str, float]] = field(default_factory=list)
    stopped: str = "completed"  # completed | early_stopped | preempted


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
    return dataclasses.replace(config, train=train, export=export)


def select_device(name: str, dist: Dist) -> torch.device:
    """`auto` picks the accelerator torch finds (CUDA, MPS, XPU...), else the CPU."""
    if name != "auto":
        return torch.device(name)
    if torch.accelerator.is_available():
        accelerator = torch.accelerator.current_accelerator()
        assert accelerator is not None
        return torch.device(accelerator.type, dist.local_rank if accelerator.type == "cuda" else 0)
    return torch.device("cpu")


def warmup_cosine(optimizer: torch.optim.Optimizer, warmup: int, total: int) -> LambdaLR:
    """Linear warm-up, then cosine decay to zero; stepped once per optimizer step."""

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(total - warmup, 1)
        return 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0)))

    return LambdaLR(optimizer, factor)


def batches(loader: DataLoader[Batch], progress: Progress) -> Iterator[Batch]:
    """An endless stream over the training data that records where it is, so a resumed run
    continues with the very next batch (virtual epochs are independent of data passes)."""
    sampler = loader.sampler
    assert isinstance(sampler, ResumableSampler)
    while True:
        sampler.set_position(progress.data_epoch, progress.consumed)
        for batch in loader:
            progress.consumed += len(batch[0])
            yield batch
        progress.data_epoch += 1
        progress.consumed = 0


@dataclass
class _Run:
    config: Config
    dist: Dist
    device: torch.device
    model: nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: LambdaLR
    scaler: torch.amp.GradScaler
    stream: Iterator[Batch]
    progress: Progress
    steps_per_epoch: int
    saved_at: float = field(default_factory=time.monotonic)

    @property
    def module(self) -> nn.Module:
        """The model without its DDP wrapper."""
        return self.model.module if isinstance(self.model, DistributedDataParallel) else self.model

    def autocast(self) -> Any:
        """Mixed precision per `train.precision` (a no-op for fp32)."""
        dtype = _AMP[self.config.train.precision]
        if dtype is None:
            return nullcontext()
        return torch.autocast(self.device.type, dtype=dtype)


def _optimizer_step(run: _Run) -> torch.Tensor:
    """One optimizer step over `accumulate` micro-batches; gradients sync on the last only."""
    accumulate = run.config.train.accumulate
    run.optimizer.zero_grad(set_to_none=True)
    total = torch.zeros((), device=run.device)
    for micro in range(accumulate):
        inputs, targets = (t.to(run.device, non_blocking=True) for t in next(run.stream))
        last = micro == accumulate - 1
        sync = nullcontext() if last or not run.dist.enabled else run.model.no_sync()  # type: ignore[operator]
        with sync:
            with run.autocast():
                loss = loss_fn(run.model(inputs), targets) / accumulate
            scaled: torch.Tensor = run.scaler.scale(loss)
            scaled.backward()  # type: ignore[no-untyped-call]
        total += loss.detach()
    if run.config.optim.grad_clip > 0:
        run.scaler.unscale_(run.optimizer)
        nn.utils.clip_grad_norm_(run.model.parameters(), run.config.optim.grad_clip, foreach=True)
    run.scaler.step(run.optimizer)
    run.scaler.update()
    run.scheduler.step()
    run.progress.step += 1
    return total


def evaluate_loader(
    model: nn.Module,
    loader: DataLoader[Batch],
    device: torch.device,
    max_batches: int | None = None,
) -> dict[str, float]:
    """Metrics over a loader, summed across ranks; eval mode and inference_mode."""
    model.eval()
    sums: dict[str, torch.Tensor] = {}
    count = torch.zeros((), device=device)
    with torch.inference_mode():
        for inputs, targets in itertools.islice(loader, max_batches):
            inputs, targets = inputs.to(device), targets.to(device)
            for key, value in metrics(model(inputs), targets).items():
                sums[key] = sums.get(key, torch.zeros((), device=device)) + value
            count += len(targets)
    keys = sorted(sums)
    stacked = distributed.all_reduce_sum(torch.stack([*(sums[k] for k in keys), count]))
    return {k: (stacked[i] / stacked[-1]).item() for i, k in enumerate(keys)}


def _across_ranks(run: _Run, loss: torch.Tensor, *flags: bool) -> tuple[float, list[bool]]:
    """One all-reduce and one host sync: `loss` averaged over ranks, and each flag set on any."""
    flag_values = torch.tensor([float(f) for f in flags], device=run.device)
    summed = distributed.all_reduce_sum(torch.cat([loss.reshape(1), flag_values])).tolist()
    return summed[0] / run.dist.world_size, [value > 0 for value in summed[1:]]


def _train_epoch(run: _Run, stop: StopRequest, tracker: Tracker | None) -> tuple[float, bool]:
    """Run the epoch's remaining optimizer steps: (training loss averaged over steps and ranks,
    stopped by a signal). Every `train.log_every_steps` steps one all-reduce averages the loss
    over ranks for the log (with the learning rate and the throughput), and the ranks agree on a
    stop and on a wall-time checkpoint. In a single process the stop is read every step."""
    cfg = run.config.train
    done = max(run.progress.step - run.progress.epoch * run.steps_per_epoch, 0)
    samples_per_step = run.config.data.batch_size * cfg.accumulate * run.dist.world_size
    epoch_loss = window_loss = torch.zeros((), device=run.device)
    epoch_steps = window_steps = 0
    tic = time.perf_counter()
    stopped = False
    run.model.train()
    show = run.dist.is_main and sys.stderr.isatty()
    desc = f"epoch {run.progress.epoch + 1}"
    for _ in tqdm(range(done, run.steps_per_epoch), disable=not show, leave=False, desc=desc):
        loss = _optimizer_step(run)
        epoch_loss, window_loss = epoch_loss + loss, window_loss + loss
        epoch_steps, window_steps = epoch_steps + 1, window_steps + 1
        step, due = run.progress.step, False
        if step % cfg.log_every_steps == 0:
            late = 0 < cfg.checkpoint_every_minutes * 60 <= time.monotonic() - run.saved_at
            mean, (stopped, due) = _across_ranks(
                run, window_loss / window_steps, stop.requested, late
            )
            record: dict[str, float] = {
                "train_loss": mean,
                "lr": float(run.scheduler.get_last_lr()[0]),
                "samples_per_s": window_steps * samples_per_step / (time.perf_counter() - tic),
            }
            if tracker is not None:
                tracker.log(record, step)
            window_loss, window_steps, tic = torch.zeros_like(window_loss), 0, time.perf_counter()
        elif not run.dist.enabled:
            stopped = stop.requested  # no other rank to agree with: free to read every step
        if stopped:
            break
        if due or (cfg.checkpoint_every_steps and step % cfg.checkpoint_every_steps == 0):
            _save_last(run)
    if not epoch_steps:
        return float("nan"), stopped
    return _across_ranks(run, epoch_loss / epoch_steps)[0], stopped


def _improved(value: float, best: float | None, mode: str) -> bool:
    return best is None or (value < best if mode == "min" else value > best)


def _payload(run: _Run) -> dict[str, Any]:
    """Everything to continue exactly: model, optimizer, scheduler, scaler, every rank's RNGs,
    and what the run's shape depends on (config digest, steps per epoch)."""
    rng = [repro.rng_state()]
    if run.dist.enabled:
        rng = [None] * run.dist.world_size  # type: ignore[list-item]
        torch_dist.all_gather_object(rng, repro.rng_state())
    return {
        "model": run.module.state_dict(),
        "optimizer": run.optimizer.state_dict(),
        "scheduler": run.scheduler.state_dict(),
        "scaler": run.scaler.state_dict(),
        "rng": rng,
        "config": run.config.to_dict(),
        "digest": run.config.digest(),
        "steps_per_epoch": run.steps_per_epoch,
    }


def _save(run: _Run, metric: float) -> None:
    """End of epoch: `last.pt`, and `epoch-N.pt` if it ranks among the best `train.keep_best`."""
    payload = _payload(run)  # collective: every rank takes part
    if run.dist.is_main:
        checkpoint.save(
            Path(run.config.train.run_dir),
            payload,
            run.progress,
            metric=metric,
            higher_is_better=run.config.train.monitor_mode == "max",
            keep_best=run.config.train.keep_best,
        )
    run.saved_at = time.monotonic()
    distributed.barrier()


def _save_last(run: _Run) -> None:
    """Mid-epoch (steps, wall time, preemption): `last.pt` only, the best-k ranking unchanged."""
    payload = _payload(run)
    if run.dist.is_main:
        payload["progress"] = asdict(run.progress)
        checkpoint.save_atomic(payload, Path(run.config.train.run_dir) / checkpoint.LAST)
    run.saved_at = time.monotonic()
    distributed.barrier()


def _changes(payload: dict[str, Any], run: _Run) -> list[str]:
    """What differs between the checkpoint's settings and this run's (RUNTIME_KEYS aside)."""
    if payload.get("digest") == run.config.digest() and (
        payload.get("steps_per_epoch") == run.steps_per_epoch
    ):
        return []
    old, new = run_defining(flatten(payload["config"])), run_defining(run.config.flat())
    changed = [f"{k}: {old[k]!r} -> {new.get(k)!r}" for k in sorted(old) if old[k] != new.get(k)]
    steps = payload.get("steps_per_epoch", run.steps_per_epoch)
    if steps != run.steps_per_epoch:  # world size or data size changed
        changed.append(f"steps per epoch: {steps} -> {run.steps_per_epoch}")
    return changed


def _restore(run: _Run, path: Path) -> None:
    """Continue from `path`: refused if it was trained with other settings, unless
    `train.allow_config_change`."""
    payload = checkpoint.load(path)
    changes = "; ".join(_changes(payload, run))
    if changes and not run.config.train.allow_config_change:
        raise TrainingRefused(
            f"{path} was trained with other settings ({changes}): train into a fresh run dir "
            "(-S train.run_dir=runs/NAME) or continue with the new settings "
            "(-S train.allow_config_change=true)"
        )
    if changes and run.dist.is_main:
        print(f"warning: {path} continues with changed settings: {changes}", file=sys.stderr)
    run.module.load_state_dict(payload["model"])
    run.optimizer.load_state_dict(payload["optimizer"])  # moves its state to the params' device
    run.scheduler.load_state_dict(payload["scheduler"])
    run.scaler.load_state_dict(payload["scaler"])
    rng = payload["rng"]
    repro.set_rng_state(rng[run.dist.rank] if run.dist.rank < len(rng) else rng[0])
    for key, value in vars(checkpoint.progress_of(payload)).items():
        setattr(run.progress, key, value)
    if changes and run.progress.stopped == "completed":
        run.progress.stopped = ""  # e.g. more epochs: go on


def _fast_matmul(device: torch.device) -> None:
    """TF32 matmuls on Ampere or newer GPUs, as most recipes train (fp32 storage, faster math)."""
    if device.type == "cuda" and torch.cuda.get_device_capability(device) >= (8, 0):
        torch.set_float32_matmul_precision("high")


def _build(config: Config, dist: Dist) -> tuple[_Run, DataLoader[Batch]]:
    repro.seed_everything(config.seed + dist.rank, deterministic=config.train.deterministic)
    device = select_device(config.train.device, dist)
    _fast_matmul(device)
    train_loader = make_loader(config, "train", dist, train=True)
    val_loader = make_loader(config, "val", dist, train=False)
    steps = config.train.steps_per_epoch or max(len(train_loader) // config.train.accumulate, 1)
    model: nn.Module = build_model(config).to(device)
    if config.train.compile:
        model.compile()  # in place: state_dict keys stay those of the eager model
    if dist.enabled:
        model = DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None
        )
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=config.optim.lr, weight_decay=config.optim.weight_decay
    )
    scheduler = warmup_cosine(optimizer, config.optim.warmup_steps, steps * config.train.epochs)
    scaler = torch.amp.GradScaler(device.type, enabled=config.train.precision == "fp16")
    progress = Progress(run_id=uuid.uuid4().hex[:12])
    run = _Run(
        config,
        dist,
        device,
        model,
        optimizer,
        scheduler,
        scaler,
        batches(train_loader, progress),
        progress,
        steps,
    )
    last = Path(config.train.run_dir) / checkpoint.LAST
    if config.train.resume and last.exists():
        _restore(run, last)
    return run, val_loader


def _epoch_end(
    run: _Run, val_loader: DataLoader[Batch], train_loss: float, tracker: Tracker | None
) -> dict[str, float]:
    """Validate, update early stopping, checkpoint, log; return the epoch's record."""
    cfg = run.config.train
    val = evaluate_loader(run.model, val_loader, run.device, cfg.fast_dev_run or None)
    progress = run.progress
    progress.epoch += 1
    record = {
        "epoch": float(progress.epoch),
        "train_loss": train_loss,
        "lr": float(run.scheduler.get_last_lr()[0]),
        **{f"val_{k}": v for k, v in val.items()},
    }
    metric = record[cfg.monitor]
    if _improved(metric, progress.best_metric, cfg.monitor_mode):
        progress.best_metric, progress.bad_epochs = metric, 0
    else:
        progress.bad_epochs += 1
    if cfg.early_stop_patience > 0 and progress.bad_epochs >= cfg.early_stop_patience:
        progress.stopped = "early_stopped"
    elif progress.epoch >= cfg.epochs:
        progress.stopped = "completed"
    _save(run, metric)
    if tracker is not None:
        tracker.log(record, progress.step)
    return {"step": float(progress.step), **record}


@contextmanager
def _lock(run_dir: Path) -> Iterator[None]:
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


def _fit(
    run: _Run, val_loader: DataLoader[Batch], stop: StopRequest, tracker: Tracker | None
) -> TrainResult:
    result = TrainResult(run.progress)
    while not run.progress.stopped and run.progress.epoch < run.config.train.epochs:
        train_loss, stopped = _train_epoch(run, stop, tracker)
        if stopped:  # preempted: save mid-epoch state, exit cleanly for requeue
            _save_last(run)
            result.stopped = "preempted"
            return result
        result.history.append(_epoch_end(run, val_loader, train_loss, tracker))
    result.stopped = run.progress.stopped or "completed"
    return result


def train(config: Config, stop: StopRequest | None = None) -> TrainResult:
    """Train (or resume) per `config`; run under torchrun for DDP. Rank 0 writes all files."""
    if config.train.fast_dev_run:
        config = fast_dev_config(config)
    run_dir = Path(config.train.run_dir)
    with ExitStack() as stack:
        stop = stop or stack.enter_context(stop_on_signals())
        dist = distributed.setup()
        stack.callback(distributed.teardown)
        if dist.is_main:
            if config.train.fast_dev_run:
                shutil.rmtree(run_dir, ignore_errors=True)
            stack.enter_context(_lock(run_dir))
            (run_dir / "status.json").unlink(missing_ok=True)
        run, val_loader = _build(config, dist)
        tracker = open_tracker(config, run.progress) if dist.is_main else None
        if tracker is not None:
            stack.callback(tracker.close)
        result = _fit(run, val_loader, stop, tracker)
        if dist.is_main:  # read by scripts that requeue preempted jobs
            status = {"stopped": result.stopped, "step": result.progress.step}
            (run_dir / "status.json").write_text(json.dumps(status) + "\n", encoding="utf-8")
    return result
