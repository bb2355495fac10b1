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


def read_meta(template_dir: Path) -> TemplateMeta:
    """Read copier.yml's `_dlgen` block without copier; a cookiecutter.json gives questions only."""
    for name in ("copier.yml", "copier.yaml"):
        path = template_dir / name
        if path.is_file():
            break
    else:
        cookiecutter_json = template_dir / "cookiecutter.json"
        if cookiecutter_json.is_file():
            import json

            keys = json.loads(cookiecutter_json.read_text(encoding="utf-8"))
            return TemplateMeta(None, "", {}, tuple(k for k in keys if not k.startswith("_")))
        raise InputError(f"{template_dir} is not a template: no copier.yml or cookiecutter.json")
    text = path.read_text(encoding="utf-8")
    # Only the `_dlgen:` block is needed; copier-specific tags like !include are not resolved here.
    import yaml

    data = yaml.load(text, Loader=_meta_loader()) or {}  # noqa: S506
    meta = data.get("_dlgen") if isinstance(data, dict) else None
    meta = meta if isinstance(meta, dict) else {}
    version = meta.get("version")
    questions = tuple(k for k in data if isinstance(k, str) and not k.startswith("_"))
    description = str(meta.get("description", ""))
    return TemplateMeta(None if version is None else str(version), description, meta, questions)


@dataclass(frozen=True)
class Source:
    """A template ready to render from a local directory."""

    spec: str  # as recorded in .dlgen.yml: bundled name, URL, or path
    path: Path  # local directory holding copier.yml
    version: str
    commit: str | None
    bundled: bool
    name: str  # bundled template name (for hooks), else the directory/repo name


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


def _export(repo: Path, ref: str, dst: Path) -> None:
    """Write the tree of `ref` into `dst` (no .git): a clean, versioned template snapshot."""
    import tarfile
    from io import BytesIO

    data = git.git_bytes(["archive", "--format=tar", ref], repo)
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        tar.extractall(dst, filter="tar")


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
                raise InputError(f"cannot clone template {url!r}: {e}") from e
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
        yield Source(spec, export / subdir, version, commit, False, name)


@contextmanager
def resolve(spec: str, ref: str | None = None, *, base: Path | None = None) -> Iterator[Source]:
    """Resolve a --template value (NAME, PATH or URL, optionally @REF) to a renderable Source.

    `base` resolves relative paths (a project's root when re-reading its recorded template).
    """
    source, at = split_ref(spec)
    ref = ref or at
    if source in bundled_names() and "/" not in source:
        if ref is not None:
            raise InputError(f"bundled template {source!r} has one version; drop '@{ref}'")
        path = bundled_root() / "templates" / source
        version = read_meta(path).version or "0"
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
    yield Source(source, path, meta.version or "0", None, False, path.name)
