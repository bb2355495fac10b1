"""`dlgen adopt` links a hand-made repository without changing a file; `dlgen diff` shows drift."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.helpers import TemplateRepo, commit_all, git, invoke, tree_snapshot

V1 = {
    "copier.yml": "project_name:\n  type: str\n",
    "README.md.jinja": "# {{ project_name }}\n",
    "Makefile": "test:\n\tpytest\n",
    "src/model.py": "LAYERS = 2\n",
}


@pytest.fixture
def handmade(tmp_path: Path) -> Path:
    """A repository laid out like cookiecutter-data-science, written by hand."""
    repo = tmp_path / "handmade"
    for rel, text in {
        "README.md": "# My own readme\n",
        "Makefile": "test:\n\tpython -m pytest\n",
        "src/model.py": "LAYERS = 12\n",
        "notebooks/01.ipynb": "{}\n",
        "data/raw/.gitkeep": "",
    }.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    git("init", "-q", cwd=repo)
    commit_all(repo, "hand made")
    return repo


def test_adopt_changes_no_file_and_later_updates_bring_only_later_changes(
    handmade: Path, tpl: TemplateRepo
) -> None:
    before = {k: v[:2] for k, v in tree_snapshot(handmade).items()}
    result = invoke("adopt", str(handmade), "--template", f"{tpl.root}@v1")
    assert result.code == 0, result.err
    after = {k: v[:2] for k, v in tree_snapshot(handmade).items()}
    assert after.pop(".dlgen.yml")
    assert after == before
    assert git("status", "--porcelain", cwd=handmade) == ""
    record = yaml.safe_load((handmade / ".dlgen.yml").read_text())
    assert record["answers"]["project_name"] == "handmade" and record["template_version"] == "v1"
    parents = git("log", "-1", "--format=%P", cwd=handmade).split()
    assert (
        len(parents) == 2 and parents[1] == git("rev-parse", "dlgen/template", cwd=handmade).strip()
    )
    assert invoke("check", str(handmade)).code == 0

    tpl.write({"src/model.py": "LAYERS = 2\nDROPOUT = 0.1\n", "CHANGELOG.md": "v2\n"})
    tpl.release("v2")
    code = invoke("update", str(handmade)).code
    assert code == 4  # both changed src/model.py since v1: a real conflict, nothing else
    assert git("diff", "--name-only", "--diff-filter=U", cwd=handmade).split() == ["src/model.py"]
    assert (handmade / "README.md").read_text() == "# My own readme\n"
    assert (handmade / "CHANGELOG.md").read_text() == "v2\n"


def test_adopt_refuses_twice_and_needs_a_template(handmade: Path, tpl: TemplateRepo) -> None:
    assert invoke("adopt", str(handmade)).code == 2
    assert invoke("adopt", str(handmade), "--template", f"{tpl.root}@v1").code == 0
    result = invoke("adopt", str(handmade), "--template", f"{tpl.root}@v1")
    assert result.code == 3 and "exists already" in result.err


def test_adopt_refuses_dirty_tree(handmade: Path, tpl: TemplateRepo) -> None:
    (handmade / "wip.txt").write_text("x")
    result = invoke("adopt", str(handmade), "--template", f"{tpl.root}@v1")
    assert result.code == 3 and "wip.txt" in result.err
    assert git("branch", "--list", "dlgen/template", cwd=handmade) == ""


def test_diff_shows_local_deviations_only_on_template_paths(
    handmade: Path, tpl: TemplateRepo
) -> None:
    assert invoke("adopt", str(handmade), "--template", f"{tpl.root}@v1").code == 0
    names = invoke("diff", str(handmade), "--name-only")
    assert names.code == 0
    assert sorted(names.out.split()) == ["M", "M", "M", "Makefile", "README.md", "src/model.py"]
    full = invoke("diff", str(handmade)).out
    assert "-LAYERS = 2\n+LAYERS = 12" in full and "notebooks" not in full
    assert "src/model.py" in invoke("diff", str(handmade), "--stat").out


def test_diff_exit_code_and_conflicting_flags(handmade: Path, tpl: TemplateRepo) -> None:
    """`--exit-code` as git diff has it; `--stat --name-only` used to drop one flag silently."""
    assert invoke("adopt", str(handmade), "--template", f"{tpl.root}@v1").code == 0
    deviating = invoke("diff", str(handmade), "--exit-code", "--name-only")
    assert deviating.code == 1 and "src/model.py" in deviating.out
    assert invoke("diff", str(handmade)).code == 0
    both = invoke("diff", str(handmade), "--stat", "--name-only")
    assert both.code == 2 and both.out == ""
    assert both.err == "dlgen: error: --stat and --name-only cannot both apply: pick one\n"
    tip = git("rev-parse", "dlgen/template", cwd=handmade).strip()
    git("checkout", "-q", tip, "--", ".", cwd=handmade)
    assert invoke("diff", str(handmade), "--exit-code").code == 0


def test_unexpected_error_is_exit_70(handmade: Path, tpl: TemplateRepo) -> None:
    """A bug (here: an OSError nobody expected) is exit 70, apart from findings and bad input."""
    assert invoke("adopt", str(handmade), "--template", f"{tpl.root}@v1").code == 0
    record = handmade / ".dlgen.yml"
    record.unlink()
    record.mkdir()
    result = invoke("diff", str(handmade))
    assert result.code == 70
    assert result.err.startswith("dlgen: error: internal error: IsADirectoryError")
    assert len(result.err.splitlines()) == 1
