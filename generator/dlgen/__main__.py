"""The `dlgen` command (console script and `python -m dlgen`): the fast paths, then click.

`dlgen --version` is answered here, before click and the command modules are imported, so that
it costs little more than the interpreter's own start-up; `dlgen check` in its plain forms runs
from here without click too (`run_plain`), so the pre-commit and CI gate costs little more than
its git calls. Everything else goes to `cli.main`. Both paths report an exception that ends the
command through `console.fail`, so their exit codes and error lines are the same.
"""

from __future__ import annotations

import atexit
import gc
import sys

from dlgen import __version__


def main(argv: list[str] | None = None) -> None:
    """Answer `--version` and plain `check`s at once; hand anything else to the click CLI."""
    args = sys.argv[1:] if argv is None else argv
    if "--version" in args and set(args) <= {"--version", "--debug"}:
        sys.stdout.write(f"dlgen, version {__version__}\n")  # as click's version_option
        return
    if args[:1] == ["check"]:
        code = run_plain(args[1:])
        if code is not None:
            if code > 128:
                _exit_interrupted(code)
            sys.exit(code)
    from dlgen.cli import main as cli_main

    _no_final_collection()
    try:
        cli_main(args)
    except SystemExit as e:
        if isinstance(e.code, int) and e.code > 128:  # ^C or a signal, already cleaned up
            _exit_interrupted(e.code)
        raise


def _no_final_collection() -> None:
    """At exit, the interpreter's last collection would walk every object the command leaves
    (copier, pydantic and Jinja's: a tenth of an update's CPU) to free memory the process
    returns anyway: `gc.freeze()` at exit moves them out of its way. atexit runs it first (it is
    registered last), so later handlers (coverage's, tempfile's finalizers) run as before."""
    atexit.unregister(gc.freeze)  # once, however often main() runs in one process
    atexit.register(gc.freeze)


def run_plain(args: list[str]) -> int | None:
    """`dlgen check ARGS` without click, for the forms `--help` documents: [PATH] --strict
    --format text|json --only version. None hands anything else (--help, a bad value) to click,
    which owns the help and the usage errors; the exit codes are the same either way."""
    options = _plain_options(args)
    if options is None:
        return None
    path, fmt, strict, only = options
    from dlgen.check import run
    from dlgen.console import fail, out

    try:
        text, code = run(path, fmt=fmt, strict=strict, only=only)
    except (Exception, KeyboardInterrupt) as e:  # `dlgen --debug check` shows a traceback
        return fail(e)
    out(text)
    return code


def _plain_options(args: list[str]) -> tuple[str, str, bool, str | None] | None:
    values = {"--format": ("text", "json"), "--only": ("version",)}
    path, fmt, strict, only = None, "text", False, None
    rest = list(args)
    while rest:
        arg = rest.pop(0)
        name, eq, value = arg.partition("=")
        if arg == "--strict":
            strict = True
        elif name in values:
            if not eq:
                if not rest:
                    return None
                value = rest.pop(0)
            if value not in values[name]:
                return None
            fmt, only = (value, only) if name == "--format" else (fmt, value)
        elif arg.startswith("-") or path is not None:
            return None
        else:
            path = arg
    return path or ".", fmt, strict, only


def _exit_interrupted(code: int) -> None:
    """Leave with `code` now. The interpreter's shutdown is skipped: with its SIGINT handler
    gone, a late ^C there would turn exit 130 into death by SIGINT (a parent would read -2)."""
    import os
    import signal
    from contextlib import suppress

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError, ValueError):  # a closed terminal (SIGHUP) or a closed pipe
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
