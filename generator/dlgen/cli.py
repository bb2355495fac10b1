"""The command line: click wiring only; each command imports its core module when it runs.

Help texts live in `cli_help`; `main` reports errors through `console.fail`, as `__main__` does."""

from __future__ import annotations

import sys

import click

from dlgen import __version__
from dlgen.cli_help import EPILOGS, TOP_EPILOG, Group
from dlgen.cli_options import (
    PATH_TYPE,
    clones_option,
    data_option,
    flavour_option,
    format_option,
    parse_data,
    project_argument,
    trust_option,
)
from dlgen.console import fail, note, out
from dlgen.errors import EXIT_FINDINGS, InputError
from dlgen.signals import Signalled


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]}, epilog=TOP_EPILOG)
@click.version_option(__version__, "--version", prog_name="dlgen")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def cli(debug: bool) -> None:
    """Start deep-learning projects right and keep them right."""


@cli.command(epilog=EPILOGS["new"])
@click.argument("path", type=PATH_TYPE)
@click.option(
    "--template",
    "-t",
    metavar="NAME|PATH|URL[@REF]",
    help="Bundled name, directory, git repository (a clone or a bare one) or git URL.  "
    "[default: the --data-file project's template, else dl-project]",
)
@data_option
@click.option(
    "--data-file",
    type=PATH_TYPE,
    help="YAML answers: KEY: VALUE, or another project's .dlgen.yml or .copier-answers.yml "
    "(its template and answers; project and package name come from PATH).",
)
@click.option("--defaults", is_flag=True, help="Use defaults for unanswered questions.")
@trust_option
@click.option("--no-git", is_flag=True, help="Do not create a git repository.")
@click.option("--no-hooks", is_flag=True, help="Do not run `pre-commit install`.")
@flavour_option
@click.option("--pretend", is_flag=True, help="List the files it would write; write nothing.")
def new(
    path: str,
    template: str | None,
    data: tuple[str, ...],
    data_file: str | None,
    defaults: bool,
    trust: bool,
    no_git: bool,
    no_hooks: bool,
    flavour: str | None,
    pretend: bool,
) -> int:
    """Generate a new project at PATH.

    Questions without an answer are asked on the terminal; with --defaults (or no terminal,
    when every question is answered) nothing is asked.
    """
    from pathlib import Path

    from dlgen.new import new as run_new

    result = run_new(
        Path(path),
        template=template,
        data=parse_data(data),
        data_file=None if data_file is None else Path(data_file),
        defaults=defaults,
        trust=trust,
        git_init=not no_git,
        install_hooks=not no_hooks,
        flavour=flavour,
        pretend=pretend,
    )
    for line in result.notes:
        note(f"note: {line}")
    if pretend:
        out(f"Would create {path} from {result.template} {result.version} (nothing written):")
        for name in result.files:
            out(f"  {name}")
        if not no_git:
            out("  and a git repository whose first commit is this render (branch dlgen/template)")
        return 0
    out(f"Created {path} from {result.template} {result.version}. Next:")
    out(f"  cd {path}")
    for step in result.next_steps:
        out(f"  {step}")
    return 0


@cli.command(epilog=EPILOGS["templates"])
@click.argument("template", required=False, metavar="[T]")
@format_option()
def templates(template: str | None, fmt: str) -> int:
    """List templates, or show T's questions.

    Without T: the bundled templates with version, description and policy. With T (a bundled
    name, a directory or a git URL[@REF], default its newest version tag): its questions with
    type, help, choices and default, and its policy, read without rendering.
    """
    import json

    from dlgen import templates as tpl

    if template is None:
        listing = tpl.catalog()
        lines = [f"{t['name']}\t{t['version'] or '-'}\t{t['description']}" for t in listing]
        out(json.dumps(listing, indent=2) if fmt == "json" else "\n".join(lines))
        return 0
    info, questions = tpl.inspect(template)
    info["questions"] = [q.to_dict() for q in questions]
    out(json.dumps(info, indent=2) if fmt == "json" else tpl.questions_text(info, questions))
    return 0


@cli.command(epilog=EPILOGS["check"])
@project_argument
@format_option()
@click.option("--strict", is_flag=True, help="Warnings fail the check too.")
@click.option("--only", type=click.Choice(["version"]), help="Run only this group of checks.")
@clones_option(
    "The project's git template: a local clone, a bare repository, or its URL (fetched into "
    "the user's cache; unreachable: exit 70). Its newest tag's min_version and max_lag apply "
    "(repeatable)."
)
def check(path: str, fmt: str, strict: bool, only: str | None, clones: tuple[str, ...]) -> int:
    """Check that the project at PATH still honours its template (read-only, offline).

    Every honoured `check.ignore` entry is listed with its reason, so CI logs show it.
    """
    from dlgen.check import run

    text, code = run(path, fmt=fmt, strict=strict, only=only, clones=clones)
    out(text)
    return code


@cli.command(epilog=EPILOGS["status"])
@click.argument("paths", nargs=-1, type=PATH_TYPE, metavar="[PATH]...")
@click.option(
    "--depth",
    type=click.IntRange(min=0),
    default=1,
    show_default=True,
    help="Folder levels below each PATH that is not a project to search for projects.",
)
@clones_option(
    "A git template: a local clone, a bare repository, or its URL (fetched into the user's "
    "cache; unreachable: exit 70). Its newest tag is the newest version (repeatable)."
)
@format_option("markdown")
@click.option("--strict", is_flag=True, help="Warnings fail a project, as in `check --strict`.")
@click.option(
    "--exit-code",
    is_flag=True,
    help="Exit 1 when a project fails its check, has conflicts or an update in progress "
    "(with --preview: would conflict, or cannot be previewed).",
)
@click.option(
    "--preview",
    metavar="REF",
    help="Rehearse a release: what updating each project to the template's REF (a tag, branch "
    "or commit, e.g. HEAD of the --template clone) would do; nothing written.",
)
@trust_option
def status(
    paths: tuple[str, ...],
    depth: int,
    clones: tuple[str, ...],
    fmt: str,
    strict: bool,
    exit_code: bool,
    preview: str | None,
    trust: bool,
) -> int:
    """The fleet view: many projects, worst first.

    For each project under PATH (default .): its template version and lag, its `dlgen check`
    findings and active ignores, an update in progress, conflicts left. Read-only and offline.
    Exit 0, or with --exit-code 1 when a project fails; 2 for a PATH or --template that is not a
    directory, a repository or a URL; 70 when a --template URL cannot be fetched.
    """
    if preview is not None:
        from dlgen.status import preview as run_preview

        if fmt == "markdown":
            raise InputError("--preview reports as text or json, not markdown")
        rehearsal = run_preview(paths or (".",), preview, depth=depth, clones=clones, trust=trust)
        out(rehearsal.render(fmt))
        return rehearsal.exit_code() if exit_code else 0
    from dlgen.status import status as run_status

    report = run_status(paths or (".",), depth=depth, clones=clones)
    out(report.render(fmt, strict))
    return report.exit_code(strict) if exit_code else 0


@cli.command(epilog=EPILOGS["update"])
@project_argument
@click.option("--to", metavar="REF", help="Template version (git ref) to update to.")
@data_option
@click.option("--dry-run", is_flag=True, help="Show what would change and conflict; touch nothing.")
@click.option("--abort", is_flag=True, help="Undo an update in progress.")
@trust_option
@click.option("--defaults", is_flag=True, help="Take the default of every new question.")
@click.option(
    "--template",
    "-t",
    metavar="PATH|URL",
    help="Point the project at a moved or mirrored template (it must hold the recorded version).",
)
@format_option()
def update(
    path: str,
    to: str | None,
    data: tuple[str, ...],
    dry_run: bool,
    abort: bool,
    trust: bool,
    defaults: bool,
    template: str | None,
    fmt: str,
) -> int:
    """Update the project at PATH to a newer template version by a real git merge."""
    from pathlib import Path

    from dlgen.update import update as run_update

    result = run_update(
        Path(path),
        to=to,
        data=parse_data(data),
        dry_run=dry_run,
        abort=abort,
        trust=trust,
        defaults=defaults,
        template=template,
    )
    if fmt == "json":
        import dataclasses
        import json

        report = {"exit_code": result.exit_code, **dataclasses.asdict(result)}
        out(json.dumps(report, indent=2, default=str))
    else:
        for line in result.lines():
            out(line)
    return result.exit_code


@cli.command(epilog=EPILOGS["rollout"])
@click.argument("paths", nargs=-1, type=PATH_TYPE, metavar="[PATH]...")
@click.option(
    "--provider",
    type=click.Choice(["github", "gitlab"]),
    required=True,
    help="Where the requests go: `gh pr` (GitHub) or `glab mr` (GitLab), with their own login.",
)
@click.option(
    "--to", metavar="REF", help="Template version (git ref) to roll out [default: newest]."
)
@click.option("--base", metavar="BRANCH", help="The branch requests merge into [default: HEAD's].")
@click.option("--remote", default="origin", show_default=True, help="The remote to push to.")
@trust_option
@format_option()
def rollout(
    paths: tuple[str, ...],
    provider: str,
    to: str | None,
    base: str | None,
    remote: str,
    trust: bool,
    fmt: str,
) -> int:
    """Roll a template release out: one branch and one pull/merge request per project.

    For each project at PATH (default .), a clean clone: `dlgen update --defaults` on the branch
    dlgen/sync (dlgen/syncs/<path> in a monorepo), committed with its conflicts for review (a
    note beside each path left without markers; `dlgen check` fails until all are resolved),
    pushed with the template branch, and the request opened, or refreshed while it is open:
    branch force-pushed, title and body rewritten. New questions take their defaults; the
    body lists them, the unresolved paths and the release's CHANGELOG section. A branch a person
    has committed on is left alone. Every project is attempted; the clone ends where it was.
    """
    from dlgen import rollout as run

    outcomes = run.rollout(
        paths or (".",), run.Options(provider, to=to, base=base, remote=remote, trust=trust)
    )
    out(run.as_json(outcomes) if fmt == "json" else run.text(outcomes))
    return run.exit_code(outcomes)


@cli.command(epilog=EPILOGS["adopt"])
@project_argument
@click.option(
    "--template",
    "-t",
    required=True,
    metavar="NAME|PATH|URL[@REF]",
    help="The template (and version) the project corresponds to.",
)
@data_option
@trust_option
@flavour_option
def adopt(
    path: str, template: str | None, data: tuple[str, ...], trust: bool, flavour: str | None
) -> int:
    """Link the repository at PATH to a template version without changing any file."""
    from pathlib import Path

    from dlgen.adopt import adopt as run_adopt

    result = run_adopt(
        Path(path), template=template, data=parse_data(data), trust=trust, flavour=flavour
    )
    for line in result.lines():
        out(line)
    return 0


@cli.command(epilog=EPILOGS["diff"])
@project_argument
@click.option("--stat", is_flag=True, help="Summary of changes per file.")
@click.option("--name-only", is_flag=True, help="Only the changed paths (with their status).")
@click.option("--exit-code", is_flag=True, help="Exit 1 when there are deviations (as git diff).")
def diff(path: str, stat: bool, name_only: bool, exit_code: bool) -> int:
    """Show the project's local deviations from its template."""
    from pathlib import Path

    from dlgen.diff import diff as run_diff

    text = run_diff(Path(path), stat=stat, name_only=name_only)
    sys.stdout.write(text)
    return EXIT_FINDINGS if exit_code and text else 0


@cli.command("merge-file", epilog=EPILOGS["merge-file"])
@click.argument("base", type=PATH_TYPE)
@click.argument("ours", type=PATH_TYPE)
@click.argument("theirs", type=PATH_TYPE)
@click.argument("name", required=False)
@click.option("--marker-size", type=click.IntRange(1, 100), default=7, help="git's %L.")
def merge_file(base: str, ours: str, theirs: str, name: str | None, marker_size: int) -> int:
    """Merge THEIRS into OURS against BASE by structure, as a git merge driver (%O %A %B %P)."""
    from pathlib import Path

    from dlgen.mergedriver import merge_file as drive

    done = drive(Path(base), Path(ours), Path(theirs), name or ours, marker_size)
    if done.line:
        note(done.line)
    return done.code


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI; an exception becomes its exit code and one line (`console.fail`,
    the traceback only with --debug); click's usage errors are click's."""
    args = sys.argv[1:] if argv is None else argv
    try:
        code = cli.main(args=args, prog_name="dlgen", standalone_mode=False)
    except click.exceptions.Abort:  # ^C (click turns KeyboardInterrupt into Abort)
        code = fail(KeyboardInterrupt())
    except click.ClickException as e:
        e.show()
        code = e.exit_code
    except (Exception, KeyboardInterrupt, Signalled) as e:
        code = fail(e, debug="--debug" in args)
    sys.exit(code if isinstance(code, int) else 0)
