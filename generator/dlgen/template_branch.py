"""Commit pristine renders on the template branch through a temporary index; find them again.

The branch is never checked out and never receives human commits: each commit is exactly one
render, with the template version and the answers in its message trailers, by dlgen's fixed
author. Which render a project has merged is read from its history (`locate`); the local branch
is only a cache of it, fast-forwarded from that history or from `origin`'s branch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from dlgen import git, githistory, gitobjects
from dlgen.answers import DEFAULT_BRANCH, RECORD_NAME, Record
from dlgen.errors import InternalError, UnsafeStateError

TRAILER_TEMPLATE = "Dlgen-Template"
TRAILER_VERSION = "Dlgen-Template-Version"
TRAILER_COMMIT = "Dlgen-Template-Commit"
TRAILER_ANSWERS = "Dlgen-Answers"
TRAILER_DLGEN = "Dlgen-Version"
TRAILER_CREATE_ONLY = "Dlgen-Create-Only"  # read only: renders of earlier dlgen versions carry it


def ref(branch: str) -> str:
    """The full ref name of `branch`."""
    return f"refs/heads/{branch}"


def remote_ref(branch: str) -> str:
    """The remote-tracking ref of `branch` on origin."""
    return f"refs/remotes/origin/{branch}"


def branch_for(prefix: str) -> str:
    """The template branch of the project at `prefix` ('' or 'a/b/') inside its repository.

    The repository root keeps `dlgen/template`; a project in a subdirectory gets
    `dlgen/templates/<path>` (git forbids `dlgen/template` beside `dlgen/template/x`, and
    `dlgen/templates/...` never clashes with it). Characters a ref cannot hold become '-'.
    """
    parts = [_ref_component(p) for p in prefix.strip("/").split("/") if p]
    return "/".join(["dlgen/templates", *parts]) if parts else DEFAULT_BRANCH


def _ref_component(part: str) -> str:
    part = re.sub(r"[^A-Za-z0-9._+-]", "-", part).replace("..", "-.")
    if part.startswith("."):
        part = "-" + part[1:]
    if part.endswith((".", ".lock")):
        part += "-"
    return part


def message(record: Record) -> str:
    """The commit message for a render described by `record`."""
    import json  # not at the top: `dlgen check` imports this module and needs json rarely

    trailers = {
        TRAILER_TEMPLATE: record.template,
        TRAILER_VERSION: record.template_version,
        TRAILER_COMMIT: record.template_commit or "",
        TRAILER_ANSWERS: json.dumps(dict(record.answers), sort_keys=True, ensure_ascii=True),
        TRAILER_DLGEN: record.dlgen_version,
    }
    lines = [f"{k}: {v}" for k, v in trailers.items() if v]
    subject = f"dlgen: render {record.template} {record.template_version}"
    return subject + "\n\n" + "\n".join(lines) + "\n"


def commit_render(
    repo: Path,
    render_dir: Path,
    record: Record,
    *,
    parent: str | None,
    prefix: str = "",
) -> str:
    """Commit the files of `render_dir` (under `prefix`) as one pristine render; return its id.

    The project's attributes at HEAD apply (LFS, eol), as they would to the user's `git add`.
    A render identical to `parent`'s tree is that render (a teammate's, fetched from origin):
    it is returned as it is, so every clone merges the same commit and the branch stays one line.
    """
    attributes = gitobjects.files_at("HEAD", [".gitattributes", f"{prefix}.gitattributes"], repo)
    tree = gitobjects.tree_from_dir(repo, render_dir, prefix, attributes)
    if parent is not None and githistory.tree_of(parent, repo) == tree:
        return parent
    return commit(repo, tree, record, parent=parent)


def commit(
    repo: Path,
    tree: str,
    record: Record,
    *,
    parent: str | None,
) -> str:
    """Commit `tree` as the render `record` describes; return the commit id."""
    body = message(record)
    return githistory.commit_tree(tree, [parent] if parent else [], body, repo)


def advance(repo: Path, branch: str, new: str, *, old: str | None) -> None:
    """Move the branch to `new`, only if it still points at `old` (None: must not exist yet)."""
    githistory.update_ref(ref(branch), new, repo, old=old or "", msg=f"dlgen: {new[:12]}")


def tip(repo: Path, branch: str) -> str | None:
    """The branch's commit, or None when the branch does not exist locally."""
    return githistory.rev_parse(ref(branch), repo)


# --- finding the render a project has merged ----------------------------------------------------


@dataclass(frozen=True)
class Render:
    """A pristine render commit and the template version its trailers name."""

    sha: str
    version: str
    time: int = 0  # committer date, seconds since the epoch


@dataclass(frozen=True)
class Located:
    """Where a project's renders are: its history, the local branch, origin's branch."""

    local: str | None  # refs/heads/<branch>
    remote: str | None  # refs/remotes/origin/<branch>
    merged: Render | None  # the newest render of the project that HEAD contains

    def base(self, version: str) -> str | None:
        """The render the project is at, without checking how the refs relate (check, diff).

        HEAD's newest render when it is the recorded version; else (a squash-merged update,
        whose render HEAD does not contain) the branch, as the record was made from it.
        """
        if self.merged is not None and self.merged.version == version:
            return self.merged.sha
        return self.local or self.remote or (self.merged.sha if self.merged else None)


def locate(top: Path, prefix: str, branch: str, *, record: Record | None = None) -> Located:
    """The project's renders as the repository holds them now; reads only (2-4 git calls).

    With `record` (HEAD's), the render the project is at is the one of the record's version and
    answers on the template branch's line, local or origin's: found whatever happened to the
    commit that took it in (a rebase pull, a cherry-pick, a squash merge, a shallow clone, issue
    #16), without walking the project's history. Without one there, HEAD's newest render (the
    projects that older dlgen versions merged renders into).
    """
    local, remote = branch_tips(top, branch)
    if record is not None:
        if local is not None and records(top, local, record):
            return Located(local, remote, Render(local, record.template_version))
        found = recorded_render(top, record, [r for r in (local, remote) if r])
        if found is not None:
            return Located(local, remote, found)
    return Located(local, remote, newest_merged(top, prefix))


def recorded_render(top: Path, record: Record, tips: list[str]) -> Render | None:
    """The newest render reachable from `tips` of the version and answers `record` holds."""
    if not tips:
        return None
    for sha, _, email, body in githistory.log_records(tips, top):
        if email == git.DLGEN_AUTHOR["GIT_AUTHOR_EMAIL"] and _holds(body, record):
            return Render(sha, record.template_version)
    return None


def refuse_shallow(top: Path, what: str) -> None:
    """In a shallow clone, the history `what` needs may be cut off: exit 70 with the fix, never
    a guess (issue #16: CI checkouts are depth 1 by default)."""
    if git.is_shallow(top):
        raise InternalError(
            f"{top} is a shallow clone and {what} is not in it: fetch the whole history "
            "(`git fetch --unshallow origin`); in CI check out all of it (GitHub "
            "actions/checkout `fetch-depth: 0`, GitLab `GIT_DEPTH: 0`)"
        )


def refuse_missing(top: Path, branch: str, version: str) -> None:
    """The render the record names is nowhere here: exit 70 (shallow: the CI fix), never a
    comparison with another render."""
    what = f"the render of {version} this project records"
    refuse_shallow(top, what)
    raise InternalError(
        f"{what} is on neither {branch} nor origin/{branch} here (main pushed without it?): "
        f"push it from the clone that took that update (`git push origin {branch}`), fetch it "
        f"here (`git fetch origin {branch}`), then run dlgen again"
    )


def branch_tips(top: Path, branch: str) -> tuple[str | None, str | None]:
    """The local branch and origin's remote-tracking branch (None where absent), in one call."""
    ids = githistory.ref_ids([ref(branch), remote_ref(branch)], top)
    return ids.get(ref(branch)), ids.get(remote_ref(branch))


def newest_merged(top: Path, prefix: str, rev: str = "HEAD") -> Render | None:
    """The newest render of the project at `prefix` that `rev` contains, or None.

    A render is a commit by dlgen's fixed author, with one parent at most and the version
    trailer, that changes the project's `.dlgen.yml` (so another project's renders in the same
    repository never count). History is walked newest first and stops at the first match; a
    render that `rev` holds beside it (same-second commit dates, a clock up to a day behind)
    and that descends from it wins, so the answer follows ancestry, not clocks. That second
    look is bounded by date, so it costs the commits of the last day, not the whole history.
    """
    found = _first_render(top, prefix, [rev])
    while found is not None:
        since = f"--since={found.time - _CLOCK_SLACK}"
        later = _first_render(top, prefix, [since, rev, f"^{found.sha}"])
        if later is None or not is_ancestor(found.sha, later.sha, top):
            break
        found = later
    return found


_CLOCK_SLACK = 24 * 3600


def _first_render(top: Path, prefix: str, revs: list[str]) -> Render | None:
    email = git.DLGEN_AUTHOR["GIT_AUTHOR_EMAIL"]
    args = [
        "--full-history",
        "--max-parents=1",
        f"--author=<{re.escape(email)}>$",
        f"--grep=^{TRAILER_VERSION}: ",
        *revs,
        "--",
        f":(literal){prefix}{RECORD_NAME}",
    ]
    found = githistory.first_commit(args, top)
    if found is None:
        return None
    sha, time, body = found
    version = trailer(body, TRAILER_VERSION)
    return Render(sha, version, time) if version is not None else None


def trailer(body: str, key: str) -> str | None:
    """The value of trailer `key` in a commit message, or None."""
    match = re.search(rf"^{re.escape(key)}: (.*)$", body, re.MULTILINE)
    return match.group(1).strip() if match else None


def records(top: Path, sha: str, record: Record) -> bool:
    """Whether the render `sha` is of the version and answers that `record` holds."""
    return _holds(githistory.commit_body(sha, top), record)


def _holds(body: str, record: Record) -> bool:
    """Whether a render's message names the version and answers that `record` holds."""
    import json

    answers = json.dumps(dict(record.answers), sort_keys=True, ensure_ascii=True)
    return (
        trailer(body, TRAILER_VERSION) == record.template_version
        and trailer(body, TRAILER_ANSWERS) == answers
    )


def is_ancestor(a: str, b: str, top: Path) -> bool:
    """Whether commit `a` is `b` or an ancestor of it."""
    return githistory.is_ancestor(a, b, top)


@dataclass(frozen=True)
class Position:
    """Where the template branch belongs (`tip`) and which render the project is at (`base`)."""

    tip: str
    base: str


def reconcile(top: Path, prefix: str, branch: str, version: str, found: Located) -> Position:
    """The branch's place and the project's render, or exit 3 when the renders diverged.

    `tip` is the newest of HEAD's render, the local branch and origin's branch, which must lie
    on one line of history; `base` is HEAD's render when it is the recorded version (else the
    tip: a squash-merged update). Two renders neither of which contains the other are refused:
    dlgen never merges one over the other.
    """
    tip = found.local
    if found.remote is not None and tip != found.remote:
        if tip is None or is_ancestor(tip, found.remote, top) or _same(top, tip, found.remote):
            tip = found.remote
        elif not is_ancestor(found.remote, tip, top):
            raise _diverged(
                top,
                (branch, tip),
                (f"origin/{branch}", found.remote),
                f"`git pull` if your main lacks origin's update, then take origin's branch: "
                f"`git branch -f {branch} origin/{branch}`",
            )
    merged = found.merged
    if merged is not None and tip != merged.sha:
        if tip is None or is_ancestor(tip, merged.sha, top):
            tip = merged.sha
        elif not is_ancestor(merged.sha, tip, top) and not _same(top, tip, merged.sha):
            raise _diverged(
                top,
                (branch, tip),
                ("the render HEAD has merged", merged.sha),
                f"point the branch at HEAD's render: `git branch -f {branch} {merged.sha[:12]}` "
                f"(and `git push --force-with-lease origin {branch}` if origin has the other)",
            )
    if tip is None:
        raise UnsafeStateError(
            f"no branch {branch} here or on origin, and no render of the template in HEAD's "
            "history: this project has no merge base with its template; run `dlgen adopt` "
            "to create one"
        )
    base = merged.sha if merged is not None and merged.version == version else tip
    if prefix:
        for render in {tip, base}:
            confined(top, prefix, branch, render)
    return Position(tip, base)


def _same(top: Path, a: str, b: str) -> bool:
    """Sibling renders of one tree, both merged (two clones merged the same update, then each
    other's main): one render in effect, not a divergence. The branch keeps origin's, then its
    own, so that it stays pushable; the other stays reachable from HEAD."""
    return (
        githistory.tree_of(a, top) == githistory.tree_of(b, top)
        and is_ancestor(a, "HEAD", top)
        and is_ancestor(b, "HEAD", top)
    )


def _diverged(top: Path, a: tuple[str, str], b: tuple[str, str], fix: str) -> UnsafeStateError:
    def named(name: str, sha: str) -> str:
        body = githistory.commit_body(sha, top, check=False)
        return f"{name} ({sha[:12]}, {trailer(body, TRAILER_VERSION) or 'not a render'})"

    return UnsafeStateError(
        f"{named(*a)} and {named(*b)} are different template renders and neither contains the "
        f"other; nothing was changed; {fix}, then run `dlgen update` again"
    )


def confined(top: Path, prefix: str, branch: str, tip: str) -> None:
    """A project in a subdirectory must only ever merge renders of its own directory (exit 3)."""
    outside = [p for p in gitobjects.list_files(tip, top) if not p.startswith(prefix)]
    if outside:
        raise UnsafeStateError(
            f"branch {branch} holds {outside[0]}, outside {prefix}: it is another project's "
            f"template branch; link this project with `dlgen adopt {prefix.rstrip('/')}` "
            f"(its branch would be {branch_for(prefix)})"
        )


def impure(top: Path, tip: str) -> tuple[str, str] | None:
    """The first commit reachable from `tip` that is not a pristine render, and why; else None."""
    for sha, parents, email, body in githistory.log_records(tip, top):
        why = not_a_render(parents, email, body)
        if why:
            return sha, why
    return None


def not_a_render(parents: str, email: str, body: str) -> str | None:
    """Why a commit (its parents, author email, message) is not a pristine render; else None."""
    if len(parents.split()) > 1:
        return "a merge commit"
    if email != git.DLGEN_AUTHOR["GIT_AUTHOR_EMAIL"]:
        return f"authored by {email}"
    if f"{TRAILER_VERSION}: " not in body:
        return "missing dlgen trailers"
    return None
