"""YAML (one or many documents) as trees for the structured merge, through ruamel.yaml round-trip.

ruamel.yaml's round-trip mode keeps comments, quoting, flow or block style, anchors and aliases,
and key order, which PyYAML loses. It writes indentation from settings rather than from the
file, so the project's settings are found by writing the project's own file back: the first
setting that reproduces it (or comes closest) is used, and only the lines the merge changed are
replayed onto the project's text (`structreplay`).
"""

from __future__ import annotations

import io
from typing import Any

from dlgen.structreplay import replay
from dlgen.structtree import MISSING, Rules, Tree, Unmergeable, merge_documents

# (mapping indent, sequence indent, dash offset): block styles seen in the wild, commonest first
_LAYOUTS = [(2, 2, 0), (2, 4, 2), (4, 4, 0), (4, 4, 2), (4, 6, 4), (2, 3, 1), (4, 2, 0)]


class YamlTree(Tree):
    """ruamel.yaml round-trip nodes; keys brought in by a merge key (`<<: *x`) are not own keys.

    `anchors`: the project's anchored nodes by name; an alias in a node the template brings in
    is pointed at the project's node, so it is written as an alias (`*x`), not expanded.
    """

    def __init__(self, anchors: dict[str, Any] | None = None) -> None:
        self.anchors = anchors or {}
        self._spacing: dict[int, tuple[Any, bool | None]] = {}  # the node kept: ids stay unique

    def plain(self, node: Any) -> Any:
        if isinstance(node, dict):
            return {k: self.plain(v) for k, v in node.items()}
        if isinstance(node, list):
            return [self.plain(v) for v in node]
        return node

    def own(self, node: Any, key: Any) -> bool:
        written = getattr(node, "_ok", None)  # ruamel's set of keys written in this mapping
        return written is None or key in written

    def spacing(self, node: Any) -> bool | None:
        """Whether the project's block separates its entries by blank lines (`_spaced`), read
        the first time the merge changes the block, before any entry comes or goes."""
        known = self._spacing.get(id(node))
        if known is None:
            entries = [k for k in node if self.own(node, k)] if isinstance(node, dict) else []
            keys = entries if isinstance(node, dict) else list(range(len(node)))
            known = self._spacing[id(node)] = (node, _spaced(node, keys))
        return known[1]

    def add(self, node: Any, key: Any, value: Any, after: Any) -> None:
        spaced = self.spacing(node)
        own = [k for k in node if self.own(node, k)]
        at = own.index(after) + 1 if after is not MISSING and after in own else 0
        if after is not MISSING and after not in own:
            at = len(own)
        node.insert(at, key, value)
        _fit_spacing(node, own[-1] if own and at == len(own) else MISSING, key, spaced)

    def drop(self, node: Any, key: Any) -> None:
        self.spacing(node)
        del node[key]

    def insert(self, node: Any, index: int, value: Any) -> None:
        spaced = self.spacing(node)
        node.insert(index, value)
        last = index == len(node) - 1 and index > 0
        _fit_spacing(node, index - 1 if last else MISSING, index, spaced)

    def delete(self, node: Any, index: int) -> None:
        self.spacing(node)
        del node[index]

    def adopt(self, node: Any) -> Any:
        _relink(node, self.anchors, set())
        return node


def _anchor(node: Any) -> str | None:
    """The anchor name a node carries (`&x`), or None."""
    anchor = node.yaml_anchor() if hasattr(node, "yaml_anchor") else None
    return anchor.value if anchor is not None else None


def anchors_of(doc: Any) -> dict[str, Any]:
    """Every anchored node of a document by name (the first node of each name)."""
    found: dict[str, Any] = {}
    seen: set[int] = set()
    todo = [doc]
    while todo:
        node = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        name = _anchor(node)
        if name is not None:
            found.setdefault(name, node)
        if isinstance(node, dict):
            todo += reversed(list(node.values()))
        elif isinstance(node, list):
            todo += reversed(node)
    return found


def _relink(node: Any, anchors: dict[str, Any], seen: set[int]) -> None:
    """Aliases inside `node` (from the template's document) pointed at the project's anchors."""
    from ruamel.yaml.comments import merge_attrib

    if id(node) in seen:
        return
    seen.add(id(node))

    def swap(child: Any) -> Any:
        mine = anchors.get(_anchor(child) or "")
        return child if mine is None else mine

    if isinstance(node, dict):
        merges = getattr(node, merge_attrib, None)
        for held in (merges, getattr(merges, "sequence", None)):
            for i in range(len(held or ())):
                held[i] = swap(held[i])  # type: ignore[index]
        for key in [k for k in node if YamlTree().own(node, k)]:
            child = node[key]
            if swap(child) is not child:
                node[key] = swap(child)
            else:
                _relink(child, anchors, seen)
    elif isinstance(node, list):
        for i, child in enumerate(node):
            if swap(child) is not child:
                node[i] = swap(child)
            else:
                _relink(child, anchors, seen)


def _last(node: Any) -> Any:
    """The last own key of a mapping, or the last index of a list."""
    return (
        [k for k in node if YamlTree().own(node, k)][-1]
        if isinstance(node, dict)
        else len(node) - 1
    )


def _tail_slot(node: Any, key: Any) -> tuple[Any, Any, int]:
    """Where ruamel.yaml keeps the comment after entry `key`: (holder, key, index in its entry)."""
    while True:
        at = 2 if isinstance(node, dict) else 0
        entry = node.ca.items.get(key)
        value = node[key]
        if (entry and entry[at] is not None) or not (isinstance(value, dict | list) and value):
            return node, key, at
        if not hasattr(value, "ca"):
            return node, key, at
        node, key = value, _last(value)


def _take_trailing_lines(node: Any, key: Any) -> tuple[str, Any] | None:
    """Remove the blank lines and comments after entry `key` (kept by ruamel.yaml in the
    end-of-line comment of the last scalar written, possibly nested in the entry's value);
    the end-of-line comment itself stays. Returns (the lines removed, their mark) or None."""
    holder, last, at = _tail_slot(node, key)
    entry = holder.ca.items.get(last)
    token = entry[at] if entry else None
    if token is None or "\n" not in token.value or not token.value.split("\n", 1)[1]:
        return None
    head, tail = token.value.split("\n", 1)
    if head.strip():
        token.value = head + "\n"
    else:
        entry[at] = None
    return tail, token.start_mark


def _hand_on_trailing_lines(node: Any, previous: Any, key: Any) -> None:
    """Blank lines and comments after a block's last entry stay last when an entry is appended."""
    from ruamel.yaml.tokens import CommentToken

    taken = _take_trailing_lines(node, previous)
    if taken is None:
        return
    tail, mark = taken
    holder, last, at = _tail_slot(node, key)
    entry = holder.ca.items.setdefault(last, [None, None, None, None])
    if entry[at] is None:
        entry[at] = CommentToken("\n" + tail, mark)
    elif not entry[at].value.split("\n", 1)[-1]:
        entry[at].value += tail


def _trailing(node: Any, key: Any) -> str | None:
    """The blank lines and comments after entry `key`, or None where there are none."""
    holder, last, at = _tail_slot(node, key)
    entry = holder.ca.items.get(last)
    token = entry[at] if entry else None
    if token is None or "\n" not in token.value:
        return None
    return token.value.split("\n", 1)[1] or None


def _spaced(node: Any, keys: list[Any]) -> bool | None:
    """Whether the project separates these entries by blank lines (every one but the last
    followed by some: True; none: False; mixed, or too few to tell: None)."""
    if not hasattr(node, "ca"):
        return None
    seen = {_trailing(node, k) is not None for k in keys[:-1]}
    return seen.pop() if len(seen) == 1 else None


def _fit_spacing(node: Any, previous: Any, key: Any, spaced: bool | None) -> None:
    """The entry `key` just added takes the project's spacing, not the template's: appended
    (after `previous`, the old last entry), what followed the block stays last, and a blank
    line separates it where the project separates its entries; inserted, it loses or gets
    the blank line after it as the project's entries have it (unknown: the template's stays)."""
    if not hasattr(node, "ca"):
        return
    if previous is not MISSING:
        _hand_on_trailing_lines(node, previous, key)
        if spaced:
            _blank_after(node, previous)
    elif spaced is False:
        _take_trailing_lines(node, key)
    elif spaced:
        _blank_after(node, key)


def _blank_after(node: Any, key: Any) -> None:
    """A blank line after entry `key`, unless something already follows it."""
    from ruamel.yaml.error import CommentMark
    from ruamel.yaml.tokens import CommentToken

    if _trailing(node, key) is not None:
        return
    holder, last, at = _tail_slot(node, key)
    entry = holder.ca.items.setdefault(last, [None, None, None, None])
    if entry[at] is None:
        entry[at] = CommentToken("\n\n", CommentMark(0))
    elif entry[at].value.endswith("\n"):
        entry[at].value += "\n"


def _yaml(mapping: int, sequence: int, offset: int, explicit: bool) -> Any:
    from ruamel.yaml import YAML

    yaml = YAML()  # round-trip; rejects duplicate keys
    yaml.preserve_quotes = True
    yaml.width = 1 << 16  # never fold the project's long lines
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    yaml.explicit_start = explicit
    return yaml


def _load(text: str) -> list[Any]:
    from ruamel.yaml.error import YAMLError

    try:
        return list(_yaml(2, 2, 0, False).load_all(text))
    except YAMLError as e:
        raise Unmergeable(f"does not parse as YAML ({str(e).splitlines()[0]})") from e


def _dump(yaml: Any, docs: list[Any]) -> str:
    out = io.StringIO()
    yaml.dump_all(docs, out)
    return out.getvalue()


def _layout(text: str) -> tuple[Any, str]:
    """The writer settings that give the project's file back with the fewest changed lines."""
    from difflib import SequenceMatcher

    explicit = text.lstrip().startswith("---")
    best: tuple[float, Any, str] | None = None
    for mapping, sequence, offset in _LAYOUTS:
        yaml = _yaml(mapping, sequence, offset, explicit)
        written = _dump(yaml, _load(text))
        if written == text:
            return yaml, written
        score = SequenceMatcher(None, text.splitlines(), written.splitlines()).ratio()
        if best is None or score > best[0]:
            best = (score, yaml, written)
    assert best is not None
    return best[1], best[2]


def merge_yaml(base: str, ours: str, theirs: str, rules: Rules) -> tuple[str, list[str]]:
    """The merged YAML text (the project's layout, every document) and the true conflicts."""
    docs = [_load(text) for text in (base, ours, theirs)]
    if len({len(d) for d in docs}) != 1:
        raise Unmergeable("the sides have different numbers of YAML documents")
    yaml, before = _layout(ours)
    merged, conflicts = [], []
    for index, (b, o, t) in enumerate(zip(*docs, strict=True)):
        result, found = merge_documents(YamlTree(anchors_of(o)), rules, b, o, t)
        merged.append(result)
        conflicts += [f"document {index + 1}: {c}" if len(docs[1]) > 1 else c for c in found]
    if conflicts:
        return ours, conflicts
    after = _dump(yaml, merged)
    text = replay(ours, before, after)
    tree = YamlTree()  # compared as read back: merge keys are resolved by the reader, not in memory
    try:
        same = text is not None and tree.plain(_load(text)) == tree.plain(_load(after))
    except Unmergeable:
        same = False
    if not same:
        raise Unmergeable("the change touches lines whose layout cannot be kept")
    assert text is not None
    return text, conflicts
