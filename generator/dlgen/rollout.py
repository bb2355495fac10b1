"""`dlgen rollout`: a template release rolled out as one pull/merge request per project.

What the generated template-sync jobs call, and what a platform team runs by hand over its
clones. For each project under the PATHs, the checklist:
1. guard (`project.locate_clean`, `answers`): a clean work tree on a branch, or `--base`;
2. fetch the project's template branch and its roll-out branch from the remote (`git`);
3. update on the roll-out branch: `gitwork.switch_new` from the base, then `dlgen update
   --defaults --format json` (its own process: a flow never imports another flow);
4. notes beside paths left unresolved without markers (`rollout_body.note`), then one commit with
   the update's own message (its `Dlgen-Update` trailer kept) and the update's abort state
   settled (`journal`);
5. push the roll-out branch (forced, unless a person has committed on it) and the template
   branch (fast-forward), all or none (`git.push`);
6. the request (`forge`): found open → title and body rewritten; else opened. Never two;
7. back to the base; the next project.
A project's failure is its row (exit code and one line); the others go on.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dlgen import (
    answers,
    forge,
    git,
    githistory,
    gitwork,
    journal,
    proc,
    rollout_body,
    sources,
    template_branch,
)
from dlgen.errors import (
    DlgenError,
    InputError,
    InternalError,
    StepError,
    UnsafeStateError,
    exit_status,
)
from dlgen.project import locate_clean
from dlgen.rerender import release_notes

_FAILURES: dict[int, Callable[[str], DlgenError]] = {
    2: InputError,
    3: UnsafeStateError,
    70: InternalError,
}  # `dlgen update`'s exit code kept: its error line is the project's


def _step_failed(line: str) -> DlgenError:
    return StepError("dlgen update", line)


STATES = ("failed", "opened", "refreshed", "unchanged", "kept", "up-to-date")


@dataclass
class Outcome:
    """One project's roll-out: its state, the request, what a reviewer must resolve."""

    path: str
    state: str = "failed"
    branch: str | None = None
    old_version: str | None = None
    new_version: str | None = None
    request: str | None = None
    unresolved: list[str] = field(default_factory=list)
    new_questions: dict[str, Any] = field(default_factory=dict)
    exit_code: int = 0
    error: str | None = None


@dataclass(frozen=True)
class Options:
    """What every project of one roll-out shares."""

    provider: str
    to: str | None = None
    base: str | None = None
    remote: str = "origin"
    trust: bool = False


def rollout(paths: Sequence[str], options: Options) -> list[Outcome]:
    """Roll the template out to each project at `paths`, in order; every one is attempted."""
    if options.provider not in forge.PROVIDERS:
        raise InputError(f"--provider {options.provider!r}: choose {' or '.join(forge.PROVIDERS)}")
    changelogs: dict[tuple[str, str], str | None] = {}
    outcomes = []
    for path in paths:
        outcome = Outcome(path)
        try:
            _one(Path(path), options, outcome, changelogs)
        except (DlgenError, OSError) as e:
            outcome.state = "failed"
            outcome.exit_code, outcome.error = exit_status(e)
        outcomes.append(outcome)
    return outcomes


def sync_branch(template_branch_name: str) -> str:
    """The roll-out branch of a project: `dlgen/sync` beside `dlgen/template`, and
    `dlgen/syncs/<path>` for a monorepo project's `dlgen/templates/<path>`."""
    if template_branch_name.startswith("dlgen/templates/"):
        return "dlgen/syncs/" + template_branch_name.removeprefix("dlgen/templates/")
    return (
        "dlgen/sync" if template_branch_name == "dlgen/template" else template_branch_name + "-sync"
    )


@dataclass(frozen=True)
class _Place:
    """Where a project's roll-out happens: its clone, branches and the request already open."""

    root: Path
    top: Path
    record: answers.Record
    base: str
    back: str  # the branch, or the detached commit, to return to
    head: str
    sync: str
    previous: str | None  # the remote roll-out branch's tip
    number: str | None  # the open request


def _one(
    path: Path,
    options: Options,
    outcome: Outcome,
    changelogs: dict[tuple[str, str], str | None],
) -> None:
    place = _guard_and_fetch(path, options, outcome)
    if place.number is not None and place.previous and not _is_bots(place.previous, place.top):
        outcome.state, outcome.request = "kept", place.number  # a person's work is never lost
        outcome.error = f"{place.sync} on {options.remote} has commits of its own: not refreshed"
        return
    done = _update_on_branch(place, options)
    if done is None:
        outcome.state = "up-to-date"
        return
    update, notes, commit = done
    outcome.new_version, outcome.new_questions = update.new_version, dict(update.new_questions)
    outcome.unresolved = rollout_body.unresolved(update)
    same = place.previous is not None and _same_commit(place.previous, commit, place.top)
    if not same:
        refs = [template_branch.ref(place.sync), template_branch.ref(place.record.branch)]
        git.push(options.remote, [f"+{refs[0]}:{refs[0]}", f"{refs[1]}:{refs[1]}"], place.top)
    key = (update.template, update.new_version)
    if key not in changelogs:
        changelogs[key] = _changelog(update.template, update.new_version, place.root)
    title = rollout_body.title(update)
    text = rollout_body.body(update, notes, changelogs[key])
    if place.number is None:
        outcome.request = forge.create(
            options.provider, place.sync, place.base, title, text, place.top
        )
        outcome.state = "opened"
    else:
        forge.edit(options.provider, place.number, title, text, place.top)
        outcome.request, outcome.state = place.number, "unchanged" if same else "refreshed"


def _guard_and_fetch(path: Path, options: Options, outcome: Outcome) -> _Place:
    """Steps 1-2: a clean clone on a branch (or --base), its record, the remote's branches."""
    root, top, _ = locate_clean(path)
    record = answers.load(root)
    start = gitwork.current_branch(top)
    base = options.base or start
    if base is None:
        raise InputError("HEAD is detached; name the base branch with --base BRANCH")
    head = githistory.rev_parse("HEAD", top)
    assert head is not None  # locate_clean refuses a repository without a commit
    sync = sync_branch(record.branch)
    outcome.branch, outcome.old_version = sync, record.template_version
    remote_sync = f"refs/remotes/{options.remote}/{sync}"
    for branch, tracking in (
        (record.branch, f"refs/remotes/{options.remote}/{record.branch}"),
        (sync, remote_sync),
    ):  # offline, or a branch not there yet: what is here
        git.fetch_quietly(options.remote, f"+{template_branch.ref(branch)}:{tracking}", top)
    previous = githistory.rev_parse(remote_sync, top)
    number = forge.open_request(options.provider, sync, top)
    return _Place(root, top, record, base, start or head, head, sync, previous, number)


def _update_on_branch(
    place: _Place, options: Options
) -> tuple[rollout_body.Update, list[str], str] | None:
    """Steps 3-4 and 7: the update committed on the roll-out branch (None: up to date), then
    back to where the clone was. A failure after the update undoes it, as its --abort does."""
    root, top = place.root, place.top
    gitwork.switch_new(place.sync, place.head, top)
    try:
        report = _update(root, options)
    except DlgenError:
        gitwork.switch_back(place.back, top)  # the update rolled itself back
        raise
    if report["up_to_date"]:
        gitwork.switch_back(place.back, top)
        return None
    try:
        new_record = answers.load(root)
        update = _as_update(new_record.template, report)
        notes = _write_notes(top, update)
        gitwork.stage_everything(top)
        commit = gitwork.commit_message_file(git.git_path(top, "MERGE_MSG"), top)
    except (DlgenError, OSError):
        proc.run([sys.executable, "-m", "dlgen", "update", "--abort", "."], root, check=False)
        gitwork.switch_back(place.back, top)
        raise
    earlier = journal.earlier_update(top, new_record)
    if earlier is not None:  # the update is committed: its abort state goes
        journal.settle_earlier_update(top, new_record.branch, earlier)
    gitwork.switch_back(place.back, top)
    return update, notes, commit


def _update(root: Path, options: Options) -> dict[str, Any]:
    """`dlgen update --defaults --format json` in the project: its report (exit 0 or 4)."""
    cmd = [sys.executable, "-m", "dlgen", "update", "--defaults", "--format", "json"]
    cmd += [*(["--to", options.to] if options.to else []), *(["--trust"] if options.trust else [])]
    done = proc.run([*cmd, "."], root, check=False)
    if done.returncode not in (0, 4):
        lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
        line = (
            (lines[-1] if lines else f"exit {done.returncode}")
            .removeprefix("dlgen: ")
            .removeprefix("error: ")
        )
        raise _FAILURES.get(done.returncode, _step_failed)(line)
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def _as_update(template: str, report: dict[str, Any]) -> rollout_body.Update:
    return rollout_body.Update(
        template=template,
        old_version=report["old_version"],
        new_version=report["new_version"],
        changes=[(c["status"], c["path"]) for c in report["changes"]],
        conflicts=list(report["conflicts"]),
        kept_deleted=list(report["kept_deleted"]),
        side_files=list(report["side_files"]),
        announced=[str(a) for a in report["announced"]],
        new_questions=dict(report["new_questions"]),
    )


def _write_notes(top: Path, update: rollout_body.Update) -> list[str]:
    """A note beside each conflicted path that shows no conflict markers (a file one side
    deleted, a structured file left to a person): committed, it keeps `dlgen check` red."""
    notes = []
    for path in update.conflicts:
        file = top / path
        if file.is_file() and b"\n<<<<<<< " in b"\n" + file.read_bytes():
            continue
        note = path + rollout_body.UNRESOLVED
        (top / note).write_text(rollout_body.note(path, update.new_version), encoding="utf-8")
        notes.append(note)
    return notes


def _is_bots(commit: str, top: Path) -> bool:
    """Whether the remote roll-out branch's tip is a roll-out's commit (its `Dlgen-Update`
    trailer) rather than a person's commit on top of one."""
    return "\nDlgen-Update: " in "\n" + githistory.commit_body(commit, top)


def _same_commit(previous: str, commit: str, top: Path) -> bool:
    """The remote branch already holds this very update on this very base: nothing to push."""
    return githistory.tree_of(previous, top) == githistory.tree_of(commit, top) and (
        githistory.parents(previous, top) == githistory.parents(commit, top)
    )


def _changelog(template: str, version: str, root: Path) -> str | None:
    """The release's section of the template's CHANGELOG.md, when it ships one."""
    try:
        with sources.resolve(template, version, base=root) as source:
            return release_notes(source.path, version)
    except DlgenError:
        return None


# --- the report ---------------------------------------------------------------------------------


def exit_code(outcomes: Sequence[Outcome]) -> int:
    """0 when every project was rolled out (or had nothing to roll out); else the highest exit
    code among the failures (1 a step, 2 input, 3 an unsafe state, 70 could not run)."""
    return max((o.exit_code for o in outcomes if o.state == "failed"), default=0)


def text(outcomes: Sequence[Outcome]) -> str:
    """One line per project, then what each reviewer must resolve."""
    lines = []
    for o in outcomes:
        versions = f"{o.old_version or '?'} -> {o.new_version or '?'}"
        request = f" request {o.request}" if o.request else ""
        why = f": {o.error}" if o.error else ""
        lines.append(f"{o.state:<10} {o.path} {versions}{request}{why}")
        lines += [f"  unresolved: {p}" for p in o.unresolved]
        lines += [f"  new question, default taken: {k} = {v!r}" for k, v in o.new_questions.items()]
    return "\n".join(lines)


def as_json(outcomes: Sequence[Outcome]) -> str:
    """`--format json` (`rollout.schema.json`)."""
    import dataclasses

    rows = [dataclasses.asdict(o) for o in outcomes]
    return json.dumps({"exit_code": exit_code(outcomes), "projects": rows}, indent=2)
