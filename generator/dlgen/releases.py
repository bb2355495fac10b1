"""The newest release of each template, offline unless a URL is given: the bundled
template's version, a local template's newest version tag (or `_dlgen.version`), and the newest
tag of a template given with `--template [SOURCE=]CLONE|BARE|URL` (a clone or a bare repository
read in place, a URL fetched into the user's cache first; matched by its path, its remote URLs or
SOURCE), with that release's policy (`min_version`, `max_lag`) so that raising the floor reaches
projects still on older releases. `dlgen status` and `dlgen check --template` read it.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from dlgen import git, gitobjects, sources
from dlgen.answers import Policy
from dlgen.check_rules import Newest
from dlgen.errors import InputError, ProcessError
from dlgen.template import Template


def _normalize(spec: str) -> str:
    """A URL or path as a comparable key: no git+ or file:// prefix, no trailing / or .git."""
    spec = spec.removeprefix("git+")
    if spec.startswith("file://"):
        return str(Path(spec.removeprefix("file://")).resolve())
    return spec.rstrip("/").removesuffix(".git")


class Versions:
    """The newest version of each template, from what this machine has: no network."""

    def __init__(self, clones: Iterable[str]) -> None:
        self._newest: dict[str, str | None] = {}
        self._policy: dict[str, Policy | None] = {}  # a clone's newest release's policy
        self._clones: dict[str, Path] = {}  # a template's key -> the clone given for it
        for spec in clones:
            self._add_clone(spec)

    def _add_clone(self, spec: str) -> None:
        source, sep, given = spec.rpartition("=")
        top, keys = _repository(spec, given)
        newest = sources.newest_version_tag(top)
        policy = _release_policy(top, newest) if newest else None
        keys += [source] if sep else []
        self._newest.update({_normalize(k): newest for k in keys})
        self._policy.update({_normalize(k): policy for k in keys})
        self._clones.update({_normalize(k): top for k in keys})

    def clone_for(self, template: str, project: Path) -> Path | None:
        """The clone given with --template for the template a project records, if any."""
        key = template if sources.is_url(template) else str((project / template).resolve())
        return self._clones.get(_normalize(key))

    def release(self, template: str, project: Path) -> Newest:
        """`newest` and, for a clone given with --template, its newest release's policy."""
        version = self.newest(template, project)
        key = _normalize(template) if sources.is_url(template) else None
        if key is None and "/" in template:
            key = str((project / template).resolve())
            if key not in self._policy:  # a local git template: read its newest tag's policy
                top = git.toplevel(Path(key)) if Path(key).is_dir() else None
                at_root = top is not None and top.resolve() == Path(key)
                self._policy[key] = (
                    _release_policy(Path(key), version) if at_root and version else None
                )
        return Newest(version, self._policy.get(key) if key else None)

    def newest(self, template: str, project: Path) -> str | None:
        """The newest version of the template recorded as `template` by the project `project`."""
        if "/" not in template and template in sources.bundled_names():
            key = f"bundled:{template}"
            if key not in self._newest:
                path = sources.bundled_root() / "templates" / template
                self._newest[key] = Template.version_of(path)
            return self._newest[key]
        if sources.is_url(template):
            return self._newest.get(_normalize(template))  # only a clone given with --template
        key = str((project / template).resolve())
        if key not in self._newest:
            self._newest[key] = _local_newest(Path(key))
        return self._newest[key]


def _repository(spec: str, given: str) -> tuple[Path, list[str]]:
    """The repository holding the template given with --template, and the names a project's
    record may give it: a clone's work tree or a bare repository, read in place; a git URL,
    fetched into the user's cache (`sources.mirrored`; unreachable: exit 70)."""
    if sources.is_url(given):
        return sources.mirrored(given), [given]
    path = Path(given)
    top = git.toplevel(path) if path.is_dir() else None
    if top is None and path.is_dir() and git.is_bare(path):
        top = path
    if top is None:
        raise InputError(
            f"--template {spec}: {given} is not a local git clone of a template, a bare "
            "repository or a git URL"
        )
    return top, [str(top.resolve()), *git.remote_urls(top)]


def _release_policy(top: Path, tag: str) -> Policy | None:
    """The `_dlgen` policy of the template at `tag` of the clone `top` (copier.yml at its root);
    None when that release has none dlgen can read."""
    import tempfile

    for name in ("copier.yml", "copier.yaml"):
        try:
            text = gitobjects.show_file(tag, name, top)
        except ProcessError:
            continue
        with tempfile.TemporaryDirectory(prefix="dlgen-policy-") as tmp:
            (Path(tmp) / name).write_bytes(text)
            try:
                return Template.load(Path(tmp)).policy(f"{name} at {tag}")
            except InputError:
                return None
    return None


def _local_newest(path: Path) -> str | None:
    """As `sources.resolve` reads it: a repository root by its tags, a folder by `_dlgen`."""
    if not path.is_dir():
        return None
    top = git.toplevel(path)
    if top is not None and top.resolve() == path:
        return sources.newest_version_tag(top)
    try:
        return Template.version_of(path)
    except InputError:
        return None
