"""A platform team's own template, released three times and rolled out to a fleet (issue 17's
acceptance): each project right after each release, conflicts exactly where both sides edited,
and the gate (`dlgen check`) red until they are resolved. One scenario, rolled out two ways:

- by hand: `dlgen update --trust --defaults` in each clone, resolved there, pushed to main;
- by the bot: `dlgen rollout --trust` (what the generated template-sync job runs) with `gh` or
  `glab` stubbed on PATH; one branch and one request per project, refreshed and never duplicated
  when rolled out twice; a reviewer resolves on the request's branch and pushes; the forge merges
  it into main on the bare origin; the clone pulls, and the next release goes out.

Release 2 renames a module (with edits) and adds a question; release 3 moves a key of the
create-only params.yaml with a `_migrations` script and deletes a file one project edited.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import TemplateRepo, commit_all, git, invoke, up

COPIER = (
    "_subdirectory: project\n_templates_suffix: .jinja\n"
    "_dlgen:\n  create_only: [params.yaml]\n"
    "project_name:\n  type: str\n  default: demo\n"
)
MODEL_V1 = "def build():\n    layers = 2\n    return layers\n\n\ndef name():\n    return 'm'\n"
V1 = {
    "copier.yml": COPIER,
    "project/src/model.py": MODEL_V1,
    "project/params.yaml": "train:\n  lr: 0.1\n",
    "project/README.md.jinja": "# {{ project_name }}\n\nMade by the platform team.\n",
    "project/tools/legacy.sh": "echo legacy\n",
    "project/ci.yml": "image: python:3.11\njobs:\n  - test\n",
}
MOVE_LR = (
    "import re\nfrom pathlib import Path\n"
    "p = Path('params.yaml')\n"
    "text = p.read_text()\n"
    "lr = re.search(r'^  lr: (.*)$', text, re.M).group(1)\n"
    "text = re.sub(r'^  lr: .*\\n', '', text, flags=re.M)\n"
    "p.write_text(text + f'optim:\\n  lr: {lr}\\n')\n"
)


def release_2(tpl: TemplateRepo) -> None:
    tpl.remove("project/src/model.py")
    tpl.write(
        {
            "copier.yml": COPIER + "use_gpu:\n  type: bool\n  default: false\n",
            # renamed, with an edit far from the projects' own
            "project/src/models.py": MODEL_V1.replace("return 'm'", "return 'model'"),
            "project/ci.yml.jinja": "image: python:3.12\njobs:\n  - test\n"
            "{% if use_gpu %}  - gpu\n{% endif %}  - lint\n",
        }
    )
    tpl.remove("project/ci.yml")
    tpl.release("v2")


def release_3(tpl: TemplateRepo) -> None:
    tpl.remove("project/tools/legacy.sh")
    tpl.write(
        {
            "copier.yml": COPIER
            + "use_gpu:\n  type: bool\n  default: false\n"
            + "_migrations:\n  - version: v3\n"
            + '    command: ["{{ _copier_python }}", "{{ _copier_conf.src_path }}/mig/v3.py"]\n',
            "mig/v3.py": MOVE_LR,
            "project/params.yaml": "train:\n  epochs: 1\noptim:\n  lr: 0.1\n",
        }
    )
    tpl.release("v3")


EDITS = {
    # edits the module release 2 renames, and the legacy script release 3 deletes
    "alpha": {
        "src/model.py": MODEL_V1.replace("layers = 2", "layers = 8  # alpha"),
        "tools/legacy.sh": "echo legacy, alpha's way\n",
    },
    # edits the README line the template does not touch, and its own params
    "beta": {
        "README.md": "# beta\n\nMade by the platform team.\nOwned by beta.\n",
        "params.yaml": "train:\n  lr: 0.02\n  epochs: 5\n",
    },
    # edits ci.yml's image, which release 2 changes too: a conflict (the jobs merge by structure)
    "gamma": {"ci.yml": "image: python:3.10\njobs:\n  - test\n  - docs\n"},
}


@pytest.fixture
def fleet(tmp_path: Path, tpl: TemplateRepo) -> dict[str, Path]:
    """Three projects from v1, each pushed to its own bare origin, each with its own edits."""
    projects = {}
    for name, edits in EDITS.items():
        dst = tmp_path / "fleet" / name
        assert (
            invoke("new", str(dst), "--template", f"{tpl.root}@v1", "--defaults", "--no-hooks").code
            == 0
        )
        origin = tmp_path / "origins" / f"{name}.git"
        git("init", "-q", "--bare", str(origin), cwd=tmp_path)
        git("remote", "add", "origin", str(origin), cwd=dst)
        for rel, text in edits.items():
            (dst / rel).write_text(text)
        commit_all(dst, f"{name}'s edits")
        git("push", "-q", "origin", "HEAD:main", "dlgen/template", cwd=dst)
        projects[name] = dst
    return projects


# --- two ways to roll a release out ------------------------------------------------------------


@dataclass
class Rolled:
    """One release rolled out to the fleet: per project, the work tree holding the result (the
    clone by hand, a reviewer's clone of the request's branch by the bot), what a person is told
    (the update's report, the request's body), and the paths left to resolve."""

    trees: dict[str, Path] = field(default_factory=dict)
    told: dict[str, str] = field(default_factory=dict)
    unresolved: dict[str, list[str]] = field(default_factory=dict)

    def announced(self, name: str) -> list[str]:
        """The create-only files the template changed, as the person is told."""
        lines = self.told[name].splitlines()
        if "### Create-only files the template changed (not merged; compare)" in lines:
            at = lines.index("### Create-only files the template changed (not merged; compare)")
            return [ln[2:] for ln in lines[at + 2 :] if ln.startswith("- ")][:1]
        prefix = "  create-only, not merged: "
        return [ln.removeprefix(prefix) for ln in lines if ln.startswith(prefix)]


class ByHand:
    """`dlgen update --trust --defaults` in each clone; resolved there; committed, pushed."""

    def roll(self, fleet: dict[str, Path], tmp_path: Path, release: str) -> Rolled:
        rolled = Rolled()
        for name, proj in fleet.items():
            code, out, err = up(proj, "--trust", "--defaults")
            assert code in (0, 4), f"{name}: {out}{err}"
            conflicted = git("diff", "--name-only", "--diff-filter=U", cwd=proj).split()
            assert (code == 4) == bool(conflicted), out
            for path in conflicted:
                assert f"CONFLICTS (fix, `git add`, then commit):\n  {path}" in out
            rolled.trees[name], rolled.told[name] = proj, out
            rolled.unresolved[name] = conflicted
        return rolled

    def land(self, fleet: dict[str, Path], rolled: Rolled) -> None:
        for proj in fleet.values():
            git("commit", "-q", "--no-edit", cwd=proj)
            git("push", "-q", "origin", "HEAD:main", "dlgen/template", cwd=proj)


@dataclass
class ByBot:
    """`dlgen rollout --trust` over the clones, twice (the second refreshes, never duplicates);
    the reviewer resolves on the request's branch and pushes; the forge merges it into main."""

    provider: str
    _forge: Callable[[], dict[str, Any]]  # the stubs' recorded calls and open requests
    state: Path

    def _calls(self) -> list[dict[str, Any]]:
        calls: list[dict[str, Any]] = self._forge()["calls"]
        return calls

    def _rollout(self, fleet: dict[str, Path]) -> dict[str, dict[str, Any]]:
        paths = [str(p) for p in fleet.values()]
        result = invoke(
            "rollout", "--provider", self.provider, "--trust", "--format", "json", *paths
        )
        assert result.code == 0, result.out + result.err
        rows = json.loads(result.out)["projects"]
        return dict(zip(fleet, rows, strict=True))

    def _body(self, call: dict[str, Any]) -> str:
        args = call["args"]
        return str(call["body"]) if "body" in call else str(args[args.index("--description") + 1])

    def roll(self, fleet: dict[str, Path], tmp_path: Path, release: str) -> Rolled:
        before = len(self._calls())
        first = self._rollout(fleet)
        assert {n: r["state"] for n, r in first.items()} == dict.fromkeys(fleet, "opened")
        made = self._calls()[before:]
        verb = "pr" if self.provider == "github" else "mr"
        creates = [c for c in made if c["args"][:2] == [verb, "create"]]
        assert len(creates) == len(fleet)  # one request per project
        tips = {n: self._tip(n, fleet) for n in fleet}
        again = self._rollout(fleet)  # the weekly job runs again while the requests are open
        assert {n: r["state"] for n, r in again.items()} == dict.fromkeys(fleet, "unchanged")
        assert {n: r["request"] for n, r in again.items()} == {
            n: str(r["request"]).rpartition("/")[2] for n, r in first.items()
        }
        assert tips == {n: self._tip(n, fleet) for n in fleet}  # nothing pushed twice
        edits = [c for c in self._calls()[before + len(made) :] if c["args"][1] != "list"]
        edit = [verb, "edit" if verb == "pr" else "update"]
        assert [c["args"][:2] for c in edits] == [edit] * len(fleet)  # each body rewritten
        open_now = self._forge()["open"]
        assert isinstance(open_now, dict) and len(open_now) == len(fleet)  # never duplicated
        rolled = Rolled()
        for (name, row), create, edited in zip(first.items(), creates, edits, strict=True):
            body = self._body(create)
            assert self._body(edited) == body  # the body rewritten, the same for the same update
            assert body.startswith("<!-- dlgen rollout -->\n")
            for path in row["unresolved"]:
                assert f"- `{path}`: " in body
            review = tmp_path / f"review-{name}-{release}"
            origin = tmp_path / "origins" / f"{name}.git"
            git("clone", "-q", "--branch", "dlgen/sync", str(origin), str(review), cwd=tmp_path)
            rolled.trees[name], rolled.told[name] = review, body
            rolled.unresolved[name] = list(row["unresolved"])
        return rolled

    def _tip(self, name: str, fleet: dict[str, Path]) -> str:
        return git("ls-remote", "origin", "refs/heads/dlgen/sync", cwd=fleet[name]).split()[0]

    def land(self, fleet: dict[str, Path], rolled: Rolled) -> None:
        """The reviewer's resolution pushed (green), the request merged into main on the
        origin as the forge merges it, the clone pulled: ready for the next release."""
        for name, review in rolled.trees.items():
            notes = git("ls-files", "*.dlgen-unresolved", cwd=review).split()
            if notes:
                git("rm", "-q", *notes, cwd=review)
            if git("status", "--porcelain", cwd=review):
                git("commit", "-qam", "resolved", cwd=review)
                git("push", "-q", "origin", "dlgen/sync", cwd=review)
            assert invoke("check", str(review)).code == 0
            git("fetch", "-q", "origin", "main:main", cwd=review)
            git("switch", "-q", "main", cwd=review)
            git("merge", "-q", "--no-ff", "-m", "Merge request", "origin/dlgen/sync", cwd=review)
            git("push", "-q", "origin", "main", cwd=review)
            git("pull", "-q", "--ff-only", "origin", "main", cwd=fleet[name])
        forge = self._forge()
        forge["open"] = {}  # merged: closed
        self.state.write_text(json.dumps(forge))


Way = ByHand | ByBot


@pytest.fixture(params=["by hand", "github", "gitlab"])
def way(request: pytest.FixtureRequest) -> Way:
    """How the releases go out: by hand, or by the bot with `gh` or `glab` stubbed on PATH."""
    if request.param == "by hand":
        return ByHand()
    forge = request.getfixturevalue("forge")
    return ByBot(request.param, forge, Path(os.environ["FORGE_STATE"]))


def gate_red(tree: Path) -> None:
    result = invoke("check", str(tree))
    assert result.code == 1, result.out + result.err


def land(way: Way, fleet: dict[str, Path], rolled: Rolled, version: str) -> None:
    """Land every project's update; each then passes the gate on main, at `version`."""
    way.land(fleet, rolled)
    for proj in fleet.values():
        assert invoke("check", str(proj)).code == 0
        assert yaml.safe_load((proj / ".dlgen.yml").read_text())["template_version"] == version
        remote = git("ls-remote", "origin", "refs/heads/main", cwd=proj).split()[0]
        assert remote == git("rev-parse", "HEAD", cwd=proj).strip()


def test_three_releases_reach_every_project(
    fleet: dict[str, Path], tpl: TemplateRepo, way: Way, tmp_path: Path
) -> None:
    release_2(tpl)
    rolled = way.roll(fleet, tmp_path, "v2")
    alpha, beta, gamma = (rolled.trees[n] for n in ("alpha", "beta", "gamma"))
    # gamma: ci.yml edited on both sides, the only conflict of the fleet
    assert rolled.unresolved == {"alpha": [], "beta": [], "gamma": ["ci.yml"]}
    # the rename carried alpha's edit, and the template's edit
    assert not (alpha / "src/model.py").exists()
    assert (alpha / "src/models.py").read_text() == MODEL_V1.replace(
        "layers = 2", "layers = 8  # alpha"
    ).replace("return 'm'", "return 'model'")
    assert (beta / "README.md").read_text().endswith("Owned by beta.\n")
    for name, tree in rolled.trees.items():  # the new question took its default
        assert yaml.safe_load((tree / ".dlgen.yml").read_text())["answers"]["use_gpu"] is False
        if isinstance(way, ByBot):
            assert (
                "### New questions: their defaults were taken\n\n- `use_gpu` = `False`\n"
                in (rolled.told[name])
            )
    gate_red(gamma)
    (gamma / "ci.yml").write_text("image: python:3.12\njobs:\n  - test\n  - docs\n  - lint\n")
    git("add", "ci.yml", cwd=gamma)
    land(way, fleet, rolled, "v2")

    release_3(tpl)
    rolled = way.roll(fleet, tmp_path, "v3")
    alpha, beta, gamma = (rolled.trees[n] for n in ("alpha", "beta", "gamma"))
    # alpha edited the script the template deleted: an edit-vs-delete conflict, nowhere else
    assert rolled.unresolved == {"alpha": ["tools/legacy.sh"], "beta": [], "gamma": []}
    # the migration moved each project's own learning rate; the template's epochs stay out
    assert (beta / "params.yaml").read_text() == "train:\n  epochs: 5\noptim:\n  lr: 0.02\n"
    assert (gamma / "params.yaml").read_text() == "train:\noptim:\n  lr: 0.1\n"
    for name in ("beta", "gamma"):
        (line,) = rolled.announced(name)
        assert line.startswith("params.yaml (template: "), line
    assert not (beta / "tools/legacy.sh").exists()
    gate_red(alpha)  # DLG017 by hand (unmerged, no marker); the bot's note beside it
    git("rm", "-q", "tools/legacy.sh", cwd=alpha)
    land(way, fleet, rolled, "v3")
