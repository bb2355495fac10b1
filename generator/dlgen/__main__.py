"""`python -m dlgen` runs the command line."""

from dlgen.cli import main

main()
