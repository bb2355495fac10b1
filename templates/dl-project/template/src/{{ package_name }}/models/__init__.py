"""Models: the task's network, its loss and its metrics."""

from .net import Net, build_model, example_input, loss_fn, metrics, primary_metric

__all__ = ["Net", "build_model", "example_input", "loss_fn", "metrics", "primary_metric"]
