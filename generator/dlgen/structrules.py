"""Which list items are the same item across versions: the identities of known file kinds.

pre-commit `repos` by `repo` and `hooks` by `id`; GitHub Actions `steps` by `id`, else `name`,
else `uses`/`run`; PEP 508 dependency lists (`[project] dependencies`, optional dependencies,
dependency groups, `[build-system] requires`, requirements files) by normalized distribution
name. Mappings (Actions and GitLab jobs, DVC stages) need no rule: they merge key by key. A
requirement changed on both sides merges field by field: the version specifier from the side that
changed it, extras as a set (so `torch[cu]` in the project and a template's bump of `torch==`
merge), a both-sides change of the same field conflicts.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Hashable
from typing import Any

from dlgen.structtree import MISSING, Identity, Path, Rules


def rules_for(path: str) -> Rules:
    """The rules for a file, by its path inside the project (posix separators)."""
    name = path.rsplit("/", 1)[-1]
    if name == ".pre-commit-config.yaml":
        return Rules(identity=_precommit)
    if fnmatch.fnmatch(path, ".github/workflows/*.y*ml") or fnmatch.fnmatch(
        path, "*/.github/workflows/*.y*ml"
    ):
        return Rules(identity=_actions)
    if name == "pyproject.toml":
        return Rules(identity=_pyproject_identity, scalar=_pyproject_scalar)
    if is_requirements(name):
        return Rules(
            identity=lambda p: requirement_line_name if p == () else None, scalar=_line_scalar
        )
    return Rules()


def is_requirements(name: str) -> bool:
    """Whether a file name is a pip requirements file (`requirements*.txt`)."""
    return fnmatch.fnmatch(name, "requirements*.txt")


def _field(key: str) -> Identity:
    return lambda item: item.get(key) if isinstance(item, dict) else None


def _precommit(path: Path) -> Identity | None:
    if path == ("repos",):
        return _field("repo")
    if len(path) == 3 and path[0] == "repos" and path[2] == "hooks":
        return _field("id")
    return None


def _step(item: Any) -> Hashable | None:
    if not isinstance(item, dict):
        return None
    for key in ("id", "name", "uses", "run"):
        if isinstance(item.get(key), str):
            return str(item[key])
    return None


def _actions(path: Path) -> Identity | None:
    if len(path) == 3 and path[0] == "jobs" and path[2] == "steps":
        return _step
    return None


def _pep508_list(path: Path) -> bool:
    return path in {("project", "dependencies"), ("build-system", "requires")} or (
        len(path) == 3
        and (path[:2] == ("project", "optional-dependencies") or path[:1] == ("dependency-groups",))
    )


def _pyproject_identity(path: Path) -> Identity | None:
    return requirement_name if _pep508_list(path) else None


def _pyproject_scalar(path: Path, base: Any, ours: Any, theirs: Any) -> Any:
    if not path or not _pep508_list(path[:-1]):
        return MISSING
    if not all(isinstance(x, str) for x in (base, ours, theirs)):
        return MISSING
    return merge_requirement(base, ours, theirs)


def requirement_name(item: Any) -> Hashable | None:
    """A PEP 508 requirement's identity: its normalized name and its marker, or None."""
    if not isinstance(item, str):
        return None
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    try:
        req = Requirement(item)
    except InvalidRequirement:
        return None
    name = str(canonicalize_name(req.name))
    return f"{name}; {req.marker}" if req.marker else name


def _split_comment(line: str) -> tuple[str, str]:
    """A requirements line as (requirement, trailing comment with its spacing)."""
    at = line.find(" #")
    if line.lstrip().startswith("#") or at < 0:
        return (line, "") if not line.lstrip().startswith("#") else ("", line)
    cut = len(line[:at].rstrip())
    return line[:cut], line[cut:]


def requirement_line_name(line: Any) -> Hashable | None:
    """A requirements file line's identity: the requirement's, or None for comments and options."""
    if not isinstance(line, str):
        return None
    text = _split_comment(line)[0].strip()
    if not text or text.startswith("-"):
        return None
    return requirement_name(text)


def _line_scalar(path: Path, base: Any, ours: Any, theirs: Any) -> Any:
    if len(path) != 1 or not all(isinstance(x, str) for x in (base, ours, theirs)):
        return MISSING
    parts = [_split_comment(x) for x in (base, ours, theirs)]
    merged = merge_requirement(parts[0][0].strip(), parts[1][0].strip(), parts[2][0].strip())
    if merged is MISSING:
        return MISSING
    comment = (
        parts[1][1] if parts[1][1] != parts[0][1] or parts[2][1] == parts[0][1] else parts[2][1]
    )
    return merged + comment


def _pick(base: Any, ours: Any, theirs: Any) -> Any:
    """Three-way choice of one field: the changed side, or MISSING when both changed it."""
    if theirs in (ours, base):
        return ours
    if ours == base:
        return theirs
    return MISSING


def merge_requirement(base: str, ours: str, theirs: str) -> Any:
    """Two edits of one requirement merged field by field (string), or MISSING on a conflict.

    Extras merge as a set (both sides' additions, both sides' removals); the version specifier,
    URL and marker each come from the side that changed them. The result is written in
    packaging's normal form (`name[extra]>=1,<2; marker`), since the line changed anyway.
    """
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        b, o, t = Requirement(base), Requirement(ours), Requirement(theirs)
    except InvalidRequirement:
        return MISSING
    extras = (o.extras | t.extras) - ((b.extras - o.extras) | (b.extras - t.extras))
    fields = [
        _pick(str(b.specifier), str(o.specifier), str(t.specifier)),
        _pick(b.url, o.url, t.url),
        _pick(str(b.marker or ""), str(o.marker or ""), str(t.marker or "")),
        _pick(b.name, o.name, t.name),
    ]
    if any(f is MISSING for f in fields):
        return MISSING
    spec, url, marker, name = fields
    text = name + (f"[{','.join(sorted(extras))}]" if extras else "")
    text += f" @ {url}" if url else spec
    return text + (f"; {marker}" if marker else "")
