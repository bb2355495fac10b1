"""`.dlgen.yml`: round trip, and every malformation named by its key (FAULTS 23-24)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlgen import answers
from dlgen.errors import InputError

GOOD = """\
template: dl-project
template_version: 0.1.0
dlgen_version: 0.1.0
answers:
  project_name: acme
  docker: true
  tags: [a, b]
policy:
  enforced: [Dockerfile]
  max_lag: 2
check:
  ignore:
    Dockerfile: we build on an internal base image
"""


def test_round_trip_is_stable(tmp_path: Path) -> None:
    record = answers.parse(GOOD, "x")
    assert record.answers == {"project_name": "acme", "docker": True, "tags": ["a", "b"]}
    assert record.policy.enforced == ("Dockerfile",) and record.policy.max_lag == 2
    assert record.check.ignore == {"Dockerfile": "we build on an internal base image"}
    answers.save(tmp_path, record)
    text = (tmp_path / ".dlgen.yml").read_text()
    assert answers.load(tmp_path) == record
    answers.save(tmp_path, answers.load(tmp_path))
    assert (tmp_path / ".dlgen.yml").read_text() == text
    assert text.startswith("# dlgen project record")


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (GOOD + "colour: red\n", "key 'colour' is unknown"),
        (GOOD.replace("template: dl-project\n", ""), "key 'template' is missing"),
        (GOOD.replace("template: dl-project", "template: [1]"), "key 'template' must be str"),
        (GOOD.replace("  max_lag: 2", "  max_lag: two"), "key 'max_lag' must be int"),
        (GOOD.replace("  max_lag: 2", "  lag: 2"), "key 'policy.lag' is unknown"),
        (GOOD.replace("we build on an internal base image", "''"), "check.ignore"),
        (GOOD.replace("  docker: true", "  docker: {1: a}"), "answers.docker"),
        ("a: 1\nb: c: d\n", "line 2"),
        ("- a list\n", "not a mapping"),
    ],
)
def test_malformed_records_name_the_key(text: str, needle: str) -> None:
    with pytest.raises(InputError, match="x") as err:
        answers.parse(text, "x")
    assert needle in str(err.value)


def test_missing_record_points_to_adopt(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="dlgen adopt"):
        answers.load(tmp_path)
