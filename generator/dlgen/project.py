"""Where a project sits: its directory, its repository, its path inside it, and its record.

The one place that turns a project directory into (root, top, prefix), and the guard every
writing flow (`update`, `adopt`) runs first: a clean work tree with no git operation in progress.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dlgen import answers, git, githistory, gitwork
from dlgen.errors import UnsafeStateError


@dataclass(frozen=True)
class Project:
    """Where the project sits and what it records; `tip`/`base` once its branch is placed."""

    root: Path  # the project directory
    top: Path  # the repository's work tree
    prefix: str  # project path inside the repository: '' or 'a/b/'
    record: answers.Record
    tip: str = ""  # the template branch before the update (fast-forwarded to the newest render)
    base: str = ""  # the render the project has merged ('' = tip): what the update is measured from

    @property
    def merged(self) -> str:
        """The render the project is at: HEAD's newest render (or the branch, squash-merged)."""
        return self.base or self.tip

    @property
    def record_path(self) -> str:
        """The repository path of the project's `.dlgen.yml`."""
        return self.prefix + answers.RECORD_NAME


def locate(path: Path) -> tuple[Path, Path, str]:
    """(root, top, prefix) of the project at `path`; outside a git work tree is exit 3."""
    root = path.resolve()
    top = git.toplevel(root)
    if top is None:
        raise UnsafeStateError(f"{root} is not in a git repository")
    return root, top, git.prefix_of(root, top)


def load(path: Path) -> Project:
    """The project at `path` with its `.dlgen.yml` (exit 2 for a bad record)."""
    root, top, prefix = locate(path)
    return Project(root, top, prefix, answers.load(root))


def refuse_unsafe(top: Path) -> None:
    """A clean work tree (untracked files count), no operation in progress, a commit (exit 3)."""
    busy = git.in_progress(top)
    if busy:
        raise UnsafeStateError(f"a {busy[0]} is in progress in {top}; finish or abort it first")
    dirty = gitwork.dirty_paths(top)
    if dirty:
        shown = ", ".join(dirty[:8]) + (f" and {len(dirty) - 8} more" if len(dirty) > 8 else "")
        raise UnsafeStateError(f"commit your changes first (untracked files count): {shown}")
    if githistory.rev_parse("HEAD", top) is None:
        raise UnsafeStateError(f"{top} has no commit yet")


def locate_clean(path: Path) -> tuple[Path, Path, str]:
    """`locate`, then `refuse_unsafe`: what a flow that writes to the repository checks first."""
    root, top, prefix = locate(path)
    refuse_unsafe(top)
    return root, top, prefix
