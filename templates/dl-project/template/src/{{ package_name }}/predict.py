"""Batched inference: eval mode, inference_mode, fixed batch size, outputs in input order."""

from __future__ import annotations

import torch
from torch import nn


def predict(model: nn.Module, inputs: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    """Model outputs for `inputs`, computed `batch_size` rows at a time."""
    model.eval()
    with torch.inference_mode():
        return torch.cat([model(chunk) for chunk in torch.split(inputs, batch_size)])
