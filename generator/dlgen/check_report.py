"""`dlgen check`'s report: its findings and honoured ignores, the exit code, text and JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from dlgen.errors import EXIT_FINDINGS
from dlgen.findings import ERROR, WARNING, Finding, Ignore


@dataclass(frozen=True)
class Report:
    """Every finding of one check run, and the ignores that were honoured."""

    project: str
    template: str | None
    version: str | None
    findings: list[Finding] = field(default_factory=list)
    ignores: list[Ignore] = field(default_factory=list)

    def errors(self, strict: bool = False) -> int:
        """How many findings fail the check (warnings too under `strict`)."""
        return sum(f.severity == ERROR or strict for f in self.findings)

    def exit_code(self, strict: bool = False) -> int:
        """0 when clean, 1 (EXIT_FINDINGS) with failures."""
        return EXIT_FINDINGS if self.errors(strict) else 0

    def to_text(self, strict: bool = False) -> str:
        """One line per finding, one per active ignore, then a summary line."""
        lines = [
            f"{f.path}: {f.id} {f.severity}: {f.message} (fix: {f.fix})" for f in self.findings
        ]
        lines += [i.line() for i in self.ignores]
        warnings = sum(f.severity == WARNING for f in self.findings)
        errors = len(self.findings) - warnings
        verdict = "failed" if self.exit_code(strict) else "ok"
        ignored = f", {len(self.ignores)} ignore(s)" if self.ignores else ""
        lines.append(f"dlgen check: {verdict}: {errors} error(s), {warnings} warning(s){ignored}")
        return "\n".join(lines)

    def to_json(self, strict: bool = False) -> str:
        """The report as JSON (schema: check.schema.json)."""
        import json  # only --format json needs it (start-up)

        data = {
            "project": self.project,
            "template": self.template,
            "template_version": self.version,
            "ok": not self.exit_code(strict),
            "findings": [asdict(f) for f in self.findings],
            "ignores": [asdict(i) for i in self.ignores],
        }
        return json.dumps(data, indent=2, sort_keys=False)

    def render(self, fmt: str, strict: bool = False) -> str:
        """The report in `fmt` ("text" or "json")."""
        return self.to_json(strict) if fmt == "json" else self.to_text(strict)
