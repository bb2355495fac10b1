"""The pull request (GitHub) or merge request (GitLab) of a roll-out branch, through the
provider's own CLI (`gh`, `glab`, with their usual credentials: GH_TOKEN, GITLAB_TOKEN): find the
open one, open one, or rewrite its title and body. Nothing here runs git."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dlgen import proc
from dlgen.errors import ProcessError, StepError

PROVIDERS = ("github", "gitlab")


def _call(cmd: list[str], cwd: Path) -> str:
    """Run the provider's CLI; its failure is a StepError naming the command and its last line."""
    try:
        return proc.run(cmd, cwd).stdout
    except ProcessError as e:
        lines = [ln.strip() for ln in (e.stderr or e.stdout).splitlines() if ln.strip()]
        raise StepError(" ".join(cmd[:3]), lines[-1] if lines else f"exit {e.returncode}") from e


def open_request(provider: str, branch: str, cwd: Path) -> str | None:
    """The number of the open pull/merge request from `branch`, or None."""
    if provider == "github":
        cmd = ["gh", "pr", "list", "--head", branch, "--state", "open", "--json", "number"]
        found = json.loads(_call(cmd, cwd) or "[]")
        key = "number"
    else:
        cmd = ["glab", "mr", "list", "--source-branch", branch, "--output", "json"]
        found = json.loads(_call(cmd, cwd) or "[]")
        key = "iid"
    if not isinstance(found, list):
        raise StepError(" ".join(cmd[:3]), f"unexpected output: {str(found)[:80]}")
    numbers = [str(item[key]) for item in found if isinstance(item, dict) and key in item]
    return min(numbers, key=int) if numbers else None  # the oldest, should there be several


def create(provider: str, branch: str, base: str, title: str, body: str, cwd: Path) -> str:
    """Open the request from `branch` into `base`; what the CLI printed (its address)."""
    if provider == "github":
        with _body_file(body) as path:
            cmd = ["gh", "pr", "create", "--head", branch, "--base", base, "--title", title]
            out = _call([*cmd, "--body-file", str(path)], cwd)
    else:
        cmd = ["glab", "mr", "create", "--source-branch", branch, "--target-branch", base]
        cmd += ["--title", title, "--description", body, "--yes", "--remove-source-branch"]
        out = _call(cmd, cwd)
    return out.strip().splitlines()[-1] if out.strip() else ""


def edit(provider: str, number: str, title: str, body: str, cwd: Path) -> None:
    """Rewrite the open request's title and body (the branch was refreshed)."""
    if provider == "github":
        with _body_file(body) as path:
            _call(["gh", "pr", "edit", number, "--title", title, "--body-file", str(path)], cwd)
    else:
        _call(["glab", "mr", "update", number, "--title", title, "--description", body], cwd)


@contextmanager
def _body_file(body: str) -> Iterator[Path]:
    """The body in a temporary file (`gh --body-file`: no length limit, no shell quoting)."""
    with tempfile.TemporaryDirectory(prefix="dlgen-body-") as tmp:
        path = Path(tmp) / "body.md"
        path.write_text(body, encoding="utf-8")
        yield path
