"""The help texts of the command line: each command's examples and exit codes (its epilog), the
top-level epilog, and the command list's layout. Only `cli` imports it."""

from __future__ import annotations

import click

_EXIT_CODES = {
    0: "ok",
    2: "invalid input (a bad name, answer, option or file)",
    70: "internal error (a dlgen bug; re-run with --debug and report it)",
    130: "interrupted by Ctrl-C; 128+N when killed by signal N (129 SIGHUP, 143 SIGTERM)",
}


def _epilog(examples: list[str], codes: dict[int, str]) -> str:
    """Examples and exit codes for a command's --help; `\\b` keeps click from rewrapping them."""
    lines = ["\b", "Examples:", *(f"  $ {e}" for e in examples), "", "\b", "Exit codes:"]
    lines += [f"  {code:<3} {text}" for code, text in sorted({**_EXIT_CODES, **codes}.items())]
    return "\n".join(lines)


class Group(click.Group):
    """A group whose command list shows each command's whole first sentence, wrapped, not cut."""

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            cmd = self.get_command(ctx, name)
            if cmd is not None and not cmd.hidden:
                rows.append((name, cmd.get_short_help_str(limit=1000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


TOP_EPILOG = """\b
Examples:
  $ dlgen new acme-vision --defaults        generate a project, every default taken
  $ dlgen new other --data-file acme-vision/.dlgen.yml
                                            the same answers under another name
  $ dlgen check && dlgen update --dry-run   gate, then preview a template update
  $ dlgen COMMAND --help                    examples and exit codes of one command

\b
Shell completion (bash; zsh_source and fish_source for zsh and fish):
  $ eval "$(_DLGEN_COMPLETE=bash_source dlgen)"    # add this line to ~/.bashrc

\b
In CI, check out the whole history and the template branch: GitHub
actions/checkout `fetch-depth: 0`, GitLab `GIT_DEPTH: 0`; in a shallow
clone without the render it needs, a command exits 70 saying so.

\b
Exit codes: 0 ok · 1 template error or check findings · 2 invalid input ·
3 refused (unsafe state) · 4 update conflicts · 70 internal error or could
not know (a shallow clone) · 128+N killed by signal N · 130 Ctrl-C"""


EPILOGS = {
    "new": _epilog(
        [
            "dlgen new acme-vision --defaults",
            "dlgen new acme-vision --data task=tabular_regression --data ci=gitlab",
            "dlgen new other --data-file acme-vision/.dlgen.yml   # replay another project",
            "dlgen new demo --template https://host/org/tpl.git@v2 --defaults --pretend",
        ],
        {
            1: "template error, or a failed step (git init, a hook); nothing is left behind",
            3: "refused: the destination is not empty, or its directory cannot be made",
        },
    ),
    "templates": _epilog(
        ["dlgen templates", "dlgen templates dl-project", "dlgen templates --format json"],
        {2: "invalid input: T is not a template"},
    ),
    "check": _epilog(
        [
            "dlgen check",
            "dlgen check ../acme-vision --format json --strict",
            "dlgen check --only version --template ~/company-template   # the newest policy",
            "dlgen check --template https://git.example.com/platform/template.git",
        ],
        {
            1: "findings: errors, or warnings with --strict",
            70: "internal error or could not know: the check could not run (a git call "
            "failed), a --template URL cannot be fetched, or a dlgen bug",
        },
    ),
    "status": _epilog(
        [
            "dlgen status ~/src",
            "dlgen status services --depth 2 --format markdown",
            "dlgen status ~/fleet --template ~/company-template --preview HEAD   # rehearse",
            "dlgen status ~/fleet --template https://git.example.com/platform/template.git",
        ],
        {
            1: "with --exit-code: a project fails, has conflicts or an update in progress",
            2: "invalid input: a PATH or --template that is not a directory, repository or URL",
            70: "internal error or could not know: a --template URL cannot be fetched",
        },
    ),
    "update": _epilog(
        [
            "dlgen update --dry-run",
            "dlgen update --to v2 --data tracker=mlflow",
            "dlgen update --abort",
            "dlgen update --dry-run --to v3 --format json   # incl. new questions and defaults",
        ],
        {
            1: "template error, or a failed step",
            3: "refused: dirty tree, merge in progress, no template branch",
            4: "the merge left conflicts: resolve them and commit, or --abort",
        },
    ),
    "rollout": _epilog(
        [
            "dlgen rollout --provider github          # the template-sync workflow's step",
            "dlgen rollout --provider gitlab --base main",
            "dlgen rollout --provider github --to v3 clones/*   # by hand, over many clones",
            "dlgen rollout --provider github --format json",
        ],
        {
            0: "ok: every project opened, refreshed, unchanged, kept or up to date",
            1: "a project's step failed (dlgen update, git push, gh/glab): its row says which",
            2: "invalid input: not a project, a detached HEAD without --base, a bad --to",
            3: "refused: a clone with uncommitted changes or an operation in progress",
        },
    ),
    "merge-file": _epilog(
        [
            "dlgen merge-file base.toml pyproject.toml theirs.toml pyproject.toml",
            "git config merge.dlgen.driver 'dlgen merge-file %O %A %B %P --marker-size %L'",
            "echo 'pyproject.toml merge=dlgen' >> .gitattributes   # then: git merge",
        ],
        {
            2: "invalid input: a file that cannot be read",
            4: "conflicts left in OURS (git's markers): git records the path as conflicted",
        },
    ),
    "adopt": _epilog(
        ["dlgen adopt . --template dl-project --data task=tabular_regression"],
        {1: "template error", 3: "refused: not a git repository, dirty tree"},
    ),
    "diff": _epilog(
        ["dlgen diff --stat", "dlgen diff --name-only", "dlgen diff --exit-code --stat"],
        {
            1: "with --exit-code: the project deviates from its template",
            2: "invalid input, e.g. --stat with --name-only",
            3: "refused: not a git repository, or no template branch",
        },
    ),
}
