"""`dlgen new`'s first hour: replay, every missing answer at once, git-config defaults,
--pretend, and messages that read right from where the user stands. Real CLI, copier and git."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from dlgen.sources import bundled_root
from dlgen.template import Template
from tests.helpers import TemplateRepo, commit_all, git, invoke, listing

SIMPLE = {
    "copier.yml": "name:\n  type: str\n  default: demo\nflag:\n  type: bool\n  default: false\n",
    "README.md.jinja": "# {{ name }} flag={{ flag }}\n",
}
NO_DEFAULTS = {
    "copier.yml": (
        "full_name:\n  type: str\n  help: Your full name\n"
        "license:\n  type: str\n  help: License of the code\n  choices: [BSD, Apache, MIT]\n"
        "vcs:\n  type: bool\n  help: Use a VCS\n"
        "mit_year:\n  type: int\n  help: Copyright year\n  when: \"{{ license == 'MIT' }}\"\n"
        "bsd_clause:\n  type: str\n  help: BSD clause\n  when: \"{{ license == 'BSD' }}\"\n"
        "hidden:\n  type: str\n  when: false\n"
        "url:\n  type: str\n  help: Homepage\n  default: https://example.com\n"
    ),
    "README.md.jinja": "{{ full_name }} {{ license }}\n",
}


def cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The real CLI with no terminal on stdin (as in CI, or piped)."""
    return subprocess.run(
        [sys.executable, "-m", "dlgen", *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )


def record(project: Path) -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((project / ".dlgen.yml").read_text(encoding="utf-8"))


# --- replay ------------------------------------------------------------------------------------


def test_replay_a_projects_record_under_another_name(tmp_path: Path) -> None:
    first = tmp_path / "acme-vision"
    made = invoke(
        "new",
        str(first),
        "--defaults",
        "--no-git",
        "--data",
        "task=tabular_regression",
        "--data",
        "description=Forecasts",
        "--data",
        "docker=false",
        "--data",
        "dvc_remote=s3",
    )
    assert made.code == 0, made.err
    done = cli(
        "new", "other-proj", "--data-file", "acme-vision/.dlgen.yml", "--no-git", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    old, new = record(first), record(tmp_path / "other-proj")
    assert new["answers"]["project_name"] == "other-proj"
    assert new["answers"]["package_name"] == "other_proj"
    assert new["answers"]["dvc_remote_url"] == "s3://my-bucket/acme-vision"  # as answered there
    same = ("project_name", "package_name")
    assert {k: v for k, v in new["answers"].items() if k not in same} == {
        k: v for k, v in old["answers"].items() if k not in same
    }
    assert new["template"] == old["template"] == "dl-project"
    assert (tmp_path / "other-proj/src/other_proj").is_dir()
    assert not (tmp_path / "other-proj/Dockerfile").exists()


def released_twice(template_factory: Callable[..., TemplateRepo]) -> TemplateRepo:
    """The simple template released as v1, then v2 with another README."""
    tpl = template_factory(SIMPLE, name="tpl")
    tpl.release("v1")
    tpl.write({"README.md.jinja": "# {{ name }} v2\n"})
    tpl.release("v2")
    return tpl


def test_replay_takes_the_recorded_git_template_at_its_recorded_version(
    tmp_path: Path, template_factory: Callable[..., TemplateRepo]
) -> None:
    tpl = released_twice(template_factory)
    first = tmp_path / "projects/first"
    assert (
        invoke(
            "new", str(first), "--template", f"{tpl.root}@v1", "--data", "name=hi", "--defaults"
        ).code
        == 0
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = cli("new", "second", "--data-file", "../projects/first/.dlgen.yml", cwd=elsewhere)
    assert done.returncode == 0, done.stderr
    second = elsewhere / "second"
    assert (second / "README.md").read_text() == "# hi flag=False\n"
    assert record(second)["template_version"] == "v1"
    assert record(second)["template"] == os.path.relpath(tpl.root, second)
    assert "Created second from ../tpl v1." in done.stdout
    # --template wins over the record: the newest version of the same template
    newer = cli(
        "new", "third", "--data-file", "../projects/first/.dlgen.yml", "-t", "../tpl", cwd=elsewhere
    )
    assert newer.returncode == 0, newer.stderr
    assert (elsewhere / "third/README.md").read_text() == "# hi v2\n"


def test_replay_of_a_branch_takes_the_recorded_commit_not_the_moved_branch(
    tmp_path: Path, template_factory: Callable[..., TemplateRepo]
) -> None:
    tpl = template_factory(SIMPLE, name="tpl")
    tpl.release("v1")
    git("checkout", "-q", "-b", "dev", cwd=tpl.root)
    tpl.write({"README.md.jinja": "# {{ name }} dev 1\n"})
    commit_all(tpl.root, "dev 1")
    assert invoke("new", str(tmp_path / "a"), "-t", f"{tpl.root}@dev", "--defaults").code == 0
    tpl.write({"README.md.jinja": "# {{ name }} dev 2\n"})
    commit_all(tpl.root, "dev 2")
    done = cli("new", "b", "--data-file", "a/.dlgen.yml", "--no-git", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "b/README.md").read_text() == "# demo dev 1\n"
    assert record(tmp_path / "b")["template_commit"] == record(tmp_path / "a")["template_commit"]


def test_replay_of_an_older_bundled_record_says_what_it_changes(tmp_path: Path) -> None:
    old = tmp_path / "old.yml"
    old.write_text(
        "template: dl-project\ntemplate_version: 0.0.1\ndlgen_version: 0.0.1\n"
        "answers:\n  project_name: old\n  task: tabular_regression\n  colour: red\n"
    )
    done = cli("new", "p", "--data-file", str(old), "--defaults", "--no-git", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    version = Template.load(bundled_root() / "templates/dl-project").version
    assert f"note: the record has dl-project 0.0.1; using {version}" in done.stderr
    assert "note: dl-project does not ask colour: not replayed" in done.stderr
    answers = record(tmp_path / "p")["answers"]
    assert answers["task"] == "tabular_regression" and answers["project_name"] == "p"


def test_copier_answers_file_replays_template_commit_and_answers(
    tmp_path: Path, template_factory: Callable[..., TemplateRepo]
) -> None:
    tpl = released_twice(template_factory)
    answers = tmp_path / "old/.copier-answers.yml"
    answers.parent.mkdir()
    answers.write_text(
        f"# Changes here will be overwritten by Copier\n_commit: v1\n_src_path: {tpl.root}\n"
        "name: from-copier\nflag: true\n"
    )
    done = cli("new", "p", "--data-file", str(answers), "--no-git", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "p/README.md").read_text() == "# from-copier flag=True\n"
    assert record(tmp_path / "p")["template_version"] == "v1"


def test_data_file_answering_every_question_needs_no_defaults_and_no_terminal(
    tmp_path: Path, template_factory: Callable[..., TemplateRepo]
) -> None:
    tpl = template_factory(SIMPLE)
    full = tmp_path / "full.yml"
    full.write_text("name: all\nflag: true\n")
    done = cli("new", "p", "-t", str(tpl.root), "--data-file", str(full), "--no-git", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "p/README.md").read_text() == "# all flag=True\n"
    part = tmp_path / "part.yml"
    part.write_text("name: some\n")
    done = cli("new", "q", "-t", str(tpl.root), "--data-file", str(part), "--no-git", cwd=tmp_path)
    assert done.returncode == 2
    assert "no terminal" in done.stderr and "\n  flag" in done.stderr
    assert "\n  name" not in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "q").exists()


def test_bad_data_file_exits_2(tmp_path: Path) -> None:
    for text in ("- a\n- b\n", "template: dl-project\nanswers: {}\n", "a: [\n"):
        bad = tmp_path / "bad.yml"
        bad.write_text(text)
        result = invoke("new", str(tmp_path / "p"), "--defaults", "--data-file", str(bad))
        assert result.code == 2 and "bad.yml" in result.err, text
    assert not (tmp_path / "p").exists()


# --- every missing answer at once --------------------------------------------------------------


def test_defaults_names_every_question_without_a_default_at_once(
    tmp_path: Path, template_factory: Callable[..., TemplateRepo]
) -> None:
    tpl = template_factory(NO_DEFAULTS)
    work = tmp_path / "work"
    work.mkdir()
    done = cli("new", "p", "-t", str(tpl.root), "--defaults", cwd=work)
    assert done.returncode == 2, done.stderr
    err = done.stderr
    assert err.count("dlgen: error:") == 1 and "Traceback" not in err
    assert "3 questions have no answer and no default" in err
    assert "\n  full_name: Your full name\n" in err
    assert "\n  license: License of the code [choices: BSD, Apache, MIT]\n" in err
    assert "\n  vcs: Use a VCS [bool]" in err
    for skipped in ("mit_year", "bsd_clause", "hidden", "url"):
        assert skipped not in err
    assert listing(work) == []
    # answering the license asks its conditional question next, and nothing else is missing
    done = cli("new", "p", "-t", str(tpl.root), "--defaults", "-d", "license=MIT", cwd=work)
    assert done.returncode == 2
    assert "mit_year: Copyright year [int]" in done.stderr and "license" not in done.stderr
    done = cli(
        "new",
        "p",
        "-t",
        str(tpl.root),
        "--defaults",
        "--no-git",
        *("-d", "license=BSD", "-d", "full_name=Ada", "-d", "vcs=yes", "-d", "bsd_clause=3"),
        cwd=work,
    )
    assert done.returncode == 0, done.stderr
    assert (work / "p/README.md").read_text() == "Ada BSD\n"


# --- defaults from git config ------------------------------------------------------------------


def test_author_defaults_come_from_git_config(tmp_path: Path, isolated_env: Path) -> None:
    gitconfig = tmp_path / "gitconfig"
    gitconfig.write_text("[user]\n\tname = Grace Hopper\n\temail = grace@navy.example\n")
    env = {**os.environ, "GIT_CONFIG_GLOBAL": str(gitconfig)}
    done = cli("new", "a", "--defaults", "--no-git", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    answers = record(tmp_path / "a")["answers"]
    assert answers["author_name"] == "Grace Hopper"
    assert answers["author_email"] == "grace@navy.example"
    assert 'name = "Grace Hopper"' in (tmp_path / "a/pyproject.toml").read_text()
    given = cli(
        "new", "b", "--defaults", "--no-git", "-d", "author_name=Ada", cwd=tmp_path, env=env
    )
    assert given.returncode == 0, given.stderr
    assert record(tmp_path / "b")["answers"]["author_name"] == "Ada"
    gitconfig.write_text("[init]\n\tdefaultBranch = main\n")  # no identity: the template's own
    done = cli("new", "c", "--defaults", "--no-git", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    assert record(tmp_path / "c")["answers"]["author_name"] == "Your Name"


def test_author_default_follows_the_repository_the_project_goes_into(tmp_path: Path) -> None:
    mono = tmp_path / "mono"
    mono.mkdir()
    subprocess.run(["git", "init", "-q", str(mono)], check=True)
    subprocess.run(["git", "-C", str(mono), "config", "user.name", "Mono Team"], check=True)
    done = cli("new", "mono/libs/p", "--defaults", "--no-git", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    answers = record(mono / "libs/p")["answers"]
    assert answers["author_name"] == "Mono Team"
    assert answers["author_email"] == "test@example.com"  # the global one, as git would use


# --- --pretend ---------------------------------------------------------------------------------


def test_pretend_lists_the_files_and_changes_nothing(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch)}
    done = cli("new", "deep/acme", "--defaults", "--pretend", cwd=work, env=env)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    version = Template.load(bundled_root() / "templates/dl-project").version
    assert lines[0] == f"Would create deep/acme from dl-project {version} (nothing written):"
    for name in (".dlgen.yml", "README.md", "pyproject.toml", "src/acme/__init__.py"):
        assert f"  {name}" in lines, name
    assert listing(work) == [] and listing(scratch) == []
    assert "git repository" in done.stdout


def test_pretend_still_refuses_what_new_refuses(tmp_path: Path) -> None:
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy/mine.txt").write_text("x")
    done = cli("new", "busy", "--defaults", "--pretend", cwd=tmp_path)
    assert done.returncode == 3 and "mine.txt" in done.stderr


def test_pretend_runs_no_task_and_no_hook(
    tmp_path: Path, template_factory: Callable[..., TemplateRepo]
) -> None:
    """Like copier's --pretend: a template's tasks and cookiecutter's hooks are not run."""
    ran = tmp_path / "ran"
    copier_tpl = template_factory(
        {**SIMPLE, "copier.yml": SIMPLE["copier.yml"] + f"_tasks:\n  - touch {ran}\n"}
    )
    cc_tpl = template_factory(
        {
            "cookiecutter.json": '{"slug": "demo"}',
            "{{cookiecutter.slug}}/README.md": "# {{ cookiecutter.slug }}\n",
            "hooks/post_gen_project.py": f"open({str(ran)!r}, 'w').close()\n",
        }
    )
    for tpl in (copier_tpl, cc_tpl):
        for trust in ((), ("--trust",)):
            done = cli(
                "new", "p", "-t", str(tpl.root), "--defaults", "--pretend", *trust, cwd=tmp_path
            )
            assert done.returncode == 0, done.stderr
            assert "  README.md" in done.stdout.splitlines()
            assert not ran.exists() and not (tmp_path / "p").exists()


# --- messages from where the user stands -------------------------------------------------------


def test_created_line_names_the_template_as_the_user_gave_it(
    tmp_path: Path, template_factory: Callable[..., TemplateRepo]
) -> None:
    template_factory(
        {**SIMPLE, "copier.yml": SIMPLE["copier.yml"] + "_dlgen:\n  version: 0.1.0\n"}, name="tpl"
    )
    here = tmp_path / "a/b"
    here.mkdir(parents=True)
    done = cli("new", "gproj", "--template", "../../tpl", "--defaults", "--no-git", cwd=here)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Created gproj from ../../tpl 0.1.0. Next:\n")
    assert record(here / "gproj")["template"] == "../../../tpl"  # the record is project-relative


def test_update_to_a_missing_version_says_it_is_not_found(tmp_path: Path) -> None:
    assert invoke("new", str(tmp_path / "p"), "--defaults", "--no-hooks").code == 0
    done = cli("update", "--to", "v9", cwd=tmp_path / "p")
    assert done.returncode == 2
    assert "version 'v9' of bundled template 'dl-project' not found" in done.stderr
    assert "drop" not in done.stderr


def test_update_to_a_missing_git_ref_says_it_is_not_found(
    tmp_path: Path, template_factory: Callable[..., TemplateRepo]
) -> None:
    tpl = template_factory(SIMPLE)
    tpl.release("v1")
    assert invoke("new", str(tmp_path / "p"), "-t", str(tpl.root), "--defaults").code == 0
    done = cli("update", "--to", "v9", cwd=tmp_path / "p")
    assert (
        done.returncode == 2 and "'v9'" in done.stderr and "no tag, branch or commit" in done.stderr
    )


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_new_in_proc_says_what_failed(tmp_path: Path) -> None:
    done = cli("new", "/proc/x", "--defaults", cwd=tmp_path)
    assert done.returncode == 3
    assert done.stderr.startswith(
        "dlgen: error: cannot create /proc/x: making a directory in /proc"
    )
    assert done.stderr.count("\n") == 1
