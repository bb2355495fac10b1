"""What finding the template base costs: `update.guard()` (every check before an update: clean
tree, record, abort refs, HEAD's render, branch reconciliation, purity), timed in-process without
writing, on bench_update's projects with 0 and N committed user files and on one with H commits of
history since its render. `--compare SRC` times another checkout's `generator/` the same way, in
alternating rounds, and prints the ratio (e.g. main before the history-based base finding).

Run: python bench/bench_guard.py [--runs 15] [--user-files 30000] [--history 5000] [--compare DIR]
Goal (issue #8): the base finding adds <= 5 % to `dlgen update` on the 30k-file project
(`bench_update.py` gives the update's own time).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_update import dlgen_project
from common import REPO
from fixtures import copier_template, git

TIMER = (
    "import inspect, statistics, sys, time\n"
    "from pathlib import Path\n"
    "from dlgen import update\n"
    "kw = {'write': False} if 'write' in inspect.signature(update.guard).parameters else {}\n"
    "times = []\n"
    "for _ in range(int(sys.argv[2])):\n"
    "    start = time.perf_counter()\n"
    "    update.guard(Path(sys.argv[1]), **kw)\n"
    "    times.append(time.perf_counter() - start)\n"
    "print(statistics.median(times))\n"
)


def with_history(project: Path, commits: int) -> None:
    """`commits` user commits on top of the project's render (git fast-import, 50 files)."""
    branch = git("symbolic-ref", "HEAD", cwd=project).strip()
    head = git("rev-parse", "HEAD", cwd=project).strip()
    stream = []
    for i in range(commits):
        data = f"note {i}\n"
        stream.append(f"commit {branch}\ncommitter b <b@x> {1700000000 + i} +0000\ndata 4\nwork\n")
        stream.append(f"from {head}\n" if i == 0 else "")
        stream.append(f"M 100644 inline notes/n{i % 50}.txt\ndata {len(data)}\n{data}\n")
    subprocess.run(
        ["git", "fast-import", "--quiet"], cwd=project, input="".join(stream).encode(), check=True
    )
    git("reset", "-q", "--hard", cwd=project)


def median_guard(src: Path, project: Path, runs: int) -> float:
    """Median seconds of `runs` guard() calls with the dlgen of `src` (a `generator/` dir)."""
    out = subprocess.run(
        [sys.executable, "-c", TIMER, str(project), str(runs)],
        env={**os.environ, "PYTHONPATH": str(src)},
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--user-files", type=int, default=30000)
    parser.add_argument("--history", type=int, default=5000)
    parser.add_argument("--compare", type=Path, help="another checkout to time the same way")
    args = parser.parse_args()
    sources = {"this": REPO / "generator"}
    if args.compare:
        sources["compare"] = args.compare.resolve() / "generator"
    with tempfile.TemporaryDirectory(prefix="dlgen-bench-guard-") as tmp:
        work = Path(tmp)
        tpl = copier_template(work / "tpl")
        projects = {
            "0 user files": dlgen_project(work, tpl, "small")[0],
            f"{args.user_files} user files": dlgen_project(work, tpl, "big", args.user_files)[0],
            f"{args.history} commits since the render": dlgen_project(work, tpl, "long")[0],
        }
        with_history(projects[f"{args.history} commits since the render"], args.history)
        print(f"\nupdate.guard(), median ms of {args.runs} calls, median of 4 alternating rounds")
        for name, project in projects.items():
            rounds: dict[str, list[float]] = {s: [] for s in sources}
            for i in range(4):
                for source in list(sources)[:: 1 if i % 2 == 0 else -1]:
                    rounds[source].append(median_guard(sources[source], project, args.runs))
            med = {s: statistics.median(v) * 1000 for s, v in rounds.items()}
            cells = "  ".join(f"{s} {m:7.1f}" for s, m in med.items())
            ratio = f"  this/compare {med['this'] / med['compare']:.2f}" if args.compare else ""
            print(f"  {name:<34} {cells}{ratio}")


if __name__ == "__main__":
    main()
