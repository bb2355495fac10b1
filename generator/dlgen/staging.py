"""The staging directory of `dlgen new`: made beside the destination (same file system), named
and marked with this process, removed whatever happens, renamed into place at the end; and the
ones a killed run left behind, found and removed."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dlgen.errors import UnsafeStateError

_STAGING_PREFIX = ".dlgen-new-"
# .dlgen-new-<name>-<pid>-<mkdtemp suffix>; the marker inside names the host and pid again.
_STAGING = re.compile(rf"{re.escape(_STAGING_PREFIX)}.*-(?P<pid>[0-9]+)-[a-z0-9_]{{8}}")
_MARKER = ".dlgen-staging"


def anchor_of(dst: Path) -> Path:
    """The nearest existing directory at or above dst's parent: where staging happens."""
    anchor = dst.parent
    while not anchor.exists():
        anchor = anchor.parent
    return anchor


@contextmanager
def directory(dst: Path) -> Iterator[Path]:
    """A render directory on the destination's filesystem, removed whatever happens.

    Its name carries this process's id, and a marker file inside names host and pid, so that a
    later `dlgen new` can tell a directory left by a killed run (SIGKILL, power loss) from one
    that is still in use.
    """
    anchor = anchor_of(dst)
    prefix = f"{_STAGING_PREFIX}{dst.name[:40]}-{os.getpid()}-"
    try:
        tmp = Path(tempfile.mkdtemp(prefix=prefix, dir=anchor))
    except OSError as e:
        raise UnsafeStateError(
            f"cannot create {dst}: making a directory in {anchor} failed: {e.strerror}"
        ) from e
    try:
        (tmp / _MARKER).write_text(f"{os.uname().nodename} {os.getpid()}\n", encoding="utf-8")
        yield tmp / dst.name
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def remove_dead(anchor: Path) -> list[str]:
    """Remove staging directories a killed `dlgen new` left in `anchor`; say which.

    Only a directory (not a link) named `.dlgen-new-<name>-<pid>-XXXXXXXX`, owned by this user,
    holding dlgen's marker with this host's name and that pid, whose process is gone.
    """
    removed = []
    host = os.uname().nodename
    try:
        entries = list(os.scandir(anchor))
    except OSError:
        return []
    for entry in entries:
        match = _STAGING.fullmatch(entry.name)
        if match is None or not entry.is_dir(follow_symlinks=False):
            continue
        pid = int(match["pid"])
        try:
            owner = entry.stat(follow_symlinks=False).st_uid
            marker = Path(entry.path, _MARKER).read_text(encoding="utf-8").split()
        except (OSError, UnicodeDecodeError):
            continue
        if owner != os.getuid() or marker != [host, str(pid)] or _alive(pid):
            continue
        shutil.rmtree(entry.path, ignore_errors=True)
        removed.append(
            f"removed {Path(anchor, entry.name)}/, left by an interrupted dlgen new "
            f"(process {pid} is gone)"
        )
    return removed


def move_into_place(out: Path, dst: Path) -> None:
    """Rename the render to `dst`; an existing (empty) `dst` keeps its inode, so a shell inside it
    stays valid."""
    if not dst.is_dir():
        dst.parent.mkdir(parents=True, exist_ok=True)
        out.rename(dst)
        return
    for child in out.iterdir():
        child.rename(dst / child.name)


def take_back(dst: Path, existed: bool) -> None:
    """Undo `move_into_place` after a later step failed: `dst` removed, or, when it existed
    (empty) before, emptied again."""
    if not existed:
        shutil.rmtree(dst, ignore_errors=True)
        return
    for child in dst.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)
