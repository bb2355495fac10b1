"""Test-split metrics of the best checkpoint -> reports/metrics.json (read by `dvc metrics`), and
the learning curves -> reports/curves/ (drawn by `dvc plots show`)."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from .config import Config
from .data.loaders import make_loader
from .inference import best_checkpoint, evaluate_loader, load_model
from .training.distributed import Dist


def write_curves(metrics_log: Path, out_dir: Path) -> None:
    """Split metrics.jsonl into the per-step training curve (loss, lr, throughput) and the
    per-epoch validation curve (every validation metric), the JSON lists `dvc plots` reads."""
    records = [json.loads(line) for line in metrics_log.read_text(encoding="utf-8").splitlines()]
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, rows in (
        ("train.json", [r for r in records if "epoch" not in r]),
        ("val.json", [r for r in records if "epoch" in r]),
    ):
        (out_dir / name).write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")


def evaluate(config: Config) -> dict[str, float]:
    """Evaluate on the test split; write the metrics and the learning curves."""
    model, _ = load_model(best_checkpoint(config))
    results = evaluate_loader(
        model, make_loader(config, "test", Dist(), train=False), torch.device("cpu")
    )
    out = Path(config.eval.metrics_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"test": results}, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    write_curves(Path(config.train.run_dir) / "metrics.jsonl", out.parent / "curves")
    return results
