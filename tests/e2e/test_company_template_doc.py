"""docs/COMPANY-TEMPLATE.md runs as written (issue 17 §7): its `sh` blocks, in order, in one bash
with `set -euo pipefail`, in an empty folder, with the installed dlgen first on a user's PATH,
DLGEN_SRC set to this checkout and `gh` stubbed (it records the pull requests). Marker e2e."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import jsonschema
import pytest

import dlgen
from tests.helpers import forge_stubs

REPO = Path(__file__).resolve().parents[2]
PAGE = REPO / "docs" / "COMPANY-TEMPLATE.md"

pytestmark = pytest.mark.e2e


def sh_blocks(text: str) -> list[str]:
    """The page's ```sh blocks, in order."""
    return re.findall(r"^```sh\n(.*?)^```$", text, flags=re.MULTILINE | re.DOTALL)


def test_the_page_has_commands_for_every_step() -> None:
    blocks = sh_blocks(PAGE.read_text(encoding="utf-8"))
    script = "\n".join(blocks)
    for command in ("dlgen new", "dlgen status", "--preview HEAD", "dlgen rollout", "git tag"):
        assert command in script, command
    assert len(blocks) >= 10


def test_company_template_page_runs(tmp_path: Path, e2e_env: dict[str, str]) -> None:
    work = tmp_path / "work"
    work.mkdir()
    bin_dir, state = forge_stubs(tmp_path)
    env = {
        **e2e_env,
        "PATH": f"{bin_dir}:{e2e_env['PATH']}",
        "FORGE_STATE": str(state),
        "DLGEN_SRC": str(REPO),
    }
    script = "set -euo pipefail\n" + "\n".join(sh_blocks(PAGE.read_text(encoding="utf-8")))
    done = subprocess.run(
        ["bash", "-c", script], cwd=work, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout.splitlines()
    # the rehearsal: both projects would take v1.1.0 cleanly, with the new question's default
    preview = json.loads((work / "preview.json").read_text())
    schema = json.loads((Path(dlgen.__file__).parent / "preview.schema.json").read_text())
    jsonschema.validate(preview, schema)
    assert [(p["state"], p["new_questions"]) for p in preview["projects"]] == [
        ("clean", {"team": "ml-platform"}),
        ("clean", {"team": "ml-platform"}),
    ]
    # the roll-out: one pull request per project, with the release's changelog
    calls = json.loads(state.read_text())["calls"]
    creates = [c for c in calls if c["args"][:2] == ["pr", "create"]]
    assert len(creates) == 2
    assert {c["args"][c["args"].index("--title") + 1] for c in creates} == {
        "Update template acme-template to v1.1.0"
    }
    assert all("- CODEOWNERS from the new `team` question" in c["body"] for c in creates)
    assert all("- `team` = `'ml-platform'`" in c["body"] for c in creates)
    for name in ("vision", "tabular"):
        origin = work / "origins" / f"{name}.git"
        shown = subprocess.run(
            ["git", "show", "dlgen/sync:CODEOWNERS"], cwd=origin, env=env, capture_output=True,
            text=True, check=True,
        ).stdout  # fmt: skip
        assert shown == "* @acme/ml-platform\n"
    # the floor: red before the roll-out is merged, green after
    assert "vision is below the floor until it merges its roll-out" in out
    assert (work / "fleet/vision/CODEOWNERS").read_text() == "* @acme/ml-platform\n"
