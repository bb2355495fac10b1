"""The CLI shell: version, help on every command, light imports, bundled templates found."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from dlgen import __version__
from tests.helpers import invoke

HEAVY = ("copier", "jinja2", "dlgen.git", "dlgen.render", "yaml")


def imported_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
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


def test_version() -> None:
    result = invoke("--version")
    assert result.code == 0 and result.out == f"dlgen, version {__version__}\n"


COMMANDS = ["new", "templates", "check", "update", "adopt", "diff"]


@pytest.mark.parametrize("command", COMMANDS)
def test_help_of_every_command(command: str) -> None:
    result = invoke(command, "--help")
    assert result.code == 0 and f"Usage: dlgen {command}" in result.out


def test_unknown_command_is_a_usage_error() -> None:
    result = invoke("frobnicate")
    assert result.code == 2 and "No such command" in result.err


def test_templates_lists_bundled_with_version() -> None:
    result = invoke("templates")
    name, version, description = result.out.splitlines()[0].split("\t")
    assert result.code == 0 and name == "dl-project"
    assert version.count(".") == 2 and "PyTorch" in description


def test_bundled_root_in_source_checkout() -> None:
    from dlgen.templates import bundled_root

    root = bundled_root()
    assert (root / "templates/dl-project/copier.yml").is_file()


def test_bundled_templates_and_hooks_ship_in_the_wheel(tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parents[1]
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
        "from dlgen.templates import bundled_root, bundled_names\n"
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
