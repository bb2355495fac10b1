"""`dlgen new` against `copier copy`, and CLI start-up against copier's and cookiecutter's.

Run: python bench/bench_new.py [--runs N]   (from a venv where dlgen, copier, cookiecutter live)
Goals (issue #2): `dlgen --version`/`--help` <= 0.05 s; `dlgen new --defaults` <= 1.05 x
`copier copy --defaults` on the same template, paired runs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from common import paired, report, timed, tool

REPO = Path(__file__).resolve().parents[1]
TEMPLATE = REPO / "templates" / "dl-project"


def startup(runs: int) -> None:
    cases = {
        "dlgen --version": lambda _i: timed([tool("dlgen"), "--version"]),
        "dlgen --help": lambda _i: timed([tool("dlgen"), "--help"]),
        "copier --version": lambda _i: timed([tool("copier"), "--version"]),
        "cookiecutter --version": lambda _i: timed([tool("cookiecutter"), "--version"]),
        "python -c pass (interpreter floor)": lambda _i: timed([sys.executable, "-c", "pass"]),
    }
    report("CLI start-up", paired(runs, cases), baseline="copier --version")


def generate(runs: int) -> None:
    with tempfile.TemporaryDirectory(prefix="dlgen-bench-") as tmp:
        work = Path(tmp)

        def copier(i: int) -> float:
            return timed(
                [
                    tool("copier"),
                    "copy",
                    "--defaults",
                    "--quiet",
                    "-d",
                    "project_name=acme-vision",
                    str(TEMPLATE),
                    str(work / f"copier{i}"),
                ]
            )

        def dlgen(i: int) -> float:
            return timed([tool("dlgen"), "new", str(work / f"d{i}" / "acme-vision"), "--defaults"])

        def dlgen_no_git(i: int) -> float:
            return timed(
                [
                    tool("dlgen"),
                    "new",
                    str(work / f"n{i}" / "acme-vision"),
                    "--defaults",
                    "--no-git",
                ]
            )

        samples = paired(
            runs,
            {
                "copier copy --defaults": copier,
                "dlgen new --defaults (git + pre-commit)": dlgen,
                "dlgen new --defaults --no-git": dlgen_no_git,
            },
        )
    report("Generate dl-project (paired runs)", samples, baseline="copier copy --defaults")
    dlgen_median = statistics.median(samples["dlgen new --defaults (git + pre-commit)"])
    ratio = dlgen_median / statistics.median(samples["copier copy --defaults"])
    print(f"\n  dlgen new / copier copy = {ratio:.3f} (goal <= 1.05)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    startup(args.runs * 2)
    generate(args.runs)


if __name__ == "__main__":
    main()
