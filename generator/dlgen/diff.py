"""`dlgen diff`: the project's local deviations from its template's pristine render."""

from __future__ import annotations

from pathlib import Path

from dlgen import gitobjects, gitwork, template_branch
from dlgen.errors import InputError, UnsafeStateError
from dlgen.project import load


def diff(project: Path, *, stat: bool = False, name_only: bool = False) -> str:
    """`git diff` from the render the project has merged to the work tree, on its paths only."""
    if stat and name_only:
        raise InputError("--stat and --name-only cannot both apply: pick one")
    proj = load(project)
    top, prefix, record = proj.top, proj.prefix, proj.record
    located = template_branch.locate(top, prefix, record.branch, record=record)
    tip = located.base(record.template_version)
    if tip is None:
        raise UnsafeStateError(f"no branch {record.branch}: run `dlgen adopt` first")
    owned = [p for p in gitobjects.list_files(tip, top) if p.startswith(prefix)]
    mode = ["--stat"] if stat else ["--name-status"] if name_only else []
    return gitwork.diff_to_work_tree(tip, owned, top, mode) if owned else ""
