"""Fixtures shared by the update tests: a module's template released as v1, and a project made
from it. A module that uses them names its template's first release `V1` (path -> content)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import TemplateRepo, invoke


@pytest.fixture
def tpl(
    request: pytest.FixtureRequest, template_factory: Callable[..., TemplateRepo]
) -> TemplateRepo:
    """The requesting module's `V1` files in a git template repository, tagged v1."""
    files = getattr(request.module, "V1", None)
    assert files is not None, f"{request.module.__name__} uses `tpl` but defines no V1"
    t = template_factory(files, name="tpl")
    t.release("v1")
    return t


@pytest.fixture
def proj(tmp_path: Path, tpl: TemplateRepo) -> Path:
    """A project made by `dlgen new` from `tpl` at v1 (defaults, no hooks), committed."""
    dst = tmp_path / "proj"
    result = invoke("new", str(dst), "--template", f"{tpl.root}@v1", "--defaults", "--no-hooks")
    assert result.code == 0, result.err
    return dst
