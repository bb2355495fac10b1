"""Datasets and loaders: seeded shuffling, per-rank sharding, resumable mid-epoch."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, DistributedSampler, Subset, TensorDataset

from ..config import Config
from ..training.distributed import Dist


def load_split(config: Config, split: str) -> TensorDataset:
    """One split written by `prepare`."""
    path = Path(config.data.processed_dir) / f"{split}.pt"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `prepare` (or `dvc repro prepare`) first")
    data = torch.load(path, weights_only=True)
    return TensorDataset(data["inputs"], data["targets"])


class ResumableSampler(DistributedSampler[int]):
    """DistributedSampler that can start an epoch part-way, so a resumed run sees the same
    batches an uninterrupted one would have seen."""

    def __init__(self, dataset: TensorDataset, dist: Dist, *, shuffle: bool, seed: int) -> None:
        super().__init__(
            dataset,
            num_replicas=dist.world_size,
            rank=dist.rank,
            shuffle=shuffle,
            seed=seed,
            drop_last=shuffle,
        )
        self.start = 0

    def set_position(self, epoch: int, consumed: int) -> None:
        """Start `epoch` after its first `consumed` samples of this rank."""
        self.set_epoch(epoch)
        self.start = consumed

    def __iter__(self) -> Iterator[int]:
        indices = list(super().__iter__())
        start, self.start = self.start, 0
        return iter(indices[start:])

    def __len__(self) -> int:
        return self.num_samples - self.start


def seed_worker(_worker_id: int) -> None:
    """Seed NumPy and `random` in a worker from the seed torch gave it (torch's own is set)."""
    seed = torch.initial_seed() % 2**32
    np.random.seed(seed)  # noqa: NPY002 - the legacy global RNG that augmentation code uses
    random.seed(seed)


def worker_seed(seed: int, rank: int) -> int:
    """The seed of a rank's DataLoader workers: `seed` and the rank mixed (not added: seed 1 on
    rank 0 and seed 0 on rank 1 must not draw the same streams)."""
    return int(np.random.SeedSequence([seed, rank]).generate_state(1)[0])


def make_loader(
    config: Config, split: str, dist: Dist, *, train: bool
) -> DataLoader[tuple[torch.Tensor, ...]]:
    """A DataLoader over `split`. Training: shuffled, equal shards per rank (the remainder is
    dropped), resumable mid-epoch. Evaluation: in order, rank r takes samples r, r + W, r + 2W...
    so that every sample is evaluated exactly once (no padding, unlike DistributedSampler)."""
    dataset = load_split(config, split)
    options: dict[str, Any] = {
        "batch_size": config.data.batch_size,
        "num_workers": config.data.num_workers,
        "pin_memory": torch.cuda.is_available(),
        "persistent_workers": config.data.num_workers > 0,
        "worker_init_fn": seed_worker,
        # Its own generator: creating an iterator must not draw from the global RNG, or a
        # resumed run's dropout masks would differ from an uninterrupted run's. The rank is mixed
        # in, so the workers of different ranks draw different random augmentations.
        "generator": torch.Generator().manual_seed(worker_seed(config.seed, dist.rank)),
    }
    if train:
        sampler = ResumableSampler(dataset, dist, shuffle=True, seed=config.seed)
        return DataLoader(dataset, sampler=sampler, drop_last=True, **options)
    shard = Subset(dataset, range(dist.rank, len(dataset), dist.world_size))
    return DataLoader(shard, **options)
