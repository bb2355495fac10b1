"""The `dlgen` command (console script and `python -m dlgen`).

`dlgen check` in its plain forms runs from here without importing click, so the pre-commit and CI
gate costs little more than its git calls; everything else goes to `cli.main`.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    """Run `dlgen check` at once when its arguments are plain; else the click command line."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["check"]:
        from dlgen.check import run_plain

        code = run_plain(args[1:])
        if code is not None:
            sys.exit(code)
    from dlgen.cli import main as cli_main

    cli_main(args)


if __name__ == "__main__":
    main()
