"""The generated project's training loop against the same loop written by hand, pytorch/examples
style: same model, data, batch size, AdamW, warm-up + cosine schedule, gradient clipping, a log
line every `train.log_every_steps` steps (loss, lr, samples/s to a JSONL file, and to TensorBoard
when the project uses it), one validation pass and one checkpoint, fp32 on the CPU (no AMP), one
thread.

Each loop runs one epoch of SHORT and of LONG optimizer steps, in alternating order, ROUNDS times;
the medians give each loop's marginal cost per step, (t(LONG) - t(SHORT)) / (LONG - SHORT), and
its fixed cost, t(SHORT) - SHORT * per-step (set-up, validation, checkpoint, tracker).

Run: python bench/train_loop.py PROJECT_DIR [--python PROJECT_VENV_PYTHON]
     [--short 100] [--long 600] [--rounds 5]
Goal (issue #9): per-step ratio hand-written / generated >= 0.98.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

PROBE = r"""
import json, math, statistics, tempfile, time
from pathlib import Path
import torch
import {pkg}.tracking
from torch.utils.data import DataLoader
from {pkg}.config import load_config
from {pkg}.data.prepare import prepare
from {pkg}.data.loaders import load_split
from {pkg}.models import build_model, loss_fn
from {pkg}.training.loop import train

SHORT, LONG, ROUNDS = {short}, {long}, {rounds}
torch.set_num_threads(1)
tmp = Path(tempfile.mkdtemp())
base = [f"data.processed_dir={{tmp}}/data", "data.n_samples=4096", "data.num_workers=0",
        "train.device=cpu", "train.precision=fp32", "train.epochs=1", "train.resume=false"]
config = load_config("params.yaml", base)
prepare(config)
runs = iter(range(10**6))


def hand_written(steps):
    # What a careful user writes from pytorch/examples, with the generated loop's features.
    start = time.perf_counter()
    torch.manual_seed(config.seed)
    train_loader = DataLoader(load_split(config, "train"), batch_size=config.data.batch_size,
                              shuffle=True, drop_last=True)
    val_loader = DataLoader(load_split(config, "val"), batch_size=config.data.batch_size)
    model = build_model(config)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.optim.lr,
                                  weight_decay=config.optim.weight_decay)
    warmup = config.optim.warmup_steps

    def factor(step):
        if step < warmup:
            return (step + 1) / warmup
        return 0.5 * (1 + math.cos(math.pi * min((step - warmup) / max(steps - warmup, 1), 1)))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
    run_dir = tmp / f"hand-{{next(runs)}}"
    run_dir.mkdir()
    log = (run_dir / "metrics.jsonl").open("w")
    writer = None
    if hasattr({pkg}.tracking, "TensorBoardTracker"):
        from torch.utils.tensorboard import SummaryWriter
        writer = SummaryWriter(log_dir=str(run_dir / "tensorboard"))
    every = config.train.log_every_steps
    model.train()
    done, tic = 0, time.perf_counter()
    while done < steps:
        for inputs, targets in train_loader:
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(inputs), targets)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.optim.grad_clip)
            optimizer.step()
            scheduler.step()
            done += 1
            if done % every == 0:
                record = {{"train_loss": loss.item(), "lr": scheduler.get_last_lr()[0],
                          "samples_per_s": every * len(inputs) / (time.perf_counter() - tic)}}
                log.write(json.dumps({{"step": done, **record}}) + "\n")
                log.flush()
                if writer is not None:
                    for key, value in record.items():
                        writer.add_scalar(key, value, done)
                tic = time.perf_counter()
            if done == steps:
                break
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for inputs, targets in val_loader:
            total += loss_fn(model(inputs), targets).item() * len(targets)
            count += len(targets)
    log.close()
    if writer is not None:
        writer.close()
    torch.save({{"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(), "val_loss": total / count}},
               run_dir / "last.pt")
    return time.perf_counter() - start


def generated(steps):
    run_dir = f"train.run_dir={{tmp}}/gen-{{next(runs)}}"
    run_config = load_config("params.yaml", [*base, f"train.steps_per_epoch={{steps}}", run_dir])
    start = time.perf_counter()
    train(run_config)
    return time.perf_counter() - start


loops = {{"hand-written": hand_written, "generated": generated}}
times = {{(name, n): [] for name in loops for n in (SHORT, LONG)}}
for loop in loops.values():  # warm-up, not timed: first-call costs (imports, allocator)
    loop(SHORT)
for r in range(ROUNDS):
    order = list(loops.items()) if r % 2 == 0 else list(loops.items())[::-1]
    for n in (SHORT, LONG):
        for name, loop in order:
            times[name, n].append(loop(n))
per_step, fixed = {{}}, {{}}
for name in loops:
    short, long = (statistics.median(times[name, n]) for n in (SHORT, LONG))
    per_step[name] = (long - short) / (LONG - SHORT)
    fixed[name] = short - SHORT * per_step[name]
    print(f"{{name:<13}} {{per_step[name] * 1000:7.3f}} ms/step   "
          f"fixed {{fixed[name] * 1000:7.1f}} ms   ({{LONG}} steps: {{long:.2f}} s)")
ratio = per_step["hand-written"] / per_step["generated"]
print(f"per-step ratio hand-written / generated = {{ratio:.3f}} (goal >= 0.98)")
extra = fixed["generated"] - fixed["hand-written"]
print(f"fixed cost generated - hand-written = {{extra * 1000:.0f}} ms (medians of {{ROUNDS}})")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("project", type=Path)
    parser.add_argument("--python", default=None, help="the project's interpreter")
    parser.add_argument("--short", type=int, default=100)
    parser.add_argument("--long", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    python = args.python or str(args.project / ".venv" / "bin" / "python")
    pkg = next(p.name for p in (args.project / "src").iterdir() if (p / "__init__.py").exists())
    code = PROBE.format(pkg=pkg, short=args.short, long=args.long, rounds=args.rounds)
    sys.exit(subprocess.run([python, "-c", code], cwd=args.project, check=False).returncode)


if __name__ == "__main__":
    main()
