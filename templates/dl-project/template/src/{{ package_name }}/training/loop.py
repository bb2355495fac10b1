"""The training loop: virtual epochs of optimizer steps (accumulation with no_sync, AMP,
clipping), validation, early stopping and checkpoints, under torchrun or alone."""

from __future__ import annotations

import math
import shutil
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn
from tqdm import tqdm

from ..config import Config
from ..inference import evaluate_loader
from ..models import loss_fn
from ..tracking import Tracker, open_tracker
from . import distributed, resume, rundir, sharding
from .checkpoint import LAST, Progress
from .run import Run, build_run
from .signals import StopRequest, stop_on_signals


@dataclass
class TrainResult:
    """How training ended."""

    progress: Progress
    history: list[dict[str, float]] = field(default_factory=list)
    stopped: str = "completed"  # completed | early_stopped | preempted


class NonFiniteError(RuntimeError):
    """A step's loss or gradient norm was NaN or infinite (beyond `train.skip_nonfinite`)."""

    def __init__(self, step: int, skipped: int = 0) -> None:
        super().__init__(
            f"non-finite loss or gradient norm at step {step}; stopped without saving it "
            f"({skipped} such steps skipped before; train.skip_nonfinite=N skips up to N)"
        )


def _nonfinite(run: Run, loss: torch.Tensor, norm: torch.Tensor) -> bool:
    """Whether to skip this step's update. A non-finite loss (or gradient norm: with fp16 a
    non-finite norm is an overflow the scaler skips itself) is remembered on the device and
    raised at the next host sync, before anything is saved; with `train.skip_nonfinite` each
    step is checked at once (one host sync per step) and up to that many are skipped."""
    bad = ~torch.isfinite(loss if run.scaler.is_enabled() else loss + norm)
    limit, progress = run.config.train.skip_nonfinite, run.progress
    if not limit:
        first = bad & (run.nonfinite_at == 0)
        run.nonfinite_at = torch.where(first, progress.step, run.nonfinite_at)
        return False
    if not bad.item():
        return False
    if progress.skipped >= limit:
        raise NonFiniteError(progress.step, progress.skipped)
    progress.skipped += 1
    return True


def _check_finite(run: Run) -> None:
    """Raise for the first non-finite step since the start (a host sync: call at sync points)."""
    step = int(run.nonfinite_at)
    if step:
        raise NonFiniteError(step, run.progress.skipped)


def _optimizer_step(run: Run) -> tuple[torch.Tensor, torch.Tensor]:
    """One optimizer step over `accumulate` micro-batches, gradients synced on the last only:
    (loss, gradient norm before clipping)."""
    accumulate = run.config.train.accumulate
    run.optimizer.zero_grad(set_to_none=True)
    # A skipped step must not leave its batch in BatchNorm's running statistics either.
    buffers = [b.clone() for b in run.model.buffers()] if run.config.train.skip_nonfinite else []
    total = torch.zeros((), device=run.device)
    for micro in range(accumulate):
        inputs, targets = (t.to(run.device, non_blocking=True) for t in next(run.stream))
        last = micro == accumulate - 1
        with run.grad_sync(last):
            with run.autocast():
                loss = loss_fn(run.model(inputs), targets) / accumulate
            scaled: torch.Tensor = run.scaler.scale(loss)
            scaled.backward()  # type: ignore[no-untyped-call]
        total += loss.detach()
    run.scaler.unscale_(run.optimizer)  # a no-op unless fp16
    params = [p for p in run.model.parameters() if p.grad is not None]
    norm = nn.utils.get_total_norm([p.grad for p in params if p.grad is not None], foreach=True)
    if run.config.optim.grad_clip > 0:
        nn.utils.clip_grads_with_norm_(params, run.config.optim.grad_clip, norm, foreach=True)
    norm = sharding.local(norm)
    run.progress.step += 1
    if _nonfinite(run, total, norm):  # skipped: no update, the schedule does not advance
        for buffer, saved in zip(run.model.buffers(), buffers, strict=True):
            buffer.copy_(saved)
        run.scaler.update()
        return total, norm
    run.scaler.step(run.optimizer)
    run.scaler.update()
    run.scheduler.step()
    return total, norm


def _across_ranks(run: Run, loss: torch.Tensor, *flags: bool) -> tuple[float, list[bool]]:
    """One all-reduce and one host sync: `loss` averaged over ranks, and each flag set on any."""
    flag_values = torch.tensor([float(f) for f in flags], device=run.device)
    summed = distributed.all_reduce_sum(torch.cat([loss.reshape(1), flag_values])).tolist()
    return summed[0] / run.dist.world_size, [value > 0 for value in summed[1:]]


def _train_epoch(run: Run, stop: StopRequest, tracker: Tracker | None) -> bool:
    """Run the epoch's remaining optimizer steps; return whether a signal stopped them. Every
    `train.log_every_steps` steps one all-reduce averages the loss over ranks for the log (with
    the learning rate and the throughput), and the ranks agree on a stop and on a wall-time
    checkpoint. In a single process the stop is read every step. The epoch's loss sum is kept
    in `progress.epoch_loss` at every checkpoint, so a resumed epoch's mean covers all of it."""
    cfg = run.config.train
    done = max(run.progress.step - run.progress.epoch * run.steps_per_epoch, 0)
    samples_per_step = run.config.data.batch_size * cfg.accumulate * run.dist.world_size
    epoch_loss = torch.tensor(run.progress.epoch_loss, device=run.device)
    window_loss = torch.zeros((), device=run.device)
    window_steps = 0
    tic = time.perf_counter()
    stopped = False
    run.model.train()
    show = run.dist.is_main and sys.stderr.isatty()
    desc = f"epoch {run.progress.epoch + 1}"
    for _ in tqdm(range(done, run.steps_per_epoch), disable=not show, leave=False, desc=desc):
        loss, norm = _optimizer_step(run)
        epoch_loss, window_loss = epoch_loss + loss, window_loss + loss
        window_steps += 1
        step, due = run.progress.step, False
        if step % cfg.log_every_steps == 0:
            late = 0 < cfg.checkpoint_every_minutes * 60 <= time.monotonic() - run.saved_at
            mean, (stopped, due) = _across_ranks(
                run, window_loss / window_steps, stop.requested, late
            )
            _check_finite(run)
            record: dict[str, float] = {
                "train_loss_step": mean,  # not `train_loss`: that is the epoch's mean
                "grad_norm": norm.item(),
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
            run.progress.epoch_loss = _across_ranks(run, epoch_loss)[0]
            _save(run, tracker)
    run.progress.epoch_loss = _across_ranks(run, epoch_loss)[0]  # summed over steps, mean of ranks
    return stopped


def _save(run: Run, tracker: Tracker | None, metric: float | None = None) -> None:
    """`last.pt` (and, with an epoch's `metric`, the best-k ranking); then the tracker may pass
    on what it held back until a checkpoint covered it."""
    _check_finite(run)
    if metric is None:
        resume.save_last(run)
    else:
        resume.save_epoch(run, metric)
    if tracker is not None:
        tracker.checkpointed()


def _improved(value: float, best: float | None, mode: str) -> bool:
    if not math.isfinite(value):
        return False
    return best is None or (value < best if mode == "min" else value > best)


def _epoch_end(run: Run, tracker: Tracker | None) -> dict[str, float]:
    """Validate, update early stopping, checkpoint, log; return the epoch's record."""
    _check_finite(run)
    cfg = run.config.train
    val = evaluate_loader(run.model, run.val_loader, run.device, cfg.fast_dev_run or None)
    progress = run.progress
    progress.epoch += 1
    record = {
        "epoch": float(progress.epoch),
        "train_loss": progress.epoch_loss / run.steps_per_epoch,
        **{f"val_{k}": v for k, v in val.items()},
    }
    progress.epoch_loss = 0.0
    metric = record[cfg.monitor]
    if _improved(metric, progress.best_metric, cfg.monitor_mode):
        progress.best_metric, progress.bad_epochs = metric, 0
    else:
        progress.bad_epochs += 1
    if cfg.early_stop_patience > 0 and progress.bad_epochs >= cfg.early_stop_patience:
        progress.stopped = "early_stopped"
    elif progress.epoch >= cfg.epochs:
        progress.stopped = "completed"
    if tracker is not None:
        tracker.log(record, progress.step)
    _save(run, tracker, metric)
    return {"step": float(progress.step), **record}


def _fit(run: Run, stop: StopRequest, tracker: Tracker | None) -> TrainResult:
    result = TrainResult(run.progress)
    while not run.progress.stopped and run.progress.epoch < run.config.train.epochs:
        if _train_epoch(run, stop, tracker):  # preempted: save mid-epoch state, exit for requeue
            _save(run, tracker)
            result.stopped = "preempted"
            return result
        result.history.append(_epoch_end(run, tracker))
    result.stopped = run.progress.stopped or "completed"
    return result


def train(config: Config, stop: StopRequest | None = None) -> TrainResult:
    """Train (or resume) per `config`; run under torchrun for DDP. Rank 0 writes all files."""
    if config.train.fast_dev_run:
        config = rundir.fast_dev_config(config)
    run_dir = Path(config.train.run_dir)
    with ExitStack() as stack:
        stop = stop or stack.enter_context(stop_on_signals())
        dist = distributed.setup()
        stack.callback(distributed.teardown)
        if dist.is_main:
            if config.train.fast_dev_run:
                shutil.rmtree(run_dir, ignore_errors=True)
            stack.enter_context(rundir.lock(run_dir))
            rundir.clear_status(run_dir)
        run = build_run(config, dist)
        if config.train.resume and (run_dir / LAST).exists():
            resume.restore(run, run_dir / LAST)
        tracker: Tracker | None = None
        if dist.is_main:  # what produced the run, beside its checkpoints and in the tracker
            about = rundir.provenance(config, run.device, dist.world_size, run.progress.step)
            rundir.record(run_dir, config, about)
            tracker = open_tracker(config, run.progress, about)
            stack.callback(tracker.close)
        result = _fit(run, stop, tracker)
        if dist.is_main:
            rundir.write_status(run_dir, result.stopped, result.progress.step)
    return result
