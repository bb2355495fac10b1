"""Conflicts per update on real template histories: dlgen without its structured step (before
issue 18), dlgen, copier and cruft, side by side in one run.

The templates are local git repositories (clones or `fetch` snapshots; nothing is downloaded):
pawamoy/copier-uv (copier) and scientific-python/cookie (copier and cookiecutter, so cruft too).
For each pair of consecutive releases (A, B), each tool makes a project at A with the same
answers, the same user edits of the kinds template updates collide with are committed (a
dependency, a pyproject table, a pre-commit repo, a CI step, an ignore line, a Makefile target,
an editor setting in JSON; each where users put them: at the end of its list or file), and the
tool updates it to B. Every pair starts afresh, so no tool's conflict resolution leaks into the
next update. Counted per update: files left with conflicts (unmerged paths, conflict markers,
`.rej` files) and TOML/YAML/JSON files an update left unparsable without calling them conflicts.

Run: python bench/bench_structured.py --copier-uv PATH --cookie PATH   (clones or bare mirrors,
       e.g. /work/.mirror/pawamoy+copier-uv/repo; cloned locally, never fetched)
       [--copier-uv-releases 1.11.2,1.11.3,1.11.4,1.11.5]
       [--cookie-releases 2025.11.21,2026.03.02,2026.04.03]
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

from common import tool

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


@dataclass
class Outcome:
    """One tool's update of one release pair."""

    conflicts: list[str] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)  # user edits gone from a file called merged
    note: str = ""


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


def left(root: Path, edits: list[str]) -> Outcome:
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
    return Outcome(sorted(conflicts), broken, lost)


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
    run([*dlgen, "update", "--to", b, "--trust", "--defaults"], project, ok=(0, 4))
    return left(project, edits)


def copier_case(t: Template, a: str, b: str, work: Path) -> Outcome:
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
    run(
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
    return left(project, edits)


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
    run([tool("cruft"), "update", "-y", "--checkout", b], project, ok=(0, 1))
    return left(project, edits)


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
    parser.add_argument("--copier-uv-releases", default="1.11.2,1.11.3,1.11.4,1.11.5")
    parser.add_argument("--cookie-releases", default="2025.11.21,2026.03.02,2026.04.03")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dlgen-bench-templates-") as tmp:
        clones = Path(tmp)
        for name, path in (("copier-uv", args.copier_uv), ("cookie", args.cookie)):
            # a local clone (hard links, no network): a bare mirror becomes a work tree
            run(["git", "clone", "-q", str(path.resolve()), str(clones / name)], clones)
        compare(args, clones)


def compare(args: argparse.Namespace, clones: Path) -> None:
    """The side-by-side table for the templates cloned under `clones`."""
    who = {"full_name": "Ada Lovelace", "email": "ada@example.org"}
    templates = [
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
    totals = {name: [0, 0, 0] for name in TOOLS}
    print(f"{'update':<36}" + "".join(f"{name:>16}" for name in TOOLS))
    details: list[str] = []
    for t in templates:
        for a, b in zip(t.releases, t.releases[1:], strict=False):
            row = f"{t.name} {a} -> {b}"
            cells = []
            for name, case in TOOLS.items():
                with tempfile.TemporaryDirectory(prefix="dlgen-bench-structured-") as tmp:
                    got = case(t, a, b, Path(tmp))
                if got.note:
                    cells.append(f"{'n/a':>16}")
                    continue
                totals[name][0] += len(got.conflicts)
                totals[name][1] += len(got.broken)
                totals[name][2] += len(got.lost)
                cells.append(_cell(len(got.conflicts), len(got.broken), len(got.lost)))
                details.append(
                    f"  {row} {name}: conflicts {got.conflicts or '-'}; "
                    f"broken {got.broken or '-'}; lost {got.lost or '-'}"
                )
            print(f"{row:<36}" + "".join(cells), flush=True)
    print(f"{'total':<36}" + "".join(_cell(*counts) for counts in totals.values()))
    print(
        "\nper update: files left in conflict / structured files left unparsable as if merged /"
        " user edits lost from files called merged"
    )
    print("\n".join(details))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
