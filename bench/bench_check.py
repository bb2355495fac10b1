"""`dlgen check` on a generated project, beside `cruft check` and `copier check-update` on
comparable projects (the same 42-file template). Median of N runs each, paired.

Run: python bench/bench_check.py [--runs 21] [--files 50000] [--size-only]
Goals: dlgen check median <= 0.1 s (issue #5), and <= 5x `python -c pass` taken in the same
paired run (issue 11): the ratio is printed last, with the git calls one check makes. Then
(issue 15) `dlgen check` on a project with --files extra tracked files against a fresh project,
paired: its cost follows the template's size, not the repository's (goal <= 1.5x).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
from pathlib import Path

from common import paired, report, timed, tool
from fixtures import (
    commit_all,
    cookiecutter_template,
    copier_project,
    copier_template,
    cruft_project,
    run_tool,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--files", type=int, default=50000, help="0 skips the size case")
    parser.add_argument("--size-only", action="store_true", help="only the size case")
    args = parser.parse_args()
    if args.files:
        size_case(args.runs, args.files)
    if args.size_only:
        return
    with tempfile.TemporaryDirectory(prefix="dlgen-bench-check-") as tmp:
        work = Path(tmp)
        ctpl = copier_template(work / "copier-tpl")
        cctpl = cookiecutter_template(work / "cc-tpl")
        bundled, dl = work / "bundled", work / "dl"
        run_tool(["dlgen", "new", str(bundled), "--defaults", "--no-hooks"])
        run_tool(["dlgen", "new", str(dl), "--template", f"{ctpl}@v1", "--defaults", "--no-hooks"])
        cp = copier_project(work, ctpl)
        cruft = cruft_project(work, cctpl)
        samples = paired(
            args.runs,
            {
                "python -c pass": lambda _i: timed([tool("python"), "-c", "pass"]),
                "dlgen check (dl-project)": lambda _i: timed([tool("dlgen"), "check"], cwd=bundled),
                "dlgen check (42-file template)": lambda _i: timed(
                    [tool("dlgen"), "check"], cwd=dl
                ),
                "cruft check": lambda _i: _allow_fail([tool("cruft"), "check"], cruft),
                "copier check-update": lambda _i: _allow_fail([tool("copier"), "check-update"], cp),
            },
        )
    report("Template check, median of paired runs", samples, baseline="cruft check")
    median = statistics.median(samples["dlgen check (dl-project)"])
    python = statistics.median(samples["python -c pass"])
    print(f"\n  dlgen check median = {median * 1000:.0f} ms (goal <= 100 ms)")
    print(f"  dlgen check / python -c pass = {median / python:.1f}x (goal <= 5x)")


def size_case(runs: int, files: int) -> None:
    """`dlgen check` on a fresh dl-project and on one with `files` more tracked files, paired."""
    with tempfile.TemporaryDirectory(prefix="dlgen-bench-check-size-") as tmp:
        fresh, big = Path(tmp) / "fresh", Path(tmp) / "big"
        for project in (fresh, big):
            run_tool(["dlgen", "new", str(project), "--defaults", "--no-hooks"])
        for i in range(files):
            folder = big / "data" / f"d{i // 100:04}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"f{i % 100}.txt").write_text(f"sample {i}\n" * 20)
        subprocess.run(["git", "config", "gc.auto", "0"], cwd=big, check=True)  # no gc beside
        commit_all(big, f"{files} files of the project's own")
        samples = paired(
            runs,
            {
                "dlgen check (fresh dl-project)": lambda _i: timed([tool("dlgen"), "check"], fresh),
                f"dlgen check (+{files} tracked files)": lambda _i: timed(
                    [tool("dlgen"), "check"], big
                ),
            },
        )
    report("Check cost against repository size", samples, "dlgen check (fresh dl-project)")
    medians = [statistics.median(v) for v in samples.values()]
    print(f"\n  {files} tracked files / fresh = {medians[1] / medians[0]:.2f}x (goal <= 1.5x)")


def _allow_fail(cmd: list[str], cwd: Path) -> float:
    """cruft/copier exit non-zero when an update exists (v2 does): time them all the same."""
    import time

    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, capture_output=True, check=False)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
