"""`dlgen status DIR` over a folder of generated projects, against `dlgen check` run once per
project (what a team's script does without status). Median of N paired runs.

The fleet: one `dlgen new --defaults` project of the bundled template, copied (with its .git)
and varied: every 10th has a drifted enforced file, every 10th trails the bundled version, every
20th has an uncommitted edit, every 20th an active ignore, every 25th folder is not a project.

Run: python bench/bench_status.py [--projects 200] [--runs 5]
Goal (issue #10): `dlgen status` on 200 projects < 5 s on 2 cores.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import yaml
from common import paired, report, tool
from fixtures import commit_all, run_tool


def make_fleet(root: Path, count: int) -> list[Path]:
    """`count` folders under `root`; returns the project folders."""
    base = root.parent / "base"
    run_tool(["dlgen", "new", str(base), "--defaults", "--no-hooks"])
    projects = []
    for i in range(count):
        dst = root / f"proj-{i:03d}"
        if i % 25 == 24:
            dst.mkdir()
            (dst / "notes.txt").write_text("not a project\n")
            continue
        shutil.copytree(base, dst, symlinks=True)
        vary(dst, i)
        projects.append(dst)
    shutil.rmtree(base)
    return projects


def vary(project: Path, i: int) -> None:
    """Drift, lag, uncommitted edits and ignores, spread over the fleet."""
    record = project / ".dlgen.yml"
    if i % 10 == 3:
        with (project / "Dockerfile").open("a") as f:
            f.write("USER root\n")
        commit_all(project, "drift")
    if i % 10 == 6:
        data = yaml.safe_load(record.read_text())
        data["template_version"] = "0.0.1"
        record.write_text(yaml.safe_dump(data, sort_keys=False))
        commit_all(project, "pretend an older version")
    if i % 20 == 9:
        with (project / ".gitignore").open("a") as f:
            f.write("scratch/\n")
    if i % 20 == 13:
        data = yaml.safe_load(record.read_text())
        data["check"] = {"ignore": {"Dockerfile": "internal base image"}}
        record.write_text(yaml.safe_dump(data, sort_keys=False))
        commit_all(project, "ignore")


def timed_any(cmd: list[str], cwd: Path | None = None) -> float:
    """Wall seconds of one run; findings (exit 1) are expected, a crash is not."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"benchmark command failed: {' '.join(cmd)}\n{proc.stderr[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--projects", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    dlgen = tool("dlgen")
    with tempfile.TemporaryDirectory(prefix="dlgen-bench-status-") as tmp:
        fleet = Path(tmp) / "fleet"
        fleet.mkdir()
        projects = make_fleet(fleet, args.projects)
        samples = paired(
            args.runs,
            {
                f"dlgen status ({args.projects} folders)": lambda _i: timed_any(
                    [dlgen, "status", str(fleet)]
                ),
                f"dlgen check x {len(projects)}": lambda _i: sum(
                    timed_any([dlgen, "check", str(p)]) for p in projects
                ),
            },
        )
    names = list(samples)
    report("Fleet view, median of paired runs", samples, baseline=names[1])
    status_s, checks_s = (statistics.median(samples[n]) for n in names)
    print(
        f"\n  dlgen status = {status_s:.2f} s (goal < 5 s); "
        f"{checks_s / status_s:.1f}x faster than {len(projects)} dlgen check runs"
    )


if __name__ == "__main__":
    main()
