"""Test helpers: file trees, git in a directory, tagged template repositories, the CLI."""

from __future__ import annotations

import contextlib
import io
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from dlgen.cli import main

# a small pyproject.toml for the merge tests: a dependency list, then two tables
PYPROJECT = """\
[project]
name = "demo"
dependencies = [
    "numpy>=1.26",
    "torch>=2.1",
]

[tool.ruff]
line-length = 100

[tool.pytest.ini_options]
addopts = "-q"
"""
DEP = '    "torch>=2.1",\n'  # its last dependency, where both sides add theirs


def build_file_tree(root: Path, files: dict[str, str | bytes]) -> None:
    """Write `files` (path -> text or bytes) under `root`; a path ending in "/" is a directory."""
    for rel, content in files.items():
        path = root / rel
        if rel.endswith("/"):
            path.mkdir(parents=True, exist_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")


def git(*args: str, cwd: Path, check: bool = True) -> str:
    """Run git in `cwd` and return stdout."""
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed ({proc.returncode}): {proc.stderr}")
    return proc.stdout


def commit_all(cwd: Path, message: str = "commit", tag: str | None = None) -> str:
    """Stage everything, commit, optionally tag; return the commit id."""
    git("add", "-A", cwd=cwd)
    git("commit", "-q", "--allow-empty", "-m", message, cwd=cwd)
    if tag:
        git("tag", tag, cwd=cwd)
    return git("rev-parse", "HEAD", cwd=cwd).strip()


def own_repo(root: Path) -> Path:
    """A git repository made without dlgen: its own README.md ("# mine") in one commit."""
    root.mkdir(parents=True)
    (root / "README.md").write_text("# mine\n")
    git("init", "-q", cwd=root)
    commit_all(root, "mine")
    return root


def adopt_needs_trust(repo: Path, source: str) -> None:
    """`dlgen adopt` from a template that runs code: refused without --trust (exit 2, naming
    it), done with it, and the repository's own README.md kept."""
    refused = invoke("adopt", str(repo), "--template", source)
    assert refused.code == 2 and "--trust" in refused.err
    result = invoke("adopt", str(repo), "--template", source, "--trust")
    assert result.code == 0, result.err
    assert (repo / "README.md").read_text() == "# mine\n"


@dataclass
class TemplateRepo:
    """A copier template in a git repository; `release` commits the tree and tags a version."""

    root: Path

    def write(self, files: dict[str, str | bytes]) -> None:
        """Add or replace files."""
        build_file_tree(self.root, files)

    def remove(self, *paths: str) -> None:
        """Delete files."""
        for p in paths:
            (self.root / p).unlink()

    def release(self, tag: str) -> str:
        """Commit everything and tag it (the first release makes it a git repository)."""
        if not (self.root / ".git").exists():
            git("init", "-q", cwd=self.root)
        return commit_all(self.root, f"release {tag}", tag=tag)


@dataclass(frozen=True)
class Outcome:
    """What a CLI run returned."""

    code: int
    out: str
    err: str


def invoke(*args: str, cwd: Path | None = None) -> Outcome:
    """Run `dlgen ARGS` in-process through the real entry point (error mapping included)."""
    out, err = io.StringIO(), io.StringIO()
    old = Path.cwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main(list(args))
                code = 0
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else 1
    finally:
        os.chdir(old)
    return Outcome(code, out.getvalue(), err.getvalue())


def dlgen(*args: str, cwd: Path, input_text: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m dlgen` in a subprocess (signals, stdin and imports exactly as users see)."""
    return subprocess.run(
        [sys.executable, "-m", "dlgen", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        input=input_text,
        check=False,
    )


def tree_snapshot(root: Path) -> dict[str, tuple[int, bytes, int]]:
    """Every file under `root` (not .git) -> (mode, bytes, mtime_ns): to prove nothing changed."""
    snap = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if rel.parts[0] == ".git" or not path.is_file():
            continue
        st = path.lstat()
        snap[str(rel)] = (st.st_mode, path.read_bytes(), st.st_mtime_ns)
    return snap


def project_files(root: Path) -> dict[str, bytes]:
    """The project's files and their bytes, records aside (dlgen's and copier's differ)."""
    skip = {".copier-answers.yml", ".dlgen.yml"}
    return {k: v[1] for k, v in tree_snapshot(root).items() if k not in skip}


def copier_cli(*args: str, cwd: Path) -> None:
    """The real copier CLI, beside dlgen (`args[0]` is its subcommand); it must succeed."""
    done = subprocess.run(
        [sys.executable, "-m", "copier", args[0], "--quiet", *args[1:]],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def on_terminal(
    args: list[str],
    cwd: Path,
    answer: Callable[[bytes], bytes | None],
    *,
    poll: float = 0.5,
    timeout: float = 60,
) -> tuple[int, bytes]:
    """Run `dlgen ARGS` in `cwd` on a real pseudo-terminal; whenever it waits for input,
    `answer(screen so far)` gives the keys to type (None: type nothing). (exit code, screen)."""
    import pty
    import select
    import time

    pid, fd = pty.fork()
    if pid == 0:  # the child: dlgen on the terminal
        os.chdir(cwd)
        os.execv(sys.executable, [sys.executable, "-m", "dlgen", *args])
    screen = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not select.select([fd], [], [], poll)[0]:
            keys = answer(screen)
            if keys:
                os.write(fd, keys)
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        screen += chunk
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), screen


def state(root: Path) -> dict[str, tuple[str, int, bytes | str, int]]:
    """Everything under `root` but .git, symlinks not followed: kind, mode, bytes or link target,
    and the inode of files and links (a file replaced by an equal copy counts as changed)."""
    snap: dict[str, tuple[str, int, bytes | str, int]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        if Path(dirpath) == root and ".git" in dirnames:
            dirnames.remove(".git")
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            st = path.lstat()
            rel = str(path.relative_to(root))
            if stat.S_ISLNK(st.st_mode):
                snap[rel] = ("link", st.st_mode, os.readlink(path), st.st_ino)
            elif stat.S_ISDIR(st.st_mode):
                snap[rel] = ("dir", st.st_mode, "", 0)
            else:
                snap[rel] = ("file", st.st_mode, path.read_bytes(), st.st_ino)
    return snap


def repo_state(proj: Path, *, exact: bool = True) -> tuple[object, ...]:
    """Refs (all of them), HEAD, the index, git's view (ignored files too) and the work tree.

    `exact`: the index file's bytes and every inode; else the staged entries, and the inodes
    of ignored paths only (git rewrites the tracked files it restores)."""
    tree = state(proj)
    if not exact:
        ignored = git("ls-files", "-o", "-i", "--exclude-standard", "--directory", cwd=proj)
        roots = {p.rstrip("/") for p in ignored.splitlines()}

        def kept(path: str) -> bool:
            return any(path == r or path.startswith(r + "/") for r in roots)

        tree = {k: v if kept(k) else (*v[:3], 0) for k, v in tree.items()}
    return (
        git("for-each-ref", cwd=proj),
        git("symbolic-ref", "-q", "HEAD", cwd=proj, check=False),
        git("rev-parse", "HEAD", cwd=proj),
        (proj / ".git/index").read_bytes() if exact else git("ls-files", "-s", cwd=proj),
        git("status", "--porcelain", "--ignored", cwd=proj),
        tree,
    )


def up(proj: Path, *args: str) -> tuple[int, str, str]:
    """`dlgen update proj *args` in this process: (exit code, stdout, stderr)."""
    r = invoke("update", str(proj), *args)
    return r.code, r.out, r.err


def edit_record(project: Path, change: Callable[[dict], None]) -> None:  # type: ignore[type-arg]
    """Load the project's .dlgen.yml, let `change` edit the data, write it back."""
    data = yaml.safe_load((project / ".dlgen.yml").read_text())
    change(data)
    (project / ".dlgen.yml").write_text(yaml.safe_dump(data, sort_keys=False))


def listing(root: Path) -> list[str]:
    """Every path under `root`, relative, sorted."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def unmeasured_env() -> dict[str, str]:
    """This environment without coverage's subprocess settings: a measured Python process imports
    coverage's own modules (json, typing, ...), so tests of what start-up imports run unmeasured."""
    return {
        k: v
        for k, v in os.environ.items()
        if k not in {"COVERAGE_PROCESS_CONFIG", "COVERAGE_PROCESS_START"}
    }


FORGE_STUB = r'''#!PYTHON
"""A stand-in for gh or glab: records argv, keeps the open requests in a JSON file."""
import json, os, subprocess, sys
from pathlib import Path

tool = Path(sys.argv[0]).name
state_file = Path(os.environ["FORGE_STATE"])
state = json.loads(state_file.read_text()) if state_file.exists() else {"open": {}, "calls": []}
args = sys.argv[1:]
# like the real CLIs, the repository is the one whose clone the command runs in
url = ["git", "config", "remote.origin.url"]
repo = subprocess.run(url, capture_output=True, text=True).stdout.strip()
record = {"tool": tool, "args": args, "repo": repo}
if "--body-file" in args:
    record["body"] = Path(args[args.index("--body-file") + 1]).read_text()
state["calls"].append(record)
def opt(name):
    return args[args.index(name) + 1]
if os.environ.get("FORGE_FAIL") == " ".join(args[:2]):
    print("HTTP 502: bad gateway", file=sys.stderr)
    state_file.write_text(json.dumps(state))
    sys.exit(1)
if args[:2] == ["pr", "list"]:
    found = [n for n, b in state["open"].items() if b == [repo, opt("--head")]]
    print(json.dumps([{"number": n} for n in found]))
elif args[:2] == ["mr", "list"]:
    found = [n for n, b in state["open"].items() if b == [repo, opt("--source-branch")]]
    print(json.dumps([{"iid": n} for n in found]))
elif args[:2] in (["pr", "create"], ["mr", "create"]):
    number = str(len(state["calls"]))
    state["open"][number] = [repo, opt("--head") if tool == "gh" else opt("--source-branch")]
    print(f"https://forge.invalid/{tool}/{number}")
state_file.write_text(json.dumps(state))
'''


def forge_stubs(root: Path) -> tuple[Path, Path]:
    """(a folder holding `gh` and `glab` stubs, their state file): put the folder first on PATH
    and FORGE_STATE=state; the stubs record every call and keep each repository's open requests
    (FORGE_FAIL="pr create" makes that call fail)."""
    bin_dir = root / "forge-bin"
    bin_dir.mkdir()
    for tool in ("gh", "glab"):
        path = bin_dir / tool
        path.write_text(FORGE_STUB.replace("PYTHON", sys.executable), encoding="utf-8")
        path.chmod(0o755)
    return bin_dir, root / "forge.json"
