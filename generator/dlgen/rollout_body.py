"""What a roll-out's pull/merge request says: its title, its Markdown body (unresolved paths,
new questions and the defaults taken, the changes, the release's CHANGELOG section), and the note
left beside a path an update could not resolve with conflict markers. Plain text in, text out."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

UNRESOLVED = ".dlgen-unresolved"  # the note beside a path left unresolved without markers
SIDE = ".dlgen-new"  # update's copy of a conflicting binary (merge.SIDE)
MARKER = "<!-- dlgen rollout -->"  # the body's first line: the request is the bot's


@dataclass(frozen=True)
class Update:
    """What `dlgen update --format json` reported, as the body needs it."""

    template: str
    old_version: str
    new_version: str
    changes: list[tuple[str, str]] = field(default_factory=list)  # (status, path)
    conflicts: list[str] = field(default_factory=list)
    kept_deleted: list[str] = field(default_factory=list)
    side_files: list[str] = field(default_factory=list)
    announced: list[str] = field(default_factory=list)
    new_questions: Mapping[str, Any] = field(default_factory=dict)
    changelog: str | None = None  # the release's CHANGELOG section


def title(update: Update) -> str:
    """`Update template NAME to v2` (NAME: the template's last path part, as a repository is
    named): the same for every refresh of one release."""
    name = update.template.rstrip("/").rpartition("/")[2].removesuffix(".git") or update.template
    return f"Update template {name} to {update.new_version}"


def unresolved(update: Update) -> list[str]:
    """Every path a reviewer must resolve: conflicted paths, binaries' side files."""
    return sorted({*update.conflicts, *update.side_files})


def body(update: Update, notes: Sequence[str]) -> str:
    """The request's Markdown body, rewritten on every refresh."""
    lines = [
        MARKER,
        f"`dlgen rollout` merged template **{update.template}** "
        f"{update.old_version} → **{update.new_version}** with `dlgen update`. "
        "This request is refreshed (branch force-pushed, body rewritten) while it is open.",
        "",
    ]
    todo = unresolved(update)
    if todo:
        lines += [
            "### Unresolved: `dlgen check` fails until each is resolved",
            "",
            *(f"- `{p}`: {_why(p, notes)}" for p in todo),
            "",
        ]
    if update.new_questions:
        lines += ["### New questions: their defaults were taken", ""]
        lines += [f"- `{k}` = `{v!r}`" for k, v in update.new_questions.items()]
        lines += [
            "",
            "Another answer: on this branch, `dlgen update --data KEY=VALUE` after this "
            "request is merged re-renders with it.",
            "",
        ]
    if update.kept_deleted:
        lines += ["### Kept deleted (you deleted them; the template changed them)", ""]
        lines += [f"- `{p}`" for p in update.kept_deleted] + [""]
    if update.announced:
        lines += ["### Create-only files the template changed (not merged; compare)", ""]
        lines += [f"- {a}" for a in update.announced] + [""]
    lines += ["### Changes from the template", ""]
    lines += [f"- {s} `{p}`" for s, p in update.changes] or ["- none"]
    if update.changelog:
        lines += ["", f"### Changelog ({update.new_version})", "", update.changelog.strip()]
    return "\n".join(lines) + "\n"


def _why(path: str, notes: Sequence[str]) -> str:
    if path + UNRESOLVED in notes:
        note = path + UNRESOLVED
        return f"no markers (one side deleted or replaced it): decide, then `git rm {note}`"
    if path.endswith(SIDE):
        return "the template's copy of a binary both sides changed: merge it, then `git rm` it"
    return "conflict markers: resolve them (`git diff` shows both sides)"


def note(path: str, version: str) -> str:
    """The text of the note left beside `path`, unresolved without markers (edit vs delete, or
    a structured file only a person can merge)."""
    return (
        f"dlgen: template {version} left {path} unresolved without conflict markers "
        "(one side deleted or replaced what the other changed).\n"
        f"Decide: keep {path} as it is in this commit, change it, or `git rm` it; then "
        f"`git rm {path}{UNRESOLVED}`. `dlgen check` fails while this note is tracked.\n"
    )


def changelog_section(text: str, version: str) -> str | None:
    """The section of a CHANGELOG (Markdown, Keep a Changelog or plain `## v2` headings) whose
    heading names `version`, without its heading; None when it has none."""
    bare = re.escape(version.removeprefix("v"))
    heading = re.compile(rf"^(#{{1,6}})\s+\[?v?{bare}\]?(?=$|[\s(:,-])")
    lines = text.splitlines()
    for i, line in enumerate(lines):
        found = heading.match(line)
        if not found:
            continue
        level = len(found.group(1))
        section = []
        for more in lines[i + 1 :]:
            hashes = re.match(r"^(#{1,6})\s", more)
            if hashes and len(hashes.group(1)) <= level:
                break
            section.append(more)
        return "\n".join(section).strip() or None
    return None
