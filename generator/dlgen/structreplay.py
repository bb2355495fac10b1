"""The merged structure written back as a line edit of the project's own file.

A round-trip writer (ruamel.yaml, json) cannot always reproduce a file's layout: a list indented
two ways in one file, prettier's one-line JSON objects. So the project's document is written
twice in the writer's layout, before and after the merge, and only the lines that differ between
those two are replayed onto the project's original text. Every other line keeps the project's
bytes. A change touching a line the writer could not reproduce is refused (None): the caller
then leaves the file to git.
"""

from __future__ import annotations

from difflib import SequenceMatcher


def _line_map(written: list[str], original: list[str]) -> dict[int, int]:
    """Line numbers of `written` that appear unchanged in `original`, mapped to theirs."""
    matcher = SequenceMatcher(None, written, original, autojunk=False)
    return {a + k: b + k for a, b, size in matcher.get_matching_blocks() for k in range(size)}


def replay(original: str, before: str, after: str) -> str | None:
    """`original` with the edit `before` → `after` applied line by line, or None if it cannot be."""
    if before == original:
        return after
    lines = original.splitlines(keepends=True)
    old = before.splitlines(keepends=True)
    new = after.splitlines(keepends=True)
    where = _line_map(old, lines)
    edits: list[tuple[int, int, list[str]]] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if i1 == i2:  # an insertion goes after the line before it, written alike on both
            if i1 and i1 - 1 not in where:
                return None
            at = where[i1 - 1] + 1 if i1 else 0
            edits.append((at, at, new[j1:j2]))
            continue
        start = where.get(i1, -1)
        if any(where.get(i) != start + i - i1 for i in range(i1, i2)):
            return None  # the edit touches a line the writer wrote differently
        edits.append((start, start + i2 - i1, new[j1:j2]))
    for start, end, text in reversed(edits):  # matching blocks are in order: edits are too
        lines[start:end] = text
    return "".join(lines)
