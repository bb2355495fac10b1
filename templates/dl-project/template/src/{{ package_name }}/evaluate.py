"""Test-split metrics of the best checkpoint -> reports/metrics.json (read by `dvc metrics`)."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from .config import Config
from .data.loaders import make_loader
from .models import build_model
from .training import checkpoint
from .training.distributed import Dist
from .training.loop import evaluate_loader


def load_model(config: Config, path: Path | None = None) -> torch.nn.Module:
    """The model with the weights of `path` (default: the run's best checkpoint), in eval mode."""
    payload = checkpoint.load(path or checkpoint.best_path(Path(config.train.run_dir)))
    model = build_model(config)
    model.load_state_dict(payload["model"])
    return model.eval()


def evaluate(config: Config) -> dict[str, float]:
    """Evaluate on the test split; write the metrics and the training history (for plots)."""
    model = load_model(config)
    results = evaluate_loader(
        model, make_loader(config, "test", Dist(), train=False), torch.device("cpu")
    )
    out = Path(config.eval.metrics_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"test": results}, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    log = Path(config.train.run_dir) / "metrics.jsonl"
    history = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    (out.parent / "history.json").write_text(json.dumps(history, indent=2) + "\n", encoding="utf-8")
    return results
