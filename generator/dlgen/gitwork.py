"""The index and the work tree: what is modified, staged or unmerged, staging and committing,
applying a render's change for review, and restoring paths, one function per git command line."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from subprocess import CompletedProcess

from dlgen import proc
from dlgen.errors import ProcessError
from dlgen.git import MERGE_CONFIG, RENDER_CONFIG, env_for, git, git_rc, nul_split


def stage_all(cwd: Path) -> str:
    """Stage the work tree as a render is staged (`tree_from_dir`) and return the index's tree."""
    git([*RENDER_CONFIG, "add", "--all", "--", "."], cwd)
    return git(["write-tree"], cwd).strip()


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


def unmerged_stages(cwd: Path) -> dict[str, dict[int, str]]:
    """Unmerged path -> {stage: blob} (1 base, 2 ours, 3 theirs)."""
    out: dict[str, dict[int, str]] = {}
    for entry in nul_split(git(["ls-files", "-u", "-z"], cwd)):
        meta, _, path = entry.partition("\t")
        _mode, blob, stage = meta.split()
        out.setdefault(path, {})[int(stage)] = blob
    return out


def staged_paths(rev: str, cwd: Path) -> list[str]:
    """Paths whose index entry differs from `rev` (unmerged ones included); index only."""
    return nul_split(
        git(["diff-index", "--cached", "--no-renames", "--name-only", "-z", rev, "--"], cwd)
    )


def apply_for_review(commit: str, cwd: Path) -> CompletedProcess[str]:
    """`git cherry-pick --no-commit COMMIT`: its change (from its parent) merged into the index
    and work tree, nothing committed; the caller judges the outcome (1 = conflicts)."""
    args = [*MERGE_CONFIG, "cherry-pick", "--no-commit", commit]
    return proc.run(["git", *args], cwd=cwd, env=env_for(), check=False)


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
            env=env_for({"GIT_LITERAL_PATHSPECS": "1"}),
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
    return nul_split(git(args, cwd, env={"GIT_LITERAL_PATHSPECS": "1"}))


def forget_merge(cwd: Path) -> None:
    """Drop the merge state (MERGE_HEAD...), index and work tree left alone; needs no index lock."""
    git(["merge", "--quit"], cwd)


def is_ignored(path: str, cwd: Path) -> bool:
    """Whether git ignores `path` (`git check-ignore`)."""
    return git_rc(["check-ignore", "-q", "--", path], cwd) == 0


def untrack(path: str, cwd: Path) -> None:
    """Drop `path` from the index (its unmerged entries included); the file is left alone."""
    git(["rm", "--quiet", "--cached", "--", path], cwd)


def move(old: str, new: str, cwd: Path) -> None:
    """`git mv`: the file and its index entry renamed (a case-only rename included, on a
    case-insensitive file system)."""
    git(["mv", "--", old, new], cwd)


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


def unmerged_below(cwd: Path) -> list[str]:
    """Unmerged paths under `cwd` (repository paths), sorted."""
    out = git(["ls-files", "--unmerged", "-z", "--", "."], cwd)
    return sorted({e.partition("\t")[2] for e in out.split("\0") if e})


def index_entries(path: str, cwd: Path) -> dict[int, tuple[str, str]]:
    """The index entries of `path`: {stage: (mode, blob)} (stage 0 when merged)."""
    out: dict[int, tuple[str, str]] = {}
    for entry in nul_split(git(["ls-files", "-s", "-z", "--", path], cwd)):
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
        ["git", "update-index", "-z", "--index-info"], cwd, env_for(), stdin="\0".join(lines) + "\0"
    )


def checkout_index(paths: Sequence[str], cwd: Path) -> None:
    """Write `paths` from the index (stage 0) to the work tree, through the repository's filters."""
    git(["checkout-index", "-f", "--", *paths], cwd)


def hash_objects(paths: Sequence[str], cwd: Path) -> list[str]:
    """The blob ids the work-tree files `paths` would get from `git add`, in order."""
    return git(["hash-object", "--", *paths], cwd).split() if paths else []


def index_tree(cwd: Path) -> str:
    """The index written as a tree (`git write-tree`; no unmerged entry may be there)."""
    return git(["write-tree"], cwd).strip()


def stage_work_tree(under: str, cwd: Path, *, keep_out: Sequence[str] = ()) -> None:
    """Stage what the work tree changed under `under` beyond the index (new, changed and
    deleted files; not ignored ones, nor `keep_out`); unmerged paths stay unmerged."""
    tracked = nul_split(git(["diff-files", "--name-only", "-z", "--", under or "."], cwd))
    unmerged = set(unmerged_paths(cwd))
    new = nul_split(git(["ls-files", "-o", "--exclude-standard", "-z", "--", under or "."], cwd))
    paths = [p for p in tracked if p not in unmerged] + [p for p in new if p not in keep_out]
    if paths:
        proc.run(
            ["git", "add", "--all", "--pathspec-from-file=-", "--pathspec-file-nul"],
            cwd=cwd,
            env=env_for({"GIT_LITERAL_PATHSPECS": "1"}),
            stdin="\0".join(paths) + "\0",
        )


def current_branch(cwd: Path) -> str | None:
    """The branch HEAD is on (`main`), or None when HEAD is detached (a CI checkout)."""
    out = git(["symbolic-ref", "-q", "--short", "HEAD"], cwd, check=False).strip()
    return out or None


def switch_new(branch: str, start: str, cwd: Path) -> None:
    """Check out `branch`, created (or reset) at `start`: `git switch -C` (a clean tree)."""
    git(["switch", "--quiet", "--no-guess", "-C", branch, start], cwd)


def switch_back(to: str, cwd: Path) -> None:
    """Check out branch `to`, or detach at commit `to` when it names no branch."""
    if git_rc(["show-ref", "--verify", "--quiet", f"refs/heads/{to}"], cwd) == 0:
        git(["switch", "--quiet", to], cwd)
    else:
        git(["switch", "--quiet", "--detach", to], cwd)


def stage_everything(cwd: Path) -> None:
    """Stage every change and untracked file under `cwd`, conflicted paths as they stand
    (their markers included): what a roll-out commits for review."""
    git(["add", "--all", "--", "."], cwd)


def commit_message_file(message: Path, cwd: Path) -> str:
    """Commit the index with the message in `message` kept as it is (trailers included), hooks
    skipped; the new commit's id."""
    git(["commit", "--quiet", "--no-verify", "--cleanup=verbatim", "-F", str(message)], cwd)
    return git(["rev-parse", "HEAD"], cwd).strip()


def merge_file_lines(
    ours: Path, base: Path, theirs: Path, marker_size: int = 7
) -> tuple[bytes, bool]:
    """`git merge-file`: git's line merge of three files written into `ours` (zdiff3 markers
    labelled ours, base and theirs): (the result, whether it conflicts). No repository needed."""
    args = ["merge-file", "--zdiff3", f"--marker-size={marker_size}"]
    labels = ["-L", "ours", "-L", "base", "-L", "theirs"]
    cmd = ["git", *args, *labels, "--", str(ours), str(base), str(theirs)]
    done = proc.run(cmd, env=env_for(), check=False)
    if not 0 <= done.returncode <= 127:  # the number of conflicts, or an error
        raise ProcessError(cmd, done.returncode, done.stdout, done.stderr)
    return ours.read_bytes(), done.returncode > 0
