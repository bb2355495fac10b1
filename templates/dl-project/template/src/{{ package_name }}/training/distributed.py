"""torchrun-native distributed helpers that are no-ops in a single process."""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class Dist:
    """This process's place in the job."""

    rank: int = 0
    local_rank: int = 0
    world_size: int = 1

    @property
    def is_main(self) -> bool:
        """Global rank 0 writes files and logs (LOCAL_RANK 0 exists once per node)."""
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        """Whether a process group is in use."""
        return self.world_size > 1


def setup() -> Dist:
    """Join the process group torchrun describes in the environment (nccl on GPUs, else gloo)."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    info = Dist(
        int(os.environ.get("RANK", "0")), int(os.environ.get("LOCAL_RANK", "0")), world_size
    )
    if info.enabled and not dist.is_initialized():
        if torch.cuda.is_available():
            torch.cuda.set_device(info.local_rank)
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    return info


def teardown() -> None:
    """Leave the process group (call in `finally`)."""
    if dist.is_initialized():
        dist.destroy_process_group()


def all_reduce_sum(tensor: torch.Tensor) -> torch.Tensor:
    """Sum over ranks (identity in a single process)."""
    if dist.is_initialized():
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return tensor


def barrier() -> None:
    """Wait for every rank (no-op in a single process)."""
    if dist.is_initialized():
        dist.barrier()
