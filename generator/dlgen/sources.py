"""Where a template comes from: bundled with dlgen, a local directory, or a git repository or URL
at a ref, exported verbatim into a temporary directory; `resolve` yields it as a `Source`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from dlgen import git, githistory, gitobjects
from dlgen.errors import InputError, InternalError, ProcessError
from dlgen.template import Template

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
    """`SOURCE@REF` -> (SOURCE, REF), split at the last '@' (a ref may hold '/': `@release/v3`).

    An '@' of user@host is no ref: scp-like `git@host:path` (a ':' follows it) and a URL's
    `scheme://user@host/...` (no path before it); nor is one in an existing directory's name.
    """
    head, sep, tail = spec.rpartition("@")
    if not (sep and head and tail) or ":" in tail or Path(spec).is_dir():
        return spec, None
    _scheme, colon, rest = head.partition("://")
    if colon and "/" not in rest:  # `https://user@host/repo`: the '@' ends the user
        return spec, None
    return head, tail


def is_url(spec: str) -> bool:
    """Whether `spec` names a remote (or file://) git repository."""
    return spec.startswith(_URL_PREFIXES) or bool(_SCP_LIKE.fullmatch(spec))


def newest_version_tag(repo: Path) -> str | None:
    """The highest version-like tag of `repo`, or None."""
    return next((t for t in githistory.tags_newest_first(repo) if _VERSION_TAG.fullmatch(t)), None)


def _clone_error(e: ProcessError) -> str:
    """git's meaningful line ("repository not found"), not its closing advice."""
    lines = [ln.strip() for ln in e.stderr.splitlines() if ln.strip()]
    for line in lines:
        if line.lower().startswith(("fatal:", "error:", "remote: repository not found")):
            return line
    return lines[0] if lines else str(e)


def _is_tag(ref: str, repo: Path) -> bool:
    """Whether `ref` names a tag of `repo`: recorded as it is. A branch or a commit id is
    recorded as `git describe --tags` output (`v1.2-3-gabc1234`), as copier records `_commit`,
    so a commit id is never read as a version number."""
    return githistory.rev_parse(f"refs/tags/{ref}", repo) is not None


@contextmanager
def _from_git(spec: str, url: str, ref: str | None, subdir: str = "") -> Iterator[Source]:
    """Clone `url`, export `ref` (default: newest version tag, else HEAD), yield it as a Source."""
    import tempfile  # lazy: `dlgen check` imports this module for bundled_names()

    with tempfile.TemporaryDirectory(prefix="dlgen-tpl-") as tmp:
        clone = Path(url)
        if not clone.is_dir():  # a local repository is read in place; others are cloned
            clone = Path(tmp) / "repo"
            try:
                git.clone_no_checkout(url, clone)
            except ProcessError as e:
                raise InputError(f"cannot clone template {url!r}: {_clone_error(e)}") from e
        ref = ref or newest_version_tag(clone) or "HEAD"
        commit = githistory.rev_parse(f"{ref}^{{commit}}", clone) or githistory.rev_parse(
            f"origin/{ref}^{{commit}}", clone
        )
        if commit is None:
            raise InputError(f"template {url!r} has no tag, branch or commit {ref!r}")
        export = Path(tmp) / "export"
        gitobjects.export_commit(clone, commit, export)
        if not (export / subdir).is_dir():
            raise InputError(f"template {spec!r} does not exist at {ref!r}")
        version = ref if _is_tag(ref, clone) else githistory.describe_tags(commit, clone)
        name = Path(subdir or url.rstrip("/")).name.removesuffix(".git")
        origin = url if not Path(url).is_dir() else str(Path(url).resolve() / subdir)
        yield Source(spec, export / subdir, version, commit, False, name, origin.rstrip("/"))


def mirrored(url: str) -> Path:
    """The git template at `url`, fetched now into a bare mirror under the user's cache dir
    ($XDG_CACHE_HOME/dlgen/templates): its tags are the releases. Unreachable: exit 70 naming
    the URL, since its newest release is then unknown."""
    import hashlib
    import os

    plain = url.removeprefix("git+")
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    name = plain.rstrip("/").rpartition("/")[2].removesuffix(".git") or "template"
    digest = hashlib.sha256(plain.rstrip("/").encode()).hexdigest()[:16]
    dst = cache / "dlgen" / "templates" / f"{name}-{digest}.git"
    fresh = not dst.exists()
    try:
        git.mirror(plain, dst)
    except ProcessError as e:
        if fresh:  # nothing fetched: no empty mirror left behind
            import shutil

            shutil.rmtree(dst, ignore_errors=True)
        raise InternalError(
            f"cannot fetch template {url}: {_clone_error(e)}; its newest release is unknown"
        ) from e
    return dst


@contextmanager
def resolve(spec: str, ref: str | None = None, *, base: Path | None = None) -> Iterator[Source]:
    """Resolve a --template value (NAME, PATH or URL, optionally @REF) to a renderable Source.

    `base` resolves relative paths (a project's root when re-reading its recorded template).
    """
    source, at = split_ref(spec)
    ref = ref or at
    if source in bundled_names() and "/" not in source:
        path = bundled_root() / "templates" / source
        version = Template.version_of(path) or "0"
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
    if git.is_bare(path):  # a forge's copy or a mirror: read in place, as a clone is
        with _from_git(source, str(path), ref) as src:
            yield src
        return
    top = git.toplevel(path)
    committed = top is not None and githistory.rev_parse("HEAD", top) is not None
    # A repository root is a git source; a folder inside one is, when a ref is asked for
    # (copier silently ignores --vcs-ref there): the repository's tags are not its versions.
    if top is not None and committed and (top == path or ref is not None):
        with _from_git(source, str(top), ref, path.relative_to(top).as_posix()) as src:
            yield src
        return
    if ref is not None:
        raise InputError(f"template {source!r} is not in a git repository; it has no ref {ref!r}")
    yield Source(source, path, Template.version_of(path) or "0", None, False, path.name, str(path))
