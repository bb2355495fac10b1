"""`dlgen merge-file` as a git merge driver in a real `git merge` of two branches (issue 18 item
4): the `.gitattributes` lines and the `merge.dlgen.driver` setting the README documents."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import DEP, PYPROJECT, commit_all, dlgen, git

README = (Path(__file__).parents[2] / "README.md").read_text()
# the lines the README documents, used as they are (dlgen run as this interpreter's module)
ATTRIBUTES = README.split("cat >> .gitattributes <<'LINES'\n", 1)[1].split("LINES\n", 1)[0]
DRIVER = README.split('git config merge.dlgen.driver "', 1)[1].split('"', 1)[0]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git("init", "-q", "-b", "main", cwd=root)
    assert DRIVER.startswith("dlgen merge-file ")
    driver = f"{shlex.quote(sys.executable)} -m {DRIVER}"
    git("config", "merge.dlgen.name", "dlgen structured merge", cwd=root)
    git("config", "merge.dlgen.driver", driver, cwd=root)
    (root / ".gitattributes").write_text(ATTRIBUTES)
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / ".gitignore").write_text("__pycache__/\n.venv/\n")
    (root / "Makefile").write_text("test:\n\tpytest\n")
    commit_all(root, "base")
    return root


def branches(root: Path, theirs: dict[str, str], ours: dict[str, str]) -> None:
    """`feature` writes `theirs`, then `main` writes `ours` (path -> whole new text)."""
    git("switch", "-q", "-c", "feature", cwd=root)
    for path, text in theirs.items():
        (root / path).write_text(text)
    commit_all(root, "feature")
    git("switch", "-q", "main", cwd=root)
    for path, text in ours.items():
        (root / path).write_text(text)
    commit_all(root, "main")


def merge(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "merge", "--no-edit", "feature"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )


def test_neighbouring_additions_merge_by_structure_in_a_real_git_merge(repo: Path) -> None:
    branches(
        repo,
        theirs={
            "pyproject.toml": PYPROJECT.replace(DEP, DEP + '    "rich>=13",\n'),
            ".gitignore": "__pycache__/\n.venv/\n.mypy_cache/\n",
        },
        ours={
            "pyproject.toml": PYPROJECT.replace(DEP, DEP + '    "pandas>=2",\n'),
            ".gitignore": "__pycache__/\n.venv/\nwandb/\n",
        },
    )
    done = merge(repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(done.stderr.splitlines()) == [
        "merged by structure (review it): .gitignore",
        "merged by structure (review it): pyproject.toml",
    ]
    assert (repo / "pyproject.toml").read_text() == PYPROJECT.replace(
        DEP, DEP + '    "rich>=13",\n    "pandas>=2",\n'
    )
    assert (repo / ".gitignore").read_text() == "__pycache__/\n.venv/\n.mypy_cache/\nwandb/\n"
    assert git("status", "--porcelain", cwd=repo) == ""
    assert git("log", "-1", "--format=%P", cwd=repo).count(" ") == 1  # a real merge commit


def test_a_true_conflict_keeps_git_markers_and_is_recorded_as_conflicted(repo: Path) -> None:
    branches(
        repo,
        theirs={"pyproject.toml": PYPROJECT.replace("100", "88")},
        ours={"pyproject.toml": PYPROJECT.replace("100", "120")},
    )
    done = merge(repo)
    assert done.returncode == 1
    assert "conflict in pyproject.toml: tool.ruff.line-length" in done.stderr.splitlines()
    assert git("diff", "--name-only", "--diff-filter=U", cwd=repo).split() == ["pyproject.toml"]
    text = (repo / "pyproject.toml").read_text()
    assert "<<<<<<< ours\nline-length = 120\n||||||| base\nline-length = 100\n=======\n" in text


def test_a_clean_line_merge_that_declares_a_table_twice_is_merged_by_structure(
    repo: Path,
) -> None:
    branches(
        repo,
        theirs={"pyproject.toml": PYPROJECT + "\n[tool.coverage.run]\nbranch = true\n"},
        ours={
            "pyproject.toml": PYPROJECT.replace(
                "[tool.ruff]", '[tool.coverage.run]\nsource = ["src"]\n\n[tool.ruff]'
            )
        },
    )
    done = merge(repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr.splitlines() == ["merged by structure (review it): pyproject.toml"]
    assert (repo / "pyproject.toml").read_text() == PYPROJECT.replace(
        "[tool.ruff]", '[tool.coverage.run]\nsource = ["src"]\nbranch = true\n\n[tool.ruff]'
    )


def test_far_apart_edits_stay_git_line_merge_untouched(repo: Path) -> None:
    branches(
        repo,
        theirs={"pyproject.toml": PYPROJECT.replace('name = "demo"', 'name = "demo"  # x')},
        ours={"pyproject.toml": PYPROJECT.replace("100", "120")},
    )
    done = merge(repo)
    assert (done.returncode, done.stderr) == (0, "")
    assert (repo / "pyproject.toml").read_text() == PYPROJECT.replace(
        'name = "demo"', 'name = "demo"  # x'
    ).replace("100", "120")


def test_a_branch_whose_file_never_parsed_keeps_the_clean_line_merge(repo: Path) -> None:
    """Not the merge's doing: `feature` declares a table twice on its own."""
    twice = PYPROJECT + "\n[tool.ruff]\nfix = true\n"
    branches(
        repo,
        theirs={"pyproject.toml": twice},
        ours={"pyproject.toml": PYPROJECT.replace('name = "demo"', 'name = "demo"  # x')},
    )
    done = merge(repo)
    assert (done.returncode, done.stderr) == (0, "")
    assert (repo / "pyproject.toml").read_text() == twice.replace(
        'name = "demo"', 'name = "demo"  # x'
    )


def test_unreadable_input_is_exit_2_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text("a = 1\n")
    r = dlgen("merge-file", "missing.toml", "a.toml", "a.toml", "a.toml", cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.splitlines() == ["dlgen: error: base missing.toml: No such file or directory"]
