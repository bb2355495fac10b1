"""Template discovery: bundled templates, local directories and git repositories (at a ref)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from dlgen import git
from dlgen.errors import InputError, ProcessError

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs `dlgen check` ~3 ms
if TYPE_CHECKING:
    from typing import Any

_HERE = Path(__file__).resolve().parent
_VERSION_TAG = re.compile(r"v?\d+(\.\d+)*([.-]?(a|b|rc|post|dev)\d*)?")
_URL_PREFIXES = ("git+", "https://", "http://", "ssh://", "git://", "file://")
_SCP_LIKE = re.compile(r"[\w.-]+@[\w.-]+:.+")


def bundled_root() -> Path:
    """The folder holding templates/ and hooks/: inside the wheel, or the source checkout."""
    for root in (_HERE / "_bundled", _HERE.parent.parent):
        if (root / "templates").is_dir():
            return root
    raise FileNotFoundError(f"bundled templates not found near {_HERE}")  # a broken install


def bundled_names() -> list[str]:
    """Names of the bundled templates."""
    root = bundled_root() / "templates"
    return sorted(p.name for p in root.iterdir() if (p / "copier.yml").is_file())


@cache
def _meta_loader() -> Any:
    """SafeLoader that reads copier's custom tags (!include) as nulls (PyYAML is imported here:
    `dlgen check` imports this module and must start fast)."""
    import yaml

    class MetaLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
        pass

    MetaLoader.add_multi_constructor("!", lambda _loader, _suffix, _node: None)
    return MetaLoader


@dataclass(frozen=True)
class TemplateMeta:
    """The `_dlgen` block of a template's copier.yml (all optional for external templates)."""

    version: str | None
    description: str
    raw: dict[str, Any]
    questions: tuple[str, ...]
    computed: tuple[str, ...] = ()  # copier questions with `when: false`: never answerable


def flavours(template_dir: Path) -> tuple[str, ...]:
    """The template languages `template_dir` speaks: copier, cookiecutter, or both."""
    found = []
    if any((template_dir / n).is_file() for n in ("copier.yml", "copier.yaml")):
        found.append("copier")
    if (template_dir / "cookiecutter.json").is_file():
        found.append("cookiecutter")
    return tuple(found)


def pick_flavour(template_dir: Path, flavour: str | None) -> str:
    """The flavour to render: the one asked for (it must exist), else copier, else cookiecutter."""
    found = flavours(template_dir)
    if not found:
        raise InputError(f"{template_dir} is not a template: no copier.yml or cookiecutter.json")
    if flavour is None:
        return found[0]
    if flavour not in found:
        raise InputError(
            f"--flavour {flavour}: the template has no "
            f"{'copier.yml' if flavour == 'copier' else 'cookiecutter.json'}"
        )
    return flavour


def _computed(question: Any) -> bool:
    when = question.get("when") if isinstance(question, dict) else None
    return when is False or (isinstance(when, str) and when.strip().lower() in {"false", "no"})


def read_meta(template_dir: Path, flavour: str | None = None) -> TemplateMeta:
    """Read copier.yml's `_dlgen` block without copier; a cookiecutter.json gives questions only."""
    import json

    import yaml

    if pick_flavour(template_dir, flavour) == "cookiecutter":
        cookiecutter_json = template_dir / "cookiecutter.json"
        keys = json.loads(cookiecutter_json.read_text(encoding="utf-8"))
        return TemplateMeta(None, "", {}, tuple(k for k in keys if not k.startswith("_")))
    path = template_dir / "copier.yml"
    if not path.is_file():
        path = template_dir / "copier.yaml"
    text = path.read_text(encoding="utf-8")
    # Only the `_dlgen:` block is needed; copier-specific tags like !include are not resolved here.
    data = yaml.load(text, Loader=_meta_loader()) or {}  # noqa: S506
    data = data if isinstance(data, dict) else {}
    meta = data.get("_dlgen")
    meta = meta if isinstance(meta, dict) else {}
    version = meta.get("version")
    questions = tuple(k for k in data if isinstance(k, str) and not k.startswith("_"))
    computed = tuple(k for k in questions if _computed(data[k]))
    description = str(meta.get("description", ""))
    return TemplateMeta(
        None if version is None else str(version), description, meta, questions, computed
    )


@dataclass(frozen=True)
class Source:
    """A template ready to render from a local directory."""

    spec: str  # as recorded in .dlgen.yml: bundled name, URL, or path
    path: Path  # local directory holding copier.yml
    version: str
    commit: str | None
    bundled: bool
    name: str  # bundled template name (for hooks), else the directory/repo name
    origin: str = ""  # where it comes from, as copier's `trust` setting matches it: URL or path


def split_ref(spec: str) -> tuple[str, str | None]:
    """`SOURCE@REF` -> (SOURCE, REF); an '@' inside user@host is not a ref."""
    head, sep, tail = spec.rpartition("@")
    if sep and head and tail and "/" not in tail and ":" not in tail:
        return head, tail
    return spec, None


def is_url(spec: str) -> bool:
    """Whether `spec` names a remote (or file://) git repository."""
    return spec.startswith(_URL_PREFIXES) or bool(_SCP_LIKE.fullmatch(spec))


def newest_version_tag(repo: Path) -> str | None:
    """The highest version-like tag of `repo`, or None."""
    tags = git.git(["tag", "--list", "--sort=-v:refname"], repo).split()
    return next((t for t in tags if _VERSION_TAG.fullmatch(t)), None)


def _export(repo: Path, commit: str, dst: Path) -> None:
    """Write the tree of `commit` into `dst` (no .git) as a checkout would: a clean, versioned
    template snapshot.

    Not `git archive`: it applies the template repository's `export-subst` and `export-ignore`
    attributes, which are meant for the generated project (copier and cruft clone, so
    `.git_archival.txt` keeps its `$Format:%H$` and an export-ignored `tests/` stays).
    """
    index = {"GIT_INDEX_FILE": str(dst.parent / f".{dst.name}.index")}
    git.git(["read-tree", commit], repo, env=index)
    git.git(["checkout-index", "--all", "--force", f"--prefix={dst}/"], repo, env=index)
    Path(index["GIT_INDEX_FILE"]).unlink()


def _clone_error(e: ProcessError) -> str:
    """git's meaningful line ("repository not found"), not its closing advice."""
    lines = [ln.strip() for ln in e.stderr.splitlines() if ln.strip()]
    for line in lines:
        if line.lower().startswith(("fatal:", "error:", "remote: repository not found")):
            return line
    return lines[0] if lines else str(e)


def _describe(repo: Path, commit: str) -> str:
    return git.git(["describe", "--tags", "--always", commit], repo).strip()


@contextmanager
def _from_git(spec: str, url: str, ref: str | None, subdir: str = "") -> Iterator[Source]:
    """Clone `url`, export `ref` (default: newest version tag, else HEAD), yield it as a Source."""
    import tempfile  # lazy, like tarfile: `dlgen check` imports this module for bundled_names()

    with tempfile.TemporaryDirectory(prefix="dlgen-tpl-") as tmp:
        clone = Path(url)
        if not clone.is_dir():  # a local repository is read in place; others are cloned
            clone = Path(tmp) / "repo"
            try:
                git.git(["clone", "--quiet", "--no-checkout", "--", url, str(clone)], Path(tmp))
            except ProcessError as e:
                raise InputError(f"cannot clone template {url!r}: {_clone_error(e)}") from e
        ref = ref or newest_version_tag(clone) or "HEAD"
        commit = git.rev_parse(f"{ref}^{{commit}}", clone) or git.rev_parse(
            f"origin/{ref}^{{commit}}", clone
        )
        if commit is None:
            raise InputError(f"template {url!r} has no tag, branch or commit {ref!r}")
        export = Path(tmp) / "export"
        _export(clone, commit, export)
        if not (export / subdir).is_dir():
            raise InputError(f"template {spec!r} does not exist at {ref!r}")
        version = ref if ref != "HEAD" else _describe(clone, commit)
        name = Path(subdir or url.rstrip("/")).name.removesuffix(".git")
        origin = url if not Path(url).is_dir() else str(Path(url).resolve() / subdir)
        yield Source(spec, export / subdir, version, commit, False, name, origin.rstrip("/"))


@contextmanager
def resolve(spec: str, ref: str | None = None, *, base: Path | None = None) -> Iterator[Source]:
    """Resolve a --template value (NAME, PATH or URL, optionally @REF) to a renderable Source.

    `base` resolves relative paths (a project's root when re-reading its recorded template).
    """
    source, at = split_ref(spec)
    ref = ref or at
    if source in bundled_names() and "/" not in source:
        path = bundled_root() / "templates" / source
        version = read_meta(path).version or "0"
        if ref is not None and ref.removeprefix("v") != version:
            raise InputError(
                f"version {ref!r} of bundled template {source!r} not found: this dlgen bundles "
                f"only {version} (other versions come with other dlgen releases)"
            )
        yield Source(source, path, version, None, True, source)
        return
    if is_url(source):
        with _from_git(source, source.removeprefix("git+"), ref) as src:
            yield src
        return
    path = (base / source if base and not Path(source).is_absolute() else Path(source)).resolve()
    if not path.is_dir():
        known = ", ".join(bundled_names())
        raise InputError(
            f"template {source!r} is neither a bundled template ({known}), "
            "a directory, nor a git URL"
        )
    top = git.toplevel(path)
    committed = top is not None and git.rev_parse("HEAD", top) is not None
    # A repository root is a git source; a folder inside one is, when a ref is asked for
    # (copier silently ignores --vcs-ref there): the repository's tags are not its versions.
    if top is not None and committed and (top == path or ref is not None):
        with _from_git(source, str(top), ref, path.relative_to(top).as_posix()) as src:
            yield src
        return
    if ref is not None:
        raise InputError(f"template {source!r} is not in a git repository; it has no ref {ref!r}")
    meta = read_meta(path)
    yield Source(source, path, meta.version or "0", None, False, path.name, str(path))


# --- what a template asks and enforces, read without rendering (`dlgen templates [T]`) ----------

_COPIER_TYPES = ("bool", "float", "int", "json", "str", "yaml")
_QUESTION_KEYS = ("type", "help", "choices", "default", "multiselect", "secret", "when")


@dataclass(frozen=True)
class Choice:
    """One allowed answer: what the questionnaire shows and what the answer becomes."""

    label: str
    value: Any


@dataclass(frozen=True)
class Question:
    """One question as the template declares it; Jinja in defaults and `when` is not rendered."""

    name: str
    type: str
    help: str
    choices: tuple[Choice, ...] = ()
    default: Any = None
    required: bool = False  # no default: `--defaults` cannot answer it
    multiselect: bool = False
    secret: bool = False
    when: bool | str = True  # False: computed, never asked; a string: a Jinja condition

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping (see `dlgen templates T --format json`)."""
        data = {k: getattr(self, k) for k in ("name", "type", "help")}
        data["choices"] = [{"label": c.label, "value": c.value} for c in self.choices]
        data.update({k: getattr(self, k) for k in ("default", "required", "multiselect")})
        data.update(secret=self.secret, when=self.when)
        return data


def _copier_type(declared: Any, spec: dict[str, Any]) -> str:
    """copier's rule: the declared type, else the default's Python type, else yaml."""
    if declared:
        return str(declared)
    name = type(spec["default"]).__name__ if "default" in spec else ""
    return name if name in _COPIER_TYPES else "yaml"


def _choices(raw: Any) -> tuple[Choice, ...]:
    """copier's choices: a list of values or [label, value] pairs, or a label -> value mapping."""
    if isinstance(raw, dict):
        pairs = list(raw.items())
    elif isinstance(raw, list):
        pairs = [tuple(c) if isinstance(c, list) and len(c) == 2 else (c, c) for c in raw]
    else:
        pairs = [] if raw is None else [(raw, raw)]  # a Jinja string renders to the list
    return tuple(
        Choice(str(label), value.get("value") if isinstance(value, dict) else value)
        for label, value in pairs
    )


def _copier_question(name: str, spec: Any) -> Question:
    if not isinstance(spec, dict) or not set(spec) & set(_QUESTION_KEYS):
        spec = {"default": spec}  # copier's shorthand `name: default`
    when = spec.get("when", True)
    return Question(
        name=name,
        type=_copier_type(spec.get("type"), spec),
        help=str(spec.get("help") or ""),
        choices=_choices(spec.get("choices")),
        default=spec.get("default"),
        required="default" not in spec,
        multiselect=bool(spec.get("multiselect", False)),
        secret=bool(spec.get("secret", False)),
        when=when if isinstance(when, bool) else str(when),
    )


def _cookiecutter_question(name: str, value: Any, prompt: Any) -> Question:
    if isinstance(prompt, dict):  # a choice question's prompts: {"__prompt__": ..., value: label}
        labels = {str(k): str(v) for k, v in prompt.items()}
        prompt = labels.pop("__prompt__", "")
    else:
        labels = {}
    if isinstance(value, list):
        choices = tuple(Choice(labels.get(str(v), str(v)), v) for v in value)
        return Question(name, "str", str(prompt or ""), choices, value[0] if value else None)
    kind = "bool" if isinstance(value, bool) else "json" if isinstance(value, dict) else "str"
    return Question(name, kind, str(prompt or ""), (), value)


def read_questions(template_dir: Path, flavour: str | None = None) -> tuple[Question, ...]:
    """The questions of a copier (or cookiecutter) template in their order, without rendering.

    The one reader of questions: `dlgen templates T` shows them, `dlgen new` finds the unanswered
    ones (`questions.read`). `flavour` picks one of a template that has both files.
    """
    import json

    import yaml

    copier_first = not flavours(template_dir) or pick_flavour(template_dir, flavour) == "copier"
    for name in ("copier.yml", "copier.yaml") if copier_first else ():
        path = template_dir / name
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            data: dict[str, Any] = {}
            try:
                for doc in yaml.load_all(text, Loader=_meta_loader()):  # copier merges documents
                    data.update(doc if isinstance(doc, dict) else {})
            except yaml.YAMLError as e:
                raise InputError(f"{path} is not valid YAML: {e}") from e
            return tuple(
                _copier_question(k, v)
                for k, v in data.items()
                if isinstance(k, str) and not k.startswith("_")
            )
    path = template_dir / "cookiecutter.json"
    if not path.is_file():
        raise InputError(f"{template_dir} is not a template: no copier.yml or cookiecutter.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    prompts = data.get("__prompts__") or {}
    return tuple(
        _cookiecutter_question(k, v, prompts.get(k))
        for k, v in data.items()
        if not k.startswith("_")
    )


def policy_of(meta: TemplateMeta, where: str) -> dict[str, Any]:
    """The template's policy as `.dlgen.yml` will carry it: file lists and version rules."""
    from dlgen.answers import policy_from_meta

    policy = policy_from_meta(meta.raw, where)
    return {
        "enforced": list(policy.enforced),
        "superset": list(policy.superset),
        # `locked` (files a project may never ignore) may be missing from an older Policy.
        "locked": list(getattr(policy, "locked", ()) or meta.raw.get("locked") or ()),
        "create_only": list(policy.create_only),
        "min_version": policy.min_version,
        "max_lag": policy.max_lag,
    }


def describe(name: str, template_dir: Path, version: str | None = None) -> dict[str, Any]:
    """Name, version, description and policy of the template at `template_dir` (JSON-ready)."""
    meta = read_meta(template_dir)
    return {
        "name": name,
        "version": version or meta.version,
        "description": meta.description,
        "policy": policy_of(meta, f"{name} copier.yml _dlgen"),
    }


def catalog() -> list[dict[str, Any]]:
    """Every bundled template, described."""
    root = bundled_root() / "templates"
    return [describe(n, root / n) for n in bundled_names()]


def questions_text(info: dict[str, Any], questions: tuple[Question, ...]) -> str:
    """`dlgen templates T`: a header, each question with its type, help, choices and default."""
    head = f"{info['name']} {info['version'] or '-'}"
    lines = [f"{head}: {info['description']}" if info["description"] else head, ""]
    for q in questions:
        flags = [q.type, *(["required"] if q.required else []), *(["secret"] if q.secret else [])]
        flags += ["several choices"] if q.multiselect else []
        lines.append(f"{q.name} ({', '.join(flags)})")
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
    lines.append("")
    policy = info["policy"]
    for key in ("enforced", "superset", "locked", "create_only"):
        lines.append(f"{key}: {', '.join(policy[key]) or '-'}")
    for key in ("min_version", "max_lag"):
        lines.append(f"{key}: {'-' if policy[key] is None else policy[key]}")
    return "\n".join(lines)


def _scalar(value: Any) -> str:
    """A default as the user would type it (YAML flow style for lists and mappings)."""
    import yaml

    if isinstance(value, str):
        return value if value.strip() else repr(value)
    return yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("\n...")
