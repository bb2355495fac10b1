"""Every git call dlgen makes, as small typed functions over proc.run (argument lists, -z parsing).

The environment is scrubbed of GIT_* variables that would redirect a call to another repository,
and commits dlgen makes carry a fixed author so they never depend on the user's git identity.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from subprocess import CompletedProcess

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


def _env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _SCRUB}
    env["GIT_TERMINAL_PROMPT"] = "0"
    env["LC_ALL"] = "C"
    env.update(extra or {})
    return env


def git(
    args: Sequence[str], cwd: Path, *, env: Mapping[str, str] | None = None, check: bool = True
) -> str:
    """Run `git ARGS` in `cwd` and return stdout."""
    return proc.run(["git", *args], cwd=cwd, env=_env(env), check=check).stdout


def git_rc(args: Sequence[str], cwd: Path, *, env: Mapping[str, str] | None = None) -> int:
    """Run `git ARGS` and return only its exit code."""
    return proc.run(["git", *args], cwd=cwd, env=_env(env), check=False).returncode


def git_parallel(
    calls: Sequence[Sequence[str]], cwd: Path
) -> list[subprocess.CompletedProcess[str]]:
    """Run independent `git` calls at the same time and return their results in order, exit
    codes unchecked: their start-up costs overlap (`dlgen check` makes four on every commit)."""
    env = _env()
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
    return proc.run_bytes(["git", *args], cwd=cwd, env=_env())


def _z(out: str) -> list[str]:
    return [p for p in out.split("\0") if p]


# --- repositories -------------------------------------------------------------------------------


def toplevel(path: Path) -> Path | None:
    """The work-tree root containing `path`, or None outside a git work tree."""
    r = proc.run(["git", "rev-parse", "--show-toplevel"], cwd=path, env=_env(), check=False)
    return Path(r.stdout.strip()) if r.returncode == 0 else None


def init(path: Path) -> None:
    """Create an empty repository at `path` (its branch is the user's init.defaultBranch)."""
    git(["init", "--quiet", str(path)], path.parent)


def git_path(cwd: Path, name: str) -> Path:
    """Absolute path of a file inside the git dir (MERGE_HEAD, rebase-merge, ...)."""
    p = Path(git(["rev-parse", "--git-path", name], cwd).strip())
    return p if p.is_absolute() else cwd / p


def rev_parse(rev: str, cwd: Path) -> str | None:
    """The object id `rev` names, or None when it names nothing."""
    r = proc.run(
        ["git", "rev-parse", "--verify", "--quiet", "--end-of-options", rev],
        cwd=cwd,
        env=_env(),
        check=False,
    )
    return r.stdout.strip() if r.returncode == 0 else None


def update_ref(
    ref: str, new: str, cwd: Path, *, old: str | None = None, msg: str = "dlgen"
) -> None:
    """Point `ref` at `new`; with `old`, only if it still points at `old` ('' = must not exist)."""
    args = ["update-ref", "-m", msg, ref, new]
    if old is not None:
        args.append(old or "0" * 40)
    git(args, cwd)


def delete_ref(ref: str, cwd: Path) -> None:
    """Delete `ref`."""
    git(["update-ref", "-d", ref], cwd)


# --- building commits without touching the user's index or work tree ----------------------------


@contextmanager
def temp_index(cwd: Path) -> Iterator[dict[str, str]]:
    """An environment whose GIT_INDEX_FILE is a fresh temporary index, removed afterwards."""
    import tempfile  # not at module level: `dlgen check` imports this module and never needs it

    gitdir = git_path(cwd, ".")
    fd, name = tempfile.mkstemp(prefix="dlgen-index-", dir=gitdir)
    os.close(fd)
    Path(name).unlink()
    try:
        yield {"GIT_INDEX_FILE": name}
    finally:
        Path(name).unlink(missing_ok=True)


# A render is committed as the template wrote it, whatever the checkout says (issue #16): modes
# from the disk (core.fileMode=false would make every file 644), every path (a sparse checkout's
# patterns are the user's view, not the template's), no user's global excludes (renders of one
# version must be the same tree in every clone).
_RENDER_CONFIG = (
    "-c",
    "core.fileMode=true",
    "-c",
    "core.symlinks=true",
    "-c",
    "core.sparseCheckout=false",
    "-c",
    f"core.excludesFile={os.devnull}",
)


def tree_from_dir(repo: Path, src: Path, prefix: str = "", attributes: bytes = b"") -> str:
    """Write the files under `src` as a tree: the modes they have, through the project's
    `attributes` (its .gitattributes lines: LFS and eol filters apply, as to a `git add`), and
    without what the render's own ignore rules exclude (a rendered `.env`, bytecode).

    With `prefix` the files sit under that subdirectory, for projects inside a larger repository.
    """
    with temp_index(repo) as env, _attributes_file(repo, attributes) as attrs:
        config = [*_RENDER_CONFIG, "-c", f"core.attributesFile={attrs}"]
        git([*config, "--work-tree", str(src), "add", "--all", "--", "."], repo, env=env)
        tree = git(["write-tree"], repo, env=env).strip()
    if not prefix:
        return tree
    with temp_index(repo) as env:
        git(["read-tree", f"--prefix={prefix.rstrip('/')}/", tree], repo, env=env)
        return git(["write-tree"], repo, env=env).strip()


@contextmanager
def _attributes_file(repo: Path, attributes: bytes) -> Iterator[str]:
    """A temporary attributes file holding `attributes` (os.devnull when there are none)."""
    if not attributes:
        yield os.devnull
        return
    path = git_path(repo, "dlgen-attributes")
    path.write_bytes(attributes)
    try:
        yield str(path)
    finally:
        path.unlink(missing_ok=True)


def files_at(rev: str, paths: Sequence[str], cwd: Path) -> bytes:
    """The contents of those of `paths` that `rev` holds, one after the other (b"" for none)."""
    out = b""
    for path in dict.fromkeys(paths):
        try:
            data = proc.run_bytes(["git", "cat-file", "blob", f"{rev}:{path}"], cwd, _env())
        except ProcessError:
            continue  # not there
        out += data if data.endswith(b"\n") or not data else data + b"\n"
    return out


def stage_all(cwd: Path) -> str:
    """Stage the work tree as a render is staged (`tree_from_dir`) and return the index's tree."""
    git([*_RENDER_CONFIG, "add", "--all", "--", "."], cwd)
    return git(["write-tree"], cwd).strip()


def create_refs(refs: Sequence[str], new: str, cwd: Path) -> None:
    """Create each of `refs` (HEAD: its unborn branch) at `new` in one transaction."""
    lines = "".join(f"create {r} {new}\n" for r in refs)
    proc.run(["git", "update-ref", "-m", "dlgen", "--stdin"], cwd=cwd, env=_env(), stdin=lines)


def commit_tree(tree: str, parents: Sequence[str], message: str, cwd: Path) -> str:
    """Create a commit object with dlgen's fixed author; return its id."""
    args = ["commit-tree", tree]
    for p in parents:
        args += ["-p", p]
    return proc.run(["git", *args], cwd=cwd, env=_env(DLGEN_AUTHOR), stdin=message).stdout.strip()


# --- state of the work tree ---------------------------------------------------------------------


def dirty_paths(cwd: Path) -> list[str]:
    """Paths modified, staged, deleted or untracked (not ignored) in the work tree."""
    out = git(["status", "--porcelain=v1", "-z", "--untracked-files=normal"], cwd)
    paths: list[str] = []
    entries = out.split("\0")
    i = 0
    while i < len(entries):
        e = entries[i]
        if e:
            paths.append(e[3:])
            if e[0] in "RC":
                i += 1  # the rename's source path follows
        i += 1
    return paths


def unmerged_paths(cwd: Path) -> list[str]:
    """Paths with unmerged index entries (conflicts); reads the index only, not the work tree."""
    return sorted(unmerged_stages(cwd))


@dataclass(frozen=True)
class Change:
    """One entry of a tree comparison."""

    status: str  # A, M, D, R, T
    path: str
    old_path: str | None = None


def diff_trees(a: str, b: str, cwd: Path, *, renames: bool = True) -> list[Change]:
    """Changes from tree-ish `a` to tree-ish `b` (rename detection on)."""
    args = ["diff-tree", "-r", "-z", "--name-status", "--no-commit-id"]
    args += ["-M"] if renames else ["--no-renames"]
    fields = git([*args, a, b, "--"], cwd).split("\0")
    out: list[Change] = []
    i = 0
    while i < len(fields) - 1:
        status = fields[i]
        if status.startswith(("R", "C")):
            out.append(Change(status[0], fields[i + 2], fields[i + 1]))
            i += 3
        elif status:
            out.append(Change(status[0], fields[i + 1]))
            i += 2
        else:
            i += 1
    return out


def list_files(rev: str, cwd: Path, paths: Sequence[str] = ()) -> list[str]:
    """The file paths in the tree of `rev` (all, or those among `paths`)."""
    args = ["ls-tree", "-r", "-z", "--name-only", "--full-tree", rev, "--", *paths]
    return _z(git(args, cwd))


def show_file(rev: str, path: str, cwd: Path) -> bytes:
    """The bytes of `path` at `rev`."""
    return git_bytes(["show", f"{rev}:{path}"], cwd)


# --- update -------------------------------------------------------------------------------------


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


def unmerged_stages(cwd: Path) -> dict[str, dict[int, str]]:
    """Unmerged path -> {stage: blob} (1 base, 2 ours, 3 theirs)."""
    out: dict[str, dict[int, str]] = {}
    for entry in _z(git(["ls-files", "-u", "-z"], cwd)):
        meta, _, path = entry.partition("\t")
        _mode, blob, stage = meta.split()
        out.setdefault(path, {})[int(stage)] = blob
    return out


def cat_blob(blob: str, cwd: Path) -> bytes:
    """The bytes of a blob."""
    return git_bytes(["cat-file", "blob", blob], cwd)


def cat_blobs(blobs: Sequence[str], cwd: Path) -> dict[str, bytes]:
    """The bytes of several blobs in one `git cat-file --batch` call."""
    if not blobs:
        return {}
    out = proc.run(["git", "cat-file", "--batch"], cwd, _env(), stdin="\n".join(blobs) + "\n")
    data = out.stdout.encode("utf-8", "surrogateescape")
    found, pos = {}, 0
    for _ in blobs:
        end = data.index(b"\n", pos)
        sha, _kind, size = data[pos:end].decode().split()
        found[sha] = data[end + 1 : end + 1 + int(size)]
        pos = end + 2 + int(size)
    return found


def ignores_case(cwd: Path) -> bool:
    """Whether git treats the work tree's file names case-insensitively (core.ignoreCase)."""
    r = proc.run(["git", "config", "--type=bool", "core.ignoreCase"], cwd, _env(), check=False)
    return r.stdout.strip() == "true"


def is_shallow(cwd: Path) -> bool:
    """Whether the repository is a shallow clone."""
    return git(["rev-parse", "--is-shallow-repository"], cwd).strip() == "true"


def parents(rev: str, cwd: Path) -> list[str]:
    """The parents of commit `rev`."""
    return git(["rev-parse", f"{rev}^@"], cwd).split()


def tree_of(rev: str, cwd: Path) -> str:
    """The tree id of a commit."""
    return git(["rev-parse", f"{rev}^{{tree}}"], cwd).strip()


def is_merged(commit: str, cwd: Path) -> bool:
    """Whether `commit` is HEAD or an ancestor of it."""
    return git_rc(["merge-base", "--is-ancestor", commit, "HEAD"], cwd) == 0


# --- update safety: what a merge writes, what is tracked, undoing a merge -----------------------


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


def merge_tree_stages(ours: str, theirs: str, cwd: Path) -> tuple[str, dict[str, set[int]]]:
    """Merge without touching index or work tree: (result tree, conflicted path -> its stages).

    Stages: 1 base, 2 ours, 3 theirs; {1, 3} is a file deleted on our side and changed on theirs.
    """
    args = [*_MERGE_CONFIG, "merge-tree", "--write-tree", "-z", ours, theirs]
    r = proc.run(["git", *args], cwd=cwd, env=_env(), check=False)
    if r.returncode not in (0, 1):
        raise ProcessError(["git", "merge-tree", ours, theirs], r.returncode, r.stdout, r.stderr)
    head, _, rest = r.stdout.partition("\0")
    stages: dict[str, set[int]] = {}
    if r.returncode == 1:
        for entry in rest.split("\0\0", 1)[0].split("\0"):
            meta, _, path = entry.partition("\t")
            if path:
                stages.setdefault(path, set()).add(int(meta.split()[2]))
    return head.strip(), stages


def object_types(rev: str, paths: Sequence[str], cwd: Path) -> dict[str, str | None]:
    """path -> 'blob', 'tree', 'commit' (a submodule) or None: what `rev` holds there; one call."""
    asked = [p for p in paths if "\n" not in p]  # such a name cannot be asked: counts as absent
    out = proc.run(
        ["git", "cat-file", "--batch-check=%(objecttype)"],
        cwd=cwd,
        env=_env(),
        stdin="".join(f"{rev}:{p}\n" for p in asked),
    ).stdout.splitlines()
    found = {
        p: (t if not t.endswith(" missing") else None) for p, t in zip(asked, out, strict=True)
    }
    missing = [p for p, t in found.items() if t is None]
    if missing:  # a submodule's commit is not in this repository: its tree entry says so
        listed = git(["ls-tree", "-z", "--full-tree", rev, "--", *missing], cwd)
        for entry in _z(listed):
            meta, _, path = entry.partition("\t")
            if meta.split()[1] == "commit" and path in found:
                found[path] = "commit"
    return {p: found.get(p) for p in paths}


def update_refs(updates: Sequence[tuple[str, str, str | None]], cwd: Path, msg: str) -> None:
    """(ref, new, old) updates in one transaction: all or none ('' new deletes; old None: any)."""
    lines = ""
    for ref, new, old in updates:
        expect = "" if old is None else f" {old or '0' * 40}"
        lines += f"delete {ref}{expect}\n" if not new else f"update {ref} {new}{expect}\n"
    proc.run(["git", "update-ref", "-m", msg, "--stdin"], cwd=cwd, env=_env(), stdin=lines)


# How dlgen merges a render: zdiff3 markers; a folder the template moves never carries the
# user's own files with it (issue #16: data/*.dvc un-ignoring DVC data).
_MERGE_CONFIG = ("-c", "merge.conflictStyle=zdiff3", "-c", "merge.directoryRenames=false")


def apply_for_review(commit: str, cwd: Path) -> CompletedProcess[str]:
    """`git cherry-pick --no-commit COMMIT`: its change (from its parent) merged into the index
    and work tree, nothing committed; the caller judges the outcome (1 = conflicts)."""
    args = [*_MERGE_CONFIG, "cherry-pick", "--no-commit", commit]
    return proc.run(["git", *args], cwd=cwd, env=_env(), check=False)


def checked_out_branches(cwd: Path) -> list[str]:
    """The branch refs checked out in any work tree of the repository."""
    out = git(["worktree", "list", "--porcelain", "-z"], cwd)
    return [e.removeprefix("branch ") for e in _z(out) if e.startswith("branch ")]


def work_trees(cwd: Path) -> list[tuple[Path, str | None]]:
    """(path, HEAD commit) of every work tree of the repository, linked ones included."""
    found: list[tuple[Path, str | None]] = []
    for entry in _z(git(["worktree", "list", "--porcelain", "-z"], cwd)):
        if entry.startswith("worktree "):
            found.append((Path(entry.removeprefix("worktree ")), None))
        elif entry.startswith("HEAD ") and found:
            found[-1] = (found[-1][0], entry.removeprefix("HEAD "))
    return found


def staged_paths(rev: str, cwd: Path) -> list[str]:
    """Paths whose index entry differs from `rev` (unmerged ones included); index only."""
    return _z(git(["diff-index", "--cached", "--no-renames", "--name-only", "-z", rev, "--"], cwd))


def checkout_paths(rev: str, paths: Sequence[str], cwd: Path) -> None:
    """Index and work-tree copies of `paths` (all in `rev`) as `rev` has them; others untouched.

    A restore of dlgen's own writes, so no post-checkout hook runs: a failing one would report
    a complete restore as a failure (issue #16).
    """
    if paths:
        args = ["checkout", "--quiet", rev, "--pathspec-from-file=-", "--pathspec-file-nul"]
        proc.run(
            ["git", "-c", f"core.hooksPath={os.devnull}", *args],
            cwd=cwd,
            env=_env({"GIT_LITERAL_PATHSPECS": "1"}),
            stdin="\0".join(paths) + "\0",
        )


def mixed_reset(cwd: Path) -> None:
    """Index back to HEAD, merge state forgotten; the work tree is left as it is."""
    git(["reset", "--quiet", "--no-refresh"], cwd)


def changed_paths(cwd: Path, under: str = "") -> list[str]:
    """Paths changed, staged or new (every untracked file, not ignored ones) under `under`."""
    out = git(["status", "--porcelain=v1", "-z", "--untracked-files=all", "--", under or "."], cwd)
    paths: list[str] = []
    entries = out.split("\0")
    i = 0
    while i < len(entries):
        if entries[i]:
            paths.append(entries[i][3:])
            if entries[i][0] in "RC":
                paths.append(entries[i + 1])
                i += 1
        i += 1
    return paths


def modified_paths(paths: Sequence[str], cwd: Path) -> list[str]:
    """Those of `paths` whose work-tree copy differs from the index (by stat: a superset)."""
    if not paths:
        return []
    args = ["diff-files", "--name-only", "-z", "--", *paths]
    return _z(git(args, cwd, env={"GIT_LITERAL_PATHSPECS": "1"}))


def forget_merge(cwd: Path) -> None:
    """Drop the merge state (MERGE_HEAD...), index and work tree left alone; needs no index lock."""
    git(["merge", "--quit"], cwd)


# --- project flows (update, adopt, diff, status, new) and the template branch: what they read
# --- and write beyond the sections above, one function per command line -------------------------


def prefix_of(path: Path, top: Path) -> str:
    """`path`'s place in the work tree `top` as `git rev-parse --show-prefix` says it, without a
    call: '' at the root, else 'a/b/'. Both paths resolved."""
    return "" if path == top else path.relative_to(top).as_posix() + "/"


def fetch_quietly(remote: str, refspec: str, cwd: Path) -> bool:
    """Fetch one refspec, no tags, no submodules, no FETCH_HEAD; False when it failed (offline)."""
    args = ["fetch", "--quiet", "--no-tags", "--no-write-fetch-head", remote, refspec]
    return git_rc(["-c", "fetch.recurseSubmodules=false", *args], cwd) == 0


def is_ignored(path: str, cwd: Path) -> bool:
    """Whether git ignores `path` (`git check-ignore`)."""
    return git_rc(["check-ignore", "-q", "--", path], cwd) == 0


def untrack(path: str, cwd: Path) -> None:
    """Drop `path` from the index (its unmerged entries included); the file is left alone."""
    git(["rm", "--quiet", "--cached", "--", path], cwd)


def add(paths: Sequence[str], cwd: Path) -> None:
    """Stage `paths`."""
    git(["add", "--", *paths], cwd)


def commit(message: str, cwd: Path) -> None:
    """Commit the index as it is (hooks skipped: dlgen's own commit of its record)."""
    git(["commit", "--quiet", "--no-verify", "-m", message], cwd)


def merge_ours(ref: str, cwd: Path) -> None:
    """Record `ref` as merged without taking any of its changes, uncommitted (`-s ours`)."""
    args = ["merge", "--quiet", "--strategy=ours", "--allow-unrelated-histories", "--no-commit"]
    git([*args, ref], cwd)


def diff_to_work_tree(rev: str, paths: Sequence[str], cwd: Path, mode: Sequence[str] = ()) -> str:
    """`git diff` from `rev` to the work tree on `paths`; `mode` e.g. `--stat`."""
    return git(["diff", "--no-color", *mode, rev, "--", *paths], cwd)


def config_matching(pattern: str, cwd: Path) -> list[tuple[str, str]]:
    """(key, value) of every config entry whose key matches `pattern`, in git's order."""
    out = git(["config", "-z", "--get-regexp", pattern], cwd, check=False)  # 1: none set
    pairs = (entry.partition("\n") for entry in out.split("\0") if entry)
    return [(key, value.strip()) for key, _, value in pairs]


def remote_urls(cwd: Path) -> list[str]:
    """The URL of every remote."""
    out = git(["config", "--get-regexp", r"^remote\..*\.url$"], cwd, check=False)
    return [line.split(" ", 1)[1] for line in out.splitlines() if " " in line]


def ref_ids(patterns: Sequence[str], cwd: Path) -> dict[str, str]:
    """ref name -> object id of the refs matching `patterns` (`git for-each-ref`)."""
    out = git(["for-each-ref", "--format=%(refname) %(objectname)", *patterns], cwd)
    return dict(line.split(" ", 1) for line in out.splitlines())


def unmerged_below(cwd: Path) -> list[str]:
    """Unmerged paths under `cwd` (repository paths), sorted."""
    out = git(["ls-files", "--unmerged", "-z", "--", "."], cwd)
    return sorted({e.partition("\t")[2] for e in out.split("\0") if e})


def commit_body(sha: str, cwd: Path, *, check: bool = True) -> str:
    """The full message of commit `sha` ('' for an unreadable one without `check`)."""
    return git(["log", "-1", "--format=%B", sha], cwd, check=check)


def is_ancestor(a: str, b: str, cwd: Path) -> bool:
    """Whether commit `a` is `b` or an ancestor of it."""
    return git_rc(["merge-base", "--is-ancestor", a, b], cwd) == 0


def log_records(rev: str | Sequence[str], cwd: Path) -> list[tuple[str, str, str, str]]:
    """(sha, parents, author email, body) of each commit reachable from `rev`, newest first."""
    revs = [rev] if isinstance(rev, str) else list(rev)
    return log_entries(git(["log", "-z", RENDER_LOG, *revs, "--"], cwd))


def first_commit(args: Sequence[str], cwd: Path) -> tuple[str, int, str] | None:
    """(sha, commit time, body) of the first commit `git log -n1 ARGS` lists, or None."""
    out = git(["log", "-n1", "--format=%H %ct%n%B", *args], cwd, check=False)
    head, _, body = out.partition("\n")
    sha, _, time = head.partition(" ")
    return (sha, int(time), body) if sha else None


# --- dlgen check: the facts it gathers ---------------------------------------------------------

RENDER_LOG = "--format=%H%x01%P%x01%ae%x01%B"  # what `template_branch.not_a_render` judges


def check_calls(branch_ref: str, present: Sequence[str]) -> list[list[str]]:
    """`dlgen check`'s first git calls, independent so that they start at once (`git_parallel`):
    tracked merge leftovers, the template branch's log, the files of its tip under the current
    directory, and the work tree's blob ids of `present` (filters applied, as `git add` would)."""
    return [
        ["ls-files", "-z", "--", "*.rej", "*.orig"],
        ["log", "--ignore-missing", "-z", RENDER_LOG, branch_ref, "--"],
        ["ls-tree", "-r", "-z", "-l", branch_ref],
        *([["hash-object", "--", *present]] if present else []),
    ]


def render_log(branch_ref: str, cwd: Path) -> str:
    """The template branch's log as `check_calls` reads it ('' for a missing branch)."""
    return git(["log", "--ignore-missing", "-z", RENDER_LOG, branch_ref, "--"], cwd)


def tree_blobs(out: str) -> dict[str, str]:
    """path -> blob id from `git ls-tree -z` output."""
    blobs = {}
    for entry in filter(None, out.split("\0")):
        meta, _, path = entry.partition("\t")
        blobs[path] = meta.split()[2]
    return blobs


def files_of(rev: str, cwd: Path) -> dict[str, str]:
    """path -> blob id of every file of `rev` under `cwd`, paths relative to `cwd`."""
    return tree_blobs(git(["ls-tree", "-r", "-z", rev], cwd))


def hash_objects(paths: Sequence[str], cwd: Path) -> list[str]:
    """The blob ids the work-tree files `paths` would get from `git add`, in order."""
    return git(["hash-object", "--", *paths], cwd).split() if paths else []


def log_entries(out: str) -> list[tuple[str, str, str, str]]:
    """(sha, parents, author email, message) of each commit in `git log -z {RENDER_LOG}` output."""
    entries = []
    for entry in filter(None, out.split("\0")):
        sha, parents, email, body = entry.split("\x01", 3)
        entries.append((sha, parents, email, body))
    return entries


# --- structured merges ---------------------------------------------------------------------------


def write_blob(data: bytes, cwd: Path) -> str:
    """Store `data` as a blob, byte for byte (no filters), and return its id."""
    text = data.decode("utf-8", "surrogateescape")
    out = proc.run(["git", "hash-object", "-w", "--no-filters", "--stdin"], cwd, _env(), stdin=text)
    return out.stdout.strip()


def index_entries(path: str, cwd: Path) -> dict[int, tuple[str, str]]:
    """The index entries of `path`: {stage: (mode, blob)} (stage 0 when merged)."""
    out: dict[int, tuple[str, str]] = {}
    for entry in _z(git(["ls-files", "-s", "-z", "--", path], cwd)):
        meta, _, _name = entry.partition("\t")
        mode, blob, stage = meta.split()
        out[int(stage)] = (mode, blob)
    return out


def set_index(path: str, entries: Mapping[int, tuple[str, str]], cwd: Path) -> None:
    """Replace every index entry of `path` by `entries` ({stage: (mode, blob)})."""
    zero = "0" * len(next(iter(entries.values()))[1])
    lines = [f"0 {zero}\t{path}"]
    lines += [f"{mode} {blob} {stage}\t{path}" for stage, (mode, blob) in sorted(entries.items())]
    proc.run(
        ["git", "update-index", "-z", "--index-info"], cwd, _env(), stdin="\0".join(lines) + "\0"
    )


def checkout_index(paths: Sequence[str], cwd: Path) -> None:
    """Write `paths` from the index (stage 0) to the work tree, through the repository's filters."""
    git(["checkout-index", "-f", "--", *paths], cwd)


# --- template repositories: tags, clones, verbatim exports (read by sources.py) ----------------


def tags_newest_first(repo: Path) -> list[str]:
    """Every tag of `repo`, highest version first (git's version sort)."""
    return git(["tag", "--list", "--sort=-v:refname"], repo).split()


def describe_tags(commit: str, repo: Path) -> str:
    """`commit` named from the nearest tag (`v1.2-3-gabc1234`), else its abbreviated id."""
    return git(["describe", "--tags", "--always", commit], repo).strip()


def clone_no_checkout(url: str, dst: Path) -> None:
    """Clone `url` into `dst` without a work tree checkout (the export reads the commit)."""
    git(["clone", "--quiet", "--no-checkout", "--", url, str(dst)], dst.parent)


def export_commit(repo: Path, commit: str, dst: Path) -> None:
    """Write the tree of `commit` into `dst` (no .git) as a checkout would, through an index
    beside `dst`, so that a local repository read in place is left untouched.

    Not `git archive`: it applies the template repository's `export-subst` and `export-ignore`
    attributes, which are meant for the generated project (copier and cruft clone, so
    `.git_archival.txt` keeps its `$Format:%H$` and an export-ignored `tests/` stays).
    """
    index = dst.parent / f".{dst.name}.index"
    env = {"GIT_INDEX_FILE": str(index)}
    try:
        git(["read-tree", commit], repo, env=env)
        git(["checkout-index", "--all", "--force", f"--prefix={dst}/"], repo, env=env)
    finally:
        index.unlink(missing_ok=True)


# --- issue 18: structured merges (one block; moves when git.py is split) -------------------------


def tree_sizes(out: str) -> dict[str, int]:
    """path -> blob size from `git ls-tree -l -z` output (none from output without `-l`)."""
    sizes = {}
    for entry in filter(None, out.split("\0")):
        meta, _, path = entry.partition("\t")
        fields = meta.split()
        if len(fields) == 4 and fields[3].isdigit():
            sizes[path] = int(fields[3])
    return sizes
