"""Where output goes: results on stdout, messages and errors on stderr, one line each."""

from __future__ import annotations

import sys


def out(line: str = "") -> None:
    """A line of the command's result (stdout)."""
    sys.stdout.write(line + "\n")


def note(line: str) -> None:
    """A message for the user (stderr)."""
    sys.stderr.write(line + "\n")


def error(line: str) -> None:
    """The one line describing a failure (stderr)."""
    sys.stderr.write(f"dlgen: error: {line}\n")
