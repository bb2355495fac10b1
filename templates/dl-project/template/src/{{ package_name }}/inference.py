"""A trained model at work: loaded from a checkpoint, its metrics over a loader (summed across
ranks), and batched prediction. Evaluation, export and serving use it; none imports training."""

from __future__ import annotations

import itertools
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader

from .config import Config, from_dict
from .models import build_model, metrics
from .training import checkpoint, distributed


def best_checkpoint(config: Config) -> Path:
    """The best checkpoint of the run `config` trains."""
    return checkpoint.best_path(Path(config.train.run_dir))


def load_model(path: Path) -> tuple[nn.Module, Config]:
    """The model saved at `path` (a checkpoint or `models/model.pt`) in eval mode, built from the
    config saved with its weights (not today's params.yaml, which may have changed since); and
    that config."""
    weights, stored = checkpoint.load_weights(path)
    trained = from_dict(Config, stored)
    model = build_model(trained)
    model.load_state_dict(weights)
    return model.eval(), trained


def evaluate_loader(
    model: nn.Module,
    loader: DataLoader[tuple[torch.Tensor, ...]],
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


def predict(model: nn.Module, inputs: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    """Model outputs for `inputs`, computed `batch_size` rows at a time (eval, inference_mode)."""
    model.eval()
    with torch.inference_mode():
        return torch.cat([model(chunk) for chunk in torch.split(inputs, batch_size)])
