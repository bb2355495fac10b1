"""Conflicts per update on real template histories: dlgen without its structured step (before
issue 18), dlgen, copier and cruft, side by side in one run.

The templates are local git repositories (clones or `fetch` snapshots; nothing is downloaded):
pawamoy/copier-uv (copier), scientific-python/cookie (copier and cookiecutter, so cruft too) and,
when given, audreyfeldroy/cookiecutter-pypackage (cookiecutter: cruft only).
For each pair of consecutive releases (A, B), each tool makes a project at A with the same
answers, the same user edits of the kinds template updates collide with are committed (a
dependency, a pyproject table, a pre-commit repo, a CI step, an ignore line, a Makefile target,
an editor setting in JSON; each where users put them: at the end of its list or file), and the
tool updates it to B. Every pair starts afresh, so no tool's conflict resolution leaks into the
next update. Counted per update: files left with conflicts (unmerged paths, conflict markers,
`.rej` files) and TOML/YAML/JSON files an update left unparsable without calling them conflicts
(where the template's own render parses: copier-uv's editor settings are JSON with trailing
commas, unparsable in every tool's project).
Then, against dlgen's project: the files whose bytes differ (conflicted files aside, records
aside), and the seconds each tool's update took (wall, or CPU with DLGEN_BENCH_CLOCK=cpu).

Run: python bench/bench_structured.py --copier-uv PATH --cookie PATH   (clones or bare mirrors,
       e.g. /work/.mirror/pawamoy+copier-uv/repo; cloned locally, never fetched)
       [--pypackage PATH]   (audreyfeldroy/cookiecutter-pypackage)
       [--copier-uv-releases 1.11.2,1.11.3,1.11.4,1.11.5,1.12.0,1.13.0]
       [--cookie-releases 2025.11.21,2026.03.02,2026.04.03,2026.06.18]
       [--pypackage-releases v0.3.0,v0.3.1,v0.4.0,v0.5.0]   (v0.2.0 asks no
       pypi_package_name, and dlgen refuses an answer to a question the template does not ask)
     with dlgen, copier and cruft on PATH (or DLGEN_BENCH_BIN naming their directory)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from common import CPU_CLOCK, clock, tool

ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "b",
    "GIT_AUTHOR_EMAIL": "b@x",
    "GIT_COMMITTER_NAME": "b",
    "GIT_COMMITTER_EMAIL": "b@x",
}
# dlgen as it was before issue 18: the structured step after git's merge switched off
BEFORE = (
    "import sys, dlgen.update as u, dlgen.resolve as r\n"
    "u.after_merge = lambda *a, **k: r.Resolution()\n"
    "from dlgen.cli import main\n"
    "main(sys.argv[1:])\n"
)
STRUCTURED = re.compile(r"\.(toml|ya?ml|json)$")


@dataclass(frozen=True)
class Template:
    """A template under test: its repository, releases and the answers every tool is given."""

    name: str
    repo: Path
    releases: list[str]
    answers: dict[str, str]
    cookiecutter: bool = False  # cruft can render it too
    copier: bool = True  # copier can render it


@dataclass
class Outcome:
    """One tool's update of one release pair."""

    conflicts: list[str] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)  # user edits gone from a file called merged
    note: str = ""
    project: Path | None = None
    seconds: float = 0.0  # the update command's


def timed_run(cmd: list[str], cwd: Path, ok: tuple[int, ...] = (0,)) -> float:
    """`run`, returning the seconds it took on the benchmark's clock."""
    start = clock()
    run(cmd, cwd, ok)
    return clock() - start


def run(cmd: list[str], cwd: Path, ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, cwd=cwd, env=ENV, capture_output=True, text=True, check=False)
    if proc.returncode not in ok:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}) in {cwd}:\n{proc.stderr}")
    return proc


def git(*args: str, cwd: Path) -> str:
    return run(["git", *args], cwd).stdout


# --- the user's edits ---------------------------------------------------------------------------


def _append(path: Path, text: str) -> bool:
    if not path.is_file():
        return False
    old = path.read_text()
    path.write_text(old + ("" if old.endswith("\n") else "\n") + text)
    return True


def _dependency(root: Path) -> bool:
    path = root / "pyproject.toml"
    text = path.read_text()
    start = text.find("\n[project]\n") + 1 if not text.startswith("[project]") else 0
    empty = text.find("dependencies = []", start)
    if empty >= 0 and text.rfind("\n[", 0, empty) < start:
        path.write_text(
            text.replace("dependencies = []", 'dependencies = [\n    "rich>=13",\n]', 1)
        )
        return True
    block = re.compile(r"^dependencies = \[\n(.*?)^\]", re.MULTILINE | re.DOTALL)
    found = block.search(text, start)
    if not found:
        return False
    at = found.end(1)
    path.write_text(text[:at] + '    "rich>=13",\n' + text[at:])
    return True


def _ci_step(root: Path) -> bool:
    path = root / ".github/workflows/ci.yml"
    if not path.is_file():
        return False
    steps = re.findall(r"^( *)- (?:name|uses|run):", path.read_text(), re.MULTILINE)
    if not steps:
        return False
    pad = steps[-1]
    return _append(path, f"\n{pad}- name: Check the docs links\n{pad}  run: make check-links\n")


def _precommit_repo(root: Path) -> bool:
    path = root / ".pre-commit-config.yaml"
    if not path.is_file():
        return False
    repos = re.findall(r"^( *)- repo:", path.read_text(), re.MULTILINE)
    pad = repos[-1] if repos else "  "
    return _append(
        path,
        f"\n{pad}- repo: https://github.com/codespell-project/codespell\n"
        f'{pad}  rev: "v2.3.0"\n{pad}  hooks:\n{pad}    - id: codespell\n',
    )


def _matrix_entry(root: Path) -> bool:
    """One more combination at the end of the CI matrix's `include:` list (the last one's keys,
    on a free-threaded Python)."""
    path = root / ".github/workflows/ci.yml"
    if not path.is_file():
        return False
    lines = path.read_text().splitlines(keepends=True)
    start = next((i for i, ln in enumerate(lines) if ln.strip() == "include:"), None)
    if start is None:
        return False
    items = [i for i in range(start + 1, len(lines)) if lines[i].lstrip().startswith("- ")]
    if not items:
        return False
    pad = len(lines[items[0]]) - len(lines[items[0]].lstrip())
    end, last = start + 1, items[0]
    for i in range(start + 1, len(lines)):
        text = lines[i]
        if text.strip() and len(text) - len(text.lstrip()) < pad:
            break
        if text.strip():
            end = i + 1
            if len(text) - len(text.lstrip()) == pad:
                last = i
    entry = "".join(lines[last:end])
    if "python-version:" not in entry:
        return False
    entry = re.sub(r"python-version: .*", 'python-version: "3.14t"', entry)
    path.write_text("".join([*lines[:end], entry, *lines[end:]]))
    return True


def _cache_ignore(root: Path) -> bool:
    """`.hypothesis/` beside the other test caches (after `.pytest_cache/`), else at the end."""
    path = root / ".gitignore"
    if not path.is_file():
        return False
    text = path.read_text()
    if "\n.pytest_cache/\n" in text:
        path.write_text(text.replace("\n.pytest_cache/\n", "\n.pytest_cache/\n.hypothesis/\n", 1))
        return True
    return _append(path, ".hypothesis/\n")


def _table(root: Path) -> bool:
    path = root / "pyproject.toml"
    text = path.read_text()
    for name, body in (("tool.codespell", 'ignore-words-list = "nd"'), ("tool.typos", "")):
        if f"[{name}]" not in text:
            return _append(path, f"\n[{name}]\n{body}\n")
    return False


def _json_setting(root: Path) -> bool:
    path = root / "config/vscode/settings.json"
    if not path.is_file():
        return False
    text = path.read_text()
    end = text.rstrip().rfind("}")
    head = text[:end].rstrip()
    indent = re.search(r"^([ \t]+)\"", text, re.MULTILINE)
    pad = indent.group(1) if indent else "    "
    path.write_text(f'{head},\n{pad}"files.trimTrailingWhitespace": true\n{text[end:]}')
    return True


# kind -> (the edit, the file it edits, a text it leaves there that any merge must keep)
EDITS: dict[str, tuple[Callable[[Path], bool], str, str]] = {
    "dependency": (_dependency, "pyproject.toml", '"rich>=13"'),
    "pyproject table": (_table, "pyproject.toml", "[tool."),
    "pre-commit repo": (_precommit_repo, ".pre-commit-config.yaml", "id: codespell"),
    "CI step": (_ci_step, ".github/workflows/ci.yml", "run: make check-links"),
    "CI matrix entry": (_matrix_entry, ".github/workflows/ci.yml", '"3.14t"'),
    "cache ignore line": (_cache_ignore, ".gitignore", ".hypothesis/"),
    "ignore line": (lambda r: _append(r / ".gitignore", "wandb/\n"), ".gitignore", "wandb/"),
    "Makefile target": (
        lambda r: _append(r / "Makefile", "\ntrain:\n\tpython -m demo.train\n"),
        "Makefile",
        "python -m demo.train",
    ),
    "JSON setting": (
        _json_setting,
        "config/vscode/settings.json",
        '"files.trimTrailingWhitespace": true',
    ),
}


def user_edits(root: Path) -> list[str]:
    """Apply every edit that fits this project; commit; return the kinds applied."""
    done = [kind for kind, (edit, _, _) in EDITS.items() if edit(root)]
    git("add", "-A", cwd=root)
    git("commit", "-qm", "user edits", cwd=root)
    return done


# --- what an update left ------------------------------------------------------------------------


def left(root: Path, edits: list[str], seconds: float) -> Outcome:
    """Conflicted files (unmerged, markers, .rej), structured files that no longer parse, and
    the user's `edits` missing from files not left in conflict."""
    from dlgen.wellformed import problem

    unmerged = set(git("diff", "--name-only", "--diff-filter=U", cwd=root).split())
    status = git("status", "--porcelain", "--untracked-files=all", "-z", cwd=root).split("\0")
    touched = sorted({entry[3:] for entry in status if entry[3:]})
    conflicts, broken = set(unmerged), []
    for rel in touched:
        path = root / rel
        if not path.is_file():
            continue
        if rel.endswith(".rej"):
            conflicts.add(rel.removesuffix(".rej"))
            continue
        data = path.read_bytes()
        if re.search(rb"^<<<<<<< ", data, re.MULTILINE):
            conflicts.add(rel)
        elif (
            STRUCTURED.search(rel) and problem(rel, data) is not None and _parsed_before(root, rel)
        ):
            broken.append(rel)
    lost = [
        kind
        for kind in edits
        if EDITS[kind][1] not in conflicts and EDITS[kind][2] not in _text(root / EDITS[kind][1])
    ]
    return Outcome(sorted(conflicts), broken, lost, project=root, seconds=seconds)


RECORDS = {".dlgen.yml", ".copier-answers.yml", ".cruft.json"}


def tree(root: Path) -> dict[str, bytes]:
    """The project's files and their bytes, git's directory and the tools' records aside."""
    return {
        rel: path.read_bytes()
        for path in root.rglob("*")
        if path.is_file()
        and (rel := path.relative_to(root).as_posix()).split("/")[0] != ".git"
        and rel not in RECORDS
    }


def template_broke(dlgen_project: Path, rel: str) -> bool:
    """Whether the template's own render of `rel` (on dlgen's template branch, after the update)
    does not parse either: copier-uv's editor settings are JSON with comments and trailing
    commas, unparsable in every tool's project and no tool's doing."""
    from dlgen.wellformed import problem

    pristine = subprocess.run(
        ["git", "show", f"dlgen/template:{rel}"],
        cwd=dlgen_project,
        capture_output=True,
        check=False,
    )
    return pristine.returncode == 0 and problem(rel, pristine.stdout) is not None


def differ(ours: Outcome, theirs: Outcome) -> list[str]:
    """The files whose bytes differ between two tools' projects, those either left in conflict
    (and their `.rej` files) aside."""
    assert ours.project is not None and theirs.project is not None
    a, b = tree(ours.project), tree(theirs.project)
    aside = set(ours.conflicts) | set(theirs.conflicts)
    return sorted(
        rel
        for rel in a.keys() | b.keys()
        if a.get(rel) != b.get(rel) and rel.removesuffix(".rej") not in aside
    )


def _text(path: Path) -> str:
    return path.read_text(errors="replace") if path.is_file() else ""


def _parsed_before(root: Path, rel: str) -> bool:
    """Whether the file parsed before the update (or did not exist): a file the user broke
    is not the update's doing."""
    from dlgen.wellformed import problem

    old = subprocess.run(["git", "show", f"HEAD:{rel}"], cwd=root, capture_output=True, check=False)
    return old.returncode != 0 or problem(rel, old.stdout) is None


# --- the tools ----------------------------------------------------------------------------------


def _data(t: Template) -> list[str]:
    return [arg for k, v in t.answers.items() for arg in ("--data", f"{k}={v}")]


def dlgen_case(t: Template, a: str, b: str, work: Path, before: bool) -> Outcome:
    project = work / ("dlgen-before" if before else "dlgen")
    cmd = [tool("dlgen"), "new", str(project), "--template", f"{t.repo}@{a}"]
    run([*cmd, "--defaults", "--no-hooks", "--trust", *_data(t)], work)
    edits = user_edits(project)
    dlgen = [tool("python"), "-c", BEFORE] if before else [tool("dlgen")]
    seconds = timed_run([*dlgen, "update", "--to", b, "--trust", "--defaults"], project, ok=(0, 4))
    return left(project, edits, seconds)


def copier_case(t: Template, a: str, b: str, work: Path) -> Outcome:
    if not t.copier:
        return Outcome(note="n/a (cookiecutter template)")
    project = work / "copier"
    run(
        [
            tool("copier"),
            "copy",
            "--trust",
            "--defaults",
            "--vcs-ref",
            a,
            *_data(t),
            str(t.repo),
            str(project),
        ],
        work,
    )
    git("init", "-q", cwd=project)
    git("add", "-A", cwd=project)
    git("commit", "-qm", "init", cwd=project)
    edits = user_edits(project)
    seconds = timed_run(
        [
            tool("copier"),
            "update",
            "--trust",
            "--defaults",
            "--skip-tasks",
            "--vcs-ref",
            b,
            "--conflict",
            "inline",
        ],
        project,
    )
    return left(project, edits, seconds)


def cruft_case(t: Template, a: str, b: str, work: Path) -> Outcome:
    if not t.cookiecutter:
        return Outcome(note="n/a (copier template)")
    out = work / "cruft"
    out.mkdir()
    context = json.dumps(t.answers)
    run(
        [
            tool("cruft"),
            "create",
            "--no-input",
            "--checkout",
            a,
            "--extra-context",
            context,
            str(t.repo),
        ],
        out,
    )
    project = next(p for p in out.iterdir() if p.is_dir())
    git("init", "-q", cwd=project)
    git("add", "-A", cwd=project)
    git("commit", "-qm", "init", cwd=project)
    edits = user_edits(project)
    seconds = timed_run([tool("cruft"), "update", "-y", "--checkout", b], project, ok=(0, 1))
    return left(project, edits, seconds)


TOOLS: dict[str, Callable[[Template, str, str, Path], Outcome]] = {
    "dlgen before": lambda t, a, b, w: dlgen_case(t, a, b, w, before=True),
    "dlgen": lambda t, a, b, w: dlgen_case(t, a, b, w, before=False),
    "copier": copier_case,
    "cruft": cruft_case,
}


def _cell(conflicts: int, broken: int, lost: int) -> str:
    return f"{conflicts} / {broken} / {lost}".rjust(16)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--copier-uv", type=Path, required=True, help="pawamoy/copier-uv clone")
    parser.add_argument("--cookie", type=Path, required=True, help="scientific-python/cookie")
    parser.add_argument("--pypackage", type=Path, help="audreyfeldroy/cookiecutter-pypackage")
    parser.add_argument("--copier-uv-releases", default="1.11.2,1.11.3,1.11.4,1.11.5,1.12.0,1.13.0")
    parser.add_argument("--cookie-releases", default="2025.11.21,2026.03.02,2026.04.03,2026.06.18")
    parser.add_argument("--pypackage-releases", default="v0.3.0,v0.3.1,v0.4.0,v0.5.0")
    args = parser.parse_args()
    sources = {"copier-uv": args.copier_uv, "cookie": args.cookie, "pypackage": args.pypackage}
    with tempfile.TemporaryDirectory(prefix="dlgen-bench-templates-") as tmp:
        clones = Path(tmp)
        for name, path in sources.items():
            if path is not None:
                # a local clone (hard links, no network): a bare mirror becomes a work tree
                run(["git", "clone", "-q", str(path.resolve()), str(clones / name)], clones)
        compare(args, clones)


def templates(args: argparse.Namespace, clones: Path) -> list[Template]:
    """The templates under test, cloned under `clones`, with their releases and answers."""
    who = {"full_name": "Ada Lovelace", "email": "ada@example.org"}
    found = [
        Template(
            "copier-uv",
            clones / "copier-uv",
            args.copier_uv_releases.split(","),
            {
                "project_name": "demo",
                "project_description": "A demo",
                "author_fullname": who["full_name"],
                "author_email": who["email"],
                "author_username": "ada",
            },
        ),
        Template(
            "cookie",
            clones / "cookie",
            args.cookie_releases.split(","),
            {
                "project_name": "demo",
                "org": "acme",
                **who,
                "license": "MIT",
                "backend": "hatch",
                "docs": "sphinx",
                "vcs": "true",
            },
            cookiecutter=True,
        ),
    ]
    if args.pypackage is not None:
        # a project name that is no Python identifier: another template's variables are its own
        answers = {"project_name": "ACME pkg", "pypi_package_name": "acme-pkg", **who}
        releases = args.pypackage_releases.split(",")
        found.append(
            Template("pypackage", clones / "pypackage", releases, answers, True, copier=False)
        )
    return found


def compare(args: argparse.Namespace, clones: Path) -> None:
    """The side-by-side tables for the templates cloned under `clones`."""
    totals = {name: [0, 0, 0] for name in TOOLS}
    seconds = dict.fromkeys(TOOLS, 0.0)
    paired_seconds: dict[str, list[float]] = {name: [0.0, 0.0] for name in TOOLS}  # dlgen, it
    differing = dict.fromkeys(TOOLS, 0)
    print(f"{'update':<36}" + "".join(f"{name:>16}" for name in TOOLS))
    details: list[str] = []
    for t in templates(args, clones):
        for a, b in zip(t.releases, t.releases[1:], strict=False):
            row = f"{t.name} {a} -> {b}"
            cells = []
            with tempfile.TemporaryDirectory(prefix="dlgen-bench-structured-") as tmp:
                got = {name: case(t, a, b, Path(tmp)) for name, case in TOOLS.items()}
                assert got["dlgen"].project is not None
                theirs = {rel for o in got.values() for rel in o.broken}
                theirs = {rel for rel in theirs if template_broke(got["dlgen"].project, rel)}
                for name, outcome in got.items():
                    if outcome.note:
                        cells.append(f"{'n/a':>16}")
                        continue
                    outcome.broken = [rel for rel in outcome.broken if rel not in theirs]
                    counts = (len(outcome.conflicts), len(outcome.broken), len(outcome.lost))
                    totals[name] = [x + y for x, y in zip(totals[name], counts, strict=True)]
                    seconds[name] += outcome.seconds
                    paired_seconds[name][0] += got["dlgen"].seconds
                    paired_seconds[name][1] += outcome.seconds
                    other = differ(got["dlgen"], outcome)
                    differing[name] += len(other)
                    cells.append(_cell(*counts))
                    details.append(
                        f"  {row} {name}: conflicts {outcome.conflicts or '-'}; "
                        f"broken {outcome.broken or '-'}; lost {outcome.lost or '-'}; "
                        f"files unlike dlgen's {other or '-'}; {outcome.seconds:.2f} s"
                    )
            print(f"{row:<36}" + "".join(cells), flush=True)
            if theirs:
                details.append(f"  {row}: the template's own render does not parse: {theirs}")
    print(f"{'total':<36}" + "".join(_cell(*counts) for counts in totals.values()))
    print(f"{'files unlike dlgen':<36}" + "".join(f"{n:>16}" for n in differing.values()))
    print(f"{'update seconds':<36}" + "".join(f"{s:>16.2f}" for s in seconds.values()))
    ratios = [f"{o / t:>16.2f}" if t else f"{'n/a':>16}" for o, t in paired_seconds.values()]
    print(f"{'dlgen / tool, same updates':<36}" + "".join(ratios))
    print(
        "\nper update: files left in conflict / structured files left unparsable as if merged /"
        " user edits lost from files called merged; files unlike dlgen's: bytes that differ from"
        " dlgen's project outside conflicted files; seconds: "
        + ("CPU (DLGEN_BENCH_CLOCK=cpu)" if CPU_CLOCK else "wall")
    )
    print("\n".join(details))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
