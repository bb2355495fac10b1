"""The command line: click wiring only; each command imports its core module when it runs."""

from __future__ import annotations

import sys
from typing import Any

import click

from dlgen import __version__
from dlgen.console import error, note, out
from dlgen.errors import EXIT_FINDINGS, EXIT_INTERNAL, EXIT_INTERRUPTED, DlgenError, InputError

_PATH = click.Path()  # a str: pathlib costs start-up time that --help and --version never need
_data = click.option(
    "--data",
    "-d",
    "data",
    multiple=True,
    metavar="KEY=VALUE",
    help="Answer a question (repeatable).",
)
_project = click.argument("path", type=_PATH, default=".", required=False)


def parse_data(pairs: tuple[str, ...], data_file: str | None = None) -> dict[str, Any]:
    """--data-file, then --data KEY=VALUE pairs on top (answers stay literal strings)."""
    data: dict[str, Any] = {}
    if data_file is not None:
        from pathlib import Path

        import yaml

        try:
            loaded = yaml.safe_load(Path(data_file).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as e:
            raise InputError(f"cannot read --data-file {data_file}: {e}") from e
        if not isinstance(loaded, dict):
            raise InputError(f"--data-file {data_file} must hold a mapping of KEY: VALUE")
        data.update(loaded)
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InputError(f"--data {pair!r} is not KEY=VALUE")
        data[key.strip()] = value
    return data


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="dlgen")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def cli(debug: bool) -> None:
    """Start deep-learning projects right and keep them right."""


@cli.command()
@click.argument("path", type=_PATH)
@click.option(
    "--template",
    "-t",
    default="dl-project",
    show_default=True,
    metavar="NAME|PATH|URL[@REF]",
    help="Bundled name, directory or git URL.",
)
@_data
@click.option("--data-file", type=_PATH, help="YAML file of answers.")
@click.option("--defaults", is_flag=True, help="Use defaults for unanswered questions.")
@click.option("--trust", is_flag=True, help="Allow an external template's tasks and extensions.")
@click.option("--no-git", is_flag=True, help="Do not create a git repository.")
@click.option("--no-hooks", is_flag=True, help="Do not run `pre-commit install`.")
def new(
    path: str,
    template: str,
    data: tuple[str, ...],
    data_file: str | None,
    defaults: bool,
    trust: bool,
    no_git: bool,
    no_hooks: bool,
) -> int:
    """Generate a new project at PATH."""
    from pathlib import Path

    from dlgen.new import new as run_new

    result = run_new(
        Path(path),
        template=template,
        data=parse_data(data, data_file),
        defaults=defaults,
        trust=trust,
        git_init=not no_git,
        install_hooks=not no_hooks,
    )
    for line in result.notes:
        note(f"note: {line}")
    out(f"Created {path} from {result.template} {result.version}. Next:")
    out(f"  cd {path}")
    for step in result.next_steps:
        out(f"  {step}")
    return 0


@cli.command()
def templates() -> int:
    """List the bundled templates with their versions."""
    from dlgen.templates import bundled_names, bundled_root, read_meta

    for name in bundled_names():
        meta = read_meta(bundled_root() / "templates" / name)
        out(f"{name}\t{meta.version or '-'}\t{meta.description}")
    return 0


@cli.command()
@_project
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option("--strict", is_flag=True, help="Warnings fail the check too.")
@click.option("--only", type=click.Choice(["version"]), help="Run only this group of checks.")
def check(path: str, fmt: str, strict: bool, only: str | None) -> int:
    """Check that the project at PATH still honours its template (read-only, offline).

    Every honoured `check.ignore` entry is listed with its reason, so CI logs show it.

    \b
    Exit codes:
      0   the project honours its template
      1   findings: an error, or with --strict a warning
      2   invalid option
      70  the check could not run (git failed, or a dlgen bug; --debug shows why)
    """
    from pathlib import Path

    from dlgen.check import check as run_check
    from dlgen.errors import InternalError, ProcessError

    try:
        report = run_check(Path(path), only=only)
    except (ProcessError, OSError) as e:
        raise InternalError(f"could not run the check: {e}") from e
    out(report.to_json(strict) if fmt == "json" else report.to_text(strict))
    return report.exit_code(strict)


@cli.command()
@_project
@click.option("--to", metavar="REF", help="Template version (git ref) to update to.")
@_data
@click.option("--dry-run", is_flag=True, help="Show what would change and conflict; touch nothing.")
@click.option("--abort", is_flag=True, help="Undo an update in progress.")
def update(path: str, to: str | None, data: tuple[str, ...], dry_run: bool, abort: bool) -> int:
    """Update the project at PATH to a newer template version by a real git merge."""
    from pathlib import Path

    from dlgen.update import update as run_update

    result = run_update(Path(path), to=to, data=parse_data(data), dry_run=dry_run, abort=abort)
    for line in result.lines():
        out(line)
    return result.exit_code


@cli.command()
@_project
@click.option(
    "--template",
    "-t",
    required=True,
    metavar="NAME|PATH|URL[@REF]",
    help="The template (and version) the project corresponds to.",
)
@_data
def adopt(path: str, template: str | None, data: tuple[str, ...]) -> int:
    """Link the repository at PATH to a template version without changing any file."""
    from pathlib import Path

    from dlgen.adopt import adopt as run_adopt

    for line in run_adopt(Path(path), template=template, data=parse_data(data)).lines():
        out(line)
    return 0


@cli.command()
@_project
@click.option("--stat", is_flag=True, help="Summary of changes per file.")
@click.option("--name-only", is_flag=True, help="Only the changed paths (with their status).")
@click.option("--exit-code", is_flag=True, help="Exit 1 when there are deviations (as git diff).")
def diff(path: str, stat: bool, name_only: bool, exit_code: bool) -> int:
    """Show the project's local deviations from its template.

    \b
    Exit codes: 0 ok (with --exit-code: no deviations) · 1 deviations, with --exit-code ·
    2 invalid input (--stat with --name-only) · 3 not a git repository or no template branch
    """
    from pathlib import Path

    from dlgen.diff import diff as run_diff

    text = run_diff(Path(path), stat=stat, name_only=name_only)
    sys.stdout.write(text)
    return EXIT_FINDINGS if exit_code and text else 0


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, map errors to exit codes, tracebacks only with --debug."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        code = cli.main(args=args, prog_name="dlgen", standalone_mode=False)
    except (KeyboardInterrupt, click.exceptions.Abort):
        error("interrupted")
        sys.exit(EXIT_INTERRUPTED)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except DlgenError as e:
        if debug:
            _print_traceback()
        error(str(e))
        sys.exit(e.exit_code)
    except Exception as e:  # a bug: one line, the traceback on request
        if debug:
            _print_traceback()
        error(f"internal error: {type(e).__name__}: {e} (re-run with --debug)")
        sys.exit(EXIT_INTERNAL)
    sys.exit(code if isinstance(code, int) else 0)


def _print_traceback() -> None:
    import traceback  # costs ~10 ms at start-up; only --debug needs it

    traceback.print_exc()
