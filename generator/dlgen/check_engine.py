"""Judging one project against its template: every rule run once, into one sorted `Report`.

The checklist: read the record (`answers`, DLG001) → judge the record (`check_rules`: template
name DLG002, version policy DLG003/DLG004 against `check_facts.newest_bundled`) → gather the facts
once (`check_facts.gather`: four git calls started at once on a clean project) → judge them
(`check_rules.repository`: DLG005 to DLG011, DLG013 to DLG016) → one sorted `Report`
(`check_report`). `dlgen check` runs it on one project, `dlgen status` on each project of a
fleet. Never imports copier, Jinja, click or typing, nor PyYAML unless a file needs it: it runs
on every commit.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from dlgen import answers, check_facts, check_rules
from dlgen import findings as dlg
from dlgen.check_report import Report
from dlgen.errors import InputError
from dlgen.findings import Finding, Ignore


def check(
    project: Path,
    *,
    only: str | None = None,
    newest: Callable[[str], check_rules.Newest] | None = None,
) -> Report:
    """Run every check (or `only="version"`) on the project at `project`; `newest` gives the
    newest release of a template by its recorded name (default: the bundled one's version).

    A git call that fails for another reason than a missing repository or branch raises
    ProcessError: the check could not run, which is not a finding.
    """
    try:
        record = answers.load(project)
    except InputError as e:
        return Report(str(project), None, None, [dlg.bad_record(str(e))])
    release = (newest or _bundled)(record.template)
    found = check_rules.version(record, release)
    ignores: list[Ignore] = []
    if only != "version":
        found += check_rules.template_name(record)
        more, ignores = check_rules.repository(check_facts.gather(project, record))
        found += more
    return Report(str(project), record.template, record.template_version, _sorted(found), ignores)


def _sorted(found: list[Finding]) -> list[Finding]:
    return sorted(found, key=lambda f: (f.path, f.id))


def _bundled(template: str) -> check_rules.Newest:
    return check_rules.Newest(check_facts.newest_bundled(template))
