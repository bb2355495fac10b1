"""--data-file: plain answers, a project's `.dlgen.yml` (replay), or copier's answers file."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from dlgen import answers, sources
from dlgen.errors import InputError

# Answers a replayed project's record does not pass on: they name the project it came from.
_PROJECT_ANSWERS = ("project_name", "package_name")
# Versions that name one commit for good: a version tag, `git describe` output, a commit id.
_FIXED = re.compile(r"v?\d+(\.\d+)*\S*|.+-\d+-g[0-9a-f]{4,}|[0-9a-f]{7,40}")


@dataclass(frozen=True)
class DataFile:
    """Answers from --data-file: plain answers, a project's `.dlgen.yml`, or a copier answers file.

    From a project's record (a replay), `template` is the recorded template at its recorded
    version, and the answers that name the old project are left out.
    """

    answers: dict[str, Any]
    template: str | None = None
    version: str | None = None
    replay: bool = False


def read(path: Path) -> DataFile:
    """Read --data-file: a mapping of answers, a project's `.dlgen.yml`, or copier's answers."""
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise InputError(f"cannot read --data-file {path}: {e}") from e
    if not isinstance(loaded, dict) or not all(isinstance(k, str) for k in loaded):
        raise InputError(f"--data-file {path} must hold a mapping of KEY: VALUE")
    if isinstance(loaded.get("answers"), dict) and "template" in loaded:
        record = answers.from_mapping(loaded, str(path))
        kept = {k: v for k, v in record.answers.items() if k not in _PROJECT_ANSWERS}
        spec = _from_here(record.template, path.parent)
        ref = _ref(record.template_version, record.template_commit)
        return DataFile(kept, f"{spec}@{ref}" if ref else spec, record.template_version, True)
    if "_src_path" in loaded or "_commit" in loaded:  # copier's .copier-answers.yml
        kept = {k: v for k, v in loaded.items() if k[:1] != "_" and k not in _PROJECT_ANSWERS}
        src, commit = loaded.get("_src_path"), loaded.get("_commit")
        if not src:
            return DataFile(kept, None, None, True)
        src_spec = _from_here(str(src), path.parent)
        return DataFile(kept, f"{src_spec}@{commit}" if commit else src_spec, None, True)
    return DataFile(dict(loaded))


def _from_here(spec: str, record_dir: Path) -> str:
    """A recorded template source as the current directory sees it (records hold paths relative
    to their project)."""
    if spec in sources.bundled_names() or sources.is_url(spec) or Path(spec).is_absolute():
        return spec
    return os.path.relpath(os.path.normpath(record_dir.absolute() / spec))


def _ref(version: str, commit: str | None) -> str | None:
    """The ref that renders the recorded commit again: the recorded version when it names one
    commit for good, else the commit itself (a branch has moved on); None for non-git sources."""
    if commit is None:
        return None
    return version if _FIXED.fullmatch(version) else commit
