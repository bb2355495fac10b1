"""`dlgen status`'s report: one row per folder, worst first, as text, JSON or Markdown."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from dlgen.findings import ERROR, WARNING, Finding

# Worst first: the order of the table.
STATES = (
    "conflicted",
    "updating",
    "failing",
    "warning",
    "lagging",
    "unknown",  # the newest template version is not visible here: never claim "current"
    "current",
    "not-a-project",
)


@dataclass(frozen=True)
class Row:
    """One project (or one folder that is not a project) of the fleet."""

    path: str  # as the user would type it: PATH joined with the folders below it
    state: str  # one of STATES; "" until the version is known
    template: str | None = None
    version: str | None = None
    newest: str | None = None  # the newest template version visible here, None if unknown
    lag: int | None = None  # in max_lag's unit: minor releases, a major release counts 1000
    behind: bool = False  # newest is a later version (a patch release too)
    branch: str | None = None
    findings: tuple[Finding, ...] = ()
    ignores: tuple[tuple[str, str], ...] = ()  # (path, reason) from `.dlgen.yml`'s check.ignore
    update_in_progress: bool = False
    merge_in_progress: bool = False
    conflicts: tuple[str, ...] = ()
    note: str = ""  # why a folder is not a project, or why a project could not be read
    unreadable: bool = False

    def count(self, severity: str) -> int:
        """How many findings have `severity`."""
        return sum(f.severity == severity for f in self.findings)

    def fails(self, strict: bool) -> bool:
        """Whether this project fails: its check (warnings too under `strict`), a conflict, or
        an update in progress. A folder that is not a project never fails."""
        return self.state in STATES[:3] or (strict and self.count(WARNING) > 0)

    def to_dict(self, strict: bool) -> dict[str, Any]:
        """JSON-ready (schema: status.schema.json); `findings` and `ok` are check's own."""
        project = self.state != "not-a-project"
        return {
            "path": self.path,
            "state": self.state,
            "is_project": project,
            "template": self.template,
            "template_version": self.version,
            "newest_version": self.newest,
            "lag": self.lag,
            "behind": self.behind,
            "branch": self.branch,
            "ok": project
            and not (self.unreadable or self.count(ERROR) or (strict and self.findings)),
            "errors": self.count(ERROR),
            "warnings": self.count(WARNING),
            "findings": [asdict(f) for f in self.findings],
            "ignores": [{"path": p, "reason": r} for p, r in self.ignores],
            "update_in_progress": self.update_in_progress,
            "merge_in_progress": self.merge_in_progress,
            "conflicts": list(self.conflicts),
            "note": self.note or None,
        }


@dataclass(frozen=True)
class FleetReport:
    """Every row, worst first."""

    rows: list[Row] = field(default_factory=list)

    def exit_code(self, strict: bool = False) -> int:
        """1 when some project fails (see Row.fails), else 0."""
        return int(any(r.fails(strict) for r in self.rows))

    def summary(self) -> str:
        """ "N project(s): 2 conflicted, 1 current; 1 not a project"."""
        counts = {s: sum(r.state == s for r in self.rows) for s in STATES}
        projects = len(self.rows) - counts["not-a-project"]
        parts = ", ".join(f"{n} {s}" for s, n in counts.items() if n and s != "not-a-project")
        text = f"{projects} project(s)" + (f": {parts}" if parts else "")
        others = counts["not-a-project"]
        return text + (f"; {others} folder(s) not a dlgen project" if others else "")

    def render(self, fmt: str, strict: bool = False) -> str:
        """The report as "text", "json" or "markdown"."""
        if fmt == "json":
            return self.to_json(strict)
        return self.to_markdown() if fmt == "markdown" else self.to_text()

    def to_json(self, strict: bool = False) -> str:
        """The report as JSON (schema: status.schema.json)."""
        counts = {s: sum(r.state == s for r in self.rows) for s in STATES}
        data = {
            "ok": not self.exit_code(strict),
            "summary": counts,
            "projects": [r.to_dict(strict) for r in self.rows],
        }
        return json.dumps(data, indent=2)

    def to_text(self) -> str:
        """One aligned table, the details of every project that has any, a summary line."""
        table = [_HEADER, *(_cells(r) for r in self.rows)]
        widths = [max(len(row[i]) for row in table) for i in range(len(_HEADER))]
        lines = [
            "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
            for row in table
        ]
        for row in self.rows:
            details = _details(row, code=lambda s: s)
            if details:
                lines += ["", f"{row.path}: {row.state}", *(f"  {d}" for d in details)]
        lines += ["", f"dlgen status: {self.summary()}"]
        return "\n".join(lines)

    def to_markdown(self) -> str:
        """A Markdown table and details: paste into a weekly report or an issue."""
        lines = ["## dlgen status", "", self.summary(), ""]
        lines.append("| " + " | ".join(_HEADER).lower() + " |")
        lines.append("|" + "---|" * len(_HEADER))
        for row in self.rows:
            cells = _cells(row)
            cells[1] = _code(cells[1])
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        detailed = [(r, _details(r, code=_code)) for r in self.rows]
        if any(d for _, d in detailed):
            lines += ["", "### Details"]
        for row, details in detailed:
            if details:
                lines += ["", f"#### {_code(row.path)}: {row.state}", ""]
                lines += [f"- {d}" for d in details]
        return "\n".join(lines)


_HEADER = [
    "STATE",
    "PROJECT",
    "TEMPLATE",
    "VERSION",
    "NEWEST",
    "LAG",
    "ERRORS",
    "WARNINGS",
    "IGNORES",
]


def _cells(row: Row) -> list[str]:
    if row.state == "not-a-project":
        return [row.state, row.path, *["-"] * 7]
    return [
        row.state,
        row.path,
        row.template or "-",
        row.version or "-",
        row.newest or "?",
        _lag_text(row),
        str(row.count(ERROR)),
        str(row.count(WARNING)),
        str(len(row.ignores)),
    ]


def _lag_text(row: Row) -> str:
    if row.lag is None:
        return "?"
    if row.lag >= 1000:
        return f"{row.lag // 1000} major"
    if row.lag:
        return f"{row.lag} minor"
    return "patch" if row.behind else "-"


def _code(text: str) -> str:
    return f"`{text}`" if "`" not in text else text


def _details(row: Row, code: Callable[[str], str]) -> list[str]:
    """The lines under a project: why it is in its state, each finding, each ignore."""
    lines = [row.note] if row.note else []
    if row.state == "unknown":
        lines.append(
            "newest template version unknown here: give the template source with `--template`"
        )
    if row.conflicts:
        lines.append("conflicted: " + ", ".join(code(p) for p in row.conflicts))
    if row.update_in_progress:
        lines.append("dlgen update in progress: resolve and commit, or `dlgen update --abort`")
    elif row.merge_in_progress:
        lines.append("a git merge is in progress")
    for f in row.findings:
        lines.append(f"{f.id} {f.severity} {code(f.path)}: {f.message} (fix: {f.fix})")
    for path, reason in row.ignores:
        lines.append(f"{code(path)} enforcement ignored: {reason}")
    return lines
