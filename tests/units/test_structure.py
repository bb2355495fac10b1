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
    # status runs check's engine per project; it moves to a non-flow module with check's split
    assert crossed == {("status", "check")}


def test_the_update_steps_live_in_their_own_modules() -> None:
    assert {"project", "rerender", "merge", "journal"} <= dlgen_imports("update")
    assert "journal" in dlgen_imports("status")  # status reads the journal, not the refs
    assert "project" in dlgen_imports("adopt") and "project" in dlgen_imports("diff")
