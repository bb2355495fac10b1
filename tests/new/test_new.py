"""`dlgen new` with real copier and git: the happy paths and every bad input of FAULTS 1-20."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.helpers import TemplateRepo, dlgen, git, invoke, listing, on_terminal, tree_snapshot

SIMPLE = {
    "copier.yml": "name:\n  type: str\n  default: demo\nflag:\n  type: bool\n  default: false\n",
    "README.md.jinja": "# {{ name }}\n",
}


def test_new_defaults_creates_repo_with_template_branch(tmp_path: Path) -> None:
    dst = tmp_path / "acme-vision"
    result = invoke("new", str(dst), "--defaults", "--no-hooks")
    assert result.code == 0, result.err
    assert git("rev-parse", "dlgen/template", cwd=dst) == git("rev-parse", "HEAD", cwd=dst)
    assert git("status", "--porcelain", "--untracked-files=all", cwd=dst) == ""
    record = yaml.safe_load((dst / ".dlgen.yml").read_text())
    assert record["template"] == "dl-project"
    assert record["answers"]["package_name"] == "acme_vision"
    assert str(tmp_path) not in (dst / ".dlgen.yml").read_text()
    assert "make test" in result.out and "cd " in result.out
    assert result.out.splitlines()[-1] == (
        "  git push -u origin HEAD dlgen/template  # once a remote exists"
    )
    message = git("log", "-1", "--format=%B", "dlgen/template", cwd=dst)
    assert "Dlgen-Template-Version: " in message and "Dlgen-Answers: {" in message


def test_new_records_data_answers_and_data_file(tmp_path: Path) -> None:
    answers = tmp_path / "answers.yml"
    answers.write_text("task: tabular_regression\ndescription: from a file\n")
    dst = tmp_path / "tab"
    result = invoke(
        "new",
        str(dst),
        "--defaults",
        "--no-git",
        "--data-file",
        str(answers),
        "--data",
        "description=from the command line",
    )
    assert result.code == 0, result.err
    record = yaml.safe_load((dst / ".dlgen.yml").read_text())
    assert record["answers"]["task"] == "tabular_regression"
    assert record["answers"]["description"] == "from the command line"
    assert not (dst / ".git").exists()


def test_my_project_becomes_package_my_project(tmp_path: Path) -> None:
    assert invoke("new", str(tmp_path / "my-project"), "--defaults", "--no-git").code == 0
    assert (tmp_path / "my-project/src/my_project").is_dir()


BAD_NAMES = [
    "1net",
    "class",
    "torch",
    "test",
    "a/b",
    "a\\b",
    "..",
    "/abs/x",
    "",
    "   ",
    "bad\nname",
    "tab\tname",
    "x" * 300,
    "CON",
    "naïve",
    "my project",
]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_bad_project_names_exit_2_and_create_nothing(tmp_path: Path, name: str) -> None:
    work = tmp_path / "work"
    work.mkdir()
    result = invoke("new", str(work / "dst"), "--defaults", "--data", f"project_name={name}")
    assert result.code == 2, result.err
    assert result.err.startswith("dlgen: error: ") and result.err.count("\n") == 1
    assert listing(work) == []


def test_bad_package_name_suggests_one(tmp_path: Path) -> None:
    result = invoke("new", str(tmp_path / "x"), "--defaults", "--data", "package_name=torch")
    assert result.code == 2
    assert "'torch'" in result.err and "package_name=my_torch" in result.err
    assert not (tmp_path / "x").exists()


def test_directory_name_is_validated_like_a_name(tmp_path: Path) -> None:
    result = invoke("new", str(tmp_path / "1net"), "--defaults")
    assert result.code == 2 and "'1net'" in result.err
    assert listing(tmp_path) == []


def test_answers_with_jinja_are_written_literally(tmp_path: Path) -> None:
    dst = tmp_path / "lit"
    text = "{{ 7*7 }} {% if true %}x{% endif %}"
    assert (
        invoke("new", str(dst), "--defaults", "--no-git", "--data", f"description={text}").code == 0
    )
    assert text in (dst / "README.md").read_text()


def test_non_empty_destination_exits_3_untouched(tmp_path: Path) -> None:
    dst = tmp_path / "busy"
    dst.mkdir()
    (dst / "mine.txt").write_text("precious")
    before = tree_snapshot(dst)
    result = invoke("new", str(dst), "--defaults")
    assert result.code == 3
    assert "mine.txt" in result.err
    assert tree_snapshot(dst) == before


def test_empty_destination_directory_is_used(tmp_path: Path) -> None:
    dst = tmp_path / "empty"
    dst.mkdir()
    assert invoke("new", str(dst), "--defaults", "--no-git").code == 0
    assert (dst / ".dlgen.yml").is_file()


def test_destination_file_or_dangling_link_exits_2(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    assert invoke("new", str(tmp_path / "afile"), "--defaults").code == 2
    assert invoke("new", str(tmp_path / "dangling"), "--defaults").code == 2
    assert (tmp_path / "afile").read_text() == "x" and not (tmp_path / "nowhere").exists()


def test_unknown_question_and_bad_choice_exit_2(tmp_path: Path) -> None:
    result = invoke("new", str(tmp_path / "p"), "--defaults", "--data", "colour=red")
    assert result.code == 2 and "colour" in result.err
    result = invoke("new", str(tmp_path / "p"), "--defaults", "--data", "task=chess")
    assert result.code == 2 and "task" in result.err
    result = invoke("new", str(tmp_path / "p"), "--defaults", "--data", "docker=maybe")
    assert result.code == 2 and "docker" in result.err
    assert listing(tmp_path) == []


def test_parent_directories_are_created(tmp_path: Path) -> None:
    assert invoke("new", str(tmp_path / "a/b/proj"), "--defaults", "--no-git").code == 0
    assert (tmp_path / "a/b/proj/.dlgen.yml").is_file()


# --- external templates ----------------------------------------------------------------------


def test_local_plain_directory_template(tmp_path: Path, template_factory) -> None:  # type: ignore[no-untyped-def]
    tpl = template_factory(SIMPLE)
    dst = tmp_path / "plain"
    result = invoke(
        "new", str(dst), "--template", str(tpl.root), "--defaults", "--data", "name=hello"
    )
    assert result.code == 0, result.err
    assert (dst / "README.md").read_text() == "# hello\n"
    record = yaml.safe_load((dst / ".dlgen.yml").read_text())
    assert record["template"] == os.path.relpath(tpl.root, dst)


def test_git_template_defaults_to_newest_version_tag(tmp_path: Path, template_factory) -> None:  # type: ignore[no-untyped-def]
    tpl: TemplateRepo = template_factory(SIMPLE)
    tpl.release("v1.0.0")
    tpl.write({"README.md.jinja": "# {{ name }} v2\n"})
    tpl.release("v2.0.0")
    tpl.write({"README.md.jinja": "# {{ name }} unreleased\n"})
    tpl.release("not-a-version")
    dst = tmp_path / "p2"
    assert invoke("new", str(dst), "--template", str(tpl.root), "--defaults").code == 0
    assert (dst / "README.md").read_text() == "# demo v2\n"
    record = yaml.safe_load((dst / ".dlgen.yml").read_text())
    assert record["template_version"] == "v2.0.0"
    assert record["template_commit"] == git("rev-parse", "v2.0.0", cwd=tpl.root).strip()


def test_git_template_at_ref_and_url(tmp_path: Path, template_factory) -> None:  # type: ignore[no-untyped-def]
    tpl: TemplateRepo = template_factory(SIMPLE)
    v1 = tpl.release("v1")
    tpl.write({"README.md.jinja": "# {{ name }} v2\n"})
    tpl.release("v2")
    assert (
        invoke("new", str(tmp_path / "a"), "--template", f"{tpl.root}@v1", "--defaults").code == 0
    )
    assert (tmp_path / "a/README.md").read_text() == "# demo\n"
    url = f"git+file://{tpl.root}@{v1[:10]}"
    result = invoke("new", str(tmp_path / "b"), "--template", url, "--defaults")
    assert result.code == 0, result.err
    assert (tmp_path / "b/README.md").read_text() == "# demo\n"
    assert (
        yaml.safe_load((tmp_path / "b/.dlgen.yml").read_text())["template"]
        == f"git+file://{tpl.root}"
    )
    result = invoke("new", str(tmp_path / "c"), "--template", f"{tpl.root}@v9", "--defaults")
    assert result.code == 2 and "v9" in result.err
    assert not (tmp_path / "c").exists()


def test_bare_repository_is_a_git_template(tmp_path: Path, template_factory) -> None:  # type: ignore[no-untyped-def]
    """A forge's copy (`git clone --bare`) is a template source as a clone is: its newest
    version tag by default, or @REF; later updates read it too."""
    tpl: TemplateRepo = template_factory(SIMPLE)
    tpl.release("v1")
    tpl.write({"README.md.jinja": "# {{ name }} v2\n"})
    tpl.release("v2")
    bare = tmp_path / "forge/tpl.git"
    git("clone", "-q", "--bare", str(tpl.root), str(bare), cwd=tmp_path)
    result = invoke("new", str(tmp_path / "a"), "--template", f"{bare}@v1", "--defaults")
    assert result.code == 0, result.err
    assert (tmp_path / "a/README.md").read_text() == "# demo\n"
    record = yaml.safe_load((tmp_path / "a/.dlgen.yml").read_text())
    assert (record["template"], record["template_version"]) == ("../forge/tpl.git", "v1")
    assert invoke("update", str(tmp_path / "a")).code == 0  # to v2, read from the bare repo
    assert (tmp_path / "a/README.md").read_text() == "# demo v2\n"
    result = invoke("new", str(tmp_path / "b"), "--template", str(bare), "--defaults")
    assert result.code == 0, result.err
    assert yaml.safe_load((tmp_path / "b/.dlgen.yml").read_text())["template_version"] == "v2"


def test_unknown_template_exits_2(tmp_path: Path) -> None:
    result = invoke("new", str(tmp_path / "p"), "--template", "no-such-template", "--defaults")
    assert result.code == 2 and "no-such-template" in result.err


def test_tasks_need_trust(tmp_path: Path, template_factory) -> None:  # type: ignore[no-untyped-def]
    tpl = template_factory(
        {**SIMPLE, "copier.yml": SIMPLE["copier.yml"] + "_tasks:\n  - touch ran\n"}
    )
    result = invoke("new", str(tmp_path / "p"), "--template", str(tpl.root), "--defaults")
    assert result.code == 2 and "--trust" in result.err
    assert not (tmp_path / "p").exists()
    result = invoke(
        "new", str(tmp_path / "q"), "--template", str(tpl.root), "--defaults", "--trust", "--no-git"
    )
    assert result.code == 0, result.err
    assert (tmp_path / "q/ran").exists()


def test_tasks_run_in_the_project_at_its_final_path(tmp_path: Path, template_factory) -> None:  # type: ignore[no-untyped-def]
    """copier runs `_tasks` in `dst_path` after the render (`_copier_operation` "copy"); dlgen
    too, after the rename out of its staging directory: `$PWD` and `_copier_conf.dst_path` name
    the project. The first commit holds the project as copier leaves it, tasks' work included,
    so the tree is clean and the gate green; a failing task leaves nothing behind."""
    task = (
        "_tasks:\n"
        '  - echo "$PWD {{ _copier_conf.dst_path }} {{ _copier_operation }} $STAGE" > where.txt\n'
        "  - rm -f scratch.txt\n"
    )
    tpl = template_factory(
        {**SIMPLE, "copier.yml": SIMPLE["copier.yml"] + task, "scratch.txt": "temporary\n"}
    )
    dst = tmp_path / "work/p"
    result = invoke("new", str(dst), "--template", str(tpl.root), "--defaults", "--trust")
    assert result.code == 0, result.err
    assert (dst / "where.txt").read_text() == f"{dst} {dst} copy task\n"
    assert not (dst / "scratch.txt").exists()
    assert git("status", "--porcelain", "--untracked-files=all", cwd=dst) == ""
    assert "where.txt" in git("ls-tree", "--name-only", "dlgen/template", cwd=dst).split()
    assert git("rev-parse", "HEAD", cwd=dst) == git("rev-parse", "dlgen/template", cwd=dst)
    assert invoke("check", str(dst)).code == 0
    assert [p.name for p in (tmp_path / "work").iterdir()] == ["p"]  # no staging left
    failing = template_factory(
        {**SIMPLE, "copier.yml": SIMPLE["copier.yml"] + "_tasks:\n  - touch made\n  - exit 3\n"}
    )
    for there in (tmp_path / "bad", tmp_path / "empty"):
        if there.name == "empty":
            there.mkdir()
        result = invoke("new", str(there), "--template", str(failing.root), "--defaults", "--trust")
        assert result.code == 1 and result.err.startswith(
            "dlgen: error: task `exit 3` failed: exit 3"
        )
        assert not there.exists() if there.name == "bad" else list(there.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".dlgen-new-")) == []


# --- template faults: clear error, nothing written, nothing outside ---------------------------


@pytest.mark.parametrize(
    ("files", "needle"),
    [
        ({"copier.yml": "up:\n  default: '..'\n", "{{ up }}/escape.txt": "x"}, "outside"),
        (
            {"copier.yml": "up:\n  default: /tmp/dlgen-abs-escape\n", "{{ up }}/escape.txt": "x"},
            "outside",
        ),
        ({"bad.txt.jinja": "{% if %}"}, "bad.txt.jinja:1"),
        ({"latin.txt.jinja": "caf\xe9".encode("latin-1")}, "latin.txt.jinja"),
    ],
)
def test_broken_templates_exit_1_and_leave_nothing(
    tmp_path: Path, template_factory, files, needle
) -> None:  # type: ignore[no-untyped-def]
    tpl = template_factory({**SIMPLE, **files})
    work = tmp_path / "work"
    work.mkdir()
    result = invoke("new", str(work / "p"), "--template", str(tpl.root), "--defaults")
    assert result.code == 1, result.err
    assert needle in result.err and result.err.count("\n") == 1
    assert listing(work) == []
    assert not (tmp_path / "escape.txt").exists() and not Path("/tmp/dlgen-abs-escape").exists()


def test_symlink_out_of_template_is_refused(tmp_path: Path, template_factory) -> None:  # type: ignore[no-untyped-def]
    secret = tmp_path / "secret.txt"
    secret.write_text("s3cret")
    tpl = template_factory(SIMPLE)
    (tpl.root / "leak.txt").symlink_to(secret)
    result = invoke("new", str(tmp_path / "p"), "--template", str(tpl.root), "--defaults")
    assert result.code == 1 and "leak.txt" in result.err
    assert not (tmp_path / "p").exists()


def test_strict_undefined_names_file_and_variable(tmp_path: Path, template_factory) -> None:  # type: ignore[no-untyped-def]
    strict = "_envops:\n  undefined: jinja2.StrictUndefined\n"
    tpl = template_factory(
        {
            **SIMPLE,
            "copier.yml": SIMPLE["copier.yml"] + strict,
            "docs/x.md.jinja": "{{ name }} {{ nope }}\n",
        }
    )
    result = invoke("new", str(tmp_path / "p"), "--template", str(tpl.root), "--defaults")
    assert result.code == 1
    assert "docs/x.md.jinja" in result.err and "nope" in result.err
    assert not (tmp_path / "p").exists()


def test_external_template_keeps_its_lenient_undefined(tmp_path: Path, template_factory) -> None:  # type: ignore[no-untyped-def]
    tpl = template_factory({**SIMPLE, "x.md.jinja": "[{{ nope }}]\n"})
    assert invoke("new", str(tmp_path / "p"), "--template", str(tpl.root), "--defaults").code == 0
    assert (tmp_path / "p/x.md").read_text() == "[]\n"


def test_bundled_template_is_strict() -> None:
    from dlgen.sources import bundled_root

    config = yaml.safe_load((bundled_root() / "templates/dl-project/copier.yml").read_text())
    assert config["_envops"]["undefined"] == "jinja2.StrictUndefined"
    assert "_tasks" not in config and "_migrations" not in config


def test_binaries_modes_conditionals_and_line_endings(tmp_path: Path, template_factory) -> None:  # type: ignore[no-untyped-def]
    png = bytes(range(256)) + b"{{ name }}\r\n\x00"
    tpl = template_factory(
        {
            **SIMPLE,
            "logo.png": png,
            "run.sh": "#!/bin/sh\necho hi\n",
            "win.bat": "echo hi\r\n",
            ".gitattributes": "* text=auto eol=lf\n*.bat text eol=crlf\n*.png binary\n",
            "{% if flag %}optional.txt{% endif %}.jinja": "only with flag\n",
        }
    )
    (tpl.root / "run.sh").chmod(0o755)
    for flag, dst in (("false", tmp_path / "off"), ("true", tmp_path / "on")):
        result = invoke(
            "new",
            str(dst),
            "--template",
            str(tpl.root),
            "--defaults",
            "--no-hooks",
            "--data",
            f"flag={flag}",
        )
        assert result.code == 0, result.err
        assert (dst / "logo.png").read_bytes() == png
        assert (dst / "win.bat").read_bytes() == b"echo hi\r\n"
        assert os.access(dst / "run.sh", os.X_OK)
        assert git("ls-files", "-s", "run.sh", cwd=dst).startswith("100755")
        assert git("status", "--porcelain", cwd=dst) == ""
    assert (tmp_path / "on/optional.txt").is_file() and not (tmp_path / "off/optional.txt").exists()


def test_copier_answers_file_is_not_rendered(tmp_path: Path, template_factory) -> None:  # type: ignore[no-untyped-def]
    tpl = template_factory(
        {**SIMPLE, "{{ _copier_conf.answers_file }}.jinja": "{{ _copier_answers|to_nice_yaml }}"}
    )
    assert invoke("new", str(tmp_path / "p"), "--template", str(tpl.root), "--defaults").code == 0
    assert not (tmp_path / "p/.copier-answers.yml").exists()


# --- failures after the render --------------------------------------------------------------


def test_git_missing_leaves_nothing_and_names_the_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", str(bin_dir))
    work = tmp_path / "work"
    work.mkdir()
    result = invoke("new", str(work / "p"), "--defaults")
    assert result.code == 1
    assert "git init" in result.err and "--no-git" in result.err
    assert listing(work) == []
    result = invoke("new", str(work / "p"), "--defaults", "--no-git")
    assert result.code == 0 and (work / "p/.dlgen.yml").is_file()


def test_missing_pre_commit_is_a_note(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    git_exe = shutil.which("git")
    assert git_exe is not None
    (bin_dir / "git").symlink_to(git_exe)
    monkeypatch.setenv("PATH", str(bin_dir))
    result = invoke("new", str(tmp_path / "p"), "--defaults")
    assert result.code == 0
    assert "note: pre-commit not found" in result.err


def test_pre_commit_hook_installed_when_available(tmp_path: Path) -> None:
    bin_dir = Path(sys.executable).parent
    if not (bin_dir / "pre-commit").exists():
        pytest.fail("the dev extra installs pre-commit")
    env_path = f"{bin_dir}{os.pathsep}{os.environ['PATH']}"
    os.environ["PATH"] = env_path
    assert invoke("new", str(tmp_path / "p"), "--defaults").code == 0
    assert (tmp_path / "p/.git/hooks/pre-commit").is_file()


def test_ctrl_c_during_generation_leaves_nothing(tmp_path: Path, template_factory) -> None:  # type: ignore[no-untyped-def]
    tpl = template_factory(
        {**SIMPLE, "copier.yml": SIMPLE["copier.yml"] + "_tasks:\n  - sleep 30\n"}
    )
    work = tmp_path / "work"
    work.mkdir()
    proc = subprocess.Popen(
        [
            # SIGINT as a terminal has it: a job started with `&` from a script ignores SIGINT,
            # its children inherit that, and Python then never raises KeyboardInterrupt.
            sys.executable,
            "-c",
            "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
            "os.execv(sys.executable, [sys.executable, '-m', 'dlgen', *sys.argv[1:]])",
            "new",
            str(work / "p"),
            "--template",
            str(tpl.root),
            "--defaults",
            "--trust",
        ],
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while not any(work.iterdir()) and time.monotonic() < deadline:  # the staging dir appears
        time.sleep(0.05)
    time.sleep(0.3)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "interrupted" in err
    assert listing(work) == []


def test_interactive_questions_need_a_terminal(tmp_path: Path) -> None:
    result = dlgen("new", str(tmp_path / "p"), cwd=tmp_path, input_text="")
    assert result.returncode == 2
    assert "--defaults" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "p").exists()


def test_debug_shows_traceback(tmp_path: Path) -> None:
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy/f").write_text("x")
    plain = dlgen("new", str(tmp_path / "busy"), "--defaults", cwd=tmp_path)
    debug = dlgen("--debug", "new", str(tmp_path / "busy"), "--defaults", cwd=tmp_path)
    assert plain.returncode == debug.returncode == 3
    assert "Traceback" not in plain.stderr and "Traceback" in debug.stderr


def test_when_conditions_decide_what_is_asked_and_recorded(tmp_path: Path) -> None:
    assert invoke("new", str(tmp_path / "a"), "--defaults", "--no-git").code == 0
    assert (
        "dvc_remote_url" not in yaml.safe_load((tmp_path / "a/.dlgen.yml").read_text())["answers"]
    )
    result = invoke("new", str(tmp_path / "b"), "--defaults", "--no-git", "--data", "dvc_remote=s3")
    assert result.code == 0, result.err
    answers = yaml.safe_load((tmp_path / "b/.dlgen.yml").read_text())["answers"]
    assert answers["dvc_remote_url"] == "s3://my-bucket/b"


def test_new_in_the_current_empty_directory(tmp_path: Path) -> None:
    here = tmp_path / "here-proj"
    here.mkdir()
    inode = here.stat().st_ino
    result = invoke("new", ".", "--defaults", "--no-hooks", cwd=here)
    assert result.code == 0, result.err
    assert here.stat().st_ino == inode
    assert (
        yaml.safe_load((here / ".dlgen.yml").read_text())["answers"]["project_name"] == "here-proj"
    )
    assert git("status", "--porcelain", cwd=here) == ""


def test_template_in_a_repository_subdirectory_at_a_ref(
    tmp_path: Path, template_factory: Callable[..., TemplateRepo]
) -> None:
    repo = template_factory({f"templates/mine/{k}": v for k, v in SIMPLE.items()})
    repo.release("v1")
    repo.write({"templates/mine/README.md.jinja": "# {{ name }} v2\n"})
    repo.release("v2")
    repo.write({"templates/mine/README.md.jinja": "# {{ name }} work in progress\n"})
    sub = repo.root / "templates/mine"
    assert invoke("new", str(tmp_path / "a"), "--template", f"{sub}@v1", "--defaults").code == 0
    assert (tmp_path / "a/README.md").read_text() == "# demo\n"
    record = yaml.safe_load((tmp_path / "a/.dlgen.yml").read_text())
    assert record["template_version"] == "v1" and record["template_commit"]
    assert invoke("new", str(tmp_path / "b"), "--template", str(sub), "--defaults").code == 0
    assert (tmp_path / "b/README.md").read_text() == "# demo work in progress\n"


@pytest.mark.slow
def test_interactive_questionnaire_in_a_terminal(tmp_path: Path) -> None:
    """copier's questionnaire on a real pseudo-terminal: Enter takes each default."""

    # whenever the prompt waits, Enter takes its default
    code, screen = on_terminal(["new", "p", "--no-hooks"], tmp_path, lambda _: b"\r", poll=0.3)
    assert code == 0, screen[-2000:]
    assert b"SLURM sbatch script" in screen  # the last question was asked
    record = yaml.safe_load((tmp_path / "p/.dlgen.yml").read_text())
    assert record["answers"]["task"] == "image_classification"
    # the prompt's default for the author is the git identity (conftest's), recorded as answered
    assert record["answers"]["author_name"] == "Test User"
    assert b"Test User" in screen
