"""The object database: trees written from a folder without touching the user's index, blobs read
and written, tree listings and comparisons, in-memory merges (`merge-tree`), verbatim exports."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from dlgen import proc
from dlgen.errors import ProcessError
from dlgen.git import (
    MERGE_CONFIG,
    RENDER_CONFIG,
    env_for,
    git,
    git_bytes,
    git_path,
    is_bare,
    nul_split,
)


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


def tree_from_dir(repo: Path, src: Path, prefix: str = "", attributes: bytes = b"") -> str:
    """Write the files under `src` as a tree: the modes they have, through the project's
    `attributes` (its .gitattributes lines: LFS and eol filters apply, as to a `git add`), and
    without what the render's own ignore rules exclude (a rendered `.env`, bytecode).

    With `prefix` the files sit under that subdirectory, for projects inside a larger repository.
    """
    with temp_index(repo) as env, _attributes_file(repo, attributes) as attrs:
        config = [*RENDER_CONFIG, "-c", f"core.attributesFile={attrs}"]
        git([*config, "--work-tree", str(src), "add", "--all", "--", "."], repo, env=env)
        tree = git(["write-tree"], repo, env=env).strip()
    if not prefix:
        return tree
    with temp_index(repo) as env:
        git(["read-tree", f"--prefix={prefix.rstrip('/')}/", tree], repo, env=env)
        return git(["write-tree"], repo, env=env).strip()


def renamed_tree(rev: str, renames: Sequence[tuple[str, str]], cwd: Path) -> str:
    """`rev`'s tree with each (old, new) path renamed, its mode and blob kept; no index touched."""
    with temp_index(cwd) as env:
        git(["read-tree", rev], cwd, env=env)
        olds = [old for old, _ in renames]
        listed = git(["--literal-pathspecs", "ls-files", "-s", "-z", "--", *olds], cwd, env=env)
        entries = (e.partition("\t") for e in nul_split(listed))
        held = {path: info.rsplit(" ", 1)[0] for info, _, path in entries}  # "mode blob"
        lines = "".join(f"0 {'0' * 40}\t{old}\n{held[old]}\t{new}\n" for old, new in renames)
        proc.run(["git", "update-index", "--index-info"], cwd=cwd, env=env_for(env), stdin=lines)
        return git(["write-tree"], cwd, env=env).strip()


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
            data = proc.run_bytes(["git", "cat-file", "blob", f"{rev}:{path}"], cwd, env_for())
        except ProcessError:
            continue  # not there
        out += data if data.endswith(b"\n") or not data else data + b"\n"
    return out


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


def numstat(a: str, b: str, path: str, cwd: Path) -> tuple[int, int] | None:
    """(lines added, lines removed) in `path` from tree-ish `a` to `b`; None for a binary file."""
    args = ["diff-tree", "-r", "--numstat", "--no-renames", "--no-commit-id", a, b, "--", path]
    out = git(args, cwd, env={"GIT_LITERAL_PATHSPECS": "1"}).split("\t")
    if len(out) < 3 or out[0] == "-":
        return None
    return int(out[0]), int(out[1])


def list_files(rev: str, cwd: Path, paths: Sequence[str] = ()) -> list[str]:
    """The file paths in the tree of `rev` (all, or those among `paths`)."""
    args = ["ls-tree", "-r", "-z", "--name-only", "--full-tree", rev, "--", *paths]
    return nul_split(git(args, cwd))


def show_file(rev: str, path: str, cwd: Path) -> bytes:
    """The bytes of `path` at `rev`."""
    return git_bytes(["show", f"{rev}:{path}"], cwd)


def cat_blob(blob: str, cwd: Path) -> bytes:
    """The bytes of a blob."""
    return git_bytes(["cat-file", "blob", blob], cwd)


def cat_blobs(blobs: Sequence[str], cwd: Path) -> dict[str, bytes]:
    """The bytes of several blobs in one `git cat-file --batch` call."""
    if not blobs:
        return {}
    out = proc.run(["git", "cat-file", "--batch"], cwd, env_for(), stdin="\n".join(blobs) + "\n")
    data = out.stdout.encode("utf-8", "surrogateescape")
    found, pos = {}, 0
    for _ in blobs:
        end = data.index(b"\n", pos)
        sha, _kind, size = data[pos:end].decode().split()
        found[sha] = data[end + 1 : end + 1 + int(size)]
        pos = end + 2 + int(size)
    return found


def merge_tree_stages(ours: str, theirs: str, cwd: Path) -> tuple[str, dict[str, set[int]]]:
    """Merge without touching index or work tree: (result tree, conflicted path -> its stages).

    Stages: 1 base, 2 ours, 3 theirs; {1, 3} is a file deleted on our side and changed on theirs.
    """
    tree, blobs = merge_tree_blobs(ours, theirs, cwd)
    return tree, {path: set(stages) for path, stages in blobs.items()}


def merge_tree_blobs(ours: str, theirs: str, cwd: Path) -> tuple[str, dict[str, dict[int, str]]]:
    """`merge_tree_stages` with each stage's blob: (result tree, path -> {stage: blob})."""
    args = [*MERGE_CONFIG, "merge-tree", "--write-tree", "-z", ours, theirs]
    r = proc.run(["git", *args], cwd=cwd, env=env_for(), check=False)
    if r.returncode not in (0, 1):
        raise ProcessError(["git", "merge-tree", ours, theirs], r.returncode, r.stdout, r.stderr)
    head, _, rest = r.stdout.partition("\0")
    stages: dict[str, dict[int, str]] = {}
    if r.returncode == 1:
        for entry in rest.split("\0\0", 1)[0].split("\0"):
            meta, _, path = entry.partition("\t")
            if path:
                _mode, blob, stage = meta.split()
                stages.setdefault(path, {})[int(stage)] = blob
    return head.strip(), stages


def object_types(rev: str, paths: Sequence[str], cwd: Path) -> dict[str, str | None]:
    """path -> 'blob', 'tree', 'commit' (a submodule) or None: what `rev` holds there; one call."""
    asked = [p for p in paths if "\n" not in p]  # such a name cannot be asked: counts as absent
    out = proc.run(
        ["git", "cat-file", "--batch-check=%(objecttype)"],
        cwd=cwd,
        env=env_for(),
        stdin="".join(f"{rev}:{p}\n" for p in asked),
    ).stdout.splitlines()
    found = {
        p: (t if not t.endswith(" missing") else None) for p, t in zip(asked, out, strict=True)
    }
    missing = [p for p, t in found.items() if t is None]
    if missing:  # a submodule's commit is not in this repository: its tree entry says so
        listed = git(["ls-tree", "-z", "--full-tree", rev, "--", *missing], cwd)
        for entry in nul_split(listed):
            meta, _, path = entry.partition("\t")
            if meta.split()[1] == "commit" and path in found:
                found[path] = "commit"
    return {p: found.get(p) for p in paths}


def write_blob(data: bytes, cwd: Path) -> str:
    """Store `data` as a blob, byte for byte (no filters), and return its id."""
    text = data.decode("utf-8", "surrogateescape")
    out = proc.run(
        ["git", "hash-object", "-w", "--no-filters", "--stdin"], cwd, env_for(), stdin=text
    )
    return out.stdout.strip()


def export_commit(repo: Path, commit: str, dst: Path) -> None:
    """Write the tree of `commit` into `dst` (no .git) as a checkout would, through an index
    beside `dst`, so that a local repository read in place is left untouched.

    Not `git archive`: it applies the template repository's `export-subst` and `export-ignore`
    attributes, which are meant for the generated project (copier and cruft clone, so
    `.git_archival.txt` keeps its `$Format:%H$` and an export-ignored `tests/` stays).
    """
    index = dst.parent / f".{dst.name}.index"
    env = {"GIT_INDEX_FILE": str(index)}
    # a bare repository has no work tree, which checkout-index needs even with --prefix
    bare = ["--work-tree", str(dst.parent)] if is_bare(repo) else []
    try:
        git(["read-tree", commit], repo, env=env)
        git([*bare, "checkout-index", "--all", "--force", f"--prefix={dst}/"], repo, env=env)
    finally:
        index.unlink(missing_ok=True)


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


def tree_sizes(out: str) -> dict[str, int]:
    """path -> blob size from `git ls-tree -l -z` output (none from output without `-l`)."""
    sizes = {}
    for entry in filter(None, out.split("\0")):
        meta, _, path = entry.partition("\t")
        fields = meta.split()
        if len(fields) == 4 and fields[3].isdigit():
            sizes[path] = int(fields[3])
    return sizes
