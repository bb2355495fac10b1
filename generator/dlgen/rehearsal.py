"""A release rehearsal: what updating each project of a fleet to a template ref would do, before
the ref is tagged or pushed, writing nothing (`dlgen status --preview REF`).

Each project is previewed by `dlgen update --dry-run --format json --to REF` in its own process
(a step never imports a flow), pointed with `--template` at the author's clone when one is given:
the changes, conflicts by path, files kept deleted, the new questions with the defaults they
would take, and the migrations the update would run (`migrations_of`). Rows are rendered as text
or JSON (`preview.schema.json`).
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from dlgen import proc

# Worst first: the order of the table.
STATES = ("failed", "conflicts", "clean", "up-to-date", "not-a-project")


@dataclass(frozen=True)
class Preview:
    """One project's rehearsal."""

    path: str
    state: str  # one of STATES
    version: str | None = None
    target: str | None = None
    changes: list[str] = field(default_factory=list)  # "M path", "R old -> new"
    conflicts: list[str] = field(default_factory=list)
    kept_deleted: list[str] = field(default_factory=list)
    announced: list[str] = field(default_factory=list)
    new_questions: dict[str, Any] = field(default_factory=dict)
    migrations: list[str] = field(default_factory=list)
    error: str | None = None


def migrations_of(report: dict[str, Any]) -> list[str]:
    """The migrations and tasks an update would run, as its dry run lists them
    (`migration (before|after): COMMAND`, `task: COMMAND`)."""
    return [str(m) for m in report.get("migrations", [])]


def preview(
    shown: str, project: Path, ref: str, *, clone: Path | None = None, trust: bool = False
) -> Preview:
    """What `dlgen update --to ref` would do to the project at `project`, nothing written."""
    cmd = [sys.executable, "-m", "dlgen", "update", "--dry-run", "--format", "json", "--to", ref]
    cmd += [*(["--template", str(clone)] if clone else []), *(["--trust"] if trust else [])]
    done = proc.run([*cmd, "."], project, check=False)
    if done.returncode != 0:
        lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
        why = (
            lines[-1].removeprefix("dlgen: ").removeprefix("error: ")
            if lines
            else f"exit {done.returncode}"
        )
        return Preview(shown, "failed", error=f"{why} (exit {done.returncode})")
    report: dict[str, Any] = json.loads(done.stdout)
    changes = [
        f"{c['status']} {c['old_path']} -> {c['path']}"
        if c["old_path"]
        else f"{c['status']} {c['path']}"
        for c in report["changes"]
    ]
    if report["up_to_date"]:
        state = "up-to-date"
    else:
        state = "conflicts" if report["conflicts"] else "clean"
    return Preview(
        shown,
        state,
        version=report["old_version"],
        target=report["new_version"],
        changes=changes,
        conflicts=list(report["conflicts"]),
        kept_deleted=list(report["kept_deleted"]),
        announced=[str(a) for a in report["announced"]],
        new_questions=dict(report["new_questions"]),
        migrations=migrations_of(report),
    )


@dataclass(frozen=True)
class Rehearsal:
    """Every project's preview, worst first."""

    ref: str
    rows: list[Preview]

    def exit_code(self) -> int:
        """With --exit-code: 1 when a project would conflict or cannot be previewed."""
        return 1 if any(r.state in ("failed", "conflicts") for r in self.rows) else 0

    def render(self, fmt: str) -> str:
        """Text (a line per project, then its details) or JSON."""
        if fmt == "json":
            rows = [asdict(r) for r in self.rows]
            summary = {s: sum(r.state == s for r in self.rows) for s in STATES}
            return json.dumps({"ref": self.ref, "summary": summary, "projects": rows}, indent=2)
        projects = sum(r.state != "not-a-project" for r in self.rows)
        lines = [f"preview of {self.ref} over {projects} project(s); nothing written:"]
        for r in self.rows:
            lines.append(f"{r.state:<11} {r.path} {_headline(r)}".rstrip())
            lines += [f"  conflict: {p}" for p in r.conflicts]
            lines += [f"  kept deleted: {p}" for p in r.kept_deleted]
            lines += [f"  create-only, not merged: {a}" for a in r.announced]
            lines += [f"  new question, default {v!r}: {k}" for k, v in r.new_questions.items()]
            lines += [f"  would run {m}" for m in r.migrations]
            lines += [f"  {c}" for c in r.changes]
        return "\n".join(lines)


def _headline(r: Preview) -> str:
    if r.state in ("failed", "not-a-project"):
        return r.error or ""
    if r.state == "up-to-date":
        return f"{r.target}"
    counts = [f"{len(r.changes)} change(s)", f"{len(r.conflicts)} conflict(s)"]
    if r.new_questions:
        counts.append(f"{len(r.new_questions)} new question(s)")
    return f"{r.version} -> {r.target}: {', '.join(counts)}"


def rank(row: Preview) -> tuple[int, str]:
    """Worst first, then by path."""
    return STATES.index(row.state), row.path
