"""`dlgen update` against `copier update` and `cruft update` on the same template jump (v1 -> v2),
paired runs; then dlgen alone with 30k committed user files, and with 2 GB of ignored data.

Run: python bench/bench_update.py [--runs N] [--user-files 30000]
     [--part all|tools|scale|structured]
     (DLGEN_BENCH_CLOCK=cpu: CPU seconds instead of wall seconds for the tools and scale parts)
Goals (issue #4): dlgen <= 0.5x copier and <= 1.0x cruft; 30k files / 0 files <= 1.10x;
2 GB ignored data adds <= 5 %; peak memory flat in user files.
Goal (issue 18): the structured step (here: config.yaml, which both sides edited on neighbouring
lines, merged by structure) adds < 10 % to the update of the 30k-file project: timed inside the
update (its share of the run) and as paired runs with the step switched off.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import CPU_CLOCK, paired, report, tool
from fixtures import (
    commit_all,
    cookiecutter_template,
    copier_project,
    copier_template,
    cruft_project,
    git,
)

ENV = {
    "GIT_AUTHOR_NAME": "b",
    "GIT_AUTHOR_EMAIL": "b@x",
    "GIT_COMMITTER_NAME": "b",
    "GIT_COMMITTER_EMAIL": "b@x",
}
MEASURE = (
    "import resource, subprocess, sys, time, json\n"
    "start = time.perf_counter()\n"
    "rc = subprocess.run(sys.argv[1:], capture_output=True).returncode\n"
    "wall = time.perf_counter() - start\n"
    "usage = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "cpu = usage.ru_utime + usage.ru_stime\n"
    "print(json.dumps({'rc': rc, 'wall': wall, 'cpu': cpu, 'rss_kb': usage.ru_maxrss}))\n"
)


def measured(cmd: list[str], cwd: Path) -> dict[str, float]:
    """One run of `cmd` in `cwd`: exit code, wall and CPU seconds (its children's included),
    peak RSS; `time` is the benchmark's clock (`DLGEN_BENCH_CLOCK`)."""
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, *cmd],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **ENV},
    )
    result: dict[str, float] = json.loads(out.stdout)
    if result["rc"] not in (0, 4):
        raise SystemExit(f"{cmd} failed with {result['rc']} in {cwd}")
    result["time"] = result["cpu"] if CPU_CLOCK else result["wall"]
    return result


def reset(project: Path, head: str, branch: str | None) -> None:
    git("reset", "-q", "--hard", head, cwd=project)  # an update in progress included
    git("clean", "-qfdx", "-e", "data", cwd=project)
    if branch:
        git("update-ref", "refs/heads/dlgen/template", branch, cwd=project)
        for ref in ("refs/dlgen/orig-template", "refs/dlgen/orig-head"):
            subprocess.run(["git", "update-ref", "-d", ref], cwd=project, check=False)


def dlgen_project(work: Path, tpl: Path, name: str, user_files: int = 0) -> tuple[Path, str, str]:
    project = work / name
    subprocess.run(
        [tool("dlgen"), "new", str(project), "--template", f"{tpl}@v1", "--defaults", "--no-hooks"],
        check=True,
        capture_output=True,
        env={**os.environ, **ENV},
    )
    for i in range(user_files):
        sub = project / "user" / f"d{i // 1000}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"f{i}.txt").write_text(f"user file {i}\n")
    (project / "config.yaml").write_text("name: demo\nlr: 0.1\nepochs: 20\n")
    commit_all(project, "user work")
    return (
        project,
        git("rev-parse", "HEAD", cwd=project).strip(),
        git("rev-parse", "dlgen/template", cwd=project).strip(),
    )


def compare_tools(work: Path, runs: int) -> None:
    ctpl = copier_template(work / "copier-tpl")
    cctpl = cookiecutter_template(work / "cc-tpl")
    dl, dl_head, dl_branch = dlgen_project(work, ctpl, "dlgen-proj")
    cp = copier_project(work, ctpl)
    cr = cruft_project(work, cctpl)
    for project in (cp, cr):
        (project / "config.yaml").write_text("name: demo\nlr: 0.1\nepochs: 20\n")
        commit_all(project, "user work")
    cp_head = git("rev-parse", "HEAD", cwd=cp).strip()
    cr_head = git("rev-parse", "HEAD", cwd=cr).strip()
    rss: dict[str, list[float]] = {}

    def case(name: str, cmd: list[str], cwd: Path, head: str, branch: str | None):  # type: ignore[no-untyped-def]
        def one(_i: int) -> float:
            reset(cwd, head, branch)
            result = measured(cmd, cwd)
            rss.setdefault(name, []).append(result["rss_kb"])
            return result["time"]

        return one

    samples = paired(
        runs,
        {
            "copier update": case(
                "copier update",
                [tool("copier"), "update", "--defaults", "--vcs-ref", "v2", "--skip-tasks"],
                cp,
                cp_head,
                None,
            ),
            "cruft update": case(
                "cruft update",
                [tool("cruft"), "update", "-y", "--checkout", "v2"],
                cr,
                cr_head,
                None,
            ),
            "dlgen update": case(
                "dlgen update", [tool("dlgen"), "update", "--to", "v2"], dl, dl_head, dl_branch
            ),
        },
    )
    report("Update v1 -> v2, 42-file template (paired runs)", samples, baseline="copier update")
    dlm = statistics.median(samples["dlgen update"])
    print(
        f"  dlgen / copier = {dlm / statistics.median(samples['copier update']):.2f} (goal <= 0.5)"
    )
    print(
        f"  dlgen / cruft  = {dlm / statistics.median(samples['cruft update']):.2f} (goal <= 1.0)"
    )
    for name, values in rss.items():
        print(f"  peak RSS {name}: {max(values) / 1024:.0f} MiB")


def scale(work: Path, runs: int, user_files: int) -> None:
    tpl = copier_template(work / "scale-tpl")
    small = dlgen_project(work, tpl, "small")
    big = dlgen_project(work, tpl, "big", user_files)
    data = small[0] / "data"
    data.mkdir()
    rss: dict[str, list[float]] = {}

    def case(name: str, proj: tuple[Path, str, str]):  # type: ignore[no-untyped-def]
        def one(_i: int) -> float:
            reset(*proj)
            result = measured([tool("dlgen"), "update", "--to", "v2"], proj[0])
            rss.setdefault(name, []).append(result["rss_kb"])
            return result["time"]

        return one

    samples = paired(
        runs, {"0 user files": case("0", small), f"{user_files} user files": case("big", big)}
    )
    report("dlgen update: committed user files", samples, baseline="0 user files")
    print(
        f"  peak RSS: 0 files {max(rss['0']) / 1024:.0f} MiB, "
        f"{user_files} files {max(rss['big']) / 1024:.0f} MiB"
    )
    reset(*small)  # the last run's update is staged: commit the ignore rule alone, at v1
    (small[0] / ".gitignore").write_text("data/\n")
    commit_all(small[0], "ignore data")
    small = (small[0], git("rev-parse", "HEAD", cwd=small[0]).strip(), small[2])
    base = paired(runs, {"no ignored data": case("nodata", small)})
    for i in range(8):  # 8 x 256 MiB sparse files: 2 GiB of ignored data, no disk blocks used
        with (data / f"shard{i}.bin").open("wb") as f:
            f.truncate(256 * 1024 * 1024)
    with_data = paired(runs, {"2 GiB ignored in data/": case("data", small)})
    report("dlgen update: ignored data", {**base, **with_data}, baseline="no ignored data")


# dlgen with the structured step timed (its seconds on stderr), or switched off
STEP = (
    "import sys, time, dlgen.update as u, dlgen.resolve as r\n"
    "step = u.after_merge\n"
    "def timed(*a, **k):\n"
    "    start = time.perf_counter()\n"
    "    try:\n"
    "        return step(*a, **k)\n"
    "    finally:\n"
    "        sys.stderr.write(f'structured step {time.perf_counter() - start}\\n')\n"
    "u.after_merge = (lambda *a, **k: r.Resolution()) if sys.argv[1] == 'off' else timed\n"
    "from dlgen.cli import main\n"
    "main(sys.argv[2:])\n"
)


def structured_cost(work: Path, runs: int, user_files: int) -> None:
    """The structured step's cost on the 30k-file project: its share of the update, timed
    inside the run, and paired runs with the step on and off."""
    tpl = copier_template(work / "structured-tpl")
    big = dlgen_project(work, tpl, "structured-big", user_files)
    shares: list[float] = []

    def case(mode: str):  # type: ignore[no-untyped-def]
        def one(_i: int) -> float:
            reset(*big)
            cmd = [tool("python"), "-c", STEP, mode, "update", "--to", "v2"]
            start = time.perf_counter()
            done = subprocess.run(
                cmd,
                cwd=big[0],
                capture_output=True,
                text=True,
                env={**os.environ, **ENV},
                check=False,
            )
            wall = time.perf_counter() - start
            if done.returncode not in (0, 4):
                raise SystemExit(f"{cmd} failed: {done.stderr}")
            if mode == "on":
                if "merged by structure (review it): config.yaml" not in done.stdout:
                    raise SystemExit(f"the structured step did not run: {done.stdout}")
                step = float(done.stderr.split("structured step ")[1].split()[0])
                shares.append(step / (wall - step))
            return wall

        return one

    samples = paired(runs, {"structured step off": case("off"), "structured step on": case("on")})
    report(
        f"dlgen update, {user_files} user files: the structured step",
        samples,
        baseline="structured step off",
    )
    print(
        f"  structured step inside the run: +{statistics.median(shares) * 100:.1f} % of the "
        f"rest of the update (median of {len(shares)}; goal < 10 %)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--user-files", type=int, default=30000)
    parser.add_argument("--part", choices=["all", "tools", "scale", "structured"], default="all")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dlgen-bench-update-") as tmp:
        if args.part in ("all", "tools"):
            compare_tools(Path(tmp), args.runs)
        if args.part in ("all", "scale"):
            scale(Path(tmp), args.runs, args.user_files)
        if args.part in ("all", "structured"):
            structured_cost(Path(tmp), args.runs, args.user_files)


if __name__ == "__main__":
    main()
