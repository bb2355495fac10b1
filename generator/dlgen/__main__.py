"""The `dlgen` command (console script and `python -m dlgen`).

`dlgen --version` is answered here, before click and the command modules are imported, so that
it costs little more than the interpreter's own start-up; everything else goes to `cli.main`.
"""

from __future__ import annotations

import sys

from dlgen import __version__


def main(argv: list[str] | None = None) -> None:
    """Answer `--version` at once; hand anything else to the click command line."""
    args = sys.argv[1:] if argv is None else argv
    if "--version" in args and set(args) <= {"--version", "--debug"}:
        sys.stdout.write(
            f"dlgen, version {__version__}\n"
        )  # the text click's version_option writes
        return
    from dlgen.cli import main as cli_main

    cli_main(args)


if __name__ == "__main__":
    main()
