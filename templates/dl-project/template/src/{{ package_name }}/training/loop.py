"""The training loop: virtual epochs, AMP, accumulation with no_sync, clipping, warmup-cosine,
validation, early stopping, best-k checkpoints and exact resumption, under torchrun or alone."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.distributed as torch_dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.optim.lr_scheduler import LambdaLR
from torch.utils.data import DataLoader
from tqdm import tqdm

from ..config import Config
from ..data.loaders import ResumableSampler, make_loader
from ..models import build_model, loss_fn, metrics, primary_metric
from ..tracking import Tracker, open_tracker
from . import checkpoint, distributed, repro
from .checkpoint import Progress
from .distributed import Dist
from .signals import StopRequest, install

Batch = tuple[torch.Tensor, ...]
_AMP = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}


@dataclass
class TrainResult:
    """How training ended."""

    progress: Progress
    history: list[dict[str, float]] = field(default_factory=list)
    stopped: str = "completed"  # completed | early_stopped | preempted


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
    model: nn.Module, loader: DataLoader[Batch], device: torch.device
) -> dict[str, float]:
    """Metrics over a loader, summed across ranks; eval mode and inference_mode."""
    model.eval()
    sums: dict[str, torch.Tensor] = {}
    count = torch.zeros((), device=device)
    with torch.inference_mode():
        for inputs, targets in loader:
            inputs, targets = inputs.to(device), targets.to(device)
            for key, value in metrics(model(inputs), targets).items():
                sums[key] = sums.get(key, torch.zeros((), device=device)) + value
            count += len(targets)
    keys = sorted(sums)
    stacked = distributed.all_reduce_sum(torch.stack([*(sums[k] for k in keys), count]))
    return {k: (stacked[i] / stacked[-1]).item() for i, k in enumerate(keys)}


def _stop_agreed(run: _Run, stop: StopRequest) -> bool:
    """Whether any rank got a stop signal: all ranks then stop at the same step, so the
    checkpoint's collectives cannot hang on a rank that keeps training."""
    if not run.dist.enabled:
        return stop.requested
    flag = torch.tensor(float(stop.requested), device=run.device)
    return bool(distributed.all_reduce_max(flag).item())


def _train_epoch(run: _Run, stop: StopRequest) -> tuple[float, bool]:
    """Run the epoch's remaining optimizer steps: (mean training loss, stopped by a signal)."""
    done = run.progress.step - run.progress.epoch * run.steps_per_epoch
    show = run.dist.is_main and sys.stderr.isatty()
    losses = []
    stopped = False
    run.model.train()
    for _ in tqdm(
        range(done, run.steps_per_epoch),
        disable=not show,
        leave=False,
        desc=f"epoch {run.progress.epoch + 1}",
    ):
        losses.append(_optimizer_step(run))
        stopped = _stop_agreed(run, stop)
        if stopped:
            break
    return (torch.stack(losses).mean().item() if losses else float("nan")), stopped


def _improved(value: float, best: float | None, mode: str) -> bool:
    return best is None or (value < best if mode == "min" else value > best)


def _payload(run: _Run) -> dict[str, Any]:
    """Everything to continue exactly: model, optimizer, scheduler, scaler, every rank's RNGs."""
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
    }


def _save(run: _Run, metric: float) -> None:
    payload = _payload(run)  # collective: every rank takes part
    if run.dist.is_main:
        _name, mode = primary_metric()
        checkpoint.save(
            Path(run.config.train.run_dir),
            payload,
            run.progress,
            metric=metric,
            higher_is_better=mode == "max",
            keep_best=run.config.train.keep_best,
        )
    distributed.barrier()


def _restore(run: _Run, path: Path) -> None:
    payload = checkpoint.load(path, run.device)
    run.module.load_state_dict(payload["model"])
    run.optimizer.load_state_dict(payload["optimizer"])
    run.scheduler.load_state_dict(payload["scheduler"])
    run.scaler.load_state_dict(payload["scaler"])
    rng = payload["rng"]
    repro.set_rng_state(rng[run.dist.rank] if run.dist.rank < len(rng) else rng[0])
    for key, value in vars(checkpoint.progress_of(payload)).items():
        setattr(run.progress, key, value)


def _build(config: Config, dist: Dist) -> tuple[_Run, DataLoader[Batch]]:
    repro.seed_everything(config.seed + dist.rank, deterministic=config.train.deterministic)
    device = select_device(config.train.device, dist)
    train_loader = make_loader(config, "train", dist, train=True)
    val_loader = make_loader(config, "val", dist, train=False)
    steps = config.train.steps_per_epoch or max(len(train_loader) // config.train.accumulate, 1)
    model: nn.Module = build_model(config).to(device)
    if dist.enabled:
        model = DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None
        )
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=config.optim.lr, weight_decay=config.optim.weight_decay
    )
    scheduler = warmup_cosine(optimizer, config.optim.warmup_steps, steps * config.train.epochs)
    scaler = torch.amp.GradScaler(device.type, enabled=config.train.precision == "fp16")
    progress = Progress(run_id=config.digest())
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
) -> tuple[dict[str, float], bool]:
    """Validate, checkpoint, log; return the record and whether to stop early."""
    name, mode = primary_metric()
    val = evaluate_loader(run.model, val_loader, run.device)
    progress = run.progress
    progress.epoch += 1
    if _improved(val[name], progress.best_metric, mode):
        progress.best_metric, progress.bad_epochs = val[name], 0
    else:
        progress.bad_epochs += 1
    _save(run, val[name])
    record = {
        "epoch": float(progress.epoch),
        "step": float(progress.step),
        "train_loss": train_loss,
        "lr": float(run.scheduler.get_last_lr()[0]),
        **{f"val_{k}": v for k, v in val.items()},
    }
    if tracker is not None:
        tracker.log(record, progress.step)
    patience = run.config.train.early_stop_patience
    return record, patience > 0 and progress.bad_epochs >= patience


def train(config: Config, stop: StopRequest | None = None) -> TrainResult:
    """Train (or resume) per `config`; run under torchrun for DDP. Rank 0 writes all files."""
    dist = distributed.setup()
    try:
        stop = stop or install()
        run, val_loader = _build(config, dist)
        result = TrainResult(run.progress)
        tracker = open_tracker(config, run.progress.run_id) if dist.is_main else None
        try:
            while run.progress.epoch < config.train.epochs:
                train_loss, stopped = _train_epoch(run, stop)
                if stopped:  # preempted: save mid-epoch state, exit cleanly for requeue
                    _save_last(run)
                    result.stopped = "preempted"
                    break
                record, early = _epoch_end(run, val_loader, train_loss, tracker)
                result.history.append(record)
                if early:
                    result.stopped = "early_stopped"
                    break
        finally:
            if tracker is not None:
                tracker.close()
        if dist.is_main:  # read by scripts that requeue preempted jobs
            status = {"stopped": result.stopped, "step": result.progress.step}
            run_dir = Path(config.train.run_dir)
            run_dir.mkdir(parents=True, exist_ok=True)
            (run_dir / "status.json").write_text(json.dumps(status) + "\n", encoding="utf-8")
        return result
    finally:
        distributed.teardown()


def _save_last(run: _Run) -> None:
    """Checkpoint `last.pt` only (mid-epoch), leaving the best-k ranking as it is."""
    payload = _payload(run)
    if run.dist.is_main:
        payload["progress"] = vars(run.progress).copy()
        run_dir = Path(run.config.train.run_dir)
        run_dir.mkdir(parents=True, exist_ok=True)
        checkpoint.save_atomic(payload, run_dir / checkpoint.LAST)
    distributed.barrier()
