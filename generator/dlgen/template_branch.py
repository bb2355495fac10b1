"""Commit pristine renders on the template branch through a temporary index.

The branch is never checked out and never receives human commits: each commit is exactly one
render, with the template version and the answers in its message trailers.
"""

from __future__ import annotations

from pathlib import Path

from dlgen import git
from dlgen.answers import Record

TRAILER_TEMPLATE = "Dlgen-Template"
TRAILER_VERSION = "Dlgen-Template-Version"
TRAILER_COMMIT = "Dlgen-Template-Commit"
TRAILER_ANSWERS = "Dlgen-Answers"
TRAILER_DLGEN = "Dlgen-Version"


def ref(branch: str) -> str:
    """The full ref name of `branch`."""
    return f"refs/heads/{branch}"


def message(record: Record) -> str:
    """The commit message for a render described by `record`."""
    import json  # not at the top: `dlgen check` imports this module for its names only

    trailers = {
        TRAILER_TEMPLATE: record.template,
        TRAILER_VERSION: record.template_version,
        TRAILER_COMMIT: record.template_commit or "",
        TRAILER_ANSWERS: json.dumps(dict(record.answers), sort_keys=True, ensure_ascii=True),
        TRAILER_DLGEN: record.dlgen_version,
    }
    lines = [f"{k}: {v}" for k, v in trailers.items() if v]
    subject = f"dlgen: render {record.template} {record.template_version}"
    return subject + "\n\n" + "\n".join(lines) + "\n"


def commit_render(
    repo: Path, render_dir: Path, record: Record, *, parent: str | None, prefix: str = ""
) -> str:
    """Commit the files of `render_dir` (under `prefix`) as one pristine render; return its id."""
    tree = git.tree_from_dir(repo, render_dir, prefix)
    return commit(repo, tree, record, parent=parent)


def commit(repo: Path, tree: str, record: Record, *, parent: str | None) -> str:
    """Commit `tree` as the render `record` describes; return the commit id."""
    return git.commit_tree(tree, [parent] if parent else [], message(record), repo)


def advance(repo: Path, branch: str, new: str, *, old: str | None) -> None:
    """Move the branch to `new`, only if it still points at `old` (None: must not exist yet)."""
    git.update_ref(ref(branch), new, repo, old=old or "", msg=f"dlgen: {new[:12]}")


def tip(repo: Path, branch: str) -> str | None:
    """The branch's commit, or None when the branch does not exist locally."""
    return git.rev_parse(ref(branch), repo)
