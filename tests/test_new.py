"""`dlgen new` with real copier and git."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import git, invoke


def test_new_defaults_creates_repo_with_template_branch(tmp_path: Path) -> None:
    dst = tmp_path / "acme-vision"
    result = invoke("new", str(dst), "--defaults", "--no-hooks")
    assert result.code == 0, result.err
    assert (dst / ".dlgen.yml").is_file()
    assert git("rev-parse", "dlgen/template", cwd=dst) == git("rev-parse", "HEAD", cwd=dst)
    assert git("status", "--porcelain", cwd=dst) == ""
    assert "template: dl-project\n" in (dst / ".dlgen.yml").read_text()
    assert str(tmp_path) not in (dst / ".dlgen.yml").read_text()
