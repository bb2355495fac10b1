"""`dlgen diff`: the project's local deviations from its template's pristine render."""

from __future__ import annotations

from pathlib import Path

from dlgen import answers, git, template_branch
from dlgen.errors import InputError, UnsafeStateError


def diff(project: Path, *, stat: bool = False, name_only: bool = False) -> str:
    """`git diff` from the render the project has merged to the work tree, on its paths only."""
    if stat and name_only:
        raise InputError("--stat and --name-only cannot both apply: pick one")
    project = project.resolve()
    top = git.toplevel(project)
    if top is None:
        raise UnsafeStateError(f"{project} is not in a git repository")
    record = answers.load(project)
    prefix = "" if project == top else project.relative_to(top).as_posix() + "/"
    located = template_branch.locate(top, prefix, record.branch, record=record)
    tip = located.base(record.template_version)
    if tip is None:
        raise UnsafeStateError(f"no branch {record.branch}: run `dlgen adopt` first")
    owned = [p for p in git.list_files(tip, top) if p.startswith(prefix)]
    mode = ["--stat"] if stat else ["--name-status"] if name_only else []
    return git.git(["diff", "--no-color", *mode, tip, "--", *owned], top) if owned else ""
