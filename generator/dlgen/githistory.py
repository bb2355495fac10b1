"""History and refs: commits, their parents and messages, the template branch's log, tags, and
ref updates (single or in one transaction), one function per git command line."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from dlgen import proc
from dlgen.git import DLGEN_AUTHOR, env_for, git, git_rc


def rev_parse(rev: str, cwd: Path) -> str | None:
    """The object id `rev` names, or None when it names nothing."""
    r = proc.run(
        ["git", "rev-parse", "--verify", "--quiet", "--end-of-options", rev],
        cwd=cwd,
        env=env_for(),
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


def create_refs(refs: Sequence[str], new: str, cwd: Path) -> None:
    """Create each of `refs` (HEAD: its unborn branch) at `new` in one transaction."""
    lines = "".join(f"create {r} {new}\n" for r in refs)
    proc.run(["git", "update-ref", "-m", "dlgen", "--stdin"], cwd=cwd, env=env_for(), stdin=lines)


def update_refs(updates: Sequence[tuple[str, str, str | None]], cwd: Path, msg: str) -> None:
    """(ref, new, old) updates in one transaction: all or none ('' new deletes; old None: any)."""
    lines = ""
    for ref, new, old in updates:
        expect = "" if old is None else f" {old or '0' * 40}"
        lines += f"delete {ref}{expect}\n" if not new else f"update {ref} {new}{expect}\n"
    proc.run(["git", "update-ref", "-m", msg, "--stdin"], cwd=cwd, env=env_for(), stdin=lines)


def ref_ids(patterns: Sequence[str], cwd: Path) -> dict[str, str]:
    """ref name -> object id of the refs matching `patterns` (`git for-each-ref`)."""
    out = git(["for-each-ref", "--format=%(refname) %(objectname)", *patterns], cwd)
    return dict(line.split(" ", 1) for line in out.splitlines())


def commit_tree(tree: str, parents: Sequence[str], message: str, cwd: Path) -> str:
    """Create a commit object with dlgen's fixed author; return its id."""
    args = ["commit-tree", tree]
    for p in parents:
        args += ["-p", p]
    return proc.run(
        ["git", *args], cwd=cwd, env=env_for(DLGEN_AUTHOR), stdin=message
    ).stdout.strip()


def parents(rev: str, cwd: Path) -> list[str]:
    """The parents of commit `rev`."""
    return git(["rev-parse", f"{rev}^@"], cwd).split()


def tree_of(rev: str, cwd: Path) -> str:
    """The tree id of a commit."""
    return git(["rev-parse", f"{rev}^{{tree}}"], cwd).strip()


def is_merged(commit: str, cwd: Path) -> bool:
    """Whether `commit` is HEAD or an ancestor of it."""
    return git_rc(["merge-base", "--is-ancestor", commit, "HEAD"], cwd) == 0


def is_ancestor(a: str, b: str, cwd: Path) -> bool:
    """Whether commit `a` is `b` or an ancestor of it."""
    return git_rc(["merge-base", "--is-ancestor", a, b], cwd) == 0


def commit_body(sha: str, cwd: Path, *, check: bool = True) -> str:
    """The full message of commit `sha` ('' for an unreadable one without `check`)."""
    return git(["log", "-1", "--format=%B", sha], cwd, check=check)


RENDER_LOG = "--format=%H%x01%P%x01%ae%x01%B"  # what `template_branch.not_a_render` judges


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


def check_calls(branch_ref: str, present: Sequence[str]) -> list[list[str]]:
    """`dlgen check`'s first git calls, independent so that they start at once (`git_parallel`):
    tracked merge leftovers (a roll-out's side files and notes too), unmerged paths under the
    current directory, the template branch's log, the files of its tip under the current
    directory, and the work tree's blob ids of `present` (filters applied, as `git add` would)."""
    return [
        ["ls-files", "-z", "--", "*.rej", "*.orig", "*.dlgen-new", "*.dlgen-unresolved"],
        ["ls-files", "--unmerged", "-z", "--", "."],
        ["log", "--ignore-missing", "-z", RENDER_LOG, branch_ref, "--"],
        ["ls-tree", "-r", "-z", "-l", branch_ref],
        *([["hash-object", "--", *present]] if present else []),
    ]


def render_log(branch_ref: str, cwd: Path) -> str:
    """The template branch's log as `check_calls` reads it ('' for a missing branch)."""
    return git(["log", "--ignore-missing", "-z", RENDER_LOG, branch_ref, "--"], cwd)


def log_entries(out: str) -> list[tuple[str, str, str, str]]:
    """(sha, parents, author email, message) of each commit in `git log -z {RENDER_LOG}` output."""
    entries = []
    for entry in filter(None, out.split("\0")):
        sha, parents, email, body = entry.split("\x01", 3)
        entries.append((sha, parents, email, body))
    return entries


def tags_newest_first(repo: Path) -> list[str]:
    """Every tag of `repo`, highest version first (git's version sort)."""
    return git(["tag", "--list", "--sort=-v:refname"], repo).split()


def describe_tags(commit: str, repo: Path) -> str:
    """`commit` named from the nearest tag (`v1.2-3-gabc1234`), else its abbreviated id."""
    return git(["describe", "--tags", "--always", commit], repo).strip()
