"""Structural comparison of the YAML files a template owns but a project may extend.

A project may add hooks to `.pre-commit-config.yaml` and jobs to its CI files; it may not remove or
change the template's own. Comparing lines cannot tell the two apart (YAML order and indentation
matter), so these files are parsed and compared item by item:

- pre-commit: every hook of the pristine render is still there, unchanged, under a `repos:` entry
  with the same `repo` and `rev`;
- GitHub workflows and `.gitlab-ci.yml`: every job of the pristine render is still there,
  unchanged (steps, script, rules, ...);
- the files' own settings (`on:`, `permissions:`, `default:`, `default_install_hook_types:`, ...)
  are unchanged; `env:`/`variables:` may gain variables and GitLab's `stages:` may gain stages;
- a top-level key that would change what the template's items do (`exclude:` or `default_stages:`
  in pre-commit, `defaults:` in a workflow, `include:` or `workflow:` in GitLab) may not be added.

Only imported when an enforced file differs from its pristine render, so `dlgen check` on a clean
project never loads YAML for it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: `dlgen check` imports this module for kind()
if TYPE_CHECKING:
    from typing import Any

PRE_COMMIT, GITHUB, GITLAB = "pre-commit", "github", "gitlab"

# Top-level keys a project may add: they cannot change which of the template's items run, or how.
_ADDABLE = {
    PRE_COMMIT: {"ci", "minimum_pre_commit_version", "default_language_version", "fail_fast"},
    GITHUB: {"run-name"},
}
# GitLab's global keywords; any other top-level key is a job (or a hidden `.template`).
_GITLAB_GLOBAL = {
    "default",
    "include",
    "stages",
    "variables",
    "workflow",
    "image",
    "services",
    "cache",
    "before_script",
    "after_script",
    "spec",
}


def kind(path: str) -> str | None:
    """Which structure `path` has, or None for a file compared byte for byte."""
    name = path.rsplit("/", 1)[-1]
    if name == ".pre-commit-config.yaml":
        return PRE_COMMIT
    if name == ".gitlab-ci.yml":
        return GITLAB
    if path.startswith(".github/workflows/") and name.endswith((".yml", ".yaml")):
        return GITHUB
    return None


@cache
def _loader() -> Any:
    """Safe YAML that keeps unknown tags (GitLab's `!reference`) as (tag, value) pairs."""
    import yaml

    def tagged(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
        if isinstance(node, yaml.ScalarNode):
            return ("!" + suffix, loader.construct_scalar(node))
        if isinstance(node, yaml.SequenceNode):
            return ("!" + suffix, tuple(loader.construct_sequence(node, deep=True)))
        pairs = loader.construct_mapping(node, deep=True).items()  # type: ignore[arg-type]
        return ("!" + suffix, tuple(sorted(pairs)))

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", tagged)
    return Loader


def _load(text: bytes) -> dict[Any, Any]:
    import yaml

    data = yaml.load(text, Loader=_loader())  # noqa: S506 (a SafeLoader subclass)
    if not isinstance(data, dict):
        raise ValueError("the file is not a YAML mapping")
    return data


def _key(k: Any) -> str:
    return "on" if k is True else str(k)  # YAML 1.1 reads a workflow's `on:` as True


def deviations(kind_: str, pristine: bytes, current: bytes) -> list[str]:
    """What the project removed or changed of the template's items; [] when it only added."""
    import yaml

    base = _load(pristine)
    try:
        have = _load(current)
    except (yaml.YAMLError, ValueError) as e:
        mark = getattr(e, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        return [f"is not valid YAML{where}, so the template's items cannot be found"]
    compare: dict[str, Callable[[dict[Any, Any], dict[Any, Any]], list[str]]] = {
        PRE_COMMIT: _pre_commit,
        GITHUB: _github,
        GITLAB: _gitlab,
    }
    return compare[kind_](base, have)


def _settings(
    base: dict[Any, Any], have: dict[Any, Any], skip: set[Any], addable: set[str], what: str
) -> list[str]:
    """Top-level settings: the template's unchanged, added ones only from `addable`."""
    out = []
    for key, value in base.items():
        if key in skip:
            continue
        if key not in have:
            out.append(f"top-level `{_key(key)}` of the template is missing")
        elif have[key] != value:
            out.append(f"top-level `{_key(key)}` differs from the template's")
    out += [
        f"adds top-level `{_key(key)}`, which changes the template's {what}"
        for key in have
        if key not in base and key not in skip and _key(key) not in addable
    ]
    return out


def _extend_only(base: Any, have: Any, name: str) -> list[str]:
    """A mapping (env:, variables:) may gain entries; the template's keep their values."""
    if not isinstance(base, dict):
        return [] if have == base else [f"`{name}` differs from the template's"]
    if not isinstance(have, dict):
        return [f"`{name}` of the template is missing"]
    return [
        f"`{name}.{k}` of the template is missing"
        if k not in have
        else f"`{name}.{k}` differs from the template's"
        for k, v in base.items()
        if have.get(k, object()) != v
    ]


def _pre_commit(base: dict[Any, Any], have: dict[Any, Any]) -> list[str]:
    out = _settings(base, have, {"repos"}, _ADDABLE[PRE_COMMIT], "hooks")
    repos = [r for r in have.get("repos") or [] if isinstance(r, dict)]
    for repo in base.get("repos") or []:
        same = [
            r
            for r in repos
            if r.get("repo") == repo.get("repo") and r.get("rev") == repo.get("rev")
        ]
        hooks = [h for r in same for h in r.get("hooks") or [] if isinstance(h, dict)]
        for hook in repo.get("hooks") or []:
            if hook in hooks:
                continue
            hid = hook.get("id")
            state = (
                "differs from the template's"
                if any(h.get("id") == hid for h in hooks)
                else "is missing"
            )
            out.append(f"hook `{hid}` of the template {state}")
    return out


def _jobs(base: dict[Any, Any], have: dict[Any, Any]) -> list[str]:
    out = []
    for name, job in base.items():
        if have.get(name, object()) != job:
            state = "differs from the template's" if name in have else "is missing"
            out.append(f"job `{name}` of the template {state}")
    return out


def _github(base: dict[Any, Any], have: dict[Any, Any]) -> list[str]:
    out = _settings(base, have, {"jobs", "env"}, _ADDABLE[GITHUB], "jobs")
    out += _extend_only(base.get("env"), have.get("env"), "env") if "env" in base else []
    if "env" in have and "env" not in base:
        out.append("adds top-level `env`, which changes the template's jobs")
    jobs = have.get("jobs")
    return out + _jobs(base.get("jobs") or {}, jobs if isinstance(jobs, dict) else {})


def _gitlab(base: dict[Any, Any], have: dict[Any, Any]) -> list[str]:
    out: list[str] = []
    for key in ("stages", "variables"):
        if key in base:
            if key == "stages":
                out += _subsequence(base[key], have.get(key))
            else:
                out += _extend_only(base[key], have.get(key), key)
    base_jobs = {k: v for k, v in base.items() if k not in _GITLAB_GLOBAL}
    settings = {k: v for k, v in base.items() if k in _GITLAB_GLOBAL - {"stages", "variables"}}
    for key, value in settings.items():
        if have.get(key, object()) != value:
            state = "differs from the template's" if key in have else "of the template is missing"
            out.append(f"top-level `{key}` {state}")
    out += [
        f"adds top-level `{key}`, which changes the template's jobs"
        for key in have
        if key in _GITLAB_GLOBAL and key not in base
    ]
    return out + _jobs(base_jobs, {k: v for k, v in have.items() if k not in _GITLAB_GLOBAL})


def _subsequence(base: Any, have: Any) -> list[str]:
    """GitLab `stages:` may gain stages; the template's keep their order."""
    items = iter(have if isinstance(have, list) else [])
    if all(any(x == b for x in items) for b in base or []):
        return []
    return ["`stages` lost or reordered the template's stages"]
