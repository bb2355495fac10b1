"""Start-up cost as ratios to the bare interpreter, taken in one run (paired, rotating order).

Goals (issue 11): `dlgen --version` <= 1.5x `python -c pass` (it is answered before click is
imported) and `dlgen check` on a fresh default project <= 5x. Besides the installed console
script, `--version` is timed through a launcher without `import re`: pip's console-script
wrapper (distlib's template) imports `re` before dlgen runs, timed alone as
`python -c "import re"`; uv's wrapper does not (astral-sh/uv#10627; distlib declined the same
change, pypa/distlib#239: the installer, not the package, writes the wrapper). The two rows
bracket what users see.

Run: python bench/bench_startup.py [--runs 31]
(DLGEN_BENCH_CLOCK=cpu: CPU seconds instead of wall seconds, for a busy machine; DLGEN_BENCH_BIN:
the folder holding the `dlgen` to time, e.g. another version's venv, for a before/after.)
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from common import paired, report, timed, tool
from fixtures import run_tool

PLAIN = "dlgen --version (launcher without import re)"
GOALS = {
    "dlgen --version (pip's console script)": 1.5,
    PLAIN: 1.5,
    "dlgen check (fresh dl-project)": 5.0,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=31)
    parser.add_argument(
        "--compare",
        type=Path,
        metavar="BIN",
        help="another dlgen's bin folder (a venv of an older version): its rows in the same run",
    )
    args = parser.parse_args()
    python, dlgen = tool("python"), tool("dlgen")
    with tempfile.TemporaryDirectory(prefix="dlgen-bench-startup-") as tmp:
        project = Path(tmp) / "proj"
        run_tool(["dlgen", "new", str(project), "--defaults", "--no-hooks"])
        launcher = Path(tmp) / "dlgen"
        launcher.write_text(
            f"#!{python}\nimport sys\nfrom dlgen.__main__ import main\nsys.exit(main())\n"
        )
        launcher.chmod(0o755)
        other = {}
        if args.compare:
            old = str(args.compare / "dlgen")
            other = {
                "before: dlgen --version": lambda _i: timed([old, "--version"]),
                "before: dlgen check": lambda _i: timed([old, "check"], cwd=project),
            }
        samples = paired(
            args.runs,
            {
                **other,
                "python -c pass": lambda _i: timed([python, "-c", "pass"]),
                "python -c 'import re' (pip wrapper's floor)": lambda _i: timed(
                    [python, "-c", "import re"]
                ),
                "dlgen --version (pip's console script)": lambda _i: timed([dlgen, "--version"]),
                PLAIN: lambda _i: timed([str(launcher), "--version"]),
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
    for before, after in (
        ("before: dlgen --version", "dlgen --version (pip's console script)"),
        ("before: dlgen check", "dlgen check (fresh dl-project)"),
    ):
        if before in samples:
            ratio = statistics.median(samples[after]) / statistics.median(samples[before])
            print(f"  {after}: {ratio:.2f}x {before}")


if __name__ == "__main__":
    main()
