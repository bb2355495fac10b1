"""`.dlgen.yml`, the project record: load, validate (errors name the key), dump stably, and
build it from a fresh render."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from dlgen import plainyaml
from dlgen.errors import InputError

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs `dlgen check` ~3 ms
if TYPE_CHECKING:
    from typing import Any

    from dlgen.render import Rendered
    from dlgen.sources import Source

RECORD_NAME = ".dlgen.yml"
DEFAULT_BRANCH = "dlgen/template"
_HEADER = (
    "# dlgen project record, written by dlgen. Change answers: `dlgen update --data KEY=VALUE`.\n"
    "# Only the `check:` section is yours to edit (ignores with reasons, strictness).\n"
)
_TOP = {
    "template",
    "template_version",
    "template_commit",
    "dlgen_version",
    "branch",
    "flavour",
    "answers",
    "policy",
    "check",
}
_POLICY = {"create_only", "enforced", "superset", "locked", "min_version", "max_lag"}
_CHECK = {"ignore", "strict", "min_version", "max_lag"}
_SCALARS = (str, bool, int, float, type(None))


@dataclass(frozen=True)
class Policy:
    """What the template says about its own files; copied from the template's `_dlgen` block."""

    create_only: tuple[str, ...] = ()
    enforced: tuple[str, ...] = ()
    superset: tuple[str, ...] = ()
    locked: tuple[str, ...] = ()  # enforced or superset files that `check.ignore` cannot switch off
    min_version: str | None = None
    max_lag: int | None = None


@dataclass(frozen=True)
class CheckConfig:
    """The project's own settings for `dlgen check`."""

    ignore: Mapping[str, str] = field(default_factory=dict)  # path -> reason
    strict: bool = False
    min_version: str | None = None
    max_lag: int | None = None


@dataclass(frozen=True)
class Record:
    """Everything dlgen knows about a project's template."""

    template: str  # bundled name, or the path/URL the user gave
    template_version: str
    dlgen_version: str
    answers: Mapping[str, Any]
    template_commit: str | None = None
    branch: str = DEFAULT_BRANCH
    policy: Policy = Policy()
    flavour: str | None = None  # copier or cookiecutter, for a template that has both
    check: CheckConfig = CheckConfig()


def _fail(key: str, why: str, where: str) -> InputError:
    return InputError(f"{where}: key '{key}' {why}")


def _expect(data: Mapping[str, Any], key: str, types: tuple[type, ...], where: str) -> Any:
    value = data.get(key)
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
        names = " or ".join(t.__name__ for t in types if t is not type(None))
        raise _fail(key, f"must be {names}, got {type(value).__name__} {value!r}", where)
    return value


def _unknown(data: Mapping[str, Any], allowed: set[str], prefix: str, where: str) -> None:
    for key in data:
        if key not in allowed:
            raise _fail(f"{prefix}{key}", "is unknown", where)


def _str_list(data: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(key, "must be a list of strings", where)
    return tuple(value)


def _section(data: Any, name: str, allowed: set[str], where: str) -> dict[str, Any] | None:
    """A nested mapping with only `allowed` keys, or None when absent."""
    if data is None:
        return None
    if not isinstance(data, dict):
        raise _fail(name, "must be a mapping", where)
    _unknown(data, allowed, f"{name}.", where)
    return data


def _policy(raw: Any, where: str) -> Policy:
    data = _section(raw, "policy", _POLICY, where)
    if data is None:
        return Policy()
    return Policy(
        create_only=_str_list(data, "create_only", where),
        enforced=_str_list(data, "enforced", where),
        superset=_str_list(data, "superset", where),
        locked=_str_list(data, "locked", where),
        min_version=_expect(data, "min_version", (str, type(None)), where),
        max_lag=_expect(data, "max_lag", (int, type(None)), where),
    )


def policy_from_meta(meta: Mapping[str, Any], where: str) -> Policy:
    """The Policy a template declares in its copier.yml `_dlgen` block."""
    data = {k: meta[k] for k in ("create_only", "enforced", "superset", "locked") if k in meta}
    extra = meta.get("policy") or {}
    if not isinstance(extra, dict):
        raise _fail("policy", "must be a mapping", where)
    return _policy({**data, **extra}, where)


def _check(raw: Any, where: str) -> CheckConfig:
    data = _section(raw, "check", _CHECK, where)
    if data is None:
        return CheckConfig()
    ignore = data.get("ignore") or {}
    if not isinstance(ignore, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in ignore.items()
    ):
        raise _fail("check.ignore", "must map paths to non-empty reasons", where)
    return CheckConfig(
        ignore=ignore,
        strict=bool(_expect(data, "strict", (bool, type(None)), where)),
        min_version=_expect(data, "min_version", (str, type(None)), where),
        max_lag=_expect(data, "max_lag", (int, type(None)), where),
    )


def _plain_data(value: Any) -> bool:
    """What copier records as an answer: scalars, and lists and string-keyed mappings of them
    (`type: yaml`/`json` answers, multiselect lists, lists of mappings), at any depth."""
    if isinstance(value, _SCALARS):
        return True
    if isinstance(value, list):
        return all(_plain_data(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain_data(v) for k, v in value.items())
    return False


def _answers(data: Any, where: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise _fail("answers", "must be a mapping of question to answer", where)
    for key, value in data.items():
        if not isinstance(key, str) or not _plain_data(value):
            raise _fail(
                f"answers.{key}",
                "must be a scalar, or a list or mapping of them (as copier records)",
                where,
            )
    return dict(data)


_BAD_REF = re.compile(r"[\x00-\x20~^:?*\[\\\x7f]|\.\.|@\{|//|/\.|\.lock(/|$)|^[./]|[./]$")


def _branch(data: Mapping[str, Any], where: str) -> str:
    """The template branch: a name git accepts for a branch (git check-ref-format's rules)."""
    branch = _expect(data, "branch", (str, type(None)), where) or DEFAULT_BRANCH
    if _BAD_REF.search(branch) or branch == "@":
        raise _fail("branch", f"is not a valid git branch name: {branch!r}", where)
    return str(branch)


def _flavour(value: Any, where: str) -> str | None:
    if value is None or value in ("copier", "cookiecutter"):
        return value  # type: ignore[no-any-return]
    raise _fail("flavour", f"must be copier or cookiecutter, got {value!r}", where)


def from_mapping(data: Any, where: str) -> Record:
    """Validate parsed YAML into a Record; errors name the key and `where`."""
    if not isinstance(data, dict):
        raise InputError(f"{where}: not a mapping of keys to values")
    _unknown(data, _TOP, "", where)
    for key in ("template", "template_version", "dlgen_version", "answers"):
        if key not in data:
            raise _fail(key, "is missing", where)
    version = data["template_version"]
    return Record(
        template=_expect(data, "template", (str,), where),
        template_version=str(version)
        if isinstance(version, (int, float))
        else _expect(data, "template_version", (str,), where),
        dlgen_version=str(_expect(data, "dlgen_version", (str, int, float), where)),
        answers=_answers(data["answers"], where),
        template_commit=_expect(data, "template_commit", (str, type(None)), where),
        branch=_branch(data, where),
        flavour=_flavour(data.get("flavour"), where),
        policy=_policy(data.get("policy"), where),
        check=_check(data.get("check"), where),
    )


def parse(text: str | bytes, where: str) -> Record:
    """Parse `.dlgen.yml` text: dlgen's own plain YAML without PyYAML (`dlgen check` starts
    faster), anything else with PyYAML."""
    data = plainyaml.load(text)
    if data is not None:
        return from_mapping(data, where)
    import yaml

    try:
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        raise InputError(f"{where}:{line} is not valid YAML") from e
    return from_mapping(data, where)


def load(project: Path) -> Record:
    """Load `project/.dlgen.yml`; a missing file points the user to `dlgen adopt`."""
    path = project / RECORD_NAME
    try:
        text = path.read_bytes()
    except FileNotFoundError as e:
        raise InputError(
            f"no {RECORD_NAME} in {project}: not a dlgen project (run `dlgen adopt` to link it)"
        ) from e
    return parse(text, str(path))


def _drop_defaults(d: Mapping[str, Any], defaults: Mapping[str, Any]) -> dict[str, Any]:
    return {
        k: list(v) if isinstance(v, tuple) else dict(v) if isinstance(v, Mapping) else v
        for k, v in d.items()
        if v != defaults.get(k)
    }


def dumps(record: Record) -> str:
    """Serialize deterministically: fixed key order, no timestamps, no machine paths."""
    data: dict[str, Any] = {
        "template": record.template,
        "template_version": record.template_version,
    }
    if record.template_commit:
        data["template_commit"] = record.template_commit
    data["dlgen_version"] = record.dlgen_version
    if record.branch != DEFAULT_BRANCH:
        data["branch"] = record.branch
    if record.flavour is not None:
        data["flavour"] = record.flavour
    data["answers"] = dict(record.answers)
    policy = _drop_defaults(vars(record.policy), vars(Policy()))
    if policy:
        data["policy"] = policy
    check = _drop_defaults(vars(record.check), {**vars(CheckConfig()), "ignore": {}})
    if check:
        data["check"] = check
    import yaml

    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False)
    return _HEADER + body


def dumps_keeping(record: Record, previous: str) -> str:
    """`dumps(record)`, with the `check:` section of `previous` (the project's own text, its
    comments included: issue #16) where that section says what `record.check` says."""
    lines = previous.splitlines(keepends=True)
    start = next((i for i, ln in enumerate(lines) if ln.rstrip() == "check:"), None)
    if start is None:
        return dumps(record)
    end = next(
        (i for i in range(start + 1, len(lines)) if lines[i][:1] not in (" ", "\t", "#", "\n")),
        len(lines),
    )
    section = "".join(lines[start:end])
    text = dumps(replace(record, check=CheckConfig())) + section.rstrip("\n") + "\n"
    try:
        kept = parse(text, RECORD_NAME).check == record.check
    except InputError:
        kept = False
    return text if kept else dumps(record)


def save(project: Path, record: Record, text: str | None = None) -> None:
    """Write `project/.dlgen.yml` atomically (`text`: that exact text of `record`)."""
    path = project / RECORD_NAME
    tmp = path.with_name(f".{RECORD_NAME}.tmp")
    tmp.write_text(dumps(record) if text is None else text, encoding="utf-8")
    tmp.replace(path)


def from_render(source: Source, rendered: Rendered, dst: Path) -> Record:
    """The record of a fresh render of `source` for the project at `dst`.

    A local template is recorded relative to the project; the template's `_dlgen` policy is
    copied, copier's `_skip_if_exists` paths added as create-only (rendered once, never merged).
    """
    import os

    from dlgen import __version__, sources

    spec = source.spec
    if not source.bundled and not sources.is_url(sources.split_ref(spec)[0]):
        spec = os.path.relpath(Path(sources.split_ref(spec)[0]).absolute(), dst)
    policy = policy_from_meta(rendered.meta, f"{source.spec} copier.yml _dlgen")
    skip = [p for p in rendered.skip_if_exists if p not in policy.create_only]
    if skip:
        policy = replace(policy, create_only=(*policy.create_only, *skip))
    return Record(
        template=spec,
        template_version=source.version,
        dlgen_version=__version__,
        answers=rendered.answers,
        template_commit=source.commit,
        policy=policy,
        flavour=rendered.flavour,
    )
