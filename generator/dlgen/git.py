"""The git layer's runner and what dlgen reads about a repository as a whole: the `git` call
itself (over proc.run, -z parsing), git's own error line, where a work tree and its git dir are,
operations in progress, work trees, config and remotes, fetches and clones.

Every git command line dlgen runs lives in this module or in one of its three companions, each
named after what it reads: gitobjects (trees and blobs), githistory (commits, logs, refs, tags),
gitwork (the index and the work tree).

The environment is scrubbed of GIT_* variables that would redirect a call to another repository,
and commits dlgen makes carry a fixed author so they never depend on the user's git identity.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from dlgen import proc
from dlgen.errors import ProcessError

_SCRUB = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_PREFIX",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
)


DLGEN_AUTHOR = {
    "GIT_AUTHOR_NAME": "dlgen",
    "GIT_AUTHOR_EMAIL": "dlgen@localhost",
    "GIT_COMMITTER_NAME": "dlgen",
    "GIT_COMMITTER_EMAIL": "dlgen@localhost",
}


def env_for(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment every git call runs in: scrubbed, no prompts, C locale, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if k not in _SCRUB}
    env["GIT_TERMINAL_PROMPT"] = "0"
    env["LC_ALL"] = "C"
    env.update(extra or {})
    return env


def git(
    args: Sequence[str], cwd: Path, *, env: Mapping[str, str] | None = None, check: bool = True
) -> str:
    """Run `git ARGS` in `cwd` and return stdout."""
    return proc.run(["git", *args], cwd=cwd, env=env_for(env), check=check).stdout


def git_rc(args: Sequence[str], cwd: Path, *, env: Mapping[str, str] | None = None) -> int:
    """Run `git ARGS` and return only its exit code."""
    return proc.run(["git", *args], cwd=cwd, env=env_for(env), check=False).returncode


def git_parallel(
    calls: Sequence[Sequence[str]], cwd: Path
) -> list[subprocess.CompletedProcess[str]]:
    """Run independent `git` calls at the same time and return their results in order, exit
    codes unchecked: their start-up costs overlap (`dlgen check` makes four on every commit)."""
    env = env_for()
    try:
        children = [
            subprocess.Popen(
                ["git", *args], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
            for args in calls
        ]
    except FileNotFoundError as e:
        raise ProcessError(["git"], 127, "", "git: command not found") from e
    results = []
    for args, child in zip(calls, children, strict=True):
        out, err = child.communicate()  # each child's output is read in turn; none waits on another
        text = [b.decode("utf-8", "surrogateescape") for b in (out, err)]
        results.append(subprocess.CompletedProcess(["git", *args], child.returncode, *text))
    return results


def git_bytes(args: Sequence[str], cwd: Path) -> bytes:
    """Run `git ARGS` and return raw stdout (blobs, archives)."""
    return proc.run_bytes(["git", *args], cwd=cwd, env=env_for())


def nul_split(out: str) -> list[str]:
    """The non-empty fields of a `-z` output."""
    return [p for p in out.split("\0") if p]


def toplevel(path: Path) -> Path | None:
    """The work-tree root containing `path`, or None outside a git work tree."""
    r = proc.run(["git", "rev-parse", "--show-toplevel"], cwd=path, env=env_for(), check=False)
    return Path(r.stdout.strip()) if r.returncode == 0 else None


def is_bare(path: Path) -> bool:
    """Whether `path` is a bare repository (a forge's copy or a mirror: no work tree)."""
    r = proc.run(["git", "rev-parse", "--is-bare-repository"], cwd=path, env=env_for(), check=False)
    return r.returncode == 0 and r.stdout.strip() == "true"


def mirror(url: str, dst: Path) -> None:
    """Fetch every branch and tag of `url` into the bare repository `dst` (made when absent),
    dropping what `url` no longer has; git's failure (unreachable) is a ProcessError."""
    if not (dst / "HEAD").is_file():
        dst.mkdir(parents=True, exist_ok=True)
        git(["init", "--quiet", "--bare", str(dst)], dst)
    refspecs = ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"]
    git(["fetch", "--quiet", "--prune", "--no-write-fetch-head", url, *refspecs], dst)


def init(path: Path) -> None:
    """Create an empty repository at `path` (its branch is the user's init.defaultBranch)."""
    git(["init", "--quiet", str(path)], path.parent)


def git_path(cwd: Path, name: str) -> Path:
    """Absolute path of a file inside the git dir (MERGE_HEAD, rebase-merge, ...)."""
    p = Path(git(["rev-parse", "--git-path", name], cwd).strip())
    return p if p.is_absolute() else cwd / p


# A render is committed as the template wrote it, whatever the checkout says (issue #16): modes
# from the disk (core.fileMode=false would make every file 644), every path (a sparse checkout's
# patterns are the user's view, not the template's), no user's global excludes (renders of one
# version must be the same tree in every clone).
RENDER_CONFIG = (
    "-c",
    "core.fileMode=true",
    "-c",
    "core.symlinks=true",
    "-c",
    "core.sparseCheckout=false",
    "-c",
    f"core.excludesFile={os.devnull}",
)


def in_progress(cwd: Path) -> list[str]:
    """Operations git is in the middle of (merge, rebase, cherry-pick, revert, bisect)."""
    names = {
        "MERGE_HEAD": "merge",
        "rebase-merge": "rebase",
        "rebase-apply": "rebase",
        "CHERRY_PICK_HEAD": "cherry-pick",
        "REVERT_HEAD": "revert",
        "BISECT_LOG": "bisect",
    }
    args = [a for name in names for a in ("--git-path", name)]  # one call for all six
    paths = git(["rev-parse", *args], cwd).splitlines()
    return sorted(
        {op for p, op in zip(paths, names.values(), strict=True) if (cwd / p.strip()).exists()}
    )


def has_remote(cwd: Path, name: str) -> bool:
    """Whether remote `name` is configured."""
    return name in git(["remote"], cwd).split()


def ignores_case(cwd: Path) -> bool:
    """Whether git treats the work tree's file names case-insensitively (core.ignoreCase)."""
    r = proc.run(["git", "config", "--type=bool", "core.ignoreCase"], cwd, env_for(), check=False)
    return r.stdout.strip() == "true"


def is_shallow(cwd: Path) -> bool:
    """Whether the repository is a shallow clone."""
    return git(["rev-parse", "--is-shallow-repository"], cwd).strip() == "true"


def message_of(stderr: str, stdout: str = "") -> str:
    """git's own meaningful line: its first `fatal:`/`error:` line (with the paths git lists
    below one ending in ':'), else its last line; a `hint:` line is never the message."""
    lines = [ln for ln in (stderr or stdout).splitlines() if ln.strip()]
    lines = [ln for ln in lines if not ln.startswith("hint:")]
    for i, line in enumerate(lines):
        if line.startswith(("fatal:", "error:")):
            listed = []
            for more in lines[i + 1 :] if line.endswith(":") else []:
                if not more.startswith("\t"):
                    break
                listed.append(more.strip())
            return line.strip() + (" " + ", ".join(listed) if listed else "")
    return lines[-1].strip() if lines else ""


# How dlgen merges a render: zdiff3 markers; a folder the template moves never carries the
# user's own files with it (issue #16: data/*.dvc un-ignoring DVC data).
MERGE_CONFIG = ("-c", "merge.conflictStyle=zdiff3", "-c", "merge.directoryRenames=false")


def checked_out_branches(cwd: Path) -> list[str]:
    """The branch refs checked out in any work tree of the repository."""
    out = git(["worktree", "list", "--porcelain", "-z"], cwd)
    return [e.removeprefix("branch ") for e in nul_split(out) if e.startswith("branch ")]


def work_trees(cwd: Path) -> list[tuple[Path, str | None]]:
    """(path, HEAD commit) of every work tree of the repository, linked ones included."""
    found: list[tuple[Path, str | None]] = []
    for entry in nul_split(git(["worktree", "list", "--porcelain", "-z"], cwd)):
        if entry.startswith("worktree "):
            found.append((Path(entry.removeprefix("worktree ")), None))
        elif entry.startswith("HEAD ") and found:
            found[-1] = (found[-1][0], entry.removeprefix("HEAD "))
    return found


def prefix_of(path: Path, top: Path) -> str:
    """`path`'s place in the work tree `top` as `git rev-parse --show-prefix` says it, without a
    call: '' at the root, else 'a/b/'. Both paths resolved."""
    return "" if path == top else path.relative_to(top).as_posix() + "/"


def fetch_quietly(remote: str, refspec: str, cwd: Path) -> bool:
    """Fetch one refspec, no tags, no submodules, no FETCH_HEAD; False when it failed (offline)."""
    args = ["fetch", "--quiet", "--no-tags", "--no-write-fetch-head", remote, refspec]
    return git_rc(["-c", "fetch.recurseSubmodules=false", *args], cwd) == 0


def config_matching(pattern: str, cwd: Path) -> list[tuple[str, str]]:
    """(key, value) of every config entry whose key matches `pattern`, in git's order."""
    out = git(["config", "-z", "--get-regexp", pattern], cwd, check=False)  # 1: none set
    pairs = (entry.partition("\n") for entry in out.split("\0") if entry)
    return [(key, value.strip()) for key, _, value in pairs]


def remote_urls(cwd: Path) -> list[str]:
    """The URL of every remote."""
    out = git(["config", "--get-regexp", r"^remote\..*\.url$"], cwd, check=False)
    return [line.split(" ", 1)[1] for line in out.splitlines() if " " in line]


def clone_no_checkout(url: str, dst: Path) -> None:
    """Clone `url` into `dst` without a work tree checkout (the export reads the commit)."""
    git(["clone", "--quiet", "--no-checkout", "--", url, str(dst)], dst.parent)


def push(remote: str, refspecs: Sequence[str], cwd: Path) -> None:
    """Push `refspecs` to `remote` all or none (`--atomic`), never a git prompt; git's refusal
    is a ProcessError with its line."""
    git(["push", "--quiet", "--atomic", "--porcelain", remote, *refspecs], cwd)
