"""The data seam: what each split is. To train on your own data, change this file (and
`prepare.py`, which turns `data/raw/` into what `dataset()` reads); training, evaluation and the
loaders take whatever `dataset()` returns. docs/data.md shows the changes for a folder of images,
a Hugging Face dataset and shards too big for memory.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch.utils.data import Dataset, IterableDataset

from ..config import Config
from ..training.distributed import Dist
from .readers import Transformed, load_split

Sample = tuple[torch.Tensor, ...]
Transform = Callable[[torch.Tensor], torch.Tensor]


def transform(config: Config, *, train: bool) -> Transform | None:
    """The transform hook: a function applied to each input as it is loaded (e.g. random
    augmentation when `train`), or None. It runs in the DataLoader workers."""
    return None


def dataset(
    config: Config, split: str, dist: Dist, *, train: bool
) -> Dataset[Sample] | IterableDataset[Sample]:
    """`split` ("train", "val" or "test") as (input, target) samples: a map-style Dataset (the
    loaders shuffle, shard across ranks and batch it), or an IterableDataset of whole batches
    that does all that itself (`readers.Shards`, for data streamed from disk)."""
    data = load_split(config, split)
    hook = transform(config, train=train)
    return data if hook is None else Transformed(data, hook)
