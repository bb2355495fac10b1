"""Where output goes: results on stdout, messages and errors on stderr, one line each; `fail`
reports the exception that ends a command."""

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


def fail(exc: BaseException, *, debug: bool = False) -> int:
    """Report the exception that ends a command, as `errors.exit_status` maps it, and return
    its exit code: the traceback first with `debug` (never for ^C or a signal), then the one
    error line. Never raises: after SIGHUP the terminal may be gone."""
    from dlgen.errors import exit_status

    code, line = exit_status(exc)
    try:
        if debug and isinstance(exc, Exception):
            import traceback  # costs ~10 ms at start-up; only --debug needs it

            traceback.print_exception(type(exc), exc, exc.__traceback__)
        error(line)
        sys.stderr.flush()
    except OSError:
        pass
    return code
