"""Steps/s of a generated project's training loop against a minimal hand-written loop.

Same model, data, batch size and optimizer on the CPU; the generated loop also does its
bookkeeping (LR schedule, clipping, AMP switch, sampler position, one validation, one checkpoint).

Run: python bench/train_loop.py PROJECT_DIR [--python PROJECT_VENV_PYTHON] [--steps 300]
Goal (issue #3): generated / minimal >= 0.95.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

PROBE = r"""
import statistics, sys, tempfile, time
import torch
from {pkg}.config import load_config
from {pkg}.data.prepare import prepare
from {pkg}.data.loaders import load_split
from {pkg}.models import build_model, loss_fn
from {pkg}.training.loop import train

steps, rounds = {steps}, {rounds}
torch.set_num_threads(1)
tmp = tempfile.mkdtemp()
overrides = [f"data.processed_dir={{tmp}}/data", "data.n_samples=4096", "train.device=cpu",
             f"train.run_dir={{tmp}}/run", "train.epochs=1", f"train.steps_per_epoch={{steps}}",
             "train.resume=false"]
config = load_config("params.yaml", overrides)
prepare(config)

def minimal():
    torch.manual_seed(config.seed)
    data = load_split(config, "train")
    loader = torch.utils.data.DataLoader(data, batch_size=config.data.batch_size, shuffle=True,
                                         drop_last=True)
    model = build_model(config)
    opt = torch.optim.AdamW(model.parameters(), lr=config.optim.lr,
                            weight_decay=config.optim.weight_decay)
    model.train()
    done = 0
    start = time.perf_counter()
    while done < steps:
        for inputs, targets in loader:
            opt.zero_grad(set_to_none=True)
            loss_fn(model(inputs), targets).backward()
            opt.step()
            done += 1
            if done == steps:
                break
    return time.perf_counter() - start

def generated():
    start = time.perf_counter()
    train(config)
    return time.perf_counter() - start

m, g = [], []
for i in range(rounds):
    for fn, out in ((minimal, m), (generated, g)) if i % 2 == 0 else ((generated, g), (minimal, m)):
        out.append(fn())
mm, gm = statistics.median(m), statistics.median(g)
print(f"minimal loop:   {{steps / mm:8.1f}} steps/s (median of {{rounds}})")
print(f"generated loop: {{steps / gm:8.1f}} steps/s (median of {{rounds}})")
print(f"ratio generated/minimal = {{mm / gm:.3f}} (goal >= 0.95)")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("project", type=Path)
    parser.add_argument("--python", default=None, help="the project's interpreter")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    python = args.python or str(args.project / ".venv" / "bin" / "python")
    pkg = next(p.name for p in (args.project / "src").iterdir() if (p / "__init__.py").exists())
    code = PROBE.format(pkg=pkg, steps=args.steps, rounds=args.rounds)
    sys.exit(subprocess.run([python, "-c", code], cwd=args.project, check=False).returncode)


if __name__ == "__main__":
    main()
