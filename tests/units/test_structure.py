"""The shape of generator/dlgen: flows (new, update, adopt, diff, check, status) never import
one another; the modules they share do the steps."""

from __future__ import annotations

import ast
from pathlib import Path

import dlgen

PACKAGE = Path(dlgen.__file__).parent
FLOWS = {"new", "update", "adopt", "diff", "check", "status"}


def dlgen_imports(module: str) -> set[str]:
    """Every dlgen module `module` imports, at the top or inside a function."""
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "dlgen":
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("dlgen."):
            found.add((node.module or "").split(".")[1])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("dlgen."))
    return found


def test_no_flow_imports_another_flow() -> None:
    crossed = {(f, g) for f in FLOWS for g in dlgen_imports(f) & FLOWS if g != f}
    assert crossed == set()
    assert "check_engine" in dlgen_imports("status")  # the fleet view runs check's engine


GIT_LAYER = {"git", "gitobjects", "githistory", "gitwork"}


def git_command_lines(module: str) -> list[int]:
    """Line numbers where `module` spells a git command line: a list starting with "git"."""
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.List)
        and node.elts
        and isinstance(node.elts[0], ast.Constant)
        and node.elts[0].value == "git"
    ]


def test_git_command_lines_live_in_the_git_layer_only() -> None:
    modules = {p.stem for p in PACKAGE.glob("*.py")}
    outside = {m: git_command_lines(m) for m in sorted(modules - GIT_LAYER)}
    assert {m: lines for m, lines in outside.items() if lines} == {}


def test_the_git_layer_modules_import_only_the_runner() -> None:
    for module in GIT_LAYER - {"git"}:
        assert dlgen_imports(module) & GIT_LAYER == {"git"}, module


def test_the_update_steps_live_in_their_own_modules() -> None:
    assert {"project", "rerender", "merge", "journal"} <= dlgen_imports("update")
    assert "journal" in dlgen_imports("status")  # status reads the journal, not the refs
    assert "project" in dlgen_imports("adopt") and "project" in dlgen_imports("diff")
