"""TOML, JSON and line-set files as trees for the structured merge: parse, edit in place, write.

TOML goes through tomlkit, which writes back every byte it read (comments, spacing, key order)
and edits items in place. JSON has no comments: it is written with the project's indentation,
key order and ASCII escaping, and only the lines the merge changed are replayed onto the
project's text (`structreplay`), so a layout json cannot write (prettier's) survives too.
Line-set files (`.gitignore`, requirements files) are lists of lines.
"""

from __future__ import annotations

import json
import re
from typing import Any

from dlgen.structreplay import replay
from dlgen.structtree import Rules, Tree, Unmergeable, merge_documents


class TomlTree(Tree):
    """tomlkit documents: tables are mappings, arrays and arrays of tables are lists."""

    def plain(self, node: Any) -> Any:
        return node.unwrap() if hasattr(node, "unwrap") else node

    def add(self, node: Any, key: Any, value: Any, after: Any) -> None:
        # tomlkit places a new key before the table's sub-tables and a new table after them
        import tomlkit
        from tomlkit.items import InlineTable, Whitespace

        if not isinstance(node, InlineTable):
            node.append(key, value)
            return
        # the template's spacing would double tomlkit's own; the padding before `}` stays last
        body = node.value.body
        padding: list[Any] = []
        while body and body[-1][0] is None and isinstance(body[-1][1], Whitespace):
            padding.insert(0, body.pop())
        node.append(key, tomlkit.item(self.plain(value)))
        body.extend(padding)

    def drop(self, node: Any, key: Any) -> None:
        node.remove(key) if hasattr(node, "remove") else node.pop(key)


def merge_toml(base: str, ours: str, theirs: str, rules: Rules) -> tuple[str, list[str]]:
    """The merged TOML text (the project's layout) and the true conflicts."""
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    try:
        docs = [tomlkit.parse(text) for text in (base, ours, theirs)]
    except TOMLKitError as e:
        raise Unmergeable(f"does not parse as TOML ({e})") from e
    result, conflicts = merge_documents(TomlTree(), rules, *docs)
    return _space_like(ours, tomlkit.dumps(result)), conflicts


_HEADER = re.compile(r"""^\[\[?[\w."' -]+\]\]?[ \t]*(#.*)?$""")  # a whole table header line


def _space_like(ours: str, text: str) -> str:
    """A blank line before each table header and one newline at the end, where the project has.

    A table the template added arrives with the spacing it had in the template's file, which
    depends on what followed it there; the project's own habit decides instead.
    """
    lines = ours.split("\n")
    headers = [i for i, line in enumerate(lines) if i and _HEADER.match(line)]
    if headers and all(not lines[i - 1].strip() for i in headers):
        out: list[str] = []
        for line in text.split("\n"):
            if out and _HEADER.match(line) and out[-1].strip():
                out.append("")
            out.append(line)
        text = "\n".join(out)
    if ours.endswith("\n") and not ours.endswith("\n\n"):
        text = text.rstrip("\n") + "\n"
    return text


def _json_style(text: str) -> dict[str, Any]:
    """json.dumps arguments that write the project's file as it is: indentation and escaping."""
    first = re.search(r"^[ \t]+(?=\S)", text, re.MULTILINE)
    indent: int | str | None = None
    if first:
        indent = first.group() if "\t" in first.group() else len(first.group())
    return {"indent": indent, "ensure_ascii": text.isascii()}


def _json_dump(value: Any, style: dict[str, Any], newline: bool) -> str:
    separators = (",", ": ") if style["indent"] is not None else (", ", ": ")
    return json.dumps(value, separators=separators, **style) + ("\n" if newline else "")


def merge_json(base: str, ours: str, theirs: str, rules: Rules) -> tuple[str, list[str]]:
    """The merged JSON text in the project's indentation and key order, and the true conflicts."""
    try:
        docs = [json.loads(text) for text in (base, ours, theirs)]
    except json.JSONDecodeError as e:
        raise Unmergeable(f"does not parse as JSON ({e})") from e
    style = _json_style(ours)
    newline = ours.endswith("\n")
    before = _json_dump(docs[1], style, newline)
    result, conflicts = merge_documents(Tree(), rules, *docs)
    if conflicts:
        return ours, conflicts
    text = replay(ours, before, _json_dump(result, style, newline))
    if text is None or json.loads(text) != result:
        raise Unmergeable("the change touches lines whose layout cannot be kept")
    return text, conflicts


def merge_lines(base: str, ours: str, theirs: str, rules: Rules) -> tuple[str, list[str]]:
    """The merged line-set file (both sides' additions and removals) and the true conflicts."""
    docs = [text.split("\n") for text in (base, ours, theirs)]
    for lines in docs:
        if lines and lines[-1] == "":
            lines.pop()
    result, conflicts = merge_documents(Tree(), rules, *docs)
    return "".join(line + "\n" for line in result) if ours.endswith(
        "\n"
    ) or not ours else "\n".join(result), conflicts
