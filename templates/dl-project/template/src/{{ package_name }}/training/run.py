"""What one training run works on, built from the config: the device, the model (DDP-wrapped
under torchrun), the optimizer (`optim.name`) with a warm-up and `optim.schedule`, the AMP scaler,
and an endless stream of training batches that records its position."""

from __future__ import annotations

import importlib
import math
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.optim.lr_scheduler import LambdaLR
from torch.utils.data import DataLoader

from ..config import Config, ConfigError, OptimConfig, check_warmup
from ..data.loaders import make_loader, resumable
from ..models import build_model
from . import repro, sharding
from .checkpoint import Progress
from .distributed import Dist
from .rundir import data_digest

Batch = tuple[torch.Tensor, ...]
AMP = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}


@dataclass
class Run:
    """One process's share of a training run."""

    config: Config
    dist: Dist
    device: torch.device
    model: nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: LambdaLR
    scaler: torch.amp.GradScaler
    stream: Iterator[Batch]
    val_loader: DataLoader[Batch]
    progress: Progress
    steps_per_epoch: int
    data_digest: str = ""  # of the data manifest, checked on resume ("": none)
    saved_at: float = field(default_factory=time.monotonic)
    nonfinite_at: torch.Tensor = field(init=False)  # first step with a NaN/inf loss, 0: none

    def __post_init__(self) -> None:
        self.nonfinite_at = torch.zeros((), dtype=torch.long, device=self.device)

    @property
    def module(self) -> nn.Module:
        """The model without its DDP wrapper."""
        return self.model.module if isinstance(self.model, DistributedDataParallel) else self.model

    def grad_sync(self, last: bool) -> Any:
        """Gradients synced across ranks on the last micro-batch of a step only."""
        if sharding.is_sharded(self.model):
            self.model.set_requires_gradient_sync(last)  # type: ignore[operator]
            return nullcontext()
        if last or not self.dist.enabled:
            return nullcontext()
        return self.model.no_sync()  # type: ignore[operator]

    def autocast(self) -> Any:
        """Mixed precision per `train.precision` (a no-op for fp32)."""
        dtype = AMP[self.config.train.precision]
        if dtype is None:
            return nullcontext()
        return torch.autocast(self.device.type, dtype=dtype)


def select_device(name: str, dist: Dist) -> torch.device:
    """`auto` picks the accelerator torch finds (CUDA, MPS, XPU...), else the CPU."""
    if name != "auto":
        return torch.device(name)
    if torch.accelerator.is_available():
        accelerator = torch.accelerator.current_accelerator()
        assert accelerator is not None
        return torch.device(accelerator.type, dist.local_rank if accelerator.type == "cuda" else 0)
    return torch.device("cpu")


# Learning-rate factor after the warm-up, by the fraction of those steps done (0 to 1).
SCHEDULES: dict[str, Callable[[float], float]] = {
    "cosine": lambda done: 0.5 * (1.0 + math.cos(math.pi * done)),
    "linear": lambda done: 1.0 - done,
    "constant": lambda done: 1.0,
}


def make_optimizer(optim: OptimConfig, params: Iterable[nn.Parameter]) -> torch.optim.Optimizer:
    """`optim.name` (a torch.optim class, or `package.module.Class`) with `lr`, `weight_decay`
    and `optim.args`; a ConfigError (exit 2) names what is wrong."""
    module, _, name = optim.name.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module or "torch.optim"), name)
    except (ImportError, AttributeError):
        cls = None
    if not (isinstance(cls, type) and issubclass(cls, torch.optim.Optimizer)):
        raise ConfigError(
            f"optim.name: {optim.name!r} is not an optimizer class "
            "(a torch.optim name such as AdamW or SGD, or package.module.Class)"
        )
    factory: Callable[..., torch.optim.Optimizer] = cls
    try:
        optimizer = factory(params, lr=optim.lr, weight_decay=optim.weight_decay, **optim.args)
    except (TypeError, ValueError) as e:
        raise ConfigError(f"optim.args: {optim.name}: {e}") from None
    return optimizer


def warmup_schedule(
    optimizer: torch.optim.Optimizer, schedule: str, warmup: int, total: int
) -> LambdaLR:
    """Linear warm-up over `warmup` steps, then `schedule` (cosine or linear decay to zero at
    `total`, or constant); stepped once per optimizer step."""
    after = SCHEDULES[schedule]

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return after(min((step - warmup) / max(total - warmup, 1), 1.0))

    return LambdaLR(optimizer, factor)


def batches(loader: DataLoader[Batch], progress: Progress) -> Iterator[Batch]:
    """An endless stream over the training data that records where it is, so a resumed run
    continues with the very next batch (virtual epochs are independent of data passes)."""
    position = resumable(loader)
    while True:
        position.set_position(progress.data_epoch, progress.consumed)
        for batch in loader:
            progress.consumed += len(batch[0])
            yield batch
        progress.data_epoch += 1
        progress.consumed = 0


def _fast_matmul(device: torch.device) -> None:
    """TF32 matmuls on Ampere or newer GPUs, as most recipes train (fp32 storage, faster math)."""
    if device.type == "cuda" and torch.cuda.get_device_capability(device) >= (8, 0):
        torch.set_float32_matmul_precision("high")


def build_run(config: Config, dist: Dist) -> Run:
    """A fresh run: seeded, on its device, at step 0 (`resume.restore` continues a saved one)."""
    repro.seed_everything(config.seed + dist.rank, deterministic=config.train.deterministic)
    device = select_device(config.train.device, dist)
    _fast_matmul(device)
    train_loader = make_loader(config, "train", dist, train=True)
    val_loader = make_loader(config, "val", dist, train=False)
    steps = config.train.steps_per_epoch or max(len(train_loader) // config.train.accumulate, 1)
    check_warmup(config, steps)
    model: nn.Module = build_model(config).to(device)
    if config.train.compile:
        model.compile()  # in place: state_dict keys stay those of the eager model
    if dist.enabled and config.train.strategy == "fsdp":
        model = sharding.shard(model, device, dist.world_size)
    elif dist.enabled:
        model = DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None
        )
    optimizer = make_optimizer(config.optim, model.parameters())
    total = steps * config.train.epochs
    scheduler = warmup_schedule(optimizer, config.optim.schedule, config.optim.warmup_steps, total)
    scaler = torch.amp.GradScaler(device.type, enabled=config.train.precision == "fp16")
    progress = Progress(run_id=uuid.uuid4().hex[:12])
    return Run(
        config,
        dist,
        device,
        model,
        optimizer,
        scheduler,
        scaler,
        batches(train_loader, progress),
        val_loader,
        progress,
        steps,
        data_digest(config),
    )
