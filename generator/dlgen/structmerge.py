"""The structured three-way merge of one file: which files it handles, and their bytes in and out.

Input: git's three stages of a file (1 base = the previous render, 2 ours = the project,
3 theirs = the new render) and its path; output: the merged bytes, or the true conflicts that
leave the file to the user, or why the file was declined. TOML, YAML (multi-document too) and
JSON merge as trees (`structtree`), `.gitignore`, `.dockerignore`, `.dvcignore` and
`requirements*.txt` as line sets. The result keeps the project's layout, BOM and line endings
(CRLF stays CRLF), and it is only returned if it parses (`wellformed`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dlgen.structrules import is_requirements, rules_for
from dlgen.structtree import Rules, Unmergeable

LINE_SETS = (".gitignore", ".dockerignore", ".dvcignore")
BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Outcome:
    """A structured merge's answer: `merged` bytes, or None with `conflicts` or a `reason`."""

    merged: bytes | None
    conflicts: tuple[str, ...] = ()
    reason: str = ""


def kind_of(path: str) -> str | None:
    """The structured kind of a file (toml, yaml, json, lines) by its path, or None."""
    name = path.rsplit("/", 1)[-1]
    if name in LINE_SETS or is_requirements(name):
        return "lines"
    for kind, suffixes in (("toml", (".toml",)), ("yaml", (".yaml", ".yml")), ("json", (".json",))):
        if name.endswith(suffixes):
            return kind
    return None


def _merger(kind: str) -> Callable[[str, str, str, Rules], tuple[str, list[str]]]:
    if kind == "toml":
        from dlgen.structformats import merge_toml

        return merge_toml
    if kind == "json":
        from dlgen.structformats import merge_json

        return merge_json
    if kind == "lines":
        from dlgen.structformats import merge_lines

        return merge_lines
    from dlgen.structyaml import merge_yaml

    return merge_yaml


def _decode(data: bytes) -> str:
    """Text with LF line endings and no BOM (Unmergeable for other encodings)."""
    try:
        return data.removeprefix(BOM).decode("utf-8").replace("\r\n", "\n")
    except UnicodeDecodeError as e:
        raise Unmergeable("it is not UTF-8 text") from e


def merge(base: bytes, ours: bytes, theirs: bytes, path: str) -> Outcome:
    """Merge the template's change (base → theirs) into the project's file (ours) by structure."""
    kind = kind_of(path)
    if kind is None:
        return Outcome(None, reason="not a structured file")
    crlf = b"\r\n" in ours
    if crlf and ours.count(b"\n") != ours.count(b"\r\n"):
        return Outcome(None, reason="it mixes CRLF and LF line endings")
    try:
        text, conflicts = _merger(kind)(
            _decode(base), _decode(ours), _decode(theirs), rules_for(path)
        )
    except Unmergeable as e:
        return Outcome(None, reason=str(e))
    if conflicts:
        return Outcome(None, conflicts=tuple(conflicts), reason="changed on both sides")
    merged = (BOM if ours.startswith(BOM) else b"") + text.encode("utf-8")
    if crlf:
        merged = merged.replace(b"\n", b"\r\n")
    from dlgen.wellformed import problem

    broken = problem(path, merged)
    if broken:
        return Outcome(None, reason=f"the merged file would be broken: {broken}")
    return Outcome(merged)
