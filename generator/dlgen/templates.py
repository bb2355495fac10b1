"""What `dlgen templates [T]` prints: the bundled catalog with policies, and one template's
questions with their types, help, choices and defaults, read without rendering."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dlgen import git, githistory, gitwork, sources
from dlgen.template import Question, Template


def policy_of(tpl: Template, where: str) -> dict[str, Any]:
    """The template's policy as `.dlgen.yml` will carry it: file lists and version rules."""
    policy = tpl.policy(where)
    return {
        "enforced": list(policy.enforced),
        "superset": list(policy.superset),
        "locked": list(policy.locked),
        "create_only": list(policy.create_only),
        "min_version": policy.min_version,
        "max_lag": policy.max_lag,
    }


def describe(name: str, tpl: Template, version: str | None = None) -> dict[str, Any]:
    """Name, version, description and policy of a template (JSON-ready)."""
    return {
        "name": name,
        "version": version or tpl.version,
        "description": tpl.description,
        "policy": policy_of(tpl, f"{name} copier.yml _dlgen"),
    }


def catalog() -> list[dict[str, Any]]:
    """Every bundled template, described."""
    root = sources.bundled_root() / "templates"
    return [describe(n, Template.load(root / n)) for n in sources.bundled_names()]


def inspect(spec: str) -> tuple[dict[str, Any], tuple[Question, ...]]:
    """The template `spec` names (a bundled name, a directory or a git URL[@REF]): its
    description and its questions, exported and read, never rendered.

    A directory without `@REF` is read as it is: the template author's work in progress, its
    version named as `git describe --tags --dirty` names it (`v1.2-3-gabc1234-dirty`)."""
    source_path, ref = sources.split_ref(spec)
    local = Path(source_path)
    if ref is None and source_path not in sources.bundled_names() and local.is_dir():
        tpl = Template.load(local)
        name = local.resolve().name
        return describe(name, tpl, work_tree_version(local, tpl)), tpl.questions
    with sources.resolve(spec) as source:
        tpl = Template.load(source.path)
        return describe(source.name, tpl, source.version), tpl.questions


def work_tree_version(path: Path, tpl: Template) -> str:
    """A template directory's version as its work tree stands: the nearest tag and the commits
    since (`git describe`), `-dirty` when files differ from HEAD; outside a repository, or before
    its first commit, the version copier.yml declares (else "0", as a render records it)."""
    top = git.toplevel(path)
    if top is None or githistory.rev_parse("HEAD", top) is None:
        return tpl.version or "0"
    named = githistory.describe_tags("HEAD", top)
    under = git.prefix_of(path.resolve(), top)
    dirty = [p for p in gitwork.dirty_paths(top) if p.startswith(under)]
    return f"{named}-dirty" if dirty else named


def questions_text(info: dict[str, Any], questions: tuple[Question, ...]) -> str:
    """`dlgen templates T`: a header, each question with its type, help, choices and default."""
    head = f"{info['name']} {info['version'] or '-'}"
    lines = [f"{head}: {info['description']}" if info["description"] else head, ""]
    for q in questions:
        lines += _question_lines(q)
    lines.append("")
    policy = info["policy"]
    for key in ("enforced", "superset", "locked", "create_only"):
        lines.append(f"{key}: {', '.join(policy[key]) or '-'}")
    for key in ("min_version", "max_lag"):
        lines.append(f"{key}: {'-' if policy[key] is None else policy[key]}")
    return "\n".join(lines)


def _question_lines(q: Question) -> list[str]:
    flags = [q.type, *(["required"] if q.required else []), *(["secret"] if q.secret else [])]
    flags += ["several choices"] if q.multiselect else []
    lines = [f"{q.name} ({', '.join(flags)})"]
    lines += [f"    {q.help}"] if q.help else []
    if q.choices:
        shown = [
            c.label if c.label == str(c.value) else f"{c.value} ({c.label})" for c in q.choices
        ]
        lines.append(f"    choices: {', '.join(shown)}")
    if not q.required:
        lines.append(f"    default: {_scalar(q.default)}")
    if q.when is False:
        lines.append("    not asked (computed from the other answers)")
    elif q.when is not True:
        lines.append(f"    asked when: {q.when}")
    return lines


def _scalar(value: Any) -> str:
    """A default as the user would type it (YAML flow style for lists and mappings)."""
    import yaml

    if isinstance(value, str):
        return value if value.strip() else repr(value)
    return yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("\n...")
