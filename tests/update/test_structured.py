"""`dlgen update` with real git and copier: where git's line merge conflicts on TOML, YAML and
line-set files only because both sides edited neighbouring lines, the structures merge; a key
both sides changed still conflicts; a clean git merge that broke a file is repaired or made a
conflict (exit 4)."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import DEP, PYPROJECT, TemplateRepo, commit_all, git, up

PRECOMMIT = """\
repos:
  - repo: https://github.com/astral-sh/ruff-pre-commit
    rev: v0.6.0
    hooks:
      - id: ruff
      - id: ruff-format
"""

CI = """\
name: ci
on: [push]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Test
        run: pytest -q
"""

MAKEFILE = "test:\n\tpytest -q\n"

V1 = {
    "copier.yml": "name:\n  default: demo\n",
    "pyproject.toml": PYPROJECT,
    ".pre-commit-config.yaml": PRECOMMIT,
    ".github/workflows/ci.yml": CI,
    ".gitignore": "__pycache__/\n.venv/\n",
    "Makefile": MAKEFILE,
}

HOOK = "      - id: ruff-format\n"
STEP = "        run: pytest -q\n"


def edit(root: Path, path: str, old: str, new: str) -> None:
    """Replace `old` (which must be there) by `new` in a file."""
    text = (root / path).read_text()
    assert old in text, (path, old)
    (root / path).write_text(text.replace(old, new, 1))


def append(root: Path, path: str, text: str) -> None:
    with (root / path).open("a") as f:
        f.write(text)


def release_v2_six_kinds(tpl: TemplateRepo) -> None:
    """The template's side of the six kinds: a dependency, a table, a hook, a step, an ignore
    line and a Makefile target, each where the project adds its own."""
    edit(tpl.root, "pyproject.toml", DEP, DEP + '    "rich>=13",\n')
    append(tpl.root, "pyproject.toml", "\n[tool.coverage.run]\nbranch = true\n")
    edit(tpl.root, ".pre-commit-config.yaml", HOOK, HOOK + "      - id: ruff-check-extra\n")
    append(
        tpl.root,
        ".github/workflows/ci.yml",
        "      - name: Coverage\n        run: coverage report\n",
    )
    append(tpl.root, ".gitignore", ".mypy_cache/\n")
    append(tpl.root, "Makefile", "lint:\n\truff check\n")
    tpl.release("v2")


def project_six_kinds(proj: Path) -> None:
    edit(proj, "pyproject.toml", DEP, DEP + '    "pandas>=2",\n')
    append(proj, "pyproject.toml", "\n[tool.mypy]\nstrict = true\n")
    edit(proj, ".pre-commit-config.yaml", HOOK, HOOK + "      - id: mine\n")
    append(proj, ".github/workflows/ci.yml", "      - name: Docs\n        run: mkdocs build\n")
    append(proj, ".gitignore", "wandb/\n")
    append(proj, "Makefile", "train:\n\tpython train.py\n")
    commit_all(proj, "project edits")


def test_six_kinds_merge_by_structure_and_only_the_makefile_conflicts(
    tpl: TemplateRepo, proj: Path
) -> None:
    project_six_kinds(proj)
    release_v2_six_kinds(tpl)
    code, out, _ = up(proj)
    assert code == 4
    assert out.splitlines() == [
        "template v1 -> v2: changes:",
        "  M .github/workflows/ci.yml",
        "  M .gitignore",
        "  M .pre-commit-config.yaml",
        "  M Makefile",
        "  M pyproject.toml",
        "  merged by structure (review it): .github/workflows/ci.yml",
        "  merged by structure (review it): .gitignore",
        "  merged by structure (review it): .pre-commit-config.yaml",
        "  merged by structure (review it): pyproject.toml",
        "CONFLICTS (fix, `git add`, then commit):",
        "  Makefile",
    ]
    assert (proj / "pyproject.toml").read_text() == PYPROJECT.replace(
        DEP, DEP + '    "rich>=13",\n    "pandas>=2",\n'
    ) + "\n[tool.mypy]\nstrict = true\n\n[tool.coverage.run]\nbranch = true\n"
    assert (proj / ".pre-commit-config.yaml").read_text() == PRECOMMIT + (
        "      - id: ruff-check-extra\n      - id: mine\n"
    )
    assert (proj / ".github/workflows/ci.yml").read_text() == CI + (
        "      - name: Coverage\n        run: coverage report\n"
        "      - name: Docs\n        run: mkdocs build\n"
    )
    assert (proj / ".gitignore").read_text() == "__pycache__/\n.venv/\n.mypy_cache/\nwandb/\n"
    assert git("diff", "--name-only", "--diff-filter=U", cwd=proj).split() == ["Makefile"]
    assert "<<<<<<<" in (proj / "Makefile").read_text()


def test_a_key_both_sides_changed_still_conflicts_with_git_markers(
    tpl: TemplateRepo, proj: Path
) -> None:
    edit(proj, "pyproject.toml", "line-length = 100", "line-length = 120")
    commit_all(proj, "wider")
    edit(tpl.root, "pyproject.toml", "line-length = 100", "line-length = 88")
    tpl.release("v2")
    code, out, _ = up(proj)
    assert code == 4
    assert out.splitlines()[-2:] == ["CONFLICTS (fix, `git add`, then commit):", "  pyproject.toml"]
    text = (proj / "pyproject.toml").read_text()
    assert "<<<<<<< HEAD\nline-length = 120\n||||||| " in text


def test_duplicate_table_from_a_clean_merge_with_different_values_is_a_conflict(
    tpl: TemplateRepo, proj: Path
) -> None:
    edit(
        proj, "pyproject.toml", "[tool.ruff]", "[tool.coverage.run]\nbranch = false\n\n[tool.ruff]"
    )
    commit_all(proj, "coverage")
    append(tpl.root, "pyproject.toml", "\n[tool.coverage.run]\nbranch = true\n")
    tpl.release("v2")
    code, out, _ = up(proj)
    assert code == 4
    assert out.splitlines() == [
        "template v1 -> v2: changes:",
        "  M pyproject.toml",
        "  broken by the line merge (Cannot declare ('tool', 'coverage', 'run') twice (at line"
        " 17, column 19)): pyproject.toml",
        "CONFLICTS (fix, `git add`, then commit):",
        "  pyproject.toml",
    ]
    assert git("diff", "--name-only", "--diff-filter=U", cwd=proj).split() == ["pyproject.toml"]


def test_duplicate_table_from_a_clean_merge_is_repaired_by_structure(
    tpl: TemplateRepo, proj: Path
) -> None:
    edit(
        proj,
        "pyproject.toml",
        "[tool.ruff]",
        '[tool.coverage.run]\nsource = ["src"]\n\n[tool.ruff]',
    )
    commit_all(proj, "coverage")
    append(tpl.root, "pyproject.toml", "\n[tool.coverage.run]\nbranch = true\n")
    tpl.release("v2")
    code, out, _ = up(proj)
    assert code == 0
    assert out.splitlines() == [
        "template v1 -> v2: changes:",
        "  M pyproject.toml",
        "  merged by structure (review it): pyproject.toml",
        "merged without conflicts; review with `git diff --cached`, then `git commit`",
    ]
    assert (proj / "pyproject.toml").read_text() == PYPROJECT.replace(
        "[tool.ruff]", '[tool.coverage.run]\nsource = ["src"]\nbranch = true\n\n[tool.ruff]'
    )
    assert git("status", "--porcelain", cwd=proj) == "M  .dlgen.yml\nM  pyproject.toml\n"


def test_far_apart_edits_stay_a_clean_git_merge(tpl: TemplateRepo, proj: Path) -> None:
    edit(proj, "pyproject.toml", 'name = "demo"', 'name = "demo"  # ours')
    commit_all(proj, "comment")
    edit(tpl.root, "pyproject.toml", 'addopts = "-q"', 'addopts = "-ra"')
    tpl.release("v2")
    code, out, _ = up(proj)
    assert code == 0
    assert "merged by structure" not in out
    assert (proj / "pyproject.toml").read_text() == PYPROJECT.replace(
        'name = "demo"', 'name = "demo"  # ours'
    ).replace('"-q"', '"-ra"')


def test_crlf_project_file_keeps_crlf(tpl: TemplateRepo, proj: Path) -> None:
    (proj / ".gitattributes").write_text(".gitignore -text\n")
    (proj / ".gitignore").write_bytes(b"__pycache__/\r\n.venv/\r\nwandb/\r\n")
    commit_all(proj, "crlf")
    append(tpl.root, ".gitignore", ".mypy_cache/\n")
    tpl.release("v2")
    code, out, _ = up(proj)
    assert (code, out.splitlines()[-2]) == (0, "  merged by structure (review it): .gitignore")
    assert (
        proj / ".gitignore"
    ).read_bytes() == b"__pycache__/\r\n.venv/\r\n.mypy_cache/\r\nwandb/\r\n"


# copier-uv 1.12.0's VS Code launch.json: JSON with a trailing comma, which VS Code reads
LAUNCH = '{\n    "version": "0.2.0",\n    "args": [\n        "serve"\n    ]\n}\n'


def test_a_template_file_that_never_parsed_is_no_conflict_of_the_merge(
    tpl: TemplateRepo, proj: Path
) -> None:
    tpl.write({"config/launch.json": LAUNCH, "config/tasks.json": LAUNCH})
    tpl.release("v1.1")
    assert up(proj, "--to", "v1.1")[0] == 0
    git("commit", "-qm", "v1.1", cwd=proj)
    edit(proj, "config/tasks.json", '"0.2.0"', '"0.2.1"')  # far from the template's change
    commit_all(proj, "ours")
    trailing = LAUNCH.replace('"serve"\n', '"serve",\n        "--open",\n')
    tpl.write({"config/launch.json": trailing, "config/tasks.json": trailing})
    tpl.release("v2")
    code, out, _ = up(proj)
    assert (code, out.splitlines()[-1]) == (
        0,
        "merged without conflicts; review with `git diff --cached`, then `git commit`",
    )
    assert "broken" not in out
    assert (proj / "config/launch.json").read_text() == trailing
    assert (proj / "config/tasks.json").read_text() == trailing.replace('"0.2.0"', '"0.2.1"')
