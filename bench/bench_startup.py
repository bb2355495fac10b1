"""Start-up cost as ratios to the bare interpreter, taken in one run (paired, rotating order).

`dlgen --version` against `python -c pass` (goal <= 1.5x: it is answered before click is
imported), `dlgen --help`, and `dlgen check` on a fresh default project (goal <= 5x). All three
run the installed console script, as users do.

Run: python bench/bench_startup.py [--runs 31]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from common import paired, report, timed, tool
from fixtures import run_tool

GOALS = {"dlgen --version": 1.5, "dlgen check (fresh dl-project)": 5.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=31)
    args = parser.parse_args()
    python, dlgen = tool("python"), tool("dlgen")
    with tempfile.TemporaryDirectory(prefix="dlgen-bench-startup-") as tmp:
        project = Path(tmp) / "proj"
        run_tool(["dlgen", "new", str(project), "--defaults", "--no-hooks"])
        samples = paired(
            args.runs,
            {
                "python -c pass": lambda _i: timed([python, "-c", "pass"]),
                "dlgen --version": lambda _i: timed([dlgen, "--version"]),
                "dlgen --help": lambda _i: timed([dlgen, "--help"]),
                "dlgen check (fresh dl-project)": lambda _i: timed([dlgen, "check"], cwd=project),
            },
        )
    report("Start-up, median of paired runs", samples, baseline="python -c pass")
    base = statistics.median(samples["python -c pass"])
    print()
    for name, goal in GOALS.items():
        ratio = statistics.median(samples[name]) / base
        verdict = "ok" if ratio <= goal else "over the goal"
        print(f"  {name}: {ratio:.2f}x python -c pass (goal <= {goal}x): {verdict}")


if __name__ == "__main__":
    main()
