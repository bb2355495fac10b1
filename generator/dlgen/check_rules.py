"""`dlgen check`'s rules: plain functions from what is known (a record, `check_facts.Facts`) to
findings and honoured ignores. They run no git and read no file; each finding comes from the
catalog in `findings`.
"""

from __future__ import annotations

from dataclasses import dataclass

from dlgen import answers, sources, versions
from dlgen import findings as dlg
from dlgen.check_facts import Facts
from dlgen.findings import ENFORCEMENT, MARKERS, Finding, Ignore
from dlgen.template_branch import not_a_render

# --- the record ---------------------------------------------------------------------------------


def template_name(record: answers.Record) -> list[Finding]:
    """A bare name must be a bundled template; paths and URLs are not checked offline."""
    name = record.template
    if "/" in name or sources.is_url(name) or name in sources.bundled_names():
        return []
    return [dlg.unknown_template(name, sources.bundled_names())]


@dataclass(frozen=True)
class Newest:
    """The newest release of a template visible here: its version, and its policy when it was
    read (a clone's newest tag), so that raising the floor reaches projects still on old ones."""

    version: str | None
    policy: answers.Policy | None = None


def version(record: answers.Record, newest_release: Newest) -> list[Finding]:
    """The recorded template version against min_version and max_lag (project over template;
    the newest release's policy over the one the project is on, when it is known)."""
    recorded = versions.parse(record.template_version)
    if recorded is None:
        return []
    found: list[Finding] = []
    policy = newest_release.policy or record.policy
    minimum = record.check.min_version or policy.min_version
    if minimum and (floor := versions.parse(minimum)) and recorded < floor:
        found.append(dlg.below_minimum(record.template_version, minimum))
    max_lag = record.check.max_lag if record.check.max_lag is not None else policy.max_lag
    newest_bundled = newest_release.version
    newest = versions.parse(newest_bundled) if newest_bundled else None
    if max_lag is not None and newest and versions.lag(recorded, newest) > max_lag:
        found.append(dlg.lagging(record.template_version, versions.shown(newest), max_lag))
    return found


# --- the repository -----------------------------------------------------------------------------


def repository(facts: Facts) -> tuple[list[Finding], list[Ignore]]:
    """Every rule that needs git's facts: leftovers, the template branch, the owned files."""
    if not facts.repository:
        return [dlg.not_a_repository()], []
    found, ignores = markers(facts)
    found += [dlg.unresolved(p) for p in facts.unmerged]
    found += leftovers(facts)
    found += branch(facts)
    found += unreadable(facts)
    if facts.render is None:
        return found, ignores
    more, honoured = owned_files(facts)
    excused = {i.path for i in ignores}  # an ignore that excuses conflict markers is not useless
    more = [f for f in more if f.id != "DLG013" or f.path not in excused]
    return found + more, ignores + honoured


def markers(facts: Facts) -> tuple[list[Finding], list[Ignore]]:
    """Conflict markers in the files the template renders; `check.ignore` may excuse a file that
    shows markers on purpose (documentation about merging), unless the template locks it."""
    ignore, locked = facts.record.check.ignore, facts.record.policy.locked
    found, ignores = [], []
    for path, line in sorted(facts.markers.items()):
        if path in ignore and path not in locked:
            ignores.append(Ignore(path, ignore[path], MARKERS))
        else:
            found.append(dlg.conflict_markers(path, line))
    return found, ignores


def unreadable(facts: Facts) -> list[Finding]:
    """Rendered TOML/YAML/JSON files that no longer parse (an enforced file that differs is not
    asked: DLG005 already says so)."""
    return [
        dlg.unreadable(p, why, facts.record.branch) for p, why in sorted(facts.unreadable.items())
    ]


def leftovers(facts: Facts) -> list[Finding]:
    """.rej, .orig and .dlgen-new files tracked in the project; a roll-out's notes on paths left
    unresolved without markers (`PATH.dlgen-unresolved`)."""
    return [
        dlg.unresolved(p.removesuffix(".dlgen-unresolved"), note=p)
        if p.endswith(".dlgen-unresolved")
        else dlg.merge_leftover(p)
        for p in facts.leftovers
    ]


def branch(facts: Facts) -> list[Finding]:
    """The template branch exists, and every commit on it is a render: one parent at most,
    dlgen's author, trailers (`dlgen update` refuses a polluted branch)."""
    name = facts.record.branch
    if facts.branch is None:
        return [dlg.branch_missing(name)]
    return [
        dlg.impure_commit(sha, why, name)
        for sha, parents, email, body in facts.branch
        if (why := not_a_render(parents, email, body))
    ]


# --- the files the template owns ----------------------------------------------------------------


def owned_files(facts: Facts) -> tuple[list[Finding], list[Ignore]]:
    """Enforced files equal their pristine render (pre-commit and CI files: contain it, item by
    item); superset files keep every pristine line; ignores are honoured unless locked; the
    policy is the render's, not an edited record's."""
    policy, record = facts.policy, facts.record
    ignore, name = record.check.ignore, record.branch
    found = [dlg.policy_edited(name)] if policy != record.policy else []
    owned = (*policy.enforced, *policy.superset)
    found += [dlg.locked_ignore(p, ignore[p]) for p in sorted(ignore) if p in policy.locked]
    found += [
        dlg.useless_ignore(p) for p in sorted(ignore) if p not in owned and p not in policy.locked
    ]
    honoured = [
        Ignore(p, ignore[p], ENFORCEMENT) for p in owned if p in ignore and p not in policy.locked
    ]
    for path in facts.changed:
        found += _compare(facts, path)
    return found, honoured


def _compare(facts: Facts, path: str) -> list[Finding]:
    """The findings for one owned file whose work-tree blob is not the render's."""
    branch, data = facts.record.branch, facts.work.get(path)
    if path in facts.policy.superset:
        return _superset(path, facts.pristine[path], data or b"", branch)
    if data is not None and path in facts.pristine:
        from dlgen import structure  # only when a structured file differs

        kind = structure.kind(path)
        assert kind is not None  # check_facts reads a render's bytes only for such files
        deviations = structure.deviations(kind, facts.pristine[path], data)
        return [dlg.item_not_pristine(path, what, branch) for what in deviations]
    return [dlg.not_pristine(path, branch, missing=data is None)]


def _superset(path: str, pristine: bytes, data: bytes, branch: str) -> list[Finding]:
    missing = sorted(set(pristine.splitlines()) - set(data.splitlines()) - {b""})
    if not missing:
        return []
    return [dlg.lost_lines(path, len(missing), missing[0].decode(errors="replace"), branch)]
