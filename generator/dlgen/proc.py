"""The one subprocess helper: argument lists only, no shell, errors carry the command and output."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from dlgen.errors import ProcessError


def _spawn(
    cmd: list[str], cwd: Path | None, env: Mapping[str, str] | None, stdin: bytes | None
) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            cmd,
            cwd=cwd,
            env=dict(env) if env is not None else None,
            input=stdin,
            capture_output=True,
            check=False,
        )
    except FileNotFoundError as e:
        raise ProcessError(cmd, 127, "", f"{cmd[0]}: command not found") from e


def _text(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def run(
    cmd: list[str],
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    *,
    check: bool = True,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `cmd` capturing text output; raise ProcessError on a non-zero exit when `check`."""
    done = _spawn(
        cmd, cwd, env, None if stdin is None else stdin.encode("utf-8", "surrogateescape")
    )
    result = subprocess.CompletedProcess(
        cmd, done.returncode, _text(done.stdout), _text(done.stderr)
    )
    if check and result.returncode != 0:
        raise ProcessError(cmd, result.returncode, result.stdout, result.stderr)
    return result


def run_bytes(
    cmd: list[str], cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> bytes:
    """Run `cmd` and return its raw stdout (blobs, archives); raise ProcessError on failure."""
    done = _spawn(cmd, cwd, env, None)
    if done.returncode != 0:
        raise ProcessError(cmd, done.returncode, _text(done.stdout), _text(done.stderr))
    return done.stdout


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
