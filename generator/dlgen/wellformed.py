"""Whether a TOML, YAML or JSON file parses, with no duplicate keys or tables.

git merges lines, so a clean merge can still break a file: the project added
`[tool.coverage.run]` in the middle of `pyproject.toml` while the template appended its own at
the end, and the result declares the table twice. `problem()` names what is wrong in one line.
It uses the standard library for TOML (3.11+) and JSON, and PyYAML's C parser (libyaml) for
YAML: a check needs the parse and the keys, not ruamel.yaml's round trip, whose import would cost
every update that touches a YAML file more than the check itself.
"""

from __future__ import annotations


class _Duplicate(ValueError):
    """A JSON object with the same key twice."""


def _json_pairs(pairs: list[tuple[str, object]]) -> dict[str, object]:
    seen: dict[str, object] = {}
    for key, value in pairs:
        if key in seen:
            raise _Duplicate(f"duplicate key {key!r}")
        seen[key] = value
    return seen


def _toml(text: str) -> str | None:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomlkit
        from tomlkit.exceptions import TOMLKitError

        try:
            tomlkit.parse(text)
        except TOMLKitError as e:
            return str(e)
        return None
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        return str(e)
    return None


def _yaml(text: str) -> str | None:
    """Composed, not constructed: unknown tags (GitLab's `!reference`) need no constructor, and
    a mapping's keys are compared as written (tag and text), in every document."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        for document in yaml.compose_all(text, Loader=loader):
            duplicate = _duplicate_key(document)
            if duplicate is not None:
                return duplicate
    except yaml.YAMLError as e:
        return " ".join(str(e).split())
    return None


def _duplicate_key(root: object) -> str | None:
    """The first mapping key written twice in the node tree `root`, said as ruamel.yaml says it."""
    import yaml

    stack, seen = [root], set()
    while stack:
        node = stack.pop()
        if not isinstance(node, yaml.CollectionNode) or id(node) in seen:
            continue  # a scalar, or an alias's node already walked
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
            continue
        keys: dict[tuple[str, str], yaml.Node] = {}
        for key, value in node.value:
            stack.extend((key, value))
            if not isinstance(key, yaml.ScalarNode):
                continue
            first = keys.setdefault((key.tag, key.value), key)
            if first is not key:
                mark = key.start_mark
                return (
                    f'found duplicate key "{key.value}" with value "{_text(value)}" '
                    f"(line {mark.line + 1}, column {mark.column + 1}; "
                    f"first at line {first.start_mark.line + 1})"
                )
    return None


def _text(node: object) -> str:
    import yaml

    return str(node.value) if isinstance(node, yaml.ScalarNode) else "..."


def _json(text: str) -> str | None:
    import json

    try:
        json.loads(text, object_pairs_hook=_json_pairs)
    except (json.JSONDecodeError, _Duplicate) as e:
        return str(e)
    return None


def problem(path: str, data: bytes) -> str | None:
    """What makes a structured file unreadable (one line), or None if it reads (or is not one)."""
    name = path.rsplit("/", 1)[-1]
    checks = {".toml": _toml, ".yaml": _yaml, ".yml": _yaml, ".json": _json}
    check = next((c for suffix, c in checks.items() if name.endswith(suffix)), None)
    if check is None:
        return None
    try:
        text = data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError:
        return "not UTF-8 text"
    return check(text)
