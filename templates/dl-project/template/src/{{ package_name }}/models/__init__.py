"""Models: the task's network, its loss and its metrics."""

from .net import Net, build_model, example_input, loss_fn, metrics

__all__ = ["Net", "build_model", "example_input", "loss_fn", "metrics"]
