"""The e2e venv's build says what it does: the suite's first run must not look hung."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import build_venv


@pytest.mark.slow
def test_build_venv_reports_progress(tmp_path: Path) -> None:
    lines: list[str] = []
    build_venv(tmp_path / "venv", ["six"], lines.append)
    assert lines[0].startswith(f"building the e2e venv {tmp_path / 'venv'}")
    assert any("Collecting six" in line for line in lines), lines
    assert any("Successfully installed six" in line for line in lines), lines
    assert lines[-1].startswith("e2e venv ready in ")
    python = tmp_path / "venv" / "bin" / "python"
    subprocess.run([str(python), "-c", "import six"], check=True)
