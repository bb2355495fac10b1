"""The three-way merge of parsed structures: the template's changes applied to the project's tree.

The project's parsed document (ours, git's stage 2) is edited in place, so every byte the template
did not change keeps the project's formatting and comments. Mappings merge key by key; lists merge
item by item, items matched by an identity (a rule's, e.g. a pre-commit hook's `id`) or by value.
A key or item changed on both sides to different values, or deleted on one side and changed on the
other, is a true conflict: it is named and the caller leaves the file to the user. Format details
(tomlkit, ruamel.yaml, plain JSON and line lists) live behind `Tree`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any


class _Missing:
    """The absent side of a key or item (added or deleted)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()

Path = tuple[str, ...]
Identity = Callable[[Any], Hashable | None]
"""An item's identity in a list from its plain value, or None to match it by value."""


class Tree:
    """How to read and edit one format's nodes; this base class is plain dicts and lists (JSON)."""

    def plain(self, node: Any) -> Any:
        """The node as plain dicts, lists and scalars, for comparison."""
        return node

    def is_map(self, node: Any) -> bool:
        """Whether the node is a mapping."""
        return isinstance(node, Mapping)

    def is_seq(self, node: Any) -> bool:
        """Whether the node is a list."""
        return isinstance(node, list)

    def keys(self, node: Any) -> list[Any]:
        """The mapping's keys in document order."""
        return list(node)

    def own(self, node: Any, key: Any) -> bool:
        """Whether the key is written in this mapping (not brought in by a YAML merge key)."""
        return True

    def put(self, node: Any, key: Any, value: Any) -> None:
        """Replace the value of an existing key, in place."""
        node[key] = value

    def add(self, node: Any, key: Any, value: Any, after: Any) -> None:
        """Add a new key after the key `after` (MISSING: first)."""
        items = list(node.items())
        at = 0 if after is MISSING else [k for k, _ in items].index(after) + 1
        items.insert(at, (key, value))
        node.clear()
        node.update(items)

    def drop(self, node: Any, key: Any) -> None:
        """Delete a key."""
        del node[key]

    def items(self, node: Any) -> list[Any]:
        """The list's items."""
        return list(node)

    def set_item(self, node: Any, index: int, value: Any) -> None:
        """Replace a list item."""
        node[index] = value

    def insert(self, node: Any, index: int, value: Any) -> None:
        """Insert a list item before position `index`."""
        node.insert(index, value)

    def delete(self, node: Any, index: int) -> None:
        """Delete a list item."""
        del node[index]

    def adopt(self, node: Any) -> Any:
        """The template's node made fit to be placed in the project's document."""
        return node


@dataclass
class Rules:
    """What a file kind knows about its lists: identities and merges of single items."""

    identity: Callable[[Path], Identity | None] = lambda path: None
    """The identity of the items of the list at `path`, or None to match them by value."""
    scalar: Callable[[Path, Any, Any, Any], Any] = lambda path, base, ours, theirs: MISSING
    """A merge of a scalar changed on both sides (e.g. a PEP 508 requirement), or MISSING."""


@dataclass
class Merge:
    """One merge in progress: the format, its rules and the conflicts found so far."""

    tree: Tree
    rules: Rules = field(default_factory=Rules)
    conflicts: list[str] = field(default_factory=list)

    def conflict(self, path: Path) -> None:
        """Record a true conflict at `path`."""
        text = "".join(part if part.startswith("[") else f".{part}" for part in path)
        self.conflicts.append(text.removeprefix(".") or "(document)")

    def value(self, path: Path, base: Any, ours: Any, theirs: Any) -> Any:
        """The merged node for `ours` (edited in place where it is a container)."""
        tree = self.tree
        o, t = tree.plain(ours), tree.plain(theirs)
        if t in (base, o):
            return ours
        if tree.is_map(ours) and tree.is_map(theirs):
            self.mapping(path, base if isinstance(base, dict) else {}, ours, theirs)
            return ours
        if o == base:
            return tree.adopt(theirs)
        if tree.is_seq(ours) and tree.is_seq(theirs):
            self.sequence(path, base if isinstance(base, list) else [], ours, theirs)
            return ours
        merged = self.rules.scalar(path, base, o, t)
        if merged is MISSING:
            self.conflict(path)
            return ours
        return merged

    def mapping(self, path: Path, base: dict[Any, Any], ours: Any, theirs: Any) -> None:
        """Apply the template's changes to the project's mapping key by key."""
        tree = self.tree
        theirs_keys = tree.keys(theirs)
        for key in [*base, *(k for k in theirs_keys if k not in base)]:
            ours_keys = tree.keys(ours)
            o_node = _get(ours, key, ours_keys)
            t_node = _get(theirs, key, theirs_keys)
            both = o_node is not MISSING and t_node is not MISSING
            if both and not (tree.own(ours, key) or tree.own(theirs, key)):
                continue  # a YAML merge key's value: merged where its anchor is written
            b = base.get(key, MISSING)
            o = MISSING if o_node is MISSING else tree.plain(o_node)
            t = MISSING if t_node is MISSING else tree.plain(t_node)
            if t in (b, o):
                continue
            sub = (*path, str(key))
            if o_node is MISSING or t_node is MISSING:
                self._one_sided_key(sub, ours, key, b, o, t_node, theirs_keys)
                continue
            merged = self.value(sub, b, o_node, t_node)
            if merged is not o_node:
                tree.put(ours, key, merged)

    def _one_sided_key(
        self, path: Path, ours: Any, key: Any, base: Any, o: Any, t_node: Any, order: list[Any]
    ) -> None:
        """A key one side added or deleted: taken if the other side left it as it was."""
        if o != base:
            self.conflict(path)  # deleted on one side, changed on the other
        elif t_node is MISSING:
            self.tree.drop(ours, key)
        else:
            present = set(self.tree.keys(ours))
            before = [k for k in order[: order.index(key)] if k in present]
            self.tree.add(ours, key, self.tree.adopt(t_node), before[-1] if before else MISSING)

    def sequence(self, path: Path, base: list[Any], ours: Any, theirs: Any) -> None:
        """Apply the template's changes to the project's list item by item."""
        tree = self.tree
        identity = self.rules.identity(path)
        o_items, t_items = tree.items(ours), tree.items(theirs)
        b_keys = item_keys(base, identity)
        o_keys = item_keys([tree.plain(x) for x in o_items], identity)
        t_keys = item_keys([tree.plain(x) for x in t_items], identity)
        if self._replaced_on_both_sides(base, b_keys, o_keys, t_keys):
            self.conflict(path)
            return
        b_at = dict(zip(b_keys, base, strict=True))
        o_at = dict(zip(o_keys, o_items, strict=True))
        t_at = dict(zip(t_keys, t_items, strict=True))
        mirror = list(o_keys)  # keys in the order of the project's list as it is edited
        for key in b_keys:
            self._base_item(
                path, key, b_at[key], o_at.get(key, MISSING), t_at.get(key, MISSING), ours, mirror
            )
        for index, key in enumerate(t_keys):
            if key in b_at:
                continue
            if key in o_at:  # added on both sides
                merged = self.value((*path, label(key)), MISSING, o_at[key], t_at[key])
                if merged is not o_at[key]:
                    tree.set_item(ours, mirror.index(key), merged)
                continue
            before = [k for k in t_keys[:index] if k in mirror]
            at = mirror.index(before[-1]) + 1 if before else 0
            tree.insert(ours, at, tree.adopt(t_at[key]))
            mirror.insert(at, key)

    def _base_item(
        self,
        path: Path,
        key: Hashable,
        base: Any,
        o_node: Any,
        t_node: Any,
        ours: Any,
        mirror: list[Any],
    ) -> None:
        """An item of the base list: kept, changed or deleted by the template."""
        tree = self.tree
        sub = (*path, label(key))
        if t_node is MISSING:
            if o_node is MISSING:
                return
            if tree.plain(o_node) != base:
                self.conflict(sub)  # the template deleted what the project changed
                return
            tree.delete(ours, mirror.index(key))
            mirror.remove(key)
        elif o_node is MISSING:
            if tree.plain(t_node) != base:
                self.conflict(sub)  # the project deleted what the template changed
        else:
            merged = self.value(sub, base, o_node, t_node)
            if merged is not o_node:
                tree.set_item(ours, mirror.index(key), merged)

    def _replaced_on_both_sides(
        self, base: list[Any], b_keys: list[Any], o_keys: list[Any], t_keys: list[Any]
    ) -> bool:
        """Both sides removed the same unnamed structured item and both added some: a rewrite.

        Without an identity, an edited mapping in a list reads as a removal and an addition;
        keeping both sides' versions would duplicate the item, so it is a conflict.
        """
        both_gone = {k for k in b_keys if k not in o_keys and k not in t_keys}
        structured = [
            k
            for k, b in zip(b_keys, base, strict=True)
            if k in both_gone and isinstance(b, dict | list)
        ]
        added_o = [
            k for k in o_keys if k not in b_keys and isinstance(k, tuple) and k[0] == "value"
        ]
        added_t = [
            k for k in t_keys if k not in b_keys and isinstance(k, tuple) and k[0] == "value"
        ]
        return bool(structured) and bool(added_o) and bool(added_t)


def _get(node: Any, key: Any, keys: list[Any]) -> Any:
    """The value at `key`, or MISSING."""
    return node[key] if key in keys else MISSING


def item_keys(items: list[Any], identity: Identity | None) -> list[Any]:
    """Unique keys for a list's items: (identity or value, occurrence number)."""
    seen: dict[Hashable, int] = {}
    keys = []
    for item in items:
        ident = identity(item) if identity else None
        base: tuple[str, Hashable] = (
            ("id", ident) if ident is not None else ("value", canonical(item))
        )
        count = seen.get(base, 0)
        seen[base] = count + 1
        keys.append((*base, count) if count else base)
    return keys


def canonical(value: Any) -> str:
    """A value as a hashable string: equal plain values give equal strings."""
    return json.dumps(value, sort_keys=True, default=str)


def label(key: Any) -> str:
    """A list item's name in a conflict path: its identity, else its value."""
    return f"[{key[1]}]"


class Unmergeable(Exception):
    """A side that does not parse, or a format whose layout cannot be kept: git's result stands."""


def merge_documents(
    tree: Tree, rules: Rules, base: Any, ours: Any, theirs: Any
) -> tuple[Any, list[str]]:
    """The project's document with the template's changes applied, and the true conflicts."""
    merge = Merge(tree, rules)
    return merge.value((), tree.plain(base), ours, theirs), merge.conflicts
