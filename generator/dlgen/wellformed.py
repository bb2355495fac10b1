"""Whether a TOML, YAML or JSON file parses, with no duplicate keys or tables.

git merges lines, so a clean merge can still break a file: the project added
`[tool.coverage.run]` in the middle of `pyproject.toml` while the template appended its own at
the end, and the result declares the table twice. `problem()` names what is wrong in one line.
It uses the standard library for TOML (3.11+) and JSON; YAML needs ruamel.yaml, imported only
when a YAML file is asked about.
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
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        for _ in YAML().load_all(text):  # round-trip: unknown tags (GitLab's !reference) load
            pass
    except YAMLError as e:
        return " ".join(str(e).split())
    return None


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
