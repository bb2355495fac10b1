"""Hooks of bundled templates run in-process; a failing hook is a StepError naming the event."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlgen import lifecycle
from dlgen.errors import StepError


@pytest.fixture
def hooks_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(lifecycle, "bundled_root", lambda: tmp_path)
    (tmp_path / "hooks/tpl").mkdir(parents=True)
    return tmp_path / "hooks/tpl"


def test_hook_runs_with_keyword_arguments(hooks_root: Path, tmp_path: Path) -> None:
    (hooks_root / "post_generate.py").write_text(
        "def post_generate(project, answers):\n"
        "    (project / 'made.txt').write_text(answers['name'])\n"
    )
    lifecycle.run("tpl", "post_generate", project=tmp_path, answers={"name": "x"})
    assert (tmp_path / "made.txt").read_text() == "x"


def test_missing_hook_is_no_op(hooks_root: Path) -> None:
    assert lifecycle.load("tpl", "post_generate") is None


def test_failing_hook_names_the_event(hooks_root: Path, tmp_path: Path) -> None:
    (hooks_root / "post_generate.py").write_text(
        "def post_generate(project, answers):\n    raise RuntimeError('boom')\n"
    )
    with pytest.raises(StepError, match=r"step 'post_generate' failed: RuntimeError: boom"):
        lifecycle.run("tpl", "post_generate", project=tmp_path, answers={})


def test_hook_file_without_function(hooks_root: Path) -> None:
    (hooks_root / "post_generate.py").write_text("X = 1\n")
    with pytest.raises(StepError, match="defines no function"):
        lifecycle.load("tpl", "post_generate")
