"""Loaders over the datasets `source.py` defines: seeded shuffling, per-rank sharding, resumable
mid-epoch."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any, Protocol

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, DistributedSampler, IterableDataset, Subset

from ..config import Config
from ..training.distributed import Dist
from . import source
from .readers import load_split as load_split  # where the tests and export read a split


class ResumableSampler(DistributedSampler[int]):
    """DistributedSampler that can start an epoch part-way, so a resumed run sees the same
    batches an uninterrupted one would have seen."""

    def __init__(self, dataset: Dataset[Any], dist: Dist, *, shuffle: bool, seed: int) -> None:
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


class Resumable(Protocol):
    """What the training stream tells where to start: the sampler, or a stream itself."""

    def set_position(self, epoch: int, consumed: int) -> None: ...


def resumable(loader: DataLoader[Any]) -> Resumable:
    """The part of a training loader that `set_position` starts part-way."""
    part = loader.dataset if isinstance(loader.dataset, IterableDataset) else loader.sampler
    if not hasattr(part, "set_position"):
        raise TypeError(f"{type(part).__name__} cannot start an epoch part-way (set_position)")
    return part  # type: ignore[return-value]


def make_loader(
    config: Config, split: str, dist: Dist, *, train: bool
) -> DataLoader[tuple[torch.Tensor, ...]]:
    """A DataLoader over `split` as `source.dataset` defines it. Training: shuffled, equal shards
    per rank (the remainder is dropped), resumable mid-epoch. Evaluation: in order, rank r takes
    samples r, r + W, r + 2W... so that every sample is evaluated exactly once (no padding, unlike
    DistributedSampler). A stream (IterableDataset) does all that itself and yields batches."""
    dataset = source.dataset(config, split, dist, train=train)
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
    if isinstance(dataset, IterableDataset):
        # Batched by the stream; workers started afresh for each pass see its start position.
        return DataLoader(dataset, **{**options, "batch_size": None, "persistent_workers": False})
    if train:
        sampler = ResumableSampler(dataset, dist, shuffle=True, seed=config.seed)
        return DataLoader(dataset, sampler=sampler, drop_last=True, **options)
    shard = Subset(dataset, range(dist.rank, len(dataset), dist.world_size))  # type: ignore[arg-type]
    return DataLoader(shard, **options)
