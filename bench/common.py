"""Helpers for the side-by-side benchmarks: time subprocesses in paired, alternating runs."""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

BIN = Path(os.environ.get("DLGEN_BENCH_BIN", Path(shutil.which("dlgen") or "dlgen").parent))
REPO = Path(__file__).resolve().parents[1]

# Users run installed code with bytecode caches; an editable checkout under PYTHONDONTWRITEBYTECODE
# would recompile dlgen on every run and time the compiler instead.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
subprocess.run([str(BIN / "python"), "-m", "compileall", "-q", str(REPO / "generator")], check=True)


def tool(name: str) -> str:
    """The executable `name` from the benchmark's environment."""
    path = BIN / name
    return str(path) if path.exists() else name


# `DLGEN_BENCH_CLOCK=cpu` times the CPU seconds (user + system) a command and the children it
# waited for spent, instead of wall seconds: on a machine busy with other work, wall times carry
# the scheduler's noise, CPU times hardly any (but they add up parallel children's work).
CPU_CLOCK = os.environ.get("DLGEN_BENCH_CLOCK", "wall") == "cpu"


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def clock() -> float:
    """Now, on the benchmark's clock: wall seconds, or children's CPU seconds (`CPU_CLOCK`)."""
    return _cpu_seconds() if CPU_CLOCK else time.perf_counter()


def timed(cmd: Sequence[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> float:
    """Seconds of one run of `cmd`, wall or CPU (`CPU_CLOCK`); it must succeed."""
    start = clock()
    proc = subprocess.run(list(cmd), cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = clock() - start
    if proc.returncode != 0:
        raise SystemExit(f"benchmark command failed: {' '.join(cmd)}\n{proc.stderr[-2000:]}")
    return elapsed


def paired(runs: int, cases: dict[str, Callable[[int], float]]) -> dict[str, list[float]]:
    """Run every case once per round, rotating the order each round; return the samples."""
    names = list(cases)
    samples: dict[str, list[float]] = {n: [] for n in names}
    for i in range(runs):
        order = names[i % len(names) :] + names[: i % len(names)]
        for name in order:
            samples[name].append(cases[name](i))
    return samples


def report(title: str, samples: dict[str, list[float]], baseline: str | None = None) -> None:
    """Print medians (ms) and, against `baseline`, the ratio of medians."""
    print(f"\n{title}")
    print(f"  {'case':<44} {'median ms':>10} {'min ms':>8} {'ratio':>7}")
    base = statistics.median(samples[baseline]) if baseline else None
    for name, values in samples.items():
        med = statistics.median(values)
        ratio = f"{med / base:.2f}" if base else ""
        print(f"  {name:<44} {med * 1000:>10.1f} {min(values) * 1000:>8.1f} {ratio:>7}")
