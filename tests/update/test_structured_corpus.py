"""The acceptance corpus of issue 18 beyond the six kinds (`test_structured.py`), each through a
real `dlgen update` with real git and copier: YAML anchors, multi-document YAML, a TOML inline
table, a version bump beside the project's extras, JSON in the project's indentation, CRLF, the
project's comments and key order byte for byte, and a broken line merge that `dlgen check`
flags until it is fixed. Each project edit sits next to the template's, so git's line merge
conflicts; the whole merged file is compared."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import TemplateRepo, commit_all, git, invoke, up

COMPOSE = """\
x-common: &common
  restart: unless-stopped
  environment:
    LOG_LEVEL: info

services:
  api:
    <<: *common
    image: api:1
"""

MANIFESTS = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: demo
data:
  mode: train
---
apiVersion: v1
kind: Service
metadata:
  name: demo
spec:
  ports:
    - port: 80
"""

PYPROJECT = """\
# the project's packaging (comments survive the update)
[project]
name = "demo"
urls = { Homepage = "https://example.org", Docs = "https://example.org/docs" }
dependencies = [
    "numpy>=1.26",  # arrays
    "torch==2.1.0",
]

[tool.ruff]
line-length = 100  # wide screens

[tool.pytest.ini_options]
addopts = "-q"
"""

SETTINGS = {"editor.formatOnSave": True, "python.analysis.typeCheckingMode": "basic"}

V1 = {
    "copier.yml": "name:\n  default: demo\n",
    "compose.yaml": COMPOSE,
    "k8s/app.yaml": MANIFESTS,
    "pyproject.toml": PYPROJECT,
    "requirements.txt": "numpy==1.26.4\ntorch==2.1.0\n",
    ".vscode/settings.json": json.dumps(SETTINGS, indent=2) + "\n",
    "ruff.toml": 'line-length = 100\n\n[lint]\nselect = ["E", "F"]\n',
}


def edit(root: Path, path: str, old: str, new: str) -> None:
    """Replace `old` (which must be there) by `new` in a file."""
    text = (root / path).read_text()
    assert old in text, (path, old)
    (root / path).write_text(text.replace(old, new, 1))


def report(out: str, *merged: str) -> list[str]:
    """What `dlgen update` prints when each of `merged` was merged by structure, all clean."""
    return [
        "template v1 -> v2: changes:",
        *(f"  M {p}" for p in sorted(merged)),
        *(f"  merged by structure (review it): {p}" for p in sorted(merged)),
        "merged without conflicts; review with `git diff --cached`, then `git commit`",
    ]


def test_yaml_anchor_service_added_on_both_sides(tpl: TemplateRepo, proj: Path) -> None:
    mine = "  worker:\n    <<: *common\n    image: worker:1\n"
    theirs = "  web:\n    <<: *common\n    image: web:2\n"
    (proj / "compose.yaml").write_text(COMPOSE + mine)
    commit_all(proj, "worker")
    (tpl.root / "compose.yaml").write_text(
        COMPOSE.replace("LOG_LEVEL: info", "LOG_LEVEL: warning") + theirs
    )
    tpl.release("v2")
    code, out, err = up(proj)
    assert (code, err) == (0, "")
    assert out.splitlines() == report(out, "compose.yaml")
    assert (proj / "compose.yaml").read_text() == COMPOSE.replace(
        "LOG_LEVEL: info", "LOG_LEVEL: warning"
    ) + theirs + mine


def test_multi_document_yaml_each_document_merged(tpl: TemplateRepo, proj: Path) -> None:
    edit(proj, "k8s/app.yaml", "  mode: train\n", "  mode: train\n  seed: '7'\n")
    commit_all(proj, "seed")
    edit(tpl.root, "k8s/app.yaml", "---\n", "  workers: '4'\n---\n")
    edit(tpl.root, "k8s/app.yaml", "    - port: 80\n", "    - port: 8080\n")
    tpl.release("v2")
    code, out, err = up(proj)
    assert (code, err) == (0, "")
    assert out.splitlines() == report(out, "k8s/app.yaml")
    assert (proj / "k8s/app.yaml").read_text() == MANIFESTS.replace(
        "  mode: train\n", "  mode: train\n  workers: '4'\n  seed: '7'\n"
    ).replace("port: 80\n", "port: 8080\n")


def test_toml_inline_table_and_a_version_bump_beside_the_project_extras(
    tpl: TemplateRepo, proj: Path
) -> None:
    edit(proj, "pyproject.toml", "https://example.org/docs", "https://docs.example.org")
    edit(proj, "pyproject.toml", '"torch==2.1.0"', '"torch[cu121]==2.1.0"')
    commit_all(proj, "docs host, cuda torch")
    edit(
        tpl.root,
        "pyproject.toml",
        '"https://example.org/docs" }',
        '"https://example.org/docs", Source = "https://git.example.org" }',
    )
    edit(tpl.root, "pyproject.toml", '"torch==2.1.0"', '"torch==2.4.1"')
    tpl.release("v2")
    code, out, err = up(proj)
    assert (code, err) == (0, "")
    assert out.splitlines() == report(out, "pyproject.toml")
    assert (proj / "pyproject.toml").read_text() == PYPROJECT.replace(
        'Docs = "https://example.org/docs" }',
        'Docs = "https://docs.example.org", Source = "https://git.example.org" }',
    ).replace('"torch==2.1.0"', '"torch[cu121]==2.4.1"')


def test_requirements_bump_beside_the_project_extras(tpl: TemplateRepo, proj: Path) -> None:
    (proj / "requirements.txt").write_text("numpy==1.26.4\ntorch[cu121]==2.1.0  # GPU\n")
    commit_all(proj, "cuda torch")
    (tpl.root / "requirements.txt").write_text("numpy==1.26.4\ntorch==2.4.1\n")
    tpl.release("v2")
    code, out, err = up(proj)
    assert (code, err) == (0, "")
    assert out.splitlines() == report(out, "requirements.txt")
    assert (proj / "requirements.txt").read_text() == (
        "numpy==1.26.4\ntorch[cu121]==2.4.1  # GPU\n"
    )


def test_json_keeps_the_project_indentation(tpl: TemplateRepo, proj: Path) -> None:
    mine = {**SETTINGS, "python.testing.pytestEnabled": True}
    (proj / ".vscode/settings.json").write_text(json.dumps(mine, indent=4) + "\n")
    commit_all(proj, "four spaces, pytest")
    theirs = {**SETTINGS, "editor.rulers": [100]}
    (tpl.root / ".vscode/settings.json").write_text(json.dumps(theirs, indent=2) + "\n")
    tpl.release("v2")
    code, out, err = up(proj)
    assert (code, err) == (0, "")
    assert out.splitlines() == report(out, ".vscode/settings.json")
    expected = {**SETTINGS, "editor.rulers": [100], "python.testing.pytestEnabled": True}
    text = (proj / ".vscode/settings.json").read_text()
    assert json.loads(text) == expected
    assert text == json.dumps(expected, indent=4) + "\n"


def test_crlf_toml_stays_crlf(tpl: TemplateRepo, proj: Path) -> None:
    (proj / ".gitattributes").write_text("*.toml -text\n")
    crlf = PYPROJECT.replace("\n", "\r\n").replace("100", "120")
    (proj / "pyproject.toml").write_bytes(crlf.encode())
    commit_all(proj, "windows")
    edit(
        tpl.root,
        "pyproject.toml",
        "[tool.pytest",
        '[tool.ruff.lint]\nselect = ["E"]\n\n[tool.pytest',
    )
    tpl.release("v2")
    code, out, err = up(proj)
    assert (code, err) == (0, "")
    assert out.splitlines() == report(out, "pyproject.toml")
    assert (proj / "pyproject.toml").read_bytes() == crlf.replace(
        "[tool.pytest", '[tool.ruff.lint]\r\nselect = ["E"]\r\n\r\n[tool.pytest'
    ).encode()


def test_comments_and_key_order_survive_byte_for_byte(tpl: TemplateRepo, proj: Path) -> None:
    """The project reordered the tables and commented every part; the template added a
    dependency and changed a value next to the project's edits: only those items change."""
    ours = (
        "# the project's packaging (comments survive the update)\n"
        "[tool.pytest.ini_options]\n"
        'addopts = "-q"   # moved first, on purpose\n'
        "\n"
        "[project]\n"
        'name = "demo"\n'
        'urls = { Homepage = "https://example.org", Docs = "https://example.org/docs" }\n'
        "dependencies = [\n"
        '    "numpy>=1.26",  # arrays\n'
        '    "torch==2.1.0",\n'
        '    "pandas>=2",    # ours\n'
        "]\n"
        "\n"
        "# ruff, tuned for us\n"
        "[tool.ruff]\n"
        "line-length = 100  # wide screens\n"
        "target-version = 'py311'\n"
    )
    (proj / "pyproject.toml").write_text(ours)
    commit_all(proj, "our layout")
    edit(tpl.root, "pyproject.toml", '    "torch==2.1.0",\n', '    "torch==2.1.0",\n    "rich",\n')
    edit(tpl.root, "pyproject.toml", '"-q"', '"-ra"')
    tpl.release("v2")
    code, out, err = up(proj)
    assert (code, err) == (0, "")
    assert out.splitlines() == report(out, "pyproject.toml")
    assert (proj / "pyproject.toml").read_text() == ours.replace(
        '"torch==2.1.0",\n', '"torch==2.1.0",\n    "rich",\n'
    ).replace('"-q"', '"-ra"')


def test_true_conflict_in_a_second_toml_file_keeps_git_markers(
    tpl: TemplateRepo, proj: Path
) -> None:
    edit(proj, "ruff.toml", "line-length = 100", "line-length = 120")
    commit_all(proj, "wider")
    edit(tpl.root, "ruff.toml", "line-length = 100", "line-length = 88")
    tpl.release("v2")
    code, out, _ = up(proj)
    assert code == 4
    assert "merged by structure" not in out
    assert out.splitlines()[-2:] == ["CONFLICTS (fix, `git add`, then commit):", "  ruff.toml"]
    assert (proj / "ruff.toml").read_text().startswith("<<<<<<< HEAD\nline-length = 120\n||||||| ")


def test_duplicate_table_exits_4_and_check_flags_it_until_fixed(
    tpl: TemplateRepo, proj: Path
) -> None:
    """The issue's case: the project added `[tool.coverage.run]` in the middle, the template
    appended its own at the end with another value; git's line merge is clean and invalid."""
    edit(proj, "ruff.toml", "[lint]", "[format]\nquote-style = 'single'\n\n[lint]")
    commit_all(proj, "format")
    (tpl.root / "ruff.toml").write_text(
        (tpl.root / "ruff.toml").read_text() + "\n[format]\nquote-style = 'double'\n"
    )
    tpl.release("v2")
    code, out, _ = up(proj)
    assert code == 4
    assert out.splitlines() == [
        "template v1 -> v2: changes:",
        "  M ruff.toml",
        "  broken by the line merge (Cannot declare ('format',) twice (at line 9, column 8)):"
        " ruff.toml",
        "CONFLICTS (fix, `git add`, then commit):",
        "  ruff.toml",
    ]
    checked = invoke("check", str(proj))
    assert checked.code == 1
    assert "DLG016" in checked.out and "ruff.toml" in checked.out
    (proj / "ruff.toml").write_text(
        'line-length = 100\n\n[format]\nquote-style = \'single\'\n\n[lint]\nselect = ["E", "F"]\n'
    )
    git("add", "ruff.toml", cwd=proj)
    git("commit", "-q", "--no-edit", cwd=proj)
    assert invoke("check", str(proj)).code == 0


def test_dry_run_predicts_the_structured_step_and_the_update_does_it(
    tpl: TemplateRepo, proj: Path
) -> None:
    """--dry-run asks git's merge-tree for the stages' blobs and runs the same structured merge:
    it reports no conflict that the update resolves, and the broken line merge it will refuse."""
    (proj / "compose.yaml").write_text(COMPOSE + "  worker:\n    <<: *common\n    image: w:1\n")
    edit(proj, "ruff.toml", "[lint]", "[format]\nquote-style = 'single'\n\n[lint]")
    edit(proj, "pyproject.toml", "line-length = 100", "line-length = 120")
    commit_all(proj, "ours")
    (tpl.root / "compose.yaml").write_text(COMPOSE + "  web:\n    <<: *common\n    image: w:2\n")
    (tpl.root / "ruff.toml").write_text(
        (tpl.root / "ruff.toml").read_text() + "\n[format]\nquote-style = 'double'\n"
    )
    edit(tpl.root, "pyproject.toml", "line-length = 100", "line-length = 88")
    tpl.release("v2")
    broken = "broken by the line merge (Cannot declare ('format',) twice (at line 9, column 8))"
    code, out, err = up(proj, "--dry-run")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "template v1 -> v2: would change:",
        "  M compose.yaml",
        "  M pyproject.toml",
        "  M ruff.toml",
        "  would be merged by structure (review it): compose.yaml",
        f"  would be {broken}: ruff.toml",
        "would conflict:",
        "  pyproject.toml",
        "  ruff.toml",
    ]
    assert git("status", "--porcelain", cwd=proj) == ""
    code, out, _ = up(proj)
    assert code == 4
    assert out.splitlines() == [
        "template v1 -> v2: changes:",
        "  M compose.yaml",
        "  M pyproject.toml",
        "  M ruff.toml",
        "  merged by structure (review it): compose.yaml",
        f"  {broken}: ruff.toml",
        "CONFLICTS (fix, `git add`, then commit):",
        "  pyproject.toml",
        "  ruff.toml",
    ]


def test_dry_run_predicts_the_repair_of_a_duplicate_table(tpl: TemplateRepo, proj: Path) -> None:
    edit(proj, "ruff.toml", "[lint]", "[format]\nquote-style = 'single'\n\n[lint]")
    commit_all(proj, "format")
    (tpl.root / "ruff.toml").write_text(
        (tpl.root / "ruff.toml").read_text() + "\n[format]\nline-ending = 'lf'\n"
    )
    tpl.release("v2")
    code, out, _ = up(proj, "--dry-run")
    assert (code, out.splitlines()) == (
        0,
        [
            "template v1 -> v2: would change:",
            "  M ruff.toml",
            "  would be merged by structure (review it): ruff.toml",
        ],
    )
    code, out, _ = up(proj)
    assert (code, out.splitlines()[-2:]) == (
        0,
        [
            "  merged by structure (review it): ruff.toml",
            "merged without conflicts; review with `git diff --cached`, then `git commit`",
        ],
    )
    assert (proj / "ruff.toml").read_text() == (
        "line-length = 100\n\n[format]\nquote-style = 'single'\nline-ending = 'lf'\n\n"
        '[lint]\nselect = ["E", "F"]\n'
    )
