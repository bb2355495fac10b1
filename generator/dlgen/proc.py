"""The one subprocess helper: argument lists only, no shell, errors carry the command and output."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from dlgen.errors import ProcessError


def run(
    cmd: list[str],
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    *,
    check: bool = True,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `cmd` capturing text output; raise ProcessError on a non-zero exit when `check`."""
    try:
        proc = subprocess.run(
            cmd,
            cwd=cwd,
            env=dict(env) if env is not None else None,
            input=stdin,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="surrogateescape",
            check=False,
        )
    except FileNotFoundError as e:
        raise ProcessError(cmd, 127, "", f"{cmd[0]}: command not found") from e
    if check and proc.returncode != 0:
        raise ProcessError(cmd, proc.returncode, proc.stdout, proc.stderr)
    return proc


def run_bytes(
    cmd: list[str], cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> bytes:
    """Run `cmd` and return its raw stdout (blobs, archives); raise ProcessError on failure."""
    try:
        proc = subprocess.run(
            cmd,
            cwd=cwd,
            env=dict(env) if env is not None else None,
            capture_output=True,
            check=False,
        )
    except FileNotFoundError as e:
        raise ProcessError(cmd, 127, "", f"{cmd[0]}: command not found") from e
    if proc.returncode != 0:
        raise ProcessError(
            cmd,
            proc.returncode,
            proc.stdout.decode(errors="replace"),
            proc.stderr.decode(errors="replace"),
        )
    return proc.stdout


@contextmanager
def background(cmd: list[str], cwd: Path) -> Iterator[subprocess.Popen[bytes] | None]:
    """Start `cmd` and yield it (None if it cannot start); killed if still running on an error."""
    try:
        child = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except OSError:
        yield None
        return
    try:
        yield child
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()
