"""The options several commands share (`--data`, `--format`, `--trust`, `--flavour`, the project
argument) and how `--data`/`--data-file` become answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from dlgen.errors import InputError

PATH_TYPE = click.Path()  # a str: pathlib costs start-up time that --help and --version never need
data_option = click.option(
    "--data",
    "-d",
    "data",
    multiple=True,
    metavar="KEY=VALUE",
    help="Answer a question (repeatable).",
)
project_argument = click.argument("path", type=PATH_TYPE, default=".", required=False)


def format_option(*more: str) -> Callable[[Any], Any]:
    """`--format text|json[|more]`, as every reporting command spells it."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(["text", "json", *more]),
        default="text",
        show_default=True,
        help="Output format.",
    )


trust_option = click.option(
    "--trust",
    is_flag=True,
    help="Allow an external template's tasks, extensions and hooks "
    "(copier's settings.yml `trust` list is honoured too).",
)
flavour_option = click.option(
    "--flavour",
    type=click.Choice(["copier", "cookiecutter"]),
    help="For a template with both copier.yml and cookiecutter.json (default: copier).",
)


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


def clones_option(help_text: str) -> Callable[[Any], Any]:
    """`--template/-t [SOURCE=]CLONE|URL`, repeatable: git templates (check, status), as a
    local clone, a bare repository, or a URL fetched into the user's cache."""
    return click.option(
        "--template", "-t", "clones", multiple=True, metavar="[SOURCE=]CLONE|URL", help=help_text
    )
