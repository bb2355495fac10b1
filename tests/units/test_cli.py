"""The CLI shell: version, help on every command, light imports, bundled templates found."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from dlgen import __version__
from dlgen.cli import cli
from tests.helpers import invoke, unmeasured_env

HEAVY = (
    "copier",
    "jinja2",
    "dlgen.git",
    "dlgen.gitobjects",
    "dlgen.gitwork",
    "dlgen.render",
    "yaml",
)
# Modules `--help` has no use for: the command bodies import them when they run.
NOT_FOR_HELP = (
    "dlgen.new",
    "dlgen.questions",
    "dlgen.templates",
    "dlgen.template",
    "dlgen.sources",
    "dlgen.answers",
    "dlgen.check",
    "dlgen.check_engine",
    "pathlib",
    "subprocess",
    "tempfile",
)


def imported_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe],
        env=unmeasured_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    return set(json.loads(out.stdout.splitlines()[-1]))


@pytest.mark.parametrize("args", [["--version"], ["--help"]])
def test_version_and_help_import_nothing_heavy(args: list[str]) -> None:
    code = (
        "import contextlib, io\nfrom dlgen.cli import main\n"
        f"with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    try: main({args!r})\n    except SystemExit: pass"
    )
    loaded = imported_after(code)
    assert not {m for m in loaded if m.split(".")[0] in {"copier", "jinja2"}}
    assert not loaded & set(HEAVY)
    assert not loaded & set(NOT_FOR_HELP)


def test_version_answers_before_click_is_imported() -> None:
    """The console script's entry answers --version itself: no click, no dlgen.cli."""
    code = "import sys\nsys.argv = ['dlgen', '--version']\nfrom dlgen.__main__ import main\nmain()"
    loaded = imported_after(code)
    assert not {m for m in loaded if m.split(".")[0] == "click"}
    assert "dlgen.cli" not in loaded
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == f"dlgen, version {__version__}\n"


def test_console_script_is_the_fast_entry() -> None:
    from importlib.metadata import entry_points

    (script,) = entry_points(group="console_scripts", name="dlgen")
    assert script.value == "dlgen.__main__:main"


def test_python_m_dlgen_version_and_debug_version() -> None:
    for args in (["--version"], ["--debug", "--version"]):
        done = subprocess.run(
            [sys.executable, "-m", "dlgen", *args], capture_output=True, text=True, check=False
        )
        assert done.returncode == 0 and done.stdout == f"dlgen, version {__version__}\n"


def test_version() -> None:
    result = invoke("--version")
    assert result.code == 0 and result.out == f"dlgen, version {__version__}\n"


COMMANDS = sorted(cli.commands)


@pytest.mark.parametrize("command", COMMANDS)
def test_help_of_every_command(command: str) -> None:
    result = invoke(command, "--help")
    assert result.code == 0 and f"Usage: dlgen {command}" in result.out


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_help_shows_an_example_and_its_exit_codes(command: str) -> None:
    text = invoke(command, "--help").out
    examples = text[text.index("Examples:") :]
    assert f"$ dlgen {command}" in examples
    codes = text[text.index("Exit codes:") :]
    for line in ("0   ok", "2   invalid input", "70  internal error", "130 interrupted"):
        assert line in codes, line
    assert "128+N" in codes


def test_top_level_help_shows_each_command_description_uncut() -> None:
    result = invoke("--help")
    commands = result.out[result.out.index("Commands:") : result.out.index("Examples:")]
    flat = "".join(commands.split())  # the wrapping may break after a hyphen: compare unwrapped
    assert "…" not in commands and "..." not in commands
    for name, cmd in cli.commands.items():
        first = "".join((cmd.help or "").split("\n\n")[0].split())
        assert f"{name}{first}" in flat, name


def test_top_level_help_lists_exit_codes_and_shell_completion() -> None:
    text = invoke("--help").out
    assert "_DLGEN_COMPLETE=bash_source dlgen" in text
    assert "3 refused" in text and "4 update conflicts" in text and "128+N" in text


def test_shell_completion_as_documented() -> None:
    env = {**os.environ, "_DLGEN_COMPLETE": "bash_source"}
    source = subprocess.run(
        [sys.executable, "-m", "dlgen"], env=env, capture_output=True, text=True, check=True
    )
    assert "complete -o nosort -F _dlgen_completion dlgen" in source.stdout
    env = {**env, "_DLGEN_COMPLETE": "bash_complete", "COMP_WORDS": "dlgen upd", "COMP_CWORD": "1"}
    words = subprocess.run(
        [sys.executable, "-m", "dlgen"], env=env, capture_output=True, text=True, check=True
    )
    assert words.stdout.split() == ["plain,update"]
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert "_DLGEN_COMPLETE=bash_source dlgen" in readme


def test_unknown_command_is_a_usage_error() -> None:
    result = invoke("frobnicate")
    assert result.code == 2 and "No such command" in result.err


def test_templates_lists_bundled_with_version() -> None:
    result = invoke("templates")
    name, version, description = result.out.splitlines()[0].split("\t")
    assert result.code == 0 and name == "dl-project"
    assert version.count(".") == 2 and "PyTorch" in description


def test_bundled_root_in_source_checkout() -> None:
    from dlgen.sources import bundled_root

    root = bundled_root()
    assert (root / "templates/dl-project/copier.yml").is_file()


def test_bundled_templates_and_hooks_ship_in_the_wheel(tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parents[2]
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(repo),
        ],
        check=True,
        capture_output=True,
    )
    wheel = next(tmp_path.glob("dlgen-*.whl"))
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        zf.extractall(site)
    assert "dlgen/_bundled/templates/dl-project/copier.yml" in names
    assert any(n.startswith("dlgen/_bundled/hooks/") for n in names)
    probe = (
        "from dlgen.sources import bundled_root, bundled_names\n"
        "print(bundled_root()); print(bundled_names())"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(site)},
    )
    root, names_line = out.stdout.splitlines()
    assert Path(root) == site / "dlgen/_bundled"
    assert "dl-project" in names_line
