"""A platform team's own template, released three times and rolled out to a fleet by hand with
`dlgen update --trust --defaults`: each project right after each release, conflicts exactly
where both sides edited, and the gate (`dlgen check`) red until they are resolved.

Release 2 renames a module (with edits) and adds a question; release 3 moves a key of the
create-only params.yaml with a `_migrations` script and deletes a file one project edited.
"""

from __future__ import annotations

from pathlib import Path

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


def roll_out(projects: dict[str, Path]) -> dict[str, tuple[int, str]]:
    """`dlgen update --trust --defaults` in each project: its exit code and report."""
    results = {}
    for name, proj in projects.items():
        code, out, err = up(proj, "--trust", "--defaults")
        assert code in (0, 4), f"{name}: {out}{err}"
        results[name] = (code, out)
    return results


def land(proj: Path) -> None:
    git("commit", "-q", "--no-edit", cwd=proj)
    git("push", "-q", "origin", "HEAD:main", "dlgen/template", cwd=proj)
    assert invoke("check", str(proj)).code == 0


def gate_red(proj: Path) -> None:
    result = invoke("check", str(proj))
    assert result.code == 1, result.out + result.err


def test_three_releases_reach_every_project(fleet: dict[str, Path], tpl: TemplateRepo) -> None:
    release_2(tpl)
    results = roll_out(fleet)
    alpha, beta, gamma = fleet["alpha"], fleet["beta"], fleet["gamma"]
    assert [results[n][0] for n in ("alpha", "beta", "gamma")] == [0, 0, 4]
    # the rename carried alpha's edit, and the template's edit
    assert not (alpha / "src/model.py").exists()
    assert (alpha / "src/models.py").read_text() == MODEL_V1.replace(
        "layers = 2", "layers = 8  # alpha"
    ).replace("return 'm'", "return 'model'")
    assert (beta / "README.md").read_text().endswith("Owned by beta.\n")
    assert yaml.safe_load((beta / ".dlgen.yml").read_text())["answers"]["use_gpu"] is False
    # gamma: ci.yml edited on both sides, the only conflict of the fleet
    assert "CONFLICTS (fix, `git add`, then commit):\n  ci.yml" in results["gamma"][1]
    assert git("diff", "--name-only", "--diff-filter=U", cwd=gamma).split() == ["ci.yml"]
    gate_red(gamma)
    (gamma / "ci.yml").write_text("image: python:3.12\njobs:\n  - test\n  - docs\n  - lint\n")
    git("add", "ci.yml", cwd=gamma)
    for proj in fleet.values():
        land(proj)

    release_3(tpl)
    results = roll_out(fleet)
    assert [results[n][0] for n in ("alpha", "beta", "gamma")] == [4, 0, 0]
    # the migration moved each project's own learning rate; the template's epochs stay out
    assert (beta / "params.yaml").read_text() == "train:\n  epochs: 5\noptim:\n  lr: 0.02\n"
    assert (gamma / "params.yaml").read_text() == "train:\noptim:\n  lr: 0.1\n"
    for name in ("beta", "gamma"):
        (line,) = [ln for ln in results[name][1].splitlines() if "create-only" in ln]
        assert line.startswith("  create-only, not merged: params.yaml (template: ")
    # alpha edited the script the template deleted: an edit-vs-delete conflict, nowhere else
    assert "CONFLICTS (fix, `git add`, then commit):\n  tools/legacy.sh" in results["alpha"][1]
    assert git("diff", "--name-only", "--diff-filter=U", cwd=alpha).split() == ["tools/legacy.sh"]
    assert not (fleet["beta"] / "tools/legacy.sh").exists()
    gate_red(alpha)  # DLG017: unmerged, though it holds no marker
    git("rm", "-q", "tools/legacy.sh", cwd=alpha)
    for proj in fleet.values():
        land(proj)
        assert yaml.safe_load((proj / ".dlgen.yml").read_text())["template_version"] == "v3"
        remote = git("ls-remote", "origin", "refs/heads/main", cwd=proj).split()[0]
        assert remote == git("rev-parse", "HEAD", cwd=proj).strip()
