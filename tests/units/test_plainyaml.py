"""`plainyaml` reads dlgen's own YAML exactly as PyYAML does, or declines (None)."""

from __future__ import annotations

import pytest
import yaml

from dlgen import answers, plainyaml

TRICKY = [
    "yes",
    "No",
    "on",
    "OFF",
    "y",
    "n",
    "true",
    "True",
    "null",
    "Null",
    "~",
    "",
    " ",
    "0",
    "7",
    "-3",
    "+4",
    "007",
    "0o17",
    "0x1F",
    "0b101",
    "1_000",
    "1e3",
    "1.0e+3",
    "0.1",
    "0.1.0",
    "v0.1.0",
    ".5",
    ".inf",
    "-.Inf",
    ".NaN",
    "1:30",
    "190:20:30.15",
    "2024-01-31",
    "2001-12-14t21:59:43.10-05:00",
    "<<",
    "=",
    "a: b",
    "a:b",
    "a #b",
    "a#b",
    "#x",
    "x:",
    "-x",
    "- x",
    "?x",
    ":x",
    "[a]",
    "{a}",
    "'q'",
    "it's",
    'say "hi"',
    "&a",
    "*a",
    "!tag",
    "%x",
    "@x",
    "`x",
    "|",
    ">",
    "a\tb",
    "tab\t",
    "multi\nline",
    "x" * 120,
    "ünïcødé",
    "emoji 🎉",
    "\x85nel",
    "line\u2028sep",
    "dlgen==0.1.0",
    "dlgen @ git+ssh://git@h/o/dlgen.git@v0.1.0",
    "dlgen @ file:///tmp/x/dlgen-0.1.0-py3-none-any.whl",
    "https://pypi.example.com/simple",
    ".github/workflows/ci.yml",
    "/abs/path",
    "trailing ",
]


def same(a: object, b: object) -> bool:
    """Equal with equal types all the way down (True == 1 in Python, not in YAML)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def agrees(text: str) -> bool:
    """plainyaml declines, or reads `text` exactly as PyYAML does."""
    mine = plainyaml.load(text)
    return mine is None or same(mine, yaml.safe_load(text))


def _record(value: object) -> answers.Record:
    return answers.Record(
        template="dl-project",
        template_version="0.1.0",
        dlgen_version="0.1.0",
        answers={
            "project_name": "demo",
            "tricky": value,
            "flag": True,
            "n": 3,
            "none": None,
            "items": ["a", value, 1],
        },
        policy=answers.Policy(enforced=(".pre-commit-config.yaml", "Dockerfile"), max_lag=2),
        check=answers.CheckConfig(ignore={"Dockerfile": str(value) or "reason"}, strict=True),
    )


@pytest.mark.parametrize("value", TRICKY)
def test_dlgen_records_read_as_pyyaml_reads_them(value: str) -> None:
    assert agrees(answers.dumps(_record(value)))


def test_a_plain_record_is_read_without_pyyaml() -> None:
    text = answers.dumps(_record("plain words"))
    assert plainyaml.load(text) is not None and agrees(text)
    assert answers.parse(text, "x") == answers.parse(
        text.replace("plain words", "'plain words'"), "x"
    )


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\n# comment\n\nb:\n  c: x\n  d:\n  - 1\n  - two\ne: []\nf: {}\n",
        "check:\n  ignore:\n    Dockerfile: need root   \n    'odd: key': 'it''s'\n",
        "a: 1\na: 2\n",
        "a:\n  - x\n  - y\n",
        "a: x # comment\n",
        "a: [x, y]\n",
        "a: |\n  block\n",
        "a: long\n  folded\n",
        "a:\n- x\n  - y\n",
        "a:\n    b: 1\n  c: 2\n",
        "- a\n- b\n",
        "on: 1\n",
        "1: x\n",
        "---\na: 1\n",
        "a: &x 1\nb: *x\n",
        "\ufeffa: 1\n",
        "a:\tb\n",
        "a: b\r\nc: d\r\n",
        "a:\n  -\n    b: 1\n",
        'a: "x"\n',
        "key : v\n",
        "  a: 1\n",
    ],
)
def test_hand_edited_yaml_is_read_as_pyyaml_reads_it_or_declined(text: str) -> None:
    try:
        expected = yaml.safe_load(text)
    except yaml.YAMLError:
        assert plainyaml.load(text) is None
        return
    assert expected is not None and agrees(text)


def test_most_tricky_values_are_read_not_declined() -> None:
    """The reader is useful only if dlgen's usual records take the fast path."""
    read = [v for v in TRICKY if plainyaml.load(answers.dumps(_record(v))) is not None]
    assert {"yes", "0.1.0", "dlgen==0.1.0", "https://pypi.example.com/simple", "it's"} <= set(read)
