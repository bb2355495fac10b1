"""How a `--template SOURCE@REF` value splits, and what dlgen reads as a version number."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlgen import sources, versions


@pytest.mark.parametrize(
    ("spec", "split"),
    [
        ("../tpl@v1.2", ("../tpl", "v1.2")),
        ("../tpl@release/v3", ("../tpl", "release/v3")),
        ("https://example.org/t.git@release/v3", ("https://example.org/t.git", "release/v3")),
        ("https://bob@example.org/t.git", ("https://bob@example.org/t.git", None)),
        ("https://bob@example.org/t.git@v2", ("https://bob@example.org/t.git", "v2")),
        ("git@example.org:team/t.git", ("git@example.org:team/t.git", None)),
        ("git@example.org:team/t.git@feature/x", ("git@example.org:team/t.git", "feature/x")),
        ("ssh://git@example.org:22/t.git", ("ssh://git@example.org:22/t.git", None)),
        ("dl-project", ("dl-project", None)),
        ("tpl@", ("tpl@", None)),
    ],
)
def test_split_ref_at_the_last_at_sign(spec: str, split: tuple[str, str | None]) -> None:
    assert sources.split_ref(spec) == split


def test_an_existing_directory_with_an_at_sign_is_no_ref(tmp_path: Path) -> None:
    folder = tmp_path / "team@corp" / "tpl"
    folder.mkdir(parents=True)
    assert sources.split_ref(str(folder)) == (str(folder), None)
    assert sources.split_ref(f"{folder}@v1") == (str(folder), "v1")


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("v1.2.3", (1, 2, 3)),
        ("1.40", (1, 40, 0)),
        ("v1-3-g41320b2", (1, 0, 0)),  # `git describe --tags`: v1 and 3 commits
        ("41320b2", None),  # a commit id, not version 41320
        ("41320b2c9e0d1f2a3b4c5d6e7f80912a3b4c5d6e", None),
        ("release/v3", None),
        ("2024", (2024, 0, 0)),
    ],
)
def test_what_reads_as_a_version(text: str, parsed: tuple[int, int, int] | None) -> None:
    assert versions.parse(text) == parsed
