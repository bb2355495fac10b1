"""The fleet commands where users really run them (issue 17 with issue #16's repositories):
`dlgen rollout`, `dlgen status --preview REF` and an update running a trusted `_migrations` script
in a shallow CI checkout (`--depth 1`), a clone with core.fileMode=false, and a linked work tree.
The provider's CLI is a stub first on PATH (the `forge` fixture)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import TemplateRepo, git, invoke
from tests.repos.conftest import COPIER, V2, Repos, modes_at, release, tree_at, up

# moves the project's own batch size under `batch:` in the create-only params.yaml
MIGRATION = (
    "_migrations:\n  - version: v2\n    command:\n"
    '      - "{{ _copier_python }}"\n      - "-c"\n'
    "      - \"import pathlib; p = pathlib.Path('params.yaml'); "
    "p.write_text(p.read_text().replace('batch_size:', 'batch:\\\\n  size:'))\"\n"
)
PLACES = ["shallow", "file-mode-false", "linked-worktree"]


@pytest.fixture(params=PLACES)
def place(
    request: pytest.FixtureRequest, repos: Repos, tpl: TemplateRepo, published: tuple[Path, Path]
) -> Path:
    """A clone of the published project as users have it, its batch size its own; then v2
    (a migration, a new executable script, changed files) is released."""
    origin, author = published
    (author / "params.yaml").write_text("batch_size: 32\n")
    git("commit", "-qam", "our batch size", cwd=author)
    git("push", "-q", "origin", "main", cwd=author)
    if request.param == "shallow":
        clone = repos.shallow(origin, "ci", 1)
    elif request.param == "file-mode-false":
        clone = repos.clone(origin, "nomodes", config={"core.fileMode": "false"})
    else:
        clone = repos.worktree(repos.clone(origin, "main-clone"), "linked", "work")
    release(tpl, "v2", {**V2, "copier.yml": COPIER + MIGRATION})
    return clone


def test_rollout(place: Path, repos: Repos, forge: Callable[[], dict[str, object]]) -> None:
    head = git("symbolic-ref", "--short", "HEAD", cwd=place).strip()
    result = invoke("rollout", "--provider", "github", "--trust", "--format", "json", str(place))
    assert result.code == 0, result.out + result.err
    (row,) = json.loads(result.out)["projects"]
    assert (row["state"], row["old_version"], row["new_version"]) == ("opened", "v1", "v2"), row
    assert row["unresolved"] == []
    origin = repos.root / "origin.git"
    pushed = tree_at(origin, "dlgen/sync")
    assert pushed["params.yaml"] == ("100644", b"batch:\n  size: 32\n")  # migrated, ours kept
    assert pushed["src/model.py"][1] == b"LAYERS = 4\n"
    assert modes_at(origin, "dlgen/sync")["tool.sh"] == "100755"  # the template's mode
    assert git("rev-parse", "dlgen/sync^", cwd=origin) == git("rev-parse", "HEAD", cwd=place)
    (create,) = [c for c in forge()["calls"] if c["args"][:2] == ["pr", "create"]]  # type: ignore[attr-defined, index]
    assert create["args"][create["args"].index("--base") + 1] == head  # type: ignore[index]
    assert git("symbolic-ref", "--short", "HEAD", cwd=place).strip() == head
    assert git("status", "--porcelain", "--untracked-files=all", cwd=place) == ""
    again = invoke("rollout", "--provider", "github", "--trust", "--format", "json", str(place))
    assert [p["state"] for p in json.loads(again.out)["projects"]] == ["unchanged"], again.out


def test_preview(place: Path, tpl: TemplateRepo) -> None:
    before = git("status", "--porcelain", "--ignored", cwd=place)
    result = invoke(
        "status", "--preview", "v2", "--template", str(tpl.root), "--trust", "--format", "json",
        str(place),
    )  # fmt: skip
    assert result.code == 0, result.out + result.err
    (row,) = json.loads(result.out)["projects"]
    assert (row["state"], row["version"], row["target"]) == ("clean", "v1", "v2"), row["error"]
    assert "A tool.sh" in row["changes"] and "M src/model.py" in row["changes"]
    assert [m.split(":")[0] for m in row["migrations"]] == ["migration (after)"], row
    assert git("status", "--porcelain", "--ignored", cwd=place) == before


def test_update_runs_the_trusted_migration(place: Path) -> None:
    refused = up(place)
    assert refused.code == 2 and "--trust" in refused.err, refused.err
    done = up(place, "--trust")
    assert done.code == 0, done.out + done.err
    assert (place / "params.yaml").read_text() == "batch:\n  size: 32\n"
    assert git("ls-files", "-s", "tool.sh", cwd=place).split()[0] == "100755"
    git("commit", "-q", "--no-edit", cwd=place)
    assert invoke("check", str(place)).code == 0
