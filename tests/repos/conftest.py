"""The repositories people really have: one generated project pushed to a bare origin, then
cloned as teams, CI runners and odd file systems clone it (issue #16).

Real git (and git-lfs), real copier, the real CLI entry point; small tagged templates built in
the test. `snapshot()` captures everything a refusal must leave as it was: every file of the
work tree (ignored ones included) with its mode and bytes, HEAD, every ref, the index and the
merge state.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import Outcome, TemplateRepo, build_file_tree, commit_all, git, invoke

COPIER = """\
name:
  default: demo
_dlgen:
  enforced: [Makefile]
  create_only: [params.yaml]
"""
V1: dict[str, str | bytes] = {
    "copier.yml": COPIER,
    "README.md": "# {{ name }}\n",
    "Makefile": "test:\n\tpytest\n",
    "config.yaml": "lr: 0.1\nepochs: 10\n",
    "train.py": "def train():\n    return 'v1'\n",
    "params.yaml": "batch_size: 8\n",
    "run.sh": "#!/bin/sh\necho v1\n",
    "src/model.py": "LAYERS = 2\n",
    "docs/guide.md": "guide v1\n",
    ".gitignore": "data/\n*.log\n",
}
V2: dict[str, str | bytes] = {
    "config.yaml": "lr: 0.0003\nepochs: 10\n",
    "src/model.py": "LAYERS = 4\n",
    "docs/guide.md": "guide v2\n",
    "tool.sh": "#!/bin/sh\necho tool\n",
}
V3: dict[str, str | bytes] = {
    "train.py": "def train():\n    return 'v3'\n",
    "eval.py": "def evaluate(): ...\n",
    "Makefile": "test:\n\tpytest -q\n",
}
EXECUTABLE = ("run.sh", "tool.sh")


def release(t: TemplateRepo, tag: str, files: dict[str, str | bytes]) -> str:
    """Write `files` into the template (scripts executable) and tag the release."""
    t.write(files)
    for name in EXECUTABLE:
        if (t.root / name).exists():
            (t.root / name).chmod(0o755)
    return t.release(tag)


# --- what a command must leave as it was ---------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """Everything a user would see changed: files (ignored ones too), modes, HEAD, refs, index."""

    files: dict[str, tuple[str, int, bytes]]  # path -> (kind, mode, bytes or link target)
    head: str  # the symbolic HEAD and its commit
    refs: str  # git for-each-ref, every ref (branches, tags, stash, dlgen's own)
    index: str  # git ls-files --stage (modes, blobs, stages)
    merging: bool  # MERGE_HEAD present


def work_tree_files(root: Path) -> dict[str, tuple[str, int, bytes]]:
    """Every entry under `root` except .git: (kind, permission bits, content or link target)."""
    files: dict[str, tuple[str, int, bytes]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = [d for d in dirnames if not (here == root and d == ".git")]
        for name in [*dirnames, *filenames]:
            path = here / name
            if path == root / ".git":
                continue
            rel = path.relative_to(root).as_posix()
            st = path.lstat()
            if stat.S_ISLNK(st.st_mode):
                files[rel] = ("symlink", 0, os.readlink(path).encode())
            elif stat.S_ISDIR(st.st_mode):
                files[rel + "/"] = ("dir", 0, b"")
            else:
                files[rel] = ("file", stat.S_IMODE(st.st_mode) & 0o111, path.read_bytes())
    return files


def snapshot(repo: Path) -> Snapshot:
    """The whole state of the work tree at `repo` and its repository."""
    symbolic = git("symbolic-ref", "-q", "HEAD", cwd=repo, check=False).strip()
    head = git("rev-parse", "-q", "--verify", "HEAD", cwd=repo, check=False).strip()
    merge_head = git("rev-parse", "-q", "--verify", "MERGE_HEAD", cwd=repo, check=False)
    return Snapshot(
        files=work_tree_files(repo),
        head=f"{symbolic} {head}",
        refs=git("for-each-ref", "--format=%(objectname) %(refname)", cwd=repo),
        index=git("ls-files", "--stage", cwd=repo),
        merging=bool(merge_head.strip()),
    )


def assert_same(before: Snapshot, after: Snapshot) -> None:
    """Compare field by field, so a failure names what changed."""
    changed = {
        p
        for p in before.files.keys() | after.files.keys()
        if before.files.get(p) != after.files.get(p)
    }
    assert not changed, f"work tree changed: {sorted(changed)}"
    assert before.head == after.head
    assert before.refs == after.refs
    assert before.index == after.index
    assert before.merging == after.merging


def tree_at(repo: Path, rev: str) -> dict[str, tuple[str, bytes]]:
    """Every blob of `rev`'s tree: path -> (mode, bytes)."""
    out = git("ls-tree", "-r", "-z", rev, cwd=repo)
    files = {}
    for entry in filter(None, out.split("\0")):
        meta, _, path = entry.partition("\t")
        mode, kind, sha = meta.split()
        if kind == "blob":
            blob = subprocess.run(
                ["git", "cat-file", "blob", sha], cwd=repo, capture_output=True, check=True
            ).stdout
            files[path] = (mode, blob)
    return files


def modes_at(repo: Path, rev: str) -> dict[str, str]:
    """path -> git mode of `rev`'s tree."""
    return {p: m for p, (m, _) in tree_at(repo, rev).items()}


def renders_on(repo: Path, rev: str) -> list[tuple[str, str]]:
    """(commit, parents) of every dlgen render commit reachable from `rev`."""
    out = git("log", "--format=%H %P%x01%s", rev, cwd=repo)
    found = []
    for line in out.splitlines():
        ids, _, subject = line.partition("\x01")
        sha, _, parents = ids.partition(" ")
        if subject.startswith("dlgen: render "):
            found.append((sha, parents))
    return found


def only_renders_below_renders(repo: Path, rev: str) -> None:
    """No render commit became an ordinary commit of the project's branch: every render
    reachable from `rev` is a root or sits on another render (the template branch's line)."""
    renders = {sha for sha, _ in renders_on(repo, rev)}
    for sha, parents in renders_on(repo, rev):
        assert all(p in renders for p in parents.split()), (
            f"render {sha[:12]} sits on a project commit: a replayed render"
        )


# --- the repositories -----------------------------------------------------------------------------


def up(repo: Path, *args: str) -> Outcome:
    """`dlgen update` at `repo`."""
    return invoke("update", str(repo), *args)


def lines(outcome: Outcome) -> list[str]:
    """stderr's lines."""
    return outcome.err.splitlines()


@dataclass
class Repos:
    """Builds the repositories of one test under `root`."""

    root: Path
    template_factory: Callable[..., TemplateRepo]

    def template(
        self, files: dict[str, str | bytes] | None = None, name: str = "tpl"
    ) -> TemplateRepo:
        """A tagged git template at v1 (default: V1, scripts executable)."""
        t = self.template_factory(dict(files or V1), name=name)
        for script in EXECUTABLE:
            if (t.root / script).exists():
                (t.root / script).chmod(0o755)
        t.release("v1")
        return t

    def project(
        self, tpl: TemplateRepo | None, name: str = "proj", *data: str, tag: str = "v1"
    ) -> Path:
        """`dlgen new` from `tpl` at `tag` (None: the bundled template), no hooks."""
        dst = self.root / name
        source = [] if tpl is None else ["--template", f"{tpl.root}@{tag}"]
        args = [a for kv in data for a in ("--data", kv)]
        result = invoke("new", str(dst), *source, "--defaults", "--no-hooks", *args)
        assert result.code == 0, result.err
        return dst

    def publish(self, proj: Path, name: str = "origin.git") -> Path:
        """A bare origin holding the project's main and template branch."""
        origin = self.root / name
        git("init", "-q", "--bare", str(origin), cwd=self.root)
        git("remote", "add", "origin", str(origin), cwd=proj)
        git("push", "-q", "-u", "origin", "main", "dlgen/template", cwd=proj)
        return origin

    def clone(
        self, origin: Path, name: str, *args: str, config: dict[str, str] | None = None
    ) -> Path:
        """`git clone ARGS origin name`, `config` set before the checkout (`-c`)."""
        dst = self.root / name
        options = [a for k, v in (config or {}).items() for a in ("-c", f"{k}={v}")]
        git("clone", "-q", *options, *args, origin.as_uri(), str(dst), cwd=self.root)
        return dst

    def shallow(self, origin: Path, name: str, depth: int, *args: str) -> Path:
        """A CI checkout: `--depth` through file:// (a local path would ignore it)."""
        dst = self.clone(origin, name, f"--depth={depth}", *args)
        assert git("rev-parse", "--is-shallow-repository", cwd=dst).strip() == "true"
        return dst

    def team(self, origin: Path, *names: str, config: dict[str, str]) -> list[Path]:
        """Clones of `origin` with the team's `config` (e.g. pull.rebase=true)."""
        clones = [self.clone(origin, n, config=config) for n in names]
        for c in clones:
            for k, v in config.items():
                git("config", k, v, cwd=c)
        return clones

    def worktree(self, repo: Path, name: str, branch: str) -> Path:
        """A linked work tree of `repo` on a new `branch`."""
        dst = self.root / name
        git("worktree", "add", "-q", "-b", branch, str(dst), cwd=repo)
        return dst

    def sparse(self, repo: Path, *cone: str) -> None:
        """`git sparse-checkout set --cone CONE...`."""
        git("sparse-checkout", "set", "--cone", *cone, cwd=repo)

    def lfs(self, repo: Path, pattern: str) -> None:
        """Track `pattern` with Git LFS (local install; the filters in the repository's config)."""
        git("lfs", "install", "--local", cwd=repo)
        git("lfs", "track", pattern, cwd=repo)
        commit_all(repo, f"track {pattern} with LFS")

    def submodule(self, repo: Path, path: str, files: dict[str, str | bytes]) -> Path:
        """A library repository added to `repo` as a submodule at `path`."""
        lib = self.root / f"lib-{path.replace('/', '-')}"
        build_file_tree(lib, files)
        git("init", "-q", cwd=lib)
        commit_all(lib, "lib")
        git("-c", "protocol.file.allow=always", "submodule", "add", "-q", str(lib), path, cwd=repo)
        git("commit", "-q", "-m", f"add submodule {path}", cwd=repo)
        return repo / path


@pytest.fixture
def repos(tmp_path: Path, template_factory: Callable[..., TemplateRepo]) -> Repos:
    """The builder of this test's repositories."""
    return Repos(tmp_path, template_factory)


@pytest.fixture
def tpl(repos: Repos) -> TemplateRepo:
    """The small template at v1."""
    return repos.template()


@pytest.fixture
def published(repos: Repos, tpl: TemplateRepo) -> tuple[Path, Path]:
    """(origin, the author's project): generated at v1, pushed to a bare origin."""
    proj = repos.project(tpl, "author")
    return repos.publish(proj), proj


# --- a real case-insensitive file system ----------------------------------------------------------


@contextmanager
def exfat(root: Path, size: str = "64M") -> Iterator[Path]:
    """An exFAT image mounted through FUSE (case-insensitive, no modes); skips where it cannot."""
    if os.geteuid() != 0:
        pytest.skip("mounting an exFAT image needs root")
    for tool in ("mkfs.exfat", "mount.exfat-fuse", "losetup"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (Debian: exfatprogs, exfat-fuse)")
    img, mnt = root / "exfat.img", root / "exfat"
    mnt.mkdir()

    def sh(*cmd: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(cmd, capture_output=True, text=True, check=False)

    subprocess.run(["truncate", "-s", size, str(img)], check=True)
    made = sh("mkfs.exfat", str(img))
    if made.returncode != 0:
        pytest.skip(f"mkfs.exfat failed: {made.stderr.strip()}")
    loop = sh("losetup", "-f", "--show", str(img))
    if loop.returncode != 0:
        pytest.skip(f"no loop device: {loop.stderr.strip()}")
    device = loop.stdout.strip()
    try:
        mounted = sh("mount.exfat-fuse", device, str(mnt))
        if mounted.returncode != 0:
            pytest.skip(f"cannot mount exFAT through FUSE: {mounted.stderr.strip()}")
        try:
            yield mnt
        finally:
            sh("umount", str(mnt))
    finally:
        sh("losetup", "-d", device)
