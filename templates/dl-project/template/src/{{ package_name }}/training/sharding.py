"""FSDP (`train.strategy: fsdp` under torchrun): the model's parameters, gradients and optimizer
state sharded across ranks with `fully_shard`, and their sharded checkpoints
(torch.distributed.checkpoint: each rank writes and reads its own shard, also onto another
world size)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import torch
import torch.distributed as torch_dist
from torch import nn
from torch.distributed.checkpoint.state_dict import (
    StateDictOptions,
    get_model_state_dict,
    get_state_dict,
    set_state_dict,
)
from torch.distributed.checkpoint.state_dict_loader import load as dcp_load
from torch.distributed.checkpoint.state_dict_saver import save as dcp_save
from torch.distributed.device_mesh import init_device_mesh
from torch.distributed.fsdp import FSDPModule, fully_shard
from torch.distributed.tensor import DTensor

SHARDED = "sharded"  # <run_dir>/sharded/<name>/: one directory per checkpoint, the last kept


def shard(model: nn.Module, device: torch.device, world_size: int) -> nn.Module:
    """`fully_shard` each child that holds parameters (its parameters are gathered only while
    it runs), then the root (the rest). Buffers (BatchNorm's running statistics) are not
    sharded: rank 0's are broadcast after each training forward, as DDP does before it, so
    that every rank holds the ones a checkpoint saves."""
    mesh = init_device_mesh(device.type, (world_size,))
    for child in model.children():
        if any(True for _ in child.parameters()):
            fully_shard(child, mesh=mesh)
    fully_shard(model, mesh=mesh)
    if any(True for _ in model.buffers()):
        model.register_forward_hook(_broadcast_buffers)
    return model


def _broadcast_buffers(model: nn.Module, _inputs: Any, _outputs: Any) -> None:
    if model.training:
        for buffer in model.buffers():
            torch_dist.broadcast(buffer, src=0)


def is_sharded(model: nn.Module) -> bool:
    """Whether `model` was sharded by `shard`."""
    return isinstance(model, FSDPModule)


def local(norm: torch.Tensor) -> torch.Tensor:
    """A gradient norm as a plain tensor (under FSDP it is a DTensor over every rank's shard)."""
    return norm.full_tensor() if isinstance(norm, DTensor) else norm


def full_model_state(model: nn.Module) -> dict[str, Any]:
    """The whole model's state dict on rank 0's CPU, for evaluation and export (collective;
    other ranks get {})."""
    options = StateDictOptions(full_state_dict=True, cpu_offload=True)
    return get_model_state_dict(model, options=options)


def save(run_dir: Path, name: str, model: nn.Module, optimizer: torch.optim.Optimizer) -> str:
    """Every rank writes its shard of the model and the optimizer state into
    `run_dir/sharded/name` (collective); returns that path relative to `run_dir`."""
    model_state, optimizer_state = get_state_dict(model, optimizer)
    path = Path(SHARDED) / name
    dcp_save({"model": model_state, "optimizer": optimizer_state}, checkpoint_id=run_dir / path)
    return str(path)


def load(path: Path, model: nn.Module, optimizer: torch.optim.Optimizer) -> None:
    """Every rank reads its shard of what `save` wrote (collective)."""
    model_state, optimizer_state = get_state_dict(model, optimizer)
    state: dict[str, Any] = {"model": model_state, "optimizer": optimizer_state}
    dcp_load(state, checkpoint_id=path)
    set_state_dict(
        model, optimizer, model_state_dict=state["model"], optim_state_dict=state["optimizer"]
    )


def prune(run_dir: Path, keep: str) -> None:
    """Delete the sharded checkpoints other than `keep` (rank 0, once `last.pt` names it)."""
    for old in (run_dir / SHARDED).glob("*"):
        if old != run_dir / keep:
            shutil.rmtree(old, ignore_errors=True)
