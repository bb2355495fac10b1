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

ODD = "nav:\n- Home: index.md\n- Usage: usage.md\nextra_css:\n  - custom.css\n"
ODD += "theme:\n  name: material\n"


def _set(text: str, *changes: tuple[str, str]) -> str:
    """`text` with each (old, new) replaced once, in order; every `old` must be there."""
    for before, after in changes:
        assert before in text, before
        text = text.replace(before, after, 1)
    return text


P, DEP = PYPROJECT, '"torch>=2.1",\n'
HOOK, LANG = "      - id: ruff-format\n", "        language: system\n"
MYPY = "  - repo: https://github.com/pre-commit/mirrors-mypy\n    rev: v1.11.0\n"
MYPY += "    hooks:\n      - id: mypy\n"
HOOKS = "  - repo: https://github.com/pre-commit/pre-commit-hooks\n    rev: v4.6.0\n"
HOOKS += "    hooks:\n      - id: check-yaml\n"
INSTALL_ENV = (
    "  - name: Install\n",
    "  - name: Install\n        env:\n          PIP_NO_CACHE: '1'\n",
)
LINT_STEP = "      - name: Lint\n        run: ruff check\n"
COVERAGE_STEP = "      - name: Coverage\n        run: coverage report\n"
LINT_JOB = "  lint:\n    runs-on: ubuntu-latest\n    steps:\n      - run: ruff check\n"
DOCS_JOB = "  docs:\n    runs-on: ubuntu-latest\n    steps:\n      - run: mkdocs build\n"
JSON_BASE = '{\n    "a": 1,\n    "b": [\n        1,\n        2\n    ]\n}\n'
PRETTIER = '[\n  { "rule": "A1", "why": "x" },\n  {\n    "rule": "B2",\n    "why": "y"\n  }\n]\n'
TABLES = '[project]\nname = "x"\n\n[tool.ruff]\nline-length = 100\n\n[project.urls]\nhome = "h"\n'
MOVED = (
    "[tool.pytest.ini_options]   # moved first by the project\n"
    "addopts='-q'\n\n"
    "# ours\n[tool.ruff]\nline-length    = 100\n\n"
    '[project]\ndependencies = ["torch>=2.1", "numpy>=1.26"]\nname = "demo"\n'
)
MATRIX = "include:\n- os: a\n  py: '3.12'\n\nruns-on: x\n"
ENV = "env:\n  A: 1\n\njobs: {}\n"
DVC = "stages:\n  prepare:\n    cmd: python prep.py\n"
DVC_TRAIN = "  train:\n    cmd: python train.py\n    deps: [data]\n"
DVC_EVAL = "  evaluate:\n    cmd: python eval.py\n"
K8S = "---\nkind: A\nspec:\n  x: 1\n---\nkind: B\nspec:\n  y: 2\n"
QUOTED = "a: 'x'  # one\nb:\n  - 1\n  - 2\nc: \"y\"\n"
ANCHOR_OURS = ("script: ruff check", "script: ruff check .\n  allow_failure: true")
ODD_OURS = ("- Usage: usage.md\n", "- Usage: usage.md\n- Mine: mine.md\n")

# (base, ours, theirs, path, the merged file in full)
MERGED = {
    "dependency appended on both sides keeps both, template first": (
        P,
        _set(P, (DEP, DEP + '    "pandas>=2",\n')),
        _set(P, (DEP, DEP + '    "rich",\n')),
        "pyproject.toml",
        _set(P, (DEP, DEP + '    "rich",\n    "pandas>=2",\n')),
    ),
    "toml tables added on both sides": (
        P,
        _set(P, ("[tool.pytest", "[tool.mypy]\nstrict = true\n\n[tool.pytest")),
        P + "\n[tool.coverage.run]\nbranch = true\n",
        "pyproject.toml",
        _set(P, ("[tool.pytest", "[tool.mypy]\nstrict = true\n\n[tool.pytest"))
        + "\n[tool.coverage.run]\nbranch = true\n",
    ),
    "same change on both sides is no conflict": (
        P,
        _set(P, ("100", "120")),
        _set(P, ("100", "120")),
        "pyproject.toml",
        _set(P, ("100", "120")),
    ),
    "template bump and project extras merge": (
        P,
        _set(P, ('"torch>=2.1"', '"torch[cu121]>=2.1"')),
        _set(P, ('"torch>=2.1"', '"torch==2.4.1"')),
        "pyproject.toml",
        _set(P, ('"torch>=2.1"', '"torch[cu121]==2.4.1"')),
    ),
    "dependency identity is the normalized name": (
        P,
        _set(P, ('"numpy>=1.26",  # arrays', '"NumPy>=1.26",  # arrays, renamed')),
        _set(P, ('"numpy>=1.26"', '"numpy>=2"')),
        "pyproject.toml",
        _set(P, ('"numpy>=1.26",  # arrays', '"NumPy>=2",  # arrays, renamed')),
    ),
    "toml inline table keys merge": (
        '[tool.demo]\nopts = { a = 1, b = 2 }\nname = "x"  # keep\n',
        '[tool.demo]\nopts = { a = 1, b = 3 }\nname = "x"  # keep\n',
        '[tool.demo]\nopts = { a = 5, b = 2, c = 4 }\nname = "x"  # keep\n',
        "pyproject.toml",
        '[tool.demo]\nopts = { a = 5, b = 3, c = 4 }\nname = "x"  # keep\n',
    ),
    "toml scalar list items added and removed by value": (
        '[tool.ruff.lint]\nselect = ["E", "F", "W"]\n',
        '[tool.ruff.lint]\nselect = ["E", "F", "W", "B"]\n',
        '[tool.ruff.lint]\nselect = ["E", "W", "I"]\n',
        "ruff.toml",
        '[tool.ruff.lint]\nselect = ["E", "W", "I", "B"]\n',
    ),
    "duplicate table from both sides merges into the project table": (
        TABLES,
        _set(TABLES, ("[tool.ruff]", '[tool.coverage.run]\nsource = ["src"]\n\n[tool.ruff]')),
        TABLES + "\n[tool.coverage.run]\nbranch = true\n",
        "pyproject.toml",
        _set(
            TABLES,
            ("[tool.ruff]", '[tool.coverage.run]\nsource = ["src"]\nbranch = true\n\n[tool.ruff]'),
        ),
    ),
    "a table the template appended gets the project spacing": (
        TABLES,
        _set(TABLES, ('"x"', '"y"')),
        TABLES + "\n[tool.mypy]\nstrict = true\n",
        "pyproject.toml",
        _set(TABLES, ('"x"', '"y"'), ("100\n", "100\n\n[tool.mypy]\nstrict = true\n")),
    ),
    "project layout survives byte for byte outside the change": (
        P,
        MOVED,
        _set(P, ('addopts = "-q"', 'addopts = "-ra"')),
        "pyproject.toml",
        _set(MOVED, ("'-q'", '"-ra"')),
    ),
    "crlf stays crlf": (
        P.replace("\n", "\r\n"),
        _set(P, ("100", "120")).replace("\n", "\r\n"),
        _set(P, ('addopts = "-q"', 'addopts = "-ra"')).replace("\n", "\r\n"),
        "pyproject.toml",
        _set(P, ("100", "120"), ("-q", "-ra")).replace("\n", "\r\n"),
    ),
    "precommit hooks added on both sides and rev bumped": (
        PRECOMMIT,
        _set(
            PRECOMMIT,
            (HOOK, HOOK + "      - id: mine\n"),
            (LANG, LANG + "        pass_filenames: false\n"),
        ),
        _set(PRECOMMIT, ("v0.6.0", "v0.7.1"), (HOOK, HOOK + "      - id: ruff-extra\n")),
        ".pre-commit-config.yaml",
        _set(
            PRECOMMIT,
            ("v0.6.0", "v0.7.1"),
            (HOOK, HOOK + "      - id: ruff-extra\n      - id: mine\n"),
            (LANG, LANG + "        pass_filenames: false\n"),
        ),
    ),
    "precommit repos added on both sides": (
        PRECOMMIT,
        PRECOMMIT + MYPY,
        PRECOMMIT + HOOKS,
        ".pre-commit-config.yaml",
        PRECOMMIT + HOOKS + MYPY,
    ),
    "ci steps added on both sides and a step edited by each": (
        WORKFLOW,
        _set(
            WORKFLOW,
            ("run: pytest -q\n", "run: pytest -q\n" + LINT_STEP),
            ("run: pip install -e .", "run: pip install -e .[dev]"),
        ),
        _set(WORKFLOW, ("run: pytest -q\n", "run: pytest -q\n" + COVERAGE_STEP), INSTALL_ENV),
        ".github/workflows/ci.yml",
        _set(
            WORKFLOW,
            ("run: pip install -e .", "run: pip install -e .[dev]"),
            ("run: pytest -q\n", "run: pytest -q\n" + COVERAGE_STEP + LINT_STEP),
            INSTALL_ENV,
        ),
    ),
    "ci jobs merge by key": (
        WORKFLOW,
        WORKFLOW + LINT_JOB,
        WORKFLOW + DOCS_JOB,
        ".github/workflows/ci.yml",
        WORKFLOW + DOCS_JOB + LINT_JOB,
    ),
    "yaml anchor changed by the template, aliases kept": (
        ANCHORS,
        _set(ANCHORS, ANCHOR_OURS),
        _set(ANCHORS, ("python:3.11", "python:3.12")),
        ".gitlab-ci.yml",
        _set(ANCHORS, ("python:3.11", "python:3.12"), ANCHOR_OURS),
    ),
    "yaml multi document": (
        K8S,
        _set(K8S, ("x: 1\n", "x: 1\n  mine: true\n")),
        _set(K8S, ("y: 2", "y: 3")),
        "k8s.yaml",
        _set(K8S, ("x: 1\n", "x: 1\n  mine: true\n"), ("y: 2", "y: 3")),
    ),
    "dvc stages by key": (
        DVC,
        DVC + DVC_TRAIN,
        _set(DVC, ("prep.py", "prep.py --fast")) + DVC_EVAL,
        "dvc.yaml",
        _set(DVC, ("prep.py", "prep.py --fast")) + DVC_EVAL + DVC_TRAIN,
    ),
    "yaml crlf and bom": (
        "\ufeffa: 1\r\nb: 2\r\n",
        "\ufeffa: 3\r\nb: 2\r\n",
        "\ufeffa: 1\r\nb: 4\r\n",
        "x.yaml",
        "\ufeffa: 3\r\nb: 4\r\n",
    ),
    "yaml quoting and comments survive": (
        QUOTED,
        "# top\n" + _set(QUOTED, ("# one", "# one, said the project")),
        _set(QUOTED, ("  - 2\n", "  - 2\n  - 3\n"), ('"y"', '"z"')),
        "x.yaml",
        "# top\n"
        + _set(
            QUOTED,
            ("# one", "# one, said the project"),
            ("  - 2\n", "  - 2\n  - 3\n"),
            ('"y"', '"z"'),
        ),
    ),
    "yaml layout the writer cannot reproduce survives outside the change": (
        ODD,
        _set(ODD, ODD_OURS),
        _set(ODD, ("name: material", "name: material\n  palette: teal")),
        "mkdocs.yml",
        _set(ODD, ODD_OURS) + "  palette: teal\n",
    ),
    # in the template's file the new matrix entry ended the list (a blank line after it); in the
    # project it lands before the project's own entry, and the blank line stays where it was
    "an item the template appended before the project's own loses its blank line": (
        MATRIX,
        _set(MATRIX, ("\n\nruns-on", "\n- os: a\n  py: 3.14t\n\nruns-on")),
        _set(MATRIX, ("\n\nruns-on", "\n- os: a\n  py: '3.15'\n\nruns-on")),
        "ci.yml",
        _set(MATRIX, ("\n\nruns-on", "\n- os: a\n  py: '3.15'\n- os: a\n  py: 3.14t\n\nruns-on")),
    ),
    "a key the template appended before the project's own loses its blank line": (
        ENV,
        _set(ENV, ("  A: 1\n", "  A: 1\n  MINE: 2\n")),
        _set(ENV, ("  A: 1\n", "  A: 1\n  NEW: 3\n")),
        "ci.yml",
        _set(ENV, ("  A: 1\n", "  A: 1\n  NEW: 3\n  MINE: 2\n")),
    ),
    "json keeps the project indentation": (
        JSON_BASE,
        _set(JSON_BASE, ('"a": 1', '"a": 1,\n    "mine": "\\u00e9"')),
        _set(JSON_BASE, ('"b"', '"c": true,\n    "b"')),
        "package.json",
        _set(JSON_BASE, ('"a": 1', '"a": 1,\n    "c": true,\n    "mine": "\\u00e9"')),
    ),
    "json with tabs": (
        '{\n\t"a": 1\n}',
        '{\n\t"a": 2\n}',
        '{\n\t"a": 1,\n\t"z": 0\n}',
        "x.json",
        '{\n\t"a": 2,\n\t"z": 0\n}',
    ),
    "prettier json keeps its one-line objects": (
        PRETTIER,
        _set(PRETTIER, ('"x"', '"changed"')),
        _set(PRETTIER, ("\n]", ',\n  { "rule": "C3", "why": "z" }\n]')),
        "rules.json",
        _set(
            PRETTIER,
            ('"x"', '"changed"'),
            ("  }\n]", '  },\n  {\n    "rule": "C3",\n    "why": "z"\n  }\n]'),
        ),
    ),
    "gitignore lines added and removed on both sides": (
        "# Python\n__pycache__/\n*.pyc\n.venv/\n",
        "# Python\n__pycache__/\n.venv/\nwandb/\n",
        "# Python\n__pycache__/\n*.pyc\n.venv/\n.mypy_cache/\n",
        ".gitignore",
        "# Python\n__pycache__/\n.venv/\n.mypy_cache/\nwandb/\n",
    ),
    "line set: the same line added on both sides appears once": (
        "data/\n",
        "data/\nruns/\n",
        "data/\nruns/\nmodels/\n",
        ".dockerignore",
        "data/\nruns/\nmodels/\n",
    ),
    "requirements by name with extras and comments": (
        "numpy>=1.26\ntorch>=2.1  # gpu\n",
        "numpy>=1.26\ntorch[cu121]>=2.1  # gpu, our index\nrich\n",
        "numpy>=2\ntorch>=2.3  # gpu\npyyaml\n",
        "requirements-dev.txt",
        "numpy>=2\ntorch[cu121]>=2.3  # gpu, our index\npyyaml\nrich\n",
    ),
}


@pytest.mark.parametrize(
    ("base", "ours", "theirs", "path", "expected"), MERGED.values(), ids=MERGED
)
def test_merged(base: str, ours: str, theirs: str, path: str, expected: str) -> None:
    assert merged(base, ours, theirs, path) == expected


BOTH = "changed on both sides"
LAYOUT = "the change touches lines whose layout cannot be kept"
RUFF_HOOK = "repos[https://github.com/astral-sh/ruff-pre-commit].hooks[ruff]"

# (base, ours, theirs, path, the outcome in full: nothing merged)
DECLINED = {
    "a true conflict names the key": (
        P, _set(P, ("100", "120")), _set(P, ("100", "88")), "pyproject.toml",
        Outcome(None, ("tool.ruff.line-length",), BOTH),
    ),
    "both sides bump the same dependency differently": (
        P, _set(P, ('"torch>=2.1"', '"torch>=2.2"')), _set(P, ('"torch>=2.1"', '"torch>=2.3"')),
        "pyproject.toml", Outcome(None, ("project.dependencies[torch]",), BOTH),
    ),
    "a key deleted on one side and changed on the other": (
        P, _set(P, ('addopts = "-q"', 'addopts = "-x"')),
        _set(P, ('[tool.pytest.ini_options]\naddopts = "-q"\n', "")), "pyproject.toml",
        Outcome(None, ("tool.pytest",), BOTH),
    ),
    "the template deletes a hook the project changed": (
        PRECOMMIT, _set(PRECOMMIT, ("args: [--fix]", "args: [--fix, --unsafe-fixes]")),
        _set(PRECOMMIT, ("      - id: ruff\n        args: [--fix]  # autofix\n", "")),
        ".pre-commit-config.yaml", Outcome(None, (RUFF_HOOK,), BOTH),
    ),
    "a ci step changed on both sides conflicts by name": (
        WORKFLOW, _set(WORKFLOW, ("run: pytest -q", "run: pytest -x")),
        _set(WORKFLOW, ("run: pytest -q", "run: pytest -n 2")), ".github/workflows/ci.yml",
        Outcome(None, ("jobs.test.steps[Test].run",), BOTH),
    ),
    "an unnamed list item rewritten on both sides": (
        "items:\n  - {a: 1}\n", "items:\n  - {a: 2}\n", "items:\n  - {a: 3}\n", "x.yaml",
        Outcome(None, ("items",), BOTH),
    ),
    "requirements pinned differently on both sides": (
        "numpy==1.26.0\nrich\n", "numpy==1.26.4\nrich\n", "numpy==2.0.0\nrich\n",
        "requirements.txt", Outcome(None, ("[numpy]",), BOTH),
    ),
    "yaml document count differs": (
        "a: 1\n", "a: 1\n---\nb: 2\n", "a: 2\n", "x.yaml",
        Outcome(None, (), "the sides have different numbers of YAML documents"),
    ),
    "yaml change on a line the writer cannot reproduce": (
        ODD, _set(ODD, ("name: material", "name: readthedocs")),
        _set(ODD, ("  - custom.css\n", "  - custom.css\n  - extra.css\n")), "mkdocs.yml",
        Outcome(None, (), LAYOUT),
    ),
    "json layout the writer cannot reproduce": (
        '{"a": 1,\n "b": 2}\n', '{"a": 3,\n "b": 2}\n', '{"a": 1,\n "b": 4}\n', "x.json",
        Outcome(None, (), LAYOUT),
    ),
    "a makefile is not merged by structure": (
        "a:\n", "a:\nb:\n", "a:\nc:\n", "Makefile", Outcome(None, (), "not a structured file"),
    ),
}  # fmt: skip


@pytest.mark.parametrize(
    ("base", "ours", "theirs", "path", "outcome"), DECLINED.values(), ids=DECLINED
)
def test_declined(base: str, ours: str, theirs: str, path: str, outcome: Outcome) -> None:
    assert run(base, ours, theirs, path) == outcome


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
