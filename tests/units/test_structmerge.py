"""The structured three-way merge (structmerge and its formats) on a corpus of template updates.

Each case is git's three stages of one file: base (the previous render), ours (the project),
theirs (the new render). The expected result is written out in full, so every byte the project
wrote outside the template's change is checked.
"""

from __future__ import annotations

from textwrap import dedent

import pytest

from dlgen.structmerge import Outcome, kind_of, merge
from dlgen.wellformed import problem


def run(base: str, ours: str, theirs: str, path: str) -> Outcome:
    return merge(base.encode(), ours.encode(), theirs.encode(), path)


def merged(base: str, ours: str, theirs: str, path: str) -> str:
    outcome = run(base, ours, theirs, path)
    assert outcome.merged is not None, (outcome.reason, outcome.conflicts)
    return outcome.merged.decode()


PYPROJECT = dedent("""\
    # the project's own header comment
    [project]
    name = "demo"
    dependencies = [
        "numpy>=1.26",  # arrays
        "torch>=2.1",
    ]

    [tool.ruff]
    line-length = 100

    [tool.pytest.ini_options]
    addopts = "-q"
    """)


def test_dependency_appended_on_both_sides_keeps_both_template_first() -> None:
    ours = PYPROJECT.replace('"torch>=2.1",\n', '"torch>=2.1",\n    "pandas>=2",\n')
    theirs = PYPROJECT.replace('"torch>=2.1",\n', '"torch>=2.1",\n    "rich",\n')
    assert merged(PYPROJECT, ours, theirs, "pyproject.toml") == ours.replace(
        '"pandas>=2",\n', '"rich",\n    "pandas>=2",\n'
    )


def test_toml_tables_added_on_both_sides() -> None:
    ours = PYPROJECT.replace("[tool.pytest", "[tool.mypy]\nstrict = true\n\n[tool.pytest")
    theirs = PYPROJECT + "\n[tool.coverage.run]\nbranch = true\n"
    assert merged(PYPROJECT, ours, theirs, "pyproject.toml") == ours + dedent(
        """
        [tool.coverage.run]
        branch = true
        """
    )


def test_true_conflict_names_the_key() -> None:
    ours = PYPROJECT.replace("100", "120")
    theirs = PYPROJECT.replace("100", "88")
    outcome = run(PYPROJECT, ours, theirs, "pyproject.toml")
    assert outcome == Outcome(None, ("tool.ruff.line-length",), "changed on both sides")


def test_same_change_on_both_sides_is_no_conflict() -> None:
    ours = theirs = PYPROJECT.replace("100", "120")
    assert merged(PYPROJECT, ours, theirs, "pyproject.toml") == ours


def test_template_bump_and_project_extras_merge() -> None:
    ours = PYPROJECT.replace('"torch>=2.1"', '"torch[cu121]>=2.1"')
    theirs = PYPROJECT.replace('"torch>=2.1"', '"torch==2.4.1"')
    assert merged(PYPROJECT, ours, theirs, "pyproject.toml") == ours.replace(
        '"torch[cu121]>=2.1"', '"torch[cu121]==2.4.1"'
    )


def test_both_sides_bump_the_same_dependency_differently_conflict() -> None:
    ours = PYPROJECT.replace('"torch>=2.1"', '"torch>=2.2"')
    theirs = PYPROJECT.replace('"torch>=2.1"', '"torch>=2.3"')
    outcome = run(PYPROJECT, ours, theirs, "pyproject.toml")
    assert outcome.conflicts == ("project.dependencies[torch]",)


def test_dependency_identity_is_the_normalized_name() -> None:
    ours = PYPROJECT.replace('"numpy>=1.26",  # arrays', '"NumPy>=1.26",  # arrays, renamed')
    theirs = PYPROJECT.replace('"numpy>=1.26"', '"numpy>=2"')
    assert merged(PYPROJECT, ours, theirs, "pyproject.toml") == ours.replace(
        '"NumPy>=1.26"', '"NumPy>=2"'
    )


def test_toml_inline_table_keys_merge() -> None:
    base = '[tool.demo]\nopts = { a = 1, b = 2 }\nname = "x"  # keep\n'
    ours = '[tool.demo]\nopts = { a = 1, b = 3 }\nname = "x"  # keep\n'
    theirs = '[tool.demo]\nopts = { a = 5, b = 2, c = 4 }\nname = "x"  # keep\n'
    assert merged(base, ours, theirs, "pyproject.toml") == (
        '[tool.demo]\nopts = { a = 5, b = 3, c = 4 }\nname = "x"  # keep\n'
    )


PRECOMMIT = dedent("""\
    # hooks run on every commit
    repos:
      - repo: https://github.com/astral-sh/ruff-pre-commit
        rev: v0.6.0
        hooks:
          - id: ruff
            args: [--fix]  # autofix
          - id: ruff-format
      - repo: local
        hooks:
          - id: dlgen-check
            name: dlgen check
            entry: dlgen check
            language: system
    """)


def test_precommit_hooks_added_on_both_sides_and_rev_bumped() -> None:
    ours = PRECOMMIT.replace(
        "      - id: ruff-format\n", "      - id: ruff-format\n      - id: mine\n"
    ).replace(
        "        language: system\n", "        language: system\n        pass_filenames: false\n"
    )
    theirs = PRECOMMIT.replace("v0.6.0", "v0.7.1").replace(
        "      - id: ruff-format\n", "      - id: ruff-format\n      - id: ruff-extra\n"
    )
    expected = ours.replace("v0.6.0", "v0.7.1").replace(
        "      - id: mine\n", "      - id: ruff-extra\n      - id: mine\n"
    )
    assert merged(PRECOMMIT, ours, theirs, ".pre-commit-config.yaml") == expected


def test_precommit_repos_added_on_both_sides() -> None:
    mypy = "  - repo: https://github.com/pre-commit/mirrors-mypy\n    rev: v1.11.0\n"
    mypy += "    hooks:\n      - id: mypy\n"
    hooks = "  - repo: https://github.com/pre-commit/pre-commit-hooks\n    rev: v4.6.0\n"
    hooks += "    hooks:\n      - id: check-yaml\n"
    result = merged(PRECOMMIT, PRECOMMIT + mypy, PRECOMMIT + hooks, ".pre-commit-config.yaml")
    assert result == PRECOMMIT + hooks + mypy


def test_template_deletes_a_hook_the_project_changed_conflicts() -> None:
    ours = PRECOMMIT.replace("args: [--fix]", "args: [--fix, --unsafe-fixes]")
    theirs = PRECOMMIT.replace("      - id: ruff\n        args: [--fix]  # autofix\n", "")
    outcome = run(PRECOMMIT, ours, theirs, ".pre-commit-config.yaml")
    assert outcome.conflicts == ("repos[https://github.com/astral-sh/ruff-pre-commit].hooks[ruff]",)


WORKFLOW = dedent("""\
    name: ci
    on: [push, pull_request]
    jobs:
      test:
        runs-on: ubuntu-latest  # hosted
        steps:
          - uses: actions/checkout@v4
          - name: Install
            run: pip install -e .
          - name: Test
            run: pytest -q
    """)


def test_ci_steps_added_on_both_sides_and_a_step_edited_by_each() -> None:
    ours = WORKFLOW.replace(
        "run: pytest -q\n", "run: pytest -q\n      - name: Lint\n        run: ruff check\n"
    ).replace("run: pip install -e .", "run: pip install -e .[dev]")
    theirs = WORKFLOW.replace(
        "run: pytest -q\n", "run: pytest -q\n      - name: Coverage\n        run: coverage report\n"
    ).replace(
        "  - name: Install\n", "  - name: Install\n        env:\n          PIP_NO_CACHE: '1'\n"
    )
    expected = ours.replace(
        "      - name: Lint\n",
        "      - name: Coverage\n        run: coverage report\n      - name: Lint\n",
    ).replace(
        "  - name: Install\n", "  - name: Install\n        env:\n          PIP_NO_CACHE: '1'\n"
    )
    result = merged(WORKFLOW, ours, theirs, ".github/workflows/ci.yml")
    assert result == expected


def test_ci_jobs_merge_by_key() -> None:
    lint = "  lint:\n    runs-on: ubuntu-latest\n    steps:\n      - run: ruff check\n"
    docs = "  docs:\n    runs-on: ubuntu-latest\n    steps:\n      - run: mkdocs build\n"
    result = merged(WORKFLOW, WORKFLOW + lint, WORKFLOW + docs, ".github/workflows/ci.yml")
    assert result == WORKFLOW + docs + lint


def test_gitignore_lines_added_and_removed_on_both_sides() -> None:
    base = "# Python\n__pycache__/\n*.pyc\n.venv/\n"
    ours = "# Python\n__pycache__/\n.venv/\nwandb/\n"
    theirs = "# Python\n__pycache__/\n*.pyc\n.venv/\n.mypy_cache/\n"
    assert (
        merged(base, ours, theirs, ".gitignore")
        == "# Python\n__pycache__/\n.venv/\n.mypy_cache/\nwandb/\n"
    )


def test_line_set_same_line_added_on_both_sides_appears_once() -> None:
    base = "data/\n"
    assert (
        merged(base, "data/\nruns/\n", "data/\nruns/\nmodels/\n", ".dockerignore")
        == "data/\nruns/\nmodels/\n"
    )


def test_requirements_by_name_with_extras_and_comments() -> None:
    base = "numpy>=1.26\ntorch>=2.1  # gpu\n"
    ours = "numpy>=1.26\ntorch[cu121]>=2.1  # gpu, our index\nrich\n"
    theirs = "numpy>=2\ntorch>=2.3  # gpu\npyyaml\n"
    assert merged(base, ours, theirs, "requirements-dev.txt") == (
        "numpy>=2\ntorch[cu121]>=2.3  # gpu, our index\npyyaml\nrich\n"
    )


ANCHORS = dedent("""\
    defaults: &defaults
      image: python:3.11
      retry: 1
    test:
      <<: *defaults
      script: pytest
    lint:
      <<: *defaults
      script: ruff check
    """)


def test_yaml_anchor_changed_by_template_aliases_kept() -> None:
    ours = ANCHORS.replace("script: ruff check", "script: ruff check .\n  allow_failure: true")
    theirs = ANCHORS.replace("python:3.11", "python:3.12")
    assert merged(ANCHORS, ours, theirs, ".gitlab-ci.yml") == ours.replace("3.11", "3.12")


def test_yaml_multi_document() -> None:
    base = "---\nkind: A\nspec:\n  x: 1\n---\nkind: B\nspec:\n  y: 2\n"
    ours = "---\nkind: A\nspec:\n  x: 1\n  mine: true\n---\nkind: B\nspec:\n  y: 2\n"
    theirs = "---\nkind: A\nspec:\n  x: 1\n---\nkind: B\nspec:\n  y: 3\n"
    assert merged(base, ours, theirs, "k8s.yaml") == ours.replace("y: 2", "y: 3")


def test_dvc_stages_by_key() -> None:
    base = "stages:\n  prepare:\n    cmd: python prep.py\n"
    ours = base + "  train:\n    cmd: python train.py\n    deps: [data]\n"
    theirs = base.replace("prep.py", "prep.py --fast") + "  evaluate:\n    cmd: python eval.py\n"
    assert merged(base, ours, theirs, "dvc.yaml") == (
        "stages:\n  prepare:\n    cmd: python prep.py --fast\n"
        "  evaluate:\n    cmd: python eval.py\n"
        "  train:\n    cmd: python train.py\n    deps: [data]\n"
    )


def test_json_keeps_the_project_indentation() -> None:
    base = '{\n    "a": 1,\n    "b": [1, 2]\n}\n'.replace(
        "[1, 2]", "[\n        1,\n        2\n    ]"
    )
    ours = base.replace('"a": 1', '"a": 1,\n    "mine": "é"'.replace("é", "\\u00e9"))
    theirs = base.replace('"b"', '"c": true,\n    "b"')
    assert merged(base, ours, theirs, "package.json") == ours.replace(
        '"mine"', '"c": true,\n    "mine"'
    )


def test_json_with_tabs() -> None:
    base = '{\n\t"a": 1\n}'
    assert (
        merged(base, '{\n\t"a": 2\n}', '{\n\t"a": 1,\n\t"z": 0\n}', "x.json")
        == '{\n\t"a": 2,\n\t"z": 0\n}'
    )


def test_json_layout_the_writer_cannot_reproduce_is_declined() -> None:
    base = '{"a": 1,\n "b": 2}\n'
    outcome = run(base, base.replace("1", "3"), base.replace("2", "4"), "x.json")
    assert outcome == Outcome(None, (), "the change touches lines whose layout cannot be kept")


def test_prettier_json_keeps_its_one_line_objects() -> None:
    base = '[\n  { "rule": "A1", "why": "x" },\n  {\n    "rule": "B2",\n    "why": "y"\n  }\n]\n'
    ours = base.replace('"x"', '"changed"')
    theirs = base.replace("\n]", ',\n  { "rule": "C3", "why": "z" }\n]')
    assert merged(base, ours, theirs, "rules.json") == ours.replace(
        "  }\n]", '  },\n  {\n    "rule": "C3",\n    "why": "z"\n  }\n]'
    )


def test_crlf_stays_crlf() -> None:
    base = PYPROJECT.replace("\n", "\r\n")
    ours = base.replace("100", "120")
    theirs = base.replace('addopts = "-q"', 'addopts = "-ra"')
    assert merged(base, ours, theirs, "pyproject.toml") == ours.replace("-q", "-ra")


def test_yaml_crlf_and_bom() -> None:
    base = "\ufeffa: 1\r\nb: 2\r\n"
    assert (
        merged(base, "\ufeffa: 3\r\nb: 2\r\n", "\ufeffa: 1\r\nb: 4\r\n", "x.yaml")
        == "\ufeffa: 3\r\nb: 4\r\n"
    )


def test_a_side_that_does_not_parse_is_declined() -> None:
    outcome = run("a = 1\n", "a = 1\nb = \n", "a = 2\n", "pyproject.toml")
    assert outcome.merged is None
    assert outcome.reason.startswith("does not parse as TOML")


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("pyproject.toml", "toml"),
        (".github/workflows/ci.yml", "yaml"),
        ("conf/x.yaml", "yaml"),
        ("package.json", "json"),
        (".gitignore", "lines"),
        ("sub/.dockerignore", "lines"),
        (".dvcignore", "lines"),
        ("requirements-dev.txt", "lines"),
        ("Makefile", None),
        ("notes.txt", None),
    ],
)
def test_kind_of(path: str, kind: str | None) -> None:
    assert kind_of(path) == kind


def test_makefile_is_not_merged_by_structure() -> None:
    assert run("a:\n", "a:\nb:\n", "a:\nc:\n", "Makefile") == Outcome(
        None, (), "not a structured file"
    )


def test_duplicate_toml_table_is_a_problem() -> None:
    text = b"[tool.coverage.run]\nbranch = true\n\n[tool.ruff]\nx = 1\n\n"
    text += b"[tool.coverage.run]\nsource = ['src']\n"
    assert (
        problem("pyproject.toml", text)
        == "Cannot declare ('tool', 'coverage', 'run') twice (at line 7, column 19)"
    )


@pytest.mark.parametrize(
    ("path", "text", "said"),
    [
        ("ci.yml", b"a: 1\nb: 2\na: 3\n", 'found duplicate key "a" with value "3" (line 3'),
        ("ci.yml", b'a: 1\n"a": 2\n', 'found duplicate key "a" with value "2"'),  # quoted too
        ("ci.yml", b"jobs:\n  - {x: 1, x: 2}\n", 'found duplicate key "x"'),  # nested, flow
        ("ci.yml", b"---\na: 1\n---\nb: 1\nb: 2\n", 'found duplicate key "b"'),  # 2nd document
        ("ci.yml", b"a: [1\n", "did not find expected ',' or ']'"),
        ("x.json", b'{"a": 1, "a": 2}', "duplicate key 'a'"),
    ],
)
def test_duplicate_keys_and_syntax_errors_are_problems(path: str, text: bytes, said: str) -> None:
    found = problem(path, text)
    assert found is not None
    assert said in found
    assert "\n" not in found


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("pyproject.toml", PYPROJECT.encode()),
        ("ci.yml", WORKFLOW.encode()),
        (".gitlab-ci.yml", b"x: !reference [a, b]\n"),  # a tag no loader knows
        ("ci.yml", b"base: &b {k: 1}\nx: *b\ny: *b\n"),  # one anchor, two aliases
        ("ci.yml", b'1: a\n"1": b\n'),  # an int key and a str key
        ("ci.yml", b"%YAML 1.2\n---\na: 1\n---\na: 1\n"),  # the same key in two documents
        ("ci.yml", b""),
        ("Makefile", b"a:\n\tb\n"),
    ],
)
def test_well_formed_files_have_no_problem(path: str, text: bytes) -> None:
    assert problem(path, text) is None


def test_project_layout_survives_byte_for_byte_outside_the_change() -> None:
    ours = (
        "[tool.pytest.ini_options]   # moved first by the project\n"
        "addopts='-q'\n\n"
        "# ours\n[tool.ruff]\nline-length    = 100\n\n"
        '[project]\ndependencies = ["torch>=2.1", "numpy>=1.26"]\nname = "demo"\n'
    )
    theirs = PYPROJECT.replace('addopts = "-q"', 'addopts = "-ra"')
    assert merged(PYPROJECT, ours, theirs, "pyproject.toml") == ours.replace("'-q'", '"-ra"')


def test_yaml_quoting_and_comments_survive() -> None:
    base = "a: 'x'  # one\nb:\n  - 1\n  - 2\nc: \"y\"\n"
    ours = "# top\na: 'x'  # one, said the project\nb:\n  - 1\n  - 2\nc: \"y\"\n"
    theirs = "a: 'x'  # one\nb:\n  - 1\n  - 2\n  - 3\nc: \"z\"\n"
    assert merged(base, ours, theirs, "x.yaml") == ours.replace(
        "  - 2\n", "  - 2\n  - 3\n"
    ).replace('"y"', '"z"')


def test_key_deleted_on_one_side_and_changed_on_the_other_conflicts() -> None:
    ours = PYPROJECT.replace('addopts = "-q"', 'addopts = "-x"')
    theirs = PYPROJECT.replace('[tool.pytest.ini_options]\naddopts = "-q"\n', "")
    assert run(PYPROJECT, ours, theirs, "pyproject.toml").conflicts == ("tool.pytest",)


def test_unnamed_list_item_rewritten_on_both_sides_conflicts() -> None:
    base = "items:\n  - {a: 1}\n"
    outcome = run(base, "items:\n  - {a: 2}\n", "items:\n  - {a: 3}\n", "x.yaml")
    assert outcome.conflicts == ("items",)


def test_scalar_list_items_added_and_removed_by_value() -> None:
    base = '[tool.ruff.lint]\nselect = ["E", "F", "W"]\n'
    ours = '[tool.ruff.lint]\nselect = ["E", "F", "W", "B"]\n'
    theirs = '[tool.ruff.lint]\nselect = ["E", "W", "I"]\n'
    assert (
        merged(base, ours, theirs, "ruff.toml")
        == '[tool.ruff.lint]\nselect = ["E", "W", "I", "B"]\n'
    )


def test_yaml_document_count_differs_is_declined() -> None:
    outcome = run("a: 1\n", "a: 1\n---\nb: 2\n", "a: 2\n", "x.yaml")
    assert outcome == Outcome(None, (), "the sides have different numbers of YAML documents")


JOBS = "jobs:\n  test:\n    runs-on: x\n    steps:\n      - run: a\n\nafter: 1\n"


@pytest.mark.parametrize(
    ("base", "appended"),
    [
        ("m:\n  a: 1\n  b: 2  # bee\n\nother: 1\n", "  c: 3\n"),
        ("l:\n  - a\n  - b\n\nother: 1\n", "  - c\n"),
        (JOBS.replace("after", "other"), "  docs:\n    runs-on: y\n    steps:\n      - run: d\n"),
        (JOBS.replace("after", "other"), "  lst:\n    - 1\n    - 2\n"),
    ],
)
def test_blank_lines_after_a_block_stay_after_the_appended_entry(base: str, appended: str) -> None:
    ours = base.replace("other: 1", "other: 2")
    theirs = base.replace("\n\nother", "\n" + appended.rstrip("\n") + "\n\nother")
    assert merged(base, ours, theirs, "x.yml") == ours.replace(
        "\n\nother", "\n" + appended + "\nother"
    )


def test_duplicate_table_from_both_sides_merges_into_the_project_table() -> None:
    base = '[project]\nname = "x"\n\n[tool.ruff]\nline-length = 100\n\n[project.urls]\nhome = "h"\n'
    ours = base.replace("[tool.ruff]", '[tool.coverage.run]\nsource = ["src"]\n\n[tool.ruff]')
    theirs = base + "\n[tool.coverage.run]\nbranch = true\n"
    assert merged(base, ours, theirs, "pyproject.toml") == ours.replace(
        'source = ["src"]\n', 'source = ["src"]\nbranch = true\n'
    )


def test_a_table_the_template_appended_gets_the_project_spacing() -> None:
    base = '[project]\nname = "x"\n\n[tool.ruff]\nline-length = 100\n\n[project.urls]\nhome = "h"\n'
    theirs = base + "\n[tool.mypy]\nstrict = true\n"
    assert merged(base, base.replace('"x"', '"y"'), theirs, "pyproject.toml") == base.replace(
        '"x"', '"y"'
    ).replace("100\n", "100\n\n[tool.mypy]\nstrict = true\n")


ODD = "nav:\n- Home: index.md\n- Usage: usage.md\nextra_css:\n  - custom.css\n"
ODD += "theme:\n  name: material\n"


def test_yaml_layout_the_writer_cannot_reproduce_survives_outside_the_change() -> None:
    ours = ODD.replace("- Usage: usage.md\n", "- Usage: usage.md\n- Mine: mine.md\n")
    theirs = ODD.replace("name: material", "name: material\n  palette: teal")
    assert merged(ODD, ours, theirs, "mkdocs.yml") == ours + "  palette: teal\n"


def test_yaml_change_on_a_line_the_writer_cannot_reproduce_is_declined() -> None:
    ours = ODD.replace("name: material", "name: readthedocs")
    theirs = ODD.replace("  - custom.css\n", "  - custom.css\n  - extra.css\n")
    outcome = run(ODD, ours, theirs, "mkdocs.yml")
    assert outcome == Outcome(None, (), "the change touches lines whose layout cannot be kept")


def test_requirements_pinned_differently_on_both_sides_conflict() -> None:
    base = "numpy==1.26.0\nrich\n"
    outcome = run(base, "numpy==1.26.4\nrich\n", "numpy==2.0.0\nrich\n", "requirements.txt")
    assert outcome == Outcome(None, ("[numpy]",), "changed on both sides")


def test_ci_step_changed_on_both_sides_conflicts_by_name() -> None:
    ours = WORKFLOW.replace("run: pytest -q", "run: pytest -x")
    theirs = WORKFLOW.replace("run: pytest -q", "run: pytest -n 2")
    outcome = run(WORKFLOW, ours, theirs, ".github/workflows/ci.yml")
    assert outcome.conflicts == ("jobs.test.steps[Test].run",)


def test_an_item_the_template_appended_before_the_project_own_loses_its_blank_line() -> None:
    """In the template's file the new matrix entry ended the list (a blank line after it); in
    the project it lands before the project's own entry, and the blank line stays where it was."""
    base = "include:\n- os: a\n  py: '3.12'\n\nruns-on: x\n"
    ours = base.replace("\n\nruns-on", "\n- os: a\n  py: 3.14t\n\nruns-on")
    theirs = base.replace("\n\nruns-on", "\n- os: a\n  py: '3.15'\n\nruns-on")
    assert merged(base, ours, theirs, "ci.yml") == ours.replace(
        "- os: a\n  py: 3.14t", "- os: a\n  py: '3.15'\n- os: a\n  py: 3.14t"
    )


def test_a_key_the_template_appended_before_the_project_own_loses_its_blank_line() -> None:
    base = "env:\n  A: 1\n\njobs: {}\n"
    ours = base.replace("  A: 1\n", "  A: 1\n  MINE: 2\n")
    theirs = base.replace("  A: 1\n", "  A: 1\n  NEW: 3\n")
    assert merged(base, ours, theirs, "ci.yml") == base.replace(
        "  A: 1\n", "  A: 1\n  NEW: 3\n  MINE: 2\n"
    )


def test_jobs_renamed_and_appended_take_the_project_blank_lines() -> None:
    """scientific-python/cookie 2026.04.03: the template renames a job, rewrites a step and
    appends a job; the project added a step. Blank lines follow the project's blocks: between
    jobs (as the project has them), none between steps (the template's list ended there)."""
    base = dedent("""\
        jobs:
          pre-commit:
            name: Format
            steps:
              - run: a

          checks:
            needs: [pre-commit]
            steps:
              - run: b
        """)
    ours = base + "      - name: Mine\n        run: m\n"
    theirs = dedent("""\
        jobs:
          lint:
            name: Format
            steps:
              - run: a

          checks:
            steps:
              - run: c

          pass:
            needs: [lint, checks]
        """)
    assert merged(base, ours, theirs, "ci.yml") == dedent("""\
        jobs:
          lint:
            name: Format
            steps:
              - run: a

          checks:
            steps:
              - run: c
              - name: Mine
                run: m

          pass:
            needs: [lint, checks]
        """)
