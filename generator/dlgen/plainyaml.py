"""A reader for the plain YAML dlgen writes itself (`.dlgen.yml`), so `dlgen check` starts without
importing PyYAML, which costs it more than all of its git calls.

It reads block mappings and block sequences of plain or single-quoted one-line scalars, with
comments and blank lines: what `yaml.safe_dump(..., default_flow_style=False)` writes, and what a
person adds to the `check:` section. Scalars resolve as PyYAML's YAML 1.1 resolver does. On
anything else (flow collections, double quotes, anchors, tags, folded lines, timestamps, floats,
non-decimal integers, odd keys) `load` returns None and the caller falls back to PyYAML; so the
result, when there is one, is always what `yaml.safe_load` gives (`tests/test_answers.py`
compares the two on tricky records).
"""

from __future__ import annotations

import re

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs start-up time
if TYPE_CHECKING:
    from typing import Any


class _Unsupported(Exception):
    """Outside the subset: the caller uses PyYAML."""


_BOOL = {
    **dict.fromkeys(("yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"), True),
    **dict.fromkeys(("no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"), False),
}
_NULL = {"~", "null", "Null", "NULL"}
_DECIMAL = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_PLAIN = re.compile(r"[A-Za-z0-9_./][^\t]*")
# ASCII control characters: PyYAML's reader rejects them, or (\v, \f) str.splitlines disagrees.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_QUOTED = re.compile(r"'((?:[^']|'')*)'")
_KEY = re.compile(r"([A-Za-z0-9_./-]+|'(?:[^']|'')*'):(?: (.*))?")


def load(text: str | bytes) -> Any:
    """The document as PyYAML's safe loader reads it, or None when it is outside the subset."""
    try:
        source = text.decode("utf-8") if isinstance(text, bytes) else text
        if not source.isascii() or _CONTROL.search(source):
            return None  # non-ASCII records are rare: PyYAML knows its printable ranges
        lines = [
            (len(line) - len(line.lstrip(" ")), line.strip(" "))
            for line in source.splitlines()
            if line.strip(" ") and not line.lstrip(" ").startswith("#")
        ]
        if not lines or lines[0][0] != 0:
            return None
        value, end = _block(lines, 0, 0)
        return value if end == len(lines) and isinstance(value, dict) else None
    except (_Unsupported, UnicodeDecodeError):
        return None


def _block(lines: list[tuple[int, str]], i: int, indent: int) -> tuple[Any, int]:
    if lines[i][1] == "-":
        raise _Unsupported  # a nested block inside a sequence
    if lines[i][1].startswith("- "):
        return _sequence(lines, i, indent)
    return _mapping(lines, i, indent)


def _sequence(lines: list[tuple[int, str]], i: int, indent: int) -> tuple[list[Any], int]:
    items = []
    while i < len(lines) and lines[i][0] == indent and lines[i][1].startswith("- "):
        items.append(_scalar(lines[i][1][2:]))
        i += 1
    if i < len(lines) and lines[i][0] > indent:
        raise _Unsupported  # a nested block or a folded line inside a sequence
    return items, i


def _mapping(lines: list[tuple[int, str]], i: int, indent: int) -> tuple[dict[Any, Any], int]:
    out: dict[Any, Any] = {}
    while i < len(lines) and lines[i][0] == indent and not lines[i][1].startswith("-"):
        match = _KEY.fullmatch(lines[i][1])
        if not match:
            raise _Unsupported
        key = _scalar(match.group(1))
        if not isinstance(key, str):
            raise _Unsupported  # `on:`, `1:` ... are not str keys in YAML 1.1
        rest, i = match.group(2), i + 1
        if rest is not None and rest.strip(" "):
            out[key] = _scalar(rest)
            if i < len(lines) and lines[i][0] > indent:
                raise _Unsupported  # a scalar folded over several lines
        elif i < len(lines) and (
            lines[i][0] > indent or (lines[i][0] == indent and lines[i][1].startswith("- "))
        ):
            out[key], i = _block(lines, i, lines[i][0])
        else:
            out[key] = None
    if i < len(lines) and lines[i][0] > indent:
        raise _Unsupported
    return out, i


def _scalar(text: str) -> Any:
    if text in ("[]", "{}"):
        return [] if text == "[]" else {}
    quoted = _QUOTED.fullmatch(text)
    if quoted:
        return quoted.group(1).replace("''", "'")
    if " #" in text or ": " in text or text.endswith((" ", ":")) or not _PLAIN.fullmatch(text):
        raise _Unsupported
    if text in _BOOL:
        return _BOOL[text]
    if text in _NULL:
        return None
    if _DECIMAL.fullmatch(text):
        return int(text)
    if _looks_typed(text):
        raise _Unsupported
    return text


def _looks_typed(text: str) -> bool:
    """Whether PyYAML's resolver reads `text` as a float, a non-decimal int, a timestamp, a merge
    or a value key (its own expressions, yaml/resolver.py)."""
    return any(pattern.match(text) for pattern in _TYPED)


_TYPED = [
    re.compile(
        r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?
        |\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
        |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        re.X,
    ),
    re.compile(
        r"""^(?:[-+]?0b[0-1_]+
        |[-+]?0[0-7_]+
        |[-+]?(?:0|[1-9][0-9_]*)
        |[-+]?0x[0-9a-fA-F_]+
        |[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$""",
        re.X,
    ),
    re.compile(
        r"""^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
        |[0-9][0-9][0-9][0-9] -[0-9][0-9]? -[0-9][0-9]?
        (?:[Tt]|[ \t]+)[0-9][0-9]?
        :[0-9][0-9] :[0-9][0-9] (?:\.[0-9]*)?
        (?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$""",
        re.X,
    ),
    re.compile(r"^(?:<<|=)$"),
]
