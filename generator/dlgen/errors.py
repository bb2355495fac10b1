"""The exception hierarchy, each class carrying the exit code the CLI returns for it, and the one
mapping from any exception that ends a command to its exit code and error line (`exit_status`)."""

from __future__ import annotations

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs `dlgen check` ~3 ms
if TYPE_CHECKING:
    from typing import ClassVar


class DlgenError(Exception):
    """Base of every error dlgen reports to the user as one line."""

    exit_code: ClassVar[int] = 1


class TemplateError(DlgenError):
    """The template is broken: render error, escaping path, undecodable file."""


class InputError(DlgenError):
    """Invalid input or answers: a bad name, value, option or answers file."""

    exit_code = 2


class UnsafeStateError(DlgenError):
    """Refused because acting would risk the user's work (dirty tree, non-empty destination)."""

    exit_code = 3


class StepError(DlgenError):
    """A named step of an operation failed (git init, pre-commit install, a hook)."""

    def __init__(self, step: str, detail: str) -> None:
        super().__init__(f"step '{step}' failed: {detail}")
        self.step = step


class InternalError(DlgenError):
    """dlgen could not do its job for a reason that is not the user's input: a bug, or a git call
    that failed where it never should (exit 70, EX_SOFTWARE of sysexits.h)."""

    exit_code = 70


class ProcessError(DlgenError):
    """A subprocess exited non-zero; the message holds the command and its last output line."""

    def __init__(self, cmd: list[str], returncode: int, stdout: str, stderr: str) -> None:
        tail = (stderr.strip() or stdout.strip()).splitlines()
        last = tail[-1] if tail else "no output"
        super().__init__(f"`{' '.join(cmd)}` exited {returncode}: {last}")
        self.cmd = cmd
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr


EXIT_FINDINGS = 1  # `dlgen check` found something; `dlgen diff --exit-code` found deviations
EXIT_CONFLICTS = 4
EXIT_INTERNAL = InternalError.exit_code  # 70: a bug, or a check that could not run
EXIT_INTERRUPTED = 130


def exit_status(error: BaseException) -> tuple[int, str]:
    """The exit code and the one error line for an exception that ends a command: every entry
    point (`cli.main`, the plain `dlgen check` of `__main__`) reports through `console.fail`,
    which asks this. A DlgenError's own code, 130 for ^C, 128+N for signal N, else 70 (a bug)."""
    from dlgen.signals import Signalled  # only once something went wrong (start-up)

    if isinstance(error, KeyboardInterrupt):
        return EXIT_INTERRUPTED, "interrupted"
    if isinstance(error, Signalled):
        return error.exit_code, f"interrupted by {error}"
    if isinstance(error, DlgenError):
        return error.exit_code, str(error)
    return EXIT_INTERNAL, f"internal error: {type(error).__name__}: {error} (re-run with --debug)"
