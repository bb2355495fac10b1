"""The generated roll-out jobs (issue 17 §5): GitHub's template-sync workflow and GitLab's
template-sync job call `dlgen rollout` (no shell logic in YAML), and the CI `template` job passes
on a fresh clone whose origin has no template branch yet."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.helpers import git, invoke


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("sync") / "proj"
    made = invoke("new", str(project), "--defaults", "--no-hooks", "--data", "ci=both")
    assert made.code == 0, made.err
    return project


def _runs(steps: list[dict[str, str]]) -> list[str]:
    return [s["run"] for s in steps if "run" in s]


def test_github_sync_is_one_dlgen_rollout_step(both: Path) -> None:
    flow = yaml.safe_load((both / ".github/workflows/template-sync.yml").read_text())
    steps = flow["jobs"]["sync"]["steps"]
    runs = _runs(steps)
    assert runs[-1] == "dlgen rollout --provider github"
    assert not any(word in run for run in runs for word in ("git ", "gh ", "dlgen update"))
    assert steps[0]["with"]["fetch-depth"] == 0
    assert set(steps[-1]["env"]) == {
        "GH_TOKEN",
        "GIT_AUTHOR_NAME",
        "GIT_AUTHOR_EMAIL",
        "GIT_COMMITTER_NAME",
        "GIT_COMMITTER_EMAIL",
    }


def test_gitlab_has_a_sync_job_calling_dlgen_rollout(both: Path) -> None:
    ci = yaml.safe_load((both / ".gitlab-ci.yml").read_text())
    job = ci["template-sync"]
    assert job["script"] == ['dlgen rollout --provider gitlab --base "$CI_DEFAULT_BRANCH"']
    assert job["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "schedule" && $DLGEN_SYNC_TOKEN'}]


def test_gitlab_sync_installs_glab_from_its_checked_release_asset(both: Path) -> None:
    """glab's release asset as gitlab-org/cli names it (`glab_V_linux_amd64.tar.gz`), pinned and
    checked against its SHA-256 before it is unpacked; nothing installed unchecked."""
    job = yaml.safe_load((both / ".gitlab-ci.yml").read_text())["template-sync"]
    version, digest = job["variables"]["GLAB_VERSION"], job["variables"]["GLAB_SHA256"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", version) and re.fullmatch(r"[0-9a-f]{64}", digest)
    steps = job["before_script"]
    fetch = next(i for i, s in enumerate(steps) if "gitlab.com/gitlab-org/cli" in s)
    assert steps[fetch].endswith(
        '"https://gitlab.com/gitlab-org/cli/-/releases/v${GLAB_VERSION}/downloads/'
        'glab_${GLAB_VERSION}_linux_amd64.tar.gz"'
    )
    assert steps[fetch + 1] == 'echo "${GLAB_SHA256}  /tmp/glab.tar.gz" | sha256sum --check --quiet'
    assert steps[fetch + 2].startswith("tar -xzf /tmp/glab.tar.gz -C /usr/local bin/glab")
    assert not any(".deb" in s for s in steps)


def test_template_job_passes_while_origin_has_no_template_branch(
    both: Path, tmp_path: Path
) -> None:
    """Only main pushed: the GitHub job's checkout (every branch) and the GitLab job's fetch
    succeed, and `dlgen check` passes from the history."""
    github = yaml.safe_load((both / ".github/workflows/ci.yml").read_text())
    assert not any("git fetch" in r for r in _runs(github["jobs"]["template"]["steps"]))
    gitlab = yaml.safe_load((both / ".gitlab-ci.yml").read_text())
    fetch = [line for line in gitlab["template"]["script"] if line.startswith("git ")]
    assert len(fetch) == 1
    origin = tmp_path / "origin.git"
    git("init", "-q", "--bare", str(origin), cwd=tmp_path)
    git("push", "-q", str(origin), "HEAD:refs/heads/main", cwd=both)
    clone = tmp_path / "ci"
    git("clone", "-q", str(origin), str(clone), cwd=tmp_path)
    done = subprocess.run(["bash", "-c", fetch[0]], cwd=clone, capture_output=True, check=False)
    assert done.returncode == 0, done.stderr.decode()
    check = invoke("check", str(clone))
    assert check.code == 0, check.out
    git("push", "-q", str(origin), "dlgen/template", cwd=both)
    done = subprocess.run(["bash", "-c", fetch[0]], cwd=clone, capture_output=True, check=False)
    assert done.returncode == 0, done.stderr.decode()
    assert git("rev-parse", "origin/dlgen/template", cwd=clone) == git(
        "rev-parse", "dlgen/template", cwd=both
    )
